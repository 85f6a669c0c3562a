// Link prediction: a model scores node pairs (GNNModel::forward_links) and explainers explain a
// predicted link on the union of both endpoints' computation subgraphs.
#include <unistd.h>

#include <filesystem>

#include <torch/script.h>
#include <torch/torch.h>

#include "gnnx/eval/graph_metrics.h"
#include "gnnx/explain/baselines.h"
#include "gnnx/explain/explainer.h"
#include "gnnx/explain/explanation_file.h"
#include "gnnx/explain/gnn_explainer.h"
#include "gnnx/explain/gnn_lrp.h"
#include "gnnx/explain/graphmask.h"
#include "gnnx/explain/pg_explainer.h"
#include "gnnx/explain/subgraphx.h"
#include "gnnx/graph/ops.h"
#include "gnnx/nn/conv/graph_conv.h"
#include "gnnx/nn/models/gnn.h"
#include "gnnx/nn/models/script_gnn.h"
#include "gnnx/nn/train.h"
#include "gnnx/viz/graphviz.h"
#include "support/catch.h"
#include "support/random_graph.h"
#include "support/tensor_match.h"

using namespace gnnx;
using namespace gnnx::explain;

namespace {

// An untrained 3-layer GCN link predictor of C classes on the shared random graph.
struct LinkFixture {
  Graph graph;
  nn::GNNClassifier model{nullptr};
  explicit LinkFixture(int64_t classes = 2, nn::Mode mode = nn::Mode::kClassification) {
    graph = gnnx::test::random_tree_graph();
    torch::manual_seed(9);
    model = nn::GNNClassifier(nn::GNNClassifierOptions(5, classes).task(nn::Task::kLink).mode(mode));
    model->eval();
  }
};

// Nodes 0 and 3 are linked in question. In-edges: 1 -> 0, 2 -> 0, 4 -> 3, 5 -> 3 (ids 0..3). One
// GraphConv layer with identity weights (z_i = x_i + Σ_j m_ji x_j); only nodes 1 and 4 carry the
// first coordinate, and the head scores 2 (z_u ⊙ z_v)[0]: the link's score reads the edges 1 -> 0
// and 4 -> 3 and neither of the others.
struct TwoEdgeLink {
  Graph graph;
  nn::GNNClassifier model{nullptr};
  TwoEdgeLink() {
    auto ei = torch::tensor({1, 2, 4, 5, 0, 0, 3, 3}, torch::kLong).view({2, 4});
    auto x = torch::tensor({0.f, 0.f, 1.f, 0.f, 0.f, 1.f, 0.f, 0.f, 1.f, 0.f, 0.f, 1.f}).view({6, 2});
    graph = Graph(ei, 6, x);
    model = nn::GNNClassifier(nn::GNNClassifierOptions(2, 1)
                                  .task(nn::Task::kLink)
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

at::Tensor link_pairs(int64_t u, int64_t v) { return torch::tensor({u, v}, torch::kLong).view({2, 1}); }

// |d forward_links(u, v)[k] / d m_e| at the all-ones edge mask, on the whole graph.
at::Tensor link_gradient(nn::GNNModel& model, const Graph& g, int64_t u, int64_t v, int64_t k,
                         nn::MaskPlacement placement) {
  auto m = torch::ones({g.num_edges()}, g.x.options()).requires_grad_(true);
  at::Tensor out;
  {
    nn::EdgeMaskScope scope(m, placement);
    out = model.forward_links(g.x, g.edge_index, g.edge_weight, link_pairs(u, v));
  }
  return torch::autograd::grad({out[0][k]}, {m})[0].abs();
}

}  // namespace

TEST_CASE("Target::link names both nodes", "[link]") {
  const auto t = Target::link(3, 7, 1);
  REQUIRE(t.kind == Target::Kind::kLink);
  REQUIRE(t.index == 3);
  REQUIRE(t.other == 7);
  REQUIRE(to_string(t) == "link 3 -> 7 (class 1)");
  REQUIRE(Target::node(3).other == -1);
}

TEST_CASE("A GNNClassifier link predictor scores a pair by its head on z_u * z_v", "[link]") {
  LinkFixture f(3);
  torch::NoGradGuard ng;
  const auto pairs = torch::tensor({0, 5, 7, 2, 11, 7}, torch::kLong).view({2, 3});
  const auto out = f.model->forward_links(f.graph.x, f.graph.edge_index, {}, pairs);
  const auto z = f.model->forward(f.graph.x, f.graph.edge_index);
  REQUIRE(z.size(0) == f.graph.num_nodes);
  const auto expected = f.model->head(z.index_select(0, pairs[0]) * z.index_select(0, pairs[1]));
  GNNX_REQUIRE_CLOSE(out, expected);
  REQUIRE(out.sizes() == torch::IntArrayRef({3, 3}));
  GNNX_REQUIRE_ERROR("GNNClassifier::forward_links: pairs must be int64 node pairs [2, P]",
                     f.model->forward_links(f.graph.x, f.graph.edge_index, {}, torch::zeros({3, 2}, torch::kLong)));
  GNNX_REQUIRE_ERROR("GNNClassifier::forward_links: pairs hold node id 24 outside [0, 24)",
                     f.model->forward_links(f.graph.x, f.graph.edge_index, {}, link_pairs(0, 24)));
  nn::GNNClassifier node_model(nn::GNNClassifierOptions(5, 2));
  GNNX_REQUIRE_ERROR("forward_links: the model predicts nodes, not links",
                     node_model->forward_links(f.graph.x, f.graph.edge_index, {}, link_pairs(0, 1)));
  GNNX_REQUIRE_ERROR("a link predictor decodes pairs with its head, but conv_to_out has none",
                     nn::GNNClassifier(
                         nn::GNNClassifierOptions(5, 2).task(nn::Task::kLink).conv_to_out(true).concat(false)));
}

TEST_CASE("random_link_split holds out undirected edges and draws non-edges", "[link]") {
  const auto g = gnnx::test::random_tree_graph(60, 40, 5, 6);
  const auto s = nn::random_link_split(g, 0.1, 0.2, 3);
  const int64_t n = g.num_nodes;
  std::set<std::pair<int64_t, int64_t>> edges, kept;
  for (int64_t e = 0; e < g.num_edges(); ++e)
    edges.emplace(g.edge_index[0][e].item<int64_t>(), g.edge_index[1][e].item<int64_t>());
  for (int64_t e = 0; e < s.graph.num_edges(); ++e)
    kept.emplace(s.graph.edge_index[0][e].item<int64_t>(), s.graph.edge_index[1][e].item<int64_t>());
  const int64_t undirected = static_cast<int64_t>(edges.size()) / 2;
  REQUIRE(s.train_pos.size(1) + s.val_pos.size(1) + s.test_pos.size(1) == undirected);
  REQUIRE(s.val_neg.size(1) == s.val_pos.size(1));
  REQUIRE(s.test_neg.size(1) == s.test_pos.size(1));
  REQUIRE(s.test_pos.size(1) == std::llround(0.2 * static_cast<double>(undirected)));
  for (const auto* p : {&s.val_pos, &s.test_pos})
    for (int64_t i = 0; i < p->size(1); ++i) {
      const int64_t u = (*p)[0][i].item<int64_t>(), v = (*p)[1][i].item<int64_t>();
      REQUIRE(edges.count({u, v}));
      REQUIRE_FALSE(kept.count({u, v}));
      REQUIRE_FALSE(kept.count({v, u}));
    }
  for (int64_t i = 0; i < s.train_pos.size(1); ++i)
    REQUIRE(kept.count({s.train_pos[0][i].item<int64_t>(), s.train_pos[1][i].item<int64_t>()}));
  for (const auto* p : {&s.val_neg, &s.test_neg})
    for (int64_t i = 0; i < p->size(1); ++i) {
      const int64_t u = (*p)[0][i].item<int64_t>(), v = (*p)[1][i].item<int64_t>();
      REQUIRE(u != v);
      REQUIRE_FALSE(edges.count({u, v}));
    }
  REQUIRE(s.graph.num_edges() == 2 * s.train_pos.size(1));
  REQUIRE(s.graph.num_nodes == n);
  Graph directed(torch::tensor({0, 1, 1, 2}, torch::kLong).view({2, 2}), 3, torch::ones({3, 1}));
  GNNX_REQUIRE_ERROR("random_link_split: edge 0 (0 -> 1) has no reverse", nn::random_link_split(directed, 0.1, 0.1, 0));
}

TEST_CASE("train_link_predictor learns the links of a graph of communities", "[link]") {
  // Eight communities of 10 nodes: pairs within a community are linked with probability 0.8,
  // none across; features: a noisy one-hot community. A drawn non-edge almost always joins two
  // communities, so a model that tells communities apart classifies nearly every pair.
  gnnx::Rng rng(4);
  std::vector<std::pair<int64_t, int64_t>> pairs;
  const int64_t n = 80;
  for (int64_t a = 0; a < n; ++a)
    for (int64_t b = a + 1; b < n; ++b)
      if (a / 10 == b / 10 && gnnx::uniform_real(rng) < 0.8) pairs.emplace_back(a, b);
  auto x = torch::randn({n, 8}, gnnx::torch_generator(5)) * 0.3;
  for (int64_t v = 0; v < n; ++v) x[v][v / 10] += 1.0;
  const Graph g(undirected_edge_index(pairs), n, x);
  const auto split = nn::random_link_split(g, 0.1, 0.2, 0);
  torch::manual_seed(0);
  nn::GNNClassifier model(nn::GNNClassifierOptions(8, 2).task(nn::Task::kLink).num_layers(2).hidden_channels(16));
  const auto r = nn::train_link_predictor(*model, split, nn::TrainOptions().epochs(150).patience(0).lr(0.01));
  INFO("train " << r.train_acc << " val " << r.val_acc << " test " << r.test_acc);
  REQUIRE(r.test_acc > 0.9);
  nn::GNNClassifier one(nn::GNNClassifierOptions(8, 1).task(nn::Task::kLink));
  GNNX_REQUIRE_ERROR("train_link_predictor: expected a classifier of 2 classes", nn::train_link_predictor(*one, split));
  nn::GNNClassifier node_model(nn::GNNClassifierOptions(8, 2));
  GNNX_REQUIRE_ERROR("train_link_predictor: the model predicts nodes, not links",
                     nn::train_link_predictor(*node_model, split));
}

TEST_CASE("GNNExplainer explains a link by the edges its score reads", "[link]") {
  TwoEdgeLink f;
  GNNExplainer ex(GNNExplainerOptions().epochs(200).seed(0).feature_mask(FeatureMaskType::kNone));
  const auto e = ex.explain(*f.model, f.graph, {Target::link(0, 3)}).at(0);
  REQUIRE(e.target.kind == Target::Kind::kLink);
  REQUIRE(e.target.index == 0);
  REQUIRE(e.target.other == 3);
  REQUIRE(e.target.label == 0);
  torch::NoGradGuard ng;
  const auto full = f.model->forward_links(f.graph.x, f.graph.edge_index, {}, link_pairs(0, 3))[0];
  GNNX_REQUIRE_CLOSE(e.logits, full);
  REQUIRE(full.item<float>() == Approx(2.f));
  INFO("edge mask " << e.edge_mask);
  const float lo_read = std::min(e.edge_mask[0].item<float>(), e.edge_mask[2].item<float>());
  const float hi_unread = std::max(e.edge_mask[1].item<float>(), e.edge_mask[3].item<float>());
  REQUIRE(lo_read > 0.5f);
  REQUIRE(lo_read > 2 * hi_unread);
}

TEST_CASE("Link explanations cover both endpoints and keep the full graph's logits", "[link]") {
  LinkFixture f;
  const std::vector<Target> links{Target::link(0, 9), Target::link(4, 17, 1), Target::link(12, 12)};
  const auto pairs = torch::tensor({0, 4, 12, 9, 17, 12}, torch::kLong).view({2, 3});
  at::Tensor full;
  {
    torch::NoGradGuard ng;
    full = f.model->forward_links(f.graph.x, f.graph.edge_index, {}, pairs);
  }
  for (const std::string method : {"gnnexplainer", "pgexplainer", "grad", "saliency", "ig"}) {
    INFO(method);
    OptionMap options{{"seed", "1"}};
    if (method == "gnnexplainer" || method == "pgexplainer") options["epochs"] = "5";
    const auto es = make_explainer(method, options)->explain(*f.model, f.graph, links);
    REQUIRE(es.size() == links.size());
    for (size_t i = 0; i < links.size(); ++i) {
      const auto& e = es[i];
      REQUIRE(e.target.kind == Target::Kind::kLink);
      REQUIRE(e.target.index == links[i].index);
      REQUIRE(e.target.other == links[i].other);
      REQUIRE(e.target.label ==
              (links[i].label >= 0 ? links[i].label : full[static_cast<int64_t>(i)].argmax().item<int64_t>()));
      if (e.logits.defined()) GNNX_REQUIRE_CLOSE(e.logits, full[static_cast<int64_t>(i)]);
      // Every scored edge lies in the union of the endpoints' computation subgraphs (4 hops for a
      // 3-layer GCN, whose degrees read one hop further), and both endpoints' in-edges are scored.
      const auto sub = k_hop_subgraph(f.graph, torch::tensor({links[i].index, links[i].other}, torch::kLong),
                                      f.model->receptive_field());
      auto inside = torch::zeros({f.graph.num_edges()}, torch::kBool).index_fill_(0, sub.edge_ids, true);
      REQUIRE((e.edge_mask.ne(0) & inside.logical_not()).sum().item<int64_t>() == 0);
      for (int64_t end : {links[i].index, links[i].other}) {
        const auto in_edges = torch::nonzero(f.graph.edge_index[1] == end).flatten();
        REQUIRE(torch::isin(in_edges, e.edge_ids).all().item<bool>());
      }
    }
  }
}

TEST_CASE("Saliency on a link is the gradient of its logit", "[link]") {
  LinkFixture f;
  const auto s = make_explainer("saliency")->explain(*f.model, f.graph, {Target::link(2, 15, 1)}).at(0);
  const auto grad = link_gradient(*f.model, f.graph, 2, 15, 1, nn::MaskPlacement::kDeletion);
  const auto ids = s.edge_ids.to(torch::kLong);
  GNNX_REQUIRE_CLOSE(s.edge_mask.index_select(0, ids), grad.index_select(0, ids), 1e-4, 1e-6);
  REQUIRE(grad.index_select(0, ids).sum().item<double>() > 0);
  // The report keeps the edges of the endpoints' 3-hop subgraphs, 0 elsewhere.
  REQUIRE(s.edge_mask.sum().item<double>() == Approx(s.edge_mask.index_select(0, ids).sum().item<double>()));
}

TEST_CASE("PGExplainer reads both endpoints' embeddings for links", "[link]") {
  LinkFixture f;
  PGExplainer ex(PGExplainerOptions().epochs(3).seed(0));
  const auto es = ex.explain(*f.model, f.graph, {Target::link(0, 9), Target::link(3, 20)});
  REQUIRE(es.size() == 2);
  // The MLP reads the last layer's embeddings (20 wide): [z_i, z_j, z_u, z_v].
  REQUIRE(ex.parameters()[0].size(1) == 4 * 20);
  REQUIRE(es[1].target.other == 20);
  GNNX_REQUIRE_ERROR("PGExplainer: a link predictor explains links (Target::link(u, v)), got node 0",
                     PGExplainer(PGExplainerOptions().epochs(1)).explain(*f.model, f.graph, {Target::node(0)}));
  nn::GNNClassifier node_model(nn::GNNClassifierOptions(5, 2));
  GNNX_REQUIRE_ERROR("a node classifier explains node targets, got link 0 -> 9",
                     GNNExplainer().explain(*node_model, f.graph, {Target::link(0, 9)}));
}

TEST_CASE("Methods that do not cover links refuse them", "[link]") {
  LinkFixture f;
  const std::vector<Target> one{Target::link(0, 9)};
  GNNX_REQUIRE_ERROR("SubgraphX: link predictors are not covered", SubgraphX().explain(*f.model, f.graph, one));
  GNNX_REQUIRE_ERROR("GraphMask: link predictors are not covered",
                     GraphMaskExplainer().explain(*f.model, f.graph, one));
  GNNX_REQUIRE_ERROR("GNNLRP: link predictors are not covered",
                     make_explainer("gnn-lrp")->explain(*f.model, f.graph, one));
  GNNX_REQUIRE_ERROR("the phenomenon explanation of a link needs its true class",
                     GNNExplainer(GNNExplainerOptions().explanation_type(ExplanationType::kPhenomenon))
                         .explain(*f.model, f.graph, one));
  const auto e = make_explainer("saliency")->explain(*f.model, f.graph, one);
  GNNX_REQUIRE_ERROR("masked_predictions: the graph metrics do not cover link predictors",
                     eval::masked_predictions(*f.model, f.graph, e, {e[0].edge_mask}));
}

TEST_CASE("A link explanation survives save and load", "[link]") {
  LinkFixture f;
  const auto e = make_explainer("saliency")->explain(*f.model, f.graph, {Target::link(5, 8)});
  const auto path =
      (std::filesystem::temp_directory_path() / ("gnnx_link_" + std::to_string(::getpid()) + ".pt")).string();
  save_explanations(path, e, f.graph.num_nodes, f.graph.num_edges());
  const auto back = load_explanations(path, f.graph.num_nodes, f.graph.num_edges());
  std::filesystem::remove(path);
  REQUIRE(back.at(0).target.kind == Target::Kind::kLink);
  REQUIRE(back.at(0).target.index == 5);
  REQUIRE(back.at(0).target.other == 8);
  GNNX_REQUIRE_CLOSE(back.at(0).edge_mask, e.at(0).edge_mask);
}

TEST_CASE("A TorchScript link predictor is explained through its edge weights", "[link]") {
  // A one-layer sum aggregation and a dot-product decoder, as PyG's link examples decode.
  torch::jit::Module m("LinkScore");
  m.define(R"JIT(
def forward(self, x, edge_index, edge_weight, pairs):
    h = x.index_add(0, edge_index[1], x.index_select(0, edge_index[0]) * edge_weight.unsqueeze(1))
    return (h.index_select(0, pairs[0]) * h.index_select(0, pairs[1])).sum(1)
)JIT");
  const auto g = gnnx::test::random_tree_graph();
  nn::ScriptGnn model(m,
                      nn::ScriptGnnOptions(5, 1).task(nn::Task::kLink).mode(nn::Mode::kRegression).receptive_field(1));
  const auto e = make_explainer("saliency")->explain(*model, g, {Target::link(1, 6)}).at(0);
  REQUIRE(e.target.label == 0);
  const auto grad = link_gradient(*model, g, 1, 6, 0, nn::MaskPlacement::kDeletion);
  GNNX_REQUIRE_CLOSE(e.edge_mask.index_select(0, e.edge_ids), grad.index_select(0, e.edge_ids), 1e-4, 1e-6);
  const auto ge = GNNExplainer(GNNExplainerOptions().epochs(10)).explain(*model, g, {Target::link(1, 6)}).at(0);
  torch::NoGradGuard ng;
  GNNX_REQUIRE_CLOSE(ge.logits, model->forward_links(g.x, g.edge_index, {}, link_pairs(1, 6))[0]);
  GNNX_REQUIRE_ERROR("ScriptGnn: a TorchScript link predictor gives the logits of node pairs",
                     model->forward(g.x, g.edge_index));
}

TEST_CASE("A link explanation is drawn with both endpoints and the link", "[link]") {
  LinkFixture f;
  const auto e = make_explainer("saliency")->explain(*f.model, f.graph, {Target::link(5, 8)}).at(0);
  const auto dot = viz::explanation_dot(f.graph, e, viz::DrawOptions());
  REQUIRE(dot.find("5 [fillcolor=\"#ffffff\", shape=doublecircle") != std::string::npos);
  REQUIRE(dot.find("8 [fillcolor=\"#ffffff\", shape=doublecircle") != std::string::npos);
  REQUIRE(dot.find("5 -- 8 [style=dashed") != std::string::npos);
}

TEST_CASE("A one-class classifier is refused where its cross-entropy would be explained", "[link]") {
  const auto g = gnnx::test::random_tree_graph();
  torch::manual_seed(2);
  nn::GNNClassifier one(nn::GNNClassifierOptions(5, 1).task(nn::Task::kLink));
  GNNX_REQUIRE_ERROR("GNNExplainer: the classifier has one class, whose cross-entropy is 0",
                     GNNExplainer().explain(*one, g, {Target::link(0, 9)}));
  nn::GNNClassifier node_one(nn::GNNClassifierOptions(5, 1));
  GNNX_REQUIRE_ERROR("PGExplainer: the classifier has one class",
                     PGExplainer(PGExplainerOptions().epochs(1)).explain(*node_one, g, {Target::node(3)}));
  // The gradient of the one logit is still an attribution.
  const auto s = make_explainer("saliency")->explain(*node_one, g, {Target::node(3)}).at(0);
  REQUIRE(s.edge_mask.sum().item<double>() > 0);
}
