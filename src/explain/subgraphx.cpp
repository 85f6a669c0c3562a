#include "gnnx/explain/subgraphx.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <random>

#include <torch/torch.h>

#include "explain/instances.h"
#include "gnnx/core/check.h"

namespace gnnx::explain {
namespace {

constexpr const char* kOp = "SubgraphX";

void check_options(const SubgraphXOptions& o) {
  GNNX_CHECK(o.rollout() >= 1, kOp, ": rollout must be >= 1, got ", o.rollout());
  GNNX_CHECK(o.min_atoms() >= 1, kOp, ": min_atoms must be >= 1, got ", o.min_atoms());
  GNNX_CHECK(o.c_puct() >= 0 && std::isfinite(o.c_puct()), kOp, ": c_puct must be finite and >= 0, got ",
             o.c_puct());
  GNNX_CHECK(o.expand_atoms() >= 1, kOp, ": expand_atoms must be >= 1, got ", o.expand_atoms());
  GNNX_CHECK(o.local_radius() >= 1, kOp, ": local_radius must be >= 1, got ", o.local_radius());
  GNNX_CHECK(o.sample_num() >= 1, kOp, ": sample_num must be >= 1, got ", o.sample_num());
  GNNX_CHECK(o.max_nodes() >= 1, kOp, ": max_nodes must be >= 1, got ", o.max_nodes());
  GNNX_CHECK(o.max_batch_nodes() >= 1, kOp, ": max_batch_nodes must be >= 1, got ", o.max_batch_nodes());
}

void check_classifier(const nn::GNNModel& model) {
  GNNX_CHECK(model.task() != nn::Task::kLink, kOp,
             ": link predictors are not covered; explain them with gnnexplainer, pgexplainer or a gradient method");
  GNNX_CHECK(model.mode() == nn::Mode::kClassification, kOp,
             ": scores subgraphs by the probability of the explained class, so it needs a classifier; this model is a "
             "regression model (explain it with gnnexplainer, pgexplainer, graphmask or a gradient method)");
}

bool phenomenon(const SubgraphXOptions& o) { return o.explanation_type() == ExplanationType::kPhenomenon; }

// v(m) for many node masks of one instance: the model's softmax probability of the explained
// class on the instance with each mask applied, as disjoint unions of at most max_batch_nodes nodes.
class Value {
 public:
  Value(nn::GNNModel& model, const detail::Instance& inst, const SubgraphXOptions& o, bool graph_task)
      : model_(model), inst_(inst), graph_task_(graph_task), split_(o.subgraph_building() == SubgraphBuilding::kSplit) {
    const auto& g = inst.graph;
    n_ = g.num_nodes;
    e_ = g.edge_index.size(1);
    per_forward_ = std::max<int64_t>(1, o.max_batch_nodes() / std::max<int64_t>(1, n_));
  }

  // masks [G, n] float on the CPU (1 keeps a node) -> [G] double.
  std::vector<double> operator()(const at::Tensor& masks) {
    const int64_t G = masks.size(0);
    std::vector<double> out(static_cast<size_t>(G));
    for (int64_t first = 0; first < G; first += per_forward_) {
      const int64_t g = std::min(per_forward_, G - first);
      auto v = run(masks.narrow(0, first, g)).to(torch::kCPU, torch::kDouble).contiguous();
      std::copy(v.data_ptr<double>(), v.data_ptr<double>() + g, out.begin() + first);
    }
    return out;
  }

  int64_t forwards() const { return forwards_; }

 private:
  // The batched edge index of g copies (layout [2, g, E]), built once for the largest batch.
  at::Tensor batched_edges(int64_t g) {
    if (!edges_.defined() || edges_g_ < g) {
      const auto& ei = inst_.graph.edge_index;
      auto off = torch::arange(g, ei.options()).mul_(n_).view({1, g, 1});
      edges_ = (ei.view({2, 1, e_}) + off).reshape({2, g * e_});
      if (inst_.graph.edge_weight.defined()) weights_ = inst_.graph.edge_weight.repeat({g});
      edges_g_ = g;
    }
    return edges_.narrow(1, 0, g * e_);
  }

  at::Tensor run(const at::Tensor& host_masks) {
    const auto& gr = inst_.graph;
    const int64_t g = host_masks.size(0);
    auto masks = host_masks.to(gr.x.device(), gr.x.scalar_type());
    at::Tensor x, ei = batched_edges(g), ew;
    if (weights_.defined()) ew = weights_.narrow(0, 0, g * e_);
    if (split_) {
      x = gr.x.repeat({g, 1});
      const auto& hei = gr.edge_index;
      auto keep = (masks.index_select(1, hei[0]) * masks.index_select(1, hei[1])).gt(0.5).reshape({g * e_});
      auto ids = keep.nonzero().view(-1);
      ei = ei.index_select(1, ids);
      if (ew.defined()) ew = ew.index_select(0, ids);
    } else {
      x = (gr.x.unsqueeze(0) * masks.unsqueeze(2)).reshape({g * n_, gr.x.size(1)});
    }
    ++forwards_;
    at::Tensor logits;
    if (graph_task_) {
      auto batch = torch::arange(g, ei.options()).repeat_interleave(n_);
      logits = model_.forward(x, ei, ew, batch, g);
    } else {
      auto rows = torch::arange(g, ei.options()).mul_(n_).add_(inst_.center);
      logits = model_.forward(x, ei, ew).index_select(0, rows);
    }
    GNNX_CHECK(logits.dim() == 2 && logits.size(0) == g, kOp, ": the model returned logits of shape ",
               logits.sizes(), " for a batch of ", g, " masked copies");
    // In the model's precision, as DIG computes it: saturated probabilities then tie as they do there.
    return torch::softmax(logits, 1).select(1, inst_.target.label);
  }

  nn::GNNModel& model_;
  const detail::Instance& inst_;
  bool graph_task_, split_;
  int64_t n_ = 0, e_ = 0, per_forward_ = 1, edges_g_ = 0, forwards_ = 0;
  at::Tensor edges_, weights_;
};

struct TreeNode {
  std::vector<int32_t> coalition;  // sorted node rows of the instance
  std::vector<int32_t> children;   // tree node ids
  double W = 0, P = 0;
  int64_t N = 0;
  bool expanded = false, scored = false;
};

// The tree search on one instance.
class Search {
 public:
  Search(nn::GNNModel& model, const detail::Instance& inst, const SubgraphXOptions& o, bool graph_task)
      : inst_(inst), o_(o), value_(model, inst, o, graph_task),
        rng_(detail::mix_seed(o.seed(), static_cast<uint64_t>(inst.key))) {
    n_ = inst.graph.num_nodes;
    center_ = graph_task ? -1 : static_cast<int32_t>(inst.center);
    // Undirected simple adjacency without self loops (the search's graph) and out-neighbours
    // (the l-Shapley regions follow edge direction, as DIG's do).
    undirected_.resize(static_cast<size_t>(n_));
    out_.resize(static_cast<size_t>(n_));
    auto ei = inst.host_edge_index.contiguous();
    const auto* src = ei[0].data_ptr<int64_t>();
    const auto* dst = ei[1].data_ptr<int64_t>();
    for (int64_t e = 0; e < ei.size(1); ++e) {
      const auto u = static_cast<int32_t>(src[e]), v = static_cast<int32_t>(dst[e]);
      out_[u].push_back(v);
      if (u == v) continue;
      undirected_[u].push_back(v);
      undirected_[v].push_back(u);
    }
    for (auto* lists : {&undirected_, &out_})
      for (auto& l : *lists) {
        std::sort(l.begin(), l.end());
        l.erase(std::unique(l.begin(), l.end()), l.end());
      }
    in_.assign(static_cast<size_t>(n_), 0);
    seen_.assign(static_cast<size_t>(n_), 0);
  }

  Explanation run() {
    std::vector<int32_t> all(static_cast<size_t>(n_));
    std::iota(all.begin(), all.end(), 0);
    node_of(all);  // the root: never scored (P = 0), as in DIG
    for (int64_t r = 0; r < o_.rollout(); ++r) rollout();
    const auto& best = nodes_[static_cast<size_t>(choose())];
    return explanation(best);
  }

 private:
  int32_t node_of(const std::vector<int32_t>& coalition) {
    auto [it, inserted] = index_.emplace(coalition, static_cast<int32_t>(nodes_.size()));
    if (inserted) {
      nodes_.emplace_back();
      nodes_.back().coalition = coalition;
    }
    return it->second;
  }

  void rollout() {
    std::vector<int32_t> path;
    int32_t t = 0;
    while (static_cast<int64_t>(nodes_[t].coalition.size()) > o_.min_atoms()) {
      if (!nodes_[t].expanded) expand(t);
      const auto& children = nodes_[t].children;
      if (children.empty()) break;
      int64_t sum_n = 0;
      for (auto c : children) sum_n += nodes_[c].N;
      const double sq = std::sqrt(static_cast<double>(sum_n));
      int32_t pick = children.front();
      double best = -std::numeric_limits<double>::infinity();
      for (auto c : children) {
        const auto& k = nodes_[c];
        const double q = k.N > 0 ? k.W / static_cast<double>(k.N) : 0.0;
        const double u = o_.c_puct() * k.P * sq / static_cast<double>(1 + k.N);
        if (q + u > best) best = q + u, pick = c;
      }
      path.push_back(pick);
      t = pick;
    }
    const double v = nodes_[t].P;
    for (auto c : path) nodes_[c].W += v, nodes_[c].N += 1;
  }

  // The children of tree node t: prune each of the first expand_atoms nodes (by degree in the
  // induced subgraph) and keep one connected component of the rest; then score the new ones.
  void expand(int32_t t) {
    nodes_[t].expanded = true;
    const auto coalition = nodes_[t].coalition;  // a copy: nodes_ grows below
    for (auto v : coalition) in_[v] = 1;
    std::vector<std::pair<int32_t, int32_t>> by_degree;  // (degree, node)
    for (auto v : coalition) {
      int32_t d = 0;
      for (auto w : undirected_[v]) d += in_[w];
      by_degree.emplace_back(d, v);
    }
    std::stable_sort(by_degree.begin(), by_degree.end(), [&](const auto& a, const auto& b) {
      return o_.high2low() ? a.first > b.first : a.first < b.first;
    });
    std::vector<int32_t> prune;
    for (const auto& [d, v] : by_degree)
      if (v != center_) prune.push_back(v);
    if (static_cast<int64_t>(coalition.size()) > o_.expand_atoms()) prune.resize(std::min<size_t>(prune.size(), static_cast<size_t>(o_.expand_atoms())));

    std::vector<int32_t> to_score;
    for (auto p : prune) {
      in_[p] = 0;
      auto kept = component(coalition, p);
      in_[p] = 1;
      const int32_t child = node_of(kept);
      auto& ch = nodes_[t].children;
      if (std::find(ch.begin(), ch.end(), child) == ch.end()) ch.push_back(child);
      if (!nodes_[child].scored && std::find(to_score.begin(), to_score.end(), child) == to_score.end())
        to_score.push_back(child);
    }
    for (auto v : coalition) in_[v] = 0;
    score(to_score);
  }

  // With in_ marking coalition minus the pruned node: the component holding the target node
  // (node tasks), or the largest (lowest smallest id on ties), sorted.
  std::vector<int32_t> component(const std::vector<int32_t>& coalition, int32_t pruned) {
    std::vector<int32_t> best, comp, stack;
    for (auto s : coalition) {
      if (s == pruned || seen_[s]) continue;
      comp.clear();
      stack.assign(1, s);
      seen_[s] = 1;
      bool has_center = false;
      while (!stack.empty()) {
        const auto v = stack.back();
        stack.pop_back();
        comp.push_back(v);
        has_center |= v == center_;
        for (auto w : undirected_[v])
          if (in_[w] && !seen_[w]) seen_[w] = 1, stack.push_back(w);
      }
      if (center_ >= 0 ? has_center : comp.size() > best.size()) best = comp;
    }
    for (auto v : coalition) seen_[v] = 0;
    std::sort(best.begin(), best.end());
    return best;
  }

  // Scores the tree nodes `ids`: the masks of all of them run as one batch.
  void score(const std::vector<int32_t>& ids) {
    if (ids.empty()) return;
    const bool marginal = o_.reward() != SubgraphReward::kGnnScore;
    const int64_t S = marginal ? o_.sample_num() : 1;
    const int64_t per = marginal ? 2 * S : 1;
    auto masks = torch::zeros({static_cast<int64_t>(ids.size()) * per, n_}, torch::kFloat);
    auto* m = masks.data_ptr<float>();
    for (size_t i = 0; i < ids.size(); ++i) {
      const auto& coalition = nodes_[ids[i]].coalition;
      float* base = m + static_cast<int64_t>(i) * per * n_;
      if (!marginal) {
        for (auto v : coalition) base[v] = 1;
        continue;
      }
      fill_marginal_masks(coalition, base, S);
    }
    auto values = value_(masks);
    states_ += static_cast<int64_t>(ids.size());
    for (size_t i = 0; i < ids.size(); ++i) {
      auto& node = nodes_[ids[i]];
      const double* v = values.data() + i * per;
      double p = 0;
      if (!marginal) {
        p = v[0];
      } else {
        for (int64_t s = 0; s < S; ++s) p += v[2 * s + 1] - v[2 * s];
        p /= static_cast<double>(S);
      }
      node.P = p;
      node.scored = true;
    }
  }

  // For each of S draws, rows 2s (exclude: R) and 2s + 1 (include: R and the coalition).
  void fill_marginal_masks(const std::vector<int32_t>& coalition, float* base, int64_t S) {
    const bool local = o_.reward() != SubgraphReward::kMcShapley;
    std::vector<int32_t> region;  // nodes whose mask the draws set; the others stay 1
    for (auto v : coalition) in_[v] = 1;
    if (local) {
      // The coalition and everything within local_radius - 1 hops of it, along edge direction.
      region = coalition;
      for (auto v : region) seen_[v] = 1;
      size_t frontier = 0;
      for (int64_t h = 0; h + 1 < o_.local_radius(); ++h) {
        const size_t end = region.size();
        for (size_t i = frontier; i < end; ++i)
          for (auto w : out_[region[i]])
            if (!seen_[w]) seen_[w] = 1, region.push_back(w);
        frontier = end;
      }
      for (auto v : region) seen_[v] = 0;
    } else {
      region.resize(static_cast<size_t>(n_));
      std::iota(region.begin(), region.end(), 0);
    }
    std::vector<int32_t> players;
    for (auto v : region)
      if (!in_[v]) players.push_back(v);
    for (auto v : coalition) in_[v] = 0;
    const bool keep_center = o_.reward() == SubgraphReward::kNcMcLShapley && center_ >= 0;
    std::vector<int32_t> order(players.size() + 1);
    for (int64_t s = 0; s < S; ++s) {
      float* ex = base + 2 * s * n_;
      float* inc = ex + n_;
      if (local) {
        std::fill(ex, ex + n_, 1.0f);
        for (auto v : region) ex[v] = 0;
      }
      // A uniformly random permutation of the players and the coalition (-1); the players
      // before the coalition join R.
      std::copy(players.begin(), players.end(), order.begin());
      order.back() = -1;
      std::shuffle(order.begin(), order.end(), rng_);
      for (auto v : order) {
        if (v < 0) break;
        ex[v] = 1;
      }
      if (keep_center) ex[center_] = 1;
      std::copy(ex, ex + n_, inc);
      for (auto v : coalition) inc[v] = 1;
    }
  }

  // DIG's find_closest_node_result: every coalition in order of P (descending, stable), then of
  // size (ascending, stable); the first, replaced by any later one of at most max_nodes nodes
  // with a strictly larger P.
  int32_t choose() const {
    std::vector<int32_t> order(nodes_.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return nodes_[a].P > nodes_[b].P; });
    std::stable_sort(order.begin(), order.end(),
                     [&](int32_t a, int32_t b) { return nodes_[a].coalition.size() < nodes_[b].coalition.size(); });
    int32_t best = order.front();
    for (auto i : order)
      if (static_cast<int64_t>(nodes_[i].coalition.size()) <= o_.max_nodes() && nodes_[i].P > nodes_[best].P) best = i;
    return best;
  }

  Explanation explanation(const TreeNode& best) {
    // masked: v(coalition); maskout: v(the rest, with the target node for node tasks).
    auto masks = torch::zeros({2, n_}, torch::kFloat);
    masks[1].fill_(1);
    for (auto v : best.coalition) masks[0][v] = 1, masks[1][v] = 0;
    if (center_ >= 0) masks[1][center_] = 1;
    auto fid = value_(masks);

    auto member = torch::zeros({n_}, torch::kFloat);
    for (auto v : best.coalition) member[v] = 1;
    const auto& ei = inst_.host_edge_index;
    auto edge_scores = member.index_select(0, ei[0]) * member.index_select(0, ei[1]);
    auto node_mask = torch::zeros({inst_.full_num_nodes}, torch::kFloat);
    node_mask.index_put_({inst_.node_ids}, member);
    auto e = detail::make_explanation(inst_, "subgraphx", edge_scores, node_mask.to(inst_.graph.device()));
    e.diagnostics["shapley"] = best.P;
    e.diagnostics["masked"] = fid[0];
    e.diagnostics["maskout"] = fid[1];
    e.diagnostics["sparsity"] = 1.0 - static_cast<double>(best.coalition.size()) / static_cast<double>(n_);
    e.diagnostics["coalition_nodes"] = static_cast<double>(best.coalition.size());
    e.diagnostics["subgraph_nodes"] = static_cast<double>(n_);
    e.diagnostics["states"] = static_cast<double>(states_);
    e.diagnostics["forwards"] = static_cast<double>(value_.forwards());
    return e;
  }

  const detail::Instance& inst_;
  const SubgraphXOptions& o_;
  Value value_;
  std::mt19937_64 rng_;
  int64_t n_ = 0, states_ = 0;
  int32_t center_ = -1;
  std::vector<std::vector<int32_t>> undirected_, out_;
  std::vector<char> in_, seen_;
  std::vector<TreeNode> nodes_;
  std::map<std::vector<int32_t>, int32_t> index_;
};

std::vector<Explanation> explain_instances(nn::GNNModel& model, const std::vector<detail::Instance>& insts,
                                           const SubgraphXOptions& o, bool graph_task) {
  std::vector<Explanation> out(insts.size());
  if (insts.empty()) return out;
  for (size_t i = 0; i < insts.size(); ++i)
    GNNX_CHECK(insts[i].graph.num_nodes > 0, kOp, ": ", gnnx::to_string(insts[i].target),
               " has no nodes to search; expected a graph with at least one node");
  detail::EvalGuard eval(model);
  const bool cuda = insts.front().graph.device().is_cuda();
  // One instance per task: each search is sequential, the instances are independent.
  detail::for_each_chunk(cuda, static_cast<int64_t>(insts.size()), 1, [&](int64_t first, int64_t last) {
    torch::NoGradGuard no_grad;
    for (int64_t i = first; i < last; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      Search search(model, insts[static_cast<size_t>(i)], o, graph_task);
      out[static_cast<size_t>(i)] = search.run();
      out[static_cast<size_t>(i)].diagnostics["seconds"] =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
  });
  return out;
}

}  // namespace

std::vector<Explanation> SubgraphX::explain(nn::GNNModel& model, const Graph& graph,
                                            const std::vector<Target>& targets) {
  check_options(options);
  GNNX_CHECK(!targets.empty(), kOp, ": expected at least one target, got an empty list");
  check_classifier(model);
  auto insts = detail::make_instances(model, graph, targets, phenomenon(options), kOp);
  return explain_instances(model, insts, options, model.task() == nn::Task::kGraph);
}

std::vector<Explanation> SubgraphX::explain_graphs(nn::GNNModel& model, const std::vector<Graph>& graphs,
                                                   const std::vector<int64_t>& labels) {
  check_options(options);
  GNNX_CHECK(!graphs.empty(), kOp, ": expected at least one graph, got an empty list");
  check_classifier(model);
  auto insts = detail::make_graph_instances(model, graphs, labels, phenomenon(options), kOp);
  return explain_instances(model, insts, options, true);
}

}  // namespace gnnx::explain
