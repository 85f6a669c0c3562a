#include <torch/torch.h>

#include "gnnx/core/random.h"
#include "gnnx/explain/pg_explainer.h"
#include "gnnx/graph/ops.h"
#include "gnnx/nn/conv/graph_conv.h"
#include "gnnx/nn/models/gnn.h"
#include "support/catch.h"
#include "support/random_graph.h"
#include "support/tensor_match.h"

using namespace gnnx;
using namespace gnnx::explain;

namespace {

// Node 0's class-1 logit is the (masked) first feature its in-neighbours send, which only node 1
// has: a one-layer GraphConv with identity weights (z_i = x_i + Σ_j m_ji x_j), whose head reads z's
// first coordinate. Edge 1 -> 0 is the one edge the prediction needs; the embeddings of nodes
// 1, 2 and 3 differ ([1, 0], [0, 1], [0, 2]), so an MLP over them can tell the edges apart.
struct KeyEdgeFixture {
  Graph graph;
  nn::GNNClassifier model{nullptr};
  // edge ids: 0: 1->0, 1: 2->0, 2: 3->0, 3: 0->1, 4: 0->2, 5: 0->3
  KeyEdgeFixture() {
    auto ei = torch::tensor({1, 2, 3, 0, 0, 0, 0, 0, 0, 1, 2, 3}, torch::kLong).view({2, 6});
    auto x = torch::tensor({0.f, 0.f, 1.f, 0.f, 0.f, 1.f, 0.f, 2.f}).view({4, 2});
    graph = Graph(ei, 4, x);
    model = nn::GNNClassifier(
        nn::GNNClassifierOptions(2, 2).conv(nn::ConvType::kGraphConv).hidden_channels(2).num_layers(1).concat(false));
    torch::NoGradGuard ng;
    auto conv = std::dynamic_pointer_cast<nn::GraphConvImpl>(model->message_passing_layers()[0]);
    conv->lin_rel->weight.copy_(torch::eye(2));
    conv->lin_rel->bias.zero_();
    conv->lin_root->weight.copy_(torch::eye(2));
    model->head->weight.copy_(torch::tensor({-1.f, 0.f, 1.f, 0.f}).view({2, 2}));
    model->head->bias.zero_();
    model->eval();
  }
};

// A small random graph and an untrained 3-layer model (seeded).
struct RandomFixture {
  Graph graph;
  nn::GNNClassifier model{nullptr};
  explicit RandomFixture(nn::ConvType conv = nn::ConvType::kGCN, nn::Task task = nn::Task::kNode) {
    graph = gnnx::test::random_tree_graph();
    torch::manual_seed(5);
    model = nn::GNNClassifier(nn::GNNClassifierOptions(5, 3).conv(conv).task(task));
    model->eval();
  }
};

std::vector<Target> nodes(std::initializer_list<int64_t> ids) {
  std::vector<Target> t;
  for (auto v : ids) t.push_back(Target::node(v));
  return t;
}

}  // namespace

TEST_CASE("PGExplainer's masks cover the computation subgraph, in (0, 1)", "[pgexplainer]") {
  RandomFixture f;
  PGExplainer ex(PGExplainerOptions().epochs(3));
  auto out = ex.explain(*f.model, f.graph, nodes({0, 5, 11}));
  REQUIRE(out.size() == 3);
  REQUIRE(ex.trained());
  for (size_t i = 0; i < out.size(); ++i) {
    const auto& e = out[i];
    CHECK(e.method == "pgexplainer");
    REQUIRE(e.edge_mask.sizes() == torch::IntArrayRef{f.graph.num_edges()});
    const auto sub = k_hop_subgraph(f.graph, e.target.index, f.model->receptive_field());
    CHECK(torch::equal(e.edge_ids, sub.edge_ids));
    auto inside = e.edge_mask.index_select(0, e.edge_ids);
    CHECK(inside.gt(0).all().item<bool>());
    CHECK(inside.lt(1).all().item<bool>());
    CHECK(e.edge_mask.sum().item<double>() == Approx(inside.sum().item<double>()));  // 0 elsewhere
    CHECK(e.node_mask.size(0) == f.graph.num_nodes);
    // The prediction explained is the model's on the whole graph.
    GNNX_REQUIRE_CLOSE(e.logits, f.model->forward(f.graph.x, f.graph.edge_index)[e.target.index].detach(), 1e-4, 1e-5);
  }
}

TEST_CASE("PGExplainer's mask is the MLP over [z_u, z_v, z_t] of the last layer's embeddings", "[pgexplainer]") {
  RandomFixture f;
  PGExplainer ex(PGExplainerOptions().epochs(2).hidden(16).standardize(false));
  ex.fit(*f.model, f.graph, nodes({1, 2, 3}));
  auto e = ex.explain(*f.model, f.graph, nodes({7})).front();
  auto p = ex.parameters();
  REQUIRE(p.size() == 4);
  const int64_t D = f.model->options.hidden_channels();
  CHECK(p[0].sizes() == torch::IntArrayRef{16, 3 * D});
  torch::NoGradGuard ng;
  auto z = f.model->embeddings(f.graph.x, f.graph.edge_index).back();
  auto ids = e.edge_ids;
  auto ei = f.graph.edge_index.index_select(1, ids);
  auto in = torch::cat({z.index_select(0, ei[0]), z.index_select(0, ei[1]), z[7].expand({ids.size(0), D})}, 1);
  auto want = torch::sigmoid(torch::relu(in.mm(p[0].t()) + p[1]).mm(p[2].t()) + p[3]).view({-1});
  GNNX_REQUIRE_CLOSE(e.edge_mask.index_select(0, ids), want, 1e-4, 1e-6);

  // standardize: the MLP reads (z - mean) / std, the statistics over the graph's nodes.
  PGExplainer st(PGExplainerOptions().epochs(2).hidden(16).standardize(true));
  st.fit(*f.model, f.graph, nodes({1, 2, 3}));
  auto es = st.explain(*f.model, f.graph, nodes({7})).front();
  auto q = st.parameters();
  auto zs = (z - z.mean(0)) / z.std(0, /*unbiased=*/false).clamp_min(1e-6);
  auto ins = torch::cat({zs.index_select(0, ei[0]), zs.index_select(0, ei[1]), zs[7].expand({ids.size(0), D})}, 1);
  auto want_s = torch::sigmoid(torch::relu(ins.mm(q[0].t()) + q[1]).mm(q[2].t()) + q[3]).view({-1});
  GNNX_REQUIRE_CLOSE(es.edge_mask.index_select(0, ids), want_s, 1e-4, 1e-6);
}

TEST_CASE("PGExplainer is deterministic for a fixed seed", "[pgexplainer]") {
  RandomFixture f;
  auto o = PGExplainerOptions().epochs(4).batch_size(2);
  auto a = PGExplainer(o).explain(*f.model, f.graph, nodes({0, 3, 9}));
  auto b = PGExplainer(o).explain(*f.model, f.graph, nodes({0, 3, 9}));
  auto c = PGExplainer(PGExplainerOptions(o).seed(1)).explain(*f.model, f.graph, nodes({0, 3, 9}));
  for (size_t i = 0; i < a.size(); ++i) CHECK(torch::equal(a[i].edge_mask, b[i].edge_mask));
  CHECK_FALSE(torch::equal(a[0].edge_mask, c[0].edge_mask));
}

TEST_CASE("PGExplainer trained once explains other nodes without training again", "[pgexplainer]") {
  RandomFixture f;
  PGExplainer ex(PGExplainerOptions().epochs(3));
  auto rep = ex.fit(*f.model, f.graph, nodes({0, 1, 2, 3}));
  CHECK(rep.instances == 4);
  CHECK(rep.steps == 12);  // batch_size 1: one step per instance and epoch
  REQUIRE(rep.epoch_loss.size() == 3);
  auto w = ex.parameters()[0].clone();
  auto one = ex.explain(*f.model, f.graph, nodes({10}));
  auto many = ex.explain(*f.model, f.graph, nodes({4, 10, 20}));
  CHECK(torch::equal(ex.parameters()[0], w));
  GNNX_REQUIRE_CLOSE(one[0].edge_mask, many[1].edge_mask, 1e-5, 1e-7);
  ex.reset();
  CHECK_FALSE(ex.trained());
}

TEST_CASE("PGExplainer learns to keep the one edge the prediction needs", "[pgexplainer]") {
  KeyEdgeFixture f;
  // No entropy term: at a near-binary mask its gradient (≈ 0.87 per edge here) holds every edge
  // where it is, so a mask that rose together with the key edge early could not come down again.
  // The size term (0.1 per edge) then pulls down every edge that the prediction does not need.
  PGExplainer ex(PGExplainerOptions().epochs(200).lr(0.01).edge_size(0.1).edge_ent(0.0).seed(2));
  auto rep = ex.fit(*f.model, f.graph, nodes({0}));
  CHECK(rep.epoch_loss.back() < rep.epoch_loss.front());
  auto e = ex.explain(*f.model, f.graph, nodes({0})).front();
  const auto m = e.edge_mask;
  INFO("mask " << m);
  CHECK(m[0].item<double>() > 0.5);
  for (int64_t k = 1; k < 6; ++k) CHECK(m[0].item<double>() > m[k].item<double>() + 0.2);
  CHECK(e.top_edges(1)[0].item<int64_t>() == 0);
}

TEST_CASE("PGExplainer's symmetric mask gives both directions of an edge one value", "[pgexplainer]") {
  RandomFixture f(nn::ConvType::kGraphConv);
  auto e = PGExplainer(PGExplainerOptions().epochs(2).symmetric_mask(true)).explain(*f.model, f.graph, nodes({4}));
  const auto ei = f.graph.edge_index;
  const auto m = e[0].edge_mask;
  for (int64_t a = 0; a < ei.size(1); ++a)
    for (int64_t b = 0; b < ei.size(1); ++b)
      if (ei[0][a].item<int64_t>() == ei[1][b].item<int64_t>() && ei[1][a].item<int64_t>() == ei[0][b].item<int64_t>())
        CHECK(m[a].item<float>() == Approx(m[b].item<float>()));
}

TEST_CASE("PGExplainer explains the graphs of a graph classifier", "[pgexplainer]") {
  RandomFixture f(nn::ConvType::kGIN, nn::Task::kGraph);
  std::vector<Graph> graphs{f.graph, k_hop_subgraph(f.graph, 0, 2).graph, k_hop_subgraph(f.graph, 7, 2).graph};
  PGExplainer ex(PGExplainerOptions().epochs(3).batch_size(2).embedding(PGEmbedding::kAll));
  auto out = ex.explain_graphs(*f.model, graphs);
  REQUIRE(out.size() == 3);
  CHECK(ex.parameters()[0].size(1) == 2 * 3 * f.model->options.hidden_channels());  // [z_u, z_v], all layers
  for (size_t i = 0; i < graphs.size(); ++i) {
    REQUIRE(out[i].edge_mask.size(0) == graphs[i].num_edges());
    CHECK(out[i].target.index == static_cast<int64_t>(i));
  }
  auto single = ex.explain(*f.model, graphs[1], {Target::graph(0)});
  GNNX_REQUIRE_CLOSE(single[0].edge_mask, out[1].edge_mask, 1e-5, 1e-7);
  RandomFixture node_model;
  GNNX_REQUIRE_ERROR("trained for a graph classifier", ex.explain(*node_model.model, node_model.graph, nodes({0})));
}

TEST_CASE("PGExplainer rejects invalid input", "[pgexplainer]") {
  RandomFixture f;
  GNNX_REQUIRE_ERROR("epochs must be >= 1", PGExplainer(PGExplainerOptions().epochs(0)));
  GNNX_REQUIRE_ERROR("lr must be positive", PGExplainer(PGExplainerOptions().lr(0)));
  GNNX_REQUIRE_ERROR("bias must be in [0, 0.5)", PGExplainer(PGExplainerOptions().bias(0.5)));
  GNNX_REQUIRE_ERROR("temp_start must be positive", PGExplainer(PGExplainerOptions().temp_start(0)));
  GNNX_REQUIRE_ERROR("temp_end must be positive", PGExplainer(PGExplainerOptions().temp_end(-1)));
  GNNX_REQUIRE_ERROR("hidden must be >= 1", PGExplainer(PGExplainerOptions().hidden(0)));
  GNNX_REQUIRE_ERROR("batch_size must be >= 1", PGExplainer(PGExplainerOptions().batch_size(0)));
  GNNX_REQUIRE_ERROR("edge_size must be >= 0", PGExplainer(PGExplainerOptions().edge_size(-1)));
  PGExplainer ex(PGExplainerOptions().epochs(1));
  GNNX_REQUIRE_ERROR("node 24 is outside", ex.explain(*f.model, f.graph, nodes({24})));
  GNNX_REQUIRE_ERROR("empty list", ex.fit(*f.model, f.graph, {}));
  GNNX_REQUIRE_ERROR("node targets", ex.explain(*f.model, f.graph, {Target::graph(0)}));
  GNNX_REQUIRE_ERROR("graph classifier", ex.explain_graphs(*f.model, {f.graph}));
  // A model trained on other embeddings: the width is checked.
  ex.fit(*f.model, f.graph, nodes({0}));
  torch::manual_seed(1);
  nn::GNNClassifier wider(nn::GNNClassifierOptions(5, 3).hidden_channels(8));
  GNNX_REQUIRE_ERROR("embeddings of width 20", ex.explain(*wider, f.graph, nodes({0})));
  // A bad option set after construction is caught when the explainer runs.
  ex.options.bias(-0.1);
  GNNX_REQUIRE_ERROR("bias must be in", ex.explain(*f.model, f.graph, nodes({0})));
  // Through the registry.
  auto r = make_explainer("pgexplainer", {{"seed", "3"}, {"epochs", "2"}, {"embedding", "all"}});
  CHECK(r->name() == "pgexplainer");
  CHECK(dynamic_cast<PGExplainer&>(*r).options.embedding() == PGEmbedding::kAll);
  GNNX_REQUIRE_ERROR("pgexplainer: unknown option \"epoch\"", make_explainer("pgexplainer", {{"epoch", "5"}}));
  GNNX_REQUIRE_ERROR("option embedding expects one of last, all",
                     make_explainer("pgexplainer", {{"embedding", "first"}}));
  GNNX_REQUIRE_ERROR("temp_end must be positive", make_explainer("pgexplainer", {{"temp_end", "0"}}));
}
