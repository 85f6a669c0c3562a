#include "gnnx/metrics/ground_truth.h"

#include <algorithm>
#include <numeric>
#include <vector>

#include <torch/torch.h>

#include "gnnx/core/check.h"

namespace gnnx::metrics {
namespace {
std::pair<std::vector<double>, std::vector<int>> to_vectors(const char* op, const at::Tensor& scores,
                                                            const at::Tensor& labels) {
  GNNX_CHECK(scores.defined() && labels.defined(), op, ": scores and labels must be defined");
  GNNX_CHECK(scores.dim() == 1 && labels.dim() == 1 && scores.size(0) == labels.size(0), op,
             ": scores and labels must be 1-D of equal length, got ", scores.sizes(), " and ", labels.sizes());
  auto s = scores.detach().to(torch::kCPU, torch::kDouble).contiguous();
  auto l = labels.detach().to(torch::kCPU, torch::kDouble).contiguous();
  GNNX_CHECK(torch::isfinite(s).all().item<bool>(), op, ": scores hold NaN or Inf");
  GNNX_CHECK(((l == 0) | (l == 1)).all().item<bool>(), op, ": labels must be 0 or 1");
  std::vector<double> sv(s.data_ptr<double>(), s.data_ptr<double>() + s.numel());
  std::vector<int> lv(static_cast<size_t>(l.numel()));
  for (int64_t i = 0; i < l.numel(); ++i) lv[static_cast<size_t>(i)] = l.data_ptr<double>()[i] > 0.5 ? 1 : 0;
  return {sv, lv};
}
}  // namespace

double roc_auc(const at::Tensor& scores, const at::Tensor& labels) {
  // Not a structured binding: C++17 lambdas cannot capture one (Clang rejects it).
  const auto vectors = to_vectors("roc_auc", scores, labels);
  const auto& s = vectors.first;
  const auto& l = vectors.second;
  const size_t n = s.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return s[a] < s[b]; });
  // Average ranks (1-based) over runs of tied scores.
  std::vector<double> rank(n);
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j + 1 < n && s[order[j + 1]] == s[order[i]]) ++j;
    const double r = 0.5 * static_cast<double>(i + j) + 1.0;
    for (size_t k = i; k <= j; ++k) rank[order[k]] = r;
    i = j + 1;
  }
  double pos = 0, rank_sum = 0;
  for (size_t i = 0; i < n; ++i)
    if (l[i]) {
      pos += 1;
      rank_sum += rank[i];
    }
  const double neg = static_cast<double>(n) - pos;
  GNNX_CHECK(pos > 0 && neg > 0, "roc_auc: labels hold only one class (", pos, " positives, ", neg,
             " negatives); the AUC is undefined");
  return (rank_sum - pos * (pos + 1) / 2) / (pos * neg);
}

double precision_at_k(const at::Tensor& scores, const at::Tensor& labels, int64_t k) {
  const auto vectors = to_vectors("precision_at_k", scores, labels);
  const auto& s = vectors.first;
  const auto& l = vectors.second;
  GNNX_CHECK(k > 0 && static_cast<size_t>(k) <= s.size(), "precision_at_k: k must be in [1, ", s.size(), "], got ", k);
  std::vector<size_t> order(s.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return s[a] > s[b]; });
  int hits = 0;
  for (int64_t i = 0; i < k; ++i) hits += l[order[static_cast<size_t>(i)]];
  return static_cast<double>(hits) / static_cast<double>(k);
}

}  // namespace gnnx::metrics
