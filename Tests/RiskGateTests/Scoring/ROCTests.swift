import Testing
@testable import RiskGateEngine

@Suite("ROC AUC")
struct ROCTests {
    @Test("hand example with ties counts pairs exactly")
    func handExample() throws {
        // Pairs (p, n): 0.9 beats all 3; 0.4 beats 0.1, ties 0.4 (half), loses to 0.8; 0.1 ties 0.1 (half).
        // wins = 3 + (1 + 0.5) + 0.5 = 5 of 9.
        let auc = try #require(ROC.auc(positives: [0.9, 0.4, 0.1], negatives: [0.8, 0.4, 0.1]))
        #expect(abs(auc - 5.0 / 9.0) < 1e-12)
    }

    @Test("perfect, inverted and constant scores")
    func extremes() {
        #expect(ROC.auc(positives: [3, 4], negatives: [1, 2]) == 1)
        #expect(ROC.auc(positives: [1, 2], negatives: [3, 4]) == 0)
        #expect(ROC.auc(positives: [7, 7], negatives: [7, 7, 7]) == 0.5)
    }

    @Test("empty class gives nil; NaN ranks lowest")
    func edges() {
        #expect(ROC.auc(positives: [], negatives: [1]) == nil)
        #expect(ROC.auc(positives: [1], negatives: []) == nil)
        #expect(ROC.auc(positives: [0], negatives: [.nan]) == 1)
        #expect(ROC.auc(positives: [.nan], negatives: [-.infinity]) == 0.5)
    }
}
