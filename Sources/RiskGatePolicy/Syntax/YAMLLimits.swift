/// Bounds that keep hostile YAML from exhausting time or memory.
///
/// Aliases are allowed (they are handy for sharing a list of channels), but every alias
/// expansion counts toward ``maxNodes``, so a "billion laughs" document stops after at most
/// that many nodes are accounted, without materialising them.
package struct YAMLLimits: Sendable {
    /// Largest accepted file, in bytes (docs/policy-language.md: 1 MiB).
    package var maxBytes = 1 << 20
    /// Deepest nesting of sequences and mappings.
    package var maxDepth = 64
    /// Total nodes, including every alias expansion.
    package var maxNodes = 100_000
    /// Longest scalar, in bytes.
    package var maxScalarBytes = 64 * 1024

    package init() {}
    package static let standard = YAMLLimits()
}
