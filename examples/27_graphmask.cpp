// 27: GraphMask on a model trained in PyTorch Geometric. A gate per layer and edge decides
// whether the layer needs that edge's message; a dropped message is replaced by a learned
// baseline message. The gate networks are trained once, on every tenth house node, then explain
// every house node; the prediction explained is the model's on the whole graph.
//   27_graphmask model.pt graph.pt      (a PyG state dict and a PyG Data.to_dict() with edge_mask)
#include <iostream>

#include <gnnx/gnnx.h>
#include <torch/torch.h>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: " << argv[0] << " model.pt graph.pt\n";
    return 2;
  }
  try {
    auto model = gnnx::nn::load_model(argv[1]);
    const auto loaded = gnnx::io::load_graph(argv[2]);
    const auto& g = loaded.graph;
    const auto truth = loaded.tensors.at("edge_mask").to(torch::kFloat);  // PyG's planted house edges

    std::vector<gnnx::Target> train, houses;
    for (int64_t v = 300; v < g.num_nodes; ++v) {
      houses.push_back(gnnx::Target::node(v));
      if (v % 10 == 0) train.push_back(gnnx::Target::node(v));
    }
    gnnx::explain::GraphMaskExplainer explainer(gnnx::explain::GraphMaskOptions().seed(0));
    const auto report = explainer.fit(*model, g, train);
    std::cout << "trained on " << report.instances << " nodes in " << report.seconds << " s: divergence "
              << report.epoch_divergence.back() << " nats, gates open " << report.epoch_kept.back() << ", lambda "
              << report.lambda << "\n";

    auto explanations = explainer.explain(*model, g, houses);
    std::vector<torch::Tensor> scores, labels;
    double divergence = 0;
    for (const auto& e : explanations) {
      scores.push_back(e.edge_mask.index_select(0, e.edge_ids));
      labels.push_back(truth.index_select(0, e.edge_ids));
      divergence += e.diagnostics.at("divergence") / static_cast<double>(explanations.size());
    }
    std::cout << explanations.size() << " house nodes explained in " << explanations[0].diagnostics.at("explain_seconds")
              << " s; pooled ROC AUC " << gnnx::metrics::roc_auc(torch::cat(scores), torch::cat(labels))
              << "; mean divergence with the gates closed as trained " << divergence << " nats\n";

    const auto& e = explanations[0];
    const auto gates = explainer.layer_gates(*model, g, e);
    std::cout << "node " << e.target.index << ", class " << e.target.label << ": messages kept per layer";
    for (const auto& z : gates) std::cout << " " << (z > 0).sum().item<int64_t>() << "/" << z.numel();
    std::cout << "\n";
  } catch (const gnnx::Error& err) {
    std::cerr << err.what() << "\n";
    return 1;
  }
  return 0;
}
