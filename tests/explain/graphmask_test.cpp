// GraphMask: per-layer message gates with learned baselines, trained once over many instances.
#include <torch/torch.h>

#include "gnnx/core/random.h"
#include "gnnx/explain/graphmask.h"
#include "gnnx/graph/ops.h"
#include "gnnx/io/graph_file.h"
#include "gnnx/nn/conv/graph_conv.h"
#include "gnnx/nn/models/gnn.h"
#include "gnnx/nn/models/script_gnn.h"
#include "support/catch.h"
#include "support/random_graph.h"
#include "support/tensor_match.h"

using namespace gnnx;
using namespace gnnx::explain;

namespace {

// Two targets, 0 and 4, each with three in-edges. The model is a one-layer GraphConv with
// identity weights (z_i = x_i + Σ_j m_ji x_j) whose head reads z's first coordinate, which only
// node 1 has: target 0's logit needs the message 1 -> 0, target 4's needs none of its own. One
// baseline b, shared by both, cannot stand in for 1 -> 0 (target 0 needs 3 b₀ = 1 if all its
// messages go, target 4 needs b₀ = 0), so the sparsest gates that keep both predictions keep
// 1 -> 0 alone.
// edge ids: 0: 1->0, 1: 2->0, 2: 3->0, 3: 5->4, 4: 6->4, 5: 7->4
struct GateFixture {
  Graph graph;
  nn::GNNClassifier model{nullptr};
  GateFixture() {
    auto ei = torch::tensor({1, 2, 3, 5, 6, 7, 0, 0, 0, 4, 4, 4}, torch::kLong).view({2, 6});
    auto x = torch::tensor({0.f, 0.f, 1.f, 0.f, 0.f, 1.f, 0.f, 2.f, 0.f, 0.f, 0.f, 1.f, 0.f, 2.f, 0.f, 1.f}).view({8, 2});
    graph = Graph(ei, 8, x);
    model = nn::GNNClassifier(
        nn::GNNClassifierOptions(2, 2).conv(nn::ConvType::kGraphConv).hidden_channels(2).num_layers(1).concat(false));
    torch::NoGradGuard ng;
    auto conv = std::dynamic_pointer_cast<nn::GraphConvImpl>(model->message_passing_layers()[0]);
    conv->lin_rel->weight.copy_(torch::eye(2));
    conv->lin_rel->bias.zero_();
    conv->lin_root->weight.copy_(torch::eye(2));
    model->head->weight.copy_(torch::tensor({-2.f, 0.f, 2.f, 0.f}).view({2, 2}));
    model->head->bias.zero_();
    model->eval();
  }
};

// A small random graph and an untrained 3-layer model (seeded).
struct GraphMaskRandomFixture {
  Graph graph;
  nn::GNNClassifier model{nullptr};
  explicit GraphMaskRandomFixture(nn::ConvType conv = nn::ConvType::kGCN, nn::Task task = nn::Task::kNode) {
    graph = gnnx::test::random_tree_graph();
    torch::manual_seed(5);
    model = nn::GNNClassifier(nn::GNNClassifierOptions(5, 3).conv(conv).task(task).heads(2));
    model->eval();
  }
};

std::vector<Target> graphmask_nodes(std::initializer_list<int64_t> ids) {
  std::vector<Target> t;
  for (auto v : ids) t.push_back(Target::node(v));
  return t;
}

}  // namespace

TEST_CASE("GraphMask keeps the one message a prediction needs and drops the ones a baseline replaces",
          "[graphmask]") {
  GateFixture f;
  GraphMaskExplainer ex(GraphMaskOptions().epochs(150).batch_size(2).seed(1));
  auto rep = ex.fit(*f.model, f.graph, graphmask_nodes({0, 4}));
  REQUIRE(rep.instances == 2);
  REQUIRE(rep.epoch_loss.size() == 150);
  CHECK(rep.epoch_divergence.back() < 0.1);
  auto out = ex.explain(*f.model, f.graph, graphmask_nodes({0, 4}));
  const auto gates = ex.layer_gates(*f.model, f.graph, out[0]);
  REQUIRE(gates.size() == 1);
  INFO("gates of target 0's edges " << gates[0] << ", divergence " << out[0].diagnostics.at("divergence"));
  REQUIRE(out[0].edge_ids.numel() == 3);
  CHECK(gates[0][0].item<float>() == 1.f);  // 1 -> 0 kept
  CHECK(gates[0][1].item<float>() == 0.f);  // the others dropped
  CHECK(gates[0][2].item<float>() == 0.f);
  CHECK(out[0].edge_mask.argmax().item<int64_t>() == 0);
  CHECK(out[0].diagnostics.at("divergence") < 0.05);
  CHECK(out[0].diagnostics.at("kept") == Approx(1.0 / 3));
  CHECK(out[1].diagnostics.at("kept") == 0.0);
}

TEST_CASE("GraphMask explains each node's full-graph prediction on its computation subgraph, in every layer type",
          "[graphmask]") {
  for (auto conv : {nn::ConvType::kGCN, nn::ConvType::kGIN, nn::ConvType::kSAGE, nn::ConvType::kGAT}) {
    INFO(nn::to_string(conv));
    GraphMaskRandomFixture f(conv);
    GraphMaskExplainer ex(GraphMaskOptions().epochs(2).batch_size(2));
    auto out = ex.explain(*f.model, f.graph, graphmask_nodes({0, 5, 11}));
    REQUIRE(out.size() == 3);
    torch::NoGradGuard ng;
    const auto full = f.model->forward(f.graph.x, f.graph.edge_index);
    for (const auto& e : out) {
      CHECK(e.method == "graphmask");
      REQUIRE(e.edge_mask.sizes() == torch::IntArrayRef{f.graph.num_edges()});
      const auto sub = k_hop_subgraph(f.graph, e.target.index, f.model->receptive_field());
      CHECK(torch::equal(e.edge_ids, sub.edge_ids));
      GNNX_REQUIRE_CLOSE(e.logits, full[e.target.index], 1e-5, 1e-6);
      const auto m = e.edge_mask.index_select(0, e.edge_ids);
      CHECK(m.min().item<float>() > 0.f);
      CHECK(m.max().item<float>() < 1.f);
      CHECK(ex.layer_gates(*f.model, f.graph, e).size() == 3);
    }
    // Seeded: the same run again gives the same masks.
    GraphMaskExplainer again(GraphMaskOptions().epochs(2).batch_size(2));
    auto out2 = again.explain(*f.model, f.graph, graphmask_nodes({0, 5, 11}));
    GNNX_REQUIRE_CLOSE(out2[1].edge_mask, out[1].edge_mask, 0, 0);
  }
}

TEST_CASE("GraphMask explains the graphs of a graph classifier", "[graphmask]") {
  GraphMaskRandomFixture f(nn::ConvType::kGIN, nn::Task::kGraph);
  std::vector<Graph> graphs{f.graph, k_hop_subgraph(f.graph, 0, 2).graph, k_hop_subgraph(f.graph, 7, 2).graph};
  GraphMaskExplainer ex(GraphMaskOptions().epochs(2).batch_size(2).layerwise(false));
  auto rep = ex.fit_graphs(*f.model, graphs);
  CHECK(rep.epoch_loss.size() == 2);  // one stage
  auto out = ex.explain_graphs(*f.model, graphs);
  REQUIRE(out.size() == 3);
  for (size_t i = 0; i < graphs.size(); ++i) {
    REQUIRE(out[i].edge_mask.size(0) == graphs[i].num_edges());
    CHECK(out[i].target.index == static_cast<int64_t>(i));
  }
  auto single = ex.explain(*f.model, graphs[1], {Target::graph(0)});
  GNNX_REQUIRE_CLOSE(single[0].edge_mask, out[1].edge_mask, 1e-5, 1e-7);
  GraphMaskRandomFixture node_model;
  GNNX_REQUIRE_ERROR("trained for a graph classifier",
                     ex.explain(*node_model.model, node_model.graph, graphmask_nodes({0})));
}

TEST_CASE("GraphMask rejects invalid input", "[graphmask]") {
  GraphMaskRandomFixture f;
  GNNX_REQUIRE_ERROR("GraphMask: epochs must be >= 1", GraphMaskExplainer(GraphMaskOptions().epochs(0)));
  GNNX_REQUIRE_ERROR("lr must be positive", GraphMaskExplainer(GraphMaskOptions().lr(0)));
  GNNX_REQUIRE_ERROR("hidden must be >= 1", GraphMaskExplainer(GraphMaskOptions().hidden(0)));
  GNNX_REQUIRE_ERROR("allowance must be >= 0", GraphMaskExplainer(GraphMaskOptions().allowance(-1)));
  GNNX_REQUIRE_ERROR("batch_size must be >= 1", GraphMaskExplainer(GraphMaskOptions().batch_size(0)));
  GraphMaskExplainer ex(GraphMaskOptions().epochs(1));
  GNNX_REQUIRE_ERROR("not trained", ex.layer_gates(*f.model, f.graph, Explanation{}));
  GNNX_REQUIRE_ERROR("node 24 is outside", ex.explain(*f.model, f.graph, graphmask_nodes({24})));
  GNNX_REQUIRE_ERROR("empty list", ex.fit(*f.model, f.graph, {}));
  // Gates trained on another model: the layers are checked.
  ex.fit(*f.model, f.graph, graphmask_nodes({0}));
  torch::manual_seed(1);
  nn::GNNClassifier other(nn::GNNClassifierOptions(5, 3).conv(nn::ConvType::kGIN).hidden_channels(8));
  GNNX_REQUIRE_ERROR("the gates were trained on a GCNConv", ex.explain(*other, f.graph, graphmask_nodes({0})));
  // A TorchScript model's messages are out of reach.
  const std::string dir = std::string(GNNX_SOURCE_DIR) + "/tests/data/script/";
  const auto g = io::load_graph(dir + "graph.pt").graph;
  auto script = nn::load_script_gnn(dir + "gcn_weighted.pt", nn::ScriptGnnOptions(3, 3));
  GNNX_REQUIRE_ERROR("ran no gnnx::nn::MessagePassing layer",
                     GraphMaskExplainer().explain(*script, g, graphmask_nodes({0})));
  // Through the registry.
  auto r = make_explainer("graphmask", {{"seed", "3"}, {"epochs", "2"}, {"layerwise", "false"}});
  CHECK(r->name() == "graphmask");
  CHECK_FALSE(dynamic_cast<GraphMaskExplainer&>(*r).options.layerwise());
  GNNX_REQUIRE_ERROR("graphmask: unknown option \"epoch\"", make_explainer("graphmask", {{"epoch", "5"}}));
}
