// bench_attribution: milliseconds per attribution of every method on a small CNN (one 3x32x32
// image), integrated gradients (50 Gauss-Legendre steps) at internal batch sizes 1, 10 and 50
// on the CNN and on a GNN, and the GNN explainer adapters per node. Prints a table, then one
// JSON line mapping method to milliseconds.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "gnnx/attribution/gradient.h"
#include "gnnx/attribution/integrated_gradients.h"
#include "gnnx/attribution/noise_tunnel.h"
#include "gnnx/attribution/occlusion.h"
#include "gnnx/core/device.h"
#include "gnnx/core/random.h"
#include "gnnx/explain/attribution_explainer.h"
#include "gnnx/graph/ops.h"

using namespace gnnx;
using namespace gnnx::attribution;
namespace tnn = torch::nn;

namespace {

// Median of `reps` timed runs after one warm-up run, in milliseconds.
double time_ms(const std::function<void()>& f, int reps) {
  f();
  std::vector<double> ms;
  for (int i = 0; i < reps; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    f();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

tnn::Sequential small_cnn() {
  return tnn::Sequential(tnn::Conv2d(tnn::Conv2dOptions(3, 16, 3).padding(1)), tnn::ReLU(), tnn::MaxPool2d(2),
                         tnn::Conv2d(tnn::Conv2dOptions(16, 32, 3).padding(1)), tnn::ReLU(), tnn::MaxPool2d(2),
                         tnn::Conv2d(tnn::Conv2dOptions(32, 32, 3).padding(1)), tnn::ReLU(), tnn::AdaptiveAvgPool2d(1),
                         tnn::Flatten(), tnn::Linear(32, 10));
}

// A Barabási–Albert graph (each new node attaches to m earlier nodes, preferentially by degree).
Graph ba_graph(int64_t n, int64_t m, int64_t features, uint64_t seed) {
  Rng rng(seed);
  std::vector<int64_t> targets_pool;
  std::vector<std::pair<int64_t, int64_t>> pairs;
  for (int64_t i = 0; i < m; ++i) targets_pool.push_back(i);
  for (int64_t v = m; v < n; ++v) {
    std::vector<int64_t> chosen;
    while (static_cast<int64_t>(chosen.size()) < m) {
      int64_t u = targets_pool[static_cast<size_t>(uniform_int(rng, 0, static_cast<int64_t>(targets_pool.size()) - 1))];
      if (std::find(chosen.begin(), chosen.end(), u) == chosen.end()) chosen.push_back(u);
    }
    for (auto u : chosen) {
      pairs.push_back({v, u});
      targets_pool.push_back(u);
      targets_pool.push_back(v);
    }
  }
  torch::manual_seed(static_cast<uint64_t>(seed));
  return Graph(undirected_edge_index(pairs), n, torch::randn({n, features}));
}

}  // namespace

int main() {
  torch::manual_seed(0);
  std::printf("bench_attribution  blas=%s  threads=%d\n", blas_name().c_str(), torch_threads());
  std::map<std::string, double> result;

  // --- CNN ------------------------------------------------------------------------------------
  auto cnn = small_cnn();
  cnn->eval();
  auto model = ImageModel::sequential(cnn);
  auto x = torch::randn({1, 3, 32, 32});
  auto objective = image_objective(model, x, std::vector<int64_t>{-1});
  const int reps = 3;
  std::vector<std::pair<std::string, std::shared_ptr<Attributor>>> methods = {
      {"saliency", std::make_shared<Saliency>()},
      {"gradxinput", std::make_shared<GradientXInput>()},
      {"ig", std::make_shared<IntegratedGradients>()},
      {"smoothgrad",
       std::make_shared<NoiseTunnel>(std::make_shared<Saliency>(), NoiseTunnelOptions().samples(10).stdev(0.15))},
      {"guided-backprop", std::make_shared<GuidedBackprop>()},
      {"deconvnet", std::make_shared<Deconvnet>()},
      {"occlusion",
       std::make_shared<Occlusion>(OcclusionOptions().window({3, 8, 8}).strides({3, 4, 4}).perturbations_per_eval(49))},
      {"occlusion_ppe1", std::make_shared<Occlusion>(OcclusionOptions().window({3, 8, 8}).strides({3, 4, 4}))},
  };
  std::printf("\nsmall CNN, one 3x32x32 image (median of %d runs)\n%-28s %10s\n", reps, "method", "ms");
  for (auto& [name, m] : methods) {
    double ms = time_ms([&] { m->attribute(*objective); }, reps);
    result["cnn." + name] = ms;
    std::printf("%-28s %10.2f\n", name.c_str(), ms);
  }
  std::printf("\nintegrated gradients, 50 steps, by internal batch size\n%-28s %10s\n", "internal_batch_size", "ms");
  for (int64_t ibs : {1, 10, 50}) {
    IntegratedGradients ig(IntegratedGradientsOptions().internal_batch_size(ibs));
    double ms = time_ms([&] { ig.attribute(*objective); }, reps);
    result["cnn.ig_ibs" + std::to_string(ibs)] = ms;
    std::printf("%-28s %10.2f\n", ("cnn, " + std::to_string(ibs)).c_str(), ms);
  }

  // --- GNN ------------------------------------------------------------------------------------
  auto g = ba_graph(/*n=*/300, /*m=*/2, /*features=*/10, /*seed=*/1);
  torch::manual_seed(0);
  nn::GNNClassifier gnn(nn::GNNClassifierOptions(10, 4).num_layers(3).hidden_channels(20));
  gnn->eval();
  for (auto what : {GraphInput::kEdges, GraphInput::kNodeFeatures}) {
    auto gobj = graph_objective(*gnn, g, {Target::node(7)}, what);
    for (int64_t ibs : {1, 10, 50}) {
      IntegratedGradients ig(IntegratedGradientsOptions().internal_batch_size(ibs));
      double ms = time_ms([&] { ig.attribute(*gobj); }, reps);
      std::string key = std::string("gnn.ig_") + to_string(what) + "_ibs" + std::to_string(ibs);
      result[key] = ms;
      std::printf("%-28s %10.2f\n", (std::string("gnn ") + to_string(what) + ", " + std::to_string(ibs)).c_str(), ms);
    }
  }
  std::fflush(stdout);
  std::printf(
      "\nGNN explainer adapters (edges + features, (L+1)-hop subgraph), per node, %lld nodes, %lld edges\n%-28s %10s\n",
      static_cast<long long>(g.num_nodes), static_cast<long long>(g.num_edges()), "method", "ms/node");
  std::vector<Target> nodes;
  for (int64_t i = 0; i < 5; ++i) nodes.push_back(Target::node(i * 60));
  for (const std::string name : {"saliency", "gradxinput", "ig", "smoothgrad", "occlusion"}) {
    auto explainer = gnnx::explain::make_attribution_explainer(name, 0);
    double ms = time_ms([&] { explainer->explain(*gnn, g, nodes); }, 1) / static_cast<double>(nodes.size());
    result["gnn." + name] = ms;
    std::printf("%-28s %10.2f\n", name.c_str(), ms);
  }
  nlohmann::json j = result;
  j["blas"] = blas_name();
  j["threads"] = torch_threads();
  std::printf("%s\n", j.dump().c_str());
  return 0;
}
