// A program that uses gnnx the way a user would: through find_package(gnnx) (consumer/) or
// add_subdirectory (subdirectory/). It includes the umbrella header alone and touches every layer,
// so a public header missing from gnnx/gnnx.h (or from the installed tree) fails to compile here.
#include <iostream>

#include <gnnx/gnnx.h>
#include <torch/torch.h>

int main() {
  // core, graph, nn
  auto ei = gnnx::undirected_edge_index({{0, 1}, {1, 2}, {2, 3}});
  gnnx::Graph g(ei, 4, torch::ones({4, 3}));
  gnnx::nn::GCNConv conv(gnnx::nn::GCNConvOptions(3, 2));
  auto out = conv->forward(g.x, g.edge_index);
  if (out.sizes() != torch::IntArrayRef({4, 2})) return 1;
  if (gnnx::from_name<gnnx::nn::Aggregation>("mean") != gnnx::nn::Aggregation::kMean) return 1;
  // datasets, explain, eval, metrics
  auto ds = gnnx::datasets::make_dataset("ba-shapes", /*seed=*/0);
  auto model = gnnx::nn::GNNClassifier(
      gnnx::nn::GNNClassifierOptions(ds.graphs.front().num_features(), ds.num_classes));
  auto explainer = gnnx::explain::make_explainer("grad", {{"seed", "0"}});
  auto e = explainer->explain(*model, ds.graphs.front(), {gnnx::Target::node(400)}).front();
  auto truth = gnnx::eval::node_ground_truth(ds, 400);
  const double auc = gnnx::metrics::roc_auc(e.edge_mask.index_select(0, e.edge_ids).to(torch::kDouble),
                                            truth.index_select(0, e.edge_ids));
  if (!(auc >= 0.0 && auc <= 1.0)) return 1;
  // attribution, viz
  auto saliency = gnnx::attribution::make_attributor("saliency");
  if (saliency->name() != "saliency") return 1;
  if (gnnx::viz::explanation_dot(ds.graphs.front(), e).find("graph") == std::string::npos) return 1;
  std::cout << "consumer ok, gnnx " << gnnx::version() << "\n";
  return 0;
}
