// Properties every message-passing layer must have (gradients, permutation equivariance, input
// validation) and each layer against its dense closed form.
#include <torch/torch.h>

#include "gnnx/core/random.h"
#include "gnnx/graph/ops.h"
#include "gnnx/nn/message_passing.h"
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

// A[i][j] = Σ of the weights of the edges j -> i.
torch::Tensor dense_adjacency(const torch::Tensor& ei, const torch::Tensor& w, int64_t n) {
  auto A = torch::zeros({n, n}, f64());
  for (int64_t e = 0; e < ei.size(1); ++e)
    A[ei[1][e].item<int64_t>()][ei[0][e].item<int64_t>()] += w.defined() ? w[e].item<double>() : 1.0;
  return A;
}

std::string base_name(const std::string& name) { return name.substr(0, name.find('(')); }
}  // namespace

TEST_CASE("GCNConv equals D^-1/2 (A+I) D^-1/2 X W", "[nn]") {
  torch::manual_seed(0);
  auto ei = undirected_edge_index({{0, 1}, {1, 2}, {2, 3}, {0, 2}});
  const int64_t N = 5;  // node 4 isolated
  auto x = torch::randn({N, 3}, torch::kDouble);
  GCNConv conv(GCNConvOptions(3, 2));
  conv->to(torch::kDouble);
  for (bool weighted : {false, true}) {
    auto w = weighted ? torch::rand({ei.size(1)}, torch::kDouble) + 0.5 : torch::Tensor();
    auto Ahat = dense_adjacency(ei, w, N) + torch::eye(N, torch::kDouble);
    auto dinv = Ahat.sum(1).pow(-0.5);
    auto ref = dinv.view({-1, 1}) * Ahat * dinv.view({1, -1});
    auto expect = ref.matmul(x).matmul(conv->lin->weight.t()) + conv->bias;
    GNNX_REQUIRE_CLOSE(conv->forward(x, ei, w), expect, 1e-10, 1e-10);
  }
}

TEST_CASE("GraphConv, GINConv and SAGEConv equal their dense formulas", "[nn]") {
  torch::manual_seed(1);
  auto ei = small_edge_index();
  const int64_t N = kSmallNodes;
  auto x = torch::randn({N, 3}, f64());
  auto w = torch::rand({ei.size(1)}, f64()) + 0.5;
  auto A = dense_adjacency(ei, w, N);
  auto count = dense_adjacency(ei, {}, N).sum(1).clamp_min(1).view({-1, 1});
  {
    GraphConv conv(GraphConvOptions(3, 4));
    conv->to(torch::kDouble);
    auto expect = A.matmul(x).matmul(conv->lin_rel->weight.t()) + conv->lin_rel->bias +
                  x.matmul(conv->lin_root->weight.t());
    GNNX_REQUIRE_CLOSE(conv->forward(x, ei, w), expect, 1e-10, 1e-10);
    GraphConv mean(GraphConvOptions(3, 4).aggr(Aggregation::kMean));
    mean->to(torch::kDouble);
    auto expect_mean = (A.matmul(x) / count).matmul(mean->lin_rel->weight.t()) + mean->lin_rel->bias +
                       x.matmul(mean->lin_root->weight.t());
    GNNX_REQUIRE_CLOSE(mean->forward(x, ei, w), expect_mean, 1e-10, 1e-10);
  }
  {
    GINConv conv(GINConvOptions(3, 4).eps(0.25));
    conv->to(torch::kDouble);
    auto expect = conv->mlp->forward(1.25 * x + A.matmul(x));
    GNNX_REQUIRE_CLOSE(conv->forward(x, ei, w), expect, 1e-10, 1e-10);
  }
  {
    SAGEConv conv(SAGEConvOptions(3, 4));
    conv->to(torch::kDouble);
    auto A1 = dense_adjacency(ei, {}, N);
    auto expect = (A1.matmul(x) / count).matmul(conv->lin_l->weight.t()) + conv->lin_l->bias +
                  x.matmul(conv->lin_r->weight.t());
    GNNX_REQUIRE_CLOSE(conv->forward(x, ei), expect, 1e-10, 1e-10);
    // Max aggregation, element-wise over in-neighbours (0 for a node without any).
    SAGEConv mx(SAGEConvOptions(3, 4).aggr(Aggregation::kMax).root_weight(false));
    mx->to(torch::kDouble);
    auto agg = torch::zeros({N, 3}, f64());
    for (int64_t i = 0; i < N; ++i) {
      auto in = torch::nonzero(ei[1] == i).flatten();
      if (in.numel() > 0) agg[i] = std::get<0>(x.index_select(0, ei[0].index_select(0, in)).max(0));
    }
    GNNX_REQUIRE_CLOSE(mx->forward(x, ei), agg.matmul(mx->lin_l->weight.t()) + mx->lin_l->bias, 1e-10, 1e-10);
  }
}

TEST_CASE("GATConv equals its attention formula computed edge by edge", "[nn]") {
  torch::manual_seed(2);
  auto ei = small_edge_index();
  const int64_t N = kSmallNodes, H = 2, C = 3, E = ei.size(1);
  auto x = torch::randn({N, 4}, f64());
  auto w = torch::rand({E}, f64()) + 0.5;
  GATConv conv(GATConvOptions(4, C).heads(H));
  conv->to(torch::kDouble);
  auto r = conv->forward_with_attention(x, ei, w);
  const auto& out = r.out;
  auto h = x.matmul(conv->lin->weight.t()).view({N, H, C});
  auto expect = torch::zeros({N, H, C}, f64());
  for (int64_t i = 0; i < N; ++i) {
    for (int64_t hd = 0; hd < H; ++hd) {
      // In-edges of i: the input ones with their weights, plus the added self loop (weight 1).
      std::vector<std::pair<int64_t, double>> in{{i, 1.0}};
      for (int64_t e = 0; e < E; ++e)
        if (ei[1][e].item<int64_t>() == i) in.emplace_back(ei[0][e].item<int64_t>(), w[e].item<double>());
      double z = 0;
      std::vector<double> a;
      for (auto [j, wj] : in) {
        double s = (h[j][hd] * conv->att_src[0][hd]).sum().item<double>() +
                   (h[i][hd] * conv->att_dst[0][hd]).sum().item<double>();
        s = s > 0 ? s : 0.2 * s;
        a.push_back(wj * std::exp(s));
        z += a.back();
      }
      for (size_t k = 0; k < in.size(); ++k) expect[i][hd] += a[k] / z * h[in[k].first][hd];
    }
  }
  GNNX_REQUIRE_CLOSE(out, expect.view({N, H * C}) + conv->bias, 1e-10, 1e-10);
  GNNX_REQUIRE_CLOSE(conv->forward(x, ei, w), out, 0, 0);
  // The returned coefficients: [E, H] and [N, H] for the self loops, summing to one over the
  // in-edges of every node.
  const auto& att = r.attention;
  REQUIRE(att.alpha.sizes() == torch::IntArrayRef({E, H}));
  REQUIRE(att.self_alpha.sizes() == torch::IntArrayRef({N, H}));
  auto sums = att.self_alpha + torch::zeros({N, H}, f64()).index_add(0, ei[1], att.alpha);
  GNNX_REQUIRE_CLOSE(sums, torch::ones({N, H}, f64()), 1e-12, 1e-12);
  GATConv no_loops(GATConvOptions(4, C).heads(H).add_self_loops(false));
  no_loops->to(torch::kDouble);
  auto bare = no_loops->forward_with_attention(x, ei, w).attention;
  REQUIRE(bare.alpha.sizes() == torch::IntArrayRef({E, H}));
  REQUIRE_FALSE(bare.self_alpha.defined());
}

TEST_CASE("GAT cannot see structure through constant features: one output for all, attention 1 / (in-degree + 1)",
          "[nn]") {
  // Why ATT's GAT reference models predict a single class on the constant-feature benchmarks:
  // equal inputs give equal scores on every edge, the softmax then averages equal vectors.
  torch::manual_seed(4);
  auto ei = small_edge_index();
  const int64_t N = kSmallNodes, E = ei.size(1);
  auto x = torch::ones({N, 4}, f64());
  GATConv conv(GATConvOptions(4, 3).heads(2));
  conv->to(torch::kDouble);
  auto [out, att] = conv->forward_with_attention(x, ei);
  GNNX_REQUIRE_CLOSE(out, out[0].unsqueeze(0).expand_as(out), 1e-12, 1e-12);
  auto inv = 1.0 / (torch::zeros({N}, f64()).index_add(0, ei[1], torch::ones({E}, f64())) + 1);
  GNNX_REQUIRE_CLOSE(att.alpha, inv.index_select(0, ei[1]).unsqueeze(1).expand({E, 2}), 1e-12, 1e-12);
  GNNX_REQUIRE_CLOSE(att.self_alpha, inv.unsqueeze(1).expand({N, 2}), 1e-12, 1e-12);
}

TEST_CASE("gradients of every layer match finite differences in x, edge weights and the edge mask", "[nn]") {
  auto ei = small_edge_index();
  const int64_t E = ei.size(1);
  auto gen = gnnx::torch_generator(5);
  auto x = torch::randn({kSmallNodes, 3}, gen, f64());
  auto w = torch::rand({E}, gen, f64()) + 0.5;
  auto mask = torch::rand({E}, gen, f64()) + 0.5;
  for (auto& layer : all_layers(3, 4)) {
    INFO(layer.name);
    auto f = [&](const std::vector<torch::Tensor>& in) {
      EdgeMaskScope scope(in[2]);
      return layer.forward(in[0], ei, in[1]);
    };
    GNNX_REQUIRE_GRADCHECK(f, (std::vector<torch::Tensor>{x, w, mask}));
    // Without edge weights and without a mask (the unweighted code paths).
    auto g = [&](const std::vector<torch::Tensor>& in) { return layer.forward(in[0], ei, {}); };
    GNNX_REQUIRE_GRADCHECK(g, (std::vector<torch::Tensor>{x}));
  }
}

TEST_CASE("a fully masked neighbourhood still has finite gradients", "[nn]") {
  // Node 4's only in-edge is 5 -> 4 (edge 9). Masking it to 0 leaves node 4 with no messages,
  // degree 0 where a layer has no self loops; the mask gradient must stay finite.
  auto ei = small_edge_index();
  auto x = torch::randn({kSmallNodes, 3}, f64());
  for (auto& layer : all_layers(3, 4)) {
    INFO(layer.name);
    auto mask = torch::ones({ei.size(1)}, f64());
    mask[9] = 0;
    mask.set_requires_grad(true);
    at::Tensor out;
    {
      EdgeMaskScope scope(mask);
      out = layer.forward(x, ei, {});
    }
    out.sum().backward();
    REQUIRE(torch::isfinite(out).all().item<bool>());
    REQUIRE(torch::isfinite(mask.grad()).all().item<bool>());
  }
}

TEST_CASE("every layer is permutation-equivariant", "[nn]") {
  auto ei = small_edge_index();
  const int64_t N = kSmallNodes, E = ei.size(1);
  auto gen = gnnx::torch_generator(6);
  auto x = torch::randn({N, 3}, gen, f64());
  auto w = torch::rand({E}, gen, f64()) + 0.5;
  auto mask = torch::rand({E}, gen, f64());
  auto p = torch::randperm(N, gen, torch::kLong);  // new node i is old node p[i]
  auto inv = torch::empty_like(p).index_put_({p}, torch::arange(N, torch::kLong));
  auto q = torch::randperm(E, gen, torch::kLong);  // edges listed in another order too
  auto ei_p = inv.index_select(0, ei.flatten()).view({2, E}).index_select(1, q);
  for (auto& layer : all_layers(3, 4)) {
    INFO(layer.name);
    GNNX_REQUIRE_CLOSE(layer.forward(x.index_select(0, p), ei_p, w.index_select(0, q)),
                       layer.forward(x, ei, w).index_select(0, p), 1e-10, 1e-12);
    torch::Tensor masked, masked_p;
    {
      EdgeMaskScope scope(mask);
      masked = layer.forward(x, ei, {});
    }
    {
      EdgeMaskScope scope(mask.index_select(0, q));
      masked_p = layer.forward(x.index_select(0, p), ei_p, {});
    }
    GNNX_REQUIRE_CLOSE(masked_p, masked.index_select(0, p), 1e-10, 1e-12);
  }
}

TEST_CASE("layers reject bad input with gnnx::Error naming the layer and the value", "[nn]") {
  auto ei = small_edge_index();
  auto x = torch::randn({kSmallNodes, 3});
  for (auto& layer : all_layers(3, 4, torch::kFloat)) {
    const auto op = base_name(layer.name) + ": ";
    INFO(layer.name);
    REQUIRE_NOTHROW(layer.forward(x, ei, {}));
    GNNX_REQUIRE_ERROR(op + "x must have shape [N, 3], got [7, 5]",
                       layer.forward(torch::randn({kSmallNodes, 5}), ei, {}));
    GNNX_REQUIRE_ERROR(op + "x must have shape [N, 3], got [21]", layer.forward(torch::randn({21}), ei, {}));
    GNNX_REQUIRE_ERROR(op + "x must be float32 like the layer's parameters, got Double",
                       layer.forward(x.to(torch::kDouble), ei, {}));
    GNNX_REQUIRE_ERROR(op + "edge_index must be int64, got Int", layer.forward(x, ei.to(torch::kInt), {}));
    GNNX_REQUIRE_ERROR(op + "edge_index must have shape [2, E], got [3, 8]",
                       layer.forward(x, ei.view({-1}).slice(0, 0, 24).view({3, 8}), {}));
    auto out_of_range = ei.clone();
    out_of_range[1][4] = kSmallNodes;
    GNNX_REQUIRE_ERROR(op + "edge_index holds node id 7 outside [0, 7)", layer.forward(x, out_of_range, {}));
    auto negative = ei.clone();
    negative[0][2] = -3;
    GNNX_REQUIRE_ERROR(op + "edge_index holds node id -3 outside [0, 7)", layer.forward(x, negative, {}));
    GNNX_REQUIRE_ERROR(op + "edge_weight must have shape [12], got [11]", layer.forward(x, ei, torch::ones({11})));
    GNNX_REQUIRE_ERROR(op + "edge_weight must be floating point, got Long",
                       layer.forward(x, ei, torch::ones({12}, torch::kLong)));
    {
      EdgeMaskScope scope(torch::ones({11}));
      GNNX_REQUIRE_ERROR(op + "the active edge mask has 11 entries but the layer's input has 12 edges",
                         layer.forward(x, ei, {}));
    }
  }
}
