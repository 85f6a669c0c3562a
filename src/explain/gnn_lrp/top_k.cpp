// GNN-LRP's exact top-K walk search: depth-first branch-and-bound from the output, meeting tabulated prefixes.
#include <algorithm>
#include <optional>
#include <queue>
#include <vector>

#include <torch/torch.h>

#include "explain/gnn_lrp/bounds.h"
#include "explain/gnn_lrp/engine.h"
#include "gnnx/core/check.h"
#include "gnnx/explain/gnn_lrp/gnn_lrp.h"

namespace gnnx::explain {

namespace gnn_lrp_detail {
namespace {

// CPU double copies of the linearised model for the depth-first search.
struct CpuStep {
  int64_t out = 0, in = 0;
  std::vector<double> ratio;   // [N, out]
  std::vector<double> weight;  // [out, in]
};
struct CpuLayer {
  std::vector<int64_t> ptr, src;
  std::vector<double> ca, cb;
  std::vector<CpuStep> steps;
  std::vector<double> root;  // [out, in] GraphConv's W_root'; empty: no root path
  int64_t out = 0, in = 0;
};

// A walk the search found, with the key it is ranked by.
struct Found {
  double key;
  double rel;
  std::vector<int64_t> walk;
};

// The k best walks so far under an order: a min-heap on the key, whose top is the bar a new walk
// (or a subtree's bound) must clear once k walks are held.
class BestWalks {
 public:
  BestWalks(int64_t k, WalkOrder order) : k_(k), order_(order) {}

  bool full() const { return static_cast<int64_t>(heap_.size()) >= k_; }
  double threshold() const { return heap_.top().key; }
  // Whether a walk of relevance rel would enter.
  bool admits(double rel) const { return !(full() && order_key(rel, order_) <= threshold()); }
  void offer(double rel, const std::vector<int64_t>& walk) {
    const double key = order_key(rel, order_);
    if (full() && key <= threshold()) return;
    Found f{key, rel, walk};
    if (full()) heap_.pop();
    heap_.push(std::move(f));
  }
  // The walks held, best first; empties the heap.
  std::vector<Found> take() {
    std::vector<Found> out;
    while (!heap_.empty()) {
      out.push_back(heap_.top());
      heap_.pop();
    }
    std::reverse(out.begin(), out.end());
    return out;
  }
  int64_t size() const { return static_cast<int64_t>(heap_.size()); }

 private:
  struct KeyGreater {
    bool operator()(const Found& a, const Found& b) const { return a.key > b.key; }
  };
  int64_t k_;
  WalkOrder order_;
  std::priority_queue<Found, std::vector<Found>, KeyGreater> heap_;
};

class TopKSearch {
 public:
  TopKSearch(const Prepared& P, int64_t k, WalkOrder order, int64_t max_expansions, int64_t prefix_budget,
             bool graph_task)
      : best_(k, order), max_expansions_(max_expansions), L_(P.L), N_(P.N) {
    for (int64_t l = 1; l <= L_; ++l) {
      const auto& tr = P.trans[static_cast<size_t>(l - 1)];
      const auto& maps = P.maps[static_cast<size_t>(l - 1)];
      CpuLayer c;
      c.ptr = to_ivec(tr.ptr);
      c.src = to_ivec(tr.src);
      c.ca = to_vec(tr.ca);
      c.cb = to_vec(tr.cb);
      for (const auto& s : maps.steps) {
        CpuStep cs;
        cs.out = s.weight.size(0);
        cs.in = s.weight.size(1);
        cs.ratio = to_vec(s.ratio);
        cs.weight = to_vec(s.weight);
        c.steps.push_back(std::move(cs));
      }
      if (maps.has_root()) c.root = to_vec(maps.root_weight);
      c.out = c.steps.back().out;
      c.in = c.steps.front().in;
      layers_.push_back(std::move(c));
      g_.push_back(to_vec(P.g[static_cast<size_t>(l - 1)]));
    }
    x_ = to_vec(P.x);
    F_ = P.x.size(1);
    auto U = forward_bounds(P);
    // The meet layer: the deepest m < L whose prefixes fit the budget.
    PrefixTable T;
    if (prefix_budget > 0 && L_ >= 2) {
      const auto region = walk_regions(P, graph_task);
      const auto counts = prefix_counts(P, region);
      for (int64_t mm = L_ - 1; mm >= 1; --mm)
        if (counts[static_cast<size_t>(mm)] <= static_cast<double>(prefix_budget)) {
          m_ = mm;
          break;
        }
      if (m_ > 0) {
        T = build_prefixes(P, m_, region);
        pptr_ = to_ivec(T.ptr);
        pvec_ = to_vec(T.vec);
        pext_ = to_vec(T.ext);
        pids_ = to_ivec(T.ids);
        pH_ = T.vec.size(1);
      }
    }
    bound_.emplace(P, std::move(U), g_, m_ > 0 ? &T : nullptr, m_);
    path_.assign(static_cast<size_t>(L_ + 1), 0);
    buf_.resize(static_cast<size_t>(L_ + 1));
    auto bytes = [](const auto& v) { return static_cast<int64_t>(v.size() * sizeof(v[0])); };
    for (const auto& c : layers_) {
      table_bytes_ += bytes(c.ptr) + bytes(c.src) + bytes(c.ca) + bytes(c.cb) + bytes(c.root);
      for (const auto& s : c.steps) table_bytes_ += bytes(s.ratio) + bytes(s.weight);
    }
    for (const auto& v : g_) table_bytes_ += bytes(v);
    table_bytes_ += bound().bytes();
    table_bytes_ += bytes(x_) + bytes(pptr_) + bytes(pvec_) + bytes(pext_) + bytes(pids_);
  }

  void run(bool graph_task, int64_t target) {
    const int64_t H = layers_.back().out;
    const auto& gL = g_.back();
    if (graph_task) {
      std::vector<int64_t> roots;
      for (int64_t u = 0; u < N_; ++u) roots.push_back(u);
      std::vector<double> b(static_cast<size_t>(N_));
      for (int64_t u = 0; u < N_; ++u) b[u] = bound()(L_, u, &gL[u * H], true);
      std::stable_sort(roots.begin(), roots.end(), [&](int64_t a, int64_t c) { return b[a] > b[c]; });
      for (int64_t u : roots) {
        if (best_.full() && b[u] <= best_.threshold()) break;
        path_[L_] = u;
        expand(L_, u, &gL[u * H], true);
      }
    } else {
      path_[L_] = target;
      expand(L_, target, &gL[target * H], true);
    }
  }

  std::vector<Found> results() { return best_.take(); }
  int64_t expansions() const { return expansions_; }
  int64_t scored() const { return scored_; }
  int64_t meet_layer() const { return m_; }
  // Tables + the deepest stack of child buffers seen + the heap of found walks.
  int64_t memory_bytes() const {
    return table_bytes_ + max_stack_bytes_ +
           best_.size() * static_cast<int64_t>(sizeof(Found) + (L_ + 1) * sizeof(int64_t));
  }

 private:
  struct Child {
    int64_t node;
    double bound;
    bool tc;
    size_t offset;
  };

  const WalkBound& bound() const { return *bound_; }

  void expand(int64_t l, int64_t i, const double* c, bool tc) {
    GNNX_CHECK(++expansions_ <= max_expansions_, "GNNLRP::top_walks: more than max_expansions = ", max_expansions_,
               " search steps; raise it or lower k");
    const auto& Ly = layers_[static_cast<size_t>(l - 1)];
    // u = M_i^T c (and R_i^T c on GraphConv's root path).
    std::vector<double> cur(c, c + Ly.out), nxt, root;
    for (auto it = Ly.steps.rbegin(); it != Ly.steps.rend(); ++it) {
      const double* r = &it->ratio[static_cast<size_t>(i * it->out)];
      for (int64_t o = 0; o < it->out; ++o) cur[o] *= r[o];
      if (!Ly.root.empty()) {
        root.assign(static_cast<size_t>(it->in), 0.0);
        for (int64_t o = 0; o < it->out; ++o) {
          const double co = cur[o];
          if (co == 0) continue;
          const double* w = &Ly.root[static_cast<size_t>(o * it->in)];
          for (int64_t d = 0; d < it->in; ++d) root[d] += co * w[d];
        }
      }
      nxt.assign(static_cast<size_t>(it->in), 0.0);
      for (int64_t o = 0; o < it->out; ++o) {
        const double co = cur[o];
        if (co == 0) continue;
        const double* w = &it->weight[static_cast<size_t>(o * it->in)];
        for (int64_t d = 0; d < it->in; ++d) nxt[d] += co * w[d];
      }
      cur.swap(nxt);
    }
    const int64_t in = Ly.in;
    const int64_t b = Ly.ptr[i], e = Ly.ptr[i + 1];
    auto& buf = buf_[static_cast<size_t>(l)];
    buf.assign(static_cast<size_t>((e - b) * in), 0.0);
    std::vector<Child> kids;
    kids.reserve(static_cast<size_t>(e - b));
    for (int64_t s = b; s < e; ++s) {
      const int64_t j = Ly.src[s];
      double* cj = &buf[static_cast<size_t>((s - b) * in)];
      const double a = Ly.ca[s], bb = Ly.cb[s];
      for (int64_t d = 0; d < in; ++d) cj[d] = a * cur[d];
      if (bb != 0 && !root.empty())
        for (int64_t d = 0; d < in; ++d) cj[d] += bb * root[d];
      const bool tcj = tc && j == i;
      if (l - 1 == 0) {
        ++scored_;
        double rel = 0;
        const double* xj = &x_[static_cast<size_t>(j * F_)];
        for (int64_t d = 0; d < F_; ++d) rel += xj[d] * cj[d];
        path_[0] = j;
        best_.offer(rel, path_);
        continue;
      }
      if (tcj) {
        const auto& gm = g_[static_cast<size_t>(l - 2)];
        for (int64_t d = 0; d < in; ++d) cj[d] += gm[static_cast<size_t>(j * in + d)];
      }
      kids.push_back({j, bound()(l - 1, j, cj, tcj), tcj, static_cast<size_t>((s - b) * in)});
    }
    if (l - 1 == 0) return;
    std::stable_sort(kids.begin(), kids.end(), [](const Child& a, const Child& c2) { return a.bound > c2.bound; });
    const auto frame = static_cast<int64_t>(buf.capacity() * sizeof(double) + kids.capacity() * sizeof(Child));
    stack_bytes_ += frame;
    max_stack_bytes_ = std::max(max_stack_bytes_, stack_bytes_);
    struct Pop {
      int64_t& s;
      int64_t f;
      ~Pop() { s -= f; }
    } pop{stack_bytes_, frame};
    for (const auto& k : kids) {
      if (best_.full() && k.bound <= best_.threshold()) break;
      path_[l - 1] = k.node;
      const double* cj = &buf[k.offset];  // buf_[l] is not touched by deeper calls
      if (l - 1 == m_)
        score_prefixes(k.node, cj, k.tc);
      else
        expand(l - 1, k.node, cj, k.tc);
    }
  }

  // Scores every prefix of node j against the suffix vector c at the meet layer.
  void score_prefixes(int64_t j, const double* c, bool tc) {
    const int64_t b = pptr_[static_cast<size_t>(j)], e = pptr_[static_cast<size_t>(j + 1)];
    scored_ += e - b;
    for (int64_t p = b; p < e; ++p) {
      const double* v = &pvec_[static_cast<size_t>(p * pH_)];
      double rel = tc ? pext_[static_cast<size_t>(p)] : 0.0;
      for (int64_t d = 0; d < pH_; ++d) rel += v[d] * c[d];
      if (!best_.admits(rel)) continue;
      const int64_t* ids = &pids_[static_cast<size_t>(p * (m_ + 1))];
      for (int64_t l = 0; l <= m_; ++l) path_[static_cast<size_t>(l)] = ids[l];
      best_.offer(rel, path_);
    }
  }

  BestWalks best_;
  int64_t max_expansions_;
  int64_t L_ = 0, N_ = 0, F_ = 0;
  std::vector<CpuLayer> layers_;
  std::vector<std::vector<double>> g_;
  std::vector<double> x_;
  std::optional<WalkBound> bound_;  // built in the constructor, once the prefix tables are known
  std::vector<int64_t> path_;
  std::vector<std::vector<double>> buf_;
  int64_t expansions_ = 0;
  int64_t table_bytes_ = 0, stack_bytes_ = 0, max_stack_bytes_ = 0;
  int64_t scored_ = 0;
  // Prefix tables at the meet layer m_ (0: none): CSR by end node.
  int64_t m_ = 0, pH_ = 0;
  std::vector<int64_t> pptr_, pids_;
  std::vector<double> pvec_, pext_;
};

}  // namespace
}  // namespace gnn_lrp_detail

WalkExplanation GNNLRP::top_walks(const Graph& graph, const Target& target, int64_t k) const {
  using gnn_lrp_detail::Clock;
  using gnn_lrp_detail::count_walks_prepared;
  using gnn_lrp_detail::Engine;
  using gnn_lrp_detail::seconds_since;
  using gnn_lrp_detail::TopKSearch;
  GNNX_CHECK(k > 0, "GNNLRP::top_walks: k must be positive, got ", k);
  const auto t0 = Clock::now();
  Engine eng(model_, options_, graph);
  auto P = eng.prepare(target);
  TopKSearch search(P, k, options_.order(), options_.max_expansions(), options_.prefix_budget(), eng.graph_task());
  search.run(eng.graph_task(), P.target.index);
  auto found = search.results();
  WalkExplanation W;
  W.target = P.target;
  W.num_layers = P.L;
  W.order = options_.order();
  const auto n = static_cast<int64_t>(found.size());
  W.walks = torch::zeros({n, P.L + 1}, torch::kLong);
  W.relevance = torch::zeros({n}, torch::kDouble);
  auto wa = W.walks.accessor<int64_t, 2>();
  auto ra = W.relevance.accessor<double, 1>();
  for (int64_t r = 0; r < n; ++r) {
    for (int64_t l = 0; l <= P.L; ++l) wa[r][l] = found[static_cast<size_t>(r)].walk[static_cast<size_t>(l)];
    ra[r] = found[static_cast<size_t>(r)].rel;
  }
  W.num_walks = static_cast<int64_t>(std::llround(count_walks_prepared(P, eng.graph_task())));
  W.complete = n == W.num_walks;
  W.output = P.output;
  W.sum_relevance = (graph.x.detach().to(torch::kDouble) * P.input_grad.to(torch::kDouble)).sum().item<double>();
  W.residual = W.output - W.sum_relevance;
  W.expansions = search.expansions();
  W.memory_bytes = search.memory_bytes();
  W.walks_scored = search.scored();
  W.meet_layer = search.meet_layer();
  W.seconds = seconds_since(t0);
  return W;
}

}  // namespace gnnx::explain
