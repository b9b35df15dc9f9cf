import Foundation
import RiskGateServer
import Testing

/// HTTPS with a certificate made by `openssl` for each run (no key is committed), checked with `curl`.
@Suite("TLS")
struct TLSTests {
    static let openssl = ExternalProcess.find("openssl")
    static let curl = ExternalProcess.find("curl")
    static let toolsPresent = openssl != nil && curl != nil

    /// A folder with a fresh self-signed certificate for 127.0.0.1 (`cert.pem`) and its key
    /// (`key.pem`, mode 600).
    struct Certificate {
        let folder: URL
        var certificate: String { folder.appendingPathComponent("cert.pem").path }
        var key: String { folder.appendingPathComponent("key.pem").path }

        static func make() async throws -> Certificate {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("riskgate-tls-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let made = Certificate(folder: folder)
            let result = try await ExternalProcess.run(openssl!, [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", made.key, "-out", made.certificate, "-days", "2", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1",
            ])
            guard result.status == 0 else { throw TestFailure("openssl failed: \(result.stderr)") }
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: made.key)
            return made
        }

        func remove() { try? FileManager.default.removeItem(at: folder) }
    }

    struct TestFailure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    @Test(.enabled(if: toolsPresent, "needs the openssl and curl commands (apt-get install openssl curl)"))
    func servesHTTPSWithTheGivenCertificate() async throws {
        let certificate = try await Certificate.make()
        defer { certificate.remove() }
        var configuration = ServerConfiguration(port: 0)
        try configuration.enableTLS(certificatePath: certificate.certificate, keyPath: certificate.key)
        let h = try Harness()
        try await LiveServerTests().withServer(h, configuration: configuration) { port, _ in
            // --cacert, not -k: the server must present this very certificate.
            let health = try await ExternalProcess.run(Self.curl!, [
                "-sS", "--max-time", "20", "--cacert", certificate.certificate, "https://127.0.0.1:\(port)/healthz",
            ])
            #expect(health.status == 0, "\(health.stderr)")
            #expect(health.stdout == #"{"status":"ok"}"#)
            let decision = try await ExternalProcess.run(Self.curl!, [
                "-sS", "--max-time", "20", "--cacert", certificate.certificate,
                "-H", "Authorization: Bearer \(TestKeys.decide)", "-d", #"{"user": "u-1"}"#,
                "https://127.0.0.1:\(port)/v1/decisions",
            ])
            #expect(decision.stdout.contains(#""outcome":"passive""#), "\(decision)")
            // Plain HTTP to the TLS port gets no HTTP answer.
            let plain = try await ExternalProcess.run(Self.curl!, ["-s", "--max-time", "10", "http://127.0.0.1:\(port)/healthz"])
            #expect(!plain.stdout.contains("status"))
        }
    }

    /// The message of the error `enableTLS` throws for these files, or nil when it accepts them.
    static func refusal(certificate: String, key: String) -> String? {
        var configuration = ServerConfiguration(port: 0)
        do {
            try configuration.enableTLS(certificatePath: certificate, keyPath: key)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test(.enabled(if: toolsPresent, "needs the openssl command (apt-get install openssl)"))
    func badFilesAreClearErrors() async throws {
        let certificate = try await Certificate.make()
        defer { certificate.remove() }
        let folder = certificate.folder
        let missing = folder.appendingPathComponent("missing.pem").path
        let garbage = folder.appendingPathComponent("garbage.pem").path
        try Data("not a pem file\n".utf8).write(to: URL(fileURLWithPath: garbage))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: garbage)

        let noCertificate = try #require(Self.refusal(certificate: missing, key: certificate.key))
        #expect(noCertificate.contains("cannot read TLS certificate file `\(missing)`"), "\(noCertificate)")
        let noKey = try #require(Self.refusal(certificate: certificate.certificate, key: missing))
        #expect(noKey.contains("cannot read TLS key file `\(missing)`"), "\(noKey)")
        let badCertificate = try #require(Self.refusal(certificate: garbage, key: certificate.key))
        #expect(badCertificate.contains("`\(garbage)`") && badCertificate.contains("certificate"), "\(badCertificate)")
        let badKey = try #require(Self.refusal(certificate: certificate.certificate, key: garbage))
        #expect(badKey.contains("TLS key file `\(garbage)` is not a PEM private key"), "\(badKey)")

        for mode in [0o644, 0o640, 0o604] {
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: certificate.key)
            let open = try #require(Self.refusal(certificate: certificate.certificate, key: certificate.key))
            #expect(open.contains("chmod 600 \(certificate.key)"), "\(open)")
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o400], ofItemAtPath: certificate.key)
        #expect(Self.refusal(certificate: certificate.certificate, key: certificate.key) == nil)

        // Another certificate's key.
        let other = try await Certificate.make()
        defer { other.remove() }
        let mismatch = try #require(Self.refusal(certificate: certificate.certificate, key: other.key))
        #expect(mismatch.contains("does not go with"), "\(mismatch)")
    }
}
