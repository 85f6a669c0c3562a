#include "gnnx/explain/explainer.h"

#include "gnnx/core/check.h"
#include "gnnx/explain/explanation_file.h"
#include "gnnx/explain/explanation_stream.h"

namespace gnnx::explain {

std::vector<Explanation> Explainer::explain_compact(nn::GNNModel& model, const Graph& graph,
                                                    const std::vector<Target>& targets) {
  auto out = explain(model, graph, targets);
  for (auto& e : out) e = compact_explanation(e, graph.num_nodes, graph.num_edges());
  return out;
}

std::vector<Explanation> Explainer::explain_graphs(nn::GNNModel& model, const std::vector<Graph>& graphs,
                                                   const std::vector<int64_t>& labels) {
  const std::string op = name() + "::explain_graphs";
  GNNX_CHECK(model.task() == nn::Task::kGraph, op, ": expected a graph classifier, got a ", to_string(model.task()),
             " model");
  GNNX_CHECK(labels.empty() || labels.size() == graphs.size(), op, ": expected ", graphs.size(),
             " labels (one per graph) or none, got ", labels.size());
  std::vector<Explanation> out;
  out.reserve(graphs.size());
  for (size_t i = 0; i < graphs.size(); ++i) {
    auto e = explain(model, graphs[i], {Target::graph(0, labels.empty() ? -1 : labels[i])}).front();
    e.target.index = static_cast<int64_t>(i);
    out.push_back(std::move(e));
  }
  return out;
}

int64_t Explainer::compact_target_cost(int64_t nodes, int64_t edges, int64_t num_features) const {
  return compact_target_bytes(nodes, edges, num_features);
}

}  // namespace gnnx::explain
