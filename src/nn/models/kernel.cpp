#include "gnnx/nn/models/kernel.h"

#include <algorithm>
#include <cmath>

#include <torch/torch.h>

#include "gnnx/core/check.h"
#include "gnnx/core/random.h"

namespace gnnx::nn {

at::Tensor soft_min(const at::Tensor& h, int64_t dim, double stiffness) {
  GNNX_CHECK(stiffness > 0 && std::isfinite(stiffness), "soft_min: stiffness must be > 0, got ", stiffness);
  return -torch::logsumexp(-stiffness * h, {dim}) / stiffness;
}

at::Tensor soft_max(const at::Tensor& h, int64_t dim, double stiffness) {
  GNNX_CHECK(stiffness > 0 && std::isfinite(stiffness), "soft_max: stiffness must be > 0, got ", stiffness);
  return torch::logsumexp(stiffness * h, {dim}) / stiffness;
}

namespace {

at::Tensor as_points(const char* op, const char* what, const at::Tensor& t) {
  GNNX_CHECK(t.defined() && t.dim() == 2 && t.size(0) > 0 && t.size(1) > 0, op, ": ", what,
             " must be a non-empty [N, D] tensor, got ", t.defined() ? t.sizes() : c10::IntArrayRef{});
  GNNX_CHECK(t.is_floating_point(), op, ": ", what, " must be floating point, got ", t.dtype());
  auto d = t.detach().to(torch::kCPU, torch::kDouble).contiguous();
  GNNX_CHECK(torch::isfinite(d).all().item<bool>(), op, ": ", what, " has non-finite values");
  return d;
}

at::Tensor as_query(const char* op, const at::Tensor& x, int64_t dim) {
  GNNX_CHECK(x.defined() && x.dim() == 2 && x.size(1) == dim, op, ": expected points x [B, ", dim, "], got ",
             x.defined() ? x.sizes() : c10::IntArrayRef{});
  GNNX_CHECK(x.is_floating_point(), op, ": x must be floating point, got ", x.dtype());
  return x.detach().to(torch::kCPU, torch::kDouble).contiguous();
}

// ‖x_b − s_j‖² [B, N], summed from exact differences (no ‖x‖² − 2xᵀs + ‖s‖² cancellation).
at::Tensor squared_distances(const at::Tensor& x, const at::Tensor& s) {
  return (x.unsqueeze(1) - s.unsqueeze(0)).pow(2).sum(-1);
}

void check_gamma(const char* op, const char* name, double v) {
  GNNX_CHECK(v > 0 && std::isfinite(v), op, ": ", name, " must be > 0 and finite, got ", v);
}

}  // namespace

KernelScoreModel::KernelScoreModel(const at::Tensor& support, const at::Tensor& weights, double gamma) : gamma_(gamma) {
  support_ = as_points("KernelScoreModel", "support", support);
  check_gamma("KernelScoreModel", "gamma", gamma);
  GNNX_CHECK(weights.defined() && weights.dim() == 1 && weights.size(0) == support_.size(0),
             "KernelScoreModel: weights must be [N] with N = ", support_.size(0), " support points, got ",
             weights.defined() ? weights.sizes() : c10::IntArrayRef{});
  weights_ = weights.detach().to(torch::kCPU, torch::kDouble).contiguous();
  GNNX_CHECK(torch::isfinite(weights_).all().item<bool>() && (weights_ > 0).all().item<bool>(),
             "KernelScoreModel: every weight must be > 0 and finite, got min ", weights_.min().item<double>());
}

KernelScoreModel KernelScoreModel::kde(const at::Tensor& data, double bandwidth) {
  auto d = as_points("KernelScoreModel::kde", "data", data);
  GNNX_CHECK(bandwidth > 0 && std::isfinite(bandwidth), "KernelScoreModel::kde: bandwidth must be > 0, got ",
             bandwidth);
  const double n = static_cast<double>(d.size(0)), dims = static_cast<double>(d.size(1));
  const double alpha = std::pow(2.0 * M_PI * bandwidth * bandwidth, -dims / 2.0) / n;
  return {d, torch::full({d.size(0)}, alpha, torch::kDouble), 1.0 / (2.0 * bandwidth * bandwidth)};
}

KernelScoreModel KernelScoreModel::one_class_svm(const at::Tensor& support_vectors, const at::Tensor& dual_coef,
                                                 double gamma) {
  return {support_vectors, dual_coef.defined() ? dual_coef.reshape({-1}) : dual_coef, gamma};
}

at::Tensor KernelScoreModel::score(const at::Tensor& x) const {
  auto q = as_query("KernelScoreModel::score", x, dim());
  return (weights_.unsqueeze(0) * torch::exp(-gamma_ * squared_distances(q, support_))).sum(1);
}

KernelScoreLayers KernelScoreModel::neuralised(const at::Tensor& x) const {
  auto q = as_query("KernelScoreModel::neuralised", x, dim());
  KernelScoreLayers l;
  l.distances = gamma_ * squared_distances(q, support_) - weights_.log().unsqueeze(0);
  l.output = soft_min(l.distances, 1, 1.0);
  return l;
}

KernelKMeansModel::KernelKMeansModel(const at::Tensor& points, const at::Tensor& assignments, int64_t clusters,
                                     double gamma, double beta)
    : clusters_(clusters), gamma_(gamma), beta_(beta) {
  points_ = as_points("KernelKMeansModel", "points", points);
  check_gamma("KernelKMeansModel", "gamma", gamma);
  check_gamma("KernelKMeansModel", "beta", beta);
  GNNX_CHECK(clusters >= 2, "KernelKMeansModel: need at least 2 clusters, got ", clusters);
  GNNX_CHECK(assignments.defined() && assignments.dim() == 1 && assignments.size(0) == points_.size(0) &&
                 !assignments.is_floating_point(),
             "KernelKMeansModel: assignments must be integer [N] with N = ", points_.size(0), ", got ",
             assignments.defined() ? assignments.sizes() : c10::IntArrayRef{});
  assignments_ = assignments.to(torch::kCPU, torch::kLong).contiguous();
  GNNX_CHECK(assignments_.min().item<int64_t>() >= 0 && assignments_.max().item<int64_t>() < clusters,
             "KernelKMeansModel: assignments must lie in [0, ", clusters, "), got [",
             assignments_.min().item<int64_t>(), ", ", assignments_.max().item<int64_t>(), "]");
  auto counts = torch::bincount(assignments_, {}, clusters);
  GNNX_CHECK((counts > 0).all().item<bool>(), "KernelKMeansModel: every cluster needs a point, got sizes ", counts);
}

at::Tensor KernelKMeansModel::members(int64_t k) const {
  GNNX_CHECK(k >= 0 && k < clusters_, "KernelKMeansModel: cluster must be in [0, ", clusters_, "), got ", k);
  return points_.index_select(0, torch::nonzero(assignments_ == k).reshape({-1}));
}

namespace {

// (β/γ) log s_k(x) [B, K], s_k the mean kernel over cluster k.
at::Tensor scaled_log_scores(const at::Tensor& q, const at::Tensor& points, const at::Tensor& assign, int64_t k_total,
                             double gamma, double beta) {
  auto logk = -gamma * squared_distances(q, points);  // [B, N]
  std::vector<at::Tensor> cols;
  for (int64_t k = 0; k < k_total; ++k) {
    auto idx = torch::nonzero(assign == k).reshape({-1});
    cols.push_back(torch::logsumexp(logk.index_select(1, idx), {1}) - std::log(static_cast<double>(idx.numel())));
  }
  return torch::stack(cols, 1) * (beta / gamma);
}

}  // namespace

at::Tensor KernelKMeansModel::probabilities(const at::Tensor& x) const {
  auto q = as_query("KernelKMeansModel::probabilities", x, dim());
  auto logk = -gamma_ * squared_distances(q, points_);
  std::vector<at::Tensor> cols;
  for (int64_t k = 0; k < clusters_; ++k) {
    auto idx = torch::nonzero(assignments_ == k).reshape({-1});
    cols.push_back(torch::exp(logk.index_select(1, idx)).mean(1).pow(beta_ / gamma_));
  }
  auto s = torch::stack(cols, 1);
  return s / s.sum(1, true);
}

at::Tensor KernelKMeansModel::log_odds(const at::Tensor& x, int64_t cluster) const {
  GNNX_CHECK(cluster >= 0 && cluster < clusters_, "KernelKMeansModel::log_odds: cluster must be in [0, ", clusters_,
             "), got ", cluster);
  auto q = as_query("KernelKMeansModel::log_odds", x, dim());
  auto l = scaled_log_scores(q, points_, assignments_, clusters_, gamma_, beta_);
  auto keep = torch::ones({clusters_}, torch::kBool);
  keep[cluster] = false;
  return l.select(1, cluster) - torch::logsumexp(l.index({torch::indexing::Slice(), keep}), {1});
}

KernelKMeansLayers KernelKMeansModel::neuralised(const at::Tensor& x, int64_t cluster) const {
  GNNX_CHECK(cluster >= 0 && cluster < clusters_, "KernelKMeansModel::neuralised: cluster must be in [0, ", clusters_,
             "), got ", cluster);
  auto q = as_query("KernelKMeansModel::neuralised", x, dim());
  auto xc = members(cluster);  // x_i, i ∈ C_c
  const double log_zc = std::log(static_cast<double>(xc.size(0)));
  KernelKMeansLayers l;
  std::vector<at::Tensor> comp;
  for (int64_t k = 0; k < clusters_; ++k) {
    if (k == cluster) continue;
    auto xk = members(k);                                // x_j, j ∈ C_k
    auto w = 2.0 * (xc.unsqueeze(1) - xk.unsqueeze(0));  // [Nc, Nk, D]
    auto b = xk.pow(2).sum(1).unsqueeze(0) - xc.pow(2).sum(1).unsqueeze(1) +
             (std::log(static_cast<double>(xk.size(0))) - log_zc) / gamma_;  // [Nc, Nk]
    auto h = torch::einsum("bd,ijd->bij", {q, w}) + b.unsqueeze(0);          // [B, Nc, Nk]
    auto a = soft_max(h, 1, gamma_);                                         // [B, Nk]
    l.others.push_back(k);
    l.linear.push_back(h);
    l.inner.push_back(a);
    comp.push_back(soft_min(a, 1, gamma_));
  }
  l.competitors = torch::stack(comp, 1);
  l.output = beta_ * soft_min(l.competitors, 1, beta_);
  return l;
}

KernelKMeansModel KernelKMeansModel::fit(const at::Tensor& data, const KernelKMeansOptions& o) {
  auto d = as_points("KernelKMeansModel::fit", "data", data);
  const int64_t n = d.size(0), k = o.clusters();
  GNNX_CHECK(k >= 2, "KernelKMeansModel::fit: need at least 2 clusters, got ", k);
  GNNX_CHECK(n >= k, "KernelKMeansModel::fit: need at least as many points as clusters (", k, "), got ", n);
  check_gamma("KernelKMeansModel::fit", "gamma", o.gamma());
  check_gamma("KernelKMeansModel::fit", "beta", o.beta());
  GNNX_CHECK(o.max_iterations() >= 0, "KernelKMeansModel::fit: max_iterations must be >= 0, got ", o.max_iterations());
  // k-means++ seeding: each next centre is drawn with probability ∝ squared distance to the nearest one.
  Rng rng(o.seed());
  std::vector<int64_t> chosen{uniform_int(rng, 0, n - 1)};
  auto nearest = squared_distances(d, d.index_select(0, torch::tensor(chosen))).select(1, 0);
  while (static_cast<int64_t>(chosen.size()) < k) {
    auto cum = nearest.cumsum(0);
    const double total = cum[-1].item<double>();
    int64_t next = 0;
    if (total > 0) {
      const double u = uniform_real(rng) * total;
      next = std::min(n - 1, (cum <= u).sum().item<int64_t>());
    } else {
      next = uniform_int(rng, 0, n - 1);  // all points coincide: any point
    }
    chosen.push_back(next);
    nearest = torch::minimum(nearest, squared_distances(d, d.slice(0, next, next + 1)).select(1, 0));
  }
  auto assign = squared_distances(d, d.index_select(0, torch::tensor(chosen))).argmin(1);
  for (int64_t it = 0; it < o.max_iterations(); ++it) {
    auto next = scaled_log_scores(d, d, assign, k, o.gamma(), o.beta()).argmax(1);
    if (torch::equal(next, assign)) break;
    if (!(torch::bincount(next, {}, k) > 0).all().item<bool>()) break;
    assign = next;
  }
  return {d, assign, k, o.gamma(), o.beta()};
}

}  // namespace gnnx::nn
