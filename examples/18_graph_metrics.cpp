// 18: score explanations without and with ground truth: fidelity+ / fidelity- (PyG's model
// form), the characterization score, unfaithfulness (GEF), GraphXAI's accuracy (GEA, the Jaccard
// index of the top-k edges with the planted house) and stability under one rewired edge (GES),
// for GNNExplainer and the gradient baseline on the same BA-Shapes nodes.
#include <cstdio>
#include <string>

#include <gnnx/datasets/reference.h>
#include <gnnx/datasets/synthetic.h>
#include <gnnx/eval/benchmark.h>
#include <gnnx/eval/graph_metrics.h>
#include <gnnx/explain/explainer.h>
#include <gnnx/metrics/graph_metrics.h>
#include <torch/torch.h>

int main() {
  auto ds = gnnx::datasets::make_dataset("ba-shapes", /*seed=*/0);
  const auto& graph = ds.graphs.front();
  auto model = gnnx::datasets::train_reference_model(ds, /*seed=*/0).model;

  std::vector<gnnx::Target> targets;  // one node of every other house
  for (int64_t v = 400; v < 700; v += 10) targets.push_back(gnnx::Target::node(v));

  std::printf("%-13s %6s %6s %7s %7s %6s %6s\n", "method", "fid+", "fid-", "charact", "GEF", "GEA", "GES");
  for (const char* method : {"gnnexplainer", "grad"}) {
    gnnx::OptionMap options{{"seed", "0"}};
    if (std::string(method) == "gnnexplainer") options["epochs"] = "50";  // quick; evaluate uses 100
    auto explainer = gnnx::explain::make_explainer(method, options);
    const auto explanations = explainer->explain(*model, graph, targets);

    // Keep each explanation's 12 best edges (a house has 6, in both directions), as PyG's
    // ThresholdConfig("topk_hard", 12) would, and run the model on them and on the rest.
    const auto top12 = gnnx::metrics::ThresholdOptions().type(gnnx::metrics::MaskThreshold::kTopKHard).value(12);
    std::vector<torch::Tensor> masks;
    double gea = 0;
    for (const auto& e : explanations) {
      masks.push_back(gnnx::metrics::explanation_edge_mask(e, top12));
      const auto truth = gnnx::eval::node_ground_truth(ds, e.target.index);
      gea += gnnx::metrics::graph_explanation_accuracy(masks.back(), {truth}) / explanations.size();
    }
    const auto predictions = gnnx::eval::masked_predictions(*model, graph, explanations, masks);
    const auto fid = gnnx::eval::fidelity(predictions);
    const double gef = gnnx::eval::unfaithfulness(predictions).mean().item<double>();

    // Stability explains every node again on 3 copies of its computation subgraph.
    const auto ges = gnnx::eval::stability(*explainer, *model, graph, explanations,
                                           gnnx::eval::StabilityOptions().runs(3).rewired_edges(1));
    std::printf("%-13s %6.3f %6.3f %7.3f %7.4f %6.3f %6.3f\n", method, fid.plus, fid.minus,
                gnnx::metrics::characterization_score(fid.plus, fid.minus), gef, gea, ges.mean);
  }
  return 0;
}
