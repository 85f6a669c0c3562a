// 05: explain one BA-Shapes house node with GNNExplainer: the top edges, whether they lie in
// the house, and the explanation ROC AUC on the node's computation subgraph.
#include <iostream>

#include <gnnx/datasets/reference.h>
#include <gnnx/datasets/synthetic.h>
#include <gnnx/eval/benchmark.h>
#include <gnnx/explain/gnn_explainer.h>
#include <gnnx/gnnx.h>
#include <gnnx/metrics/ground_truth.h>
#include <torch/torch.h>

int main() {
  auto ds = gnnx::datasets::make_dataset("ba-shapes", /*seed=*/0);
  const auto& graph = ds.graphs.front();
  auto model = gnnx::datasets::train_reference_model(ds, /*seed=*/0).model;

  const int64_t node = 400;  // the house node that joins house 20 to the base graph
  gnnx::explain::GNNExplainer explainer(gnnx::explain::GNNExplainerOptions().seed(0));
  auto e = explainer.explain(*model, graph, {gnnx::Target::node(node)}).front();

  const auto gt = gnnx::eval::node_ground_truth(ds, node);  // the edges of node 400's own house
  std::cout << "node " << node << ", explained class " << e.target.label << ", computation subgraph of "
            << e.edge_ids.numel() << " edges\ntop edges (source -> target, mask, in the house?):\n";
  auto top = e.top_edges(/*k=*/12);
  for (int64_t i = 0; i < top.numel(); ++i) {
    const int64_t id = top[i].item<int64_t>();
    std::cout << "  " << graph.edge_index[0][id].item<int64_t>() << " -> " << graph.edge_index[1][id].item<int64_t>()
              << "  " << e.edge_mask[id].item<float>() << (gt[id].item<float>() > 0.5f ? "  house" : "") << "\n";
  }
  auto ids = e.edge_ids;
  std::cout << "explanation ROC AUC on the computation subgraph: "
            << gnnx::metrics::roc_auc(e.edge_mask.index_select(0, ids), gt.index_select(0, ids)) << "\n";
  std::cout << "edges of the top 12 connected to the node: " << e.connected_to_target(graph, top).numel() << "\n";
  return 0;
}
