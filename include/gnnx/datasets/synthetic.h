#pragma once
/// Synthetic explanation benchmarks with ground truth: BA-Shapes, BA-Community, Tree-Cycles,
/// Tree-Grid (node classification, GNNExplainer, Ying et al. 2019), BA-2Motifs (graph
/// classification, PGExplainer, Luo et al. 2020), BA-growth ("tree" vs "not tree", GNN-LRP,
/// Schnake et al. 2021), BA-MultiShapes (two motif kinds vs. not, Azzolin et al. 2023) and
/// Infection (distance to an infected node, Faber et al. 2021).
///
/// Defaults reproduce the original GNNExplainer code (gengraph.py / synthetic_structsim.py),
/// which produced the paper's numbers; where the paper's text differs, the option that gives
/// the paper's variant is documented next to the default.
///
/// Graphs are built from the generators of gnnx/graph/generators.h (a Boost.Graph
/// adjacency_list, motifs attached to a base graph). Every random draw goes through gnnx::Rng
/// (std::mt19937_64) and gnnx::uniform_int / uniform_real / normal (boost::random), so the same
/// seed gives the same bytes with any compiler and standard library.
///
/// Node numbering (node tasks): the base graph first (BA: 0..n_base-1; tree: 0..510 in
/// breadth-first order, children of i are 2i+1 and 2i+2), then the motifs one after the other,
/// each occupying a contiguous block (BA-Shapes: houses at 300..699, house k at 300+5k..304+5k).
/// edge_index holds both directions of every undirected edge, sorted by (source, target).

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "gnnx/core/arg.h"
#include "gnnx/core/random.h"
#include "gnnx/graph/generators.h"
#include "gnnx/graph/graph.h"
#include "gnnx/nn/models/gnn.h"
#include "gnnx/nn/train.h"

namespace gnnx::datasets {

/// A generated benchmark with its ground truth.
struct Dataset {
  /// "ba-shapes", "ba-community", "tree-cycles", "tree-grid", "ba-2motifs", "ba-growth",
  /// "ba-multishapes" or "infection".
  std::string name;
  /// kNode (one graph, one label per node) or kGraph (many graphs, one label each).
  nn::Task task = nn::Task::kNode;
  /// Exactly one graph for node tasks. Each graph has x [N, F] float32 and y: [N] int64 role
  /// labels (node task) or [1] int64 graph label (graph task).
  std::vector<Graph> graphs;
  /// Per graph, [E] float32 0/1: 1 for an edge of a motif (both directions of each motif edge,
  /// only the template's edges: the edge joining a motif to the base and random edges that
  /// happen to join two motif nodes are 0). BA-growth: 1 for an edge on a cycle (non-bridge).
  std::vector<at::Tensor> edge_mask_gt;
  /// Per graph, [N] float32 0/1: 1 for a motif node (BA-growth: a node on a cycle).
  std::vector<at::Tensor> node_mask_gt;
  /// Per graph, [N] int64: which motif instance a node belongs to (0, 1, ...), -1 for the base.
  /// BA-growth has no motif instances: all -1.
  std::vector<at::Tensor> motif_id;
  /// Node ids (node task) or graph ids (graph task): 80 % / 10 % / 10 %, drawn from the seed.
  nn::Split split;
  int64_t num_classes = 0;
  /// The generator's parameters as a JSON object (text), including the seed.
  std::string params;

  /// Number of items the split indexes: nodes of the graph (node task) or graphs (graph task).
  int64_t num_items() const;
  /// Throws gnnx::Error (message starts with `op`) unless every invariant above holds.
  void validate(const std::string& op = "Dataset") const;
};

/// How motifs are joined to the base graph.
enum class Plugs {
  kSpaced,  ///< motif k attached to base node k * floor(n_base / n_motifs) (the original code)
  kRandom,  ///< to distinct random base nodes (the paper's text)
};
/// What the number of random perturbation edges is a fraction of.
enum class PerturbBase {
  kEdges,  ///< floor(fraction * |E|) edges, |E| counted before perturbation (the original code)
  kNodes,  ///< floor(fraction * N) edges (the paper's "0.1 N" with fraction 0.1)
};

struct BaShapesOptions {
  /// Nodes of the Barabási–Albert base graph. Default 300.
  GNNX_ARG(int64_t, base_nodes) = 300;
  /// Edges each new BA node attaches with. Default 5.
  GNNX_ARG(int64_t, m) = 5;
  /// Number of house motifs. Default 80.
  GNNX_ARG(int64_t, num_motifs) = 80;
  /// Where houses attach. Default kSpaced (original code); kRandom is the paper's text.
  GNNX_ARG(Plugs, plugs) = Plugs::kSpaced;
  /// Fraction of random non-edges added. Default 0.01 of |E| (original code); the paper's
  /// text is perturbation(0.1).perturb_base(PerturbBase::kNodes).
  GNNX_ARG(double, perturbation) = 0.01;
  /// Default kEdges.
  GNNX_ARG(PerturbBase, perturb_base) = PerturbBase::kEdges;
  /// Width of the constant (ones) features. Default 10.
  GNNX_ARG(int64_t, feature_dim) = 10;
};

struct BaCommunityOptions {
  /// Each community is a BA-Shapes graph generated with these options. Default: BA-Shapes
  /// defaults (m = 5: the original code passes m = 4 but build_graph ignores it and uses 5).
  GNNX_ARG(BaShapesOptions, community) = BaShapesOptions();
  /// Random inter-community edges (u uniform in community 0, v uniform in community 1;
  /// repeated pairs collapse, as with networkx). Default 350.
  GNNX_ARG(int64_t, inter_edges) = 350;
  /// Mean of feature dims 0 and 1 is -separation (community 0) / +separation (community 1).
  /// Default 1.
  GNNX_ARG(double, separation) = 1.0;
  /// Variance of feature dims 0 and 1. Default 0.5; the other dims are N(0, 1).
  GNNX_ARG(double, variance) = 0.5;
};

struct TreeCyclesOptions {
  /// Depth of the balanced binary base tree (2^(depth+1) - 1 nodes). Default 8 (511 nodes).
  GNNX_ARG(int64_t, depth) = 8;
  /// Number of cycle motifs. Default 60.
  GNNX_ARG(int64_t, num_motifs) = 60;
  /// Nodes per cycle. Default 6.
  GNNX_ARG(int64_t, cycle_length) = 6;
  /// The original code adds, with probability 1/2 per cycle, a second edge from cycle node a to
  /// base node plug + b (a, b uniform in {1, 2, 3}). Default true.
  GNNX_ARG(bool, extra_plug_edge) = true;
  /// Default kSpaced.
  GNNX_ARG(Plugs, plugs) = Plugs::kSpaced;
  /// Default 0.01 of |E|.
  GNNX_ARG(double, perturbation) = 0.01;
  /// Default kEdges.
  GNNX_ARG(PerturbBase, perturb_base) = PerturbBase::kEdges;
  /// Default 10.
  GNNX_ARG(int64_t, feature_dim) = 10;
};

struct TreeGridOptions {
  /// Default 8 (511 nodes).
  GNNX_ARG(int64_t, depth) = 8;
  /// Number of grid motifs. Default 80.
  GNNX_ARG(int64_t, num_motifs) = 80;
  /// Grid side: side x side nodes, 2 side (side - 1) edges. Default 3.
  GNNX_ARG(int64_t, side) = 3;
  /// Default kSpaced.
  GNNX_ARG(Plugs, plugs) = Plugs::kSpaced;
  /// Default 0.1 of |E| (the original code's gen_syn5).
  GNNX_ARG(double, perturbation) = 0.1;
  /// Default kEdges.
  GNNX_ARG(PerturbBase, perturb_base) = PerturbBase::kEdges;
  /// Default 10.
  GNNX_ARG(int64_t, feature_dim) = 10;
};

struct Ba2MotifsOptions {
  /// Number of graphs; the first half carry a house (label 0), the rest a five-cycle (label 1).
  /// Default 1000.
  GNNX_ARG(int64_t, num_graphs) = 1000;
  /// Nodes of each BA base graph. Default 20.
  GNNX_ARG(int64_t, base_nodes) = 20;
  /// Default 1 (the base graphs are trees).
  GNNX_ARG(int64_t, m) = 1;
  /// Default 10.
  GNNX_ARG(int64_t, feature_dim) = 10;
};

struct BaGrowthOptions {
  /// Number of graphs; the first half grown with m = 1 (trees, label 0), the rest with m = 2
  /// (label 1). Default 1000.
  GNNX_ARG(int64_t, num_graphs) = 1000;
  /// Nodes per graph. Default 20.
  GNNX_ARG(int64_t, num_nodes) = 20;
  /// Default 10.
  GNNX_ARG(int64_t, feature_dim) = 10;
};

struct BaMultiShapesOptions {
  /// Number of graphs; the first half of class 0, the rest of class 1. Default 1000.
  GNNX_ARG(int64_t, num_graphs) = 1000;
  /// Nodes per graph: the BA tree takes what the motifs leave. Default 40 (at least 25).
  GNNX_ARG(int64_t, num_nodes) = 40;
  /// Width of the constant features (every entry 0.1, as in the original data). Default 10.
  GNNX_ARG(int64_t, feature_dim) = 10;
};

struct InfectionOptions {
  /// Nodes of the Erdős–Rényi graph. Default 500.
  GNNX_ARG(int64_t, num_nodes) = 500;
  /// Probability of each undirected edge. Default 0.004 (PyG's InfectionDataset example).
  GNNX_ARG(double, edge_prob) = 0.004;
  /// Infected nodes, drawn uniformly without replacement. Default 50.
  GNNX_ARG(int64_t, num_infected) = 50;
  /// Longest path length with a label of its own (L): labels 0..L, L + 1 for farther nodes. Default 3.
  GNNX_ARG(int64_t, max_path_length) = 3;
};

/// Shortest paths from every node to a set of source nodes (infection_paths).
struct InfectionPaths {
  std::vector<int64_t> distance;  ///< hops to the nearest source; -1 when none is reachable
  std::vector<int64_t> paths;     ///< number of shortest paths to the source set (saturates at 2)
  std::vector<int64_t> next;      ///< on a unique shortest path: the neighbour one hop closer; else -1
  /// The nodes of v's unique shortest path, v first and the source last; empty when v has no
  /// unique shortest path.
  std::vector<int64_t> path(int64_t v) const;
};

/// Breadth-first search from `sources` over g's edges (taken as undirected). Throws gnnx::Error
/// for a source outside the graph.
InfectionPaths infection_paths(const Graph& g, const std::vector<int64_t>& sources);

/// Roles: 0 base, 1 the two house nodes that carry the roof (node 0 joins the base), 2 the
/// two floor nodes, 3 the roof apex (the original code's labels). House template edges (local
/// ids): (0,1) (1,2) (2,3) (3,0) (4,0) (4,1). 4 classes. Default instance: 700 nodes.
Dataset ba_shapes(const BaShapesOptions& options = {}, uint64_t seed = 0);
/// Two BA-Shapes graphs (the second's nodes shifted by the first's count) joined by random
/// edges. Labels: role + 4 * community (8 classes). x [N, 10]: dims 0-1 ~ N(-/+separation,
/// variance), dims 2-9 ~ N(0, 1). Default instance: 1400 nodes.
Dataset ba_community(const BaCommunityOptions& options = {}, uint64_t seed = 0);
/// Labels 0 tree, 1 cycle. Cycle template: (i, i+1 mod L). Default instance: 871 nodes.
Dataset tree_cycles(const TreeCyclesOptions& options = {}, uint64_t seed = 0);
/// Labels 0 tree, 1 grid. Grid node (r, c) is local id r * side + c; node 0 joins the base.
/// Default instance: 1231 nodes.
Dataset tree_grid(const TreeGridOptions& options = {}, uint64_t seed = 0);
/// Graph i: BA base nodes 0..base_nodes-1, motif nodes after them; motif node 0 joins a
/// uniformly random base node. The five-cycle template: (i, i+1 mod 5).
Dataset ba_2motifs(const Ba2MotifsOptions& options = {}, uint64_t seed = 0);
/// Graph label m - 1; ground truth: edges on cycles (none for trees).
Dataset ba_growth(const BaGrowthOptions& options = {}, uint64_t seed = 0);
/// BA-MultiShapes (Azzolin et al., "Global explainability of GNNs via logic combination of learned
/// concepts", ICLR 2023): a Barabási–Albert tree (m = 1) with motifs from house (H), 3 x 3 grid
/// (G) and wheel of 6 nodes (W), num_nodes nodes in all. Class 1: exactly two kinds, W + G, W + H
/// or H + G (one third each). Class 0: none (60 %), W, H or G alone (10 % each), or all three
/// (10 %). Each motif joins the graph built so far by one edge between a uniformly random node of
/// that graph and a uniformly random motif node, in the order W, then H, then G (H + G: H first),
/// as in the authors' generator. Ground truth: the motif template edges. The dataset PyG
/// downloads is that generator's output, whose label numbers are the other way round (its class
/// 0 holds the pairs); gnnx follows the paper's definition above.
Dataset ba_multishapes(const BaMultiShapesOptions& options = {}, uint64_t seed = 0);

/// The infection benchmark (Faber, Moghaddam & Wattenhofer, "When comparing to ground truth is
/// wrong", KDD 2021; PyG's InfectionDataset): an Erdős–Rényi graph (each pair an edge with
/// edge_prob) with num_infected infected nodes; x [N, 2] = (healthy, infected) one-hot; the
/// label of a node is its distance to the nearest infected node, 0..L, and L + 1 when that is
/// more than L or no infected node is reachable (L + 2 classes). A node's explanation is its
/// infection path: defined for nodes at distance 1..L with exactly one shortest path to an
/// infected node (node_mask_gt = 1), as the edges of that path in the direction the infection
/// travels (source = the node closer to the infected one, the direction messages reach the
/// node in). motif_id is all -1; edge_mask_gt is the union of the paths. PyG marks instead every
/// edge leading away from an infected node within L hops, which includes edges on no shortest
/// path and the paths of ambiguous nodes.
Dataset infection(const InfectionOptions& options = {}, uint64_t seed = 0);

/// The default instance of a dataset by name (see dataset_names()). Throws gnnx::Error listing
/// the known names for an unknown one.
Dataset make_dataset(const std::string& name, uint64_t seed = 0);
/// {"ba-shapes", "ba-community", "tree-cycles", "tree-grid", "ba-2motifs", "ba-growth",
/// "ba-multishapes", "infection"}.
std::vector<std::string> dataset_names();

/// The building blocks (barabasi_albert, balanced_binary_tree, the motif templates) are graph
/// generators: see gnnx/graph/generators.h. Their former names here still compile.
using gnnx::balanced_binary_tree;
using gnnx::barabasi_albert;
using gnnx::cycle_motif;
using gnnx::EdgeList;
using gnnx::grid_motif;
using gnnx::house_motif;
using gnnx::wheel_motif;

}  // namespace gnnx::datasets
