// bench_attribution: milliseconds per attribution of every method on a small CNN (one 3x32x32
// image), side by side with Captum on the same weights and image in the same run, integrated
// gradients (50 Gauss-Legendre steps) at internal batch sizes 1, 10 and 50 on the CNN and on a
// GNN, and the GNN explainer adapters per node. Prints tables, then one JSON line mapping method
// to milliseconds.
//
//   bench_attribution [--peer PYTHON | --no-peer] [--malloc tuned|default] [--reps N]
//
// Every time is the median of N timed runs (default 21) after one warm-up run, on both sides.
//
// --malloc tuned (the default) calls gnnx::tune_malloc() first, as the gnnx command does, and
// gives Captum's Python the same glibc settings through GLIBC_TUNABLES; default leaves glibc's
// malloc settings alone on both sides.
//
// The peer side is bench/captum_attribution.py, run with PYTHON (default: the peer environment
// scripts/peers/setup.sh makes): it writes the CNN's weights and the image, times Captum's
// methods and prints one JSON line; the CNN here then loads those weights. Without the peer
// environment the CNN is seeded here and the Captum columns are left out.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
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
#include "gnnx/io/tensor_file.h"

#ifndef GNNX_PEERS_PYTHON
#define GNNX_PEERS_PYTHON ""
#endif
#ifndef GNNX_BENCH_SOURCE_DIR
#define GNNX_BENCH_SOURCE_DIR "bench"
#endif

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

// Captum's side: runs captum_attribution.py with `python`, which writes weights.pt, input.pt and
// att_*.pt into `dir` and prints one JSON line. Returns null when it cannot run.
nlohmann::json run_captum(const std::string& python, const std::filesystem::path& dir, bool tuned_malloc, int reps) {
  if (python.empty() || !std::filesystem::exists(python)) return nullptr;
  const auto out = dir / "captum.json";
  // tune_malloc()'s settings (gnnx/core/device.h), for the Python process.
  const std::string env =
      tuned_malloc ? "GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=1073741824 " : "";
  const std::string cmd = env + "\"" + python + "\" \"" + std::string(GNNX_BENCH_SOURCE_DIR) +
                          "/captum_attribution.py\" --reps " + std::to_string(reps) + " --out \"" + dir.string() +
                          "\" > \"" + out.string() + "\"";
  if (std::system(cmd.c_str()) != 0) return nullptr;
  std::ifstream in(out);
  std::string line, last;
  while (std::getline(in, line))
    if (!line.empty()) last = line;
  return last.empty() ? nlohmann::json(nullptr) : nlohmann::json::parse(last);
}

// Largest |a - b| over the largest |b|.
double relative_difference(const at::Tensor& a, const at::Tensor& b) {
  return (a - b).abs().max().item<double>() / std::max(b.abs().max().item<double>(), 1e-30);
}

}  // namespace

int main(int argc, char** argv) {
  std::string python = GNNX_PEERS_PYTHON, malloc_mode = "tuned";
  int reps = 21;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--malloc" && i + 1 < argc &&
        (std::string(argv[i + 1]) == "tuned" || std::string(argv[i + 1]) == "default")) {
      malloc_mode = argv[++i];
    } else if (a == "--peer" && i + 1 < argc) {
      python = argv[++i];
    } else if (a == "--reps" && i + 1 < argc && std::atoi(argv[i + 1]) >= 1) {
      reps = std::atoi(argv[++i]);
    } else if (a == "--no-peer") {
      python.clear();
    } else {
      std::printf("usage: bench_attribution [--peer PYTHON | --no-peer] [--malloc tuned|default] [--reps N]\n");
      return a == "--help" || a == "-h" ? 0 : 2;
    }
  }
  if (malloc_mode == "tuned" && !tune_malloc()) malloc_mode = "default (not glibc)";
  torch::manual_seed(0);
  std::printf("bench_attribution  blas=%s  threads=%d  malloc=%s\n", blas_name().c_str(), torch_threads(),
              malloc_mode.c_str());
  std::map<std::string, double> result;

  // --- CNN ------------------------------------------------------------------------------------
  auto cnn = small_cnn();
  cnn->eval();
  auto x = torch::randn({1, 3, 32, 32});
  const auto dir = std::filesystem::temp_directory_path() / ("gnnx_bench_attribution_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto captum = run_captum(python, dir, malloc_mode == "tuned", reps);
  std::map<std::string, at::Tensor> reference;
  if (!captum.is_null()) {
    // The peer's weights (its Sequential's names "0.weight", ... are this one's) and image.
    torch::NoGradGuard no_grad;
    auto params = cnn->named_parameters();
    for (const auto& [name, t] : io::load_tensor_dict((dir / "weights.pt").string())) params[name].copy_(t);
    x = io::load_tensor((dir / "input.pt").string());
    for (const std::string name : {"ig", "smoothgrad", "occlusion"})
      reference[name] = io::load_tensor((dir / ("att_" + name + ".pt")).string());
  }
  std::filesystem::remove_all(dir);
  auto model = ImageModel::sequential(cnn);
  auto objective = image_objective(model, x, std::vector<int64_t>{-1});
  std::vector<std::pair<std::string, std::shared_ptr<Attributor>>> methods = {
      {"saliency", std::make_shared<Saliency>()},
      {"gradxinput", std::make_shared<GradientXInput>()},
      {"ig", std::make_shared<IntegratedGradients>()},
      {"smoothgrad",
       std::make_shared<NoiseTunnel>(std::make_shared<Saliency>(), NoiseTunnelOptions().samples(10).stdev(0.15))},
      {"guided-backprop", std::make_shared<GuidedBackprop>()},
      {"deconvnet", std::make_shared<Deconvnet>()},
      {"occlusion", std::make_shared<Occlusion>(OcclusionOptions().window({3, 8, 8}).strides({3, 4, 4}))},
      {"occlusion_ppe1",
       std::make_shared<Occlusion>(OcclusionOptions().window({3, 8, 8}).strides({3, 4, 4}).perturbations_per_eval(1))},
  };
  std::printf("\nsmall CNN, one 3x32x32 image (median of %d runs)\n%-28s %10s\n", reps, "method", "ms");
  for (auto& [name, m] : methods) {
    double ms = time_ms([&] { m->attribute(*objective); }, reps);
    result["cnn." + name] = ms;
    std::printf("%-28s %10.2f\n", name.c_str(), ms);
  }
  if (captum.is_null()) {
    std::printf("\nCaptum: not run (no peer environment at '%s'; --peer PYTHON)\n", python.c_str());
  } else {
    // Captum's defaults: IG's 50 steps in one batch, one occlusion window per forward pass.
    std::printf("\nside by side with Captum %s (torch %s, %d thread), same weights and image\n",
                captum["captum"].get<std::string>().c_str(), captum["torch"].get<std::string>().c_str(),
                captum["threads"].get<int>());
    std::printf("%-34s %10s %10s %14s %16s\n", "method", "gnnx ms", "captum ms", "gnnx / captum", "|diff| / max|R|");
    struct Row {
      std::string label, gnnx_key, captum_key, reference;
    };
    for (const Row& r : std::vector<Row>{{"saliency", "saliency", "saliency", ""},
                                         {"ig (50 steps)", "ig", "ig", "ig"},
                                         {"smoothgrad (10 samples)", "smoothgrad", "smoothgrad", "smoothgrad"},
                                         {"occlusion (captum 1 window/pass)", "occlusion", "occlusion", "occlusion"},
                                         {"occlusion (captum 49 windows/pass)", "occlusion", "occlusion_ppe49", ""}}) {
      const double ours = result["cnn." + r.gnnx_key], theirs = captum[r.captum_key].get<double>();
      result["captum." + r.captum_key] = theirs;
      result["ratio." + r.captum_key] = ours / theirs;
      std::string diff = "";
      if (!r.reference.empty()) {
        std::shared_ptr<Attributor> m;
        for (auto& [name, a] : methods)
          if (name == r.gnnx_key) m = a;
        const double d = relative_difference(m->attribute(*objective).values, reference[r.reference]);
        result["diff." + r.reference] = d;
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.2e", d);
        diff = buf;
      }
      std::printf("%-34s %10.2f %10.2f %14.3f %16s\n", r.label.c_str(), ours, theirs, ours / theirs, diff.c_str());
    }
  }
  // Occlusion through the layers (each convolution recomputes only what a window reaches)
  // against the whole model per window (the same CNN behind an opaque function), by image size;
  // 49 windows of a quarter of the side, strides an eighth.
  std::printf("\nocclusion by image size, 49 windows (ms)\n%-28s %10s %10s %8s\n", "image", "layers", "whole", "ratio");
  for (int64_t side : {32, 64, 128}) {
    auto image = torch::randn({1, 3, side, side}, gnnx::torch_generator(static_cast<uint64_t>(side)));
    auto opaque = ImageModel::function(
        [cnn](const at::Tensor& t) mutable { return cnn->forward(t.contiguous(at::MemoryFormat::ChannelsLast)); },
        "opaque");
    Occlusion occ(OcclusionOptions().window({3, side / 4, side / 4}).strides({3, side / 8, side / 8}));
    auto by_layers = image_objective(model, image, std::vector<int64_t>{-1});
    auto whole = image_objective(opaque, image, std::vector<int64_t>{-1});
    const double ms_layers = time_ms([&] { occ.attribute(*by_layers); }, reps);
    const double ms_whole = time_ms([&] { occ.attribute(*whole); }, reps);
    const auto key = std::to_string(side);
    result["cnn.occlusion_" + key + "_layers"] = ms_layers;
    result["cnn.occlusion_" + key + "_whole"] = ms_whole;
    std::printf("%-28s %10.2f %10.2f %8.3f\n", ("3x" + key + "x" + key).c_str(), ms_layers, ms_whole,
                ms_layers / ms_whole);
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
  j["malloc"] = malloc_mode;
  std::printf("%s\n", j.dump().c_str());
  return 0;
}
