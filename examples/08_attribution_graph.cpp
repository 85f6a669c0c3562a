// 08: gradient and perturbation attributions as GNN explanations. A small BA-Shapes-like graph
// (a Barabási–Albert base with "house" motifs attached; labels: base 0, house top 1, middle 2,
// bottom 3) trains a 3-layer GCN; saliency, gradient x input, integrated gradients, SmoothGrad
// and occlusion then explain the motif nodes through the Explainer interface, and the edge
// masks are scored by ROC AUC against the motif edges (pooled over the explained nodes'
// computation-subgraph edges).
#include <algorithm>
#include <cstdio>
#include <vector>

#include <torch/torch.h>

#include "gnnx/core/random.h"
#include "gnnx/explain/explainer.h"
#include "gnnx/graph/ops.h"
#include "gnnx/metrics/ground_truth.h"
#include "gnnx/nn/train.h"

using namespace gnnx;

int main() {
  const int64_t base_n = 150, houses = 20;
  Rng rng(3);
  std::vector<std::pair<int64_t, int64_t>> pairs;
  std::vector<int64_t> pool{0};
  for (int64_t v = 1; v < base_n; ++v) {  // preferential attachment, one edge per new node
    int64_t u = pool[static_cast<size_t>(uniform_int(rng, 0, static_cast<int64_t>(pool.size()) - 1))];
    pairs.push_back({v, u});
    pool.push_back(u);
    pool.push_back(v);
  }
  const int64_t base_edges = static_cast<int64_t>(pairs.size());
  const int64_t n = base_n + 5 * houses;
  std::vector<int64_t> label(static_cast<size_t>(n), 0);
  for (int64_t h = 0; h < houses; ++h) {
    const int64_t o = base_n + 5 * h;  // o: roof, o+1/o+2: middle, o+3/o+4: bottom
    for (auto [a, b] : std::vector<std::pair<int64_t, int64_t>>{{0, 1}, {0, 2}, {1, 2}, {1, 3}, {2, 4}, {3, 4}})
      pairs.push_back({o + a, o + b});
    pairs.push_back({o + 3, uniform_int(rng, 0, base_n - 1)});  // attach the house to the base
    label[static_cast<size_t>(o)] = 1;
    label[static_cast<size_t>(o + 1)] = label[static_cast<size_t>(o + 2)] = 2;
    label[static_cast<size_t>(o + 3)] = label[static_cast<size_t>(o + 4)] = 3;
  }
  auto ei = undirected_edge_index(pairs);
  Graph g(ei, n, torch::ones({n, 10}), {}, torch::tensor(label, torch::kLong));
  // Ground truth: an edge is a motif edge when both ends lie in the same house (not the
  // attachment edge).
  auto src = ei[0], dst = ei[1];
  auto house_of = [&](const at::Tensor& v) {
    return torch::where(v >= base_n, (v - base_n).div(5, "floor"), torch::full_like(v, -1));
  };
  auto truth = ((house_of(src) == house_of(dst)) & (house_of(src) >= 0)).to(torch::kLong);
  std::printf("graph: %lld nodes, %lld edges (%lld base), %lld motif edges\n", static_cast<long long>(n),
              static_cast<long long>(g.num_edges()), static_cast<long long>(2 * base_edges),
              static_cast<long long>(truth.sum().item<int64_t>()));

  torch::manual_seed(0);
  nn::GNNClassifier model(nn::GNNClassifierOptions(10, 4).num_layers(3).hidden_channels(20));
  auto split = nn::random_split(n, 0.8, 0.1, /*seed=*/0);
  auto trained = nn::train_node_classifier(*model, g, split, nn::TrainOptions().epochs(400).lr(0.01).patience(0));
  model->eval();
  std::printf("train accuracy %.3f, test accuracy %.3f\n", trained.train_acc, trained.test_acc);

  std::vector<Target> targets;
  for (int64_t v = base_n; v < n; ++v) targets.push_back(Target::node(v));
  std::printf("%-12s %s\n", "method", "edge ROC AUC over the motif nodes' computation subgraphs");
  for (const std::string name : {"saliency", "gradxinput", "ig", "smoothgrad", "occlusion"}) {
    auto explainer = explain::make_explainer(name, {{"seed", "0"}});
    auto explanations = explainer->explain(*model, g, targets);
    std::vector<at::Tensor> scores, labels;
    for (const auto& e : explanations) {
      scores.push_back(e.edge_mask.index_select(0, e.edge_ids));
      labels.push_back(truth.index_select(0, e.edge_ids));
    }
    const double auc = metrics::roc_auc(torch::cat(scores), torch::cat(labels));
    std::printf("%-12s %.3f\n", name.c_str(), auc);
  }
  return 0;
}
