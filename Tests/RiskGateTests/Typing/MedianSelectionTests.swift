import Testing
@testable import RiskGateEngine

/// The detector's medians come from selection, not sorting; they must be exactly the sorted values.
@Suite struct MedianSelectionTests {
    private func sortedMedian(_ values: [Double]) -> Double {
        let s = values.sorted()
        guard !s.isEmpty else { return 0 }
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    @Test(arguments: [0, 1, 2, 3, 4, 5, 10, 49, 50, 51])
    func selectionMedianEqualsSortedMedian(count: Int) {
        var generator = SeededRandom(seed: UInt64(count) &+ 1)
        for round in 0..<200 {
            // Few distinct values in some rounds, so ties and runs of equal values are exercised.
            let distinct = round % 3 == 0 ? 3 : 1_000
            var values = (0..<count).map { _ in Double(generator.next() % UInt64(distinct)) * 0.5 - 100 }
            if round % 7 == 0 { values.sort() }
            if round % 11 == 0 { values.sort(by: >) }
            let expected = sortedMedian(values)
            var copy = values
            #expect(NeighbourDistance.median(&copy) == expected)
            #expect(copy.sorted() == values.sorted())
        }
    }

    @Test func selectionPartitionsAroundTheKthValue() {
        var generator = SeededRandom(seed: 99)
        for count in 1...40 {
            for k in 0..<count {
                var values = (0..<count).map { _ in Double(generator.next() % 17) }
                let expected = values.sorted()[k]
                let result = values.withUnsafeMutableBufferPointer { NeighbourDistance.select($0, k) }
                #expect(result == expected)
                #expect(values[..<k].allSatisfy { $0 <= expected })
                #expect(values[(k + 1)...].allSatisfy { $0 >= expected })
            }
        }
    }

    @Test("a median found near a guess equals the sorted median, for near, far and equal guesses",
          arguments: [1, 2, 3, 4, 9, 10, 11, 49, 50])
    func medianNearGuess(count: Int) {
        var generator = SeededRandom(seed: UInt64(count) &* 31)
        for round in 0..<400 {
            let distinct = round % 3 == 0 ? 4 : 500
            let values = (0..<count).map { _ in Double(generator.next() % UInt64(distinct)) * 0.5 - 50 }
            let expected = sortedMedian(values)
            let sorted = values.sorted()
            // Guesses: the median itself, order statistics around it, a value between two, and far away.
            let k = Int(generator.next() % UInt64(count))
            let guesses = [expected, sorted[k], sorted[k] + 0.25, sorted[count / 2] - 0.25, -1e9, 1e9, .nan]
            for guess in guesses {
                var copy = values
                let median = copy.withUnsafeMutableBufferPointer { NeighbourDistance.median($0, near: guess) }
                #expect(median == expected, "guess \(guess) in \(values)")
                #expect(copy.sorted() == sorted)
            }
        }
    }

    @Test("a template learns the same statistics with and without guesses")
    func templateStatisticsMatchBatch() {
        var generator = SeededRandom(seed: 5)
        var template = TypingTemplate(field: "password", length: 4)
        for _ in 0..<120 {
            template.learn((0..<10).map { _ in Double(generator.next() % 300) })
            let batch = NeighbourDistance.centreAndScale(template.samples)
            #expect(template.centre == batch.centre)
            #expect(template.scale == batch.scale)
        }
    }
}
