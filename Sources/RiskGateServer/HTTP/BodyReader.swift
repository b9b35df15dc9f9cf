import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Reads request bodies within a size limit and a deadline, before any work starts.
///
/// A body over the limit is refused with 413 as soon as `Content-Length` (or, for a chunked body, the
/// bytes received so far) exceed it; a body that trickles in slower than the deadline gets 408. Either way the connection is
/// closed after the response, so the unread rest of the body cannot be taken for a next request.
struct BodyReader: Sendable {
    var limit: Int
    var timeout: Duration

    func read(_ request: Request, channel: any Channel) async throws -> ByteBuffer {
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit {
            throw APIError.bodyTooLarge(limit)
        }
        let deadlines = BodyDeadlines.shared
        let ticket = deadlines.arm(channel, timeout: timeout)
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            deadlines.disarm(ticket)
            throw APIError.bodyTooLarge(limit)
        } catch is NIOTooManyBytesError {
            // A body without `Content-Length` (chunked) is only found too large while it is read.
            deadlines.disarm(ticket)
            throw APIError.bodyTooLarge(limit)
        } catch {
            // A body cut off at its deadline ends the stream early, with an error or without.
            if deadlines.disarm(ticket) { throw APIError.requestTimeout }
            throw error
        }
        if deadlines.disarm(ticket) { throw APIError.requestTimeout }
        return buffer
    }
}
