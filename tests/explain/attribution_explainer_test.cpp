// Attributions on GNNs: edge attributions through the edge mask, node-feature attributions,
// batched graph copies, per-edge / per-node occlusion, and the Explainer adapters.
#include "gnnx/explain/attribution_explainer.h"

#include <atomic>
#include <chrono>
#include <thread>

#include <torch/torch.h>

#include "gnnx/attribution/gradient.h"
#include "gnnx/attribution/integrated_gradients.h"
#include "gnnx/attribution/occlusion.h"
#include "gnnx/explain/explainer.h"
#include "gnnx/graph/ops.h"
#include "gnnx/nn/message_passing.h"
#include "support/catch.h"
#include "support/tensor_match.h"

using namespace gnnx;
using namespace gnnx::attribution;
using namespace gnnx::explain;

namespace {

// A ring of 12 nodes with chords and a tail, 3 features, doubles.
Graph test_graph() {
  torch::manual_seed(21);
  std::vector<std::pair<int64_t, int64_t>> pairs;
  for (int64_t i = 0; i < 12; ++i) pairs.push_back({i, (i + 1) % 12});
  pairs.push_back({0, 6});
  pairs.push_back({3, 9});
  pairs.push_back({11, 12});
  pairs.push_back({12, 13});
  return Graph(undirected_edge_index(pairs), 14, torch::randn({14, 3}, torch::kDouble));
}

nn::GNNClassifier test_model(nn::Task task) {
  torch::manual_seed(22);
  nn::GNNClassifier m(nn::GNNClassifierOptions(3, 3).task(task).num_layers(2).hidden_channels(8));
  m->to(torch::kDouble);
  m->eval();
  return m;
}

at::Tensor logit(nn::GNNModel& model, const Graph& g, int64_t node, int64_t label, const at::Tensor& x) {
  return model.forward(x, g.edge_index)[node][label];
}

}  // namespace

TEST_CASE("edge and feature saliency equal autograd through the edge mask, all targets in one batch", "[attribution]") {
  auto g = test_graph();
  auto model = test_model(nn::Task::kNode);
  std::vector<Target> targets{Target::node(2, 1), Target::node(12, 0), Target::node(7)};
  auto edges = Saliency(SaliencyOptions().abs(false)).attribute(*model, g, targets, GraphInput::kEdges);
  auto feats = Saliency(SaliencyOptions().abs(false)).attribute(*model, g, targets, GraphInput::kNodeFeatures);
  REQUIRE(edges.values.sizes() == c10::IntArrayRef({3, g.num_edges()}));
  REQUIRE(feats.values.sizes() == c10::IntArrayRef({3, 14, 3}));
  CHECK(edges.targets[2].label == model->forward_graph(g)[7].argmax().item<int64_t>());
  for (size_t t = 0; t < targets.size(); ++t) {
    const int64_t node = targets[t].index, label = edges.targets[t].label;
    auto mask = torch::ones({g.num_edges()}, torch::kDouble).requires_grad_(true);
    at::Tensor y;
    {
      nn::EdgeMaskScope scope(mask);
      y = logit(*model, g, node, label, g.x);
    }
    auto ge = torch::autograd::grad({y}, {mask})[0];
    GNNX_REQUIRE_CLOSE(edges.values[static_cast<int64_t>(t)], ge, 1e-9, 1e-12);
    auto x = g.x.clone().requires_grad_(true);
    auto gx = torch::autograd::grad({logit(*model, g, node, label, x)}, {x})[0];
    GNNX_REQUIRE_CLOSE(feats.values[static_cast<int64_t>(t)], gx, 1e-9, 1e-12);
  }
}

TEST_CASE("graph classifier: feature gradient, IG batched over graph copies equals one step at a time",
          "[attribution]") {
  auto g = test_graph();
  auto model = test_model(nn::Task::kGraph);
  auto sal = Saliency(SaliencyOptions().abs(false)).attribute(*model, g, {Target::graph(0, 2)});
  auto x = g.x.clone().requires_grad_(true);
  auto y = model->forward(x, g.edge_index)[0][2];
  auto gx = torch::autograd::grad({y}, {x})[0];  // once: the macro evaluates its arguments twice
  GNNX_REQUIRE_CLOSE(sal.values[0], gx, 1e-9, 1e-12);
  for (auto what : {GraphInput::kEdges, GraphInput::kNodeFeatures}) {
    auto all =
        IntegratedGradients(IntegratedGradientsOptions().steps(12)).attribute(*model, g, {Target::graph(0, 2)}, what);
    auto one = IntegratedGradients(IntegratedGradientsOptions().steps(12).internal_batch_size(1))
                   .attribute(*model, g, {Target::graph(0, 2)}, what);
    GNNX_REQUIRE_CLOSE(all.values, one.values, 1e-9, 1e-12);
    GNNX_REQUIRE_CLOSE(all.diagnostics.at("delta"), one.diagnostics.at("delta"), 1e-6, 1e-9);
  }
  GNNX_REQUIRE_ERROR("needs Target::graph(0)", Saliency().attribute(*model, g, {Target::node(1)}));
  auto node_model = test_model(nn::Task::kNode);
  GNNX_REQUIRE_ERROR("needs node targets", Saliency().attribute(*node_model, g, {Target::graph(0)}));
  GNNX_REQUIRE_ERROR("node 99 out of range", Saliency().attribute(*node_model, g, {Target::node(99)}));
  GNNX_REQUIRE_ERROR("needs a model with layers", GuidedBackprop().attribute(*node_model, g, {Target::node(1)}));
}

TEST_CASE("per-edge and per-node occlusion equal deleting the edge / zeroing the node", "[attribution]") {
  auto g = test_graph();
  auto model = test_model(nn::Task::kNode);
  const int64_t node = 3;
  auto r = Occlusion(OcclusionOptions().window({1}).perturbations_per_eval(8))
               .attribute(*model, g, {Target::node(node)}, GraphInput::kEdges);
  const int64_t label = r.targets[0].label;
  torch::NoGradGuard no_grad;
  const double full = logit(*model, g, node, label, g.x).item<double>();
  for (int64_t e = 0; e < g.num_edges(); ++e) {
    auto keep = torch::cat({torch::arange(e), torch::arange(e + 1, g.num_edges())});
    auto y = model->forward(g.x, g.edge_index.index_select(1, keep))[node][label].item<double>();
    CHECK(r.values[0][e].item<double>() == Approx(full - y).margin(1e-9));
  }
  auto rn = Occlusion(OcclusionOptions().window({1, -1}).perturbations_per_eval(5))
                .attribute(*model, g, {Target::node(node)});
  for (int64_t i = 0; i < g.num_nodes; ++i) {
    auto x = g.x.clone();
    x[i].zero_();
    const double y = logit(*model, g, node, label, x).item<double>();
    for (int64_t f = 0; f < 3; ++f) CHECK(rn.values[0][i][f].item<double>() == Approx(full - y).margin(1e-9));
  }
}

TEST_CASE("explainer adapters: (L+1)-hop subgraph gives the full graph's attributions, masks on full ids",
          "[attribution]") {
  auto g = test_graph();
  auto model = test_model(nn::Task::kNode);
  const int64_t node = 11;
  auto explainer = explain::make_explainer("saliency");
  auto e = explainer->explain(*model, g, {Target::node(node)}).at(0);
  CHECK(e.method == "saliency");
  CHECK(e.target.index == node);
  auto comp = k_hop_subgraph(g, node, model->num_hops());
  CHECK(e.edge_ids.equal(comp.edge_ids));
  auto in_comp = torch::zeros({g.num_edges()}, torch::kBool).index_put_({comp.edge_ids}, true);
  auto full_edges = Saliency().attribute(*model, g, {Target::node(node)}, GraphInput::kEdges).values[0];
  auto full_feats = Saliency().attribute(*model, g, {Target::node(node)}).values[0];
  GNNX_REQUIRE_CLOSE(e.edge_mask, full_edges * in_comp.to(torch::kDouble), 1e-9, 1e-12);
  auto node_in = torch::zeros({g.num_nodes}, torch::kDouble).index_put_({comp.node_ids}, 1.0);
  GNNX_REQUIRE_CLOSE(e.node_mask, full_feats.abs().sum(1) * node_in, 1e-9, 1e-12);
  for (const std::string name : {"gradxinput", "ig", "smoothgrad", "occlusion"}) {
    INFO(name);
    auto ex = explain::make_explainer(name, {{"seed", "1"}})->explain(*model, g, {Target::node(node), Target::node(4)});
    REQUIRE(ex.size() == 2);
    CHECK(ex[0].edge_mask.sizes() == c10::IntArrayRef({g.num_edges()}));
    CHECK(ex[1].node_mask.sizes() == c10::IntArrayRef({g.num_nodes}));
    CHECK((ex[0].edge_mask * (~in_comp).to(torch::kDouble)).abs().sum().item<double>() == 0.0);
    CHECK(ex[0].edge_mask.abs().sum().item<double>() > 0.0);
  }
  // Saliency and gradient x input take both gradients from one pass: the same masks as each
  // attributor on its own.
  for (const bool times_input : {false, true}) {
    INFO((times_input ? "gradxinput" : "saliency"));
    auto make = [&]() -> std::shared_ptr<Attributor> {
      if (times_input) return std::make_shared<GradientXInput>();
      return std::make_shared<Saliency>();
    };
    const std::vector<Target> targets{Target::node(node), Target::node(4), Target::node(0, 1)};
    auto joint = explain::AttributionExplainer("joint", make(), make()).explain(*model, g, targets);
    auto edges = explain::AttributionExplainer("edges", make(), nullptr).explain(*model, g, targets);
    auto feats = explain::AttributionExplainer("features", nullptr, make()).explain(*model, g, targets);
    for (size_t i = 0; i < targets.size(); ++i) {
      CHECK(joint[i].target.label == edges[i].target.label);
      CHECK(joint[i].edge_mask.abs().sum().item<double>() > 0);
      GNNX_REQUIRE_CLOSE(joint[i].edge_mask, edges[i].edge_mask, 1e-9, 1e-12);
      GNNX_REQUIRE_CLOSE(joint[i].feature_mask, feats[i].feature_mask, 1e-9, 1e-12);
      GNNX_REQUIRE_CLOSE(joint[i].node_mask, feats[i].node_mask, 1e-9, 1e-12);
    }
  }
  auto gm = test_model(nn::Task::kGraph);
  auto eg = explain::make_explainer("ig")->explain(*gm, g, {Target::graph(0)}).at(0);
  CHECK(eg.edge_ids.numel() == g.num_edges());
  CHECK(eg.diagnostics.count("edges.delta") == 1);
  GNNX_REQUIRE_ERROR("unknown method", make_attribution_explainer("nope"));
}

TEST_CASE("saliency's trimmed pass gives every layer type's full-graph gradients", "[attribution]") {
  // The joint pass runs forward_trimmed on the edges that can reach the target; the masks must be
  // the plain full-graph gradients, for each layer type (GCN reads one hop further).
  auto g = test_graph();
  for (const auto conv :
       {nn::ConvType::kGCN, nn::ConvType::kGraphConv, nn::ConvType::kGIN, nn::ConvType::kSAGE, nn::ConvType::kGAT}) {
    INFO(nn::to_string(conv));
    torch::manual_seed(23);
    nn::GNNClassifier model(nn::GNNClassifierOptions(3, 3).conv(conv).num_layers(3).hidden_channels(8));
    model->to(torch::kDouble);
    model->eval();
    REQUIRE(model->trimmed_hops() > 0);
    const std::vector<Target> targets{Target::node(13), Target::node(5), Target::node(0, 2)};
    const auto ex = explain::make_explainer("saliency")->explain(*model, g, targets);
    for (size_t i = 0; i < targets.size(); ++i) {
      const int64_t node = targets[i].index, label = ex[i].target.label;
      CHECK(label == (i == 2 ? 2 : model->forward_graph(g)[node].argmax().item<int64_t>()));
      const auto comp = k_hop_subgraph(g, node, model->num_hops());
      const auto in_comp = torch::zeros({g.num_edges()}, torch::kDouble).index_put_({comp.edge_ids}, 1.0);
      auto mask = torch::ones({g.num_edges()}, torch::kDouble).requires_grad_(true);
      auto x = g.x.clone().requires_grad_(true);
      at::Tensor y;
      {
        nn::EdgeMaskScope scope(mask);
        y = model->forward(x, g.edge_index)[node][label];
      }
      const auto grads = torch::autograd::grad({y}, {mask, x});
      GNNX_REQUIRE_CLOSE(ex[i].edge_mask, grads[0].abs() * in_comp, 1e-9, 1e-12);
      const auto node_in = torch::zeros({g.num_nodes, 1}, torch::kDouble).index_put_({comp.node_ids}, 1.0);
      GNNX_REQUIRE_CLOSE(ex[i].feature_mask, grads[1].abs() * node_in, 1e-9, 1e-12);
    }
  }
}

namespace {

// Saliency that counts how many of its calls run at once.
class CountingSaliency : public Attributor {
 public:
  explicit CountingSaliency(bool concurrent) : concurrent_(concurrent) {}
  std::string name() const override { return "counting-saliency"; }
  bool concurrent() const override { return concurrent_; }
  int most_at_once() const { return most_; }

 protected:
  Attribution compute(Objective& objective) override {
    const int now = ++running_;
    for (int seen = most_; now > seen && !most_.compare_exchange_weak(seen, now);) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    auto a = Saliency().attribute(objective);
    --running_;
    return a;
  }

 private:
  bool concurrent_;
  std::atomic<int> running_{0}, most_{0};
};

}  // namespace

TEST_CASE("many node targets at once: each explanation as the target's alone, serial attributors one at a time",
          "[attribution]") {
  auto g = test_graph();
  auto model = test_model(nn::Task::kNode);
  std::vector<Target> targets;
  for (int64_t v = 0; v < g.num_nodes; ++v) targets.push_back(Target::node(v));
  for (const std::string name : {"saliency", "gradxinput", "ig", "smoothgrad", "occlusion"}) {
    INFO(name);
    auto explainer = explain::make_explainer(name, {{"seed", "3"}});
    const auto all = explainer->explain_compact(*model, g, targets);
    REQUIRE(all.size() == targets.size());
    for (size_t i = 0; i < targets.size(); ++i) {
      const auto one = explainer->explain_compact(*model, g, {targets[i]}).at(0);
      CHECK(all[i].target.index == targets[i].index);
      CHECK(all[i].target.label == one.target.label);
      CHECK(all[i].edge_ids.equal(one.edge_ids));
      CHECK(all[i].edge_mask.equal(one.edge_mask));
      CHECK(all[i].feature_mask.equal(one.feature_mask));
    }
  }
  // An attributor that does not declare itself safe on several threads is called one at a time.
  auto serial = std::make_shared<CountingSaliency>(false);
  const auto counted = explain::AttributionExplainer("counted", nullptr, serial).explain_compact(*model, g, targets);
  CHECK(serial->most_at_once() == 1);
  const auto plain =
      explain::AttributionExplainer("plain", nullptr, std::make_shared<Saliency>()).explain_compact(*model, g, targets);
  for (size_t i = 0; i < targets.size(); ++i) CHECK(counted[i].feature_mask.equal(plain[i].feature_mask));
}
