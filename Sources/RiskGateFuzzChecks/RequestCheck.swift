import NIOCore
import RiskGateEngine
import RiskGatePolicy
import RiskGateServer

/// `POST /v1/decisions` body through the service's own reader (``DecisionBody/read(_:)``: the
/// core's event parser, with the depth limit and unknown-key checks).
///
/// Either a request that passes the core's validation or an ``APIError`` with a 4xx status and a
/// message; any other error would be answered 500.
enum RequestCheck {
    static func run(_ bytes: UnsafeRawBufferPointer, _ f: inout Findings) {
        var buffer = ByteBufferAllocator().buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        do {
            let context = try DecisionBody.read(buffer)
            // Accepted requests are valid and already in their one form: validating again changes nothing.
            var again = context
            do { try again.validate() } catch { f.fail("accepted a request that validate() refuses: \(error.message)") }
            f.require(Array(again.user.utf8) == Array(context.user.utf8), "an accepted user id is not in its one form")
        } catch let error as APIError {
            f.require((400..<500).contains(error.status.code), "status \(error.status.code) for a bad body")
            f.require(isMessage(error.message), "error message is empty: \(error.message.debugDescription)")
        } catch {
            f.fail("threw \(type(of: error)) (\(error)), not APIError: the service would answer 500")
        }
    }
}
