#pragma once
/// Explanation accuracy on the synthetic benchmarks: which instances a protocol explains, and
/// the pooled ROC AUC of edge masks against the ground-truth motif edges. Used by
/// `gnnx explain`, `gnnx demo` and the benchmarks, so all report the same number.
///
/// Protocols for node tasks:
///   paper  one node per motif, the original GNNExplainer evaluation: ba-shapes range(400, 700, 5);
///          ba-community range(400, 700, 5) + range(1100, 1400, 5); tree-cycles range(511, 871, 6);
///          tree-grid range(511, 800, 1).
///   motif  every motif node (node_mask_gt = 1); all: every node; or comma-separated node ids.
/// The scores of each explained node's k-hop computation-subgraph edges (k = model.num_hops())
/// are pooled with that subgraph's ground truth into one ROC AUC. Graph tasks explain the test
/// split's graphs and pool every edge of each graph.

#include <cstdint>
#include <string>
#include <vector>

#include <c10/core/Device.h>

#include "gnnx/datasets/synthetic.h"
#include "gnnx/explain/explainer.h"

namespace gnnx::explain {

/// Node ids `spec` (paper | motif | all | "3,17,42") selects on a node-task dataset. Throws
/// gnnx::Error for an unknown spec, a dataset without a paper list, or ids out of range.
std::vector<int64_t> protocol_nodes(const datasets::Dataset& dataset, const std::string& spec);

struct BenchmarkRun {
  std::string protocol;                    ///< the node spec, or "test-graphs"
  std::vector<int64_t> items;              ///< node ids (node task) or graph ids (graph task)
  std::vector<Explanation> explanations;   ///< one per item
  double auc = 0;                          ///< pooled ROC AUC
  double seconds = 0;                      ///< explaining only (not the AUC)
};

/// Explains the protocol's instances of `dataset` with `explainer` on `model` (already on
/// `device`, in eval mode) and computes the pooled AUC. Throws gnnx::Error when the explainer
/// gives no edge mask.
BenchmarkRun run_benchmark(Explainer& explainer, nn::GnnModel& model, const datasets::Dataset& dataset,
                           const std::string& spec = "paper", c10::Device device = c10::Device(c10::kCPU));

}  // namespace gnnx::explain
