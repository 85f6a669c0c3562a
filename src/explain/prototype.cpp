#include "gnnx/explain/prototype.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <queue>
#include <utility>

#include <torch/torch.h>

#include "gnnx/core/check.h"
#include "gnnx/core/random.h"
#include "gnnx/explain/explainer.h"

namespace gnnx::explain {
namespace {

const char* kind_name(Target::Kind k) { return k == Target::Kind::kNode ? "node" : "graph"; }

// [n, n] 0/1 adjacency of a subgraph.
at::Tensor adjacency_of(const ExplanationSubgraph& s) {
  const auto n = static_cast<int64_t>(s.nodes.size());
  auto a = torch::zeros({n, n}, torch::kDouble);
  auto acc = a.accessor<double, 2>();
  for (const auto& [u, v] : s.edges) acc[u][v] = acc[v][u] = 1.0;
  return a;
}

// Degree and (anchored) hop distance to node 0, each halved: a node one hop further or with one
// more edge costs ¼ · feature_weight per node, far below one edge's mismatch.
at::Tensor structure_features(const ExplanationSubgraph& s, bool anchored) {
  const auto n = static_cast<int64_t>(s.nodes.size());
  std::vector<std::vector<int64_t>> adj(static_cast<size_t>(n));
  for (const auto& [u, v] : s.edges) {
    adj[u].push_back(v);
    adj[v].push_back(u);
  }
  auto f = torch::zeros({n, anchored ? 2 : 1}, torch::kDouble);
  auto acc = f.accessor<double, 2>();
  for (int64_t i = 0; i < n; ++i) acc[i][0] = 0.5 * static_cast<double>(adj[i].size());
  if (anchored) {
    std::vector<int64_t> dist(static_cast<size_t>(n), -1);
    std::queue<int64_t> q;
    dist[0] = 0;
    q.push(0);
    while (!q.empty()) {
      const auto u = q.front();
      q.pop();
      for (auto v : adj[u])
        if (dist[v] < 0) {
          dist[v] = dist[u] + 1;
          q.push(v);
        }
    }
    for (int64_t i = 0; i < n; ++i) acc[i][1] = 0.5 * static_cast<double>(dist[i] < 0 ? n : dist[i]);
  }
  return f;
}

void check_options(const PrototypeOptions& o) {
  GNNX_CHECK(o.subgraph().relative_threshold() >= 0 && o.subgraph().relative_threshold() <= 1,
             "prototype: subgraph relative_threshold must lie in [0, 1], got ", o.subgraph().relative_threshold());
  GNNX_CHECK(o.subgraph().max_edges() >= 1, "prototype: subgraph max_edges must be >= 1, got ",
             o.subgraph().max_edges());
  GNNX_CHECK(o.instances() >= 0, "prototype: instances must be >= 0 (0 = all), got ", o.instances());
  GNNX_CHECK(o.reference_candidates() >= 1, "prototype: reference_candidates must be >= 1, got ",
             o.reference_candidates());
  GNNX_CHECK(o.max_iterations() >= 1, "prototype: max_iterations must be >= 1, got ", o.max_iterations());
  GNNX_CHECK(std::isfinite(o.threshold()) && o.threshold() > 0, "prototype: threshold must be > 0, got ",
             o.threshold());
}

struct Aligned {
  std::vector<Alignment> alignments;
  double total = 0;
};

Aligned align_all(const std::vector<at::Tensor>& a, const std::vector<at::Tensor>& x, const at::Tensor& ref_a,
                  const at::Tensor& ref_x, const AlignmentOptions& o) {
  Aligned out;
  for (size_t i = 0; i < a.size(); ++i) {
    out.alignments.push_back(align(a[i], x[i], ref_a, ref_x, o));
    out.total += out.alignments.back().cost;
  }
  return out;
}

at::Tensor aggregate(const std::vector<at::Tensor>& aligned, PrototypeAggregation how) {
  const auto stacked = torch::stack(aligned);
  if (how == PrototypeAggregation::kMean) return stacked.mean(0);
  return std::get<0>(stacked.median(0));
}

}  // namespace

ExplanationSubgraph explanation_subgraph(const Graph& graph, const Explanation& e, const SubgraphRule& rule) {
  graph.validate("explanation_subgraph");
  GNNX_CHECK(e.edge_mask.defined() && e.edge_mask.dim() == 1, "explanation_subgraph: expected an explanation with an ",
             "edge mask, got one (", e.method, ", ", to_string(e.target), ") without");
  GNNX_CHECK(e.edge_mask.size(0) == graph.num_edges(), "explanation_subgraph: expected an edge mask of the graph's ",
             graph.num_edges(), " edges, got ", e.edge_mask.size(0));
  GNNX_CHECK(rule.relative_threshold() >= 0 && rule.relative_threshold() <= 1 && rule.max_edges() >= 1,
             "explanation_subgraph: expected relative_threshold in [0, 1] and max_edges >= 1, got ",
             rule.relative_threshold(), " and ", rule.max_edges());
  const bool node_task = e.target.kind == Target::Kind::kNode;
  GNNX_CHECK(node_task || e.target.kind == Target::Kind::kGraph,
             "explanation_subgraph: expected a node or graph target, got ", to_string(e.target));
  if (node_task)
    GNNX_CHECK(e.target.index >= 0 && e.target.index < graph.num_nodes, "explanation_subgraph: target node ",
               e.target.index, " is outside the graph's [0, ", graph.num_nodes, ")");
  const auto ei = graph.edge_index.to(torch::kCPU).contiguous();
  const auto ea = ei.accessor<int64_t, 2>();
  const auto mask = e.edge_mask.detach().to(torch::kCPU, torch::kDouble).contiguous();
  const auto ma = mask.accessor<double, 1>();
  const auto ids = e.edge_ids.defined() ? e.edge_ids.to(torch::kCPU).contiguous()
                                        : torch::arange(graph.num_edges(), torch::kLong);
  // Undirected scores: the larger of the two directions.
  std::map<std::pair<int64_t, int64_t>, double> score;
  const auto* ip = ids.data_ptr<int64_t>();
  for (int64_t k = 0; k < ids.numel(); ++k) {
    const int64_t id = ip[k];
    GNNX_CHECK(id >= 0 && id < graph.num_edges(), "explanation_subgraph: edge id ", id, " outside [0, ",
               graph.num_edges(), ")");
    const int64_t u = ea[0][id], v = ea[1][id];
    if (u == v || !std::isfinite(ma[id])) continue;
    auto& s = score[{std::min(u, v), std::max(u, v)}];
    s = std::max(s, ma[id]);
  }
  double top = 0;
  for (const auto& [uv, s] : score) top = std::max(top, s);
  GNNX_CHECK(top > 0, "explanation_subgraph: the explanation of ", to_string(e.target),
             " is empty (no edge scores above 0); expected at least one scored edge");
  const double cut = rule.relative_threshold() * top;
  // Candidates by descending score, ties by the smaller pair: the order the rule takes them in.
  std::vector<std::pair<double, std::pair<int64_t, int64_t>>> cand;
  for (const auto& [uv, s] : score)
    if (s > 0) cand.push_back({s, uv});
  std::stable_sort(cand.begin(), cand.end(), [](const auto& a, const auto& b) { return a.first > b.first; });

  ExplanationSubgraph out;
  out.target = e.target;
  std::map<int64_t, int64_t> local;
  auto local_id = [&](int64_t v) {
    auto it = local.find(v);
    if (it != local.end()) return it->second;
    const auto id = static_cast<int64_t>(out.nodes.size());
    local[v] = id;
    out.nodes.push_back(v);
    return id;
  };
  std::vector<char> taken(cand.size(), 0);
  auto take = [&](size_t k) {
    taken[k] = 1;
    const auto [u, v] = cand[k].second;
    const auto lu = local_id(u), lv = local_id(v);
    out.edges.push_back({lu, lv});
    out.scores.push_back(cand[k].first);
  };
  if (node_task) {
    local_id(e.target.index);
    // The target's best edge starts the subgraph even below the cut, so that a node whose own
    // edges all score low still gets an explanation subgraph.
    size_t first = cand.size();
    for (size_t k = 0; k < cand.size() && first == cand.size(); ++k)
      if (cand[k].second.first == e.target.index || cand[k].second.second == e.target.index) first = k;
    GNNX_CHECK(first < cand.size(), "explanation_subgraph: the explanation of ", to_string(e.target),
               " scores no edge at the target above 0; expected at least one");
    take(first);
  } else {
    take(0);
  }
  while (static_cast<int64_t>(out.edges.size()) < rule.max_edges()) {
    size_t next = cand.size();
    for (size_t k = 0; k < cand.size() && cand[k].first >= cut; ++k)
      if (!taken[k] && (local.count(cand[k].second.first) || local.count(cand[k].second.second))) {
        next = k;
        break;
      }
    if (next == cand.size()) break;
    take(next);
  }
  if (graph.has_labels() && graph.y.size(0) == graph.num_nodes) {
    const auto y = graph.y.to(torch::kCPU).contiguous();
    for (auto v : out.nodes) out.node_labels.push_back(y[v].item<int64_t>());
  }
  if (graph.has_features())
    out.features =
        graph.x.detach().to(torch::kCPU, torch::kDouble).index_select(0, torch::tensor(out.nodes, torch::kLong));
  return out;
}

PrototypeResult prototype_from_subgraphs(const std::vector<ExplanationSubgraph>& instances,
                                         const PrototypeOptions& options) {
  check_options(options);
  GNNX_CHECK(!instances.empty(), "prototype: expected at least one instance, got none");
  const auto& first = instances.front();
  const bool node_task = first.target.kind == Target::Kind::kNode;
  const bool anchored = node_task && options.anchor();
  const bool input = options.node_features() == NodeFeatures::kInput;
  int64_t n = 0;
  for (size_t i = 0; i < instances.size(); ++i) {
    const auto& s = instances[i];
    GNNX_CHECK(s.target.kind == first.target.kind, "prototype: expected instances of one kind, got instance 0 a ",
               kind_name(first.target.kind), " and instance ", i, " a ", kind_name(s.target.kind));
    GNNX_CHECK(s.target.label == first.target.label, "prototype: expected instances of one class, got ",
               to_string(first.target), " and ", to_string(s.target), " (mixed classes)");
    GNNX_CHECK(!s.edges.empty() && !s.nodes.empty(), "prototype: expected every instance to have an explanation ",
               "subgraph with edges, got an empty one for ", to_string(s.target));
    GNNX_CHECK(s.scores.empty() || s.scores.size() == s.edges.size(), "prototype: instance ", i, " has ",
               s.edges.size(), " edges and ", s.scores.size(), " scores; expected one score per edge");
    GNNX_CHECK(s.node_labels.empty() || s.node_labels.size() == s.nodes.size(), "prototype: instance ", i, " has ",
               s.nodes.size(), " nodes and ", s.node_labels.size(), " node labels; expected one per node or none");
    const auto ni = static_cast<int64_t>(s.nodes.size());
    for (const auto& [u, v] : s.edges)
      GNNX_CHECK(u >= 0 && v >= 0 && u < ni && v < ni && u != v, "prototype: instance ", i, " has edge (", u, ", ", v,
                 "); expected distinct local ids in [0, ", ni, ")");
    if (input) {
      GNNX_CHECK(s.features.defined() && s.features.dim() == 2 && s.features.size(0) == ni,
                 "prototype: node_features input needs [n, F] features per instance; instance ", i, " has ",
                 s.features.defined() ? s.features.sizes() : at::IntArrayRef{}, " for ", ni, " nodes");
      GNNX_CHECK(s.features.size(1) == first.features.size(1), "prototype: expected one feature width, got ",
                 first.features.size(1), " (instance 0) and ", s.features.size(1), " (instance ", i, ")");
    }
    n = std::max(n, ni);
  }
  const int64_t m = static_cast<int64_t>(instances.size());
  std::vector<at::Tensor> a, x;
  for (const auto& s : instances) {
    a.push_back(pad_adjacency(adjacency_of(s), n));
    x.push_back(pad_features(input ? s.features.to(torch::kDouble) : structure_features(s, anchored), n));
  }
  auto align_options = options.alignment();
  align_options.anchored(anchored);

  // Reference: the candidate of least total cost (all instances when there are few enough).
  std::vector<int64_t> candidates(static_cast<size_t>(m));
  for (int64_t i = 0; i < m; ++i) candidates[i] = i;
  if (m > options.reference_candidates()) {
    Rng rng(options.seed());
    shuffle(candidates, rng);
    candidates.resize(static_cast<size_t>(options.reference_candidates()));
    std::sort(candidates.begin(), candidates.end());
  }
  PrototypeResult out;
  Aligned best;
  best.total = std::numeric_limits<double>::infinity();
  for (auto c : candidates) {
    auto run = align_all(a, x, a[c], x[c], align_options);
    if (run.total < best.total) {
      best = std::move(run);
      out.reference = c;
    }
  }
  out.iterations = 1;
  auto aligned_adjacencies = [&](const Aligned& al) {
    std::vector<at::Tensor> out_a;
    for (int64_t i = 0; i < m; ++i) out_a.push_back(permute_adjacency(a[i], al.alignments[i].permutation));
    return out_a;
  };
  at::Tensor proto = aggregate(aligned_adjacencies(best), options.aggregation());
  if (options.reference() == ReferenceRule::kIterate) {
    for (int64_t it = 1; it < options.max_iterations(); ++it) {
      std::vector<at::Tensor> fx;
      for (int64_t i = 0; i < m; ++i) fx.push_back(permute_rows(x[i], best.alignments[i].permutation));
      auto run = align_all(a, x, proto, torch::stack(fx).mean(0), align_options);
      ++out.iterations;
      bool same = true;
      for (int64_t i = 0; i < m && same; ++i) same = run.alignments[i].permutation == best.alignments[i].permutation;
      best = std::move(run);
      proto = aggregate(aligned_adjacencies(best), options.aggregation());
      if (same) break;
    }
  }

  out.adjacency = proto;
  out.anchored = anchored;
  const auto pa = proto.accessor<double, 2>();
  for (int64_t u = 0; u < n; ++u)
    for (int64_t v = u + 1; v < n; ++v)
      if (pa[u][v] >= options.threshold()) {
        out.edges.push_back({u, v});
        out.edge_weights.push_back(pa[u][v]);
      }
  std::vector<std::map<int64_t, int64_t>> label_counts(static_cast<size_t>(n));
  out.node_frequency.assign(static_cast<size_t>(n), 0.0);
  for (int64_t i = 0; i < m; ++i) {
    const auto& s = instances[i];
    const auto& perm = best.alignments[i].permutation;
    for (size_t k = 0; k < s.nodes.size(); ++k) {
      out.node_frequency[perm[k]] += 1.0 / static_cast<double>(m);
      if (!s.node_labels.empty()) ++label_counts[perm[k]][s.node_labels[k]];
    }
    out.permutations.push_back(perm);
    out.costs.push_back(best.alignments[i].cost);
  }
  for (const auto& counts : label_counts) {
    int64_t role = -1, most = 0;
    for (const auto& [label, count] : counts)
      if (count > most) {
        most = count;
        role = label;
      }
    out.roles.push_back(role);
  }
  out.instances = instances;
  return out;
}

Prototype::Prototype(PrototypeOptions options) : options(std::move(options)) {}

namespace {
std::unique_ptr<Explainer> make_prototype_explainer(const PrototypeOptions& o) {
  OptionMap eo = o.explainer_options();
  if (!eo.count("seed")) eo["seed"] = std::to_string(o.seed());
  return make_explainer(o.explainer(), eo);
}

// Up to `limit` items (0 = all), drawn with the seed, in their original order.
std::vector<int64_t> pick(int64_t count, int64_t limit, uint64_t seed) {
  std::vector<int64_t> idx(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) idx[i] = i;
  if (limit > 0 && count > limit) {
    Rng rng(seed);
    shuffle(idx, rng);
    idx.resize(static_cast<size_t>(limit));
    std::sort(idx.begin(), idx.end());
  }
  return idx;
}

void check_one_class(const std::vector<Explanation>& ex) {
  for (const auto& e : ex)
    GNNX_CHECK(e.target.label == ex.front().target.label, "prototype: expected instances the model puts in one ",
               "class, got ", to_string(ex.front().target), " and ", to_string(e.target),
               " (mixed classes; give the class to explain)");
}
}  // namespace

PrototypeResult Prototype::build(nn::GNNModel& model, const Graph& graph, const std::vector<int64_t>& nodes,
                                 int64_t label) const {
  check_options(options);
  graph.validate("prototype");
  GNNX_CHECK(!nodes.empty(), "prototype: expected at least one node to explain, got none");
  GNNX_CHECK(model.mode() == nn::Mode::kClassification,
             "prototype: a class prototype needs a classifier; this model "
             "is a regression model");
  GNNX_CHECK(model.task() != nn::Task::kLink, "prototype: a class prototype of links is not covered");
  GNNX_CHECK(model.task() == nn::Task::kNode, "prototype: build explains nodes of a node classifier; this model ",
             "classifies graphs (use build_graphs)");
  GNNX_CHECK(label >= -1 && label < model.num_classes(), "prototype: label must be -1 (the model's predictions) or ",
             "a class in [0, ", model.num_classes(), "), got ", label);
  std::vector<Target> targets;
  for (auto k : pick(static_cast<int64_t>(nodes.size()), options.instances(), options.seed())) {
    const auto v = nodes[k];
    GNNX_CHECK(v >= 0 && v < graph.num_nodes, "prototype: node ", v, " is outside the graph's [0, ", graph.num_nodes,
               ")");
    targets.push_back(Target::node(v, label));
  }
  auto explainer = make_prototype_explainer(options);
  const auto ex = explainer->explain(model, graph, targets);
  check_one_class(ex);
  std::vector<ExplanationSubgraph> subs;
  for (const auto& e : ex) subs.push_back(explanation_subgraph(graph, e, options.subgraph()));
  return prototype_from_subgraphs(subs, options);
}

PrototypeResult Prototype::build_graphs(nn::GNNModel& model, const std::vector<Graph>& graphs, int64_t label) const {
  check_options(options);
  GNNX_CHECK(!graphs.empty(), "prototype: expected at least one graph to explain, got none");
  GNNX_CHECK(model.mode() == nn::Mode::kClassification,
             "prototype: a class prototype needs a classifier; this model "
             "is a regression model");
  GNNX_CHECK(model.task() == nn::Task::kGraph, "prototype: build_graphs explains a graph classifier; this model ",
             "classifies nodes (use build)");
  GNNX_CHECK(label >= -1 && label < model.num_classes(), "prototype: label must be -1 (the model's predictions) or ",
             "a class in [0, ", model.num_classes(), "), got ", label);
  std::vector<Graph> chosen;
  for (auto k : pick(static_cast<int64_t>(graphs.size()), options.instances(), options.seed()))
    chosen.push_back(graphs[k]);
  auto explainer = make_prototype_explainer(options);
  const auto ex = explainer->explain_graphs(
      model, chosen, label < 0 ? std::vector<int64_t>{} : std::vector<int64_t>(chosen.size(), label));
  check_one_class(ex);
  std::vector<ExplanationSubgraph> subs;
  for (size_t i = 0; i < ex.size(); ++i) subs.push_back(explanation_subgraph(chosen[i], ex[i], options.subgraph()));
  return prototype_from_subgraphs(subs, options);
}

}  // namespace gnnx::explain
