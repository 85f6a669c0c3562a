// Forward + backward of every message-passing layer type on random graphs of 10^4, 10^5 and
// 10^6 edges (N = E / 10 nodes, so 10^5 nodes for the largest) with 64 -> 64 features.
//
//   bench_message_passing [max_edges] [--device cpu|cuda] [--layer NAME]   (e.g. --layer gcn)
//
// Work per iteration: out = layer(x, edge_index); out.sum().backward() (parameter gradients,
// as in training; x does not require grad). Reported: median milliseconds, edges per second and
// an estimated achieved memory bandwidth under this byte model (s = bytes per scalar):
//   bytes = 2 x [ E (16 + s)          edge_index and one per-edge weight
//               + E F s               one gathered F-row per edge
//               + 2 N F s ]           read the dense input, write the dense output
// i.e. one sparse-dense product forward and its transpose backward; the dense layer matmuls
// are left out. It is the traffic a fused kernel cannot avoid when rows do not stay in cache, so
// bandwidth = bytes / time is a yardstick, not a hardware counter.
// "gcn (gather-scatter)" is GCN written with index_select / multiply / index_add instead of the
// fused spmm (the code path PyG uses without its compiled extensions).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <string>
#include <vector>

#include <gnnx/gnnx.h>
#include <nlohmann/json.hpp>
#include <tbb/task_arena.h>
#include <torch/cuda.h>
#include <torch/torch.h>

namespace {

using Clock = std::chrono::steady_clock;
using Forward = std::function<at::Tensor(const at::Tensor&, const at::Tensor&)>;

void sync(const torch::Device& d) {
  if (d.is_cuda()) torch::cuda::synchronize();
}

// GCN as composite gather / scatter ops (no fused kernel), for comparison.
at::Tensor gcn_gather_scatter(const at::Tensor& x, const at::Tensor& edge_index, gnnx::nn::GCNConv& conv) {
  const int64_t N = x.size(0), E = edge_index.size(1);
  auto h = conv->lin(x);
  auto ar = torch::arange(N, edge_index.options());
  auto ei = torch::cat({edge_index, torch::stack({ar, ar})}, 1);
  auto w = torch::ones({E + N}, h.options());
  auto deg = torch::zeros({N}, h.options()).index_add(0, ei[1], w);
  auto dinv = deg.pow(-0.5);
  auto norm = dinv.index_select(0, ei[0]) * dinv.index_select(0, ei[1]);
  auto m = h.index_select(0, ei[0]) * norm.view({-1, 1});
  return torch::zeros_like(h).index_add(0, ei[1], m) + conv->bias;
}

struct Result {
  std::string device, layer;
  int64_t edges, nodes;
  double ms, cpu_ms, edges_per_s, gbps;
};

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// Median wall-clock ms of step(); *cpu_ms gets the median process CPU ms (all threads), which
// is less inflated than wall time when other jobs share the cores.
double median_ms(const std::function<void()>& step, const torch::Device& dev, double* cpu_ms = nullptr) {
  step();  // warm-up (allocator, first-touch)
  sync(dev);
  std::vector<double> t, c;
  const auto start = Clock::now();
  while (t.size() < 3 || (t.size() < 20 && std::chrono::duration<double>(Clock::now() - start).count() < 2.0)) {
    const auto t0 = Clock::now();
    const double c0 = cpu_seconds();
    step();
    sync(dev);
    c.push_back(1e3 * (cpu_seconds() - c0));
    t.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  std::sort(c.begin(), c.end());
  if (cpu_ms) *cpu_ms = c[c.size() / 2];
  return t[t.size() / 2];
}

// Copy bandwidth of this machine (read + write of a 256 MiB buffer), as a reference line.
double copy_gbps(const torch::Device& dev) {
  auto a = torch::ones({64 << 20}, torch::TensorOptions().device(dev));
  auto b = torch::empty_like(a);
  const double ms = median_ms([&] { b.copy_(a); }, dev);
  return 2.0 * static_cast<double>(a.numel()) * 4.0 / (ms * 1e6);
}

}  // namespace

int main(int argc, char** argv) {
  int64_t max_edges = 1000000;
  std::string device_name = "all";
  std::string only_layer;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--device" && i + 1 < argc)
      device_name = argv[++i];
    else if (a == "--layer" && i + 1 < argc)
      only_layer = argv[++i];
    else if (a == "--help" || a == "-h") {
      std::printf("usage: bench_message_passing [max_edges] [--device cpu|cuda] [--layer NAME]\n");
      return 0;
    } else
      max_edges = std::atoll(a.c_str());
  }
  std::vector<torch::Device> devices;
  if (device_name == "all") {
    devices.emplace_back(torch::kCPU);
    if (gnnx::cuda_available()) devices.emplace_back(torch::kCUDA);
  } else {
    devices.push_back(gnnx::parse_device(device_name));
  }
  const int64_t F = 64;
  const std::string blas = gnnx::blas_name();
  std::printf("bench_message_passing: %lld -> %lld features, fwd + bwd (parameter gradients)\n",
              static_cast<long long>(F), static_cast<long long>(F));
  std::printf("blas: %s, torch threads: %d, tbb threads: %d\n", blas.c_str(), gnnx::torch_threads(),
              tbb::this_task_arena::max_concurrency());
  std::vector<Result> results;
  for (const auto& dev : devices) {
    std::printf("\ndevice %s: copy bandwidth %.1f GB/s\n", dev.str().c_str(), copy_gbps(dev));
    std::printf("%-22s %10s %9s %12s %10s %14s %10s\n", "layer", "edges", "nodes", "fwd+bwd ms", "cpu ms", "edges/s",
                "est. GB/s");
    for (int64_t E : {int64_t{10000}, int64_t{100000}, int64_t{1000000}}) {
      if (E > max_edges) break;
      const int64_t N = E / 10;
      auto gen = gnnx::torch_generator(static_cast<uint64_t>(E));
      auto edge_index = torch::randint(0, N, {2, E}, gen, torch::kLong).to(dev);
      auto x = torch::randn({N, F}, gen).to(dev);
      torch::manual_seed(0);
      std::vector<std::pair<std::string, std::pair<std::shared_ptr<torch::nn::Module>, Forward>>> layers;
      auto add = [&](const std::string& name, auto layer) {
        layer->to(dev);
        auto impl = layer.ptr();
        layers.push_back(
            {name, {impl, [impl](const at::Tensor& xx, const at::Tensor& ei) { return impl->forward(xx, ei); }}});
      };
      gnnx::nn::GCNConv gcn_ref(gnnx::nn::GCNConvOptions(F, F));
      gcn_ref->to(dev);
      add("gcn", gnnx::nn::GCNConv(gnnx::nn::GCNConvOptions(F, F)));
      layers.push_back(
          {"gcn (gather-scatter)", {gcn_ref.ptr(), [gcn_ref](const at::Tensor& xx, const at::Tensor& ei) mutable {
                                      return gcn_gather_scatter(xx, ei, gcn_ref);
                                    }}});
      add("graphconv", gnnx::nn::GraphConv(gnnx::nn::GraphConvOptions(F, F)));
      add("gin", gnnx::nn::GINConv(gnnx::nn::GINConvOptions(F, F)));
      add("sage", gnnx::nn::SAGEConv(gnnx::nn::SAGEConvOptions(F, F)));
      add("sage (max)", gnnx::nn::SAGEConv(gnnx::nn::SAGEConvOptions(F, F).aggr(gnnx::nn::Aggregation::kMax)));
      add("gat", gnnx::nn::GATConv(gnnx::nn::GATConvOptions(F, F)));
      for (auto& [name, lf] : layers) {
        if (!only_layer.empty() && name != only_layer) continue;
        auto& [module, forward] = lf;
        auto step = [&, module = module, forward = forward] {
          module->zero_grad();
          forward(x, edge_index).sum().backward();
        };
        double cpu_ms = 0;
        const double ms = median_ms(step, dev, &cpu_ms);
        const double bytes = 2.0 * (static_cast<double>(E) * (16 + 4) + static_cast<double>(E * F) * 4 +
                                    2.0 * static_cast<double>(N * F) * 4);
        Result r{dev.str(), name, E, N, ms, cpu_ms, static_cast<double>(E) / (ms * 1e-3), bytes / (ms * 1e6)};
        std::printf("%-22s %10lld %9lld %12.2f %10.2f %14.3g %10.1f\n", name.c_str(), static_cast<long long>(E),
                    static_cast<long long>(N), ms, cpu_ms, r.edges_per_s, r.gbps);
        std::fflush(stdout);
        results.push_back(r);
      }
    }
  }
  nlohmann::json j;
  std::string devs;
  for (const auto& d : devices) devs += (devs.empty() ? "" : ",") + d.str();
  j["device"] = devs;
  j["threads"] = std::max(gnnx::torch_threads(), tbb::this_task_arena::max_concurrency());
  j["blas"] = blas;
  j["results"] = nlohmann::json::array();
  for (const auto& r : results)
    j["results"].push_back({{"device", r.device},
                            {"layer", r.layer},
                            {"edges", r.edges},
                            {"nodes", r.nodes},
                            {"fwd_bwd_ms", r.ms},
                            {"cpu_ms", r.cpu_ms},
                            {"edges_per_s", r.edges_per_s},
                            {"est_gbps", r.gbps}});
  std::printf("%s\n", j.dump().c_str());
  return 0;
}
