#pragma once
/// Structural operations on graphs: degrees, self loops, CSR/CSC views, computation subgraphs,
/// batching several graphs into one disjoint union, and conversion to Boost.Graph.

#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>
#include <boost/graph/adjacency_list.hpp>

#include "gnnx/graph/graph.h"

namespace gnnx {

/// Number of occurrences of each id of index ([E] int64) in [0, num_nodes): in-degree when given
/// edge_index[1], out-degree for edge_index[0]. With weight [E], the weighted degree. Float result.
at::Tensor degree(const at::Tensor& index, int64_t num_nodes, const at::Tensor& weight = {});

/// Appends one self loop (i, i) per node, after the existing edges. Returns the new edge_index
/// and, when edge_weight is defined, the weights with `fill` for the loops.
std::pair<at::Tensor, at::Tensor> add_self_loops(const at::Tensor& edge_index, int64_t num_nodes,
                                                 const at::Tensor& edge_weight = {}, double fill = 1.0);
/// Drops every edge (i, i); keeps the order of the others.
std::pair<at::Tensor, at::Tensor> remove_self_loops(const at::Tensor& edge_index, const at::Tensor& edge_weight = {});
/// Graph versions of the above (x and y kept).
Graph add_self_loops(const Graph& g, double fill = 1.0);
Graph remove_self_loops(const Graph& g);

/// Compressed rows: for node v the neighbours are col[rowptr[v] .. rowptr[v+1]), and perm maps
/// each CSR slot back to its edge id in edge_index (so edge_weight[perm] lines up with col).
struct Compressed {
  at::Tensor rowptr;  ///< [N + 1] int64
  at::Tensor col;     ///< [E] int64
  at::Tensor perm;    ///< [E] int64 edge ids
};
/// Grouped by source (out-edges): col holds targets.
Compressed to_csr(const at::Tensor& edge_index, int64_t num_nodes);
/// Grouped by target (in-edges): col holds sources. The layout message passing aggregates over.
Compressed to_csc(const at::Tensor& edge_index, int64_t num_nodes);

/// A computation subgraph and its mapping back to the full graph.
struct Subgraph {
  Graph graph;          ///< relabelled: node i here is node_ids[i] in the full graph
  at::Tensor node_ids;  ///< [n] int64, sorted ascending, full-graph ids of the kept nodes
  at::Tensor edge_ids;  ///< [e] int64, full-graph ids of the kept edges, in their original order
  at::Tensor center;    ///< [len(nodes)] int64, positions of the requested nodes in node_ids
};

/// The k-hop computation subgraph G_c(v) of `nodes` for an L = k layer message-passing model:
/// every node from which a node of `nodes` is reachable along at most k edges (messages flow
/// source -> target), and every edge whose both ends are kept (PyG's k_hop_subgraph with
/// flow="source_to_target"). Features, weights and labels are sliced along.
Subgraph k_hop_subgraph(const Graph& g, const at::Tensor& nodes, int64_t k);
Subgraph k_hop_subgraph(const Graph& g, int64_t node, int64_t k);
/// The k-hop subgraph of each node of `nodes`, one Subgraph per node, each equal to
/// k_hop_subgraph(g, nodes[i], k). The graph is checked once and its in-edges grouped once on the
/// CPU; each subgraph then costs time in proportion to its own size, not the graph's, and the
/// subgraphs are cut in parallel (TBB). Results are on g's device.
std::vector<Subgraph> k_hop_subgraphs(const Graph& g, const std::vector<int64_t>& nodes, int64_t k);
/// (nodes, edges) of k_hop_subgraph(g, nodes[i], k) for each node of `nodes`, without building
/// the subgraphs: one in-edge index, then time in proportion to each subgraph (TBB across nodes).
/// How explain_stream sizes its compact batches.
std::vector<std::pair<int64_t, int64_t>> k_hop_sizes(const Graph& g, const std::vector<int64_t>& nodes, int64_t k);
/// What a model with receptive field `hops` reads around each node of `nodes`:
/// k_hop_subgraphs(g, nodes, hops) when hops >= 0, else (unknown reach) the whole graph for
/// each node, sharing g's tensors (center = the node's own id).
std::vector<Subgraph> computation_subgraphs(const Graph& g, const std::vector<int64_t>& nodes, int64_t hops);

/// Several graphs as one disjoint union: node ids of graph b are shifted by ptr[b].
struct Batch {
  Graph graph;          ///< the union; y concatenated when every part has labels
  at::Tensor batch;     ///< [N] int64, graph id of each node
  at::Tensor ptr;       ///< [B + 1] int64, node offsets
  at::Tensor edge_ptr;  ///< [B + 1] int64, edge offsets
  int64_t size() const { return ptr.numel() - 1; }
};
/// All graphs must agree on feature width, dtype, device and on having weights/labels.
Batch batch_graphs(const std::vector<Graph>& graphs);
/// Inverse of batch_graphs.
std::vector<Graph> unbatch(const Batch& b);

/// Boost.Graph view: vertex i is node i, one Boost edge per column of edge_index, in order
/// (so boost edge k has edge_index column k, stored as its edge_index property).
using BoostGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS, boost::no_property,
                                         boost::property<boost::edge_index_t, int64_t>>;
BoostGraph to_boost(const Graph& g);
/// Builds edge_index from a Boost graph's edges in the order boost::edges() lists them.
at::Tensor edge_index_from_boost(const BoostGraph& bg);

/// Undirected simple adjacency (both directions, no duplicates, no self loops) from an
/// undirected edge list; a helper for generators and tests.
at::Tensor undirected_edge_index(const std::vector<std::pair<int64_t, int64_t>>& edges);

}  // namespace gnnx
