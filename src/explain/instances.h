#pragma once
// Internal: what the mask-based explainers (GNNExplainer, GRAD) share. An "instance" is one
// explained node (on its computation subgraph) or one explained graph; instances are joined into
// a disjoint union to run many at once, and cut into chunks that run in parallel on CPU.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "gnnx/core/target.h"
#include "gnnx/explain/explanation.h"
#include "gnnx/graph/graph.h"
#include "gnnx/nn/index_range.h"
#include "gnnx/nn/models/gnn.h"

namespace gnnx::explain::detail {

struct Instance {
  Target target;        // label resolved (>= 0)
  Graph graph;          // the computation subgraph (node task) or the whole graph (graph task)
  at::Tensor edge_ids;  // [e] full-graph ids of graph's edges, on the CPU
  at::Tensor node_ids;  // [n] full-graph ids of graph's nodes, on the CPU
  // graph.edge_index on the CPU (the same tensor when graph is there): unions and explanations
  // are assembled on the host, so a GPU run costs no per-instance kernels or syncs there.
  at::Tensor host_edge_index;
  int64_t center = -1;   // row of the target node in graph (node task; a link's source)
  int64_t center2 = -1;  // row of a link's second node in graph (link task), else -1
  int64_t key = 0;       // node id or graph position: seeds the instance's randomness
  int64_t full_num_nodes = 0, full_num_edges = 0;
  // [n] on the CPU (node task): the model's full-graph class of each node (int64), or for a
  // regression model the explained output's value (float)
  at::Tensor node_pred;
  at::Tensor logits;        // [C] on the CPU: the model's full-graph logits of the target (what is explained)
  bool regression = false;  // the model is a regression model: target.label names the output explained
  // Node task, when the model runs trimmed (GNNModel::trimmed_hops() = K > 0): ids in graph of
  // the edges that can reach the target's output, i.e. whose target node is fewer than K hops
  // from the explained node, on the CPU. Undefined: every edge is live.
  at::Tensor live_edges;
  // With live_edges: each node's hop distance to the target along edge directions, [n] int64 on
  // the CPU (K + 1 where farther), and K.
  at::Tensor hops;
  int64_t num_hops = 0;
};

/// Each node's hop distance to `center` along edge directions ([n]; k + 1 where farther).
std::vector<int64_t> hop_distances(const Graph& g, int64_t center, int64_t k);
/// Ids of g's edges (on g's device) whose target lies fewer than k hops from `center`, and
/// hop_distances as [n] int64 on the CPU. With k = model.trimmed_hops(), the edges that can reach
/// center's output.
std::pair<at::Tensor, at::Tensor> live_edges(const Graph& g, int64_t center, int64_t k);

/// Checks model and graph fit (features, width, task) and throws gnnx::Error naming op.
void check_model_graph(nn::GNNModel& model, const Graph& graph, const std::string& op);

/// Node task: one instance per Target::node, on its model.receptive_field()-hop computation
/// subgraph (the whole graph when that is -1); labels resolved to the model's full-graph
/// prediction (phenomenon: graph.y). Checks that every target's logits on its subgraph equal its
/// full-graph logits (to 1e-4 relative) and throws gnnx::Error naming the node otherwise. Graph task:
/// targets must be {Target::graph(0)}; one instance on the whole graph.
std::vector<Instance> make_instances(nn::GNNModel& model, const Graph& graph, const std::vector<Target>& targets,
                                     bool phenomenon, const std::string& op);
/// Link task (called by make_instances for a Task::kLink model): one instance per
/// Target::link(u, v) on the union of u's and v's model.receptive_field()-hop computation
/// subgraphs, its logits checked against the full graph's as for nodes.
std::vector<Instance> make_link_instances(nn::GNNModel& model, const Graph& graph, const std::vector<Target>& targets,
                                          bool phenomenon, const std::string& op);
/// Graph task: one instance per graph.
std::vector<Instance> make_graph_instances(nn::GNNModel& model, const std::vector<Graph>& graphs,
                                           const std::vector<int64_t>& labels, bool phenomenon, const std::string& op);

/// The disjoint union of some instances' graphs.
struct Union {
  Graph graph;
  at::Tensor edge_seg;                      // [E] instance (0..B-1) of each edge
  at::Tensor node_seg;                      // [N] instance of each node (the batch vector for graph tasks)
  at::Tensor centers;                       // [B] rows of the target nodes (node task; links' first nodes)
  bool link = false;                        // link instances: forward_links on (centers, centers2)
  at::Tensor centers2;                      // [B] rows of the links' second nodes (link task)
  at::Tensor labels;                        // [B] explained classes (regression: explained outputs)
  bool regression = false;                  // a regression model's instances
  at::Tensor values;                        // [B] regression: the explained outputs on the full graph
  at::Tensor num_nodes;                     // [B] float, nodes per instance
  std::vector<int64_t> edge_off, node_off;  // B + 1 offsets
  bool graph_task = false;
  at::Tensor live;                               // [E'] ids of the union's live edges, undefined when all are live
  at::Tensor live_edge_index, live_edge_weight;  // graph's edge_index / edge_weight on the live edges
  // Node task with live edges: the layout GNNModel::forward_trimmed takes. node_order [N] lists
  // the union's nodes by (hop, instance, id), so the targets come first in instance order and
  // the nodes within d hops form a prefix; live is then sorted by (hop of the edge's target,
  // instance, id) and live_edge_index numbers nodes by their place in node_order.
  bool trimmed = false;
  at::Tensor node_order;
  std::vector<int64_t> nodes_per_hop, edges_per_hop;
  at::Tensor x_ordered;  // trimmed: graph.x in node_order (union_logits' input when x is graph.x)
  int64_t size() const { return static_cast<int64_t>(edge_off.size()) - 1; }
};
Union make_union(const std::vector<const Instance*>& instances, bool graph_task);

/// Undirected pairing of make_union(instances)'s edges: pair[e] is shared by (u, v) and (v, u)
/// and numbered 0..P-1 in order of (min(u, v), max(u, v)); an edge without its reverse (or a
/// self loop) is a pair of its own, and parallel copies of an edge share one. Computed on the
/// host from each instance's host edge_index (linear time, no device sync). Returns pair [E] on
/// the instances' device and sets num_pairs = P.
at::Tensor union_pairs(const std::vector<const Instance*>& instances, int64_t& num_pairs);

/// The model's logits for the B instances ([B, C]) on the union with node features x, inside an
/// EdgeMaskScope of edge_mask [E] (undefined: no mask). Only the union's live edges are run
/// (the others cannot change the targets' outputs), and when the union is trimmed each layer
/// runs only on the nodes and edges later layers read (GNNModel::forward_trimmed).
/// placement: where the mask enters the layers (nn::MaskPlacement).
at::Tensor union_logits(nn::GNNModel& model, const Union& u, const at::Tensor& x, const at::Tensor& edge_mask = {},
                        nn::MaskPlacement placement = nn::MaskPlacement::kDeletion);

/// Adds to `ranges` every index tensor union_logits hands the model (the live edges, each hop's
/// slice of them when trimmed, the batch vector of graph tasks), so that an optimisation loop
/// around union_logits measures their id ranges once, not in every layer of every epoch (each
/// measurement is a device sync on CUDA).
void add_index_ranges(const Union& u, nn::IndexRangeScope& ranges);

/// Sets OpenBLAS (when LibTorch uses it) to RuntimeSettings::explainer_blas_threads for the
/// scope and restores it after, when the program asked for that; otherwise does nothing, since
/// the pool's size is process-wide.
class ExplainerBlasThreads {
 public:
  ExplainerBlasThreads();
  ~ExplainerBlasThreads();
  ExplainerBlasThreads(const ExplainerBlasThreads&) = delete;
  ExplainerBlasThreads& operator=(const ExplainerBlasThreads&) = delete;

 private:
  int threads_ = 0, previous_ = -1;
};

/// Runs fn(first, last) over chunks of [0, n): one chunk when serial (CUDA work, or work that
/// must not run on several threads), else chunks of chunk_size (0: n split evenly over the TBB
/// threads) in parallel with tbb::parallel_for.
void for_each_chunk(bool serial, int64_t n, int64_t chunk_size, const std::function<void(int64_t, int64_t)>& fn);

/// The Explanation of `inst` in compact_explanation's form, on the CPU: edge_mask = edge_scores
/// [e] (rows as inst.edge_ids), node_mask = node_scores [n] (rows as inst.node_ids) or, when
/// undefined, each node's largest incident edge score.
Explanation make_compact_explanation(const Instance& inst, const std::string& method, const at::Tensor& edge_scores,
                                     const at::Tensor& node_scores = {});
/// make_compact_explanation's masks scattered to full-graph ids on the graph's device; a given
/// node_mask ([N], full-graph ids) replaces the default node importance.
Explanation make_explanation(const Instance& inst, const std::string& method, const at::Tensor& edge_scores,
                             const at::Tensor& node_mask = {});

/// The per-instance [B] loss that keeps the outputs [B, C] on the union close to the explained
/// prediction: the cross-entropy of the explained class for a classifier; for a regression model
/// the squared difference between the explained output and its full-graph value (u.values).
at::Tensor prediction_loss(const Union& u, const at::Tensor& outputs);
/// The explained entry of each instance's outputs [B, C]: [B].
at::Tensor explained_outputs(const Union& u, const at::Tensor& outputs);

/// run(), with train_s (the seconds of a training that preceded it; 0: trained before) and the
/// seconds of run() itself in every explanation's diagnostics ("train_seconds",
/// "explain_seconds"): what the explainers that train once (PGExplainer, GraphMask) report.
std::vector<Explanation> timed_explanations(const std::function<std::vector<Explanation>()>& run, double train_s);

/// Puts the model in eval mode for the scope and restores its mode after.
class EvalGuard {
 public:
  explicit EvalGuard(nn::GNNModel& model) : model_(model), was_training_(model.is_training()) { model_.eval(); }
  ~EvalGuard() { model_.train(was_training_); }

 private:
  nn::GNNModel& model_;
  bool was_training_;
};

/// splitmix64 of a ^ splitmix64(b): a per-instance seed.
uint64_t mix_seed(uint64_t a, uint64_t b);

}  // namespace gnnx::explain::detail
