// libFuzzer harness for the `mmdb` target (docs/fuzzing.md): built by scripts/fuzz.sh.
import FuzzDriver

fuzz(.mmdb)
