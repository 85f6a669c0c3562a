#include "gnnx/eval/benchmark.h"

#include <set>

#include <chrono>
#include <sstream>

#include <torch/torch.h>

#include "gnnx/core/check.h"
#include "gnnx/explain/baselines.h"
#include "gnnx/explain/gnn_explainer.h"
#include "gnnx/graph/ops.h"
#include "gnnx/metrics/ground_truth.h"

namespace gnnx::eval {
namespace {

std::vector<int64_t> range(int64_t a, int64_t b, int64_t step) {
  std::vector<int64_t> v;
  for (int64_t i = a; i < b; i += step) v.push_back(i);
  return v;
}

std::vector<int64_t> paper_nodes(const std::string& name) {
  if (name == "ba-shapes") return range(400, 700, 5);
  if (name == "ba-community") {
    auto v = range(400, 700, 5);
    auto w = range(1100, 1400, 5);
    v.insert(v.end(), w.begin(), w.end());
    return v;
  }
  if (name == "tree-cycles") return range(511, 871, 6);
  if (name == "tree-grid") return range(511, 800, 1);
  GNNX_CHECK(false, "protocol_nodes: the paper protocol has no node list for dataset \"", name,
             "\"; use motif, all or a list");
  return {};
}

}  // namespace

std::vector<int64_t> protocol_nodes(const datasets::Dataset& ds, const std::string& spec) {
  GNNX_CHECK(ds.task == nn::Task::kNode, "protocol_nodes: ", ds.name, " is a graph-classification dataset");
  const auto gt = ds.node_mask_gt.front().to(torch::kCPU, torch::kDouble).contiguous();
  const double* m = gt.data_ptr<double>();
  const int64_t N = ds.graphs.front().num_nodes;
  std::vector<int64_t> out;
  if (spec == "paper" && ds.name == "infection") {
    // Faber et al. evaluate the nodes whose infection path is unique: node_mask_gt.
    for (int64_t v = 0; v < N; ++v)
      if (m[v] > 0.5) out.push_back(v);
  } else if (spec == "paper") {
    out = paper_nodes(ds.name);
    for (auto v : out)
      GNNX_CHECK(v < N && m[v] > 0.5, "protocol_nodes: paper node ", v, " of ", ds.name,
                 " is not a motif node of this instance");
  } else if (spec == "motif") {
    for (int64_t v = 0; v < N; ++v)
      if (m[v] > 0.5) out.push_back(v);
  } else if (spec == "all") {
    out = range(0, N, 1);
  } else {
    std::stringstream ss(spec);
    std::string tok;
    while (std::getline(ss, tok, ',')) {
      GNNX_CHECK(!tok.empty() && tok.size() < 18 && tok.find_first_not_of("0123456789") == std::string::npos,
                 "protocol_nodes: expected paper, motif, all or comma-separated node ids, got \"", spec, "\"");
      const int64_t v = std::stoll(tok);
      GNNX_CHECK(v < N, "protocol_nodes: node ", v, " is outside ", ds.name, " (", N, " nodes)");
      out.push_back(v);
    }
  }
  GNNX_CHECK(!out.empty(), "protocol_nodes: no nodes selected by \"", spec, "\"");
  return out;
}

at::Tensor node_ground_truth(const datasets::Dataset& ds, int64_t node, GroundTruth ground_truth) {
  GNNX_CHECK(ds.task == nn::Task::kNode && !ds.graphs.empty(), "node_ground_truth: ", ds.name,
             " is not a node-task dataset");
  const auto& g = ds.graphs.front();
  GNNX_CHECK(node >= 0 && node < g.num_nodes, "node_ground_truth: node ", node, " is outside ", ds.name, " (",
             g.num_nodes, " nodes)");
  GNNX_CHECK(!ds.edge_mask_gt.empty() && ds.edge_mask_gt.front().numel() == g.num_edges(),
             "node_ground_truth: ", ds.name, " has no edge ground truth [", g.num_edges(), "]");
  auto gt = ds.edge_mask_gt.front().to(torch::kCPU, torch::kFloat);
  if (ground_truth == GroundTruth::kAnyMotif) return gt;
  if (ds.name == "infection") {
    // The node's own infection path: its unique shortest path to an infected node (x[:, 1]).
    const auto ei = g.edge_index.to(torch::kCPU);
    const auto infected = torch::nonzero(g.x.select(1, 1).to(torch::kCPU) > 0.5).squeeze(1);
    const auto paths = datasets::infection_paths(
        g, std::vector<int64_t>(infected.data_ptr<int64_t>(), infected.data_ptr<int64_t>() + infected.numel()));
    auto own = torch::zeros_like(gt);
    if (ds.node_mask_gt.front()[node].item<float>() < 0.5f) return own;
    std::set<std::pair<int64_t, int64_t>> on_path;
    const auto p = paths.path(node);
    for (size_t k = 0; k + 1 < p.size(); ++k) on_path.insert({p[k + 1], p[k]});  // source -> target
    auto e = ei.accessor<int64_t, 2>();
    auto o = own.accessor<float, 1>();
    for (int64_t k = 0; k < ei.size(1); ++k)
      if (on_path.count({e[0][k], e[1][k]})) o[k] = 1.f;
    return own;
  }
  GNNX_CHECK(!ds.motif_id.empty() && ds.motif_id.front().numel() == g.num_nodes, "node_ground_truth: ", ds.name,
             " has no motif ids [", g.num_nodes, "]");
  const auto mid = ds.motif_id.front().to(torch::kCPU);
  const auto m = mid[node].item<int64_t>();
  if (m < 0) return torch::zeros_like(gt);
  const auto ei = g.edge_index.to(torch::kCPU);
  const auto inside = mid.index_select(0, ei[0]).eq(m).logical_and(mid.index_select(0, ei[1]).eq(m));
  return gt * inside.to(torch::kFloat);
}

BenchmarkRun run_benchmark(explain::Explainer& explainer, nn::GNNModel& model, const datasets::Dataset& ds,
                           const std::string& spec, c10::Device device, GroundTruth ground_truth, int64_t eval_hops) {
  ds.validate("run_benchmark");
  GNNX_CHECK(eval_hops >= 0, "run_benchmark: eval_hops must be >= 0 (0: the model's hops), got ", eval_hops);
  GNNX_CHECK(eval_hops == 0 || ds.task == nn::Task::kNode,
             "run_benchmark: eval_hops is for node tasks (graph tasks pool "
             "every edge of each graph), got ",
             eval_hops, " on ", ds.name);
  const int64_t hops = eval_hops > 0 ? eval_hops : model.num_hops();
  BenchmarkRun r;
  r.ground_truth = ground_truth;
  std::vector<at::Tensor> scores, labels;
  const auto t0 = std::chrono::steady_clock::now();
  if (ds.task == nn::Task::kNode) {
    r.protocol = spec;
    r.items = protocol_nodes(ds, spec);
    const auto g = ds.graphs.front().to(device);
    std::vector<Target> targets;
    for (auto v : r.items) targets.push_back(Target::node(v));
    r.explanations = explainer.explain(model, g, targets);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const auto subs = k_hop_subgraphs(ds.graphs.front(), r.items, hops);
    for (size_t i = 0; i < r.explanations.size(); ++i) {
      const auto& e = r.explanations[i];
      GNNX_CHECK(e.edge_mask.defined(), "run_benchmark: method ", explainer.name(), " gives no edge mask");
      const auto& ids = subs[i].edge_ids;
      scores.push_back(e.edge_mask.detach().to(torch::kCPU).index_select(0, ids));
      labels.push_back(node_ground_truth(ds, r.items[i], ground_truth).index_select(0, ids));
    }
  } else {
    r.protocol = "test-graphs";
    auto ids = ds.split.test.to(torch::kCPU).contiguous();
    std::vector<Graph> graphs;
    for (int64_t i = 0; i < ids.numel(); ++i) {
      r.items.push_back(ids.data_ptr<int64_t>()[i]);
      graphs.push_back(ds.graphs[static_cast<size_t>(r.items.back())].to(device));
    }
    r.explanations = explainer.explain_graphs(model, graphs);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (size_t i = 0; i < r.explanations.size(); ++i) {
      GNNX_CHECK(r.explanations[i].edge_mask.defined(), "run_benchmark: method ", explainer.name(),
                 " gives no edge mask");
      scores.push_back(r.explanations[i].edge_mask.detach().to(torch::kCPU));
      labels.push_back(ds.edge_mask_gt[static_cast<size_t>(r.items[i])]);
    }
  }
  r.auc = metrics::roc_auc(torch::cat(scores).to(torch::kDouble), torch::cat(labels));
  return r;
}

}  // namespace gnnx::eval
