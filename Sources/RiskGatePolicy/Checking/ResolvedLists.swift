import Foundation

/// The policy's named lists, loaded: the `resolveLists` stage.
package struct ResolvedLists: Sendable {
    package enum Kind: Sendable { case ip, string }

    package struct Entry: Sendable {
        package var kind: Kind
        package var index: Int
        package var position: SourcePosition
    }

    package var byName: [String: Entry] = [:]
    package var ipSets: [IPSet] = []
    package var stringSets: [Set<String>] = []
    /// The union of lists marked `anonymous: true`.
    package var anonymous = IPSet()

    /// Most bad lines reported per list file.
    static let maxBadLinesReported = 20
    /// Largest list file read.
    static let maxListFileBytes = 256 << 20

    /// Loads `file:` lists (relative to `baseDirectory`), parses `cidrs:`, collects `values:`.
    ///
    /// With `confined`, a list file must lie inside `baseDirectory` (see ``confinedPath(_:in:)``)
    /// and a bad line is reported by position only, so a policy from an untrusted sender can
    /// neither read files elsewhere nor have their lines quoted back.
    package static func resolve(_ document: PolicyDocument, anonymousLists: Set<String>, baseDirectory: String?,
                                confined: Bool = false, diagnostics d: inout DiagnosticBag) -> ResolvedLists {
        var lists = ResolvedLists()
        for declaration in document.lists {
            let name = declaration.name.value
            if let first = lists.byName[name] {
                // YAML reported the duplicate key already (RG1006); this is the same mistake, said better.
                d.remove(.duplicateKey, at: declaration.name.position)
                d.error(.duplicateListName, "list `\(name)` is defined twice", at: declaration.name.position,
                        help: "first defined at line \(first.position.line); rename one, or merge their entries into one list")
                continue
            }
            switch declaration.source {
            case .values(let values):
                lists.byName[name] = Entry(kind: .string, index: lists.stringSets.count, position: declaration.name.position)
                lists.stringSets.append(Set(values))
            case .cidrs(let items):
                var networks: [IPNetwork] = []
                for item in items {
                    if let network = IPNetwork(item.value) {
                        networks.append(network)
                    } else {
                        d.error(.badCIDR, "`\(item.value)` is not an IP address or CIDR network", at: item.position,
                                help: "e.g. `203.0.113.0/24` or `2001:db8::/32`")
                    }
                }
                let set = IPSet(networks)
                lists.byName[name] = Entry(kind: .ip, index: lists.ipSets.count, position: declaration.name.position)
                lists.ipSets.append(set)
                if anonymousLists.contains(name) { lists.anonymous = lists.anonymous.union(set) }
            case .file(let path):
                if let refusal = refusal(of: path.value, confined: confined, baseDirectory: baseDirectory) {
                    // Refused unread; the list still exists (empty), so its uses report nothing more.
                    d.error(refusal.code, refusal.message, at: path.position, help: refusal.help)
                    lists.byName[name] = Entry(kind: .ip, index: lists.ipSets.count, position: declaration.name.position)
                    lists.ipSets.append(IPSet())
                    continue
                }
                let resolved = path.value.hasPrefix("/") || baseDirectory == nil
                    ? path.value : (baseDirectory! as NSString).appendingPathComponent(path.value)
                let display = path.value.hasPrefix("/") ? path.value : ((d.file as NSString).deletingLastPathComponent as NSString).appendingPathComponent(path.value)
                var set = IPSet()
                if let size = (try? FileManager.default.attributesOfItem(atPath: resolved))?[.size] as? Int, size > maxListFileBytes {
                    d.error(.listFileMissing, "list file `\(path.value)` is larger than \(maxListFileBytes >> 20) MiB", at: path.position,
                            help: "split it into several lists, or keep only the networks this policy needs")
                } else if let data = FileManager.default.contents(atPath: resolved) {
                    let text = String(decoding: data, as: UTF8.self)
                    let parsed = IPListFile.parse(text)
                    set = parsed.set
                    if !parsed.badLines.isEmpty {
                        // Split on `\n` bytes, as the list parser counts lines: `\r\n` is one
                        // Character, so a split on Characters would not break there.
                        let lines = text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
                        for bad in parsed.badLines.prefix(maxBadLinesReported) {
                            let sourceLine = !confined && bad.line <= lines.count ? Substring(lines[bad.line - 1]).droppingCR() : nil
                            let message = confined ? "this line is not an IP address or CIDR network"
                                : "`\(bad.text)` is not an IP address or CIDR network"
                            d.error(.listFileBadLine, message, file: display,
                                    line: bad.line, column: bad.column, sourceLine: sourceLine,
                                    help: "list files hold one IP or CIDR a line; `#` starts a comment")
                        }
                        if parsed.badLines.count > maxBadLinesReported {
                            d.error(.listFileBadLine, "\(parsed.badLines.count - maxBadLinesReported) more bad lines in `\(path.value)`",
                                    at: path.position, help: "list files hold one IP or CIDR a line; `#` starts a comment")
                        }
                    }
                } else {
                    var isDirectory: ObjCBool = false
                    let exists = FileManager.default.fileExists(atPath: resolved, isDirectory: &isDirectory)
                    d.error(.listFileMissing, exists ? "list file `\(path.value)` cannot be read" : "list file `\(path.value)` does not exist",
                            at: path.position, help: "paths are relative to the policy file's folder (looked for `\(normalised(resolved))`)")
                }
                lists.byName[name] = Entry(kind: .ip, index: lists.ipSets.count, position: declaration.name.position)
                lists.ipSets.append(set)
                if anonymousLists.contains(name) { lists.anonymous = lists.anonymous.union(set) }
            }
        }
        return lists
    }

    /// `path` without `.` components and repeated `/`: `././lists/a.txt` is shown as `lists/a.txt`.
    /// (`..` is kept: without resolving links, dropping it could name another file.)
    static func normalised(_ path: String) -> String {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }
        let joined = parts.joined(separator: "/")
        if path.hasPrefix("/") { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }

    /// Why a list file path must not be read, or `nil`: a control character (file APIs cut a path
    /// at a NUL, so `a\0b` would name another file than the one checked), or, when `confined`, a
    /// path outside `baseDirectory`.
    private static func refusal(of path: String, confined: Bool, baseDirectory: String?)
        -> (code: DiagnosticCode, message: String, help: String)? {
        if path.utf8.contains(where: { $0 < 0x20 }) {
            return (.listFileMissing, "list file path has a control character", "name the file by a plain path")
        }
        if confined && confinedPath(path, in: baseDirectory) == nil {
            return (.listFileOutsideFolder, "list file `\(path)` is outside the policy folder",
                    "a policy sent to the service may only name files inside its policy folder, by a relative path without `..`")
        }
        return nil
    }

    /// `path` resolved inside `folder`, or `nil` when it is absolute, has a `..` component, or
    /// leads out of `folder` through a link (both sides compared with links resolved). Paths with
    /// control characters are refused before this (``refusal(of:confined:baseDirectory:)``).
    package static func confinedPath(_ path: String, in folder: String?) -> String? {
        guard let folder, !path.isEmpty, !path.hasPrefix("/"),
              !path.split(separator: "/").contains("..") else { return nil }
        let root = URL(fileURLWithPath: folder).standardizedFileURL.resolvingSymlinksInPath().path
        let target = URL(fileURLWithPath: (root as NSString).appendingPathComponent(path))
            .standardizedFileURL.resolvingSymlinksInPath().path
        let prefix = root.hasSuffix("/") ? root : root + "/"
        return target.hasPrefix(prefix) ? target : nil
    }
}
