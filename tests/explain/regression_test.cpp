// Regression models: the explained quantity is one of the model's real outputs, not a class.
#include <unistd.h>

#include <cmath>
#include <filesystem>

#include <torch/torch.h>

#include "gnnx/eval/graph_metrics.h"
#include "gnnx/explain/baselines.h"
#include "gnnx/explain/explainer.h"
#include "gnnx/explain/gnn_explainer.h"
#include "gnnx/explain/graphmask.h"
#include "gnnx/explain/pg_explainer.h"
#include "gnnx/explain/prototype.h"
#include "gnnx/explain/subgraphx.h"
#include "gnnx/graph/ops.h"
#include "gnnx/nn/conv/graph_conv.h"
#include "gnnx/nn/models/gnn.h"
#include "gnnx/nn/train.h"
#include "support/catch.h"
#include "support/random_graph.h"
#include "support/tensor_match.h"

using namespace gnnx;
using namespace gnnx::explain;

namespace {

// An untrained regression model with `outputs` outputs on the shared random graph.
struct RegressionFixture {
  Graph graph;
  nn::GNNClassifier model{nullptr};
  explicit RegressionFixture(int64_t outputs = 1, nn::Task task = nn::Task::kNode) {
    graph = gnnx::test::random_tree_graph();
    torch::manual_seed(7);
    model = nn::GNNClassifier(
        nn::GNNClassifierOptions(5, outputs).task(task).mode(nn::Mode::kRegression).readout(nn::Aggregation::kMean));
    model->eval();
  }
};

// Node 0 has in-edges from 1, 2 and 3; node 4 from 5, 6 and 7. One GraphConv layer with identity
// weights (z_i = x_i + Σ_j m_ji x_j) and a head reading 2 z_i[0]: only node 1 has a first
// coordinate, so node 0's output needs the edge 1 -> 0 (id 0) and none of the others.
struct OneEdgeRegression {
  Graph graph;
  nn::GNNClassifier model{nullptr};
  OneEdgeRegression() {
    auto ei = torch::tensor({1, 2, 3, 5, 6, 7, 0, 0, 0, 4, 4, 4}, torch::kLong).view({2, 6});
    auto x =
        torch::tensor({0.f, 0.f, 1.f, 0.f, 0.f, 1.f, 0.f, 2.f, 0.f, 0.f, 0.f, 1.f, 0.f, 2.f, 0.f, 1.f}).view({8, 2});
    graph = Graph(ei, 8, x);
    model = nn::GNNClassifier(nn::GNNClassifierOptions(2, 1)
                                  .mode(nn::Mode::kRegression)
                                  .conv(nn::ConvType::kGraphConv)
                                  .hidden_channels(2)
                                  .num_layers(1)
                                  .concat(false));
    torch::NoGradGuard ng;
    auto conv = std::dynamic_pointer_cast<nn::GraphConvImpl>(model->message_passing_layers()[0]);
    conv->lin_rel->weight.copy_(torch::eye(2));
    conv->lin_rel->bias.zero_();
    conv->lin_root->weight.copy_(torch::eye(2));
    model->head->weight.copy_(torch::tensor({2.f, 0.f}).view({1, 2}));
    model->head->bias.zero_();
    model->eval();
  }
};

// |d output[node, k] / d m_e| at the all-ones edge mask, on the whole graph.
at::Tensor output_gradient(nn::GNNModel& model, const Graph& g, int64_t node, int64_t k, nn::MaskPlacement placement) {
  auto m = torch::ones({g.num_edges()}, g.x.options()).requires_grad_(true);
  at::Tensor out;
  {
    nn::EdgeMaskScope scope(m, placement);
    out = model.forward(g.x, g.edge_index, g.edge_weight);
  }
  return torch::autograd::grad({out[node][k]}, {m})[0].abs();
}

}  // namespace

TEST_CASE("explained_output: a classifier's argmax class, a regression model's named output", "[regression]") {
  RegressionFixture one(1), two(2);
  nn::GNNClassifier classifier(nn::GNNClassifierOptions(5, 3));
  const auto row = torch::tensor({0.1f, 0.9f, 0.2f});
  REQUIRE(nn::explained_output(*classifier, row, -1, "op") == 1);
  REQUIRE(nn::explained_output(*classifier, row, 2, "op") == 2);
  REQUIRE(nn::explained_output(*one.model, torch::tensor({-4.f}), -1, "op") == 0);
  REQUIRE(nn::explained_output(*two.model, torch::tensor({-4.f, 9.f}), 1, "op") == 1);
  GNNX_REQUIRE_ERROR("op: the regression model has 2 outputs; name the output to explain",
                     nn::explained_output(*two.model, torch::tensor({-4.f, 9.f}), -1, "op"));
  GNNX_REQUIRE_ERROR("op: output 2 is not an output of the model's 2",
                     nn::explained_output(*two.model, torch::tensor({-4.f, 9.f}), 2, "op"));
  GNNX_REQUIRE_ERROR("op: class 3 is not a class of the model's 3", nn::explained_output(*classifier, row, 3, "op"));
}

TEST_CASE("GNNExplainer keeps a regression output by its squared error and finds the one edge it reads",
          "[regression]") {
  OneEdgeRegression f;
  GNNExplainer ex(GNNExplainerOptions().epochs(200).seed(0).feature_mask(FeatureMaskType::kNone));
  const auto e = ex.explain(*f.model, f.graph, {Target::node(0)}).at(0);
  REQUIRE(e.target.label == 0);
  torch::NoGradGuard ng;
  const auto full = f.model->forward(f.graph.x, f.graph.edge_index)[0];
  GNNX_REQUIRE_CLOSE(e.logits, full);
  REQUIRE(full.item<float>() == Approx(2.f));  // 2 (x_0[0] + x_1[0]) = 2 (0 + 1)
  const auto mask = e.edge_mask.index_select(0, torch::tensor({0, 1, 2}, torch::kLong));
  INFO("mask of edges 1->0, 2->0, 3->0: " << mask);
  REQUIRE(mask[0].item<float>() > 0.5f);
  REQUIRE(mask[0].item<float>() > 2 * mask.slice(0, 1).max().item<float>());
  // The loss is the squared error of the masked output: small when the one edge is kept.
  REQUIRE(e.diagnostics.at("prediction_loss") >= 0);
  REQUIRE(e.diagnostics.at("prediction_loss") < 0.1);
}

TEST_CASE("GNNExplainer explains the output a regression target names", "[regression]") {
  RegressionFixture f(2);
  GNNExplainer ex(GNNExplainerOptions().epochs(30).seed(1));
  const auto a = ex.explain(*f.model, f.graph, {Target::node(3, 0)}).at(0);
  const auto b = ex.explain(*f.model, f.graph, {Target::node(3, 1)}).at(0);
  REQUIRE(a.target.label == 0);
  REQUIRE(b.target.label == 1);
  REQUIRE_FALSE(torch::allclose(a.edge_mask, b.edge_mask));
  GNNX_REQUIRE_ERROR("GNNExplainer (node 3): the regression model has 2 outputs",
                     ex.explain(*f.model, f.graph, {Target::node(3)}));
  GNNX_REQUIRE_ERROR("needs a class, but the model is a regression model",
                     GNNExplainer(GNNExplainerOptions().explanation_type(ExplanationType::kPhenomenon))
                         .explain(*f.model, f.graph, {Target::node(3)}));
}

TEST_CASE("Saliency and GRAD on a regression model are the gradient of the explained output", "[regression]") {
  RegressionFixture f(2);
  const int64_t node = 5, k = 1;
  auto saliency = make_explainer("saliency");
  const auto s = saliency->explain(*f.model, f.graph, {Target::node(node, k)}).at(0);
  REQUIRE(s.target.label == k);
  const auto ids = s.edge_ids.to(torch::kLong);
  const auto deletion = output_gradient(*f.model, f.graph, node, k, nn::MaskPlacement::kDeletion);
  GNNX_REQUIRE_CLOSE(s.edge_mask.index_select(0, ids), deletion.index_select(0, ids), 1e-4, 1e-6);
  REQUIRE(deletion.index_select(0, ids).sum().item<double>() > 0);

  const auto g = GradExplainer().explain(*f.model, f.graph, {Target::node(node, k)}).at(0);
  const auto message = output_gradient(*f.model, f.graph, node, k, nn::MaskPlacement::kMessage);
  const auto gids = g.edge_ids.to(torch::kLong);
  GNNX_REQUIRE_CLOSE(g.edge_mask.index_select(0, gids), message.index_select(0, gids), 1e-4, 1e-6);
}

TEST_CASE("PGExplainer and GraphMask train on a regression model's outputs", "[regression]") {
  RegressionFixture f(1);
  std::vector<Target> targets;
  for (int64_t v : {0, 4, 9, 13}) targets.push_back(Target::node(v));
  PGExplainer pg(PGExplainerOptions().epochs(5).seed(0));
  const auto pe = pg.explain(*f.model, f.graph, targets);
  GraphMaskExplainer gm(GraphMaskOptions().epochs(3).seed(0));
  const auto ge = gm.explain(*f.model, f.graph, targets);
  torch::NoGradGuard ng;
  const auto full = f.model->forward(f.graph.x, f.graph.edge_index);
  for (size_t i = 0; i < targets.size(); ++i) {
    for (const auto* e : {&pe[i], &ge[i]}) {
      REQUIRE(e->target.label == 0);
      GNNX_REQUIRE_CLOSE(e->logits, full[targets[i].index]);
      REQUIRE(torch::isfinite(e->edge_mask).all().item<bool>());
    }
    REQUIRE(ge[i].diagnostics.at("divergence") >= 0);
  }
  GNNX_REQUIRE_ERROR("needs a class, but the model is a regression model",
                     PGExplainer(PGExplainerOptions().epochs(1).explanation_type(ExplanationType::kPhenomenon))
                         .explain(*f.model, f.graph, targets));
}

TEST_CASE("Graph regression: explainers explain the graph's output", "[regression]") {
  RegressionFixture f(1, nn::Task::kGraph);
  const auto e = GNNExplainer(GNNExplainerOptions().epochs(20).seed(0)).explain(*f.model, f.graph, {Target::graph(0)});
  REQUIRE(e.at(0).target.label == 0);
  torch::NoGradGuard ng;
  GNNX_REQUIRE_CLOSE(e.at(0).logits, f.model->forward_graph(f.graph)[0]);
  const auto s = make_explainer("ig")->explain(*f.model, f.graph, {Target::graph(0)});
  REQUIRE(s.at(0).edge_mask.sum().item<double>() > 0);
}

TEST_CASE("What needs classes refuses a regression model", "[regression]") {
  RegressionFixture f(1);
  const std::vector<Target> one{Target::node(2)};
  GNNX_REQUIRE_ERROR("SubgraphX: scores subgraphs by the probability of the explained class",
                     SubgraphX().explain(*f.model, f.graph, one));
  const auto e = make_explainer("saliency")->explain(*f.model, f.graph, one);
  GNNX_REQUIRE_ERROR("masked_predictions: the graph metrics compare predicted classes",
                     eval::masked_predictions(*f.model, f.graph, e, {e[0].edge_mask}));
  GNNX_REQUIRE_ERROR("prototype: a class prototype needs a classifier", Prototype().build(*f.model, f.graph, {2}));
  const auto split = nn::random_split(f.graph.num_nodes, 0.6, 0.2, 0);
  Graph labelled = f.graph;
  labelled.y = torch::zeros({f.graph.num_nodes}, torch::kLong);
  GNNX_REQUIRE_ERROR("train_node_classifier: the model is a regression model",
                     nn::train_node_classifier(*f.model, labelled, split));
}

TEST_CASE("train_node_regressor learns node degrees, and checks its targets", "[regression]") {
  std::vector<std::pair<int64_t, int64_t>> pairs;
  gnnx::Rng rng(11);
  const int64_t n = 120;
  for (int64_t i = 1; i < n; ++i) pairs.emplace_back(i, gnnx::uniform_int(rng, 0, i - 1));
  for (int64_t i = 0; i < 60; ++i)
    pairs.emplace_back(gnnx::uniform_int(rng, 0, n - 1), gnnx::uniform_int(rng, 0, n - 1));
  for (auto it = pairs.begin(); it != pairs.end();) it = it->first == it->second ? pairs.erase(it) : it + 1;
  Graph g(undirected_edge_index(pairs), n, torch::ones({n, 1}));
  const auto degree = torch::zeros({n}).index_add_(0, g.edge_index[1], torch::ones({g.num_edges()}));
  torch::manual_seed(0);
  nn::GNNClassifier model(nn::GNNClassifierOptions(1, 1)
                              .mode(nn::Mode::kRegression)
                              .conv(nn::ConvType::kGraphConv)
                              .num_layers(1)
                              .hidden_channels(8)
                              .concat(false));
  const auto split = nn::random_split(n, 0.6, 0.2, 0);
  const auto r = nn::train_node_regressor(*model, g, degree, split,
                                          nn::TrainOptions().epochs(400).lr(0.05).weight_decay(0).patience(0));
  INFO("train " << r.train_mse << " test " << r.test_mse << " variance " << degree.var().item<double>());
  REQUIRE(r.test_mse < 0.05 * degree.var().item<double>());
  REQUIRE(nn::node_mse(*model, g, degree, split.test) == Approx(r.test_mse));
  GNNX_REQUIRE_ERROR("train_node_regressor: expected targets [120, 1]",
                     nn::train_node_regressor(*model, g, torch::zeros({n, 2}), split));
  GNNX_REQUIRE_ERROR("train_node_regressor: the targets hold NaN",
                     nn::train_node_regressor(*model, g, torch::full({n}, NAN), split));
  GNNX_REQUIRE_ERROR("train_node_regressor: expected floating targets",
                     nn::train_node_regressor(*model, g, torch::zeros({n}, torch::kLong), split));
  nn::GNNClassifier classifier(nn::GNNClassifierOptions(1, 1));
  GNNX_REQUIRE_ERROR("train_node_regressor: the model is a classifier",
                     nn::train_node_regressor(*classifier, g, degree, split));
}

TEST_CASE("train_graph_regressor learns graph sizes", "[regression]") {
  std::vector<Graph> graphs;
  std::vector<float> sizes;
  for (int64_t i = 0; i < 60; ++i) {
    const int64_t n = 3 + i % 12;
    std::vector<std::pair<int64_t, int64_t>> path;
    for (int64_t v = 1; v < n; ++v) path.emplace_back(v - 1, v);
    graphs.emplace_back(undirected_edge_index(path), n, torch::ones({n, 1}));
    sizes.push_back(static_cast<float>(n) / 10.f);
  }
  torch::manual_seed(0);
  nn::GNNClassifier model(nn::GNNClassifierOptions(1, 1)
                              .task(nn::Task::kGraph)
                              .mode(nn::Mode::kRegression)
                              .conv(nn::ConvType::kGraphConv)
                              .num_layers(1)
                              .hidden_channels(8)
                              .readout(nn::Aggregation::kSum));
  const auto target = torch::tensor(sizes);
  const auto split = nn::random_split(60, 0.6, 0.2, 0);
  const auto r =
      nn::train_graph_regressor(*model, graphs, target, split,
                                nn::TrainOptions().epochs(300).lr(0.02).weight_decay(0).batch_size(16).patience(0));
  INFO("train " << r.train_mse << " test " << r.test_mse << " variance " << target.var().item<double>());
  REQUIRE(r.test_mse < 0.05 * target.var().item<double>());
  REQUIRE(nn::graph_mse(*model, graphs, target, split.test) == Approx(r.test_mse));
}

TEST_CASE("A regression model's mode survives save and load", "[regression]") {
  RegressionFixture f(2);
  const auto path =
      (std::filesystem::temp_directory_path() / ("gnnx_regression_" + std::to_string(::getpid()) + ".pt")).string();
  nn::save_gnn_classifier(f.model, path);
  auto back = nn::load_gnn_classifier(path);
  std::filesystem::remove(path);
  REQUIRE(back->mode() == nn::Mode::kRegression);
  torch::NoGradGuard ng;
  GNNX_REQUIRE_CLOSE(back->forward_graph(f.graph), f.model->forward_graph(f.graph));
}
