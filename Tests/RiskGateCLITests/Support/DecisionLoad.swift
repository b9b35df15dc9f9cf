import Foundation

/// Clients asking a running `riskgate serve` for decisions as fast as it answers, each on a
/// keep-alive connection and a thread of its own, keeping the id of every decision acknowledged
/// with a complete 200 response.
///
/// Each request is a sign-in of a user no other request names, so no two decisions share a user's
/// lock and the server's writer gets concurrent changes to commit together (group commit). The
/// clients kill the server themselves once they have enough acknowledged decisions, and tell a
/// connection the kill broke from one that broke on its own.
final class DecisionLoad: @unchecked Sendable {
    /// What the clients saw.
    struct Outcome: Sendable {
        /// Ids of the decisions answered with a complete 200 response.
        var acknowledged: [String]
        /// Requests that failed while the server was meant to be up: a non-200 status, a response
        /// that is not a decision, a connection broken before the kill.
        var problems: [String]
        /// Requests sent whose response had not come back when the server was killed.
        var inFlightAtKill: Int
    }

    let port: Int
    let key: String
    /// Distinguishes this load's users and request ids from other loads' on the same store.
    let label: String
    let connections: Int

    private let lock = NSLock()
    // Guarded by `lock`.
    private var outcome = Outcome(acknowledged: [], problems: [], inFlightAtKill: 0)
    private var inFlight = 0
    private var running = 0
    private var stopping = false
    private var killed = false
    /// What kills the server, called once: by the client whose response makes `killAt`
    /// acknowledged decisions, or by ``killServer()``.
    private var kill: (@Sendable () -> Void)?
    private var killAt = Int.max
    private let finished = DispatchGroup()

    init(port: Int, key: String, label: String, connections: Int = 4) {
        self.port = port
        self.key = key
        self.label = label
        self.connections = connections
    }

    /// Starts the clients; the one whose response makes `killAt` acknowledged decisions calls
    /// `kill` at once, on its own thread.
    ///
    /// Killing from there, instead of from a test polling the count, sends the signal within
    /// microseconds of a response: while the batch that response belongs to could still be
    /// committing, if the server answered before its commit.
    func start(killAt: Int, kill: @escaping @Sendable () -> Void) {
        lock.withLock {
            self.killAt = killAt
            self.kill = kill
        }
        for client in 0..<connections {
            finished.enter()
            lock.withLock { running += 1 }
            Thread.detachNewThread { [self] in
                run(client: client)
                lock.withLock { running -= 1 }
                finished.leave()
            }
        }
    }

    /// Whether every client has stopped (after a problem, or once told to stop).
    var allStopped: Bool { lock.withLock { running == 0 } }

    /// Whether the server has been killed (by ``start(killAt:kill:)``'s client or ``killServer()``).
    var serverWasKilled: Bool { lock.withLock { killed } }

    /// Kills the server now unless a client did; from then on a broken connection is expected, not
    /// a problem.
    func killServer() {
        let action: (@Sendable () -> Void)? = lock.withLock { markKilled() }
        action?()
    }

    /// Notes the kill (and the requests it cuts off) and returns the action that does it, the
    /// first time only. Call it holding `lock`.
    private func markKilled() -> (@Sendable () -> Void)? {
        guard !killed else { return nil }
        killed = true
        outcome.inFlightAtKill = inFlight
        return kill
    }

    /// Tells the clients to send no further request; does not wait for them.
    func stop() {
        lock.withLock { stopping = true }
    }

    /// Stops the clients, waits for them (each at most until its socket times out) and returns
    /// what they saw.
    func finish() async -> Outcome {
        stop()
        let finished = finished
        _ = await DedicatedThread.run { finished.wait(timeout: .now() + 30) }
        return lock.withLock { outcome }
    }

    private func run(client: Int) {
        let connection: HTTPConnection
        do {
            connection = try HTTPConnection(port: port)
        } catch {
            note(problem: "client \(client): \(error)")
            return
        }
        var number = 0
        while !lock.withLock({ stopping }) {
            number += 1
            let name = "\(label)-c\(client)-\(number)"
            let body = """
                {"id": "evt-\(name)", "user": "user-\(name)", "channel": "web", "action": "login", \
                "ip": "192.0.2.\(number % 250 + 1)", "device": {"id": "device-\(name)"}}
                """
            lock.withLock { inFlight += 1 }
            let response: HTTPConnection.Response
            do {
                response = try connection.send("POST", "/v1/decisions",
                                               headers: ["Authorization": "Bearer \(key)", "Content-Type": "application/json"],
                                               body: Data(body.utf8))
            } catch {
                // After the kill this is the request the kill cut off; before it, the server failed.
                lock.withLock {
                    inFlight -= 1
                    if !killed { outcome.problems.append("client \(client), request \(number): \(error)") }
                }
                return
            }
            guard response.status == 200, let id = response.jsonObject?["id"] as? String else {
                lock.withLock { inFlight -= 1 }
                note(problem: "client \(client), request \(number): status \(response.status): "
                    + String(decoding: response.body.prefix(500), as: UTF8.self))
                return
            }
            let action: (@Sendable () -> Void)? = lock.withLock {
                inFlight -= 1
                outcome.acknowledged.append(id)
                return outcome.acknowledged.count == killAt ? markKilled() : nil
            }
            action?()
        }
    }

    private func note(problem: String) {
        lock.withLock { outcome.problems.append(problem) }
    }
}
