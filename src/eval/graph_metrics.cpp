#include "gnnx/eval/graph_metrics.h"

#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <utility>

#include <torch/torch.h>

#include "explain/instances.h"
#include "gnnx/core/check.h"
#include "gnnx/core/random.h"
#include "gnnx/graph/ops.h"
#include "gnnx/metrics/ground_truth.h"

namespace gnnx::eval {
namespace {

using explain::Explanation;
namespace detail = explain::detail;

// The three forwards of masked_predictions over instances, chunk by chunk: each chunk's rows
// are written to their own slots, so the parallel chunks share nothing.
MaskedPredictions run_masked(nn::GNNModel& model, const std::vector<detail::Instance>& insts,
                             const std::vector<at::Tensor>& masks, const MaskedOptions& o, bool graph_task) {
  detail::EvalGuard eg(model);
  const int64_t B = static_cast<int64_t>(insts.size()), C = model.num_classes();
  auto explained = torch::zeros({B, C}, torch::kDouble), complement = torch::zeros({B, C}, torch::kDouble);
  const bool cuda = insts.front().graph.device().is_cuda();
  detail::for_each_chunk(cuda, B, o.chunk_size(), [&](int64_t a, int64_t b) {
    torch::NoGradGuard ng;  // grad mode is per thread
    std::vector<const detail::Instance*> part;
    std::vector<at::Tensor> parts;
    for (int64_t i = a; i < b; ++i) {
      const auto& inst = insts[static_cast<size_t>(i)];
      part.push_back(&inst);
      parts.push_back(masks[static_cast<size_t>(i)].index_select(0, inst.edge_ids));
    }
    auto u = detail::make_union(part, graph_task);
    const auto m = torch::cat(parts).to(u.graph.x.device(), u.graph.x.scalar_type());
    const auto s = detail::union_logits(model, u, u.graph.x, m, o.placement());
    const auto c = detail::union_logits(model, u, u.graph.x, 1.0 - m, o.placement());
    explained.slice(0, a, b).copy_(s.to(torch::kCPU, torch::kDouble));
    complement.slice(0, a, b).copy_(c.to(torch::kCPU, torch::kDouble));
  });
  MaskedPredictions p;
  std::vector<at::Tensor> full;
  for (const auto& inst : insts) full.push_back(inst.logits.to(torch::kCPU, torch::kDouble).reshape({-1}));
  p.full = torch::stack(full);
  p.explained = explained;
  p.complement = complement;
  return p;
}

void check_masks(const std::vector<at::Tensor>& masks, size_t n, const std::vector<int64_t>& edges) {
  GNNX_CHECK(n > 0, "masked_predictions: expected at least one explanation");
  GNNX_CHECK(masks.size() == n, "masked_predictions: expected one mask per explanation (", n, "), got ", masks.size());
  for (size_t i = 0; i < n; ++i) {
    const auto& m = masks[i];
    const int64_t E = edges[edges.size() == 1 ? 0 : i];
    GNNX_CHECK(m.defined() && m.dim() == 1 && m.size(0) == E && at::isFloatingType(m.scalar_type()),
               "masked_predictions: mask ", i, " must be floating [", E, "], got ",
               m.defined() ? m.sizes() : at::IntArrayRef{});
  }
}

// An undirected pair key (min, max) of an edge.
std::pair<int64_t, int64_t> pair_of(int64_t u, int64_t v) { return {std::min(u, v), std::max(u, v)}; }

// g with up to r undirected pairs removed (both directions) and as many new pairs between unlinked
// distinct nodes added in both directions (weight 1 where g is weighted). Node ids, x and y kept.
Graph rewire(const Graph& g, int64_t r, Rng& rng) {
  const auto ei = g.edge_index.to(torch::kCPU).contiguous();
  const int64_t E = ei.size(1), N = g.num_nodes;
  const int64_t* src = ei.data_ptr<int64_t>();
  const int64_t* dst = src + E;
  std::set<std::pair<int64_t, int64_t>> present;
  std::vector<std::pair<int64_t, int64_t>> pairs;
  for (int64_t e = 0; e < E; ++e)
    if (src[e] != dst[e] && present.insert(pair_of(src[e], dst[e])).second) pairs.push_back(pair_of(src[e], dst[e]));
  std::set<std::pair<int64_t, int64_t>> removed;
  for (int64_t k = 0; k < r && removed.size() < pairs.size(); ++k) {
    std::pair<int64_t, int64_t> p;
    do p = pairs[static_cast<size_t>(uniform_int(rng, 0, static_cast<int64_t>(pairs.size()) - 1))];
    while (removed.count(p));
    removed.insert(p);
  }
  std::vector<std::pair<int64_t, int64_t>> added;
  const int64_t free_pairs = N * (N - 1) / 2 - static_cast<int64_t>(present.size());
  const int64_t want = std::min<int64_t>(static_cast<int64_t>(removed.size()), free_pairs);
  while (static_cast<int64_t>(added.size()) < want) {
    const auto p = pair_of(uniform_int(rng, 0, N - 1), uniform_int(rng, 0, N - 1));
    if (p.first == p.second || present.count(p)) continue;
    present.insert(p);
    added.push_back(p);
  }
  std::vector<int64_t> keep;
  for (int64_t e = 0; e < E; ++e)
    if (!removed.count(pair_of(src[e], dst[e]))) keep.push_back(e);
  const auto keep_t = torch::tensor(keep, torch::kLong);
  std::vector<int64_t> s2, d2;
  for (const auto& [u, v] : added) {
    s2.insert(s2.end(), {u, v});
    d2.insert(d2.end(), {v, u});
  }
  const auto extra = torch::stack({torch::tensor(s2, torch::kLong), torch::tensor(d2, torch::kLong)});
  const auto dev = g.edge_index.device();
  auto new_ei = torch::cat({ei.index_select(1, keep_t), extra}, 1).to(dev);
  at::Tensor w;
  if (g.has_edge_weight())
    w = torch::cat({g.edge_weight.index_select(0, keep_t.to(dev)),
                    torch::ones({static_cast<int64_t>(s2.size())}, g.edge_weight.options())});
  return Graph(new_ei, N, g.x, w, g.y);
}

// Edge scores of an explanation over (source, target) pairs in the ids `node_ids` maps to
// (undefined: identity), for the edges `edge_ids` of `edge_index`.
std::map<std::pair<int64_t, int64_t>, double> scores_by_pair(const at::Tensor& scores, const at::Tensor& edge_index,
                                                             const at::Tensor& edge_ids, const at::Tensor& node_ids) {
  const auto ids = edge_ids.to(torch::kCPU, torch::kLong).contiguous();
  const auto ei = edge_index.to(torch::kCPU).index_select(1, ids).contiguous();
  const auto s = scores.detach().to(torch::kCPU, torch::kDouble).index_select(0, ids).contiguous();
  const auto map = node_ids.defined() ? node_ids.to(torch::kCPU).contiguous() : at::Tensor();
  const int64_t n = ids.numel();
  const int64_t* src = ei.data_ptr<int64_t>();
  const int64_t* dst = src + n;
  const int64_t* to = map.defined() ? map.data_ptr<int64_t>() : nullptr;
  const double* w = s.data_ptr<double>();
  std::map<std::pair<int64_t, int64_t>, double> out;
  for (int64_t e = 0; e < n; ++e) {
    const int64_t u = to ? to[src[e]] : src[e], v = to ? to[dst[e]] : dst[e];
    out[{u, v}] += w[e];
  }
  return out;
}

double pair_distance(const std::map<std::pair<int64_t, int64_t>, double>& a,
                     const std::map<std::pair<int64_t, int64_t>, double>& b) {
  std::map<std::pair<int64_t, int64_t>, std::pair<double, double>> both;
  for (const auto& [k, v] : a) both[k].first = v;
  for (const auto& [k, v] : b) both[k].second = v;
  std::vector<double> x, y;
  for (const auto& [k, v] : both) x.push_back(v.first), y.push_back(v.second);
  if (x.empty()) return 0.0;
  return metrics::cosine_distance(torch::tensor(x, torch::kDouble), torch::tensor(y, torch::kDouble));
}

// Whether the copy keeps the prediction: same class, softmax L2 distance <= delta.
bool prediction_holds(const at::Tensor& original, const at::Tensor& copy, double delta) {
  const auto p = original.to(torch::kDouble).softmax(-1), q = copy.to(torch::kDouble).softmax(-1);
  return original.argmax().item<int64_t>() == copy.argmax().item<int64_t>() && (p - q).norm().item<double>() <= delta;
}

void check_stability(const StabilityOptions& o, const std::vector<Explanation>& explanations, size_t n) {
  GNNX_CHECK(o.runs() >= 1 && o.rewired_edges() >= 0 && o.delta() >= 0,
             "stability: expected runs >= 1, rewired_edges >= 0 and delta >= 0, got ", o.runs(), ", ",
             o.rewired_edges(), " and ", o.delta());
  GNNX_CHECK(!explanations.empty() && explanations.size() == n, "stability: expected one explanation per instance (", n,
             "), got ", explanations.size());
  for (const auto& e : explanations)
    GNNX_CHECK(e.edge_mask.defined(), "stability: the ", e.method, " explanation of ", gnnx::to_string(e.target),
               " has no edge mask");
}

Stability finish(std::vector<double> ges, int64_t counted) {
  Stability s;
  s.items = torch::tensor(ges, torch::kDouble);
  s.counted = counted;
  const auto ok = s.items.isnan().logical_not();
  s.mean = ok.any().item<bool>() ? s.items.masked_select(ok).mean().item<double>()
                                 : std::numeric_limits<double>::quiet_NaN();
  return s;
}

// The graph metrics compare predicted classes and class probabilities.
void check_classifier(const nn::GNNModel& model, const char* op) {
  GNNX_CHECK(model.task() != nn::Task::kLink, op, ": the graph metrics do not cover link predictors");
  GNNX_CHECK(model.mode() == nn::Mode::kClassification, op,
             ": the graph metrics compare predicted classes and need a classifier; this model is a regression model");
}

}  // namespace

MaskedPredictions masked_predictions(nn::GNNModel& model, const Graph& graph,
                                     const std::vector<Explanation>& explanations, const std::vector<at::Tensor>& masks,
                                     const MaskedOptions& options) {
  check_classifier(model, "masked_predictions");
  GNNX_CHECK(model.task() == nn::Task::kNode,
             "masked_predictions: a graph classifier takes one graph per explanation (the graph-task overload)");
  check_masks(masks, explanations.size(), {graph.num_edges()});
  std::vector<Target> targets;
  for (const auto& e : explanations) {
    GNNX_CHECK(e.target.kind == Target::Kind::kNode, "masked_predictions: expected node explanations, got ",
               gnnx::to_string(e.target));
    targets.push_back(Target::node(e.target.index, e.target.label));
  }
  const auto insts = detail::make_instances(model, graph, targets, false, "masked_predictions");
  auto host = [](const at::Tensor& m) { return m.detach().to(torch::kCPU); };
  std::vector<at::Tensor> cpu_masks;
  for (const auto& m : masks) cpu_masks.push_back(host(m));
  auto p = run_masked(model, insts, cpu_masks, options, false);
  if (graph.has_labels()) {
    std::vector<int64_t> nodes;
    for (const auto& t : targets) nodes.push_back(t.index);
    p.labels = graph.y.to(torch::kCPU).index_select(0, torch::tensor(nodes, torch::kLong)).to(torch::kLong);
  }
  return p;
}

MaskedPredictions masked_predictions(nn::GNNModel& model, const std::vector<Graph>& graphs,
                                     const std::vector<at::Tensor>& masks, const MaskedOptions& options) {
  check_classifier(model, "masked_predictions");
  GNNX_CHECK(model.task() == nn::Task::kGraph,
             "masked_predictions: a node classifier takes one graph and node explanations");
  std::vector<int64_t> edges;
  for (const auto& g : graphs) edges.push_back(g.num_edges());
  check_masks(masks, graphs.size(), edges);
  const auto insts = detail::make_graph_instances(model, graphs, {}, false, "masked_predictions");
  std::vector<at::Tensor> cpu_masks;
  for (const auto& m : masks) cpu_masks.push_back(m.detach().to(torch::kCPU));
  auto p = run_masked(model, insts, cpu_masks, options, true);
  bool labelled = true;
  for (const auto& g : graphs) labelled = labelled && g.has_labels();
  if (labelled) {
    std::vector<at::Tensor> ys;
    for (const auto& g : graphs) ys.push_back(g.y.reshape({-1}).slice(0, 0, 1).to(torch::kCPU, torch::kLong));
    p.labels = torch::cat(ys);
  }
  return p;
}

metrics::Fidelity fidelity(const MaskedPredictions& p, metrics::FidelityForm form) {
  GNNX_CHECK(p.full.defined() && p.explained.defined() && p.complement.defined(),
             "fidelity: the masked predictions are incomplete");
  GNNX_CHECK(form == metrics::FidelityForm::kModel || p.labels.defined(),
             "fidelity: the phenomenon form needs true labels, and the graph has none");
  return metrics::fidelity(p.full.argmax(1), p.explained.argmax(1), p.complement.argmax(1), form, p.labels);
}

at::Tensor unfaithfulness(const MaskedPredictions& p) {
  GNNX_CHECK(p.full.defined() && p.explained.defined(), "unfaithfulness: the masked predictions are incomplete");
  return metrics::unfaithfulness(p.full.softmax(1), p.explained.softmax(1));
}

Stability stability(explain::Explainer& explainer, nn::GNNModel& model, const Graph& graph,
                    const std::vector<Explanation>& explanations, const StabilityOptions& o) {
  check_classifier(model, "stability");
  GNNX_CHECK(model.task() == nn::Task::kNode, "stability: a graph classifier takes one graph per explanation");
  check_stability(o, explanations, explanations.size());
  const size_t B = explanations.size();
  std::vector<int64_t> nodes;
  for (const auto& e : explanations) {
    GNNX_CHECK(e.target.kind == Target::Kind::kNode && e.target.index >= 0 && e.target.index < graph.num_nodes,
               "stability: expected explanations of nodes of the graph (", graph.num_nodes, " nodes), got ",
               gnnx::to_string(e.target));
    nodes.push_back(e.target.index);
  }
  const Graph host = graph.to(torch::kCPU);
  const auto subs = computation_subgraphs(host, nodes, model.receptive_field());
  at::Tensor full;
  {
    torch::NoGradGuard ng;
    detail::EvalGuard eg(model);
    full = model.forward_graph(graph).to(torch::kCPU);
  }
  std::vector<std::map<std::pair<int64_t, int64_t>, double>> original(B);
  for (size_t i = 0; i < B; ++i)
    original[i] = scores_by_pair(explanations[i].edge_mask, host.edge_index, subs[i].edge_ids, {});
  std::vector<double> ges(B, std::numeric_limits<double>::quiet_NaN());
  int64_t counted = 0;
  for (int64_t r = 0; r < o.runs(); ++r) {
    std::vector<Graph> copies;
    for (size_t i = 0; i < B; ++i) {
      Rng rng(detail::mix_seed(detail::mix_seed(o.seed(), static_cast<uint64_t>(r)), nodes[i]));
      copies.push_back(rewire(subs[i].graph, o.rewired_edges(), rng));
    }
    const auto batch = batch_graphs(copies);
    const auto ptr = batch.ptr.to(torch::kCPU);
    at::Tensor logits;
    {
      torch::NoGradGuard ng;
      detail::EvalGuard eg(model);
      logits = model.forward_graph(batch.graph.to(graph.device())).to(torch::kCPU);
    }
    std::vector<size_t> kept;
    std::vector<Target> targets;
    for (size_t i = 0; i < B; ++i) {
      const int64_t row = ptr[static_cast<int64_t>(i)].item<int64_t>() + subs[i].center[0].item<int64_t>();
      if (!prediction_holds(full[nodes[i]], logits[row], o.delta())) continue;
      kept.push_back(i);
      targets.push_back(Target::node(row, explanations[i].target.label));
    }
    if (kept.empty()) continue;
    const auto again = explainer.explain(model, batch.graph.to(graph.device()), targets);
    const auto edge_ptr = batch.edge_ptr.to(torch::kCPU);
    for (size_t j = 0; j < kept.size(); ++j) {
      const size_t i = kept[j];
      const int64_t e0 = edge_ptr[static_cast<int64_t>(i)].item<int64_t>();
      const int64_t e1 = edge_ptr[static_cast<int64_t>(i) + 1].item<int64_t>();
      GNNX_CHECK(again[j].edge_mask.defined(), "stability: ", explainer.name(), " gives no edge mask");
      // Union ids back to the copy's local ids, then to full-graph ids through the subgraph.
      const auto local = batch.graph.edge_index.to(torch::kCPU).slice(1, e0, e1) - ptr[static_cast<int64_t>(i)];
      const auto copy = scores_by_pair(again[j].edge_mask.detach().to(torch::kCPU).slice(0, e0, e1), local,
                                       torch::arange(e1 - e0, torch::kLong), subs[i].node_ids);
      const double d = pair_distance(original[i], copy);
      ges[i] = std::isnan(ges[i]) ? d : std::max(ges[i], d);
      ++counted;
    }
  }
  return finish(std::move(ges), counted);
}

Stability stability(explain::Explainer& explainer, nn::GNNModel& model, const std::vector<Graph>& graphs,
                    const std::vector<Explanation>& explanations, const StabilityOptions& o) {
  check_classifier(model, "stability");
  GNNX_CHECK(model.task() == nn::Task::kGraph, "stability: a node classifier takes one graph and node explanations");
  check_stability(o, explanations, graphs.size());
  const size_t B = graphs.size();
  auto forward = [&](const std::vector<Graph>& gs) {
    torch::NoGradGuard ng;
    detail::EvalGuard eg(model);
    const auto b = batch_graphs(gs);
    return model.forward(b.graph.x, b.graph.edge_index, b.graph.edge_weight, b.batch, b.size()).to(torch::kCPU);
  };
  const auto full = forward(graphs);
  std::vector<std::map<std::pair<int64_t, int64_t>, double>> original(B);
  for (size_t i = 0; i < B; ++i)
    original[i] = scores_by_pair(explanations[i].edge_mask, graphs[i].edge_index,
                                 torch::arange(graphs[i].num_edges(), torch::kLong), {});
  std::vector<double> ges(B, std::numeric_limits<double>::quiet_NaN());
  int64_t counted = 0;
  for (int64_t r = 0; r < o.runs(); ++r) {
    std::vector<Graph> copies;
    for (size_t i = 0; i < B; ++i) {
      Rng rng(detail::mix_seed(detail::mix_seed(o.seed(), static_cast<uint64_t>(r)), i));
      copies.push_back(rewire(graphs[i], o.rewired_edges(), rng));
    }
    const auto logits = forward(copies);
    std::vector<size_t> kept;
    std::vector<Graph> chosen;
    std::vector<int64_t> labels;
    for (size_t i = 0; i < B; ++i) {
      if (!prediction_holds(full[static_cast<int64_t>(i)], logits[static_cast<int64_t>(i)], o.delta())) continue;
      kept.push_back(i);
      chosen.push_back(copies[i]);
      labels.push_back(explanations[i].target.label);
    }
    if (kept.empty()) continue;
    const auto again = explainer.explain_graphs(model, chosen, labels);
    for (size_t j = 0; j < kept.size(); ++j) {
      GNNX_CHECK(again[j].edge_mask.defined(), "stability: ", explainer.name(), " gives no edge mask");
      const auto& c = chosen[j];
      const auto copy = scores_by_pair(again[j].edge_mask, c.edge_index, torch::arange(c.num_edges(), torch::kLong),
                                       {});
      const size_t i = kept[j];
      const double d = pair_distance(original[i], copy);
      ges[i] = std::isnan(ges[i]) ? d : std::max(ges[i], d);
      ++counted;
    }
  }
  return finish(std::move(ges), counted);
}

BenchmarkMetrics benchmark_metrics(explain::Explainer& explainer, nn::GNNModel& model, const datasets::Dataset& ds,
                                   const BenchmarkRun& run, c10::Device device, const BenchmarkMetricsOptions& o) {
  GNNX_CHECK(o.top_k() >= 0 && o.stability_runs() >= 0,
             "benchmark_metrics: top_k and stability_runs must be >= 0, got ", o.top_k(), " and ", o.stability_runs());
  GNNX_CHECK(!run.explanations.empty() && run.explanations.size() == run.items.size(),
             "benchmark_metrics: the run holds ", run.explanations.size(), " explanations for ", run.items.size(),
             " items");
  const auto t0 = std::chrono::steady_clock::now();
  const bool node_task = ds.task == nn::Task::kNode;
  const size_t B = run.items.size();
  std::vector<at::Tensor> truth(B), ids(B);
  int64_t largest = 0;
  for (size_t i = 0; i < B; ++i) {
    const auto& e = run.explanations[i];
    GNNX_CHECK(e.edge_mask.defined(), "benchmark_metrics: method ", explainer.name(), " gives no edge mask");
    const auto item = run.items[i];
    const auto gt = node_task ? node_ground_truth(ds, item, run.ground_truth)
                              : ds.edge_mask_gt[static_cast<size_t>(item)].to(torch::kCPU, torch::kFloat);
    ids[i] = e.edge_ids.defined() ? e.edge_ids.to(torch::kCPU, torch::kLong)
                                  : torch::arange(gt.size(0), torch::TensorOptions(torch::kLong));
    truth[i] = gt.index_select(0, ids[i]);
    largest = std::max(largest, static_cast<int64_t>(truth[i].sum().item<double>()));
  }
  std::vector<at::Tensor> masks(B);
  BenchmarkMetrics r;
  for (size_t i = 0; i < B; ++i) {
    const int64_t own = static_cast<int64_t>(truth[i].sum().item<double>());
    const int64_t k = o.top_k() > 0 ? o.top_k() : (own > 0 ? own : std::max<int64_t>(largest, 1));
    masks[i] = metrics::explanation_edge_mask(
        run.explanations[i], metrics::ThresholdOptions().type(metrics::MaskThreshold::kTopKHard).value(k));
    const auto selected = masks[i].index_select(0, ids[i]);
    const double n = static_cast<double>(B);
    r.gea += metrics::graph_explanation_accuracy(selected, {truth[i]}) / n;
    const double chosen = selected.sum().item<double>();
    r.precision += (chosen > 0 ? (selected * truth[i]).sum().item<double>() / chosen : 0.0) / n;
    r.sparsity += (selected.numel() > 0 ? metrics::sparsity(selected) : 0.0) / n;
  }
  MaskedPredictions p;
  std::vector<Graph> graphs;
  if (node_task) {
    p = masked_predictions(model, ds.graphs.front().to(device), run.explanations, masks, o.masked());
  } else {
    for (auto item : run.items) graphs.push_back(ds.graphs[static_cast<size_t>(item)].to(device));
    p = masked_predictions(model, graphs, masks, o.masked());
  }
  const auto fm = fidelity(p, metrics::FidelityForm::kModel);
  const auto fp = fidelity(p, metrics::FidelityForm::kPhenomenon);
  r.fid_plus = fm.plus;
  r.fid_minus = fm.minus;
  r.fid_plus_phen = fp.plus;
  r.fid_minus_phen = fp.minus;
  r.characterization = metrics::characterization_score(fm.plus, fm.minus);
  r.unfaithfulness = unfaithfulness(p).mean().item<double>();
  r.stability = std::numeric_limits<double>::quiet_NaN();
  if (o.stability_runs() > 0) {
    auto so = o.stability();
    so.runs(o.stability_runs());
    const auto s = node_task ? stability(explainer, model, ds.graphs.front().to(device), run.explanations, so)
                             : stability(explainer, model, graphs, run.explanations, so);
    r.stability = s.mean;
    r.stability_counted = s.counted;
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace gnnx::eval
