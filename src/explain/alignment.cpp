#include "gnnx/explain/alignment.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include <Eigen/Dense>
#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/vf2_sub_graph_iso.hpp>
#include <torch/torch.h>

#include "gnnx/core/check.h"

namespace gnnx::explain {
namespace {

using Mat = Eigen::MatrixXd;
using Perm = std::vector<int64_t>;

Mat to_eigen(const at::Tensor& t, int64_t rows, int64_t cols) {
  Mat m(rows, cols);
  if (rows == 0 || cols == 0) return m;
  auto c = t.detach().to(torch::kCPU, torch::kDouble).contiguous();
  const double* p = c.data_ptr<double>();
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) m(i, j) = p[i * cols + j];
  return m;
}

// The validated problem: A, B [n, n]; C [n, n] feature distances ‖x_i − y_j‖².
struct Problem {
  Mat a, b, c;
  double w = 0;
  bool anchored = false;
  int64_t n = 0;
};

Problem make_problem(const char* op, const at::Tensor& a, const at::Tensor& x, const at::Tensor& b, const at::Tensor& y,
                     double feature_weight, bool anchored) {
  GNNX_CHECK(a.defined() && b.defined() && a.dim() == 2 && b.dim() == 2, op,
             ": adjacencies must be [n, n] tensors, got ", a.defined() ? a.sizes() : at::IntArrayRef{}, " and ",
             b.defined() ? b.sizes() : at::IntArrayRef{});
  const int64_t n = a.size(0);
  GNNX_CHECK(n > 0 && a.size(1) == n && b.size(0) == n && b.size(1) == n, op,
             ": expected two square adjacencies of one size n > 0 (pad the smaller one), got ", a.sizes(), " and ",
             b.sizes());
  GNNX_CHECK(a.is_floating_point() && b.is_floating_point(), op, ": adjacencies must be floating point");
  GNNX_CHECK(x.defined() && y.defined() && x.dim() == 2 && y.dim() == 2 && x.size(0) == n && y.size(0) == n &&
                 x.size(1) == y.size(1),
             op, ": features must be [n, F] with n = ", n, " and one F for both, got ",
             x.defined() ? x.sizes() : at::IntArrayRef{}, " and ", y.defined() ? y.sizes() : at::IntArrayRef{});
  GNNX_CHECK(std::isfinite(feature_weight) && feature_weight >= 0, op, ": feature_weight must be finite and >= 0, got ",
             feature_weight);
  Problem p;
  p.n = n;
  p.w = feature_weight;
  p.anchored = anchored;
  p.a = to_eigen(a, n, n);
  p.b = to_eigen(b, n, n);
  GNNX_CHECK(p.a.allFinite() && p.b.allFinite(), op, ": adjacencies must be finite");
  GNNX_CHECK((p.a - p.a.transpose()).cwiseAbs().maxCoeff() <= 1e-9 &&
                 (p.b - p.b.transpose()).cwiseAbs().maxCoeff() <= 1e-9,
             op, ": adjacencies must be symmetric (undirected graphs)");
  const int64_t f = x.size(1);
  const Mat xm = to_eigen(x, n, f), ym = to_eigen(y, n, f);
  GNNX_CHECK(xm.allFinite() && ym.allFinite(), op, ": features must be finite");
  if (f == 0) {
    p.c = Mat::Zero(n, n);
  } else {
    const Eigen::VectorXd x2 = xm.rowwise().squaredNorm(), y2 = ym.rowwise().squaredNorm();
    p.c = (x2.replicate(1, n) + y2.transpose().replicate(n, 1) - 2.0 * xm * ym.transpose()).cwiseMax(0.0);
  }
  return p;
}

// One unordered pair of nodes counted once: ½ ‖·‖²_F of a symmetric difference with zero diagonals.
double pair_term(const Problem& p, const Perm& perm, int64_t i, int64_t k) {
  const double d = p.a(i, k) - p.b(perm[i], perm[k]);
  return d * d;
}

Alignment evaluate(const Problem& p, const Perm& perm) {
  Alignment out;
  out.permutation = perm;
  for (int64_t i = 0; i < p.n; ++i) {
    out.feature_cost += p.c(i, perm[i]);
    for (int64_t k = 0; k < p.n; ++k) {
      const double d = p.a(i, k) - p.b(perm[i], perm[k]);
      out.structure_cost += 0.5 * d * d;
    }
  }
  out.cost = out.structure_cost + p.w * out.feature_cost;
  return out;
}

// The part of the cost that swapping the assignments of i and j can change.
double touching(const Problem& p, const Perm& perm, int64_t i, int64_t j) {
  double s = p.w * (p.c(i, perm[i]) + p.c(j, perm[j])) + pair_term(p, perm, i, j);
  for (int64_t k = 0; k < p.n; ++k)
    if (k != i && k != j) s += pair_term(p, perm, i, k) + pair_term(p, perm, j, k);
  return s;
}

// Swaps pairs of assignments while one lowers the cost (first improvement, in index order).
void refine_by_swaps(const Problem& p, Perm& perm) {
  const int64_t first = p.anchored ? 1 : 0;
  for (int pass = 0; pass < 50; ++pass) {
    bool improved = false;
    for (int64_t i = first; i < p.n; ++i)
      for (int64_t j = i + 1; j < p.n; ++j) {
        const double before = touching(p, perm, i, j);
        std::swap(perm[i], perm[j]);
        if (touching(p, perm, i, j) < before - 1e-12) {
          improved = true;
        } else {
          std::swap(perm[i], perm[j]);
        }
      }
    if (!improved) break;
  }
}

Perm hungarian_eigen(const Mat& cost_in) {
  // Kuhn–Munkres with potentials (rows 1..n, columns 1..n, column 0 a sentinel); O(n³).
  const int64_t n = cost_in.rows();
  double finite_max = 0;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j)
      if (std::isfinite(cost_in(i, j))) finite_max = std::max(finite_max, std::abs(cost_in(i, j)));
  const double forbidden = (finite_max + 1.0) * static_cast<double>(n + 1) * 4.0;
  auto cost = [&](int64_t i, int64_t j) {
    const double c = cost_in(i - 1, j - 1);
    return std::isfinite(c) ? c : forbidden;
  };
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> u(n + 1, 0), v(n + 1, 0);
  std::vector<int64_t> match(n + 1, 0), way(n + 1, 0);
  for (int64_t i = 1; i <= n; ++i) {
    match[0] = i;
    int64_t j0 = 0;
    std::vector<double> minv(n + 1, inf);
    std::vector<char> used(n + 1, 0);
    do {
      used[j0] = 1;
      const int64_t i0 = match[j0];
      double delta = inf;
      int64_t j1 = 0;
      for (int64_t j = 1; j <= n; ++j) {
        if (used[j]) continue;
        const double cur = cost(i0, j) - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (int64_t j = 0; j <= n; ++j) {
        if (used[j]) {
          u[match[j]] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      j0 = j1;
    } while (match[j0] != 0);
    do {
      const int64_t j1 = way[j0];
      match[j0] = match[j1];
      j0 = j1;
    } while (j0 != 0);
  }
  Perm out(n, 0);
  for (int64_t j = 1; j <= n; ++j) out[match[j] - 1] = j - 1;
  return out;
}

// Hungarian on a cost, with the anchor pinned when anchored.
Perm assign(const Problem& p, Mat cost) {
  if (p.anchored) {
    const double inf = std::numeric_limits<double>::infinity();
    for (int64_t k = 1; k < p.n; ++k) cost(0, k) = cost(k, 0) = inf;
  }
  return hungarian_eigen(cost);
}

// Graduated assignment: P doubly stochastic, P ← Sinkhorn(exp(β ∇)), ∇ = 2 A P B − w C.
Perm graduated_assignment(const Problem& p, const AlignmentOptions& o) {
  const int64_t n = p.n;
  Mat mask = Mat::Ones(n, n);
  if (p.anchored)
    for (int64_t k = 1; k < n; ++k) mask(0, k) = mask(k, 0) = 0;
  Mat P = mask / static_cast<double>(p.anchored && n > 1 ? n - 1 : n);
  if (p.anchored) P(0, 0) = 1;
  double beta = o.beta();
  for (int64_t step = 0; step < o.annealing_steps(); ++step, beta *= o.beta_growth()) {
    for (int inner = 0; inner < 3; ++inner) {
      const Mat grad = 2.0 * p.a * P * p.b - p.w * p.c;
      const double top = grad.maxCoeff();
      // exp of a non-positive exponent: no overflow; a floor keeps every row and column alive.
      Mat K = ((grad.array() - top) * beta).exp().max(1e-300).matrix().cwiseProduct(mask);
      for (int64_t it = 0; it < o.sinkhorn_iterations(); ++it) {
        K.array().colwise() /= K.rowwise().sum().array();
        K.array().rowwise() /= K.colwise().sum().array();
      }
      P = K;
    }
  }
  return assign(p, -P);
}

Perm solve_sinkhorn(const Problem& p, const AlignmentOptions& o) {
  Perm a = graduated_assignment(p, o);
  refine_by_swaps(p, a);
  Perm b = assign(p, p.w * p.c);
  refine_by_swaps(p, b);
  return evaluate(p, b).cost < evaluate(p, a).cost - 1e-12 ? b : a;
}

// VF2 on the 0/1 graphs: among the isomorphisms (at most `limit`), the one of least feature cost.
struct Vf2State {
  const Problem* p = nullptr;
  Perm best;
  double best_cost = std::numeric_limits<double>::infinity();
  int64_t seen = 0, limit = 20000;
};
struct Vf2Callback {
  Vf2State* s;
  template <typename Map1To2, typename Map2To1>
  bool operator()(Map1To2 f, Map2To1) const {
    Perm perm(s->p->n);
    for (int64_t i = 0; i < s->p->n; ++i) perm[i] = static_cast<int64_t>(get(f, static_cast<size_t>(i)));
    const double c = evaluate(*s->p, perm).cost;
    if (c < s->best_cost) {
      s->best_cost = c;
      s->best = perm;
    }
    return ++s->seen < s->limit;
  }
};

bool binary(const Mat& m) { return ((m.array() == 0.0) || (m.array() == 1.0)).all(); }

void try_vf2(const Problem& p, Perm& best, double& best_cost) {
  if (!binary(p.a) || !binary(p.b)) return;
  using G = boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS>;
  G ga(static_cast<size_t>(p.n)), gb(static_cast<size_t>(p.n));
  for (int64_t i = 0; i < p.n; ++i)
    for (int64_t k = i + 1; k < p.n; ++k) {
      if (p.a(i, k) != 0) boost::add_edge(static_cast<size_t>(i), static_cast<size_t>(k), ga);
      if (p.b(i, k) != 0) boost::add_edge(static_cast<size_t>(i), static_cast<size_t>(k), gb);
    }
  if (boost::num_edges(ga) != boost::num_edges(gb)) return;
  const bool anchored = p.anchored;
  auto same_kind = [anchored](size_t u, size_t v) { return !anchored || ((u == 0) == (v == 0)); };
  Vf2State s;
  s.p = &p;
  boost::vf2_graph_iso(ga, gb, Vf2Callback{&s}, get(boost::vertex_index, ga), get(boost::vertex_index, gb),
                       boost::vertex_order_by_mult(ga), boost::always_equivalent(), same_kind);
  if (s.best_cost < best_cost) {
    best_cost = s.best_cost;
    best = s.best;
  }
}

// Branch and bound over assignments of instance nodes 0, 1, ... in turn; the partial cost (pairs
// among assigned nodes and their feature terms) only grows, so it is a lower bound.
struct BranchAndBound {
  const Problem& p;
  Perm perm, best;
  std::vector<char> used;
  double best_cost;
  void search(int64_t i, double partial) {
    if (partial >= best_cost - 1e-12) return;
    if (i == p.n) {
      best_cost = partial;
      best = perm;
      return;
    }
    for (int64_t j = 0; j < p.n; ++j) {
      if (used[j] || (p.anchored && (i == 0) != (j == 0))) continue;
      double add = p.w * p.c(i, j);
      perm[i] = j;
      for (int64_t k = 0; k < i; ++k) add += pair_term(p, perm, i, k);
      used[j] = 1;
      search(i + 1, partial + add);
      used[j] = 0;
    }
  }
};

Perm solve_exact(const Problem& p, const AlignmentOptions& o) {
  Perm best = solve_sinkhorn(p, o);
  double best_cost = evaluate(p, best).cost;
  try_vf2(p, best, best_cost);
  BranchAndBound bb{p, Perm(p.n, -1), best, std::vector<char>(p.n, 0), best_cost + 1e-9};
  bb.search(0, 0.0);
  return bb.best;
}

void check_permutation(const char* op, const Perm& perm, int64_t n) {
  GNNX_CHECK(static_cast<int64_t>(perm.size()) == n, op, ": expected a permutation of ", n, " nodes, got ", perm.size(),
             " entries");
  std::vector<char> seen(n, 0);
  for (auto j : perm) {
    GNNX_CHECK(j >= 0 && j < n && !seen[j], op, ": expected a permutation of 0..", n - 1, ", got entry ", j,
               (j >= 0 && j < n) ? " twice" : " out of range");
    seen[j] = 1;
  }
}

}  // namespace

Alignment align(const at::Tensor& a, const at::Tensor& x, const at::Tensor& b, const at::Tensor& y,
                const AlignmentOptions& options) {
  const Problem p = make_problem("align", a, x, b, y, options.feature_weight(), options.anchored());
  GNNX_CHECK(options.annealing_steps() >= 1 && options.sinkhorn_iterations() >= 1 && options.beta() > 0 &&
                 options.beta_growth() >= 1,
             "align: expected annealing_steps >= 1, sinkhorn_iterations >= 1, beta > 0 and beta_growth >= 1, got ",
             options.annealing_steps(), ", ", options.sinkhorn_iterations(), ", ", options.beta(), " and ",
             options.beta_growth());
  if (options.method() == AlignmentMethod::kExact) {
    GNNX_CHECK(p.n <= options.max_exact_nodes(), "align: the exact method takes graphs of at most ",
               options.max_exact_nodes(), " nodes (max_exact_nodes), got ", p.n, "; use the sinkhorn method");
    return evaluate(p, solve_exact(p, options));
  }
  return evaluate(p, solve_sinkhorn(p, options));
}

Alignment alignment_cost(const at::Tensor& a, const at::Tensor& x, const at::Tensor& b, const at::Tensor& y,
                         const std::vector<int64_t>& permutation, double feature_weight) {
  const Problem p = make_problem("alignment_cost", a, x, b, y, feature_weight, false);
  check_permutation("alignment_cost", permutation, p.n);
  return evaluate(p, permutation);
}

at::Tensor permute_adjacency(const at::Tensor& m, const std::vector<int64_t>& permutation) {
  GNNX_CHECK(m.defined() && m.dim() == 2 && m.size(0) == m.size(1), "permute_adjacency: expected a [n, n] matrix, got ",
             m.defined() ? m.sizes() : at::IntArrayRef{});
  check_permutation("permute_adjacency", permutation, m.size(0));
  const auto idx = torch::tensor(permutation, torch::kLong);
  // out[p[i], p[j]] = m[i, j]  <=>  out = m[q][:, q] with q the inverse of p.
  const auto inv = torch::empty_like(idx);
  inv.index_put_({idx}, torch::arange(m.size(0), torch::kLong));
  return m.index_select(0, inv.to(m.device())).index_select(1, inv.to(m.device()));
}

at::Tensor permute_rows(const at::Tensor& m, const std::vector<int64_t>& permutation) {
  GNNX_CHECK(m.defined() && m.dim() == 2, "permute_rows: expected a [n, F] matrix, got ",
             m.defined() ? m.sizes() : at::IntArrayRef{});
  check_permutation("permute_rows", permutation, m.size(0));
  const auto idx = torch::tensor(permutation, torch::kLong);
  const auto inv = torch::empty_like(idx);
  inv.index_put_({idx}, torch::arange(m.size(0), torch::kLong));
  return m.index_select(0, inv.to(m.device()));
}

at::Tensor pad_adjacency(const at::Tensor& m, int64_t n) {
  GNNX_CHECK(m.defined() && m.dim() == 2 && m.size(0) == m.size(1) && m.size(0) <= n,
             "pad_adjacency: expected a [k, k] matrix with k <= ", n, ", got ",
             m.defined() ? m.sizes() : at::IntArrayRef{});
  auto out = torch::zeros({n, n}, m.options());
  out.slice(0, 0, m.size(0)).slice(1, 0, m.size(1)).copy_(m);
  return out;
}

at::Tensor pad_features(const at::Tensor& m, int64_t n) {
  GNNX_CHECK(m.defined() && m.dim() == 2 && m.size(0) <= n, "pad_features: expected a [k, F] matrix with k <= ", n,
             ", got ", m.defined() ? m.sizes() : at::IntArrayRef{});
  auto out = torch::zeros({n, m.size(1)}, m.options());
  out.slice(0, 0, m.size(0)).copy_(m);
  return out;
}

std::vector<int64_t> hungarian(const at::Tensor& cost) {
  GNNX_CHECK(cost.defined() && cost.dim() == 2 && cost.size(0) == cost.size(1) && cost.size(0) > 0,
             "hungarian: expected a square [n, n] cost matrix with n > 0, got ",
             cost.defined() ? cost.sizes() : at::IntArrayRef{});
  const Mat c = to_eigen(cost, cost.size(0), cost.size(1));
  for (int64_t i = 0; i < c.rows(); ++i) {
    bool any = false;
    for (int64_t j = 0; j < c.cols(); ++j) {
      GNNX_CHECK(!std::isnan(c(i, j)) && c(i, j) != -std::numeric_limits<double>::infinity(),
                 "hungarian: costs must be finite or +inf (forbidden), got ", c(i, j), " at (", i, ", ", j, ")");
      any = any || std::isfinite(c(i, j));
    }
    GNNX_CHECK(any, "hungarian: row ", i, " has no allowed (finite) entry");
  }
  return hungarian_eigen(c);
}

}  // namespace gnnx::explain
