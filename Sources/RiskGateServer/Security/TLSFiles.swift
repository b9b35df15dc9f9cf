import Foundation
import NIOSSL

/// The service's TLS settings from a PEM certificate chain and a PEM private key
/// (`riskgate serve --tls-cert FILE --tls-key FILE`).
public enum TLSFiles {
    /// Mode bits the private key file must not have: any access by group or others.
    public static let forbiddenKeyModeBits: mode_t = 0o077

    /// Reads both files and builds a server configuration, checking that BoringSSL accepts them
    /// together (a key that does not belong to the certificate is refused here, not at the first
    /// handshake).
    /// - Throws: ``TLSFilesError`` naming the file at fault: missing, unreadable, not PEM, or a
    ///   key file that group or others can access.
    public static func serverConfiguration(certificatePath: String, keyPath: String) throws -> TLSConfiguration {
        let certificateBytes: Data
        let keyBytes: Data
        do {
            // The certificate is public; only its size is bounded.
            certificateBytes = try PrivateFile.read(certificatePath, what: "TLS certificate file", forbiddenModeBits: 0,
                                                    maxBytes: 1 << 20)
            keyBytes = try PrivateFile.read(keyPath, what: "TLS key file", forbiddenModeBits: forbiddenKeyModeBits,
                                            maxBytes: 1 << 20)
        } catch let error as PrivateFileError {
            throw TLSFilesError(description: error.description)
        }
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMBytes(Array(certificateBytes))
        } catch {
            throw TLSFilesError(description: "TLS certificate file `\(certificatePath)` is not a PEM certificate: \(error)")
        }
        guard !chain.isEmpty else {
            throw TLSFilesError(description: "TLS certificate file `\(certificatePath)` holds no PEM certificate")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(bytes: Array(keyBytes), format: .pem)
        } catch {
            // The error's text is BoringSSL's reason code, never key material.
            throw TLSFilesError(description: "TLS key file `\(keyPath)` is not a PEM private key: \(error)")
        }
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        do {
            _ = try NIOSSLContext(configuration: configuration)
        } catch {
            throw TLSFilesError(
                description: "TLS key file `\(keyPath)` does not go with certificate `\(certificatePath)`: \(error)")
        }
        return configuration
    }
}

/// Why the TLS files were refused; names the file and never holds key material.
public struct TLSFilesError: Error, Sendable, CustomStringConvertible {
    public var description: String
}

extension ServerConfiguration {
    /// Serves HTTPS with the PEM certificate chain and private key at these paths.
    /// - Throws: ``TLSFilesError`` (see ``TLSFiles/serverConfiguration(certificatePath:keyPath:)``).
    public mutating func enableTLS(certificatePath: String, keyPath: String) throws {
        tls = try TLSFiles.serverConfiguration(certificatePath: certificatePath, keyPath: keyPath)
    }
}
