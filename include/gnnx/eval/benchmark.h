#pragma once
/// Explanation accuracy on the synthetic benchmarks: which instances a protocol explains, and
/// the pooled ROC AUC of edge masks against the ground-truth motif edges. Used by
/// `gnnx evaluate`, `gnnx demo` and the benchmarks, so all report the same number.
///
/// Protocols for node tasks:
///   paper  one node per motif, the original GNNExplainer evaluation: ba-shapes range(400, 700, 5);
///          ba-community range(400, 700, 5) + range(1100, 1400, 5); tree-cycles range(511, 871, 6);
///          tree-grid range(511, 800, 1).
///   motif  every motif node (node_mask_gt = 1); all: every node; or comma-separated node ids.
/// The scores of each explained node's k-hop computation-subgraph edges (k = model.num_hops())
/// are pooled with their ground truth into one ROC AUC. The ground truth of node v's explanation
/// is, by default, the edges of v's own motif (GroundTruth::kOwnMotif), as in the original
/// evaluation (gnn-model-explainer's make_pred_real marks only the house or cycle that starts at
/// the explained node): a node's label depends on its own motif, so other motifs that happen to
/// lie within k hops are not part of its explanation. On the infection benchmark a node's own
/// ground truth is its infection path (datasets::infection), and "paper" selects the nodes that
/// have a unique one. kAnyMotif counts every motif edge of the
/// subgraph (lower for every method on BA-Community). Graph tasks
/// explain the test split's graphs and pool every edge of each graph (both choices agree).

#include <cstdint>
#include <string>
#include <vector>

#include <c10/core/Device.h>

#include "gnnx/core/enum_names.h"
#include "gnnx/datasets/synthetic.h"
#include "gnnx/explain/explainer.h"

namespace gnnx::eval {

/// Which motif edges count as the ground truth of a node's explanation (see above).
enum class GroundTruth { kOwnMotif, kAnyMotif };
GNNX_ENUM_NAMES(GroundTruth, "ground truth", {GroundTruth::kOwnMotif, "own"}, {GroundTruth::kAnyMotif, "any"});
/// "own" or "any"; throws gnnx::Error otherwise.

/// [E] float32 0/1 on the CPU: the edges of `dataset`'s (node-task) graph that node `node`'s
/// explanation should select. kOwnMotif: the motif edges (edge_mask_gt) whose both ends lie in
/// node's motif instance (motif_id); all 0 for a base node. kAnyMotif: edge_mask_gt. Throws
/// gnnx::Error for a graph-task dataset or a node out of range.
at::Tensor node_ground_truth(const datasets::Dataset& dataset, int64_t node,
                             GroundTruth ground_truth = GroundTruth::kOwnMotif);

/// Node ids `spec` (paper | motif | all | "3,17,42") selects on a node-task dataset. Throws
/// gnnx::Error for an unknown spec, a dataset without a paper list, or ids out of range.
std::vector<int64_t> protocol_nodes(const datasets::Dataset& dataset, const std::string& spec);

struct BenchmarkRun {
  std::string protocol;  ///< the node spec, or "test-graphs"
  GroundTruth ground_truth = GroundTruth::kOwnMotif;
  std::vector<int64_t> items;                      ///< node ids (node task) or graph ids (graph task)
  std::vector<explain::Explanation> explanations;  ///< one per item
  double auc = 0;                                  ///< pooled ROC AUC
  double seconds = 0;                              ///< explaining only (not the AUC)
};

/// Explains the protocol's instances of `dataset` with `explainer` on `model` (already on
/// `device`, in eval mode) and computes the pooled AUC. Node tasks score each node's k-hop
/// subgraph edges with k = eval_hops, or the model's hops when eval_hops is 0 (the protocol);
/// a deeper model has larger subgraphs, whose extra far edges are mostly easy negatives, so
/// models of different depth compare fairly only at one eval_hops. Throws gnnx::Error when the
/// explainer gives no edge mask, when the pooled ground truth holds one class only (e.g. only
/// base nodes explained against kOwnMotif), or for eval_hops < 0 or eval_hops > 0 on a graph task.
BenchmarkRun run_benchmark(explain::Explainer& explainer, nn::GNNModel& model, const datasets::Dataset& dataset,
                           const std::string& spec = "paper", c10::Device device = c10::Device(c10::kCPU),
                           GroundTruth ground_truth = GroundTruth::kOwnMotif, int64_t eval_hops = 0);

}  // namespace gnnx::eval
