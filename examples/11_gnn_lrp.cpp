// 11: GNN-LRP on a node classifier: first-order relevance, every relevant walk, conservation,
// and a picture of the top walks.
#include <iomanip>
#include <iostream>

#include <gnnx/datasets/reference.h>
#include <gnnx/datasets/synthetic.h>
#include <gnnx/explain/gnn_lrp.h>
#include <gnnx/gnnx.h>
#include <torch/torch.h>

int main() {
  // A small BA-Shapes: a 60-node Barabasi-Albert graph with 8 houses; classes are the house roles.
  auto ds = gnnx::datasets::ba_shapes(gnnx::datasets::BaShapesOptions().base_nodes(60).num_motifs(8), /*seed=*/0);
  const auto& graph = ds.graphs.front();
  const int64_t N = graph.num_nodes;
  auto cfg = gnnx::datasets::reference_config(ds);  // 3 GCN layers, width 20, concatenation head
  cfg.train.epochs(300);
  auto ref = gnnx::datasets::train_reference_model(ds, cfg, /*seed=*/0);
  auto& model = ref.model;
  model->eval();
  std::cout << "BA-Shapes with " << N << " nodes; 3-layer GCN, train accuracy " << ref.result.train_acc << "\n";

  const int64_t node = 61;            // a node of the first house (houses start at node 60)
  gnnx::explain::GNNLRP lrp(*model);  // gamma = 0.25 on the layers, epsilon on the head
  auto first = lrp.first_order(graph, gnnx::Target::node(node));
  std::cout << "node " << node << ", class " << first.target.label << ", logit " << first.output
            << ", first-order relevance per node:\n ";
  for (int64_t v = 0; v < N; ++v)
    if (std::abs(first.node_relevance[v].item<double>()) > 1e-3)
      std::cout << " " << v << ":" << std::setprecision(3) << first.node_relevance[v].item<double>();
  std::cout << "\n";

  auto all = lrp.all_walks(graph, gnnx::Target::node(node));
  std::cout << all.num_walks << " walks in " << all.seconds * 1e3 << " ms; sum of walk relevance " << all.sum_relevance
            << " (output " << all.output << ", residual " << all.residual << ")\n";
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
  gnnx::explain::GNNLRP lrp0(*model,
                             gnnx::explain::GNNLRPOptions().layer_rule(LrpRule::eps(0)).head_rule(LrpRule::eps(0)));
  auto c = lrp0.all_walks(graph, gnnx::Target::node(node, first.target.label));
  std::cout << "LRP-0, no biases: sum " << c.sum_relevance << " vs output " << c.output << " (residual " << c.residual
            << ")\n";

  try {
    gnnx::viz::write_walks_svg(graph, all, "gnn_lrp_walks.svg", gnnx::viz::WalkSvgOptions().max_walks(8));
    std::cout << "wrote gnn_lrp_walks.svg\n";
  } catch (const gnnx::Error& e) {
    std::cout << "no picture: " << e.what() << "\n";
  }
  return 0;
}
