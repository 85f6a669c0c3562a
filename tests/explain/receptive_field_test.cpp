// The prediction an explainer explains is the model's prediction on the whole graph: computation
// subgraphs are cut at GNNModel::receptive_field() hops, for every layer type, and the
// explainers check it.
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "gnnx/core/random.h"
#include "gnnx/explain/baselines.h"
#include "gnnx/explain/gnn_explainer.h"
#include "gnnx/graph/generators.h"
#include "gnnx/graph/ops.h"
#include "gnnx/nn/models/gnn.h"
#include "support/catch.h"
#include "support/tensor_match.h"

using namespace gnnx;

namespace {

// A Barabási–Albert graph (hubs put most nodes within a few hops) with random features.
Graph ba_graph() {
  auto edges = barabasi_albert(120, 2, uint64_t{7});
  auto x = torch::randn({120, 6}, torch_generator(8));
  return Graph(undirected_edge_index(edges), 120, x);
}

nn::GNNClassifier model_of(nn::ConvType conv, bool concat) {
  torch::manual_seed(9);
  return nn::GNNClassifier(
      nn::GNNClassifierOptions(6, 4).conv(conv).num_layers(3).hidden_channels(8).concat(concat).heads(
          conv == nn::ConvType::kGAT ? 2 : 1));
}

// Largest |difference| between each node's logits on its `hops`-hop subgraph and on the graph.
double cut_error(nn::GNNModel& model, const Graph& g, const std::vector<int64_t>& nodes, int64_t hops) {
  torch::NoGradGuard ng;
  model.eval();
  auto full = model.forward(g.x, g.edge_index, g.edge_weight);
  double worst = 0;
  auto subs = computation_subgraphs(g, nodes, hops);
  for (size_t i = 0; i < nodes.size(); ++i) {
    const auto& s = subs[i];
    auto cut = model.forward(s.graph.x, s.graph.edge_index, s.graph.edge_weight)[s.center[0].item<int64_t>()];
    worst = std::max(worst, (cut - full[nodes[i]]).abs().max().item<double>());
  }
  return worst;
}

// Says it reads fewer hops than it does.
class Overconfident : public nn::GNNClassifierImpl {
 public:
  using nn::GNNClassifierImpl::GNNClassifierImpl;
  int64_t receptive_field() const override { return num_hops() - 1; }
};

}  // namespace

TEST_CASE("every layer type's receptive field reproduces the full-graph logits", "[explain][receptive_field]") {
  const auto g = ba_graph();
  const std::vector<int64_t> nodes{0, 3, 17, 40, 77, 119};
  const std::vector<std::pair<nn::ConvType, int64_t>> expected{{nn::ConvType::kGCN, 4},
                                                               {nn::ConvType::kGraphConv, 3},
                                                               {nn::ConvType::kGIN, 3},
                                                               {nn::ConvType::kSAGE, 3},
                                                               {nn::ConvType::kGAT, 3}};
  for (const auto& [conv, hops] : expected)
    for (bool concat : {false, true}) {
      INFO(nn::to_string(conv) << (concat ? " (jk cat)" : " (jk last)"));
      auto model = model_of(conv, concat);
      REQUIRE(model->receptive_field() == hops);
      CHECK(cut_error(*model, g, nodes, model->receptive_field()) < 1e-5);
    }
  // The test can fail: GCN cut at L hops loses the degrees of the nodes L hops out.
  auto gcn = model_of(nn::ConvType::kGCN, true);
  CHECK(cut_error(*gcn, g, nodes, gcn->num_hops()) > 1e-4);
  // Unknown reach: the whole graph.
  auto subs = computation_subgraphs(g, {5}, -1);
  CHECK(subs[0].graph.num_nodes == g.num_nodes);
  CHECK(subs[0].center[0].item<int64_t>() == 5);
}

TEST_CASE("explainers report the full-graph logits they explain", "[explain][receptive_field]") {
  const auto g = ba_graph();
  for (auto conv : {nn::ConvType::kGCN, nn::ConvType::kSAGE}) {
    INFO(nn::to_string(conv));
    auto model = model_of(conv, true);
    model->eval();
    at::Tensor full;
    {
      torch::NoGradGuard ng;
      full = model->forward(g.x, g.edge_index);
    }
    explain::GNNExplainer gx(explain::GNNExplainerOptions().epochs(5));
    auto ex = gx.explain(*model, g, {Target::node(10), Target::node(60)});
    explain::GradExplainer grad;
    auto eg = grad.explain(*model, g, {Target::node(10)});
    for (const auto& e : {ex[0], ex[1], eg[0]}) {
      REQUIRE(e.logits.defined());
      CHECK((e.logits - full[e.target.index]).abs().max().item<double>() < 1e-5);
      CHECK(e.target.label == full[e.target.index].argmax().item<int64_t>());
    }
    // GCN's explanation reaches one hop past the L-hop neighbourhood (the degrees it reads).
    auto lhop = k_hop_subgraph(g, 10, model->num_hops());
    if (conv == nn::ConvType::kGCN)
      CHECK(ex[0].edge_ids.numel() > lhop.edge_ids.numel());
    else
      CHECK(ex[0].edge_ids.numel() == lhop.edge_ids.numel());
  }
}

TEST_CASE("a model that understates its receptive field is refused, naming the node", "[explain][receptive_field]") {
  const auto g = ba_graph();
  torch::manual_seed(9);
  auto model = std::make_shared<Overconfident>(
      nn::GNNClassifierOptions(6, 4).conv(nn::ConvType::kGraphConv).num_layers(3).hidden_channels(8));
  explain::GradExplainer grad;
  GNNX_REQUIRE_ERROR("GradExplainer: node 0's logits on its 2-hop computation subgraph differ",
                     grad.explain(*model, g, {Target::node(0)}));
}
