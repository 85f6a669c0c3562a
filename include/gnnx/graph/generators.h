#pragma once
/// Graph generators: Barabási–Albert preferential attachment, balanced binary trees, the motif
/// templates of the explanation benchmarks (house, cycle, grid, wheel), attaching a motif to a graph,
/// and random edge perturbation. gnnx::datasets builds its benchmarks from these.
///
/// Two representations:
///   EdgeList         undirected edges as (u, v) pairs on node ids 0..n-1, one pair per edge,
///                    u < v not required; what a generator returns.
///   UndirectedGraph  a Boost.Graph adjacency_list under construction, vertex i = node i. Its
///                    setS out-edge lists make a repeated edge a no-op (networkx's
///                    Graph.add_edge), so it stays simple while motifs and random edges go in.
/// undirected_edge_index (graph/ops.h) turns either's edges into a Graph's edge_index.
///
/// Randomness: every random generator takes a gnnx::Rng& to continue a stream (so a benchmark
/// draws its base graph, plugs and perturbation from one seed, in order) and has an overload
/// taking a seed, equal to the Rng& version run on Rng(seed). Draws go through gnnx::uniform_int
/// (boost::random), so the same seed gives the same graph with any compiler and standard library.

#include <cstdint>
#include <utility>
#include <vector>

#include <boost/graph/adjacency_list.hpp>

#include "gnnx/core/random.h"

namespace gnnx {

/// Undirected edges as (u, v) pairs, one per edge, on local node ids.
using EdgeList = std::vector<std::pair<int64_t, int64_t>>;

/// A simple undirected graph under construction: vertex i is node i; adding an edge that is
/// already there (in either direction) changes nothing.
using UndirectedGraph = boost::adjacency_list<boost::setS, boost::vecS, boost::undirectedS>;

/// Barabási–Albert preferential attachment as in networkx 2.x (barabasi_albert_graph): nodes
/// 0..m-1 start without edges, node m joins all of them, and each later node joins m distinct
/// earlier nodes drawn with probability proportional to degree (uniform draws from the list of
/// edge endpoints so far). n nodes, exactly m (n - m) edges, no self loops or repeats, listed
/// node by node (node m's edges first). Throws gnnx::Error unless n > m >= 1.
EdgeList barabasi_albert(int64_t n, int64_t m, Rng& rng);
EdgeList barabasi_albert(int64_t n, int64_t m, uint64_t seed);

/// The balanced binary tree of the given depth (depth 0: one node): 2^(depth+1) - 1 nodes in
/// breadth-first order, the children of node i being 2i+1 and 2i+2; 2^(depth+1) - 2 edges
/// (i, child). Throws gnnx::Error unless 0 <= depth <= 30.
EdgeList balanced_binary_tree(int64_t depth);

/// The house: 5 nodes, 6 edges (0,1) (1,2) (2,3) (3,0) (4,0) (4,1): a square 0-1-2-3 whose
/// side 0-1 carries the roof apex 4.
EdgeList house_motif();
/// The cycle on `length` nodes: edges (i, i+1 mod length), as many as nodes. Throws
/// gnnx::Error unless length >= 3.
EdgeList cycle_motif(int64_t length);
/// The side x side grid: node (r, c) is r * side + c, edges to the right and downward
/// neighbours, 2 side (side - 1) edges. Throws gnnx::Error unless side >= 2.
EdgeList grid_motif(int64_t side);

/// The wheel on `nodes` nodes (networkx's wheel_graph): hub 0 joined to every rim node 1..nodes-1,
/// and the rim a cycle (1, 2), ..., (nodes-1, 1); 2 (nodes - 1) edges. Throws gnnx::Error unless
/// nodes >= 4.
EdgeList wheel_motif(int64_t nodes);
/// g's edges once each, in boost::edges() order.
EdgeList edge_list(const UndirectedGraph& g);

/// Appends a motif to g: motif_nodes new nodes (ids first .. first + motif_nodes - 1, first =
/// the node count before), the motif's edges among them (local ids shifted by first), then the
/// edge (first, plug) joining the motif's node 0 to g. Returns first. Throws gnnx::Error unless
/// every motif id lies in [0, motif_nodes) and plug is a node of g before the call.
int64_t attach_motif(UndirectedGraph& g, const EdgeList& motif, int64_t motif_nodes, int64_t plug);

/// Random perturbation (the original GNNExplainer code's perturb): adds `count` new edges, each
/// drawn as u, v uniform over all nodes and drawn again until u != v and (u, v) is not an edge
/// yet. Throws gnnx::Error when g has fewer than `count` non-edges (count < 0 is an error too).
void add_random_edges(UndirectedGraph& g, int64_t count, Rng& rng);
void add_random_edges(UndirectedGraph& g, int64_t count, uint64_t seed);

}  // namespace gnnx
