#pragma once
/// The interface every graph explainer implements, and the registry the CLI and benchmarks
/// use to find one by name.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gnnx/core/options.h"
#include "gnnx/core/target.h"
#include "gnnx/explain/explanation.h"
#include "gnnx/graph/graph.h"
#include "gnnx/nn/models/gnn.h"

namespace gnnx::explain {

class Explainer {
 public:
  virtual ~Explainer() = default;
  /// The registry name ("gnnexplainer", "grad", "saliency", ...).
  virtual std::string name() const = 0;
  /// Explains each target (nodes of a node classifier, or Target::graph(0) for a graph
  /// classifier's single graph). Throws gnnx::Error for ids out of range, an empty list, or a
  /// model whose task or input width does not fit the graph.
  virtual std::vector<Explanation> explain(nn::GNNModel& model, const Graph& graph,
                                           const std::vector<Target>& targets) = 0;
  /// explain() with each explanation in compact_explanation's form (gnnx/explain/explanation_file.h):
  /// masks whose rows are edge_ids / node_ids (the computation subgraph's), on the CPU, with no
  /// [E] or [N] mask, so that the memory of many explanations grows with their subgraphs, not with
  /// the graph. The values are explain()'s. The default compacts explain()'s explanations;
  /// explainers that can skip the full-graph masks override it. explain_stream's compact
  /// batches and chunk files use it.
  virtual std::vector<Explanation> explain_compact(nn::GNNModel& model, const Graph& graph,
                                                   const std::vector<Target>& targets);
  /// Graph classifier: one explanation per graph of `graphs` (Explanation::target is
  /// Target::graph(i)). labels: the class to explain per graph, or empty for the model's
  /// predictions. The default explains the graphs one by one through explain(); explainers that
  /// batch many graphs into one optimisation override it.
  virtual std::vector<Explanation> explain_graphs(nn::GNNModel& model, const std::vector<Graph>& graphs,
                                                  const std::vector<int64_t>& labels = {});
  /// What explain_stream's compact batches charge this explainer for one target whose computation
  /// subgraph has `nodes` nodes and `edges` edges with features of width num_features: what it
  /// holds for the target while the target's batch runs. The default is compact_target_bytes()
  /// (gnnx/explain/explanation_stream.h), sized for explainers that optimise a whole batch at once;
  /// explainers that hold less per target override it.
  virtual int64_t compact_target_cost(int64_t nodes, int64_t edges, int64_t num_features) const;
};

/// Builds the explainer registered as `name` ("gnnexplainer", "pgexplainer", "subgraphx", "grad", "att", "saliency",
/// "gradxinput", "ig", "smoothgrad", "occlusion", "gnn-lrp") from text options, the same way
/// attribution::make_attributor does: every explainer takes "seed"; the others are its options
/// struct's fields by name ({"epochs", "200"}, {"feature_mask", "node"}, ...), defaulting to the
/// struct's defaults. The table lives in src/explain/registry.cpp, one line per explainer.
/// Throws gnnx::Error for an unknown name (listing the known ones), an unknown option or a value
/// that does not parse.
std::unique_ptr<Explainer> make_explainer(const std::string& name, const OptionMap& options = {});
std::vector<std::string> explainer_names();

}  // namespace gnnx::explain
