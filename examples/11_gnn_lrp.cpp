// 11: GNN-LRP on a node classifier: first-order relevance, every relevant walk, conservation,
// and a picture of the top walks.
#include <iomanip>
#include <iostream>

#include <gnnx/explain/gnn_lrp.h>
#include <gnnx/gnnx.h>
#include <torch/torch.h>

int main() {
  // A 12-node ring with chords and two "houses" (5-node motifs) attached to nodes 0 and 6;
  // house nodes are class 1, the rest class 0. Constant features: only structure tells them apart.
  std::vector<std::pair<int64_t, int64_t>> edges;
  for (int64_t i = 0; i < 12; ++i) edges.push_back({i, (i + 1) % 12});
  edges.push_back({1, 5});
  edges.push_back({3, 9});
  for (int64_t h = 0; h < 2; ++h) {
    const int64_t b = 12 + 5 * h;  // roof b, then b+1 .. b+4
    edges.insert(edges.end(), {{b, b + 1}, {b, b + 2}, {b + 1, b + 2}, {b + 1, b + 3}, {b + 2, b + 4}, {b + 3, b + 4}});
    edges.push_back({b + 3, 6 * h});  // the house hangs off ring node 0 or 6
  }
  const int64_t N = 22;
  auto y = torch::zeros({N}, torch::kLong);
  y.narrow(0, 12, 10).fill_(1);
  gnnx::Graph graph(gnnx::undirected_edge_index(edges), N, torch::ones({N, 4}), {}, y);

  torch::manual_seed(0);
  gnnx::nn::GnnClassifier model(gnnx::nn::GnnClassifierOptions(4, 2).hidden_channels(16).num_layers(3));
  auto split = gnnx::nn::Split{torch::arange(N), torch::arange(N), torch::arange(N)};
  auto fit = gnnx::nn::train_node_classifier(*model, graph, split,
                                             gnnx::nn::TrainOptions().epochs(300).patience(0).weight_decay(0));
  model->eval();
  std::cout << "3-layer GCN, train accuracy " << fit.train_acc << "\n";

  const int64_t node = 15;  // a house node next to the attachment
  gnnx::explain::GnnLrp lrp(*model);  // gamma = 0.25 on the layers, epsilon on the head
  auto first = lrp.first_order(graph, gnnx::Target::node(node));
  std::cout << "node " << node << ", class " << first.target.label << ", logit " << first.output
            << ", first-order relevance per node:\n ";
  for (int64_t v = 0; v < N; ++v)
    if (std::abs(first.node_relevance[v].item<double>()) > 1e-3)
      std::cout << " " << v << ":" << std::setprecision(3) << first.node_relevance[v].item<double>();
  std::cout << "\n";

  auto all = lrp.all_walks(graph, gnnx::Target::node(node));
  std::cout << all.num_walks << " walks in " << all.seconds * 1e3 << " ms; sum of walk relevance "
            << all.sum_relevance << " (output " << all.output << ", residual " << all.residual << ")\n";
  std::cout << "top walks (v0 -> v3 = " << node << "):\n";
  for (int64_t w = 0; w < 6; ++w) {
    std::cout << "  ";
    for (int64_t l = 0; l <= all.num_layers; ++l) std::cout << (l ? " -> " : "") << all.walks[w][l].item<int64_t>();
    std::cout << "   R = " << all.relevance[w].item<double>() << "\n";
  }

  // Conservation: LRP-0 everywhere and zero biases make the walks add up to the logit exactly.
  {
    torch::NoGradGuard no_grad;
    for (auto& p : model->named_parameters())
      if (p.key().find("bias") != std::string::npos) p.value().zero_();
  }
  using gnnx::attribution::LrpRule;
  gnnx::explain::GnnLrp lrp0(*model, gnnx::explain::GnnLrpOptions().layer_rule(LrpRule::eps(0)).head_rule(LrpRule::eps(0)));
  auto c = lrp0.all_walks(graph, gnnx::Target::node(node, first.target.label));
  std::cout << "LRP-0, no biases: sum " << c.sum_relevance << " vs output " << c.output << " (residual " << c.residual
            << ")\n";

  try {
    gnnx::explain::write_walks_svg(graph, all, "gnn_lrp_walks.svg", gnnx::explain::WalkSvgOptions().max_walks(8));
    std::cout << "wrote gnn_lrp_walks.svg\n";
  } catch (const gnnx::Error& e) {
    std::cout << "no picture: " << e.what() << "\n";
  }
  return 0;
}
