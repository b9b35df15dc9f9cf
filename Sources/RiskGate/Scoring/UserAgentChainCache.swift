/// Parsed user agents and their agent-chain keys, by header.
///
/// A stream of logins carries few distinct headers (hundreds across millions of logins), and
/// parsing one costs microseconds, so a long-lived caller (replay) parses each header once.
/// Bounded: when ``capacity`` headers are held the cache starts over, so hostile streams of
/// unique headers cost a parse each, as without the cache. Not thread-safe: one owner.
package final class UserAgentChainCache {
    /// Most headers held.
    package static let capacity = 4096
    private var chains: [String: LoginFeatures.AgentChain] = [:]

    package init() {}

    /// The chain of `agent` (non-empty), parsed on first sight.
    func chain(for agent: String) -> LoginFeatures.AgentChain {
        if let chain = chains[agent] { return chain }
        let chain = LoginFeatures.agentChain(agent: agent, parsed: UserAgent(parsing: agent))
        if chains.count >= Self.capacity { chains.removeAll(keepingCapacity: true) }
        chains[agent] = chain
        return chain
    }
}
