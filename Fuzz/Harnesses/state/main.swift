// libFuzzer harness for the `state` target (docs/fuzzing.md): built by scripts/fuzz.sh.
import FuzzDriver

fuzz(.state)
