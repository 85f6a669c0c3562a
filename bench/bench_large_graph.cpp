// Explaining the nodes of BA-Shapes graphs from 10^4 to 10^6 (or more) edges with bounded memory:
// throughput (targets/s) and the memory high-water mark (getrusage ru_maxrss) as the graph grows,
// in three modes: "compact" streams compact explanations (explain_stream with compact: masks on
// each target's computation subgraph, batches sized by those subgraphs), "stream" streams
// explanations with full-graph masks (batches sized by the graph), "one-call" explains every
// target in one Explainer::explain call (only up to --one-call-up-to edges).
//
//   bench_large_graph [--edges 1e4,1e5,1e6] [--methods saliency,gnnexplainer] [--targets 512]
//                     [--modes compact,stream,one-call] [--batch 0] [--one-call-up-to 1e5]
//                     [--device cpu|cuda]
//
// Each measurement runs in a child process (this program run again with --child), so that each
// ru_maxrss is that run's own. A graph is BA-Shapes' construction scaled up: base_nodes BA nodes
// (m = 5), base_nodes * 80 / 300 houses, 1 % random edges; the model is the BA-Shapes reference
// model trained on the standard 700-node graph. --targets caps the explained nodes: every node
// when the graph has fewer, else an evenly spaced sample over all node ids (base and house
// nodes alike). The AUC is pooled over the house nodes among the targets, each against its own
// house, over its computation subgraph's edges (explanation edge_ids), after the timing (a node's
// ground truth is a pass over the whole graph). --device runs the model and
// the graph there (scripts/gpu-check.sh runs it on CUDA); "peak" stays the host's ru_maxrss.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "gnnx/core/device.h"
#include "gnnx/core/runtime.h"
#include "gnnx/datasets/reference.h"
#include "gnnx/datasets/synthetic.h"
#include "gnnx/eval/benchmark.h"
#include "gnnx/explain/explainer.h"
#include "gnnx/explain/explanation_file.h"
#include "gnnx/explain/explanation_stream.h"
#include "gnnx/graph/ops.h"
#include "gnnx/metrics/ground_truth.h"

using namespace gnnx;

namespace {

double rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024.0;
}

std::vector<double> parse_list(const std::string& s) {
  std::vector<double> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(std::stod(item));
  return out;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(item);
  return out;
}

// One measurement: prints one JSON line.
int child(int64_t edges, const std::string& method, int64_t max_targets, int64_t batch, const std::string& mode,
          const std::string& device_name) {
  const bool one_call = mode == "one-call", compact = mode == "compact";
  if (!one_call && !compact && mode != "stream") throw std::runtime_error("unknown mode " + mode);
  const auto device = parse_device(device_name);
  set_runtime_settings(RuntimeSettings().explainer_blas_threads(1));
  const auto t0 = std::chrono::steady_clock::now();
  auto model = datasets::train_reference_model(datasets::make_dataset("ba-shapes", 0), 0).model;
  model->eval();
  model->to(device);
  // BA-Shapes has ~13.8 directed edges per base node: 2 (5 + 80/300 · 7 + 1 % of those).
  const int64_t base = std::max<int64_t>(30, static_cast<int64_t>(edges / 13.8));
  const auto ds = datasets::ba_shapes(datasets::BaShapesOptions().base_nodes(base).num_motifs(base * 80 / 300), 1);
  const Graph g = ds.graphs.front().to(device);
  const double setup_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double rss_graph = rss_mib();
  std::vector<Target> targets;
  const int64_t k = std::min(max_targets, g.num_nodes);
  for (int64_t i = 0; i < k; ++i) targets.push_back(Target::node(i * g.num_nodes / k));
  auto explainer = explain::make_explainer(method);
  const auto motif = ds.node_mask_gt.front();
  // The house targets' explanations, compact (what a caller keeps of a batch); scored after the
  // timing, since a node's ground truth is a pass over the whole graph.
  std::vector<explain::Explanation> houses;
  auto keep = [&](const explain::Explanation& e) {
    if (motif[e.target.index].item<double>() <= 0.5) return;
    houses.push_back(compact ? e : explain::compact_explanation(e, g.num_nodes, g.num_edges()));
  };
  const auto opts = explain::StreamOptions().batch_size(batch).compact(compact);
  const auto t1 = std::chrono::steady_clock::now();
  int64_t b = k;
  if (one_call) {
    for (const auto& e : explainer->explain(*model, g, targets)) keep(e);
  } else {
    b = 0;  // the largest batch the stream made
    explain::explain_stream(
        *explainer, *model, g, targets,
        [&](int64_t, std::vector<explain::Explanation>& ex) {
          b = std::max<int64_t>(b, static_cast<int64_t>(ex.size()));
          for (const auto& e : ex) keep(e);
        },
        opts);
  }
  if (device.is_cuda()) torch::cuda::synchronize();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  std::vector<at::Tensor> scores, labels;
  for (const auto& c : houses) {
    scores.push_back(c.edge_mask.cpu());
    labels.push_back(eval::node_ground_truth(ds, c.target.index).index_select(0, c.edge_ids.cpu()));
  }
  // The targets' computation subgraphs (what each explanation works on), after the timing.
  std::vector<int64_t> ids;
  for (const auto& t : targets) ids.push_back(t.index);
  double sub_edges = 0, sub_edges_max = 0;
  for (const auto& [nodes, edges] : k_hop_sizes(g.to(torch::kCPU), ids, model->receptive_field())) {
    sub_edges += static_cast<double>(edges) / static_cast<double>(ids.size());
    sub_edges_max = std::max(sub_edges_max, static_cast<double>(edges));
  }
  const double auc = scores.empty() ? std::nan("") : metrics::roc_auc(torch::cat(scores), torch::cat(labels));
  nlohmann::json j = {{"edges", g.num_edges()},
                      {"nodes", g.num_nodes},
                      {"method", method},
                      {"device", device.str()},
                      {"mode", mode},
                      {"targets", k},
                      {"batch", b},
                      {"seconds", s},
                      {"targets_per_s", k / s},
                      {"setup_s", setup_s},
                      {"rss_graph_mib", rss_graph},
                      {"max_rss_mib", rss_mib()},
                      {"auc", std::isnan(auc) ? nlohmann::json() : nlohmann::json(auc)},
                      {"house_targets", static_cast<int64_t>(scores.size())},
                      {"subgraph_edges_mean", sub_edges},
                      {"subgraph_edges_max", sub_edges_max}};
  std::cout << j.dump() << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string edges_list = "1e4,1e5,1e6", methods = "saliency,gnnexplainer", modes = "compact,stream,one-call";
  int64_t max_targets = 512, batch = 0;
  double one_call_up_to = 1e5;
  bool is_child = false;
  std::string method, mode = "compact", device = "cpu";
  double edges = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--edges")
      edges_list = next();
    else if (a == "--methods")
      methods = next();
    else if (a == "--targets")
      max_targets = std::stoll(next());
    else if (a == "--batch")
      batch = std::stoll(next());
    else if (a == "--one-call-up-to")
      one_call_up_to = std::stod(next());
    else if (a == "--child")
      is_child = true;
    else if (a == "--method")
      method = next();
    else if (a == "--edge-count")
      edges = std::stod(next());
    else if (a == "--mode")
      mode = next();
    else if (a == "--modes")
      modes = next();
    else if (a == "--device")
      device = next();
    else {
      std::cerr << "bench_large_graph: unknown argument " << a << "\n";
      return 2;
    }
  }
  if (is_child) return child(static_cast<int64_t>(edges), method, max_targets, batch, mode, device);

  nlohmann::json rows = nlohmann::json::array();
  std::cout << std::left << std::setw(13) << "method" << std::setw(10) << "mode" << std::right << std::setw(10)
            << "nodes" << std::setw(11) << "edges" << std::setw(8) << "targets" << std::setw(7) << "batch"
            << std::setw(10) << "seconds" << std::setw(11) << "targets/s" << std::setw(12) << "graph MiB"
            << std::setw(11) << "peak MiB" << std::setw(7) << "AUC"
            << "\n";
  for (const auto& m : split(methods)) {
    for (double e : parse_list(edges_list)) {
      for (const auto& mode_name : split(modes)) {
        if (mode_name == "one-call" && e > one_call_up_to) continue;
        std::ostringstream cmd;
        cmd << "'" << argv[0] << "' --child --method " << m << " --edge-count " << static_cast<int64_t>(e)
            << " --targets " << max_targets << " --batch " << batch << " --device " << device << " --mode "
            << mode_name;
        FILE* p = ::popen(cmd.str().c_str(), "r");
        std::string out;
        char buf[4096];
        while (p && std::fgets(buf, sizeof(buf), p)) out += buf;
        const int status = p ? ::pclose(p) : -1;
        const auto line = out.substr(out.rfind('{') == std::string::npos ? 0 : out.rfind('{'));
        if (status != 0 || line.empty() || line[0] != '{') {
          std::cout << m << " at " << e << " edges (" << mode_name << "): the run failed (status " << status << ")\n";
          rows.push_back({{"method", m}, {"edges_asked", e}, {"mode", mode_name}, {"failed", true}});
          continue;
        }
        const auto j = nlohmann::json::parse(line);
        rows.push_back(j);
        std::cout << std::left << std::setw(13) << m << std::setw(10) << j["mode"].get<std::string>() << std::right
                  << std::setw(10) << j["nodes"].get<int64_t>() << std::setw(11) << j["edges"].get<int64_t>()
                  << std::setw(8) << j["targets"].get<int64_t>() << std::setw(7) << j["batch"].get<int64_t>()
                  << std::fixed << std::setprecision(2) << std::setw(10) << j["seconds"].get<double>() << std::setw(11)
                  << j["targets_per_s"].get<double>() << std::setprecision(0) << std::setw(12)
                  << j["rss_graph_mib"].get<double>() << std::setw(11) << j["max_rss_mib"].get<double>()
                  << std::setprecision(3) << std::setw(7)
                  << (j["auc"].is_null() ? std::nan("") : j["auc"].get<double>()) << "\n"
                  << std::defaultfloat << std::flush;
      }
    }
  }
  std::cout << nlohmann::json(
                   {{"bench", "large_graph"}, {"device", device}, {"threads", torch::get_num_threads()}, {"rows", rows}})
                   .dump()
            << "\n";
  return 0;
}
