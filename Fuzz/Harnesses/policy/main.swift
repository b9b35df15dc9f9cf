// libFuzzer harness for the `policy` target (docs/fuzzing.md): built by scripts/fuzz.sh.
import FuzzDriver

fuzz(.policy)
