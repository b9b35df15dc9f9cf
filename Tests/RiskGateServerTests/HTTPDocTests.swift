import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import RiskGateServer
import Testing

/// Executes the examples in docs/http-api.md: each ```` ```sh example ```` block (a curl command)
/// followed by a ```` ```json status=N ```` (or `text status=N`) block with the expected response.
@Suite("docs/http-api.md examples")
struct HTTPDocTests {
    struct Example: Sendable, CustomStringConvertible {
        var line: Int
        var command: String
        var status: Int
        var format: String
        var expected: String
        var description: String { "docs/http-api.md:\(line)" }
    }

    struct CurlRequest {
        var method: HTTPRequest.Method
        var path: String
        var headers: HTTPFields
        var body: String?
    }

    static var docURL: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/http-api.md")
    }

    /// Fenced blocks with their info strings and starting lines.
    static func blocks(_ text: String) -> [(info: String, line: Int, body: String)] {
        var result: [(String, Int, String)] = []
        var current: (info: String, line: Int, lines: [String])?
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.hasPrefix("```") {
                if let block = current {
                    result.append((block.info, block.line, block.lines.joined(separator: "\n")))
                    current = nil
                } else {
                    current = (String(line.dropFirst(3)).trimmingCharacters(in: .whitespaces), index + 1, [])
                }
            } else {
                current?.lines.append(String(line))
            }
        }
        return result
    }

    static func examples() throws -> [Example] {
        let text = try String(contentsOf: docURL, encoding: .utf8)
        let all = blocks(text)
        var examples: [Example] = []
        for (i, block) in all.enumerated() where block.info == "sh example" {
            guard i + 1 < all.count else { break }
            let next = all[i + 1]
            let words = next.info.split(separator: " ")
            guard words.count == 2, words[1].hasPrefix("status="), let status = Int(words[1].dropFirst(7)) else { continue }
            examples.append(Example(line: block.line, command: block.body, status: status, format: String(words[0]),
                                    expected: next.body))
        }
        return examples
    }

    /// Splits a shell command line: single and double quotes, backslash-newline continuations.
    static func shellWords(_ command: String) throws -> [String] {
        var words: [String] = []
        var word = ""
        var inWord = false
        var quote: Character?
        var chars = Array(command)
        var i = 0
        chars.append(" ")
        while i < chars.count {
            let c = chars[i]
            if let q = quote {
                if c == q { quote = nil }
                else if q == "\"", c == "\\", i + 1 < chars.count { i += 1; word.append(chars[i]) }
                else { word.append(c) }
            } else if c == "'" || c == "\"" {
                quote = c; inWord = true
            } else if c == "\\", i + 1 < chars.count, chars[i + 1] == "\n" {
                i += 1
            } else if c == " " || c == "\n" || c == "\t" {
                if inWord { words.append(word); word = ""; inWord = false }
            } else {
                word.append(c); inWord = true
            }
            i += 1
        }
        if quote != nil { throw DocError("unterminated quote") }
        return words
    }

    static func parseCurl(_ command: String) throws -> CurlRequest {
        let words = try shellWords(command)
        guard words.first == "curl" else { throw DocError("not a curl command") }
        var method: HTTPRequest.Method?
        var headers: HTTPFields = [:]
        var body: String?
        var url: String?
        var i = 1
        while i < words.count {
            let word = words[i]
            switch word {
            case "-s", "-sS", "-i", "--silent", "--show-error": break
            case "-X", "--request":
                i += 1
                method = HTTPRequest.Method(words[i])
            case "-H", "--header":
                i += 1
                let parts = words[i].split(separator: ":", maxSplits: 1)
                guard parts.count == 2, let name = HTTPField.Name(String(parts[0])) else { throw DocError("bad header \(words[i])") }
                headers[name] = parts[1].trimmingCharacters(in: .whitespaces)
            case "-d", "--data", "--data-binary", "--data-raw":
                i += 1
                body = words[i]
            default:
                guard word.hasPrefix("http://") else { throw DocError("unsupported curl argument \(word)") }
                url = word
            }
            i += 1
        }
        guard let url, let slash = url.dropFirst(7).firstIndex(of: "/") else { throw DocError("no URL") }
        // curl -d implies POST and a form content type; the server does not look at the content type.
        return CurlRequest(method: method ?? (body == nil ? .get : .post), path: String(url[slash...]), headers: headers, body: body)
    }

    /// `expected` is contained in `actual`: objects by key, arrays element by element, `"..."` matches anything.
    static func matches(_ expected: Any, _ actual: Any?) -> Bool {
        if let s = expected as? String, s == "..." { return actual != nil }
        switch expected {
        case let object as [String: Any]:
            guard let other = actual as? [String: Any] else { return false }
            return object.allSatisfy { key, value in matches(value, other[key]) }
        case let array as [Any]:
            guard let other = actual as? [Any], other.count == array.count else { return false }
            return zip(array, other).allSatisfy { matches($0, $1) }
        case let number as NSNumber:
            guard let other = actual as? NSNumber else { return false }
            return number == other
        case let string as String:
            return (actual as? String) == string
        default:
            return actual is NSNull
        }
    }

    @Test func docHasExamples() throws {
        let examples = try Self.examples()
        #expect(examples.count >= 15, "every documented endpoint has an executed example")
        let paths = try Set(examples.map { try Self.parseCurl($0.command).path.split(separator: "?")[0] })
        for endpoint in ["/healthz", "/metrics", "/v1/decisions", "/v1/feedback", "/v1/policy", "/v1/policy/shadow",
                         "/v1/accounts/u-42", "/v1/challenges/ch-2/verify"] {
            #expect(paths.contains(Substring(endpoint)), "no example for \(endpoint)")
        }
    }

    @Test func examplesRunAsDocumented() async throws {
        let examples = try Self.examples()
        let h = try Harness()
        try await h.app.test(.router) { client in
            for example in examples {
                let request = try Self.parseCurl(example.command)
                let response = try await client.execute(uri: request.path, method: request.method, headers: request.headers,
                                                        body: request.body.map { ByteBuffer(string: $0) })
                #expect(response.status.code == example.status, "\(example): \(response.text)")
                if example.format == "json" {
                    let expected = try JSONSerialization.jsonObject(with: Data(example.expected.utf8))
                    let actual = try? JSONSerialization.jsonObject(with: Data(response.text.utf8))
                    #expect(Self.matches(expected, actual), "\(example): got \(response.text)")
                } else {
                    for line in example.expected.split(separator: "\n") {
                        #expect(response.text.contains(line), "\(example): missing `\(line)`")
                    }
                }
            }
        }
    }

    @Test func curlParsing() throws {
        let request = try Self.parseCurl("curl -s -X PUT http://h:1/v1/x?a=1 \\\n  -H 'A: b c' --data-binary 'it''s\n\"x\"'")
        #expect(request.method == .put)
        #expect(request.path == "/v1/x?a=1")
        #expect(request.headers[HTTPField.Name("A")!] == "b c")
        #expect(request.body == "its\n\"x\"")
        #expect(throws: DocError.self) { try Self.parseCurl("curl 'unterminated") }
    }

    @Test func subsetMatching() throws {
        let actual: Any = ["a": 1, "b": ["c": "d", "e": [1, 2]], "f": "g"]
        #expect(Self.matches(["a": 1, "b": ["e": [1, 2]]], actual))
        #expect(Self.matches(["f": "..."], actual))
        #expect(!Self.matches(["a": 2], actual))
        #expect(!Self.matches(["b": ["e": [1]]], actual))
        #expect(!Self.matches(["z": "..."], actual))
    }
}

struct DocError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
