#pragma once
/// Graph edit distance between small unlabelled graphs, for comparing a prototype graph with a
/// benchmark's motif.
///
/// A graph is its undirected edge list; its nodes are the ids that appear in an edge (isolated
/// nodes are not part of it), renumbered in order of appearance. Every insertion and deletion of
/// a node or an edge costs 1 (no substitutions: nodes and edges carry no labels). Then
///   GED(G, H) = | |V_G| − |V_H| | + min over bijections π of the padded node sets of the number
///               of node pairs that are an edge in one graph and not in the other,
/// since mapping two nodes onto each other never costs more than deleting one and inserting the
/// other. The minimum comes from the exact aligner (explain/alignment.h: VF2, then branch and
/// bound) when the larger graph has at most max_exact_nodes nodes; above that from the sinkhorn
/// aligner, an upper bound, flagged exact = false.

#include <cstdint>

#include "gnnx/graph/generators.h"

namespace gnnx::metrics {

struct EditDistance {
  double distance = 0;  ///< node and edge insertions and deletions
  bool exact = true;    ///< false: an upper bound (graphs above max_exact_nodes)
};

/// Throws gnnx::Error naming "graph_edit_distance" for a negative id or a self loop, or
/// max_exact_nodes < 1. Repeated edges count once.
EditDistance graph_edit_distance(const EdgeList& a, const EdgeList& b, int64_t max_exact_nodes = 10);

/// graph_edit_distance(a, b).distance == 0, decided exactly at any size (Boost.Graph isomorphism).
bool isomorphic(const EdgeList& a, const EdgeList& b);

}  // namespace gnnx::metrics
