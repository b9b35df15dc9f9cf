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
    private var last: (header: String, chain: LoginFeatures.AgentChain)?

    package init() {}

    /// The chain of `agent` (non-empty), parsed on first sight.
    func chain(for agent: String) -> LoginFeatures.AgentChain { entry(for: agent).chain }

    /// The cached copy of `agent`, equal to it: storing it instead of the request's own string
    /// lets every login record with that header share one buffer.
    package func intern(_ agent: String) -> String { agent.isEmpty ? agent : entry(for: agent).header }

    private func entry(for agent: String) -> (header: String, chain: LoginFeatures.AgentChain) {
        // Interning then scoring asks twice in a row for the same (shared, so cheaply compared) header.
        if let last, last.header == agent { return last }
        let found: (header: String, chain: LoginFeatures.AgentChain)
        if let index = chains.index(forKey: agent) {
            let element = chains[index]
            found = (element.key, element.value)
        } else {
            let chain = LoginFeatures.agentChain(agent: agent, parsed: UserAgent(parsing: agent))
            if chains.count >= Self.capacity { chains.removeAll(keepingCapacity: true) }
            chains[agent] = chain
            found = (agent, chain)
        }
        last = found
        return found
    }
}
