#pragma once
/// The graph explanation metrics that run the model: the masked forwards behind fidelity and
/// unfaithfulness (GEF), stability under small graph perturbations (GraphXAI's GES), and every
/// metric of gnnx/metrics/graph_metrics.h over a benchmark run (what `gnnx evaluate` reports).
/// docs/methods/graph_metrics.md gives the formulas.

#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>

#include "gnnx/core/arg.h"
#include "gnnx/datasets/synthetic.h"
#include "gnnx/eval/benchmark.h"
#include "gnnx/explain/explainer.h"
#include "gnnx/metrics/graph_metrics.h"
#include "gnnx/nn/message_passing.h"
#include "gnnx/nn/models/gnn.h"

namespace gnnx::eval {

struct MaskedOptions {
  /// Where the edge mask enters the layers. Default kMessage: PyG's set_masks, which its
  /// fidelity and unfaithfulness use (and gnnx's explainers by default); kDeletion makes a 0
  /// delete the edge from degrees, softmax and means too.
  GNNX_ARG(nn::MaskPlacement, placement) = nn::MaskPlacement::kMessage;
  /// Instances per disjoint union on CPU (0: split evenly over the TBB threads). Default 0.
  GNNX_ARG(int64_t, chunk_size) = 0;
};

/// The model's logits for each explained instance, on the whole graph and under an edge mask m
/// and its complement 1 - m. Rows are float64 on the CPU.
struct MaskedPredictions {
  at::Tensor full;        ///< [B, C] on the whole graph (the prediction explained)
  at::Tensor explained;   ///< [B, C] on the explanation subgraph G_S: edge mask m
  at::Tensor complement;  ///< [B, C] on G_{C\S}: edge mask 1 - m
  at::Tensor labels;      ///< [B] int64 true labels (graph.y), undefined when the graph has none
};

/// Node task: explanations[i] explains node explanations[i].target.index of graph, masks[i] is
/// its [E] edge mask over graph's edges (e.g. metrics::explanation_edge_mask). Each node runs on
/// its computation subgraph, and the nodes run together as disjoint unions (as GNNExplainer
/// does), three batched forwards in all; a node's logits equal those of the masked whole graph,
/// since edges outside the computation subgraph cannot reach it. Throws gnnx::Error for a
/// graph-task model, sizes that differ, an empty list or a node out of range.
MaskedPredictions masked_predictions(nn::GNNModel& model, const Graph& graph,
                                     const std::vector<explain::Explanation>& explanations,
                                     const std::vector<at::Tensor>& masks, const MaskedOptions& options = {});
/// Graph task: masks[i] [E_i] masks graphs[i]. Throws gnnx::Error for a node-task model or sizes
/// that differ.
MaskedPredictions masked_predictions(nn::GNNModel& model, const std::vector<Graph>& graphs,
                                     const std::vector<at::Tensor>& masks, const MaskedOptions& options = {});

/// fid+ / fid- of predictions (metrics::fidelity on their argmax). kPhenomenon needs labels.
metrics::Fidelity fidelity(const MaskedPredictions& p, metrics::FidelityForm form = metrics::FidelityForm::kModel);
/// GEF per instance, [B] float64: metrics::unfaithfulness(softmax(full), softmax(explained)).
at::Tensor unfaithfulness(const MaskedPredictions& p);

struct StabilityOptions {
  /// Perturbed copies per instance. Default 5.
  GNNX_ARG(int64_t, runs) = 5;
  /// Undirected edges removed from each copy, and as many added between unlinked nodes of it.
  /// Default 1.
  GNNX_ARG(int64_t, rewired_edges) = 1;
  /// A copy counts only when the model's class is unchanged and the L2 distance of the softmax
  /// vectors is at most delta (GraphXAI's check_delta). Default 1 (every copy whose class holds).
  GNNX_ARG(double, delta) = 1.0;
  /// Seed of the rewiring. Default 0.
  GNNX_ARG(uint64_t, seed) = 0;
};

struct Stability {
  /// [B] float64: GES, the largest cosine distance between an instance's edge scores and those
  /// of its perturbed copies; NaN where no copy counted.
  at::Tensor items;
  double mean = 0;      ///< over the instances with a value (NaN when none has)
  int64_t counted = 0;  ///< copies that counted, over all instances
};

/// GraphXAI's graph explanation stability (GES). Each instance's graph (a node's computation
/// subgraph; a graph-task instance's graph) is copied `runs` times with `rewired_edges`
/// undirected edges moved; explainer explains each copy (all instances of one run in one call:
/// node tasks on the disjoint union of the copies), and the edge scores of the original and of
/// the copy are compared as vectors over the union of their (source, target) pairs. Node task:
/// explanations of nodes of graph. Throws gnnx::Error for an explanation without an edge mask.
Stability stability(explain::Explainer& explainer, nn::GNNModel& model, const Graph& graph,
                    const std::vector<explain::Explanation>& explanations, const StabilityOptions& options = {});
/// Graph task: explanations[i] explains graphs[i].
Stability stability(explain::Explainer& explainer, nn::GNNModel& model, const std::vector<Graph>& graphs,
                    const std::vector<explain::Explanation>& explanations, const StabilityOptions& options = {});

struct BenchmarkMetricsOptions {
  /// Edges each explanation keeps (top-k hard) for fidelity, GEF, GEA and sparsity; 0: each
  /// instance's number of ground-truth edges (for an instance without any, the largest such
  /// number of the run). Default 0.
  GNNX_ARG(int64_t, top_k) = 0;
  /// The masked forwards. Default as MaskedOptions.
  GNNX_ARG(MaskedOptions, masked) = MaskedOptions();
  /// Stability copies per instance; 0 skips stability (it explains every copy again). Default 0.
  GNNX_ARG(int64_t, stability_runs) = 0;
  /// The rest of the stability settings (its runs field is replaced by stability_runs).
  GNNX_ARG(StabilityOptions, stability) = StabilityOptions();
};

/// Every metric of a benchmark run, means over its instances.
struct BenchmarkMetrics {
  double fid_plus = 0, fid_minus = 0;            ///< model form
  double fid_plus_phen = 0, fid_minus_phen = 0;  ///< phenomenon form (the dataset's labels)
  double characterization = 0;                   ///< of the model-form fid+ and fid-
  double unfaithfulness = 0;                     ///< GEF
  double gea = 0;                                ///< Jaccard of the top-k edges with the ground truth
  double precision = 0;                          ///< share of the top-k edges in the ground truth
  double sparsity = 0;                           ///< 1 - k / (edges the explanation could score)
  double stability = 0;                          ///< GES (NaN when skipped or nothing counted)
  int64_t stability_counted = 0;
  double seconds = 0;  ///< computing these metrics
};

/// Scores run (from run_benchmark with the same explainer, model, dataset and device).
BenchmarkMetrics benchmark_metrics(explain::Explainer& explainer, nn::GNNModel& model, const datasets::Dataset& dataset,
                                   const BenchmarkRun& run, c10::Device device = c10::Device(c10::kCPU),
                                   const BenchmarkMetricsOptions& options = {});

}  // namespace gnnx::eval
