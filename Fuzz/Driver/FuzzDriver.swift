#if canImport(Glibc)
import Glibc
#endif
import RiskGateFuzzChecks

/// libFuzzer's entry for a program that has its own `main` (compiler-rt's `FuzzerInterface.h`):
/// parses libFuzzer's flags from `argc`/`argv` and runs `callback` on each input.
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

/// The target this process fuzzes (set once, before libFuzzer starts calling back).
nonisolated(unsafe) private var current: FuzzTarget = .policy

/// Runs libFuzzer on `target`'s check with the process's arguments, then exits with its status.
///
/// A broken property stops the run the way a crash does (`fatalError`), so libFuzzer saves the input.
package func fuzz(_ target: FuzzTarget) -> Never {
    current = target
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
        let problems = current.check(UnsafeRawBufferPointer(start: data, count: size))
        if !problems.isEmpty {
            fatalError("fuzz-\(current.rawValue): " + problems.joined(separator: "; "))
        }
        return 0
    })
}
