// Reference-model accuracy on the synthetic benchmarks: for each dataset and seeds 0..4, the
// dataset generated with that seed and the reference model trained with it; mean ± std
// (population) of train / val / test accuracy and of the training time.
// Usage: bench_reference_models [dataset ...]   (default: all eight)
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>

#include <gnnx/gnnx.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

namespace {

struct Stat {
  double mean = 0, std = 0;
};

Stat stat(const std::vector<double>& v) {
  Stat s;
  for (double x : v) s.mean += x;
  s.mean /= static_cast<double>(v.size());
  for (double x : v) s.std += (x - s.mean) * (x - s.mean);
  s.std = std::sqrt(s.std / static_cast<double>(v.size()));
  return s;
}

std::string fmt(Stat s, int digits = 3) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f ± %.*f", digits, s.mean, digits, s.std);
  return buf;
}

}  // namespace

int main(int argc, char** argv) try {
  std::vector<std::string> names;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      std::cout << "usage: bench_reference_models [dataset ...]   (default: every dataset)\n";
      return 0;
    }
    names.push_back(a);
  }
  if (names.empty()) names = gnnx::datasets::dataset_names();
  const auto known = gnnx::datasets::dataset_names();
  for (const auto& n : names)  // unknown names fail before any training
    if (std::find(known.begin(), known.end(), n) == known.end()) gnnx::datasets::make_dataset(n, 0);
  const int kSeeds = 5;
  std::cout << "reference models, seeds 0.." << kSeeds - 1 << " (dataset seed = training seed); BLAS "
            << gnnx::blas_name() << ", torch threads " << gnnx::torch_threads() << "\n";
  std::printf("%-13s %-17s %-17s %-17s %-8s %-14s\n", "dataset", "train_acc", "val_acc", "test_acc", "epochs",
              "seconds");
  nlohmann::json all = nlohmann::json::object();
  for (const auto& name : names) {
    std::vector<double> tr, va, te, sec, ep;
    for (int s = 0; s < kSeeds; ++s) {
      const auto d = gnnx::datasets::make_dataset(name, static_cast<uint64_t>(s));
      const auto r = gnnx::datasets::train_reference_model(d, static_cast<uint64_t>(s));
      tr.push_back(r.result.train_acc);
      va.push_back(r.result.val_acc);
      te.push_back(r.result.test_acc);
      sec.push_back(r.result.seconds);
      ep.push_back(static_cast<double>(r.result.epochs_run));
    }
    std::printf("%-13s %-17s %-17s %-17s %-8.0f %-14s\n", name.c_str(), fmt(stat(tr)).c_str(), fmt(stat(va)).c_str(),
                fmt(stat(te)).c_str(), stat(ep).mean, fmt(stat(sec), 2).c_str());
    std::fflush(stdout);
    all[name] = {{"train_acc_mean", stat(tr).mean},
                 {"train_acc_std", stat(tr).std},
                 {"val_acc_mean", stat(va).mean},
                 {"val_acc_std", stat(va).std},
                 {"test_acc_mean", stat(te).mean},
                 {"test_acc_std", stat(te).std},
                 {"test_acc", te},
                 {"seconds_mean", stat(sec).mean}};
  }
  nlohmann::json line = {{"bench", "reference_models"},
                         {"seeds", kSeeds},
                         {"blas", gnnx::blas_name()},
                         {"threads", gnnx::torch_threads()},
                         {"results", all}};
  std::cout << line.dump() << "\n";
  return 0;
} catch (const std::exception& e) {
  std::cerr << "bench_reference_models: error: " << e.what() << "\n";
  return 1;
}
