// 22: NEON. Kernel models are rewritten as strictly equivalent networks (a distance or linear
// layer, then soft-min / soft-max pooling) and explained with LRP's midpoint rule. A kernel
// density estimate's outlier score -log f(x) and a kernel k-means cluster's log-odds are
// explained over the plane; the relevance of each coordinate sums to the explained output.
//   22_neon [out.png]
#include <iostream>

#include <gnnx/attribution/neon.h>
#include <gnnx/io/png.h>
#include <gnnx/nn/models/kernel.h>
#include <gnnx/viz/relevance_png.h>
#include <torch/torch.h>

using namespace gnnx;

int main(int argc, char** argv) {
  // Three blobs in the plane.
  torch::manual_seed(0);
  auto centres = torch::tensor({{-2.0, 0.0}, {2.0, 0.0}, {0.0, 2.5}}, torch::kDouble);
  auto data = (centres.unsqueeze(1) + 0.6 * torch::randn({3, 40, 2}, torch::kDouble)).reshape({120, 2});

  auto kde = nn::KernelScoreModel::kde(data, /*bandwidth=*/0.5);
  auto km = nn::KernelKMeansModel::fit(data, nn::KernelKMeansOptions().clusters(3).gamma(1.0).beta(1.0).seed(1));

  auto probe = torch::tensor({{0.0, 0.0}, {5.0, 0.0}, {0.0, 6.0}}, torch::kDouble);
  auto e = attribution::neon(kde, probe);
  for (int64_t i = 0; i < probe.size(0); ++i) {
    std::cout << "x = (" << probe[i][0].item<double>() << ", " << probe[i][1].item<double>() << "): outlier score "
              << e.output[i].item<double>() << " = R_1 " << e.relevance[i][0].item<double>() << " + R_2 "
              << e.relevance[i][1].item<double>() << "\n";
  }
  auto c = km.assignments()[0].item<int64_t>();
  auto k = attribution::neon(km, probe, c);
  std::cout << "cluster " << c << " log-odds at (0, 0): " << k.output[0].item<double>() << " (direct formula "
            << km.log_odds(probe, c)[0].item<double>() << "), relevance (" << k.relevance[0][0].item<double>() << ", "
            << k.relevance[0][1].item<double>() << ")\n";

  // Relevance over the plane: four panels, R_1 and R_2 of the outlier score, then of the log-odds.
  const int64_t n = 96;
  const double lo = -5, hi = 5;
  auto axis = torch::linspace(lo, hi, n, torch::kDouble);
  auto ys = axis.flip(0).view({n, 1}).expand({n, n}), xs = axis.view({1, n}).expand({n, n});
  auto grid = torch::stack({xs.reshape({-1}), ys.reshape({-1})}, 1);
  auto rk = attribution::neon(kde, grid).relevance, rc = attribution::neon(km, grid, c).relevance;
  // A few grid points where a first-layer neuron is near zero but carries relevance get very large
  // |R_d|; the colours saturate at the 99th percentile of |R| so that the rest of the plane shows.
  std::vector<torch::Tensor> panels;
  for (const auto& [name, r] : {std::make_pair("KDE", rk), std::make_pair("k-means", rc)}) {
    auto a = r.abs().reshape({-1});
    const double p99 = a.quantile(0.99).item<double>();
    std::cout << name << " relevance over the plane: largest |R_d| " << a.max().item<double>() << ", 99th percentile "
              << p99 << ", median " << a.median().item<double>() << "\n";
    for (int64_t d = 0; d < 2; ++d)
      panels.push_back(viz::signed_field_picture(r.select(1, d).view({n, n}), data, lo, hi, lo, hi, p99));
  }
  auto sep = torch::ones({3, n, 4});
  auto picture = torch::cat({panels[0], sep, panels[1], sep, panels[2], sep, panels[3]}, 2);
  const std::string out = argc > 1 ? argv[1] : "neon.png";
  io::write_png(out, picture.repeat_interleave(3, 1).repeat_interleave(3, 2));
  std::cout << "wrote " << out << ": relevance of x_1 and x_2 for the KDE outlier score, then for cluster " << c
            << "'s log-odds (red > 0, blue < 0)\n";
  return 0;
}
