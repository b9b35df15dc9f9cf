@testable import RiskGate
@testable import RiskGatePolicy

/// The String-based parsers as they stood before the byte-level loader (commit 3640290), kept
/// verbatim as the oracle the new parsers are checked against. Only the entry points are renamed.
enum LegacyIPParsing {
    static func address<S: StringProtocol>(_ text: S) -> IPAddress? {
        var utf8 = Array(text.utf8)
        if utf8.count > 45 || utf8.isEmpty { return nil }
        if utf8.contains(UInt8(ascii: ":")) {
            guard let (h, l) = parseV6(&utf8) else { return nil }
            return IPAddress(v6High: h, low: l)
        } else {
            guard let v = parseV4(utf8[...]) else { return nil }
            return IPAddress(v4: v)
        }
    }

    static func network<S: StringProtocol>(_ text: S) -> IPNetwork? {
        if let slash = text.firstIndex(of: "/") {
            guard let address = address(text[text.startIndex..<slash]) else { return nil }
            let lengthText = text[text.index(after: slash)...]
            guard !lengthText.isEmpty, lengthText.count <= 3, lengthText.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let length = Int(lengthText), length <= address.bitWidth
            else { return nil }
            return IPNetwork(address: address, prefixLength: length)
        } else {
            guard let address = address(text) else { return nil }
            return IPNetwork(address: address, prefixLength: address.bitWidth)
        }
    }

    /// Note: splits on the `Character` "\n", so a CRLF ("\r\n" is one `Character`) never ends a line here.
    static func listFile(_ text: String) -> (set: IPSet, networks: Int, badLines: [IPListFile.BadLine]) {
        var networks: [IPNetwork] = []
        var bad: [IPListFile.BadLine] = []
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = rawLine[...]
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            let leading = line.prefix(while: { $0 == " " || $0 == "\t" || $0 == "\r" }).count
            let trimmed = line.drop(while: { $0 == " " || $0 == "\t" || $0 == "\r" })
                .reversed().drop(while: { $0 == " " || $0 == "\t" || $0 == "\r" }).reversed()
            if trimmed.isEmpty { continue }
            let entry = String(trimmed)
            if let network = network(entry) {
                networks.append(network)
            } else {
                bad.append(IPListFile.BadLine(line: lineNumber, column: leading + 1, text: String(entry.prefix(80))))
            }
        }
        return (IPSet(networks), networks.count, bad)
    }

    static func parseV4(_ bytes: ArraySlice<UInt8>) -> UInt32? {
        var result: UInt32 = 0
        var octets = 0
        var current: UInt32 = 0
        var digits = 0
        var leadingZero = false
        for byte in bytes {
            if byte == UInt8(ascii: ".") {
                guard digits > 0, octets < 3 else { return nil }
                result = result << 8 | current
                octets += 1
                current = 0
                digits = 0
                leadingZero = false
            } else if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                if digits == 1 && leadingZero { return nil }
                if digits == 0 && byte == UInt8(ascii: "0") { leadingZero = true }
                current = current * 10 + UInt32(byte - UInt8(ascii: "0"))
                digits += 1
                guard digits <= 3, current <= 255 else { return nil }
            } else {
                return nil
            }
        }
        guard digits > 0, octets == 3 else { return nil }
        return result << 8 | current
    }

    static func parseV6(_ bytes: inout [UInt8]) -> (UInt64, UInt64)? {
        var groups: [UInt16] = []
        groups.reserveCapacity(8)
        var doubleColonAt: Int? = nil
        var index = 0
        let count = bytes.count
        if count >= 2 && bytes[0] == UInt8(ascii: ":") {
            guard bytes[1] == UInt8(ascii: ":") else { return nil }
            doubleColonAt = 0
            index = 2
            if index == count { return (0, 0) }
        }
        while index < count {
            var end = index
            var hasDot = false
            while end < count && bytes[end] != UInt8(ascii: ":") {
                if bytes[end] == UInt8(ascii: ".") { hasDot = true }
                end += 1
            }
            if hasDot {
                guard end == count, let v4 = parseV4(bytes[index..<end]) else { return nil }
                groups.append(UInt16(v4 >> 16))
                groups.append(UInt16(v4 & 0xFFFF))
                index = end
                break
            }
            let length = end - index
            guard length >= 1, length <= 4 else { return nil }
            var value: UInt16 = 0
            for i in index..<end {
                guard let digit = hexValue(bytes[i]) else { return nil }
                value = value << 4 | UInt16(digit)
            }
            groups.append(value)
            guard groups.count <= 8 else { return nil }
            index = end
            if index == count { break }
            index += 1
            if index < count && bytes[index] == UInt8(ascii: ":") {
                guard doubleColonAt == nil else { return nil }
                doubleColonAt = groups.count
                index += 1
                if index == count { break }
            } else if index == count {
                return nil
            }
        }
        if let at = doubleColonAt {
            guard groups.count < 8 else { return nil }
            let missing = 8 - groups.count
            groups.insert(contentsOf: repeatElement(0, count: missing), at: at)
        }
        guard groups.count == 8 else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for i in 0..<4 { high = high << 16 | UInt64(groups[i]) }
        for i in 4..<8 { low = low << 16 | UInt64(groups[i]) }
        return (high, low)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
