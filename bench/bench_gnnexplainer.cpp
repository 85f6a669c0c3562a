// GNNExplainer on every motif node (or every node) of BA-Shapes: one node per optimisation versus all nodes in
// batched optimisations (disjoint union, independent masks; chunks over the TBB threads on CPU,
// one union on CUDA). Same options, same seed, so the masks agree and so should the AUC.
//   bench_gnnexplainer [--device cpu|cuda] [--nodes motif|all] [--epochs 100] [--limit N] [--init-means 0,1]
//                      [--malloc tuned|default]
// --malloc default leaves glibc's malloc settings alone; tuned (the default) calls
// gnnx::tune_malloc() first, as the gnnx command does.
// --nodes all explains all 700 nodes (the whole-graph workload); the AUC is still pooled over the
// motif nodes among them, the only ones with a ground-truth explanation.
// --limit explains only the first N motif nodes one by one (the batched run always does all) to
// keep the slow path short; the per-node rates are compared. --init-means sets
// GNNExplainerOptions::edge_init_means (default: the library's, two runs per node); with one
// mean the one-by-one mode cannot share a union between runs.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>
#include <tbb/task_arena.h>
#include <torch/torch.h>

#include "gnnx/core/device.h"
#include "gnnx/datasets/reference.h"
#include "gnnx/datasets/synthetic.h"
#include "gnnx/eval/benchmark.h"
#include "gnnx/explain/gnn_explainer.h"
#include "gnnx/graph/ops.h"
#include "gnnx/metrics/ground_truth.h"

using namespace gnnx;

namespace {
// Pooled over the motif nodes among `nodes`.
double pooled_auc(const datasets::Dataset& ds, const std::vector<int64_t>& nodes,
                  const std::vector<explain::Explanation>& ex, int64_t hops) {
  std::vector<at::Tensor> s, l;
  const auto motif = ds.node_mask_gt.front();
  const auto subs = k_hop_subgraphs(ds.graphs.front(), nodes, hops);
  for (size_t i = 0; i < ex.size(); ++i) {
    if (motif[nodes[i]].item<double>() <= 0.5) continue;
    const auto& ids = subs[i].edge_ids;
    s.push_back(ex[i].edge_mask.to(torch::kCPU).index_select(0, ids));
    l.push_back(eval::node_ground_truth(ds, nodes[i]).index_select(0, ids));  // the node's own house
  }
  if (s.empty()) return std::nan("");  // no motif node among them (the JSON line shows null)
  return metrics::roc_auc(torch::cat(s).to(torch::kDouble), torch::cat(l));
}
}  // namespace

int main(int argc, char** argv) {
  std::string dev_name = "cpu";
  int64_t epochs = -1, limit = -1;
  std::string which = "motif";
  std::string malloc_mode = "tuned";
  std::vector<double> init_means;
  try {
    for (int i = 1; i + 1 < argc; i += 2) {
      std::string k = argv[i];
      if (k == "--device")
        dev_name = argv[i + 1];
      else if (k == "--epochs")
        epochs = std::stoll(argv[i + 1]);
      else if (k == "--limit")
        limit = std::stoll(argv[i + 1]);
      else if (k == "--nodes" && (std::string(argv[i + 1]) == "motif" || std::string(argv[i + 1]) == "all"))
        which = argv[i + 1];
      else if (k == "--malloc" && (std::string(argv[i + 1]) == "tuned" || std::string(argv[i + 1]) == "default"))
        malloc_mode = argv[i + 1];
      else if (k == "--init-means") {
        std::stringstream ss(argv[i + 1]);
        for (std::string item; std::getline(ss, item, ',');) init_means.push_back(std::stod(item));
      } else {
        std::cerr << "usage: bench_gnnexplainer [--device cpu|cuda] [--nodes motif|all] [--epochs N] [--limit N] "
                     "[--init-means M1,M2,...] [--malloc tuned|default]\n";
        return 2;
      }
    }
  } catch (const std::exception& e) {
    std::cerr << "bench_gnnexplainer: bad argument (" << e.what() << ")\n";
    return 2;
  }
  try {
    if (malloc_mode == "tuned" && !tune_malloc()) malloc_mode = "default (not glibc)";
    const auto device = parse_device(dev_name);
    // Both modes with OpenBLAS at one thread, as the gnnx command runs the explainers
    // (RuntimeSettings::explainer_blas_threads); set once here, since switching the pool on and
    // off around every one-by-one call would slow that mode down and flatter the ratio.
    set_blas_threads(1);
    auto ds = datasets::make_dataset("ba-shapes", 0);
    auto ref = datasets::train_reference_model(ds, 0);
    auto model = ref.model;
    model->to(device);
    model->eval();
    const auto g = ds.graphs.front().to(device);
    std::vector<int64_t> nodes;
    auto gt = ds.node_mask_gt.front();
    for (int64_t v = 0; v < g.num_nodes; ++v)
      if (which == "all" || gt[v].item<double>() > 0.5) nodes.push_back(v);
    std::vector<Target> targets;
    for (auto v : nodes) targets.push_back(Target::node(v));
    auto opts = explain::GNNExplainerOptions().seed(0);
    if (epochs > 0) opts.epochs(epochs);
    if (!init_means.empty()) opts.edge_init_means(init_means);
    explain::GNNExplainer ex(opts);
    const int threads = tbb::this_task_arena::max_concurrency();
    std::cout << "BA-Shapes " << which << " nodes: " << nodes.size() << ", model test acc " << ref.result.test_acc
              << ", device " << device << ", BLAS " << blas_name() << ", torch threads " << torch_threads()
              << ", TBB threads " << threads << ", epochs " << opts.epochs() << ", runs per node "
              << opts.edge_init_means().size() << ", malloc " << malloc_mode << "\n";

    // Batched: the median of 3 runs (about a second each, so one run is at the mercy of the
    // machine's noise); every run gives the same masks.
    std::vector<explain::Explanation> batched;
    std::vector<double> times;
    for (int rep = 0; rep < 3; ++rep) {
      const auto t = std::chrono::steady_clock::now();
      batched = ex.explain(*model, g, targets);
      if (device.is_cuda()) torch::cuda::synchronize();
      times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count());
    }
    std::sort(times.begin(), times.end());
    const double t_batched = times[1];
    auto t0 = std::chrono::steady_clock::now();

    const size_t n1 = limit > 0 ? std::min<size_t>(static_cast<size_t>(limit), nodes.size()) : nodes.size();
    std::vector<explain::Explanation> single;
    t0 = std::chrono::steady_clock::now();
    for (size_t i = 0; i < n1; ++i) single.push_back(ex.explain(*model, g, {targets[i]}).front());
    if (device.is_cuda()) torch::cuda::synchronize();
    const double t_single = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    std::vector<int64_t> nodes1(nodes.begin(), nodes.begin() + static_cast<long>(n1));
    std::vector<explain::Explanation> batched1(batched.begin(), batched.begin() + static_cast<long>(n1));
    const double auc_single = pooled_auc(ds, nodes1, single, model->num_hops());
    const double auc_batched = pooled_auc(ds, nodes, batched, model->num_hops());
    const double auc_batched_same = pooled_auc(ds, nodes1, batched1, model->num_hops());
    double max_diff = 0;
    for (size_t i = 0; i < n1; ++i)
      max_diff = std::max(max_diff, (single[i].edge_mask - batched[i].edge_mask).abs().max().item<double>());
    const double r1 = static_cast<double>(n1) / t_single, rb = static_cast<double>(nodes.size()) / t_batched;
    std::cout << std::left << std::setw(12) << "mode" << std::setw(8) << "nodes" << std::setw(12) << "seconds"
              << std::setw(12) << "nodes/s"
              << "AUC\n"
              << std::setw(12) << "one-by-one" << std::setw(8) << n1 << std::setw(12) << t_single << std::setw(12) << r1
              << auc_single << "\n"
              << std::setw(12) << "batched" << std::setw(8) << nodes.size() << std::setw(12) << t_batched
              << std::setw(12) << rb << auc_batched << " (same nodes as one-by-one: " << auc_batched_same << ")\n"
              << "speed-up per node " << rb / r1 << ", max |mask difference| " << max_diff << "\n";
    nlohmann::json j = {{"device", device.str()},
                        {"threads", threads},
                        {"nodes", which},
                        {"num_nodes", nodes.size()},
                        {"one_by_one_nodes_per_s", r1},
                        {"batched_nodes_per_s", rb},
                        {"ratio", rb / r1},
                        {"auc_one_by_one", auc_single},
                        {"auc_batched", auc_batched},
                        {"init_means", opts.edge_init_means()},
                        {"malloc", malloc_mode}};
    std::cout << j.dump() << std::endl;
  } catch (const std::exception& e) {
    std::cerr << "bench_gnnexplainer: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
