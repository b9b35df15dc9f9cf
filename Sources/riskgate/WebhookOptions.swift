import ArgumentParser
import Foundation
import RiskGateDelivery
import RiskGateServer

/// `--webhook-secret-file FILE`, shared by `serve` and `deliver`, and how a webhook is set up.
///
/// The secret is named by a file, never given as a value: a command line is visible to every user
/// of the machine (`ps`).
struct WebhookOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("File whose first line is the webhook's HMAC secret (at least 16 bytes; mode 0600).",
                                            valueName: "file"))
    var webhookSecretFile: String?

    /// Refuses a webhook without a secret, a secret without a webhook, and a URL that is not http(s).
    func validate(url: String?, urlFlag: String) throws {
        switch (url, webhookSecretFile) {
        case (nil, nil): return
        case (nil, _?): throw ValidationError("--webhook-secret-file needs \(urlFlag)")
        case (_?, nil): throw ValidationError("\(urlFlag) needs --webhook-secret-file (the secret that signs each message)")
        case (let url?, _?):
            if let problem = DeliveryConfiguration.problem(with: url) {
                throw ValidationError("\(urlFlag) \(problem), got `\(url)`")
            }
        }
    }

    /// The delivery settings for `url`, with the secret read from the file.
    /// - Throws: ``PrivateFileError`` for a file others can read, that is missing, or too short a secret.
    func configuration(url: String, maxAttempts: Int = 8, timeout: Double = 10,
                       retry: RetrySchedule = RetrySchedule()) throws -> DeliveryConfiguration {
        guard let path = webhookSecretFile, let parsed = URL(string: url) else {
            throw ValidationError("a webhook needs --webhook-secret-file")
        }
        let data = try PrivateFile.read(path, what: "webhook secret file", forbiddenModeBits: 0o077, maxBytes: 4096)
        let firstLine = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).first ?? ""
        let secret = Array(firstLine.trimmingCharacters(in: .whitespaces).utf8)
        guard secret.count >= 16 else {
            throw WebhookSecretError(description: "webhook secret file `\(path)` holds fewer than 16 bytes on its first line; "
                                         + "make one with `openssl rand -hex 32`")
        }
        return DeliveryConfiguration(url: parsed, secret: secret, maxAttempts: maxAttempts,
                                     timeout: .milliseconds(Int64(timeout * 1000)), retry: retry)
    }
}

/// A webhook secret that is too short to sign with.
struct WebhookSecretError: Error, CustomStringConvertible {
    var description: String
}
