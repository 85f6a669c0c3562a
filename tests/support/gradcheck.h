#pragma once
// Finite-difference gradient check (torch.autograd.gradcheck in spirit): central differences of
// a scalar projection <f(inputs), R> against autograd, element by element, in double precision.
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "gnnx/core/random.h"

namespace gnnx::test {

struct GradcheckResult {
  bool ok = true;
  std::string report;  ///< first mismatches, for INFO
};

/// f maps the inputs (double tensors) to any double tensor. Every defined input is checked; the
/// projection R is a fixed seeded random tensor shaped like f's output.
inline GradcheckResult gradcheck(const std::function<torch::Tensor(const std::vector<torch::Tensor>&)>& f,
                                 const std::vector<torch::Tensor>& inputs, double eps = 1e-6, double atol = 1e-6,
                                 double rtol = 1e-5) {
  std::vector<torch::Tensor> leaves;
  std::vector<torch::Tensor> with_grad;
  for (const auto& t : inputs) {
    if (!t.defined()) {
      leaves.emplace_back();
      continue;
    }
    auto leaf = t.detach().clone().to(torch::kDouble).set_requires_grad(true);
    leaves.push_back(leaf);
    with_grad.push_back(leaf);
  }
  auto out = f(leaves);
  auto gen = gnnx::torch_generator(1234);
  auto R = torch::randn(out.sizes(), gen, torch::TensorOptions().dtype(torch::kDouble)).to(out.device());
  auto analytic = torch::autograd::grad({(out * R).sum()}, with_grad, /*grad_outputs=*/{}, /*retain_graph=*/false,
                                        /*create_graph=*/false, /*allow_unused=*/true);
  GradcheckResult result;
  std::ostringstream report;
  int shown = 0;
  torch::NoGradGuard ng;
  std::vector<torch::Tensor> probe;
  for (const auto& l : leaves) probe.push_back(l.defined() ? l.detach().clone() : torch::Tensor());
  size_t k = 0;
  for (size_t i = 0; i < probe.size(); ++i) {
    if (!probe[i].defined()) continue;
    auto flat = probe[i].view({-1});
    auto a = analytic[k].defined() ? analytic[k].reshape({-1}) : torch::zeros_like(flat);
    for (int64_t j = 0; j < flat.numel(); ++j) {
      const double v = flat[j].item<double>();
      flat[j] = v + eps;
      const double up = (f(probe) * R).sum().item<double>();
      flat[j] = v - eps;
      const double down = (f(probe) * R).sum().item<double>();
      flat[j] = v;
      const double numeric = (up - down) / (2 * eps);
      const double got = a[j].item<double>();
      if (std::abs(numeric - got) > atol + rtol * std::abs(numeric)) {
        result.ok = false;
        if (shown++ < 5)
          report << "input " << i << " element " << j << ": numeric " << numeric << ", autograd " << got << "\n";
      }
    }
    ++k;
  }
  result.report = report.str();
  return result;
}

}  // namespace gnnx::test

#define GNNX_REQUIRE_GRADCHECK(f, inputs)                   \
  do {                                                      \
    auto gnnx_gc_ = ::gnnx::test::gradcheck((f), (inputs)); \
    INFO(gnnx_gc_.report);                                  \
    REQUIRE(gnnx_gc_.ok);                                   \
  } while (false)
