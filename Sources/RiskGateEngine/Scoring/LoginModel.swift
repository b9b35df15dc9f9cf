import Foundation
import RiskGatePolicy

/// The statistical login-history model (after Freeman et al., NDSS 2016): how much more likely
/// this login is under "someone attacking this account" than under "this user logging in".
///
/// ```
/// ratio = Π_levels Q(value | parent) / P_u(value | parent)  ×  p(user | attack) / p(user | legit)
/// ```
///
/// `Q` is the smoothed share of the value among all users' logins (the stand-in for an
/// attacker's login), `P_u` the user's own smoothed share, backing off to `Q` by the
/// Witten–Bell rule for values the user never used. The exact formulas, the squashing into
/// `model.risk` and the behaviour for new users are in docs/scoring.md.
///
/// Deterministic: the same history of `learn` calls gives the same scores.
public struct LoginModel: Sendable {
    /// Features listed in ``ModelAssessment/top``.
    public var topFeatures: Int

    public init(topFeatures: Int = 3) {
        self.topFeatures = max(0, topFeatures)
    }

    /// Scores one login against the user's and everyone's history; reads both, changes neither.
    ///
    /// - Complexity: one pass over the user's (at most 100) counted values and up to seven
    ///   dictionary reads under the global lock; no allocation.
    public func assess(_ features: LoginFeatures, user: UserModelCounts, global: GlobalLoginStats) -> ModelAssessment {
        // The user's counts: per level, the count of this value and the totals under its parent.
        var userCount = PerLevel<UInt32>(repeating: 0)
        var userSum = PerLevel<UInt32>(repeating: 0)
        var userDistinct = PerLevel<UInt32>(repeating: 0)
        let keys = features.keys
        let parents = features.parents
        for entry in user.entries {
            let level = Int(entry.level)
            guard entry.parent == parents[level] else { continue }
            userSum[level] &+= entry.count
            userDistinct[level] &+= 1
            if entry.key == keys[level] { userCount[level] = entry.count }
        }
        let counts = global.counts(for: features)

        var contributions = PerLevel<Double>(repeating: 0)
        var logRatio = 0.0
        for level in 0..<ModelLevel.count where keys[level] != 0 {
            let base = ModelLevel(rawValue: level)?.baseProbability ?? 1e-6
            // Global share of the value under its parent, Witten–Bell smoothed towards `base`.
            let gSum = Double(counts.siblingSum[level]), gDistinct = Double(counts.siblingDistinct[level])
            let q = gSum > 0 ? (Double(counts.count[level]) + gDistinct * base) / (gSum + gDistinct) : base
            // The user's share, backing off to the global share for unseen values.
            let uSum = Double(userSum[level]), uDistinct = Double(userDistinct[level])
            let p = uSum > 0 ? (Double(userCount[level]) + uDistinct * q) / (uSum + uDistinct) : q
            let c = log(q / p)
            contributions[level] = c
            logRatio += c
        }
        let account = LoginModel.accountLogRatio(userLogins: user.total, totalLogins: counts.total, users: counts.users)
        logRatio += account
        return ModelAssessment(logRatio: logRatio, accountLogRatio: account, userLogins: user.total,
                               contributions: contributions, features: features,
                               topLimit: topFeatures)
    }

    /// Learns one accepted login into the user's and the global counts.
    public func learn(_ features: LoginFeatures, user: inout UserModelCounts, global: GlobalLoginStats) {
        let isNewUser = learnUser(features, user: &user)
        global.record(features, newUser: isNewUser)
    }

    /// The user's half of ``learn(_:user:global:)``; returns whether it was the user's first login,
    /// which the global half needs (replay applies that half later, see `ReplayEngine` in RiskGateReplay).
    package func learnUser(_ features: LoginFeatures, user: inout UserModelCounts) -> Bool {
        let isNewUser = user.total == 0
        user.record(features)
        return isNewUser
    }

    /// `log(p(u | attack) / p(u | legit))` with attackers picking accounts uniformly and the
    /// legitimate share add-one smoothed: `log((N + U) / (U · (n_u + 1)))`.
    static func accountLogRatio(userLogins: Int, totalLogins: Int, users: Int) -> Double {
        let n = Double(max(userLogins, 0))
        let accounts = Double(max(users + (userLogins == 0 ? 1 : 0), 1))
        let logins = Double(max(totalLogins, userLogins))
        return log((logins + accounts) / (accounts * (n + 1)))
    }
}

/// The model's verdict on one login.
public struct ModelAssessment: Sendable, Hashable {
    /// `model.log_ratio`: natural log of the likelihood ratio; positive leans to attack.
    public let logRatio: Double
    /// The account term alone (`p(user | attack) / p(user | legit)`), included in ``logRatio``.
    public let accountLogRatio: Double
    /// Logins the user's counts held when scored.
    public let userLogins: Int
    package let contributions: PerLevel<Double>
    /// The scored features; their labels are built only when an explanation asks.
    package let features: LoginFeatures
    package var labels: [String] { features.labels }
    /// Per level, the scored value's key (0 when the level was left out).
    package var keys: PerLevel<UInt64> { features.keys }
    package let topLimit: Int

    /// `model.risk`: the logistic of ``logRatio``, i.e. the posterior probability of attack at even
    /// prior odds, `r / (1 + r)`. Monotone in the ratio; 0.5 is neutral.
    public var risk: Double { 1 / (1 + exp(-logRatio)) }

    /// The natural-log contribution of `level` (0 when the level was not used).
    public func contribution(of level: ModelLevel) -> Double { contributions[level.rawValue] }

    /// The terms that moved the ratio most (by absolute value, largest first; ties in level order),
    /// for explanations. The account term appears as feature `account`.
    public var top: [Decision.Explanation.ModelFeature] {
        var items: [Decision.Explanation.ModelFeature] = []
        let labels = self.labels
        for level in ModelLevel.allCases where keys[level.rawValue] != 0 {
            items.append(.init(feature: level.name, value: labels[level.rawValue],
                               logRatio: contributions[level.rawValue]))
        }
        items.append(.init(feature: "account", value: "\(userLogins) logins", logRatio: accountLogRatio))
        let ordered = items.enumerated().sorted {
            abs($0.element.logRatio) != abs($1.element.logRatio)
                ? abs($0.element.logRatio) > abs($1.element.logRatio) : $0.offset < $1.offset
        }
        return ordered.prefix(topLimit).map(\.element)
    }
}
