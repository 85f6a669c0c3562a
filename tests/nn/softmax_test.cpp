#include "gnnx/nn/functional/softmax.h"

#include <cmath>
#include <vector>

#include <torch/torch.h>

#include "gnnx/core/random.h"
#include "support/catch.h"
#include "support/tensor_match.h"

using namespace gnnx::nn;

namespace {
using gnnx::test::f64;

// The softmax as separate torch operators (GATConv's former composition): gathers, a detached
// per-target maximum, exp, index_add, a clamped quotient.
at::Tensor composite_softmax(const at::Tensor& ei, const at::Tensor& a_src, const at::Tensor& a_dst,
                             const at::Tensor& w, double slope) {
  const int64_t N = a_dst.size(0), H = a_dst.size(1), E = ei.size(1);
  auto e = torch::leaky_relu(a_src.index_select(0, ei[0]) + a_dst.index_select(0, ei[1]), slope);
  auto emax = torch::zeros({N, H}, e.options());
  auto ed = e.detach();
  for (int64_t i = 0; i < N; ++i) {
    auto in = (ei[1] == i).nonzero().view({-1});
    if (in.numel() > 0) emax[i] = std::get<0>(ed.index_select(0, in).max(0));
  }
  auto ex = torch::exp(e - emax.index_select(0, ei[1]));
  if (w.defined()) ex = ex * w.view({E, 1});
  auto denom = torch::zeros({N, H}, e.options()).index_add(0, ei[1], ex);
  return ex / denom.index_select(0, ei[1]).clamp_min(1e-16);
}
}  // namespace

TEST_CASE("edge_softmax equals the composite softmax, with its gradients to second order", "[nn]") {
  auto gen = gnnx::torch_generator(41);
  const int64_t N = 7;  // node 6 receives nothing; node 5 only zero-weight edges
  for (int64_t E : {1, 7, 8, 9, 33}) {
    for (int64_t H : {1, 3}) {
      auto ei = torch::stack(
          {torch::randint(0, N, {E}, gen, torch::kLong), torch::randint(0, N - 2, {E}, gen, torch::kLong)});
      ei[1][0] = 5;
      auto a_src = torch::randn({N, H}, gen, f64()).requires_grad_(true);
      auto a_dst = torch::randn({N, H}, gen, f64()).requires_grad_(true);
      auto w = torch::rand({E}, gen, f64());
      w = torch::where((torch::rand({E}, gen, f64()) < 0.2).logical_or(ei[1] == 5), torch::zeros_like(w), w);
      w.requires_grad_(true);
      for (bool weighted : {false, true}) {
        INFO("E = " << E << ", H = " << H << ", weighted = " << weighted);
        const at::Tensor wt = weighted ? w : at::Tensor();
        auto got = edge_softmax(ei, a_src, a_dst, wt, /*negative_slope=*/0.2);
        auto ref = composite_softmax(ei, a_src, a_dst, wt, 0.2);
        GNNX_REQUIRE_CLOSE(got, ref, 1e-12, 1e-14);
        // Rows sum to one per target that has an edge of nonzero weight.
        auto sums = torch::zeros({N, H}, f64()).index_add(0, ei[1], got.detach());
        for (int64_t i = 0; i < N; ++i) {
          const bool live = weighted ? ((ei[1] == i) * (w.detach() > 0)).any().item<bool>()
                                     : (ei[1] == i).any().item<bool>();
          GNNX_REQUIRE_CLOSE(sums[i], torch::full({H}, live ? 1.0 : 0.0, f64()), 1e-12, 1e-12);
        }
        std::vector<at::Tensor> inputs{a_src, a_dst};
        if (weighted) inputs.push_back(w);
        auto go = torch::randn({E, H}, gen, f64());
        auto g1 = torch::autograd::grad({got}, inputs, {go}, /*retain_graph=*/true, /*create_graph=*/true);
        auto g2 = torch::autograd::grad({ref}, inputs, {go}, /*retain_graph=*/true, /*create_graph=*/true);
        for (size_t k = 0; k < inputs.size(); ++k) GNNX_REQUIRE_CLOSE(g1[k], g2[k], 1e-12, 1e-14);
        // Second order: the gradient of |d/da_dst|² in every input.
        auto h1 = torch::autograd::grad({g1[1].pow(2).sum()}, inputs, {}, /*retain_graph=*/true,
                                        /*create_graph=*/false, /*allow_unused=*/true);
        auto h2 = torch::autograd::grad({g2[1].pow(2).sum()}, inputs, {}, /*retain_graph=*/true,
                                        /*create_graph=*/false, /*allow_unused=*/true);
        for (size_t k = 0; k < inputs.size(); ++k) {
          auto a = h1[k].defined() ? h1[k] : torch::zeros_like(inputs[k]);
          auto b = h2[k].defined() ? h2[k] : torch::zeros_like(inputs[k]);
          GNNX_REQUIRE_CLOSE(a, b, 1e-10, 1e-12);
        }
        // First order without a graph (the fused backward): the same gradients.
        auto g3 = torch::autograd::grad({edge_softmax(ei, a_src, a_dst, wt, 0.2)}, inputs, {go});
        for (size_t k = 0; k < inputs.size(); ++k) GNNX_REQUIRE_CLOSE(g3[k], g2[k], 1e-12, 1e-14);
      }
    }
  }
}

TEST_CASE("edge_softmax rejects bad input with gnnx::Error", "[nn]") {
  auto ei = torch::tensor({0, 1, 2, 1, 0, 0}, torch::kLong).view({2, 3});
  auto a = torch::randn({3, 2});
  GNNX_REQUIRE_ERROR("edge_softmax: edge_index holds node id 5 outside [0, 3)",
                     edge_softmax(ei + (ei == 2) * 3, a, a, {}, 0.2));
  GNNX_REQUIRE_ERROR("edge_softmax: edge_index holds node id 2 outside [0, 2)",
                     edge_softmax(ei.flip({0}), a, a.narrow(0, 0, 2), {}, 0.2));
  GNNX_REQUIRE_ERROR("edge_softmax: weight must have shape [3], got [4]",
                     edge_softmax(ei, a, a, torch::ones({4}), 0.2));
  GNNX_REQUIRE_ERROR("edge_softmax: a_src and a_dst must be floating [N, H] of one dtype",
                     edge_softmax(ei, a, torch::randn({3, 3}), {}, 0.2));
  GNNX_REQUIRE_ERROR("edge_softmax: edge_index must be an int64 tensor of shape [2, E]",
                     edge_softmax(ei.to(torch::kInt), a, a, {}, 0.2));
}
