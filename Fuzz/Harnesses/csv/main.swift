// libFuzzer harness for the `csv` target (docs/fuzzing.md): built by scripts/fuzz.sh.
import FuzzDriver

fuzz(.csv)
