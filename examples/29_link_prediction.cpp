// 29: explaining a link predictor. A GCN learns which node pairs of BA-Shapes are linked (its head
// scores z_u * z_v), with a tenth of the edges held out. Each held-out edge inside a house that
// the model predicts as a link is then explained on the union of both endpoints' computation
// subgraphs; the house around it says how well each method found the edges the prediction reads.
#include <iostream>

#include <gnnx/gnnx.h>
#include <torch/torch.h>

int main() {
  try {
    const auto d = gnnx::datasets::ba_shapes(gnnx::datasets::BaShapesOptions(), /*seed=*/0);
    // BA-Shapes' features are constant; random ones let the model tell nodes apart, so that z_u * z_v
    // can see the neighbours u and v share.
    gnnx::Graph graph = d.graphs[0];
    graph.x = torch::randn({graph.num_nodes, 32}, gnnx::torch_generator(1));
    const auto split = gnnx::nn::random_link_split(graph, /*val=*/0.05, /*test=*/0.1, /*seed=*/0);
    const auto& g = split.graph;  // the graph without the held-out edges

    torch::manual_seed(0);
    gnnx::nn::GNNClassifier model(
        gnnx::nn::GNNClassifierOptions(g.num_features(), /*classes: no edge, edge*/ 2).task(gnnx::nn::Task::kLink));
    const auto fit = gnnx::nn::train_link_predictor(*model, split, gnnx::nn::TrainOptions().epochs(200).patience(50));
    std::cout << "link predictor: accuracy train " << fit.train_acc << ", held-out edges and non-edges " << fit.test_acc
              << "\n";

    // The held-out edges inside a house that the model predicts as links.
    const auto motif = d.motif_id[0];
    std::vector<gnnx::Target> links;
    {
      torch::NoGradGuard ng;
      const auto pred = model->forward_links(g.x, g.edge_index, g.edge_weight, split.test_pos).argmax(1);
      for (int64_t i = 0; i < split.test_pos.size(1); ++i) {
        const int64_t u = split.test_pos[0][i].item<int64_t>(), v = split.test_pos[1][i].item<int64_t>();
        if (motif[u].item<int64_t>() >= 0 && motif[u].equal(motif[v]) && pred[i].item<int64_t>() == 1)
          links.push_back(gnnx::Target::link(u, v));
      }
    }
    if (links.empty()) {
      std::cout << "the model predicts none of the held-out house edges as a link\n";
      return 0;
    }
    // Ground truth: the edges of g that join two nodes of one house.
    const auto in_house = (motif.index_select(0, g.edge_index[0]) >= 0) &
                          motif.index_select(0, g.edge_index[0]).eq(motif.index_select(0, g.edge_index[1]));
    const auto truth = in_house.to(torch::kFloat);
    for (const std::string method : {"gnnexplainer", "pgexplainer", "saliency"}) {
      auto explainer = gnnx::explain::make_explainer(method, {{"seed", "0"}});
      const auto explanations = explainer->explain(*model, g, links);
      std::vector<torch::Tensor> scores, labels;
      for (const auto& e : explanations) {
        scores.push_back(e.edge_mask.index_select(0, e.edge_ids));
        labels.push_back(truth.index_select(0, e.edge_ids));
      }
      const auto& first = explanations.front();
      std::cout << method << ": " << explanations.size() << " held-out house edges, house-edge ROC AUC "
                << gnnx::metrics::roc_auc(torch::cat(scores), torch::cat(labels)) << "; "
                << gnnx::to_string(first.target) << " on " << first.edge_ids.numel() << " edges\n";
    }
  } catch (const gnnx::Error& err) {
    std::cerr << err.what() << "\n";
    return 1;
  }
  return 0;
}
