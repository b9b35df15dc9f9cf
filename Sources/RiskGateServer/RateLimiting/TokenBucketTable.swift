import Foundation

/// Token buckets by client (an API key id, an address), with bounded memory.
///
/// Split into shards, each a dictionary behind its own lock, so concurrent requests rarely wait on
/// each other; the critical section is a hash lookup and a few floating-point operations.
///
/// Memory is bounded by `capacity`: a shard that is full when a new client arrives first forgets
/// every bucket that has refilled to its burst (the same as a fresh one, so nothing is lost), and
/// if that frees too little, forgets arbitrary buckets until it is three-quarters full. The second
/// step fails open — a forgotten client starts again with a full burst — which is the price of
/// a fixed footprint under a flood of distinct addresses; it also means a sweep, O(shard size),
/// happens at most once per quarter-shard of new clients.
package final class TokenBucketTable: @unchecked Sendable {
    let limit: RateLimit
    let capacity: Int
    private let shards: [Shard]
    private let shardCapacity: Int

    private final class Shard {
        let lock = NSLock()
        var buckets: [String: TokenBucket] = [:]
    }

    package init(limit: RateLimit, capacity: Int, shardCount: Int = 16) {
        precondition(capacity > 0 && shardCount > 0)
        self.limit = limit
        let shardCount = min(shardCount, capacity)
        self.capacity = capacity
        shardCapacity = max(1, capacity / shardCount)
        shards = (0..<shardCount).map { _ in Shard() }
    }

    /// Takes a token from `client`'s bucket; nil when allowed, otherwise the seconds to wait.
    package func take(_ client: String, now: Double) -> Int? {
        let shard = shard(for: client)
        return shard.lock.withLock {
            if shard.buckets[client] == nil { insert(client, into: shard, now: now) }
            return shard.buckets[client]!.take(limit, now: now)
        }
    }

    /// Whether `client` has a token, without taking it; nil when yes, otherwise the seconds to wait.
    /// A client without a bucket has a full one, so none is made.
    package func check(_ client: String, now: Double) -> Int? {
        let shard = shard(for: client)
        return shard.lock.withLock {
            guard shard.buckets[client] != nil else { return nil }
            return shard.buckets[client]!.check(limit, now: now)
        }
    }

    /// Buckets held now, across shards.
    package var count: Int { shards.reduce(0) { total, shard in total + shard.lock.withLock { shard.buckets.count } } }

    private func shard(for client: String) -> Shard {
        shards[Int(UInt(bitPattern: client.hashValue) % UInt(shards.count))]
    }

    /// Called with the shard's lock held.
    private func insert(_ client: String, into shard: Shard, now: Double) {
        if shard.buckets.count >= shardCapacity {
            let limit = limit
            shard.buckets = shard.buckets.filter { !$0.value.isFull(limit, now: now) }
            let target = shardCapacity * 3 / 4
            if shard.buckets.count > target {
                // Dictionary order is as good as random here (string hashes are seeded per process).
                for client in Array(shard.buckets.keys.prefix(shard.buckets.count - target)) {
                    shard.buckets[client] = nil
                }
            }
        }
        shard.buckets[client] = TokenBucket(limit: limit, now: now)
    }
}
