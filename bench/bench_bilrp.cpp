// BiLRP on the GAP CNN (bias-free, 3x32x32 inputs, LRP-0): for several embedding layers and patch
// sizes, the time per image pair, the conservation error |Σ R − y| / |y|, and side by side the
// brute-force reference x_i x'_j ∂²y/∂x_i∂x'_j built from autograd Jacobians (one backward pass
// per embedding dimension and image) with its time and the largest difference. Prints a table
// and ends with one JSON line.
//   bench_bilrp [--pairs 2] [--width 8]
#include <chrono>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "gnnx/attribution/bilrp.h"
#include "gnnx/core/device.h"
#include "gnnx/nn/models/cnn.h"

using namespace gnnx;

namespace {

double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// x_i x'_j Σ_m ∂φ_m/∂x_i ∂φ_m/∂x'_j pooled to patches, from Jacobians by autograd.
torch::Tensor hessian_pairs(const attribution::ImageModel& phi, const torch::Tensor& x, const torch::Tensor& x2,
                            int64_t patch) {
  auto grad_x = [&](const torch::Tensor& img) {
    auto v = img.unsqueeze(0).detach().clone().requires_grad_(true);
    auto out = phi.forward(v).reshape({-1});
    std::vector<torch::Tensor> rows;
    for (int64_t m = 0; m < out.numel(); ++m)
      rows.push_back((torch::autograd::grad({out[m]}, {v}, {}, /*retain_graph=*/true)[0] * v.detach()).squeeze(0));
    auto r = torch::stack(rows).sum(1);  // [M, H, W]
    const int64_t h = r.size(1), w = r.size(2);
    return r.reshape({-1, h / patch, patch, w / patch, patch}).sum({2, 4}).reshape({r.size(0), -1});
  };
  return grad_x(x).t().mm(grad_x(x2));
}

}  // namespace

int main(int argc, char** argv) {
  int64_t pairs = 2, width = 8;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--pairs")
      pairs = std::atoll(argv[i + 1]);
    else if (a == "--width")
      width = std::atoll(argv[i + 1]);
    else {
      std::cerr << "bench_bilrp: unknown option " << a << "\n";
      return 2;
    }
  }
  torch::manual_seed(0);
  auto cnn = nn::make_gap_cnn(nn::GapCnnOptions(3, 4).width(width).bias(false));
  cnn->eval();
  auto model = attribution::ImageModel::sequential(cnn);
  auto images = torch::rand({2 * pairs, 3, 32, 32});
  std::cout << "bench_bilrp: GAP CNN width " << width << " (bias-free, untrained), 3x32x32, LRP-0, " << pairs
            << " image pairs, BLAS " << blas_name() << ", threads " << torch_threads() << "\n\n";
  std::cout << std::left << std::setw(8) << "layer" << std::right << std::setw(7) << "M" << std::setw(7) << "patch"
            << std::setw(9) << "pairs" << std::setw(13) << "BiLRP ms" << std::setw(15) << "|ΣR-y|/|y|" << std::setw(14)
            << "Hessian ms" << std::setw(16) << "max|BiLRP-H|"
            << "\n";
  nlohmann::json rows = nlohmann::json::array();
  const std::vector<std::pair<std::string, int64_t>> configs = {{"gap", 1}, {"gap", 4}, {"relu3", 4}, {"relu3", 8}};
  for (const auto& [layer, patch] : configs) {
    auto opts = attribution::BilrpOptions().layer(layer).patch(patch).composite(
        attribution::LrpComposite::uniform(attribution::LrpRule::eps(0)));
    auto phi = model.up_to(layer);
    double t_bilrp = 0, t_hess = 0, cons = 0, diff = 0, scale = 0;
    int64_t m = 0, p = 0;
    for (int64_t k = 0; k < pairs; ++k) {
      auto x = images[2 * k], x2 = images[2 * k + 1];
      double t0 = now_ms();
      auto r = attribution::bilrp(model, x, x2, opts);
      t_bilrp += now_ms() - t0;
      t0 = now_ms();
      auto h = hessian_pairs(phi, x, x2, patch);
      t_hess += now_ms() - t0;
      m = r.first.size(0), p = r.pairs.numel();
      cons = std::max(cons, std::abs(r.pairs.sum().item<double>() - r.similarity) / std::abs(r.similarity));
      diff = std::max(diff, (r.pairs - h).abs().max().item<double>());
      scale = std::max(scale, h.abs().max().item<double>());
    }
    t_bilrp /= static_cast<double>(pairs), t_hess /= static_cast<double>(pairs);
    std::cout << std::left << std::setw(8) << layer << std::right << std::setw(7) << m << std::setw(7) << patch
              << std::setw(9) << p << std::fixed << std::setprecision(1) << std::setw(13) << t_bilrp << std::scientific
              << std::setprecision(1) << std::setw(15) << cons << std::fixed << std::setprecision(1) << std::setw(14)
              << t_hess << std::scientific << std::setprecision(1) << std::setw(16) << diff << std::defaultfloat
              << "\n";
    rows.push_back({{"layer", layer},
                    {"embedding_dims", m},
                    {"patch", patch},
                    {"pairs", p},
                    {"bilrp_ms", t_bilrp},
                    {"conservation_rel_error", cons},
                    {"hessian_ms", t_hess},
                    {"max_abs_diff", diff},
                    {"max_abs_pair", scale}});
  }
  nlohmann::json j = {{"bench", "bilrp"},           {"width", width}, {"pairs", pairs}, {"blas", blas_name()},
                      {"threads", torch_threads()}, {"rows", rows}};
  std::cout << j.dump() << "\n";
  return 0;
}
