// 13: a reference model whose decision runs through the whole motif. Tree-Cycles' plain model
// calls the node that joins a cycle to the tree a cycle node without looking at the cycle's far
// side; trained beside copies of the graph whose broken cycles are relabelled as tree nodes (the
// default for Tree-Cycles), it needs every cycle edge, and GNNExplainer then finds the cycle.
#include <iostream>

#include <gnnx/datasets/reference.h>
#include <gnnx/datasets/synthetic.h>
#include <gnnx/eval/benchmark.h>
#include <gnnx/explain/gnn_explainer.h>
#include <gnnx/gnnx.h>
#include <torch/torch.h>

int main() {
  auto ds = gnnx::datasets::make_dataset("tree-cycles", /*seed=*/0);
  const auto& g = ds.graphs.front();
  // Node 511 joins cycle 511..516 to the tree; 513 - 514 is a cycle edge three hops from it.
  const int64_t node = 511;
  auto far_edge = (g.edge_index[0] == 513)
                      .logical_and(g.edge_index[1] == 514)
                      .logical_or((g.edge_index[0] == 514).logical_and(g.edge_index[1] == 513));
  auto without = torch::ones({g.num_edges()}).masked_fill(far_edge, 0.0);

  auto config = gnnx::datasets::reference_config(ds);  // Tree-Cycles: 10 counterexample copies
  for (int64_t copies : {int64_t{0}, config.counterexamples.copies()}) {
    auto c = config;
    c.counterexamples.copies(copies);
    auto r = gnnx::datasets::train_reference_model(ds, c, /*seed=*/0);
    r.model->eval();
    double drop = 0;
    {
      torch::NoGradGuard no_grad;
      auto full = torch::log_softmax(r.model->forward(g.x, g.edge_index, {}), 1)[node];
      const int64_t cls = full.argmax().item<int64_t>();
      auto cut = torch::log_softmax(r.model->forward(g.x, g.edge_index, without), 1)[node];
      drop = (full[cls] - cut[cls]).item<double>();
    }
    gnnx::explain::GNNExplainer explainer(gnnx::explain::GNNExplainerOptions().seed(0));
    auto run = gnnx::eval::run_benchmark(explainer, *r.model, ds, "paper");
    std::cout << copies << " counterexample copies: test accuracy " << r.result.test_acc
              << "; deleting 513 - 514 lowers node 511's log-probability by " << drop
              << "; GNNExplainer AUC over one node per cycle " << run.auc << "\n";
  }
  return 0;
}
