// The MSG / AGG / UPDATE base class and the edge-mask hook, over every layer type.
#include "gnnx/nn/message_passing.h"

#include <thread>

#include <torch/torch.h>

#include "gnnx/core/random.h"
#include "gnnx/graph/ops.h"
#include "gnnx/nn/conv/gcn_conv.h"
#include "support/catch.h"
#include "support/gradcheck.h"
#include "support/layers.h"
#include "support/tensor_match.h"

using namespace gnnx;
using namespace gnnx::nn;
using gnnx::test::all_layers;
using gnnx::test::kSmallNodes;
using gnnx::test::small_edge_index;

namespace {
using gnnx::test::f64;

// A user-written layer: the default message x_j * w written out by hand, so propagate() takes
// its general path (message() called, then scatter) instead of the fused one built-in layers use.
class HandWritten : public MessagePassing {
 public:
  explicit HandWritten(Aggregation aggr) : MessagePassing(aggr) {}
  at::Tensor message(const at::Tensor& /*x_i*/, const at::Tensor& x_j, const at::Tensor& w) override {
    return w.defined() ? x_j * w.view({-1, 1}) : x_j * 1.0;
  }
  at::Tensor forward(const at::Tensor& x, const at::Tensor& ei, const at::Tensor& w) { return propagate(ei, x, w); }
  at::Tensor forward_fused(const at::Tensor& x, const at::Tensor& ei, const at::Tensor& w) {
    PropagateArgs args;
    args.default_message = true;
    return propagate(ei, x, x, w, args);
  }
};

// Plain message passing written as a differentiable composition of torch ops, for reference.
torch::Tensor reference_propagate(const torch::Tensor& x, const torch::Tensor& ei, const torch::Tensor& w,
                                  const torch::Tensor& mask, Aggregation aggr) {
  auto m = x.index_select(0, ei[0]);
  auto coef = torch::ones({ei.size(1)}, x.options());
  if (w.defined()) coef = coef * w;
  if (mask.defined()) coef = coef * mask;
  m = m * coef.view({-1, 1});
  auto sum = torch::zeros({x.size(0), x.size(1)}, x.options()).index_add(0, ei[1], m);
  if (aggr == Aggregation::kSum) return sum;
  auto presence = mask.defined() ? mask : torch::ones({ei.size(1)}, x.options());
  auto denom = torch::zeros({x.size(0)}, x.options()).index_add(0, ei[1], presence);
  return sum / torch::where(denom > 0, denom, torch::ones_like(denom)).view({-1, 1});
}
}  // namespace

TEST_CASE("edge mask: all ones changes nothing, a zero deletes the edge, for every layer", "[nn]") {
  auto ei = small_edge_index();
  const int64_t E = ei.size(1);
  auto gen = gnnx::torch_generator(11);
  auto x = torch::randn({kSmallNodes, 3}, gen, f64());
  auto w = torch::rand({E}, gen, f64()) + 0.5;
  // Edge 8 is the input self loop 3 -> 3 (an ordinary, maskable edge); edge 9 is node 4's only
  // in-edge, so node 4 loses all its neighbours.
  auto mask = torch::ones({E}, f64());
  mask[2] = 0;
  mask[8] = 0;
  mask[9] = 0;
  auto keep = torch::nonzero(mask).flatten();
  for (auto& layer : all_layers(3, 4)) {
    for (bool weighted : {false, true}) {
      INFO(layer.name << (weighted ? " with edge weights" : ""));
      auto ew = weighted ? w : torch::Tensor();
      auto base = layer.forward(x, ei, ew);
      {
        EdgeMaskScope scope(torch::ones({E}, f64()));
        GNNX_REQUIRE_CLOSE(layer.forward(x, ei, ew), base, 1e-12, 1e-12);
      }
      torch::Tensor masked;
      {
        EdgeMaskScope scope(mask);
        masked = layer.forward(x, ei, ew);
      }
      auto deleted = layer.forward(x, ei.index_select(1, keep), weighted ? w.index_select(0, keep) : torch::Tensor());
      GNNX_REQUIRE_CLOSE(masked, deleted, 1e-12, 1e-12);
      REQUIRE_FALSE(torch::allclose(masked, base));
    }
  }
}

TEST_CASE("a fractional mask scales messages and is the presence weight of mean and softmax", "[nn]") {
  auto ei = small_edge_index();
  auto gen = gnnx::torch_generator(12);
  auto x = torch::randn({kSmallNodes, 5}, gen, f64());
  auto w = torch::rand({ei.size(1)}, gen, f64()) + 0.5;
  auto mask = torch::rand({ei.size(1)}, gen, f64());
  for (auto aggr : {Aggregation::kSum, Aggregation::kMean}) {
    HandWritten layer(aggr);
    INFO(to_string(aggr));
    EdgeMaskScope scope(mask);
    GNNX_REQUIRE_CLOSE(layer.forward(x, ei, w), reference_propagate(x, ei, w, mask, aggr), 1e-12, 1e-12);
  }
}

TEST_CASE("the fused MSG+AGG path equals the general path in values and gradients", "[nn]") {
  auto ei = small_edge_index();
  const int64_t E = ei.size(1);
  auto gen = gnnx::torch_generator(13);
  for (int64_t F : {1, 7, 8, 9, 33, 64, 65}) {
    auto x = torch::randn({kSmallNodes, F}, gen, f64());
    auto w = torch::rand({E}, gen, f64()) + 0.5;
    auto mask = torch::rand({E}, gen, f64());
    for (auto aggr : {Aggregation::kSum, Aggregation::kMean, Aggregation::kMax}) {
      INFO("F = " << F << ", " << to_string(aggr));
      HandWritten layer(aggr);
      for (bool masked : {false, true}) {
        auto f = [&](const std::vector<torch::Tensor>& in) {
          std::unique_ptr<EdgeMaskScope> scope;
          if (masked) scope = std::make_unique<EdgeMaskScope>(in[2]);
          return layer.forward_fused(in[0], ei, in[1]);
        };
        auto general = [&](const std::vector<torch::Tensor>& in) {
          std::unique_ptr<EdgeMaskScope> scope;
          if (masked) scope = std::make_unique<EdgeMaskScope>(in[2]);
          return layer.forward(in[0], ei, in[1]);
        };
        // Values and first derivatives of both paths agree ...
        std::vector<torch::Tensor> a{x.clone().requires_grad_(), w.clone().requires_grad_(),
                                     mask.clone().requires_grad_()};
        std::vector<torch::Tensor> b{x.clone().requires_grad_(), w.clone().requires_grad_(),
                                     mask.clone().requires_grad_()};
        auto ya = f(a), yb = general(b);
        GNNX_REQUIRE_CLOSE(ya, yb, 1e-12, 1e-12);
        auto R = torch::randn(ya.sizes(), gen, f64());
        (ya * R).sum().backward();
        (yb * R).sum().backward();
        for (size_t i = 0; i < 3; ++i) {
          if (!masked && i == 2) continue;
          GNNX_REQUIRE_CLOSE(a[i].grad(), b[i].grad(), 1e-10, 1e-12);
        }
        // ... and match finite differences (small F only: the check is element by element).
        if (F <= 9) GNNX_REQUIRE_GRADCHECK(f, (std::vector<torch::Tensor>{x, w, mask}));
      }
    }
  }
}

TEST_CASE("the fused path supports double backward (create_graph)", "[nn]") {
  auto ei = small_edge_index();
  auto gen = gnnx::torch_generator(14);
  auto x = torch::randn({kSmallNodes, 4}, gen, f64());
  auto w = torch::rand({ei.size(1)}, gen, f64()) + 0.5;
  HandWritten layer(Aggregation::kSum);
  // d/dw of ||d(sum y^2)/dx||^2 through both paths.
  auto second = [&](bool fused) {
    auto xv = x.clone().requires_grad_(), wv = w.clone().requires_grad_();
    auto y = fused ? layer.forward_fused(xv, ei, wv) : layer.forward(xv, ei, wv);
    auto gx = torch::autograd::grad({y.pow(2).sum()}, {xv}, {}, /*retain_graph=*/true, /*create_graph=*/true)[0];
    return torch::autograd::grad({gx.pow(2).sum()}, {wv})[0];
  };
  GNNX_REQUIRE_CLOSE(second(true), second(false), 1e-10, 1e-12);
}

TEST_CASE("EdgeMaskScope nests, restores and is thread-local", "[nn]") {
  REQUIRE_FALSE(active_edge_mask().defined());
  auto outer = torch::ones({3});
  {
    EdgeMaskScope a(outer);
    REQUIRE(active_edge_mask().data_ptr() == outer.data_ptr());
    {
      auto inner = torch::zeros({3});
      EdgeMaskScope b(inner);
      REQUIRE(active_edge_mask().data_ptr() == inner.data_ptr());
      bool other_thread_sees_mask = true;
      std::thread t([&] { other_thread_sees_mask = active_edge_mask().defined(); });
      t.join();
      REQUIRE_FALSE(other_thread_sees_mask);
    }
    REQUIRE(active_edge_mask().data_ptr() == outer.data_ptr());
  }
  REQUIRE_FALSE(active_edge_mask().defined());
  GNNX_REQUIRE_ERROR("EdgeMaskScope: mask must have shape [E], got [2, 2]", EdgeMaskScope(torch::ones({2, 2})));
  GNNX_REQUIRE_ERROR("EdgeMaskScope: mask must be floating point, got Long",
                     EdgeMaskScope(torch::ones({2}, torch::kLong)));
  GNNX_REQUIRE_ERROR("EdgeMaskScope: mask is undefined", EdgeMaskScope(torch::Tensor()));
}

TEST_CASE("a mask placed on messages (PyG's) scales finished messages and leaves degrees alone", "[nn]") {
  auto ei = small_edge_index();
  const int64_t E = ei.size(1);
  auto gen = gnnx::torch_generator(21);
  auto x = torch::randn({kSmallNodes, 3}, gen, f64());
  auto w = torch::rand({E}, gen, f64()) + 0.5;
  auto mask = torch::rand({E}, gen, f64());
  for (auto& layer : all_layers(3, 4)) {
    for (bool weighted : {false, true}) {
      INFO(layer.name << (weighted ? " with edge weights" : ""));
      auto ew = weighted ? w : torch::Tensor();
      auto base = layer.forward(x, ei, ew);
      torch::Tensor on_messages, deleted;
      {
        EdgeMaskScope scope(torch::ones({E}, f64()), MaskPlacement::kMessage);
        GNNX_REQUIRE_CLOSE(layer.forward(x, ei, ew), base, 1e-12, 1e-12);
      }
      {
        EdgeMaskScope scope(mask, MaskPlacement::kMessage);
        REQUIRE(active_mask_placement() == MaskPlacement::kMessage);
        {
          EdgeMaskScope nested(mask);  // inherits the placement
          REQUIRE(active_mask_placement() == MaskPlacement::kMessage);
        }
        on_messages = layer.forward(x, ei, ew);
      }
      REQUIRE(active_mask_placement() == MaskPlacement::kDeletion);
      {
        EdgeMaskScope scope(mask);
        deleted = layer.forward(x, ei, ew);
      }
      // Plain sums do not normalise: both placements are the same model.
      if (layer.name == "GraphConv(sum)" || layer.name == "GINConv" || layer.name == "GCNConv(unnormalised)" ||
          layer.name == "SAGEConv(sum, normalize)")
        GNNX_REQUIRE_CLOSE(on_messages, deleted, 1e-12, 1e-12);
      else if (layer.name != "GraphConv(max)" && layer.name != "SAGEConv(max)")
        REQUIRE_FALSE(torch::allclose(on_messages, deleted));
    }
  }
  // GCN: degrees from the plain weights, the mask on each normalised message, self loops unmasked.
  torch::manual_seed(3);
  GCNConv gcn(GCNConvOptions(3, 4));
  gcn->to(torch::kDouble);
  torch::NoGradGuard ng;
  gcn->bias.uniform_(-1, 1);
  auto h = gcn->lin(x);
  auto deg = torch::ones({kSmallNodes}, f64()).index_add(0, ei[1], w);
  auto dinv = deg.pow(-0.5);
  auto coef = mask * w * dinv.index_select(0, ei[0]) * dinv.index_select(0, ei[1]);
  auto expected = (h * (dinv * dinv).view({-1, 1})).index_add(0, ei[1], h.index_select(0, ei[0]) * coef.view({-1, 1})) +
                  gcn->bias;
  EdgeMaskScope scope(mask, MaskPlacement::kMessage);
  GNNX_REQUIRE_CLOSE(gcn->forward(x, ei, w), expected, 1e-12, 1e-12);
}

TEST_CASE("IndexRangeScope remembers a tensor's id range until the tensor changes", "[nn][index_range]") {
  using gnnx::nn::detail::index_range_measurements;
  auto ei = small_edge_index();  // ids 0..5
  auto measured = [&, before = index_range_measurements()]() mutable {
    const auto now = index_range_measurements(), d = now - before;
    before = now;
    return d;
  };
  // Outside any scope every call measures.
  REQUIRE(index_range(ei).lo == 0);
  REQUIRE(index_range(ei).hi == 5);
  REQUIRE(measured() == 2);
  {
    IndexRangeScope scope(ei);
    REQUIRE(measured() == 1);
    for (int i = 0; i < 3; ++i) {
      const auto r = index_range(ei);
      REQUIRE((r.lo == 0 && r.hi == 5));
    }
    check_index_range(ei, kSmallNodes, "test");
    GNNX_REQUIRE_ERROR("test: edge_index holds node id 5 outside [0, 5)", check_index_range(ei, 5, "test"));
    REQUIRE(measured() == 0);
    // A view with other sizes is another tensor: measured once, then remembered by the scope.
    auto head = ei.slice(1, 0, 2);
    REQUIRE(index_range(head).hi == 1);
    REQUIRE(index_range(ei.slice(1, 0, 2)).hi == 1);
    REQUIRE(measured() == 1);
    // An in-place change bumps the version counter (shared with views such as head): the next
    // check measures the new ids.
    ei.index_put_({1, 0}, 9);
    REQUIRE(index_range(head).hi == 9);
    REQUIRE(measured() == 1);
    REQUIRE(index_range(ei).hi == 9);
    REQUIRE(measured() == 1);
    GNNX_REQUIRE_ERROR("test: edge_index holds node id 9 outside [0, 7)", check_index_range(ei, kSmallNodes, "test"));
    REQUIRE(measured() == 0);
    {
      // Nested: the inner scope sees the outer's entries; what it measures goes when it ends.
      IndexRangeScope inner;
      REQUIRE(index_range(ei).hi == 9);
      auto other = ei - 1;
      REQUIRE(index_range(other).lo == -1);
      REQUIRE(index_range(other).lo == -1);
      REQUIRE(measured() == 1);
      // Scopes are per thread.
      int64_t hi_there = 0;
      std::thread t([&] { hi_there = index_range(ei).hi; });
      t.join();
      REQUIRE(hi_there == 9);
      REQUIRE(measured() == 1);
      // Inference tensors have no version counter: never remembered, always measured.
      at::Tensor frozen;
      {
        c10::InferenceMode im;
        frozen = ei.clone();
      }
      inner.add(frozen);
      REQUIRE(index_range(frozen).hi == 9);
      REQUIRE(index_range(frozen).hi == 9);
      REQUIRE(measured() == 2);
    }
    REQUIRE(index_range(ei).hi == 9);
    REQUIRE(measured() == 0);
    // A scope holds a bounded number of tensors: after 256 newer ones, older ones are forgotten.
    auto kept = torch::arange(3, torch::kLong);
    scope.add(kept);
    REQUIRE(index_range(kept).hi == 2);
    REQUIRE(measured() == 1);
    for (int i = 0; i < 256; ++i) scope.add(torch::full({1}, i, torch::kLong));
    REQUIRE(measured() == 256);
    REQUIRE(index_range(kept).hi == 2);
    REQUIRE(measured() == 1);
  }
  // The scope is gone: measured again.
  REQUIRE(index_range(ei).hi == 9);
  REQUIRE(measured() == 1);
  GNNX_REQUIRE_ERROR("index_range: expected a non-empty int64 tensor, got Float [2]", index_range(torch::ones({2})));
  GNNX_REQUIRE_ERROR("index_range: expected a non-empty int64 tensor, got Long [0]",
                     index_range(torch::ones({0}, torch::kLong)));
  check_index_range(torch::ones({0}, torch::kLong), 0, "test");  // empty: nothing to check
}

TEST_CASE("a layer measures edge_index once per forward, and not at all inside a scope that knows it",
          "[nn][index_range]") {
  using gnnx::nn::detail::index_range_measurements;
  auto ei = small_edge_index();
  auto x = torch::randn({kSmallNodes, 4}, torch::kDouble);
  for (auto& c : all_layers(4, 3)) {
    INFO(c.name);
    auto before = index_range_measurements();
    auto plain = c.forward(x, ei, {});
    REQUIRE(index_range_measurements() - before == 1);
    IndexRangeScope scope(ei);
    before = index_range_measurements();
    for (int i = 0; i < 3; ++i) GNNX_REQUIRE_CLOSE(c.forward(x, ei, {}), plain, 0, 0);
    REQUIRE(index_range_measurements() == before);
    // The check still reads the current ids: an in-place edit to an out-of-range id is caught.
    auto bad = ei.clone();
    IndexRangeScope knows_bad(bad);
    bad.index_put_({0, 0}, kSmallNodes);
    GNNX_REQUIRE_ERROR("edge_index holds node id 7 outside [0, 7)", c.forward(x, bad, {}));
  }
}

TEST_CASE("message gates without a baseline are a mask placed on messages, in every layer", "[nn][gates]") {
  auto ei = small_edge_index();
  const int64_t E = ei.size(1);
  auto gen = gnnx::torch_generator(31);
  auto x = torch::randn({kSmallNodes, 3}, gen, f64());
  auto w = torch::rand({E}, gen, f64()) + 0.5;
  auto z = torch::rand({E}, gen, f64());
  for (auto& layer : all_layers(3, 4)) {
    for (bool weighted : {false, true}) {
      INFO(layer.name << (weighted ? " with edge weights" : ""));
      auto ew = weighted ? w : torch::Tensor();
      auto base = layer.forward(x, ei, ew);
      {
        MessageGateScope open({{torch::ones({E}, f64()), {}}});
        auto same = layer.forward(x, ei, ew);  // (the macro evaluates its arguments twice)
        GNNX_REQUIRE_CLOSE(same, base, 1e-12, 1e-12);
        REQUIRE(open.layers_run() == 1);
      }
      {
        MessageGateScope ungated({MessageGate{}});
        auto same = layer.forward(x, ei, ew);
        GNNX_REQUIRE_CLOSE(same, base, 1e-12, 1e-12);
      }
      torch::Tensor gated, on_messages;
      {
        MessageGateScope scope({{z, {}}});
        gated = layer.forward(x, ei, ew);
      }
      {
        EdgeMaskScope scope(z, MaskPlacement::kMessage);
        on_messages = layer.forward(x, ei, ew);
      }
      GNNX_REQUIRE_CLOSE(gated, on_messages, 1e-12, 1e-12);
    }
  }
}

TEST_CASE("a gated-out message is replaced by the baseline message, in the fused and the general path",
          "[nn][gates]") {
  auto ei = small_edge_index();
  const int64_t E = ei.size(1), F = 5;
  auto gen = gnnx::torch_generator(32);
  auto x = torch::randn({kSmallNodes, F}, gen, f64());
  auto w = torch::rand({E}, gen, f64()) + 0.5;
  auto z = torch::rand({E}, gen, f64());
  z[3] = 0;
  auto b = torch::randn({F}, gen, f64());
  // m̃_e = z_e w_e x_src + (1 − z_e) b, then aggregated as the layer aggregates.
  auto msgs = x.index_select(0, ei[0]) * (z * w).view({-1, 1}) + (1 - z).view({-1, 1}) * b.view({1, F});
  auto sum = torch::zeros({kSmallNodes, F}, f64()).index_add(0, ei[1], msgs);
  auto cnt = torch::zeros({kSmallNodes}, f64()).index_add(0, ei[1], torch::ones({E}, f64()));
  auto mean = sum / torch::where(cnt > 0, cnt, torch::ones_like(cnt)).view({-1, 1});
  auto mx = torch::zeros({kSmallNodes, F}, f64());
  for (int64_t i = 0; i < kSmallNodes; ++i) {
    auto in = torch::nonzero(ei[1] == i).flatten();
    if (in.numel() > 0) mx[i] = std::get<0>(msgs.index_select(0, in).max(0));
  }
  for (auto aggr : {Aggregation::kSum, Aggregation::kMean, Aggregation::kMax}) {
    INFO(to_string(aggr));
    const auto& expected = aggr == Aggregation::kSum ? sum : aggr == Aggregation::kMean ? mean : mx;
    HandWritten layer(aggr);
    MessageGateScope scope({{z, b}, {z, b}});
    auto general = layer.forward(x, ei, w);
    auto fused = layer.forward_fused(x, ei, w);
    GNNX_REQUIRE_CLOSE(general, expected, 1e-12, 1e-12);
    GNNX_REQUIRE_CLOSE(fused, expected, 1e-12, 1e-12);
    REQUIRE(scope.layers_run() == 2);
    GNNX_REQUIRE_ERROR("gates for 2 message-passing", layer.forward(x, ei, w));
  }
  // GCN: the baseline's share joins the normalised sum; its own self loops are never gated.
  torch::manual_seed(3);
  GCNConv gcn(GCNConvOptions(3, 4));
  gcn->to(torch::kDouble);
  torch::NoGradGuard ng;
  gcn->bias.uniform_(-1, 1);
  auto x3 = x.slice(1, 0, 3);
  auto h = gcn->lin(x3);
  auto b4 = torch::randn({4}, gen, f64());
  auto deg = torch::ones({kSmallNodes}, f64()).index_add(0, ei[1], w);
  auto dinv = deg.pow(-0.5);
  auto coef = z * w * dinv.index_select(0, ei[0]) * dinv.index_select(0, ei[1]);
  auto expected = (h * (dinv * dinv).view({-1, 1})).index_add(0, ei[1], h.index_select(0, ei[0]) * coef.view({-1, 1})) +
                  torch::zeros({kSmallNodes}, f64()).index_add(0, ei[1], 1 - z).view({-1, 1}) * b4.view({1, 4}) +
                  gcn->bias;
  MessageGateScope scope({{z, b4}});
  auto gated = gcn->forward(x3, ei, w);
  GNNX_REQUIRE_CLOSE(gated, expected, 1e-12, 1e-12);
}

TEST_CASE("gates reach each layer in turn, and a recorder sees what each layer received", "[nn][gates]") {
  auto ei = small_edge_index();
  const int64_t E = ei.size(1);
  auto gen = gnnx::torch_generator(33);
  auto x = torch::randn({kSmallNodes, 3}, gen, f64());
  torch::manual_seed(5);
  GATConv gat(GATConvOptions(3, 4).heads(2));
  GCNConv gcn(GCNConvOptions(8, 2));
  gat->to(torch::kDouble);
  gcn->to(torch::kDouble);
  torch::NoGradGuard ng;
  LayerInputRecorder rec;
  auto h = gat->forward(x, ei, {});
  auto out = gcn->forward(h, ei, {});
  REQUIRE(rec.inputs().size() == 2);
  CHECK(rec.inputs()[0].layer == "GATConv");
  CHECK(rec.inputs()[0].message_shape == std::vector<int64_t>{2, 4});
  CHECK(rec.inputs()[0].num_edges == E);
  CHECK(rec.inputs()[0].source.sizes() == at::IntArrayRef{kSmallNodes, 2, 4});
  CHECK(rec.inputs()[1].layer == "GCNConv");
  CHECK(rec.inputs()[1].message_shape == std::vector<int64_t>{2});
  // Only the second layer gated: the first runs as it is.
  auto z = torch::zeros({E}, f64());
  MessageGateScope scope({MessageGate{}, {z, {}}});
  auto h2 = gat->forward(x, ei, {});
  GNNX_REQUIRE_CLOSE(h2, h, 1e-12, 1e-12);
  auto out2 = gcn->forward(h2, ei, {});
  REQUIRE_FALSE(torch::allclose(out2, out));
  // Bad gates name the layer and what was expected.
  MessageGateScope short_gate({{torch::ones({E - 1}, f64()), {}}});
  GNNX_REQUIRE_ERROR("GATConv: its message gate has", gat->forward(x, ei, {}));
  MessageGateScope bad_base({{torch::ones({E}, f64()), torch::ones({3}, f64())}});
  GNNX_REQUIRE_ERROR("one message has shape [2, 4]", gat->forward(x, ei, {}));
  GNNX_REQUIRE_ERROR("MessageGateScope: gate 0 must be", MessageGateScope({{torch::ones({2, 2}, f64()), {}}}));
}
