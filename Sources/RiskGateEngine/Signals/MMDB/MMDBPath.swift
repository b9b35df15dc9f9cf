import Foundation

/// A path of map keys into an MMDB record (`country` → `iso_code`), held as the NULL-terminated
/// C string array libmaxminddb takes, built once so a lookup allocates nothing for it.
public final class MMDBPath: @unchecked Sendable {
    let pointers: UnsafeMutablePointer<UnsafePointer<CChar>?>
    private let count: Int
    /// The keys, for messages.
    public let keys: [String]

    public init(_ keys: String...) {
        self.keys = keys
        count = keys.count
        pointers = .allocate(capacity: keys.count + 1)
        for (index, key) in keys.enumerated() { pointers[index] = UnsafePointer(strdup(key)) }
        pointers[keys.count] = nil
    }

    deinit {
        for index in 0..<count { free(UnsafeMutablePointer(mutating: pointers[index])) }
        pointers.deallocate()
    }
}
