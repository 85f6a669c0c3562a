// 16: explain a model trained in PyTorch Geometric. In Python:
//   torch.save(dict(model.state_dict()), "model.pt")   # GCN, GraphConv, GIN, GraphSAGE or GAT
//   torch.save(data.to_dict(), "graph.pt")
// then: 16_explain_pyg_model model.pt graph.pt [node ...]
// gnnx rebuilds the model from its state dict (the architecture is read from the keys), explains
// the nodes in one batched GNNExplainer run on the prediction the model makes on the whole graph,
// prints each node's strongest edges, and writes the explanations where torch.load reads them.
#include <iostream>
#include <string>
#include <vector>

#include <gnnx/gnnx.h>
#include <torch/torch.h>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: " << argv[0] << " model.pt graph.pt [node ...]\n";
    return 2;
  }
  try {
    auto model = gnnx::nn::load_model(argv[1]);
    const gnnx::Graph g = gnnx::io::load_graph(argv[2]).graph;
    std::vector<gnnx::Target> targets;
    for (int i = 3; i < argc; ++i) targets.push_back(gnnx::Target::node(std::stoll(argv[i])));
    if (targets.empty()) targets = {gnnx::Target::node(0)};

    gnnx::explain::GNNExplainer explainer;  // gnnx's defaults; mask_placement(kMessage) for PyG's
    auto explanations = explainer.explain(*model, g, targets);
    for (const auto& e : explanations) {
      std::cout << "node " << e.target.index << ": class " << e.target.label << " (logit "
                << e.logits[e.target.label].item<float>() << " on the whole graph), strongest edges:";
      const auto top = e.top_edges(4);
      for (int64_t i = 0; i < top.numel(); ++i) {
        const int64_t id = top[i].item<int64_t>();
        std::cout << "  " << g.edge_index[0][id].item<int64_t>() << "->" << g.edge_index[1][id].item<int64_t>() << " ("
                  << e.edge_mask[id].item<float>() << ")";
      }
      std::cout << "\n";
    }
    gnnx::explain::save_explanations("explanations.pt", explanations, g.num_nodes, g.num_edges());
    std::cout << "wrote explanations.pt (torch.load reads it)\n";
  } catch (const gnnx::Error& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  return 0;
}
