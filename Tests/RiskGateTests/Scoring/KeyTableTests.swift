import Testing
@testable import RiskGateEngine

@Suite("Key table")
struct KeyTableTests {
    @Test("agrees with Dictionary through growth, overwrite and removal")
    func matchesDictionary() {
        var table = KeyTable<Int>()
        var reference: [UInt64: Int] = [:]
        var rng = SeededRandom(seed: 9)
        for i in 0..<5000 {
            // Small keys collide in the low bits; random ones do not: mix both.
            let key = i % 3 == 0 ? UInt64(i % 700 + 1) : rng.next() | 1
            table[key] = i
            reference[key] = i
            if i % 97 == 0, let victim = reference.keys.min() {
                table[victim] = nil
                reference[victim] = nil
            }
        }
        #expect(table.count == reference.count)
        for (key, value) in reference { #expect(table[key] == value) }
        #expect(Dictionary(uniqueKeysWithValues: table.map { ($0.key, $0.value) }) == reference)
        #expect(table[0xDEAD_BEEF_0000_0001] == nil)
        let odd = table.filter { _, v in v % 2 == 1 }
        #expect(odd.count == reference.values.filter { $0 % 2 == 1 }.count)
    }

    @Test("upsert and modify agree with reading and writing through the subscript")
    func upsertAndModify() {
        var table = KeyTable<Int>()
        var reference = KeyTable<Int>()
        var rng = SeededRandom(seed: 11)
        for i in 0..<5000 {
            let key = i % 2 == 0 ? UInt64(i % 300 + 1) : rng.next() | 1
            let inserted = table.upsert(key, make: { 1 }, update: { $0 += 1 })
            #expect(inserted == (reference[key] == nil))
            reference[key] = (reference[key] ?? 0) + 1
            let other = UInt64(i % 500 + 1)
            table.modify(other) { $0 *= 3 }
            if let v = reference[other] { reference[other] = v * 3 }
        }
        #expect(table.count == reference.count)
        // Same operations at the same counts: the same layout, so the same iteration order.
        #expect(table.map { [$0.key, UInt64($0.value)] } == reference.map { [$0.key, UInt64($0.value)] })
    }
}
