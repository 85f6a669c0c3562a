#include "explain/instances.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <tuple>
#include <utility>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>
#include <torch/torch.h>

#include "gnnx/core/check.h"
#include "gnnx/core/device.h"
#include "gnnx/core/runtime.h"
#include "gnnx/explain/explanation_file.h"
#include "gnnx/graph/ops.h"
#include "gnnx/nn/conv/gat_conv.h"
#include "gnnx/nn/conv/gin_conv.h"
#include "gnnx/nn/conv/graph_conv.h"
#include "gnnx/nn/conv/sage_conv.h"
#include "gnnx/nn/functional/scatter.h"
#include "gnnx/nn/message_passing.h"

namespace gnnx::explain::detail {
namespace {

// "node 3", "graph 0", "link 1 -> 2": the target without its class.
std::string row_name(const Target& t) {
  const auto text = gnnx::to_string(t);
  return text.substr(0, text.find(" ("));
}

// The explained output of target t: given, or the model's own (its class, or a regression
// model's single output), or the true class for a phenomenon explanation.
int64_t resolve_label(nn::GNNModel& model, int64_t given, const at::Tensor& outputs, const at::Tensor& truth,
                      bool phenomenon, const std::string& op, const Target& t) {
  const bool regression = model.mode() == nn::Mode::kRegression;
  GNNX_CHECK(!phenomenon || !regression, op, ": the phenomenon explanation of ", gnnx::to_string(t),
             " needs a class, but the model is a regression model (explain the model's output instead)");
  if (given >= 0 || !phenomenon) return nn::explained_output(model, outputs, given, op + " (" + row_name(t) + ")");
  GNNX_CHECK(truth.defined(), op, ": the phenomenon explanation of ", gnnx::to_string(t),
             " needs true labels, but the graph has no y");
  const int64_t label = truth.item<int64_t>();
  GNNX_CHECK(label >= 0 && label < outputs.numel(), op, ": the true label ", label, " of ", gnnx::to_string(t),
             " is not a class of the model's ", outputs.numel());
  return label;
}

}  // namespace

uint64_t mix_seed(uint64_t a, uint64_t b) {
  auto sm = [](uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  return sm(a ^ sm(b));
}

void check_model_graph(nn::GNNModel& model, const Graph& graph, const std::string& op) {
  // A one-class cross-entropy is 0 whatever the mask: nothing to explain by.
  GNNX_CHECK(model.mode() == nn::Mode::kRegression || model.num_classes() >= 2, op,
             ": the classifier has one class, whose cross-entropy is 0 whatever the input; a single logit is "
             "explained as a value: declare the model a regression model (nn::Mode::kRegression, gnnx explain --mode "
             "regression)");
  graph.validate(op, /*allow_empty=*/false);
  GNNX_CHECK(graph.has_features(), op, ": the graph has no node features x");
  GNNX_CHECK(graph.x.size(1) == model.in_channels(), op, ": the model takes ", model.in_channels(),
             " input features but the graph's x has ", graph.x.size(1));
}

std::vector<int64_t> hop_distances(const Graph& g, int64_t center, int64_t k) {
  auto ei = g.edge_index.to(torch::kCPU).contiguous();
  const int64_t E = ei.size(1);
  const auto* src = ei.data_ptr<int64_t>();
  const auto* dst = src + E;
  std::vector<int64_t> dist(static_cast<size_t>(g.num_nodes), k + 1);
  dist[static_cast<size_t>(center)] = 0;
  for (int64_t h = 1; h <= k; ++h)
    for (int64_t e = 0; e < E; ++e)
      if (dist[static_cast<size_t>(dst[e])] == h - 1 && dist[static_cast<size_t>(src[e])] > h)
        dist[static_cast<size_t>(src[e])] = h;
  return dist;
}

// Ids of g's edges whose target lies fewer than k hops (along edge directions) from center, and
// every node's hop distance (k + 1 where farther).
std::pair<at::Tensor, at::Tensor> live_edges(const Graph& g, int64_t center, int64_t k) {
  const auto dist = hop_distances(g, center, k);
  const auto ei = g.edge_index.to(torch::kCPU).contiguous();
  const int64_t E = ei.size(1);
  const auto* dst = ei.data_ptr<int64_t>() + E;
  std::vector<int64_t> live;
  for (int64_t e = 0; e < E; ++e)
    if (dist[static_cast<size_t>(dst[e])] < k) live.push_back(e);
  return {torch::tensor(live, torch::kLong).to(g.edge_index.device()), torch::tensor(dist, torch::kLong)};
}

namespace {

// The explained prediction must be the model's prediction on the whole graph: runs the model on
// the instances' computation subgraphs (in unions of at most 256) and compares each target's
// logits with its full-graph logits.
void check_cut_logits(nn::GNNModel& model, const std::vector<Instance>& insts, int64_t reach, const std::string& op) {
  torch::NoGradGuard ng;
  EvalGuard eg(model);
  constexpr size_t kChunk = 256;
  for (size_t a = 0; a < insts.size(); a += kChunk) {
    std::vector<const Instance*> part;
    for (size_t i = a; i < std::min(insts.size(), a + kChunk); ++i) part.push_back(&insts[i]);
    const auto u = make_union(part, /*graph_task=*/false);
    const auto cut = union_logits(model, u, u.graph.x).to(torch::kCPU, torch::kDouble);
    for (size_t b = 0; b < part.size(); ++b) {
      const auto full = part[b]->logits.to(torch::kDouble);
      const double diff = (cut[static_cast<int64_t>(b)] - full).abs().max().item<double>();
      const double scale = std::max(1.0, full.abs().max().item<double>());
      GNNX_CHECK(diff <= 1e-4 * scale, op, ": ", row_name(part[b]->target), "'s logits on its ",
                 reach >= 0 ? std::to_string(reach) + "-hop computation subgraph" : std::string("graph"),
                 " differ from its logits on the whole graph by ", diff,
                 "; the model reads farther than its receptive_field() (", reach,
                 ") says: override GNNModel::receptive_field() (or return -1 to explain on the whole graph)");
    }
  }
}

}  // namespace

std::vector<Instance> make_instances(nn::GNNModel& model, const Graph& graph, const std::vector<Target>& targets,
                                     bool phenomenon, const std::string& op) {
  GNNX_CHECK(!targets.empty(), op, ": expected at least one target, got an empty list");
  check_model_graph(model, graph, op);
  if (model.task() == nn::Task::kGraph) {
    GNNX_CHECK(targets.size() == 1 && targets[0].kind == Target::Kind::kGraph && targets[0].index == 0, op,
               ": a graph classifier explains its one graph as Target::graph(0), got ", targets.size(),
               " target(s), the first ", gnnx::to_string(targets[0]), " (use explain_graphs for many graphs)");
    return make_graph_instances(model, {graph}, {targets[0].label}, phenomenon, op);
  }
  if (model.task() == nn::Task::kLink) return make_link_instances(model, graph, targets, phenomenon, op);
  for (const auto& t : targets) {
    GNNX_CHECK(t.kind == Target::Kind::kNode, op, ": a node classifier explains node targets, got ",
               gnnx::to_string(t));
    GNNX_CHECK(t.index >= 0 && t.index < graph.num_nodes, op, ": node ", t.index, " is outside the graph of ",
               graph.num_nodes, " nodes");
  }
  at::Tensor pred, full_logits;
  {
    torch::NoGradGuard ng;
    EvalGuard eg(model);
    nn::IndexRangeScope ranges(graph.edge_index);  // measured once for all layers
    auto logits = model.forward(graph.x, graph.edge_index, graph.edge_weight);
    GNNX_CHECK(logits.dim() == 2 && logits.size(0) == graph.num_nodes, op, ": the model returned ", logits.sizes(),
               " for a graph of ", graph.num_nodes, " nodes");
    full_logits = logits.to(torch::kCPU);
    GNNX_CHECK(full_logits.size(1) == model.num_classes(), op, ": the model returned ", full_logits.size(1),
               " outputs per node, but says it has num_classes() = ", model.num_classes());
    pred = full_logits.argmax(1);
  }
  auto y = graph.has_labels() ? graph.y.to(torch::kCPU) : at::Tensor();
  GNNX_CHECK(!phenomenon || !y.defined() || y.size(0) == graph.num_nodes, op, ": node labels y must have ",
             graph.num_nodes, " entries, got ", y.sizes());
  // Trimmed layout depth: edges into nodes K or more hops away cannot reach the target. (A
  // model whose stated receptive field is shorter runs untrimmed, and the cut check names it.)
  const int64_t k = model.trimmed_hops();
  const int64_t reach = model.receptive_field();
  const bool prune = k > 0 && (reach < 0 || reach >= k);
  std::vector<int64_t> labels, centers;
  for (const auto& t : targets) {
    auto truth = y.defined() && y.size(0) == graph.num_nodes ? y[t.index] : at::Tensor();
    labels.push_back(resolve_label(model, t.label, full_logits[t.index], truth, phenomenon, op, t));
    centers.push_back(t.index);
  }
  // Subgraphs are cut on the CPU, all at once: on a GPU each would be dozens of tiny kernels and
  // host syncs, and one by one each would scan the whole graph.
  const auto dev = graph.device();
  const Graph host = dev.is_cpu() ? graph : graph.to(torch::kCPU);
  auto subs = computation_subgraphs(host, centers, reach);
  std::vector<Instance> out(targets.size());
  tbb::parallel_for(tbb::blocked_range<size_t>(0, targets.size()), [&](const tbb::blocked_range<size_t>& r) {
    for (size_t i = r.begin(); i != r.end(); ++i) {
      auto& sub = subs[i];
      Instance& inst = out[i];
      inst.target = Target::node(targets[i].index, labels[i]);
      inst.center = sub.center.item<int64_t>();
      // The Laplacian's per-node prediction: the class, or the explained output's value.
      inst.node_pred = model.mode() == nn::Mode::kRegression
                           ? full_logits.select(1, labels[i]).index_select(0, sub.node_ids)
                           : pred.index_select(0, sub.node_ids);
      inst.logits = full_logits[targets[i].index];
      inst.regression = model.mode() == nn::Mode::kRegression;
      if (prune) {
        std::tie(inst.live_edges, inst.hops) = live_edges(sub.graph, inst.center, k);
        inst.num_hops = k;
      }
      inst.graph = sub.graph;
      inst.host_edge_index = sub.graph.edge_index;
      inst.edge_ids = sub.edge_ids;
      inst.node_ids = sub.node_ids;
      inst.key = targets[i].index;
      inst.full_num_nodes = graph.num_nodes;
      inst.full_num_edges = graph.num_edges();
    }
  });
  if (!dev.is_cpu())
    for (auto& inst : out) inst.graph = inst.graph.to(dev);
  check_cut_logits(model, out, reach, op);
  return out;
}

std::vector<Instance> make_link_instances(nn::GNNModel& model, const Graph& graph, const std::vector<Target>& targets,
                                          bool phenomenon, const std::string& op) {
  GNNX_CHECK(!phenomenon, op,
             ": the phenomenon explanation of a link needs its true class, which the graph does not carry; explain "
             "the model's prediction (explanation_type model)");
  const int64_t N = graph.num_nodes;
  std::vector<int64_t> src, dst;
  for (const auto& t : targets) {
    GNNX_CHECK(t.kind == Target::Kind::kLink, op, ": a link predictor explains links (Target::link(u, v)), got ",
               gnnx::to_string(t));
    GNNX_CHECK(t.index >= 0 && t.index < N && t.other >= 0 && t.other < N, op, ": ", gnnx::to_string(t),
               " has a node outside the graph of ", N, " nodes");
    src.push_back(t.index);
    dst.push_back(t.other);
  }
  const auto B = static_cast<int64_t>(targets.size());
  at::Tensor full;
  {
    torch::NoGradGuard ng;
    EvalGuard eg(model);
    nn::IndexRangeScope ranges(graph.edge_index);
    const auto pairs = torch::stack({torch::tensor(src, torch::kLong), torch::tensor(dst, torch::kLong)})
                           .view({2, B})
                           .to(graph.edge_index.device());
    full = model.forward_links(graph.x, graph.edge_index, graph.edge_weight, pairs).to(torch::kCPU);
    GNNX_CHECK(full.dim() == 2 && full.size(0) == B && full.size(1) == model.num_classes(), op, ": the model returned ",
               full.sizes(), " for ", B, " links, expected [", B, ", ", model.num_classes(), "]");
  }
  const int64_t reach = model.receptive_field();
  const auto dev = graph.device();
  const Graph host = dev.is_cpu() ? graph : graph.to(torch::kCPU);
  std::vector<Instance> out(targets.size());
  for (size_t i = 0; i < targets.size(); ++i) {
    const auto& t = targets[i];
    Instance& inst = out[i];
    inst.target = Target::link(t.index, t.other,
                               nn::explained_output(model, full[static_cast<int64_t>(i)], t.label,
                                                    op + " (" + row_name(t) + ")"));
    // The union of both endpoints' computation subgraphs (the whole graph when the reach is unknown).
    Subgraph sub;
    if (reach >= 0) {
      sub = k_hop_subgraph(host, torch::tensor({t.index, t.other}, torch::kLong), reach);
    } else {
      sub.graph = host;
      sub.node_ids = torch::arange(N, torch::kLong);
      sub.edge_ids = torch::arange(host.num_edges(), torch::kLong);
      sub.center = torch::tensor({t.index, t.other}, torch::kLong);
    }
    inst.center = sub.center[0].item<int64_t>();
    inst.center2 = sub.center[1].item<int64_t>();
    inst.logits = full[static_cast<int64_t>(i)];
    inst.regression = model.mode() == nn::Mode::kRegression;
    inst.graph = dev.is_cpu() ? sub.graph : sub.graph.to(dev);
    inst.host_edge_index = sub.graph.edge_index;
    inst.edge_ids = sub.edge_ids;
    inst.node_ids = sub.node_ids;
    inst.key = t.index * N + t.other;
    inst.full_num_nodes = N;
    inst.full_num_edges = graph.num_edges();
  }
  check_cut_logits(model, out, reach, op);
  return out;
}

std::vector<Instance> make_graph_instances(nn::GNNModel& model, const std::vector<Graph>& graphs,
                                           const std::vector<int64_t>& labels, bool phenomenon, const std::string& op) {
  GNNX_CHECK(!graphs.empty(), op, ": expected at least one graph, got an empty list");
  GNNX_CHECK(model.task() == nn::Task::kGraph, op, ": explaining whole graphs needs a graph classifier, got a ",
             nn::to_string(model.task()), " classifier");
  GNNX_CHECK(labels.empty() || labels.size() == graphs.size(), op, ": expected one label per graph (", graphs.size(),
             "), got ", labels.size());
  std::vector<Instance> out;
  for (size_t i = 0; i < graphs.size(); ++i) {
    const auto& g = graphs[i];
    check_model_graph(model, g, op + " (graph " + std::to_string(i) + ")");
    at::Tensor logits;
    {
      torch::NoGradGuard ng;
      EvalGuard eg(model);
      logits = model.forward(g.x, g.edge_index, g.edge_weight, {}, 1).to(torch::kCPU);
      GNNX_CHECK(logits.dim() == 2 && logits.size(0) == 1, op, ": the model returned ", logits.sizes(),
                 " for one graph, expected [1, classes]");
    }
    const auto t = Target::graph(static_cast<int64_t>(i), labels.empty() ? -1 : labels[i]);
    Instance inst;
    auto truth = g.has_labels() ? g.y.reshape({-1})[0].to(torch::kCPU) : at::Tensor();
    inst.target = Target::graph(t.index, resolve_label(model, t.label, logits[0], truth, phenomenon, op, t));
    inst.logits = logits[0];
    inst.regression = model.mode() == nn::Mode::kRegression;
    inst.graph = g;
    inst.host_edge_index = g.edge_index.to(torch::kCPU);
    inst.edge_ids = torch::arange(g.num_edges(), torch::kLong);
    inst.node_ids = torch::arange(g.num_nodes, torch::kLong);
    inst.key = static_cast<int64_t>(i);
    inst.full_num_nodes = g.num_nodes;
    inst.full_num_edges = g.num_edges();
    out.push_back(std::move(inst));
  }
  return out;
}

namespace {

// Lays the union out for GNNModel::forward_trimmed: nodes by (hop, instance, id), live edges by
// (hop of their target, instance, id). Counting passes on the CPU, once per union.
void trim_layout(Union& u, const std::vector<const Instance*>& instances, const at::Tensor& host_edge_index) {
  const int64_t k = instances.front()->num_hops, B = u.size(), N = u.graph.num_nodes;
  const auto dev = u.graph.device();
  std::vector<const int64_t*> hop(static_cast<size_t>(B));
  std::vector<at::Tensor> hops_keep;  // owns the CPU copies hop[] points into
  for (int64_t b = 0; b < B; ++b) {
    hops_keep.push_back(instances[static_cast<size_t>(b)]->hops.to(torch::kCPU, torch::kLong).contiguous());
    hop[static_cast<size_t>(b)] = hops_keep.back().data_ptr<int64_t>();
  }
  // Nodes: one bucket per hop 0..k+1, filled instance by instance.
  std::vector<std::vector<int64_t>> by_hop(static_cast<size_t>(k) + 2);
  for (int64_t b = 0; b < B; ++b) {
    const int64_t lo = u.node_off[static_cast<size_t>(b)], hi = u.node_off[static_cast<size_t>(b) + 1];
    int64_t centers = 0;
    for (int64_t v = lo; v < hi; ++v) {
      const int64_t h = std::min(hop[static_cast<size_t>(b)][v - lo], k + 1);
      centers += h == 0;
      by_hop[static_cast<size_t>(h)].push_back(v);
    }
    GNNX_CHECK(centers == 1, "explainer union: instance ", b, " has ", centers, " target nodes, expected 1");
  }
  std::vector<int64_t> order, pos(static_cast<size_t>(N));
  order.reserve(static_cast<size_t>(N));
  for (size_t h = 0; h < by_hop.size(); ++h) {
    for (int64_t v : by_hop[h]) {
      pos[static_cast<size_t>(v)] = static_cast<int64_t>(order.size());
      order.push_back(v);
    }
    if (static_cast<int64_t>(h) < k) u.nodes_per_hop.push_back(static_cast<int64_t>(order.size()));
  }
  // Live edges: bucketed by their target's hop (< k by construction), instance by instance.
  auto ei = host_edge_index.contiguous();
  const int64_t E = ei.size(1);
  const int64_t* src = ei.data_ptr<int64_t>();
  const int64_t* dst = src + E;
  std::vector<std::vector<int64_t>> edges(static_cast<size_t>(k));
  for (int64_t b = 0; b < B; ++b) {
    const auto* inst = instances[static_cast<size_t>(b)];
    auto live = inst->live_edges.to(torch::kLong).contiguous();
    const int64_t* lp = live.data_ptr<int64_t>();
    const int64_t eo = u.edge_off[static_cast<size_t>(b)], no = u.node_off[static_cast<size_t>(b)];
    for (int64_t i = 0; i < live.numel(); ++i) {
      const int64_t e = eo + lp[i];
      const int64_t h = hop[static_cast<size_t>(b)][dst[e] - no];
      GNNX_CHECK(h >= 0 && h < k, "explainer union: a live edge of instance ", b, " enters a node ", h,
                 " hops away, expected < ", k);
      edges[static_cast<size_t>(h)].push_back(e);
    }
  }
  std::vector<int64_t> live, new_ei;
  for (const auto& bucket : edges) {
    live.insert(live.end(), bucket.begin(), bucket.end());
    u.edges_per_hop.push_back(static_cast<int64_t>(live.size()));
  }
  new_ei.resize(2 * live.size());
  for (size_t i = 0; i < live.size(); ++i) {
    new_ei[i] = pos[static_cast<size_t>(src[live[i]])];
    new_ei[live.size() + i] = pos[static_cast<size_t>(dst[live[i]])];
  }
  u.live = torch::tensor(live, torch::kLong).to(dev);
  u.live_edge_index = torch::tensor(new_ei, torch::kLong).view({2, static_cast<int64_t>(live.size())}).to(dev);
  if (u.graph.has_edge_weight()) u.live_edge_weight = u.graph.edge_weight.index_select(0, u.live);
  u.node_order = torch::tensor(order, torch::kLong).to(dev);
  u.x_ordered = u.graph.x.index_select(0, u.node_order);
  u.trimmed = true;
}

}  // namespace

Union make_union(const std::vector<const Instance*>& instances, bool graph_task) {
  Union u;
  u.graph_task = graph_task;
  const auto dev = instances.front()->graph.device();
  // Index tensors are assembled on the CPU and moved once; features stay on the device.
  const auto lopt = torch::TensorOptions().dtype(torch::kLong);
  std::vector<at::Tensor> eis, xs, ews, eseg, nseg;
  std::vector<int64_t> centers, centers2, labels;
  std::vector<double> nn_count;
  u.edge_off = {0};
  u.node_off = {0};
  bool weighted = instances.front()->graph.has_edge_weight();
  for (size_t b = 0; b < instances.size(); ++b) {
    const auto& g = instances[b]->graph;
    GNNX_CHECK(g.has_edge_weight() == weighted, "GNNExplainer: every instance's graph must have edge weights, or none");
    eis.push_back(instances[b]->host_edge_index + u.node_off.back());
    xs.push_back(g.x);
    if (weighted) ews.push_back(g.edge_weight);
    eseg.push_back(torch::full({g.num_edges()}, static_cast<int64_t>(b), lopt));
    nseg.push_back(torch::full({g.num_nodes}, static_cast<int64_t>(b), lopt));
    centers.push_back(u.node_off.back() + std::max<int64_t>(instances[b]->center, 0));
    centers2.push_back(u.node_off.back() + std::max<int64_t>(instances[b]->center2, 0));
    labels.push_back(instances[b]->target.label);
    nn_count.push_back(static_cast<double>(g.num_nodes));
    u.edge_off.push_back(u.edge_off.back() + g.num_edges());
    u.node_off.push_back(u.node_off.back() + g.num_nodes);
  }
  bool pruned = false;
  for (const auto* inst : instances) pruned = pruned || inst->live_edges.defined();
  if (pruned) {
    std::vector<at::Tensor> lives;
    for (size_t b = 0; b < instances.size(); ++b) {
      const auto* inst = instances[b];
      auto l = inst->live_edges.defined() ? inst->live_edges : torch::arange(inst->graph.num_edges(), lopt);
      lives.push_back(l + u.edge_off[b]);
    }
    u.live = torch::cat(lives).to(dev);
  }
  const auto host_ei = torch::cat(eis, 1);
  u.graph.edge_index = host_ei.to(dev);
  u.graph.num_nodes = u.node_off.back();
  u.graph.x = torch::cat(xs, 0);
  if (weighted) u.graph.edge_weight = torch::cat(ews, 0);
  u.edge_seg = torch::cat(eseg, 0).to(dev);
  u.node_seg = torch::cat(nseg, 0).to(dev);
  u.centers = torch::tensor(centers, torch::kLong).to(dev);
  u.link = instances.front()->center2 >= 0;
  if (u.link) u.centers2 = torch::tensor(centers2, torch::kLong).to(dev);
  bool trim = pruned && !graph_task;
  for (const auto* inst : instances)
    trim = trim && inst->hops.defined() && inst->num_hops == instances.front()->num_hops && inst->num_hops > 0;
  if (trim) {
    trim_layout(u, instances, host_ei);
  } else {
    // The edges union_logits runs, selected once here rather than every epoch.
    u.live_edge_index = u.live.defined() ? u.graph.edge_index.index_select(1, u.live) : u.graph.edge_index;
    u.live_edge_weight = u.live.defined() && weighted ? u.graph.edge_weight.index_select(0, u.live)
                                                      : u.graph.edge_weight;
  }
  u.labels = torch::tensor(labels, torch::kLong).to(dev);
  u.regression = instances.front()->regression;
  if (u.regression) {
    std::vector<at::Tensor> values;
    for (const auto* inst : instances) values.push_back(inst->logits[inst->target.label]);
    u.values = torch::stack(values).to(dev, u.graph.x.scalar_type());
  }
  u.num_nodes = torch::tensor(nn_count, torch::TensorOptions().dtype(u.graph.x.scalar_type())).to(dev);
  return u;
}

namespace {

// The undirected pairing of one edge list on the host: src/dst [E] with ids in [0, n); writes pair[E], returns P.
// The (min, max) keys are sorted by two stable counting sorts (by max, then by min), O(n + E),
// and a pair opens wherever the sorted key changes.
int64_t pair_edges(const int64_t* src, const int64_t* dst, int64_t E, int64_t n, int64_t* pair) {
  std::vector<int64_t> count(static_cast<size_t>(n) + 1), tmp(static_cast<size_t>(E)), order(static_cast<size_t>(E));
  auto lo = [&](int64_t e) { return std::min(src[e], dst[e]); };
  auto hi = [&](int64_t e) { return std::max(src[e], dst[e]); };
  auto counting_sort = [&](const std::vector<int64_t>* in, std::vector<int64_t>& out, auto key) {
    std::fill(count.begin(), count.end(), 0);
    for (int64_t i = 0; i < E; ++i) ++count[static_cast<size_t>(key(in ? (*in)[static_cast<size_t>(i)] : i)) + 1];
    for (int64_t v = 0; v < n; ++v) count[static_cast<size_t>(v) + 1] += count[static_cast<size_t>(v)];
    for (int64_t i = 0; i < E; ++i) {
      const int64_t e = in ? (*in)[static_cast<size_t>(i)] : i;
      out[static_cast<size_t>(count[static_cast<size_t>(key(e))]++)] = e;
    }
  };
  counting_sort(nullptr, tmp, hi);
  counting_sort(&tmp, order, lo);
  int64_t P = 0;
  for (int64_t i = 0; i < E; ++i) {
    const int64_t e = order[static_cast<size_t>(i)];
    if (i > 0) {
      const int64_t f = order[static_cast<size_t>(i) - 1];
      P += lo(e) != lo(f) || hi(e) != hi(f);
    }
    pair[e] = P;
  }
  return E > 0 ? P + 1 : 0;
}

}  // namespace

at::Tensor union_pairs(const std::vector<const Instance*>& instances, int64_t& num_pairs) {
  // Pairs never cross instances, so each instance is paired on its own (in parallel) and its
  // ids shifted by the pairs before it: the numbering a pairing of the whole union would give,
  // since the union numbers an instance's nodes after the previous instance's.
  const size_t B = instances.size();
  std::vector<int64_t> off(B + 1, 0), P(B, 0);
  for (size_t b = 0; b < B; ++b) off[b + 1] = off[b] + instances[b]->host_edge_index.size(1);
  auto pair = torch::empty({off[B]}, torch::kLong);
  auto* p = pair.data_ptr<int64_t>();
  tbb::parallel_for(tbb::blocked_range<size_t>(0, B), [&](const tbb::blocked_range<size_t>& r) {
    for (size_t b = r.begin(); b != r.end(); ++b) {
      const auto ei = instances[b]->host_edge_index.contiguous();
      const int64_t E = ei.size(1);
      P[b] = pair_edges(ei.data_ptr<int64_t>(), ei.data_ptr<int64_t>() + E, E, instances[b]->graph.num_nodes,
                        p + off[b]);
    }
  });
  num_pairs = 0;
  for (size_t b = 0; b < B; ++b) {
    for (int64_t i = off[b]; i < off[b + 1]; ++i) p[i] += num_pairs;
    num_pairs += P[b];
  }
  return pair.to(instances.front()->graph.device());
}

at::Tensor union_logits(nn::GNNModel& model, const Union& u, const at::Tensor& x, const at::Tensor& edge_mask,
                        nn::MaskPlacement placement) {
  const auto& ei = u.live_edge_index;
  const auto& ew = u.live_edge_weight;
  std::unique_ptr<nn::EdgeMaskScope> scope;
  if (edge_mask.defined())
    scope = std::make_unique<nn::EdgeMaskScope>(u.live.defined() ? edge_mask.index_select(0, u.live) : edge_mask,
                                                placement);
  if (u.graph_task) return model.forward(x, ei, ew, u.node_seg, u.size());
  if (u.link) return model.forward_links(x, ei, ew, torch::stack({u.centers, u.centers2}));
  if (u.trimmed) {
    // Unmasked features are the same every epoch: reordered once, in trim_layout.
    const auto xo = x.is_same(u.graph.x) ? u.x_ordered : x.index_select(0, u.node_order);
    return model.forward_trimmed(xo, ei, ew, u.nodes_per_hop, u.edges_per_hop);
  }
  return model.forward(x, ei, ew).index_select(0, u.centers);
}

at::Tensor prediction_loss(const Union& u, const at::Tensor& outputs) {
  if (!u.regression)
    return torch::nn::functional::cross_entropy(
        outputs, u.labels, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));
  return (outputs.gather(1, u.labels.view({-1, 1})).squeeze(1) - u.values).pow(2);
}

at::Tensor explained_outputs(const Union& u, const at::Tensor& outputs) {
  return outputs.gather(1, u.labels.view({-1, 1})).squeeze(1);
}

std::vector<Explanation> timed_explanations(const std::function<std::vector<Explanation>()>& run, double train_s) {
  const auto t0 = std::chrono::steady_clock::now();
  auto out = run();
  const double explain_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (auto& e : out) {
    e.diagnostics["train_seconds"] = train_s;
    e.diagnostics["explain_seconds"] = explain_s;
  }
  return out;
}

void add_index_ranges(const Union& u, nn::IndexRangeScope& ranges) {
  const auto& ei = u.live_edge_index;
  ranges.add(ei);
  if (u.graph_task) ranges.add(u.node_seg);
  // The very views forward_trimmed makes (same storage, offset, sizes and strides).
  if (u.trimmed)
    for (const int64_t e : u.edges_per_hop) ranges.add(ei.slice(1, 0, e));
}

ExplainerBlasThreads::ExplainerBlasThreads() : threads_(runtime_settings().explainer_blas_threads()) {
  if (threads_ > 0) previous_ = set_blas_threads(threads_);
}

ExplainerBlasThreads::~ExplainerBlasThreads() {
  if (previous_ > 0 && previous_ != threads_) set_blas_threads(previous_);
}

void for_each_chunk(bool serial, int64_t n, int64_t chunk_size, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  if (serial) {
    fn(0, n);
    return;
  }
  ExplainerBlasThreads blas;
  const int64_t threads = std::max(1, tbb::this_task_arena::max_concurrency());
  // Default: split evenly over the threads, but at most kMaxChunk instances per union. Smaller
  // unions stay in cache and balance the threads better: GNNExplainer on the 400 BA-Shapes motif
  // nodes × 2 runs, 2 threads, took 2.3 s as 2 unions of 400, 1.6–2.1 s in unions of 64–150, and
  // 4.2 s in unions of 8 (per-union overhead).
  constexpr int64_t kMaxChunk = 100;
  const int64_t cs = chunk_size > 0 ? chunk_size : std::min(kMaxChunk, (n + threads - 1) / threads);
  const int64_t chunks = (n + cs - 1) / cs;
  auto run = [&](int64_t c) { fn(c * cs, std::min(n, (c + 1) * cs)); };
  if (chunks == 1) {
    for (int64_t c = 0; c < chunks; ++c) run(c);
    return;
  }
  // Chunks are independent optimisations writing disjoint result slots; the model is only read
  // (gradients are taken with autograd::grad w.r.t. the masks, never accumulated into the
  // model's parameters, and no layer keeps anything from a forward), and the edge mask scope is
  // thread-local.
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, chunks, 1), [&](const tbb::blocked_range<int64_t>& r) {
    for (int64_t c = r.begin(); c != r.end(); ++c) run(c);
  });
}

Explanation make_compact_explanation(const Instance& inst, const std::string& method, const at::Tensor& edge_scores,
                                     const at::Tensor& node_scores) {
  Explanation e;
  e.method = method;
  e.target = inst.target;
  e.logits = inst.logits;
  e.edge_ids = inst.edge_ids;
  e.node_ids = inst.node_ids;
  e.edge_mask = edge_scores.detach().to(torch::kCPU, torch::kFloat);
  if (node_scores.defined()) {
    e.node_mask = node_scores.detach().to(torch::kCPU, torch::kFloat);
  } else {
    // A node is as important as its most important incident edge.
    e.node_mask = torch::zeros({inst.graph.num_nodes}, torch::kFloat);
    if (e.edge_mask.numel() > 0) {
      const auto& ei = inst.host_edge_index;
      e.node_mask = nn::scatter_amax(e.node_mask, 0, torch::cat({ei[0], ei[1]}), torch::cat({e.edge_mask, e.edge_mask}),
                                     /*include_self=*/true);
    }
  }
  return e;
}

Explanation make_explanation(const Instance& inst, const std::string& method, const at::Tensor& edge_scores,
                             const at::Tensor& node_mask) {
  // Assembled on the CPU, then moved to the graph's device in one copy per mask.
  const auto dev = inst.graph.device();
  const auto local = node_mask.defined() ? node_mask.to(torch::kCPU).index_select(0, inst.node_ids) : at::Tensor();
  auto e = expand_explanation(make_compact_explanation(inst, method, edge_scores, local), inst.full_num_nodes,
                              inst.full_num_edges, dev);
  if (node_mask.defined()) e.node_mask = node_mask.to(dev);
  return e;
}

}  // namespace gnnx::explain::detail
