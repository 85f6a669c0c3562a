// 28: explaining a regression model. A GraphConv model (sum aggregation: it sees degrees, as the
// BA-Shapes reference model does) learns one real number per node of BA-Shapes, its role (0 in the
// base graph, 1 to 3 from a house's roof to its floor), by the mean squared error.
// GNNExplainer, PGExplainer and saliency then explain the value it predicts at house nodes: the
// explained quantity is the model's output, not a class. The planted houses say how well each
// method found the edges that value reads.
#include <iostream>

#include <gnnx/gnnx.h>
#include <torch/torch.h>

int main() {
  try {
    const auto d = gnnx::datasets::ba_shapes(gnnx::datasets::BaShapesOptions(), /*seed=*/0);
    const auto& g = d.graphs[0];
    const auto value = g.y.to(torch::kFloat);  // what the model learns to predict

    torch::manual_seed(0);
    gnnx::nn::GNNClassifier model(gnnx::nn::GNNClassifierOptions(g.num_features(), /*outputs=*/1)
                                      .mode(gnnx::nn::Mode::kRegression)
                                      .conv(gnnx::nn::ConvType::kGraphConv));
    const auto fit = gnnx::nn::train_node_regressor(*model, g, value, d.split,
                                                    gnnx::nn::TrainOptions().epochs(300).patience(100));
    std::cout << "regression model: train MSE " << fit.train_mse << ", test MSE " << fit.test_mse
              << " (target variance " << value.var().item<double>() << ")\n";

    std::vector<gnnx::Target> houses;  // every other node of the first 20 houses
    for (int64_t v = 300; v < 400; v += 2) houses.push_back(gnnx::Target::node(v));
    const auto truth = d.edge_mask_gt[0];
    for (const std::string method : {"gnnexplainer", "pgexplainer", "saliency"}) {
      auto explainer = gnnx::explain::make_explainer(method, {{"seed", "0"}});
      const auto explanations = explainer->explain(*model, g, houses);
      std::vector<torch::Tensor> scores, labels;
      for (const auto& e : explanations) {
        scores.push_back(e.edge_mask.index_select(0, e.edge_ids));
        labels.push_back(truth.index_select(0, e.edge_ids));
      }
      const auto& first = explanations.front();
      std::cout << method << ": " << explanations.size() << " nodes, house-edge ROC AUC "
                << gnnx::metrics::roc_auc(torch::cat(scores), torch::cat(labels)) << "; node " << first.target.index
                << " explains output " << first.target.label;
      if (first.logits.defined()) std::cout << " = " << first.logits[0].item<double>();  // the full graph's value
      std::cout << "\n";
    }
  } catch (const gnnx::Error& err) {
    std::cerr << err.what() << "\n";
    return 1;
  }
  return 0;
}
