// 14: a graph classifier with a "no motif" class. BA-2Motifs' plain two-class model must call
// every graph a house or a cycle, so one of them becomes its default: with every edge masked it
// still predicts that class, and no edge of that motif is needed to keep its prediction.
// Trained beside copies of the graphs whose broken motifs form a third class (the default for
// BA-2Motifs), the empty graph is "no motif" and GNNExplainer finds both motifs.
#include <iostream>

#include <gnnx/datasets/reference.h>
#include <gnnx/datasets/synthetic.h>
#include <gnnx/eval/benchmark.h>
#include <gnnx/explain/gnn_explainer.h>
#include <gnnx/gnnx.h>
#include <torch/torch.h>

int main() {
  auto ds = gnnx::datasets::make_dataset("ba-2motifs", /*seed=*/0);
  auto config = gnnx::datasets::reference_config(ds);  // BA-2Motifs: 2 counterexample copies per graph
  for (int64_t copies : {int64_t{0}, config.counterexamples.copies()}) {
    auto c = config;
    c.counterexamples.copies(copies);
    auto r = gnnx::datasets::train_reference_model(ds, c, /*seed=*/0);
    r.model->eval();
    // Mean probability of each test graph's predicted class once all its edges are masked.
    double empty = 0;
    const auto test = ds.split.test;
    {
      torch::NoGradGuard no_grad;
      for (int64_t i = 0; i < test.numel(); ++i) {
        const auto& g = ds.graphs[static_cast<size_t>(test[i].item<int64_t>())];
        const auto batch = torch::zeros({g.num_nodes}, torch::kLong);
        const auto p = torch::softmax(r.model->forward(g.x, g.edge_index, {}, batch, 1), 1)[0];
        const auto q = torch::softmax(r.model->forward(g.x, g.edge_index, torch::zeros({g.num_edges()}), batch, 1),
                                      1)[0];
        empty += q[p.argmax().item<int64_t>()].item<double>() / static_cast<double>(test.numel());
      }
    }
    gnnx::explain::GNNExplainer explainer(gnnx::explain::GNNExplainerOptions().seed(0));
    auto run = gnnx::eval::run_benchmark(explainer, *r.model, ds);
    std::cout << copies << " counterexample copies: " << r.model->num_classes() << " classes, test accuracy "
              << r.result.test_acc << "; predicted class kept with no edges at p = " << empty
              << "; GNNExplainer AUC over the test graphs " << run.auc << "\n";
  }
  return 0;
}
