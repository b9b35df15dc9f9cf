// libFuzzer harness for the `audit` target (docs/fuzzing.md): built by scripts/fuzz.sh.
import FuzzDriver

fuzz(.audit)
