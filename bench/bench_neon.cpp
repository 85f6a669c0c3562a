// NEON on kernel models: for data sets of N points in D dimensions, the time per explained point of
// the direct formula, the neuralised network and the NEON explanation, with the largest
// |network − direct formula| and the largest conservation error |Σ_d R_d − output|, for a Gaussian
// KDE's outlier score and for a 3-cluster kernel k-means log-odds. Prints a table and ends with
// one JSON line.
//   bench_neon [--points 256] [--repeats 3]
#include <chrono>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "gnnx/attribution/neon.h"
#include "gnnx/core/device.h"
#include "gnnx/nn/models/kernel.h"

using namespace gnnx;

namespace {

template <class F>
double ms_per_point(F&& f, int64_t points, int64_t repeats) {
  double best = 1e300;
  for (int64_t r = 0; r < repeats; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    best = std::min(best, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  return best / static_cast<double>(points);
}

torch::Tensor blobs(int64_t n, int64_t d, uint64_t seed) {
  auto g = at::make_generator<at::CPUGeneratorImpl>(seed);
  auto centres = torch::randn({3, d}, g, torch::kDouble) * 3.0;
  auto label = torch::arange(n) % 3;
  return centres.index_select(0, label) + 0.7 * torch::randn({n, d}, g, torch::kDouble);
}

}  // namespace

int main(int argc, char** argv) {
  int64_t points = 256, repeats = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--points")
      points = std::atoll(argv[i + 1]);
    else if (a == "--repeats")
      repeats = std::atoll(argv[i + 1]);
    else {
      std::cerr << "bench_neon: unknown option " << a << "\n";
      return 2;
    }
  }
  std::cout << "bench_neon: " << points << " explained points, best of " << repeats << ", BLAS " << blas_name()
            << ", threads " << torch_threads() << "\n\n";
  std::cout << std::left << std::setw(16) << "model" << std::right << std::setw(6) << "N" << std::setw(5) << "D"
            << std::setw(13) << "direct ms" << std::setw(13) << "network ms" << std::setw(12) << "NEON ms"
            << std::setw(14) << "|net-direct|" << std::setw(14) << "|ΣR-out|"
            << "\n";
  nlohmann::json rows = nlohmann::json::array();
  for (int64_t d : {2, 16}) {
    for (int64_t n : {60, 240, 480}) {
      auto data = blobs(n, d, 1);
      auto x = blobs(points, d, 2);
      auto kde = nn::KernelScoreModel::kde(data, 0.8);
      auto km = nn::KernelKMeansModel::fit(data, nn::KernelKMeansOptions().clusters(3).gamma(0.5).seed(3));
      struct Row {
        std::string model;
        double direct, network, neon, err, cons;
      };
      std::vector<Row> out;
      {
        torch::Tensor f, o;
        attribution::NeonRelevance e;
        Row r{"kde",
              ms_per_point([&] { f = -kde.score(x).log(); }, points, repeats),
              ms_per_point([&] { o = kde.neuralised(x).output; }, points, repeats),
              ms_per_point([&] { e = attribution::neon(kde, x); }, points, repeats),
              0,
              0};
        r.err = (f - o).abs().max().item<double>();
        r.cons = (e.relevance.sum(1) - e.output).abs().max().item<double>();
        out.push_back(r);
      }
      {
        torch::Tensor f, o;
        attribution::NeonRelevance e;
        Row r{"kernel-kmeans",
              ms_per_point([&] { f = km.log_odds(x, 0); }, points, repeats),
              ms_per_point([&] { o = km.neuralised(x, 0).output; }, points, repeats),
              ms_per_point([&] { e = attribution::neon(km, x, 0); }, points, repeats),
              0,
              0};
        r.err = (f - o).abs().max().item<double>();
        r.cons = (e.relevance.sum(1) - e.output).abs().max().item<double>();
        out.push_back(r);
      }
      for (const auto& r : out) {
        std::cout << std::left << std::setw(16) << r.model << std::right << std::setw(6) << n << std::setw(5) << d
                  << std::fixed << std::setprecision(4) << std::setw(13) << r.direct << std::setw(13) << r.network
                  << std::setw(12) << r.neon << std::scientific << std::setprecision(1) << std::setw(14) << r.err
                  << std::setw(14) << r.cons << std::defaultfloat << "\n";
        rows.push_back({{"model", r.model},
                        {"n", n},
                        {"d", d},
                        {"direct_ms_per_point", r.direct},
                        {"network_ms_per_point", r.network},
                        {"neon_ms_per_point", r.neon},
                        {"max_network_error", r.err},
                        {"max_conservation_error", r.cons}});
      }
    }
  }
  nlohmann::json j = {
      {"bench", "neon"}, {"points", points}, {"blas", blas_name()}, {"threads", torch_threads()}, {"rows", rows}};
  std::cout << j.dump() << "\n";
  return 0;
}
