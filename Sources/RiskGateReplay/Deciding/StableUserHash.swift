/// A hash of a user id that is the same in every process and on every machine (64-bit FNV-1a
/// over the UTF-8 bytes), unlike `String.hashValue`, which Swift seeds per process.
///
/// Replay assigns users to shards with it, so which shard holds a user never depends on the run.
enum StableUserHash {
    static func hash(_ user: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in user.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        return hash
    }

    /// The shard (0..<count) that owns `user`.
    static func shard(of user: String, count: Int) -> Int {
        count <= 1 ? 0 : Int(hash(user) % UInt64(count))
    }
}
