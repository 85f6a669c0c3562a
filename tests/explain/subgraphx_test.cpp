#include <algorithm>
#include <cmath>
#include <set>
#include <vector>

#include <tbb/task_arena.h>
#include <torch/torch.h>

#include "gnnx/core/check.h"
#include "gnnx/core/random.h"
#include "gnnx/explain/explainer.h"
#include "gnnx/explain/subgraphx.h"
#include "gnnx/graph/ops.h"
#include "gnnx/nn/conv/graph_conv.h"
#include "gnnx/nn/models/gnn.h"
#include "support/catch.h"
#include "support/random_graph.h"
#include "support/tensor_match.h"

using namespace gnnx;
using namespace gnnx::explain;

namespace {

// A path 0 - 1 - ... - (n-1) whose nodes `motif` carry feature 1 (the others 0), and a graph
// classifier whose class-1 logit is Σ_i z_i with z_i = x_i + Σ_{j->i} x_j (one GraphConv with
// identity weights, sum readout): masking motif nodes out lowers class 1's probability.
struct PathFixture {
  Graph graph;
  nn::GNNClassifier model{nullptr};
  PathFixture(int64_t n, const std::vector<int64_t>& motif) {
    std::vector<std::pair<int64_t, int64_t>> pairs;
    for (int64_t i = 0; i + 1 < n; ++i) pairs.emplace_back(i, i + 1);
    auto x = torch::zeros({n, 1});
    for (auto v : motif) x[v][0] = 1;
    graph = Graph(undirected_edge_index(pairs), n, x);
    model = nn::GNNClassifier(nn::GNNClassifierOptions(1, 2)
                                  .task(nn::Task::kGraph)
                                  .conv(nn::ConvType::kGraphConv)
                                  .hidden_channels(1)
                                  .num_layers(1)
                                  .concat(false)
                                  .readout(nn::Aggregation::kSum));
    torch::NoGradGuard ng;
    auto conv = std::dynamic_pointer_cast<nn::GraphConvImpl>(model->message_passing_layers()[0]);
    conv->lin_rel->weight.fill_(1);
    conv->lin_rel->bias.zero_();
    conv->lin_root->weight.fill_(1);
    model->head->weight.copy_(torch::tensor({0.f, 1.f}).view({2, 1}));
    model->head->bias.zero_();
    model->eval();
  }
};

// A small random graph and an untrained 3-layer model (seeded).
struct RandomFixture {
  Graph graph;
  nn::GNNClassifier model{nullptr};
  explicit RandomFixture(int64_t n = 24, nn::Task task = nn::Task::kNode, uint64_t seed = 3) {
    graph = gnnx::test::random_tree_graph(n, n / 2, seed, seed + 1);
    torch::manual_seed(static_cast<uint64_t>(seed + 2));
    model = nn::GNNClassifier(nn::GNNClassifierOptions(5, 3).task(task));
    model->eval();
  }
};

std::vector<int64_t> chosen_nodes(const Explanation& e) {
  auto nm = e.node_mask.to(torch::kCPU);
  std::vector<int64_t> out;
  for (int64_t i = 0; i < nm.numel(); ++i)
    if (nm[i].item<float>() > 0.5f) out.push_back(i);
  return out;
}

// Whether `nodes` induce a connected subgraph of g (edges taken in both directions).
bool connected(const Graph& g, const std::vector<int64_t>& nodes) {
  if (nodes.empty()) return false;
  std::set<int64_t> in(nodes.begin(), nodes.end()), seen{nodes.front()};
  std::vector<int64_t> stack{nodes.front()};
  auto ei = g.edge_index;
  while (!stack.empty()) {
    auto v = stack.back();
    stack.pop_back();
    for (int64_t e = 0; e < ei.size(1); ++e) {
      auto a = ei[0][e].item<int64_t>(), b = ei[1][e].item<int64_t>();
      for (auto [u, w] : {std::pair{a, b}, std::pair{b, a}})
        if (u == v && in.count(w) && !seen.count(w)) seen.insert(w), stack.push_back(w);
    }
  }
  return seen.size() == in.size();
}

// The model's softmax probability of `label` with the nodes outside `keep` zero-filled.
double value(nn::GNNModel& model, const Graph& g, const std::vector<int64_t>& keep, int64_t target, int64_t label) {
  torch::NoGradGuard ng;
  auto mask = torch::zeros({g.num_nodes, 1});
  for (auto v : keep) mask[v][0] = 1;
  auto logits = model.forward(g.x * mask, g.edge_index, g.edge_weight);
  auto row = model.task() == nn::Task::kGraph ? logits[0] : logits[target];
  return torch::softmax(row.to(torch::kDouble), 0)[label].item<double>();
}

}  // namespace

TEST_CASE("SubgraphX finds the connected subgraph that carries a graph classifier's evidence", "[subgraphx]") {
  PathFixture f(10, {4, 5, 6});
  SubgraphX sx(SubgraphXOptions().reward(SubgraphReward::kGnnScore).min_atoms(3).max_nodes(3));
  auto ex = sx.explain(*f.model, f.graph, {Target::graph(0)});
  REQUIRE(ex.size() == 1);
  CHECK(chosen_nodes(ex[0]) == std::vector<int64_t>{4, 5, 6});
  // gnn_score: the score is v(coalition), which "masked" reports independently.
  CHECK(ex[0].diagnostics.at("shapley") == Approx(ex[0].diagnostics.at("masked")).epsilon(1e-6));
  CHECK(ex[0].diagnostics.at("masked") == Approx(value(*f.model, f.graph, {4, 5, 6}, 0, 1)).epsilon(1e-5));
  // The edges kept are exactly those between chosen nodes: 4-5 and 5-6, both directions.
  auto em = ex[0].edge_mask;
  CHECK(em.sum().item<float>() == 4.0f);
}

TEST_CASE("SubgraphX explains nodes with connected subgraphs that hold the node", "[subgraphx]") {
  RandomFixture f(30);
  SubgraphX sx(SubgraphXOptions().rollout(6).sample_num(12).seed(7));
  std::vector<Target> targets = {Target::node(3), Target::node(17), Target::node(29)};
  auto ex = sx.explain(*f.model, f.graph, targets);
  REQUIRE(ex.size() == 3);
  torch::NoGradGuard ng;
  auto full = f.model->forward_graph(f.graph);
  for (size_t i = 0; i < ex.size(); ++i) {
    const auto& e = ex[i];
    auto nodes = chosen_nodes(e);
    INFO("target " << targets[i].index);
    CHECK(std::count(nodes.begin(), nodes.end(), targets[i].index) == 1);
    CHECK(static_cast<int64_t>(nodes.size()) <= 5);
    CHECK(connected(f.graph, nodes));
    CHECK(e.diagnostics.at("coalition_nodes") == static_cast<double>(nodes.size()));
    // The explained prediction is the model's on the whole graph.
    CHECK(torch::allclose(e.logits, full[targets[i].index], 1e-5, 1e-5));
    // Edge mask: 1 exactly on edges with both ends chosen.
    auto nm = e.node_mask;
    auto both = nm.index_select(0, f.graph.edge_index[0]) * nm.index_select(0, f.graph.edge_index[1]);
    CHECK(torch::equal(e.edge_mask, both));
  }
}

TEST_CASE("SubgraphX's Monte-Carlo Shapley value converges to the exact one", "[subgraphx]") {
  // mc_shapley of the chosen coalition S against the exact Shapley value of S as one player
  // among the other nodes: Σ_R |R|! (p - |R|)! / (p + 1)! [v(R ∪ S) - v(R)] over subsets R of the p others.
  RandomFixture f(7, nn::Task::kGraph, 11);
  const int64_t samples = 3000;
  SubgraphX sx(SubgraphXOptions().reward(SubgraphReward::kMcShapley).sample_num(samples).min_atoms(3).max_nodes(3).rollout(2));
  auto ex = sx.explain(*f.model, f.graph, {Target::graph(0)});
  const auto S = chosen_nodes(ex[0]);
  const auto label = ex[0].target.label;
  std::vector<int64_t> others;
  for (int64_t v = 0; v < 7; ++v)
    if (std::find(S.begin(), S.end(), v) == S.end()) others.push_back(v);
  const auto p = static_cast<int64_t>(others.size());
  auto fact = [](int64_t k) { return std::tgamma(static_cast<double>(k) + 1); };
  double exact = 0, spread = 0;
  for (int64_t bits = 0; bits < (1 << p); ++bits) {
    std::vector<int64_t> R;
    for (int64_t j = 0; j < p; ++j)
      if (bits >> j & 1) R.push_back(others[static_cast<size_t>(j)]);
    auto RS = R;
    RS.insert(RS.end(), S.begin(), S.end());
    const double m = value(*f.model, f.graph, RS, 0, label) - value(*f.model, f.graph, R, 0, label);
    const auto k = static_cast<int64_t>(R.size());
    exact += fact(k) * fact(p - k) / fact(p + 1) * m;
    spread = std::max(spread, std::abs(m));
  }
  // Each draw's marginal lies in [-spread, spread]: 5 standard errors at most.
  CHECK(std::abs(ex[0].diagnostics.at("shapley") - exact) <= 5 * spread / std::sqrt(static_cast<double>(samples)) + 1e-9);
}

TEST_CASE("SubgraphX does not depend on batching or thread count, and a seed fixes it", "[subgraphx]") {
  RandomFixture f(26);
  std::vector<Target> targets = {Target::node(1), Target::node(8), Target::node(20), Target::node(25)};
  auto run = [&](int64_t max_batch_nodes, int threads) {
    SubgraphX sx(SubgraphXOptions().rollout(3).sample_num(10).max_batch_nodes(max_batch_nodes).seed(3));
    std::vector<Explanation> out;
    tbb::task_arena arena(threads);
    arena.execute([&] { out = sx.explain(*f.model, f.graph, targets); });
    return out;
  };
  auto a = run(int64_t{1} << 21, 1), b = run(26 * 7, 2), c = run(int64_t{1} << 21, 2);
  for (size_t i = 0; i < targets.size(); ++i) {
    CHECK(torch::equal(a[i].node_mask, c[i].node_mask));
    CHECK(a[i].diagnostics.at("shapley") == c[i].diagnostics.at("shapley"));
    // One masked copy per forward sums in another order: the same coalition, scores to rounding.
    CHECK(torch::equal(a[i].node_mask, b[i].node_mask));
    CHECK(a[i].diagnostics.at("shapley") == Approx(b[i].diagnostics.at("shapley")).margin(1e-6));
    CHECK(b[i].diagnostics.at("forwards") > a[i].diagnostics.at("forwards"));
  }
}

TEST_CASE("SubgraphX explains many graphs of a graph classifier, with zero filling and with split", "[subgraphx]") {
  std::vector<Graph> graphs;
  RandomFixture f(12, nn::Task::kGraph, 5);
  for (uint64_t s = 0; s < 3; ++s) graphs.push_back(RandomFixture(10 + static_cast<int64_t>(s), nn::Task::kGraph, 20 + s).graph);
  for (auto building : {SubgraphBuilding::kZeroFilling, SubgraphBuilding::kSplit}) {
    SubgraphX sx(SubgraphXOptions().rollout(4).sample_num(8).subgraph_building(building));
    auto ex = sx.explain_graphs(*f.model, graphs);
    REQUIRE(ex.size() == 3);
    for (size_t i = 0; i < ex.size(); ++i) {
      CHECK(ex[i].target.index == static_cast<int64_t>(i));
      auto nodes = chosen_nodes(ex[i]);
      CHECK(!nodes.empty());
      CHECK(connected(graphs[i], nodes));
    }
  }
}

TEST_CASE("SubgraphX is registered and rejects invalid input", "[subgraphx]") {
  RandomFixture f(10);
  auto sx = make_explainer("subgraphx", {{"rollout", "2"}, {"sample_num", "4"}, {"reward", "nc_mc_l_shapley"}});
  CHECK(sx->name() == "subgraphx");
  auto ex = sx->explain(*f.model, f.graph, {Target::node(2)});
  CHECK(ex.at(0).node_mask[2].item<float>() == 1.0f);
  GNNX_REQUIRE_ERROR("option reward expects one of", make_explainer("subgraphx", {{"reward", "exact"}}));
  GNNX_REQUIRE_ERROR("unknown option \"rollouts\"", make_explainer("subgraphx", {{"rollouts", "3"}}));
  GNNX_REQUIRE_ERROR("rollout must be >= 1",
                     SubgraphX(SubgraphXOptions().rollout(0)).explain(*f.model, f.graph, {Target::node(0)}));
  GNNX_REQUIRE_ERROR("sample_num must be >= 1",
                     SubgraphX(SubgraphXOptions().sample_num(0)).explain(*f.model, f.graph, {Target::node(0)}));
  GNNX_REQUIRE_ERROR("c_puct must be finite",
                     SubgraphX(SubgraphXOptions().c_puct(-1)).explain(*f.model, f.graph, {Target::node(0)}));
  GNNX_REQUIRE_ERROR("at least one target", SubgraphX().explain(*f.model, f.graph, {}));
  GNNX_REQUIRE_ERROR("outside", SubgraphX().explain(*f.model, f.graph, {Target::node(10)}));
  GNNX_REQUIRE_ERROR("node", SubgraphX().explain(*f.model, f.graph, {Target::graph(0)}));
  GNNX_REQUIRE_ERROR("at least one graph", SubgraphX().explain_graphs(*f.model, {}));
}
