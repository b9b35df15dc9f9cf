import Testing
@testable import RiskGatePolicy

@Suite struct ExpressionParserTests {
    func parse(_ text: String) -> Expression? { ExpressionParser.parse(text).0 }

    @Test func quantitiesAreCanonical() {
        #expect(parse("30s")?.kind == .quantity(30, .duration))
        #expect(parse("5m")?.kind == .quantity(300, .duration))
        #expect(parse("2h")?.kind == .quantity(7200, .duration))
        #expect(parse("7d")?.kind == .quantity(604_800, .duration))
        #expect(parse("900 km/h")?.kind == .quantity(900, .speed))
        #expect(parse("50 km")?.kind == .quantity(50, .distance))
        #expect(parse("50km")?.kind == .quantity(50, .distance))
    }

    @Test func precedence() throws {
        let e = try #require(parse("not a or b and c == 1 + 2 * 3"))
        guard case .binary(.or, let left, let right) = e.kind else { Issue.record("top is not `or`"); return }
        #expect(left.kind == .not(Expression(.name("a"), start: 4, end: 5)))
        guard case .binary(.and, _, let comparison) = right.kind, case .binary(.equal, _, let sum) = comparison.kind,
              case .binary(.add, _, let product) = sum.kind, case .binary(.multiply, _, _) = product.kind
        else { Issue.record("wrong shape: \(right.kind)"); return }
    }

    @Test func notInAndLists() {
        guard case .membership(_, let list, negated: true)? = parse("channel not in [\"chat\", \"voice\"]")?.kind,
              case .list(let items) = list.kind else { Issue.record("not a negated membership"); return }
        #expect(items.count == 2)
    }

    @Test func errorsCarryOffsets() {
        let (e, problems) = ExpressionParser.parse("device.new and (score >= 5")
        #expect(e == nil)
        #expect(problems.map(\.offset) == [26])
        #expect(ExpressionParser.parse("a && b").1.map(\.code) == [.unexpectedCharacter])
        #expect(ExpressionParser.parse("").1.map(\.code) == [.unexpectedToken])
        #expect(ExpressionParser.parse("3furlongs").1.map(\.code) == [.badNumber])
    }

    @Test func suggestions() {
        #expect(Suggestions.closest(to: "geo.velocity", in: Signal.allNames) == "geo.velocity_kmh")
        #expect(Suggestions.closest(to: "devce.new", in: Signal.allNames) == "device.new")
        #expect(Suggestions.closest(to: "zzzzzz", in: Signal.allNames) == nil)
    }
}
