// libFuzzer harness for the `request` target (docs/fuzzing.md): built by scripts/fuzz.sh.
import FuzzDriver

fuzz(.request)
