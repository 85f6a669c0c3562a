#include "gnnx/metrics/graph_metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <torch/torch.h>

#include "gnnx/core/check.h"
#include "gnnx/metrics/ground_truth.h"

namespace gnnx::metrics {
namespace {

at::Tensor host_double(const at::Tensor& t) { return t.detach().to(torch::kCPU, torch::kDouble).contiguous(); }

void check_floating(const char* op, const char* name, const at::Tensor& t) {
  GNNX_CHECK(t.defined(), op, ": ", name, " must be defined");
  GNNX_CHECK(at::isFloatingType(t.scalar_type()), op, ": ", name, " must be floating, got ", t.scalar_type());
  GNNX_CHECK(!torch::isnan(t).any().item<bool>(), op, ": ", name, " holds NaN");
}

// Indices of the k largest entries of a flat double vector, ties broken by the lower index.
std::vector<int64_t> top_k_indices(const at::Tensor& flat, int64_t k) {
  const double* v = flat.data_ptr<double>();
  std::vector<int64_t> order(static_cast<size_t>(flat.numel()));
  std::iota(order.begin(), order.end(), int64_t{0});
  std::partial_sort(order.begin(), order.begin() + k, order.end(),
                    [v](int64_t a, int64_t b) { return v[a] > v[b] || (v[a] == v[b] && a < b); });
  order.resize(static_cast<size_t>(k));
  return order;
}

at::Tensor class_vector(const char* op, const char* name, const at::Tensor& t, int64_t n) {
  GNNX_CHECK(t.defined() && t.dim() == 1 && t.size(0) == n, op, ": ", name, " must be [", n, "], got ",
             t.defined() ? t.sizes() : at::IntArrayRef{});
  GNNX_CHECK(!at::isFloatingType(t.scalar_type()), op, ": ", name, " must hold integer classes, got ", t.scalar_type());
  return t.detach().to(torch::kCPU, torch::kLong);
}

}  // namespace

at::Tensor threshold_mask(const at::Tensor& mask, const ThresholdOptions& options) {
  check_floating("threshold_mask", "mask", mask);
  const double value = options.value();
  switch (options.type()) {
    case MaskThreshold::kNone: return mask;
    case MaskThreshold::kHard: return mask.gt(value).to(mask.scalar_type());
    case MaskThreshold::kTopK:
    case MaskThreshold::kTopKHard: break;
  }
  GNNX_CHECK(std::isfinite(value) && value >= 1 && value == std::floor(value) && value < 9.0e15,
             "threshold_mask: top-k needs k a positive integer, got ", value);
  const auto k = static_cast<int64_t>(value);
  const bool hard = options.type() == MaskThreshold::kTopKHard;
  if (k >= mask.numel()) return hard ? torch::ones_like(mask) : mask;
  const auto flat = host_double(mask.reshape({-1}));
  auto idx = torch::tensor(top_k_indices(flat, k), torch::kLong).to(mask.device());
  auto out = torch::zeros_like(mask).reshape({-1});
  out.index_put_({idx}, hard ? torch::ones({k}, mask.options()) : mask.reshape({-1}).index_select(0, idx));
  return out.view(mask.sizes());
}

at::Tensor explanation_edge_mask(const explain::Explanation& e, const ThresholdOptions& options) {
  GNNX_CHECK(e.edge_mask.defined() && e.edge_mask.dim() == 1, "explanation_edge_mask: the ", e.method,
             " explanation of ", gnnx::to_string(e.target), " has no edge mask");
  const auto mask = e.edge_mask.detach().to(torch::kCPU, torch::kFloat);
  auto ids = e.edge_ids.defined() ? e.edge_ids.to(torch::kCPU, torch::kLong)
                                  : torch::arange(mask.size(0), torch::TensorOptions(torch::kLong));
  GNNX_CHECK(ids.numel() == 0 || (ids.min().item<int64_t>() >= 0 && ids.max().item<int64_t>() < mask.size(0)),
             "explanation_edge_mask: edge_ids must lie in [0, ", mask.size(0), ")");
  auto out = torch::zeros_like(mask);
  if (ids.numel() > 0) out.index_put_({ids}, threshold_mask(mask.index_select(0, ids), options));
  return out;
}

Fidelity fidelity(const at::Tensor& pred, const at::Tensor& explained, const at::Tensor& complement, FidelityForm form,
                  const at::Tensor& labels) {
  GNNX_CHECK(pred.defined() && pred.dim() == 1 && pred.size(0) > 0,
             "fidelity: pred must be [B] with B >= 1 classes, got ", pred.defined() ? pred.sizes() : at::IntArrayRef{});
  const int64_t n = pred.size(0);
  const auto p = class_vector("fidelity", "pred", pred, n);
  const auto s = class_vector("fidelity", "explained", explained, n);
  const auto c = class_vector("fidelity", "complement", complement, n);
  Fidelity f;
  if (form == FidelityForm::kModel) {
    f.plus_items = 1.0 - c.eq(p).to(torch::kDouble);
    f.minus_items = 1.0 - s.eq(p).to(torch::kDouble);
  } else {
    GNNX_CHECK(labels.defined(), "fidelity: the phenomenon form needs the true labels");
    const auto y = class_vector("fidelity", "labels", labels, n);
    const auto right = p.eq(y).to(torch::kDouble);
    f.plus_items = (right - c.eq(y).to(torch::kDouble)).abs();
    f.minus_items = (right - s.eq(y).to(torch::kDouble)).abs();
  }
  f.plus = f.plus_items.mean().item<double>();
  f.minus = f.minus_items.mean().item<double>();
  return f;
}

double characterization_score(double fid_plus, double fid_minus, double pos_weight, double neg_weight) {
  GNNX_CHECK(pos_weight >= 0 && neg_weight >= 0 && std::abs(pos_weight + neg_weight - 1.0) <= 1e-12,
             "characterization_score: the weights must be >= 0 and sum up to 1, got ", pos_weight, " and ", neg_weight);
  GNNX_CHECK(fid_plus >= 0 && fid_plus <= 1 && fid_minus >= 0 && fid_minus <= 1,
             "characterization_score: fidelities must lie in [0, 1], got fid+ ", fid_plus, " and fid- ", fid_minus);
  if (fid_plus == 0 || fid_minus == 1) return 0.0;  // a zero term makes the harmonic mean 0
  return 1.0 / (pos_weight / fid_plus + neg_weight / (1.0 - fid_minus));
}

double fidelity_curve_auc(const at::Tensor& fid_plus, const at::Tensor& fid_minus, const at::Tensor& x) {
  for (const auto* t : {&fid_plus, &fid_minus, &x}) check_floating("fidelity_curve_auc", "input", *t);
  GNNX_CHECK(fid_plus.dim() == 1 && fid_minus.dim() == 1 && x.dim() == 1 && fid_plus.size(0) >= 1 &&
                 fid_minus.size(0) == fid_plus.size(0) && x.size(0) == fid_plus.size(0),
             "fidelity_curve_auc: fid+, fid- and x must be 1-D of one length >= 1, got ", fid_plus.sizes(), ", ",
             fid_minus.sizes(), " and ", x.sizes());
  const auto p = host_double(fid_plus), m = host_double(fid_minus), xs = host_double(x);
  GNNX_CHECK(!m.eq(1).any().item<bool>(), "fidelity_curve_auc: a fid- of 1 divides by zero");
  GNNX_CHECK(xs.size(0) < 2 || !(xs.diff() < 0).any().item<bool>(), "fidelity_curve_auc: x must be ascending");
  const auto y = p / (1.0 - m);
  return torch::trapezoid(y, xs).item<double>();
}

at::Tensor unfaithfulness(const at::Tensor& p_full, const at::Tensor& p_masked) {
  check_floating("unfaithfulness", "p_full", p_full);
  check_floating("unfaithfulness", "p_masked", p_masked);
  GNNX_CHECK(p_full.dim() == 2 && p_full.sizes() == p_masked.sizes(),
             "unfaithfulness: p_full and p_masked must both be [B, C], got ", p_full.sizes(), " and ",
             p_masked.sizes());
  const auto q = host_double(p_full), p = host_double(p_masked);
  for (const auto* t : {&q, &p}) {
    GNNX_CHECK(t->ge(0).all().item<bool>(), "unfaithfulness: probabilities must be >= 0");
    GNNX_CHECK(t->numel() == 0 || (t->sum(1) - 1).abs().max().item<double>() <= 1e-4,
               "unfaithfulness: every row of probabilities must sum to 1");
  }
  // 0 log(0 / q) = 0 for every q, where torch's kl_div gives NaN for q = 0 (0 * -inf); a softmax
  // is 0 only by underflow.
  const auto kl = torch::where(p > 0, p * (p.log() - q.log()), torch::zeros_like(p)).sum(1);
  return 1.0 - torch::exp(-kl);
}

GroundTruthScores groundtruth_metrics(const at::Tensor& pred, const at::Tensor& target, double threshold) {
  check_floating("groundtruth_metrics", "pred", pred);
  GNNX_CHECK(target.defined() && target.numel() == pred.numel() && pred.numel() > 0,
             "groundtruth_metrics: pred and target must have the same number of entries (>= 1), got ", pred.sizes(),
             " and ", target.defined() ? target.sizes() : at::IntArrayRef{});
  auto p = host_double(pred.reshape({-1}));
  const auto t = host_double(target.reshape({-1})).ge(threshold);
  GNNX_CHECK(!torch::isnan(host_double(target)).any().item<bool>(), "groundtruth_metrics: target holds NaN");
  if (p.lt(0).any().item<bool>() || p.gt(1).any().item<bool>()) p = p.sigmoid();
  const auto pos = p.gt(threshold);
  const auto count = [](const at::Tensor& b) { return static_cast<double>(b.sum().item<int64_t>()); };
  const double tp = count(pos & t), fp = count(pos & ~t), fn = count(~pos & t), tn = count(~pos & ~t);
  GroundTruthScores s;
  s.accuracy = (tp + tn) / static_cast<double>(p.numel());
  s.precision = tp + fp > 0 ? tp / (tp + fp) : 0.0;
  s.recall = tp + fn > 0 ? tp / (tp + fn) : 0.0;
  s.f1 = 2 * tp + fp + fn > 0 ? 2 * tp / (2 * tp + fp + fn) : 0.0;
  const bool both = tp + fn > 0 && fp + tn > 0;
  s.auroc = both ? roc_auc(p, t.to(torch::kDouble)) : std::nan("");
  return s;
}

double jaccard(const at::Tensor& selected, const at::Tensor& truth) {
  GNNX_CHECK(selected.defined() && truth.defined() && selected.numel() == truth.numel(),
             "jaccard: the masks must have the same number of entries, got ",
             selected.defined() ? selected.sizes() : at::IntArrayRef{}, " and ",
             truth.defined() ? truth.sizes() : at::IntArrayRef{});
  const auto a = host_double(selected).gt(0.5), b = host_double(truth).gt(0.5);
  const auto uni = (a | b).sum().item<int64_t>();
  return uni == 0 ? 0.0 : static_cast<double>((a & b).sum().item<int64_t>()) / static_cast<double>(uni);
}

double graph_explanation_accuracy(const at::Tensor& selected, const std::vector<at::Tensor>& truths) {
  GNNX_CHECK(!truths.empty(), "graph_explanation_accuracy: expected at least one ground-truth explanation");
  double best = 0;
  for (const auto& t : truths) best = std::max(best, jaccard(selected, t));
  return best;
}

double sparsity(const at::Tensor& mask) {
  check_floating("sparsity", "mask", mask);
  GNNX_CHECK(mask.numel() > 0, "sparsity: the mask is empty");
  const auto m = host_double(mask);
  GNNX_CHECK(m.ge(0).all().item<bool>() && m.le(1).all().item<bool>(),
             "sparsity: mask entries must lie in [0, 1], got [", m.min().item<double>(), ", ", m.max().item<double>(),
             "] (threshold the mask first)");
  return 1.0 - m.sum().item<double>() / static_cast<double>(m.numel());
}

double cosine_distance(const at::Tensor& a, const at::Tensor& b) {
  check_floating("cosine_distance", "a", a);
  check_floating("cosine_distance", "b", b);
  GNNX_CHECK(a.numel() == b.numel(), "cosine_distance: the vectors must have the same number of entries, got ",
             a.numel(), " and ", b.numel());
  const auto x = host_double(a.reshape({-1})), y = host_double(b.reshape({-1}));
  const double nx = x.norm().item<double>(), ny = y.norm().item<double>();
  if (nx == 0 && ny == 0) return 0.0;
  if (nx == 0 || ny == 0) return 1.0;
  return 1.0 - x.dot(y).item<double>() / (nx * ny);
}

}  // namespace gnnx::metrics
