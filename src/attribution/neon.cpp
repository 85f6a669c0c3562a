#include "gnnx/attribution/neon.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <torch/torch.h>

#include "gnnx/attribution/lrp_rules.h"
#include "gnnx/core/check.h"

namespace gnnx::attribution {

namespace {

void check_options(const char* op, const NeonOptions& o) {
  GNNX_CHECK(std::isfinite(o.epsilon()) && o.epsilon() >= 0, op, ": epsilon must be >= 0, got ", o.epsilon());
  GNNX_CHECK(o.batch_size() >= 0, op, ": batch_size must be >= 0, got ", o.batch_size());
}

// The weights of smin^t over dim (softmin) and smax^t (softmax).
at::Tensor softmin_weights(const at::Tensor& h, int64_t dim, double t) { return torch::softmax(-t * h, dim); }
at::Tensor softmax_weights(const at::Tensor& h, int64_t dim, double t) { return torch::softmax(t * h, dim); }

}  // namespace

NeonRelevance neon(const nn::KernelScoreModel& model, const at::Tensor& x, const NeonOptions& options) {
  check_options("neon", options);
  auto layers = model.neuralised(x);  // validates x
  auto q = x.detach().to(torch::kCPU, torch::kDouble);
  auto r_j = softmin_weights(layers.distances, 1, 1.0) * layers.output.unsqueeze(1);  // [B, N]
  auto diff2 = (q.unsqueeze(1) - model.support().unsqueeze(0)).pow(2);                // [B, N, D]
  auto norm = diff2.sum(-1, true);
  // A point on x_j has no direction towards it: its share is spread evenly.
  auto share = torch::where(norm > 0, diff2 / norm.clamp_min(1e-300),
                            torch::full_like(diff2, 1.0 / static_cast<double>(model.dim())));
  return {layers.output, (share * r_j.unsqueeze(-1)).sum(1)};
}

NeonRelevance neon(const nn::KernelKMeansModel& model, const at::Tensor& x, int64_t cluster,
                   const NeonOptions& options) {
  check_options("neon", options);
  GNNX_CHECK(x.defined() && x.dim() == 2 && x.size(1) == model.dim(), "neon: expected points x [B, ", model.dim(),
             "], got ", x.defined() ? x.sizes() : c10::IntArrayRef{});
  GNNX_CHECK(cluster >= 0 && cluster < model.clusters(), "neon: cluster must be in [0, ", model.clusters(), "), got ",
             cluster);
  auto all = x.detach().to(torch::kCPU, torch::kDouble);
  auto xc = model.members(cluster);
  std::vector<at::Tensor> members;
  for (int64_t k = 0; k < model.clusters(); ++k) members.push_back(k == cluster ? at::Tensor() : model.members(k));
  int64_t widest = 1;
  for (const auto& m : members)
    if (m.defined()) widest = std::max(widest, m.size(0));
  const int64_t terms = xc.size(0) * widest * model.dim();
  const int64_t block = options.batch_size() > 0 ? options.batch_size()
                                                 : std::max<int64_t>(1, (int64_t{1} << 22) / terms);
  std::vector<at::Tensor> outputs, relevances;
  for (int64_t start = 0; start < all.size(0); start += block) {
    auto q = all.slice(0, start, std::min(all.size(0), start + block));
    auto l = model.neuralised(q, cluster);
    auto r_k = softmin_weights(l.competitors, 1, model.beta()) * l.output.unsqueeze(1);  // [B, K-1]
    auto rel = torch::zeros_like(q);
    for (size_t n = 0; n < l.others.size(); ++n) {
      const auto& xk = members[static_cast<size_t>(l.others[n])];
      auto r_jk = softmin_weights(l.inner[n], 1, model.gamma()) *
                  r_k.select(1, static_cast<int64_t>(n)).unsqueeze(1);                  // [B, Nk]
      auto r_ijk = softmax_weights(l.linear[n], 1, model.gamma()) * r_jk.unsqueeze(1);  // [B, Nc, Nk]
      auto w = 2.0 * (xc.unsqueeze(1) - xk.unsqueeze(0));                               // [Nc, Nk, D]
      // The root: the point of the segment x_i–x_j where h_ijk = 0, i.e. the midpoint shifted
      // along w_ij by the cluster-size term c = γ⁻¹(log Z_k − log Z_c); then wᵀ(x − root) = h.
      const double size_term = (std::log(static_cast<double>(xk.size(0))) - std::log(static_cast<double>(xc.size(0)))) /
                               model.gamma();
      auto w2 = w.pow(2).sum(-1, true);  // [Nc, Nk, 1]
      auto shift = torch::where(w2 > 0, -size_term / w2.clamp_min(1e-300), torch::zeros_like(w2));
      auto mid = 0.5 * (xc.unsqueeze(1) + xk.unsqueeze(0)) + shift * w;            // [Nc, Nk, D]
      auto z = w.unsqueeze(0) * (q.unsqueeze(1).unsqueeze(1) - mid.unsqueeze(0));  // [B, Nc, Nk, D]
      auto c = lrp_ratio(r_ijk, z.sum(-1), options.epsilon());                     // [B, Nc, Nk]
      rel = rel + (z * c.unsqueeze(-1)).sum({1, 2});
    }
    outputs.push_back(l.output);
    relevances.push_back(rel);
  }
  return {torch::cat(outputs), torch::cat(relevances)};
}

}  // namespace gnnx::attribution
