#pragma once
/// The interface every graph explainer implements, and the registry the CLI and benchmarks
/// use to find one by name.

#include <functional>
#include <memory>
#include <string>
#include <vector>

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
  virtual std::vector<Explanation> explain(nn::GnnModel& model, const Graph& graph,
                                           const std::vector<Target>& targets) = 0;
};

/// Builds the explainer registered as `name` with default options and the given seed (the
/// table lives in src/explain/registry.cpp: one line per explainer). Throws gnnx::Error listing the known names when `name` is unknown.
std::unique_ptr<Explainer> make_explainer(const std::string& name, uint64_t seed = 0);
std::vector<std::string> explainer_names();

}  // namespace gnnx::explain
