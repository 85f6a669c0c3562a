#include <cmath>
#include <mutex>
#include <set>

#include <torch/torch.h>

#include "gnnx/core/device.h"
#include "gnnx/core/random.h"
#include "gnnx/core/runtime.h"
#include "gnnx/explain/baselines.h"
#include "gnnx/explain/gnn_explainer.h"
#include "gnnx/graph/ops.h"
#include "gnnx/nn/conv/gat_conv.h"
#include "gnnx/nn/conv/graph_conv.h"
#include "gnnx/nn/message_passing.h"
#include "gnnx/nn/models/gnn.h"
#include "support/catch.h"
#include "support/random_graph.h"
#include "support/op_counter.h"
#include "support/tensor_match.h"

using namespace gnnx;
using namespace gnnx::explain;

namespace {

double H(double p) { return -p * std::log(p + 1e-15) - (1 - p) * std::log(1 - p + 1e-15); }

// A one-layer GraphConv whose logits for node i are [-s, s], s the (masked) sum of the first
// feature over i's in-neighbours.
nn::GNNClassifier first_feature_sum_model() {
  nn::GNNClassifier model(
      nn::GNNClassifierOptions(2, 2).conv(nn::ConvType::kGraphConv).hidden_channels(2).num_layers(1).concat(false));
  torch::NoGradGuard ng;
  auto conv = std::dynamic_pointer_cast<nn::GraphConvImpl>(model->message_passing_layers()[0]);
  conv->lin_rel->weight.copy_(torch::eye(2));
  conv->lin_rel->bias.zero_();
  conv->lin_root->weight.zero_();
  model->head->weight.copy_(torch::tensor({-1.f, 0.f, 1.f, 0.f}).view({2, 2}));
  model->head->bias.zero_();
  return model;
}

// Node 0's output depends on edge 1 -> 0 only: a one-layer GraphConv whose head reads the first
// hidden coordinate, which only node 1's features feed; edges 2 -> 0 and 3 -> 0 carry features the
// head ignores, and the edges out of node 0 do not reach it. Logits of node 0: [-m, m] with m the
// mask of edge 1 -> 0, so class 1 is predicted and keeping that edge is what keeps it.
struct OneEdgeFixture {
  Graph graph;
  nn::GNNClassifier model{nullptr};
  int64_t key_edge = 0;
  OneEdgeFixture() {
    // edge ids: 0: 1->0, 1: 2->0, 2: 3->0, 3: 0->1, 4: 0->2, 5: 0->3
    auto ei = torch::tensor({1, 2, 3, 0, 0, 0, 0, 0, 0, 1, 2, 3}, torch::kLong).view({2, 6});
    auto x = torch::tensor({0.f, 0.f, 1.f, 0.f, 0.f, 1.f, 0.f, 2.f}).view({4, 2});
    graph = Graph(ei, 4, x);
    model = first_feature_sum_model();
  }
};

// A small random graph and an untrained 3-layer GCN (seeded), for batching and determinism.
struct RandomFixture {
  Graph graph;
  nn::GNNClassifier model{nullptr};
  RandomFixture(nn::ConvType conv = nn::ConvType::kGCN, nn::Task task = nn::Task::kNode) {
    graph = gnnx::test::random_tree_graph();
    torch::manual_seed(5);
    model = nn::GNNClassifier(
        nn::GNNClassifierOptions(5, 3).conv(conv).task(task).heads(conv == nn::ConvType::kGAT ? 2 : 1));
  }
};

}  // namespace

TEST_CASE("GNNExplainer ranks the one edge the output depends on first", "[gnnexplainer]") {
  OneEdgeFixture f;
  // The fixture's logit margin is only 1 (cross-entropy gradient about 0.24 at mask 1), below the
  // default size coefficient 0.2 per direction, so these runs use PyG's 0.005; and node 1 is
  // predicted class 0 (no input) while node 0 is class 1, so the key edge crosses classes and the
  // Laplacian (default 3000 / n², n = 4) is off.
  SECTION("one logit per directed edge") {
    GNNExplainer ex(GNNExplainerOptions().epochs(200).lr(0.05).edge_size(0.005).laplacian(0).average_directions(false));
    auto e = ex.explain(*f.model, f.graph, {Target::node(0)});
    REQUIRE(e.size() == 1);
    CHECK(e[0].target.label == 1);
    auto top = e[0].top_edges(1);
    REQUIRE(top.numel() == 1);
    CHECK(top.item<int64_t>() == f.key_edge);
    auto m = e[0].edge_mask;
    CHECK(m[0].item<float>() > 0.6f);
    // The edges that cannot change node 0's output get a zero gradient, so they are off the hard mask.
    for (int64_t k = 1; k < 6; ++k) CHECK(m[k].item<float>() == 0.0f);
  }
  SECTION("one logit per undirected edge") {
    GNNExplainer ex(GNNExplainerOptions().epochs(200).lr(0.05).edge_size(0.005).laplacian(0).symmetric_mask(true));
    auto e = ex.explain(*f.model, f.graph, {Target::node(0)});
    auto m = e[0].edge_mask;
    CHECK(m[0].item<float>() > 0.6f);
    // 0 -> 1 (edge 3) is the same undirected edge and shares the value; the others stay at 0.
    CHECK(m[3].item<float>() == m[0].item<float>());
    for (int64_t k : {1, 2, 4, 5}) CHECK(m[k].item<float>() == 0.0f);
  }
  SECTION("directed logits, the two directions averaged (default)") {
    const auto o = GNNExplainerOptions().epochs(200).lr(0.05).edge_size(0.005).laplacian(0);
    auto directed =
        GNNExplainer(GNNExplainerOptions(o).average_directions(false)).explain(*f.model, f.graph, {Target::node(0)});
    auto e = GNNExplainer(o).explain(*f.model, f.graph, {Target::node(0)});
    auto d = directed[0].edge_mask;
    auto m = e[0].edge_mask;
    // 0 -> 1 (edge 3) carries nothing to node 0: directed it is off the hard mask (0), and the
    // report gives the undirected edge the mean of its two directions.
    CHECK(d[3].item<float>() == 0.0f);
    CHECK(std::abs(m[0].item<float>() - d[0].item<float>() / 2) < 1e-6f);
    CHECK(m[3].item<float>() == m[0].item<float>());
    for (int64_t k : {1, 2, 4, 5}) CHECK(m[k].item<float>() == 0.0f);
    const auto top = e[0].top_edges(1).item<int64_t>();
    CHECK((top == f.key_edge || top == 3));  // the two directions tie
  }
}

TEST_CASE("GNNExplainer's Laplacian reads the classes predicted on the full graph", "[gnnexplainer]") {
  // Path 0 - 1 - 2 and first_feature_sum_model: node 0 gets s = x_1 = 1 (class 1). On the full graph node 1 gets
  // s = x_0 + x_2; on node 0's one-hop subgraph it only sees x_0 = 0 (a tie, class 0).
  auto run = [](float x2) {
    auto ei = torch::tensor({1, 0, 2, 1, 0, 1, 1, 2}, torch::kLong).view({2, 4});
    auto x = torch::tensor({0.f, 0.f, 1.f, 0.f, x2, 0.f}).view({3, 2});
    Graph g(ei, 3, x);
    auto model = first_feature_sum_model();
    // The mask of edge 1 -> 0 as optimised (not averaged with 0 -> 1, which carries nothing to node 0).
    GNNExplainer ex(
        GNNExplainerOptions().epochs(200).lr(0.05).edge_size(0.005).laplacian(1e4).average_directions(false));
    auto e = ex.explain(*model, g, {Target::node(0)});
    REQUIRE(e[0].target.label == 1);
    return e[0].edge_mask[0].item<float>();  // edge 1 -> 0
  };
  // x_2 = 1: node 1 is class 1 on the full graph like node 0, so edge 0 - 1 is not penalised.
  CHECK(run(1.f) > 0.6f);
  // x_2 = 0: node 1 is class 0 on the full graph too, and the penalty (1e4 / 2 / n², n = 2) drops it.
  CHECK(run(0.f) < 0.1f);
}

TEST_CASE("GRAD has the closed-form gradient on the one-edge model", "[gnnexplainer]") {
  OneEdgeFixture f;
  auto e = GradExplainer().explain(*f.model, f.graph, {Target::node(0)});
  // CE of class 1 with logits [-m, m] is log(1 + e^{-2m}); at m = 1 its derivative is -2 / (1 + e^2).
  const double expected = 2.0 / (1.0 + std::exp(2.0));
  CHECK(e[0].edge_mask[0].item<double>() == Approx(expected).epsilon(1e-5));
  for (int64_t k = 1; k < 6; ++k) CHECK(e[0].edge_mask[k].item<float>() == 0.0f);
}

TEST_CASE("GNNExplainer regularisers have their closed-form values", "[gnnexplainer]") {
  auto o = GNNExplainerOptions().laplacian(2.0).edge_size(0.005);
  auto p = torch::tensor({0.2, 0.7}, torch::kDouble);
  auto fp = torch::tensor({0.5, 0.1, 0.9}, torch::kDouble);
  SECTION("one instance") {
    auto ei = torch::tensor({0, 1, 1, 2}, torch::kLong).view({2, 2});
    auto pred = torch::tensor({0.0, 1.0, 1.0}, torch::kDouble);
    auto r = gnn_explainer_regularizers(o, p, fp, 1, {}, {}, ei, pred, torch::tensor({3.0}, torch::kDouble));
    CHECK(r.edge_size.item<double>() == Approx(0.005 * 0.9));
    CHECK(r.edge_ent.item<double>() == Approx((H(0.2) + H(0.7)) / 2));
    CHECK(r.feat_size.item<double>() == Approx(0.5));
    CHECK(r.feat_ent.item<double>() == Approx(0.1 * (H(0.5) + H(0.1) + H(0.9)) / 3));
    // ½ Σ p_e (ŷ_u − ŷ_v)² / n²: only edge 0 -> 1 joins different classes.
    CHECK(r.laplacian.item<double>() == Approx(2.0 * 0.5 * 0.2 / 9.0));
    CHECK(r.total().item<double>() ==
          Approx(0.0045 + (H(0.2) + H(0.7)) / 2 + 0.5 + 0.1 * (H(0.5) + H(0.1) + H(0.9)) / 3 + 0.2 / 9.0));
  }
  SECTION("reductions run per instance") {
    auto r = gnn_explainer_regularizers(o, p, fp, 2, torch::tensor({1, 0}, torch::kLong),
                                        torch::tensor({0, 0, 1}, torch::kLong));
    GNNX_REQUIRE_CLOSE(r.edge_size, torch::tensor({0.005 * 0.7, 0.005 * 0.2}, torch::kDouble));
    GNNX_REQUIRE_CLOSE(r.edge_ent, torch::tensor({H(0.7), H(0.2)}, torch::kDouble));
    GNNX_REQUIRE_CLOSE(r.feat_size, torch::tensor({0.3, 0.9}, torch::kDouble));
    GNNX_REQUIRE_CLOSE(r.feat_ent, torch::tensor({0.1 * (H(0.5) + H(0.1)) / 2, 0.1 * H(0.9)}, torch::kDouble));
    GNNX_REQUIRE_CLOSE(r.laplacian, torch::zeros({2}, torch::kDouble));
  }
}

TEST_CASE("GNNExplainer initial masks follow PyG's scale", "[gnnexplainer]") {
  RandomFixture f;
  GNNExplainer ex(GNNExplainerOptions().feature_mask(FeatureMaskType::kNodeFeature).seed(1));
  auto init = ex.initial_masks(*f.model, f.graph, {Target::node(0), Target::node(5)});
  auto sub = k_hop_subgraph(f.graph, 0, f.model->receptive_field());
  REQUIRE(init[0].edge.size(0) == sub.graph.num_edges());
  REQUIRE(init[0].feature.sizes() == at::IntArrayRef({sub.graph.num_nodes, 5}));
  // N(0, 2/n): the sample variance of a few dozen draws is within a factor 2 of it.
  const double var = init[0].edge.var().item<double>(), expected = 2.0 / static_cast<double>(sub.graph.num_nodes);
  CHECK(var > expected / 2);
  CHECK(var < expected * 2);
}

TEST_CASE("GNNExplainer is deterministic for a fixed seed", "[gnnexplainer]") {
  RandomFixture f;
  std::vector<Target> t{Target::node(2), Target::node(9)};
  auto o = GNNExplainerOptions().epochs(30).feature_mask(FeatureMaskType::kFeature).reparametrize(true);
  auto a = GNNExplainer(o.seed(7)).explain(*f.model, f.graph, t);
  auto b = GNNExplainer(o.seed(7)).explain(*f.model, f.graph, t);
  auto c = GNNExplainer(o.seed(8)).explain(*f.model, f.graph, t);
  for (size_t i = 0; i < t.size(); ++i) {
    CHECK(torch::equal(a[i].edge_mask, b[i].edge_mask));
    CHECK(torch::equal(a[i].feature_mask, b[i].feature_mask));
    CHECK_FALSE(torch::equal(a[i].edge_mask, c[i].edge_mask));
  }
}

TEST_CASE("GNNExplainer batched equals one by one", "[gnnexplainer]") {
  RandomFixture f;
  std::vector<Target> targets{Target::node(0), Target::node(3), Target::node(4), Target::node(11), Target::node(20)};
  auto type = GENERATE(FeatureMaskType::kNone, FeatureMaskType::kFeature, FeatureMaskType::kNodeFeature);
  auto o = GNNExplainerOptions()
               .epochs(40)
               .lr(0.05)
               .feature_mask(type)
               .reparametrize(type == FeatureMaskType::kFeature)
               .laplacian(type == FeatureMaskType::kNone ? 0.5 : 0.0)
               .seed(3);
  // Subgraphs overlap (node 0 is in every one), and each instance keeps its own mask.
  auto batched = GNNExplainer(GNNExplainerOptions(o).chunk_size(64)).explain(*f.model, f.graph, targets);
  auto chunked = GNNExplainer(GNNExplainerOptions(o).chunk_size(2)).explain(*f.model, f.graph, targets);
  for (size_t i = 0; i < targets.size(); ++i) {
    auto single = GNNExplainer(o).explain(*f.model, f.graph, {targets[i]});
    GNNX_REQUIRE_CLOSE(batched[i].edge_mask, single[0].edge_mask, 1e-4, 1e-5);
    GNNX_REQUIRE_CLOSE(chunked[i].edge_mask, single[0].edge_mask, 1e-4, 1e-5);
    if (type != FeatureMaskType::kNone) GNNX_REQUIRE_CLOSE(batched[i].feature_mask, single[0].feature_mask, 1e-4, 1e-5);
    CHECK(batched[i].diagnostics.at("final_loss") == Approx(single[0].diagnostics.at("final_loss")).epsilon(1e-4));
  }
}

TEST_CASE("GNNExplainer with several initial means averages independent runs", "[gnnexplainer]") {
  RandomFixture f;
  std::vector<Target> targets{Target::node(0), Target::node(11)};
  auto o = GNNExplainerOptions().epochs(25).feature_mask(FeatureMaskType::kFeature).seed(5);
  auto both = GNNExplainer(GNNExplainerOptions(o).edge_init_means({0.0, 1.5})).explain(*f.model, f.graph, targets);
  auto low = GNNExplainer(GNNExplainerOptions(o).edge_init_means({0.0})).explain(*f.model, f.graph, targets);
  auto high = GNNExplainer(GNNExplainerOptions(o).edge_init_means({1.5})).explain(*f.model, f.graph, targets);
  // The second run starts from the first one's draw shifted by 1.5.
  auto init_low = GNNExplainer(GNNExplainerOptions(o).edge_init_means({0.0})).initial_masks(*f.model, f.graph, targets);
  auto init_high =
      GNNExplainer(GNNExplainerOptions(o).edge_init_means({1.5})).initial_masks(*f.model, f.graph, targets);
  for (size_t i = 0; i < targets.size(); ++i) {
    GNNX_REQUIRE_CLOSE(init_high[i].edge - init_low[i].edge, torch::full_like(init_low[i].edge, 1.5), 1e-5, 1e-5);
    GNNX_REQUIRE_CLOSE(both[i].edge_mask, (low[i].edge_mask + high[i].edge_mask) / 2, 1e-4, 1e-5);
    GNNX_REQUIRE_CLOSE(both[i].feature_mask, (low[i].feature_mask + high[i].feature_mask) / 2, 1e-4, 1e-5);
    CHECK(both[i].diagnostics.at("runs") == 2);
    CHECK(both[i].diagnostics.at("final_loss") ==
          Approx((low[i].diagnostics.at("final_loss") + high[i].diagnostics.at("final_loss")) / 2).epsilon(1e-4));
    CHECK_FALSE(torch::allclose(low[i].edge_mask, high[i].edge_mask, 1e-3, 1e-3));
  }
  GNNX_REQUIRE_ERROR("edge_init_means must hold at least one mean",
                     GNNExplainer(GNNExplainerOptions().edge_init_means({})));
  GNNX_REQUIRE_ERROR("edge_init_means must be finite",
                     GNNExplainer(GNNExplainerOptions().edge_init_means({0.0, std::nan("")})));
}

TEST_CASE("GNNExplainer's loss adds exactly the terms of gnn_explainer_regularizers", "[gnnexplainer]") {
  // The optimisation folds the regularisers' constants into per-entry coefficients; this checks
  // them against the reference function. With a negligible lr the masks after epoch 1 are the
  // returned ones, and final_loss - prediction_loss is epoch 1's regulariser of each instance.
  RandomFixture f(nn::ConvType::kGraphConv);
  const auto ftype = GENERATE(FeatureMaskType::kNone, FeatureMaskType::kFeature, FeatureMaskType::kNodeFeature);
  auto o = GNNExplainerOptions()
               .epochs(2)
               .lr(1e-9)
               .edge_init_means({0.0})
               .average_directions(false)  // the masks as optimised, which the regulariser saw
               .laplacian(0.7)
               .feature_mask(ftype)
               .edge_size(0.03)
               .edge_ent(0.8)
               .feat_size(0.4)
               .feat_ent(0.6)
               .seed(2);
  at::Tensor pred;
  {
    torch::NoGradGuard ng;
    pred = f.model->forward(f.graph.x, f.graph.edge_index).argmax(1).to(torch::kFloat);
  }
  const std::vector<Target> targets{Target::node(0), Target::node(11), Target::node(17)};
  auto ex = GNNExplainer(GNNExplainerOptions(o).chunk_size(64)).explain(*f.model, f.graph, targets);
  for (const auto& e : ex) {
    INFO("node " << e.target.index);
    auto p = e.edge_mask.index_select(0, e.edge_ids);
    auto hard = torch::nonzero(p).flatten();  // σ > 0: zero exactly off the hard mask
    auto ei = f.graph.edge_index.index_select(1, e.edge_ids.index_select(0, hard));
    at::Tensor fp;
    if (ftype == FeatureMaskType::kFeature) fp = e.feature_mask.flatten();
    if (ftype == FeatureMaskType::kNodeFeature) fp = e.feature_mask.index_select(0, e.node_ids).flatten();
    if (fp.defined()) fp = fp.index_select(0, torch::nonzero(fp).flatten());
    const auto n = torch::tensor({static_cast<double>(e.node_ids.size(0))});
    auto want = gnn_explainer_regularizers(o, p.index_select(0, hard), fp, 1, {}, {}, ei, pred, n).total();
    const double got = e.diagnostics.at("final_loss") - e.diagnostics.at("prediction_loss");
    CHECK(got == Approx(want.item<double>()).epsilon(1e-4).margin(1e-6));
  }
}

TEST_CASE("GNNExplainer measures id ranges once per batch, not in every layer of every epoch",
          "[gnnexplainer][index_range]") {
  // Each measurement is a device sync on CUDA; their number must not grow with the epochs.
  const auto conv = GENERATE(nn::ConvType::kGraphConv, nn::ConvType::kGCN, nn::ConvType::kGAT);
  const auto task = GENERATE(nn::Task::kNode, nn::Task::kGraph);
  RandomFixture f(conv, task);
  const std::vector<Graph> graphs{f.graph, k_hop_subgraph(f.graph, 7, 2).graph};
  auto count = [&](int64_t epochs) {
    const auto before = nn::detail::index_range_measurements();
    const auto o = GNNExplainerOptions().epochs(epochs).chunk_size(64);
    if (task == nn::Task::kNode)
      GNNExplainer(o).explain(*f.model, f.graph, {Target::node(0), Target::node(11)});
    else
      GNNExplainer(o).explain_graphs(*f.model, graphs);
    return nn::detail::index_range_measurements() - before;
  };
  const auto few = count(2);
  REQUIRE(few > 0);
  REQUIRE(count(30) == few);
}

TEST_CASE("GNNExplainer's epochs make no host syncs", "[gnnexplainer][sync]") {
  // On CUDA an operator that reads a result back (item, nonzero, unique, ...) stalls the host
  // until the device is done; one in the epoch loop would cost a round trip per epoch. Counted on
  // the CPU, by operator name: the syncs of a run must not grow with its epochs.
  const auto conv = GENERATE(nn::ConvType::kGraphConv, nn::ConvType::kGCN, nn::ConvType::kGAT, nn::ConvType::kGIN,
                             nn::ConvType::kSAGE);
  const auto task = GENERATE(nn::Task::kNode, nn::Task::kGraph);
  const auto fmask = GENERATE(FeatureMaskType::kNone, FeatureMaskType::kFeature, FeatureMaskType::kNodeFeature);
  const bool reparametrize = GENERATE(false, true);
  RandomFixture f(conv, task);
  const std::vector<Graph> graphs{f.graph, k_hop_subgraph(f.graph, 7, 2).graph};
  auto count = [&](int64_t epochs) {
    const auto o = GNNExplainerOptions().epochs(epochs).chunk_size(64).feature_mask(fmask).reparametrize(reparametrize);
    test::OpCounter ops;
    if (task == nn::Task::kNode)
      GNNExplainer(o).explain(*f.model, f.graph, {Target::node(0), Target::node(11)});
    else
      GNNExplainer(o).explain_graphs(*f.model, graphs);
    return ops.counts();
  };
  // A first run lets the graph keep what validate() scanned, so both counted runs see the same.
  count(1);
  const auto few = count(2), more = count(7);
  int64_t setup_syncs = 0, per_epoch = 0;
  for (const auto& [name, n] : more) {
    const auto it = few.find(name);
    const int64_t d = n - (it == few.end() ? 0 : it->second);
    per_epoch += d;
    if (test::OpCounter::syncs_on_cuda(name)) {
      setup_syncs += n;
      INFO(name << " ran " << d << " more times in 5 more epochs");
      CHECK(d == 0);
    }
  }
  // The counter sees the syncs outside the loop (epoch 0's nonzero for the hard masks, reading
  // the losses back): it would see one inside.
  CHECK(setup_syncs > 0);
  CHECK(per_epoch > 0);
}

TEST_CASE("GNNExplainer explains graphs of a graph classifier in one batch", "[gnnexplainer]") {
  RandomFixture f(nn::ConvType::kGIN, nn::Task::kGraph);
  std::vector<Graph> graphs{f.graph, k_hop_subgraph(f.graph, 0, 2).graph, k_hop_subgraph(f.graph, 7, 2).graph};
  auto o = GNNExplainerOptions().epochs(30).lr(0.05).feature_mask(FeatureMaskType::kFeature);
  auto batched = GNNExplainer(GNNExplainerOptions(o).chunk_size(64)).explain_graphs(*f.model, graphs);
  // chunk_size 1: every graph optimised alone, from the same seeded start (graph i draws with key i).
  auto alone = GNNExplainer(GNNExplainerOptions(o).chunk_size(1)).explain_graphs(*f.model, graphs);
  REQUIRE(batched.size() == 3);
  for (size_t i = 0; i < graphs.size(); ++i) {
    REQUIRE(batched[i].edge_mask.size(0) == graphs[i].num_edges());
    CHECK(batched[i].target.index == static_cast<int64_t>(i));
    GNNX_REQUIRE_CLOSE(batched[i].edge_mask, alone[i].edge_mask, 1e-4, 1e-5);
  }
  auto first = GNNExplainer(o).explain(*f.model, graphs[0], {Target::graph(0)});
  GNNX_REQUIRE_CLOSE(batched[0].edge_mask, first[0].edge_mask, 1e-4, 1e-5);
  auto g = GradExplainer().explain_graphs(*f.model, graphs);
  auto g1 = GradExplainer().explain(*f.model, graphs[1], {Target::graph(0)});
  GNNX_REQUIRE_CLOSE(g[1].edge_mask, g1[0].edge_mask, 1e-4, 1e-7);
}

TEST_CASE("GNNExplainer's undirected masks give both directions of an edge one value", "[gnnexplainer]") {
  RandomFixture f(nn::ConvType::kGraphConv);
  const bool shared = GENERATE(true, false);  // one shared logit, or directed logits averaged
  auto e = GNNExplainer(GNNExplainerOptions().epochs(30).symmetric_mask(shared))
               .explain(*f.model, f.graph, {Target::node(2)})[0];
  auto directed = GNNExplainer(GNNExplainerOptions().epochs(30).symmetric_mask(false).average_directions(false))
                      .explain(*f.model, f.graph, {Target::node(2)})[0];
  auto ei = f.graph.edge_index;
  int64_t differ = 0;
  for (int64_t a = 0; a < f.graph.num_edges(); ++a)
    for (int64_t b = 0; b < f.graph.num_edges(); ++b)
      if (ei[0][a].item<int64_t>() == ei[1][b].item<int64_t>() &&
          ei[1][a].item<int64_t>() == ei[0][b].item<int64_t>()) {
        CHECK(e.edge_mask[a].item<float>() == e.edge_mask[b].item<float>());
        differ += directed.edge_mask[a].item<float>() != directed.edge_mask[b].item<float>();
      }
  CHECK(differ > 0);  // the per-direction mask does tell the directions apart
}

TEST_CASE("Skipping edges into nodes k hops away leaves the gradient unchanged", "[gnnexplainer]") {
  // GraphConv: the explainers run a node's subgraph without the edges into nodes exactly k hops
  // away. Reference: the gradient of the node's loss w.r.t. an all-ones mask on the whole graph.
  // GRAD runs the union trimmed layer by layer (GNNModel::forward_trimmed), so this also checks
  // that against the plain forward.
  auto conv = GENERATE(nn::ConvType::kGraphConv, nn::ConvType::kGIN, nn::ConvType::kSAGE, nn::ConvType::kGAT,
                       nn::ConvType::kGCN);
  RandomFixture f(conv);
  f.model->eval();
  INFO("layer " << nn::to_string(conv));
  const int64_t v = 4;
  auto e = GradExplainer().explain(*f.model, f.graph, {Target::node(v)})[0];
  // Reference on the whole computation subgraph (receptive_field() hops: GCN's reach one further
  // for the degrees), every edge run.
  auto sub = k_hop_subgraph(f.graph, v, f.model->receptive_field());
  const int64_t c = sub.center.item<int64_t>();
  auto m = torch::ones({sub.graph.num_edges()}).requires_grad_(true);
  at::Tensor logits;
  {
    nn::EdgeMaskScope scope(m, nn::MaskPlacement::kMessage);  // GRAD's default placement
    logits = f.model->forward(sub.graph.x, sub.graph.edge_index);
  }
  auto row = logits.slice(0, c, c + 1);
  auto loss = torch::nn::functional::cross_entropy(row, row.argmax(1));
  auto g = torch::autograd::grad({loss}, {m})[0].abs();
  GNNX_REQUIRE_CLOSE(e.edge_mask.index_select(0, sub.edge_ids), g, 1e-4, 1e-7);
  // The subgraph does hold such edges: for the layers that read in-edges only they have no effect.
  if (conv != nn::ConvType::kGCN) CHECK((g == 0).sum().item<int64_t>() > 0);
}

TEST_CASE("GRAD batched equals one by one", "[gnnexplainer]") {
  RandomFixture f;
  std::vector<Target> targets{Target::node(1), Target::node(6), Target::node(13)};
  auto batched = GradExplainer(/*chunk_size=*/8).explain(*f.model, f.graph, targets);
  for (size_t i = 0; i < targets.size(); ++i) {
    auto single = GradExplainer().explain(*f.model, f.graph, {targets[i]});
    GNNX_REQUIRE_CLOSE(batched[i].edge_mask, single[0].edge_mask, 1e-4, 1e-7);
  }
}

TEST_CASE("ATT averages GAT attention over heads and layers without self loops", "[gnnexplainer]") {
  RandomFixture f(nn::ConvType::kGAT);
  auto e = AttentionExplainer().explain(*f.model, f.graph, {Target::node(4)});
  // Reference: the three layers run one by one, then the mean of α over heads and layers.
  torch::NoGradGuard ng;
  f.model->eval();
  auto ref = torch::zeros({f.graph.num_edges()});
  auto h = f.graph.x;
  for (const auto& l : f.model->message_passing_layers()) {
    auto r = std::dynamic_pointer_cast<nn::GATConvImpl>(l)->forward_with_attention(h, f.graph.edge_index);
    ref += r.attention.alpha.mean(1) / 3.0;
    h = torch::relu(r.out);
  }
  auto ids = e[0].edge_ids;
  GNNX_REQUIRE_CLOSE(e[0].edge_mask.index_select(0, ids), ref.index_select(0, ids));
  CHECK(e[0].edge_mask.sum().item<double>() == Approx(ref.index_select(0, ids).sum().item<double>()));
  RandomFixture gcn;
  GNNX_REQUIRE_ERROR("GATConv", AttentionExplainer().explain(*gcn.model, gcn.graph, {Target::node(4)}));
}

namespace {
// A GNNModel that notes OpenBLAS's pool size whenever it runs under an edge mask (as the
// explainers' chunks do), and otherwise is the model it wraps.
class BlasProbe : public nn::GNNModel {
 public:
  explicit BlasProbe(nn::GNNClassifier inner) : inner_(register_module("inner", std::move(inner))) {}
  at::Tensor forward(const at::Tensor& x, const at::Tensor& edge_index, const at::Tensor& edge_weight,
                     const at::Tensor& batch, int64_t num_graphs) override {
    if (nn::active_edge_mask().defined()) {
      std::lock_guard<std::mutex> lock(mutex_);  // the chunks run on several threads
      seen.insert(blas_threads());
    }
    return inner_->forward(x, edge_index, edge_weight, batch, num_graphs);
  }
  nn::Task task() const override { return inner_->task(); }
  int64_t num_hops() const override { return inner_->num_hops(); }
  int64_t num_classes() const override { return inner_->num_classes(); }
  int64_t in_channels() const override { return inner_->in_channels(); }
  std::vector<std::shared_ptr<nn::MessagePassing>> message_passing_layers() const override {
    return inner_->message_passing_layers();
  }
  std::set<int> seen;  // pool sizes seen under a mask

 private:
  nn::GNNClassifier inner_;
  std::mutex mutex_;
};
}  // namespace

TEST_CASE("explainers change OpenBLAS's pool only when the program's RuntimeSettings ask", "[gnnexplainer][runtime]") {
  const int before = blas_threads();
  if (before < 0) {
    WARN("LibTorch's BLAS is not OpenBLAS here: nothing to check");
    return;
  }
  const auto saved = runtime_settings();
  set_blas_threads(2);
  RandomFixture f;
  const std::vector<Target> targets{Target::node(0), Target::node(4), Target::node(9), Target::node(15)};
  {
    BlasProbe probe(f.model);
    GradExplainer(/*chunk_size=*/1).explain(probe, f.graph, targets);
    CHECK(probe.seen == std::set<int>{2});
    CHECK(blas_threads() == 2);
  }
  {
    set_runtime_settings(RuntimeSettings().explainer_blas_threads(1));
    BlasProbe probe(f.model);
    GradExplainer(/*chunk_size=*/1).explain(probe, f.graph, targets);
    CHECK(probe.seen == std::set<int>{1});
    CHECK(blas_threads() == 2);  // restored
  }
  set_runtime_settings(saved);
  set_blas_threads(before);
}

TEST_CASE("GNNExplainer rejects invalid input", "[gnnexplainer]") {
  RandomFixture f;
  GNNExplainer ex(GNNExplainerOptions().epochs(2));
  GNNX_REQUIRE_ERROR("node 24 is outside", ex.explain(*f.model, f.graph, {Target::node(24)}));
  GNNX_REQUIRE_ERROR("node -1 is outside", ex.explain(*f.model, f.graph, {Target::node(-1)}));
  GNNX_REQUIRE_ERROR("empty list", ex.explain(*f.model, f.graph, {}));
  GNNX_REQUIRE_ERROR("node targets", ex.explain(*f.model, f.graph, {Target::graph(0)}));
  GNNX_REQUIRE_ERROR("not a class", ex.explain(*f.model, f.graph, {Target::node(0, 3)}));
  Graph wide(f.graph.edge_index, f.graph.num_nodes, torch::ones({f.graph.num_nodes, 7}));
  GNNX_REQUIRE_ERROR("takes 5 input features", ex.explain(*f.model, wide, {Target::node(0)}));
  GNNX_REQUIRE_ERROR("graph classifier", ex.explain_graphs(*f.model, {f.graph}));
  GNNX_REQUIRE_ERROR("needs true labels",
                     GNNExplainer(GNNExplainerOptions().explanation_type(ExplanationType::kPhenomenon))
                         .explain(*f.model, f.graph, {Target::node(0)}));
  GNNX_REQUIRE_ERROR("epochs", GNNExplainer(GNNExplainerOptions().epochs(0)));
  GNNX_REQUIRE_ERROR("initial edge logits",
                     ex.explain_from(*f.model, f.graph, {Target::node(0)}, {InitialMasks{torch::zeros({1}), {}}}));
  GNNX_REQUIRE_ERROR("empty list", GradExplainer().explain(*f.model, f.graph, {}));
  RandomFixture g(nn::ConvType::kGCN, nn::Task::kGraph);
  GNNX_REQUIRE_ERROR("Target::graph(0)", ex.explain(*g.model, g.graph, {Target::node(0)}));
  GNNX_REQUIRE_ERROR("unknown method", make_explainer("nope"));
  CHECK(make_explainer("gnnexplainer", {{"seed", "3"}, {"epochs", "5"}})->name() == "gnnexplainer");
  CHECK(make_explainer("grad")->name() == "grad");
  CHECK(make_explainer("att")->name() == "att");
  // Options as text, checked like make_attributor's: unknown keys and unparsable values fail.
  GNNX_REQUIRE_ERROR("gnnexplainer: unknown option \"epoch\"", make_explainer("gnnexplainer", {{"epoch", "5"}}));
  GNNX_REQUIRE_ERROR("gnnexplainer: option epochs expects an integer, got \"5x\"",
                     make_explainer("gnnexplainer", {{"epochs", "5x"}}));
  GNNX_REQUIRE_ERROR("option feature_mask expects one of none, feature, node, node_feature",
                     make_explainer("gnnexplainer", {{"feature_mask", "edges"}}));
  GNNX_REQUIRE_ERROR("grad: unknown option \"epochs\"", make_explainer("grad", {{"epochs", "5"}}));
}
