// libFuzzer harness for the `replay` target (docs/fuzzing.md): built by scripts/fuzz.sh.
import FuzzDriver

fuzz(.replay)
