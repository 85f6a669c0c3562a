// 12: the top-K relevant walks of deep GNNs without enumerating all walks.
#include <algorithm>
#include <iostream>

#include <gnnx/explain/gnn_lrp.h>
#include <gnnx/gnnx.h>
#include <gnnx/graph/generators.h>
#include <torch/torch.h>

int main() {
  // A Barabasi-Albert graph: 300 nodes, 3 edges per new node (graph/generators.h, seeded).
  auto edges = gnnx::barabasi_albert(/*n=*/300, /*m=*/3, /*seed=*/7);
  torch::manual_seed(0);
  gnnx::Graph graph(gnnx::undirected_edge_index(edges), 300, torch::rand({300, 8}));

  for (int64_t layers : {3, 4, 5, 6}) {
    torch::manual_seed(layers);
    gnnx::nn::GNNClassifier model(gnnx::nn::GNNClassifierOptions(8, 3).hidden_channels(20).num_layers(layers));
    model->eval();
    gnnx::explain::GNNLRP lrp(*model);
    auto top = lrp.top_walks(graph, gnnx::Target::node(42), /*k=*/10);
    std::cout << layers << " layers: " << top.num_walks << " walks end at node 42; top 10 found in " << top.seconds
              << " s after " << top.expansions << " search steps. Best: ";
    for (int64_t l = 0; l <= layers; ++l) std::cout << (l ? "-" : "") << top.walks[0][l].item<int64_t>();
    std::cout << " (R = " << top.relevance[0].item<double>() << ")\n";
    if (layers == 3) {
      auto all = lrp.all_walks(graph, gnnx::Target::node(42));
      std::cout << "  check: the enumeration's best 10 equal the search's: "
                << (torch::allclose(all.relevance.narrow(0, 0, 10), top.relevance, 1e-9, 1e-12) ? "yes" : "NO") << "\n";
    }
  }
  return 0;
}
