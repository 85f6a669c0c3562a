#pragma once
// A small smooth network with a closed-form input gradient, for the gradient-based attribution
// tests: f(x) = W2 tanh(W1 x + b1) + b2 on 4 inputs and 3 classes, double precision.
#include <cstdint>
#include <vector>

#include <torch/torch.h>

namespace gnnx::test {

struct TanhNet {
  torch::nn::Linear l1{nullptr}, l2{nullptr};
  torch::nn::Sequential seq{nullptr};
  /// Seeds torch's global generator (11) before drawing the weights, so the net is fixed.
  TanhNet() {
    torch::manual_seed(11);
    l1 = torch::nn::Linear(4, 5);
    l2 = torch::nn::Linear(5, 3);
    seq = torch::nn::Sequential(l1, torch::nn::Tanh(), l2);
    seq->to(torch::kDouble);
  }
  /// ∂f_c/∂x for every row of x [B, 4], c = labels[b]: W1ᵀ (W2[c] ⊙ (1 − tanh²(W1 x + b1))).
  at::Tensor gradient(const at::Tensor& x, const std::vector<int64_t>& labels) {
    torch::NoGradGuard no_grad;
    auto z = x.matmul(l1->weight.t()) + l1->bias;
    auto d = 1 - z.tanh().square();
    auto rows = std::vector<at::Tensor>();
    for (int64_t b = 0; b < x.size(0); ++b)
      rows.push_back((l2->weight[labels[static_cast<size_t>(b)]] * d[b]).matmul(l1->weight));
    return torch::stack(rows);
  }
};

}  // namespace gnnx::test
