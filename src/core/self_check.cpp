#include "gnnx/core/self_check.h"

#include <cmath>
#include <functional>
#include <limits>

#include <torch/torch.h>

#include "gnnx/core/check.h"
#include "gnnx/core/device.h"
#include "gnnx/core/random.h"

namespace gnnx {
namespace {

namespace F = torch::nn::functional;

// Relative max error of `got` (any dtype, any device) against the float64 CPU `want`.
double relative_error(const at::Tensor& got, const at::Tensor& want) {
  auto g = got.detach().to(torch::kCPU, torch::kFloat64);
  if (!torch::isfinite(g).all().item<bool>()) return std::numeric_limits<double>::quiet_NaN();
  const double scale = want.abs().max().item<double>();
  return (g - want).abs().max().item<double>() / (scale > 0 ? scale : 1.0);
}

// One kernel under test: maps its inputs to one output tensor. run_case differentiates that output
// with respect to every input.
using Op = std::function<at::Tensor(const std::vector<at::Tensor>&)>;

struct Case {
  std::string name;
  std::vector<at::Tensor> inputs;  // float64 CPU
  std::vector<std::string> input_names;
  Op op;
};

void run_case(const Case& c, c10::Device device, std::vector<BackendCheck>& out) {
  constexpr double kTol = 1e-4;  // float32 carries ~1e-7; sums of a few hundred terms stay far below 1e-4
  auto evaluate = [&](c10::Device dev, at::ScalarType dtype, std::vector<at::Tensor>& grads) {
    std::vector<at::Tensor> ins;
    for (const auto& t : c.inputs) ins.push_back(t.to(dev, dtype).detach().requires_grad_(true));
    at::Tensor y = c.op(ins);
    // A fixed cotangent, not ones: ones hide transposed or misplaced gradient entries.
    auto cot = torch::randn(y.sizes(), torch_generator(7), torch::kFloat64).to(dev, dtype);
    grads = torch::autograd::grad({y}, ins, {cot});
    return y;
  };
  std::vector<at::Tensor> g32, g64;
  at::Tensor y32 = evaluate(device, torch::kFloat32, g32);
  at::Tensor y64 = evaluate(c10::Device(c10::kCPU), torch::kFloat64, g64);
  auto add = [&](const std::string& what, const at::Tensor& got, const at::Tensor& want) {
    BackendCheck b;
    b.op = c.name + " " + what;
    b.error = relative_error(got, want.detach());
    b.tolerance = kTol;
    b.ok = std::isfinite(b.error) && b.error <= kTol;
    out.push_back(b);
  };
  add("forward", y32, y64);
  for (size_t i = 0; i < g32.size(); ++i) add(c.input_names[i] + " gradient", g32[i], g64[i]);
}

}  // namespace

std::vector<BackendCheck> check_backend(c10::Device device) {
  GNNX_CHECK(device.is_cpu() || device.is_cuda(), "check_backend: expected a CPU or CUDA device, got ", device.str());
  GNNX_CHECK(device.is_cpu() || cuda_available(), "check_backend: expected an available device, got ", device.str(),
             " but CUDA is not available");
  auto gen = torch_generator(11);
  auto randn = [&](std::vector<int64_t> shape) { return torch::randn(shape, gen, torch::kFloat64); };
  // Shapes like the examples' CNNs and GNNs: small enough to take milliseconds, large enough
  // that blocked and vectorised kernels are the ones chosen.
  auto edges = torch::randint(0, 40, {2, 160}, gen, torch::kLong);
  std::vector<Case> cases = {
      {"conv2d",
       {randn({2, 3, 8, 8}), randn({8, 3, 3, 3}), randn({8})},
       {"input", "weight", "bias"},
       [](const std::vector<at::Tensor>& t) {
         return F::conv2d(t[0], t[1], F::Conv2dFuncOptions().bias(t[2]).padding(1));
       }},
      {"conv2d 16ch",
       {randn({4, 16, 12, 12}), randn({32, 16, 3, 3})},
       {"input", "weight"},
       [](const std::vector<at::Tensor>& t) {
         return F::conv2d(t[0], t[1], F::Conv2dFuncOptions().stride(2).padding(1));
       }},
      {"max_pool2d",
       {randn({2, 4, 8, 8})},
       {"input"},
       [](const std::vector<at::Tensor>& t) { return F::max_pool2d(t[0], F::MaxPool2dFuncOptions(2)); }},
      {"adaptive_avg_pool2d",
       {randn({2, 4, 8, 8})},
       {"input"},
       [](const std::vector<at::Tensor>& t) {
         return F::adaptive_avg_pool2d(t[0], F::AdaptiveAvgPool2dFuncOptions(1));
       }},
      {"linear",
       {randn({64, 48}), randn({32, 48}), randn({32})},
       {"input", "weight", "bias"},
       [](const std::vector<at::Tensor>& t) { return F::linear(t[0], t[1], t[2]); }},
      {"gather/index_add",
       {randn({40, 16})},
       {"input"},
       [edges](const std::vector<at::Tensor>& t) {
         auto e = edges.to(t[0].device());
         auto msg = t[0].index_select(0, e[0]) * 0.5;
         return torch::zeros_like(t[0]).index_add(0, e[1], msg);
       }},
      {"log_softmax",
       {randn({32, 10})},
       {"input"},
       [](const std::vector<at::Tensor>& t) { return torch::log_softmax(t[0], 1); }},
  };
  std::vector<BackendCheck> out;
  for (const auto& c : cases) run_case(c, device, out);
  return out;
}

}  // namespace gnnx
