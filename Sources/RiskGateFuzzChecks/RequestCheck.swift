import NIOCore
import RiskGate
import RiskGateServer

/// `POST /v1/decisions` body through the service's own parser (``FastDecisionBody/read(_:)``: the
/// fast byte parser, else `JSONDecoder` with the depth limit and unknown-key checks).
///
/// Either a request that passes the core's validation or an ``APIError`` with a 4xx status and a
/// message; any other error would be answered 500.
enum RequestCheck {
    static func run(_ bytes: UnsafeRawBufferPointer, _ f: inout Findings) {
        var buffer = ByteBufferAllocator().buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        do {
            let context = try FastDecisionBody.read(buffer)
            do { try context.validate() } catch { f.fail("accepted a request that validate() refuses: \(error.message)") }
        } catch let error as APIError {
            f.require((400..<500).contains(error.status.code), "status \(error.status.code) for a bad body")
            f.require(isMessage(error.message), "error message is empty: \(error.message.debugDescription)")
        } catch {
            f.fail("threw \(type(of: error)) (\(error)), not APIError: the service would answer 500")
        }
    }
}
