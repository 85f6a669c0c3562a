#include "gnnx/eval/prototype.h"

#include <algorithm>

#include <torch/torch.h>

#include "gnnx/core/check.h"
#include "gnnx/graph/ops.h"
#include "gnnx/metrics/graph_edit_distance.h"

namespace gnnx::eval {

std::vector<int64_t> class_instances(const datasets::Dataset& dataset, nn::GNNModel& model, int64_t label) {
  dataset.validate("class_instances");
  GNNX_CHECK(label >= 0 && label < dataset.num_classes, "class_instances: ", dataset.name, " has classes 0..",
             dataset.num_classes - 1, ", got ", label);
  GNNX_CHECK(model.mode() == nn::Mode::kClassification,
             "class_instances: the instances of a class need a classifier; this model is a regression model");
  GNNX_CHECK(model.task() == dataset.task, "class_instances: the model's task (", to_string(model.task()),
             ") is not the dataset's (", to_string(dataset.task), ")");
  torch::NoGradGuard no_grad;
  std::vector<int64_t> out;
  if (dataset.task == nn::Task::kNode) {
    const auto& g = dataset.graphs.front();
    const auto pred = model.forward(g.x, g.edge_index, g.edge_weight).argmax(1).to(torch::kCPU);
    const auto y = g.y.to(torch::kCPU);
    const auto keep = torch::nonzero((y == label) & (pred == label)).flatten();
    for (int64_t i = 0; i < keep.numel(); ++i) out.push_back(keep[i].item<int64_t>());
    return out;
  }
  const auto b = batch_graphs(dataset.graphs);
  const auto pred =
      model.forward(b.graph.x, b.graph.edge_index, b.graph.edge_weight, b.batch, b.size()).argmax(1).to(torch::kCPU);
  for (size_t i = 0; i < dataset.graphs.size(); ++i)
    if (dataset.graphs[i].y.item<int64_t>() == label && pred[static_cast<int64_t>(i)].item<int64_t>() == label)
      out.push_back(static_cast<int64_t>(i));
  return out;
}

explain::PrototypeResult class_prototype(const datasets::Dataset& dataset, nn::GNNModel& model, int64_t label,
                                         const explain::PrototypeOptions& options) {
  const auto ids = class_instances(dataset, model, label);
  GNNX_CHECK(!ids.empty(), "class_prototype: the model puts no instance of class ", label, " of ", dataset.name,
             " in that class; nothing to explain");
  explain::Prototype prototype(options);
  if (dataset.task == nn::Task::kNode) return prototype.build(model, dataset.graphs.front(), ids, label);
  std::vector<Graph> graphs;
  for (auto i : ids) graphs.push_back(dataset.graphs[static_cast<size_t>(i)]);
  auto p = prototype.build_graphs(model, graphs, label);
  for (auto& inst : p.instances) inst.target.index = ids[static_cast<size_t>(inst.target.index)];
  return p;
}

EdgeList most_frequent_subgraph(const std::vector<explain::ExplanationSubgraph>& instances) {
  GNNX_CHECK(!instances.empty(), "most_frequent_subgraph: expected at least one instance, got none");
  std::vector<std::pair<size_t, int64_t>> classes;  // (representative, count)
  for (size_t i = 0; i < instances.size(); ++i) {
    bool found = false;
    for (auto& [rep, count] : classes)
      if (metrics::isomorphic(instances[rep].edges, instances[i].edges)) {
        ++count;
        found = true;
        break;
      }
    if (!found) classes.push_back({i, 1});
  }
  const auto best = std::max_element(classes.begin(), classes.end(),
                                     [](const auto& a, const auto& b) { return a.second < b.second; });
  return instances[best->first].edges;
}

EdgeList unaligned_union(const std::vector<explain::ExplanationSubgraph>& instances, double threshold) {
  GNNX_CHECK(!instances.empty(), "unaligned_union: expected at least one instance, got none");
  int64_t n = 0;
  for (const auto& s : instances) n = std::max<int64_t>(n, static_cast<int64_t>(s.nodes.size()));
  std::vector<double> w(static_cast<size_t>(n * n), 0.0);
  for (const auto& s : instances)
    for (const auto& [u, v] : s.edges) {
      const auto lo = std::min(u, v), hi = std::max(u, v);
      w[static_cast<size_t>(lo * n + hi)] += 1.0 / static_cast<double>(instances.size());
    }
  EdgeList out;
  for (int64_t u = 0; u < n; ++u)
    for (int64_t v = u + 1; v < n; ++v)
      if (w[static_cast<size_t>(u * n + v)] >= threshold) out.push_back({u, v});
  return out;
}

MotifMatch match_motif(const EdgeList& graph, const EdgeList& motif) {
  MotifMatch m;
  const auto d = metrics::graph_edit_distance(graph, motif);
  m.isomorphic = d.distance == 0;
  m.edit_distance = d.distance;
  m.exact = d.exact;
  return m;
}

}  // namespace gnnx::eval
