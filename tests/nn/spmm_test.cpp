#include "gnnx/nn/functional/spmm.h"

#include <torch/torch.h>

#include "gnnx/core/random.h"
#include "support/catch.h"
#include "support/tensor_match.h"

using namespace gnnx::nn;

namespace {
using gnnx::test::f64;
}  // namespace

TEST_CASE("spmm and spmm_max equal edge-by-edge loops, per-head weights and empty graphs included", "[nn]") {
  auto gen = gnnx::torch_generator(31);
  const int64_t N = 6, E = 17, M = 5;  // M targets: target 4 receives nothing
  auto ei = torch::stack(
      {torch::randint(0, N, {E}, gen, torch::kLong), torch::randint(0, M - 1, {E}, gen, torch::kLong)});
  auto x = torch::randn({N, 3, 4}, gen, f64());
  auto w = torch::randn({E}, gen, f64());
  auto wh = torch::randn({E, 3}, gen, f64());
  auto presence = (torch::rand({E}, gen, f64()) > 0.3).to(torch::kDouble);
  auto sum = torch::zeros({M, 3, 4}, f64()), sum_h = torch::zeros({M, 3, 4}, f64());
  auto mx = torch::zeros({M, 3, 4}, f64());
  auto seen = torch::zeros({M}, torch::kBool);
  for (int64_t e = 0; e < E; ++e) {
    const int64_t s = ei[0][e].item<int64_t>(), d = ei[1][e].item<int64_t>();
    sum[d] += w[e] * x[s];
    sum_h[d] += wh[e].view({3, 1}) * x[s];
    if (presence[e].item<double>() == 0) continue;
    auto m = w[e] * x[s];
    mx[d] = seen[d].item<bool>() ? torch::maximum(mx[d], m) : m;
    seen[d] = true;
  }
  GNNX_REQUIRE_CLOSE(spmm(ei, w, x, M), sum, 1e-12, 1e-12);
  GNNX_REQUIRE_CLOSE(spmm(ei, wh, x, M), sum_h, 1e-12, 1e-12);
  GNNX_REQUIRE_CLOSE(spmm(ei, {}, x, M), torch::zeros({M, 3, 4}, f64()).index_add(0, ei[1], x.index_select(0, ei[0])),
                     1e-12, 1e-12);
  GNNX_REQUIRE_CLOSE(spmm_max(ei, w, x, M, presence), mx, 1e-12, 1e-12);
  auto none = torch::zeros({2, 0}, torch::kLong);
  GNNX_REQUIRE_CLOSE(spmm(none, {}, x, 2), torch::zeros({2, 3, 4}, f64()));
  GNNX_REQUIRE_CLOSE(spmm_max(none, {}, x, 2), torch::zeros({2, 3, 4}, f64()));
}

TEST_CASE("spmm and spmm_max reject bad input with gnnx::Error", "[nn]") {
  auto ei = torch::tensor({0, 1, 2, 1, 0, 0}, torch::kLong).view({2, 3});
  auto x = torch::randn({3, 2});
  GNNX_REQUIRE_ERROR("spmm: edge_index holds node id 2 outside [0, 2)", spmm(ei.flip({0}), {}, x, 2));
  GNNX_REQUIRE_ERROR("spmm: edge_index holds node id 6 outside [0, 3)",
                     spmm(ei.clamp_max(1) + (ei == 2) * 5, {}, x, 3));
  GNNX_REQUIRE_ERROR("spmm: weight must have shape [3] or [3, x.size(1)], got [4]", spmm(ei, torch::ones({4}), x, 3));
  GNNX_REQUIRE_ERROR("spmm: edge_index must be an int64 tensor of shape [2, E]", spmm(ei.to(torch::kInt), {}, x, 3));
  GNNX_REQUIRE_ERROR("spmm: num_targets must be >= 0, got -1", spmm(ei, {}, x, -1));
  GNNX_REQUIRE_ERROR("spmm_max: edge_index holds node id -1 outside [0, 3)", spmm_max(ei - 1, {}, x, 3));
  GNNX_REQUIRE_ERROR("spmm_max: weight and presence must have shape [3], got [2]",
                     spmm_max(ei, {}, x, 3, torch::ones({2})));
}

TEST_CASE("spmm and spmm_max gradients equal those of gather-scatter compositions, to second order", "[nn]") {
  auto gen = gnnx::torch_generator(33);
  const int64_t N = 6, M = 5;  // target 4 receives nothing
  for (int64_t E : {1, 7, 8, 9, 33}) {
    INFO("E = " << E);
    auto ei = torch::stack(
        {torch::randint(0, N, {E}, gen, torch::kLong), torch::randint(0, M - 1, {E}, gen, torch::kLong)});
    auto x = torch::randn({N, 3, 4}, gen, f64()).requires_grad_(true);
    auto wh = torch::randn({E, 3}, gen, f64()).requires_grad_(true);
    auto w = torch::randn({E}, gen, f64()).requires_grad_(true);
    auto presence = (torch::rand({E}, gen, f64()) > 0.3).to(torch::kDouble);
    auto go = torch::randn({M, 3, 4}, gen, f64());
    // Sum with per-head weights: the one-pass backward (x and weights) against index_add's.
    auto ref_sum = torch::zeros({M, 3, 4}, f64()).index_add(0, ei[1], x.index_select(0, ei[0]) * wh.view({E, 3, 1}));
    auto g_ref = torch::autograd::grad({ref_sum}, {x, wh}, {go});
    auto g_got = torch::autograd::grad({spmm(ei, wh, x, M)}, {x, wh}, {go});
    GNNX_REQUIRE_CLOSE(g_got[0], g_ref[0], 1e-12, 1e-14);
    GNNX_REQUIRE_CLOSE(g_got[1], g_ref[1], 1e-12, 1e-14);
    // Max: scatter_reduce's amax (random inputs, so no ties) against the arg-max backward.
    auto m = x.index_select(0, ei[0]) * w.view({E, 1, 1});
    auto keep = (presence != 0).view({E, 1, 1});
    auto s = torch::where(keep, m, torch::full({}, -INFINITY, f64()));
    auto reached = torch::zeros({M}, f64()).index_add(0, ei[1], presence) > 0;
    auto amax = torch::zeros({M, 3, 4}, f64())
                    .scatter_reduce(0, ei[1].view({E, 1, 1}).expand_as(s), s, "amax",
                                    /*include_self=*/false);
    auto ref_max = torch::where(reached.view({M, 1, 1}), amax, torch::zeros_like(amax));
    auto got_max = spmm_max(ei, w, x, M, presence);
    GNNX_REQUIRE_CLOSE(got_max, ref_max, 1e-12, 1e-14);
    auto h_ref = torch::autograd::grad({ref_max}, {x, w}, {go}, /*retain_graph=*/true, /*create_graph=*/true);
    auto h_got = torch::autograd::grad({got_max}, {x, w}, {go}, /*retain_graph=*/true, /*create_graph=*/true);
    GNNX_REQUIRE_CLOSE(h_got[0], h_ref[0], 1e-12, 1e-14);
    GNNX_REQUIRE_CLOSE(h_got[1], h_ref[1], 1e-12, 1e-14);
    // Second order: d/dw of |d/dx|².
    auto k_ref = torch::autograd::grad({h_ref[0].pow(2).sum()}, {w})[0];
    auto k_got = torch::autograd::grad({h_got[0].pow(2).sum()}, {w})[0];
    GNNX_REQUIRE_CLOSE(k_got, k_ref, 1e-12, 1e-14);
    // Without a graph (the one-pass backward).
    auto f_got = torch::autograd::grad({spmm_max(ei, w, x, M, presence)}, {x, w}, {go});
    GNNX_REQUIRE_CLOSE(f_got[0], h_ref[0], 1e-12, 1e-14);
    GNNX_REQUIRE_CLOSE(f_got[1], h_ref[1], 1e-12, 1e-14);
  }
}
