#include "gnnx/attribution/bilrp.h"

#include <algorithm>
#include <vector>

#include <torch/torch.h>

#include "gnnx/core/check.h"

namespace gnnx::attribution {

namespace {

at::Tensor as_image(const char* what, const at::Tensor& t) {
  GNNX_CHECK(t.defined() && (t.dim() == 3 || (t.dim() == 4 && t.size(0) == 1)), "bilrp: ", what,
             " must be an image [C, H, W] or [1, C, H, W], got ", t.defined() ? t.sizes() : c10::IntArrayRef{});
  GNNX_CHECK(t.is_floating_point(), "bilrp: ", what, " must be floating point, got ", t.dtype());
  return (t.dim() == 3 ? t.unsqueeze(0) : t).detach();
}

// R_m(x) for every embedding dimension m: [M, C, H, W], by batched LRP passes.
at::Tensor per_dimension_relevance(const ImageModel& phi, const at::Tensor& x, int64_t m_total, const BilrpOptions& o) {
  LrpAttributor lrp(LrpOptions().composite(o.composite()).output(OutputRelevance::kLogit));
  std::vector<at::Tensor> parts;
  for (int64_t start = 0; start < m_total; start += o.batch_size()) {
    const int64_t n = std::min(o.batch_size(), m_total - start);
    std::vector<int64_t> labels(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) labels[static_cast<size_t>(i)] = start + i;
    std::vector<int64_t> shape = x.sizes().vec();
    shape[0] = n;
    parts.push_back(lrp.attribute(phi, x.expand(shape).contiguous(), labels).values.detach());
  }
  return torch::cat(parts, 0);
}

// [M, C, H, W] -> [M, (H/p)(W/p)]: channels and p×p patches summed.
at::Tensor pool(const at::Tensor& r, int64_t p) {
  auto s = r.sum(1);  // [M, H, W]
  const int64_t m = s.size(0), h = s.size(1), w = s.size(2);
  return s.reshape({m, h / p, p, w / p, p}).sum({2, 4}).reshape({m, -1});
}

}  // namespace

at::Tensor BilrpResult::top_pairs(int64_t k) const {
  GNNX_CHECK(pairs.defined() && pairs.dim() == 2, "BilrpResult::top_pairs: the result is empty");
  GNNX_CHECK(k >= 0, "BilrpResult::top_pairs: k must be >= 0, got ", k);
  const int64_t n = std::min(k, pairs.numel());
  auto idx = std::get<1>(pairs.abs().reshape({-1}).topk(n));
  return torch::stack({idx.div(pairs.size(1), "floor"), idx.remainder(pairs.size(1))}, 1);
}

BilrpResult bilrp(const ImageModel& model, const at::Tensor& x, const at::Tensor& x2, const BilrpOptions& o) {
  GNNX_CHECK(model.defined(), "bilrp: the model is empty");
  GNNX_CHECK(model.has_layers(), "bilrp: ", model.description(),
             " exposes no layers; BiLRP needs ImageModel::sequential or a TorchScript module whose children run in "
             "order");
  GNNX_CHECK(o.patch() >= 1, "bilrp: patch must be >= 1, got ", o.patch());
  GNNX_CHECK(o.batch_size() >= 1, "bilrp: batch_size must be >= 1, got ", o.batch_size());
  auto a = as_image("x", x), b = as_image("x2", x2);
  GNNX_CHECK(a.size(1) == b.size(1), "bilrp: the two images must have the same channels, got ", a.sizes(), " and ",
             b.sizes());
  for (const auto& t : {a, b}) {
    GNNX_CHECK(t.size(2) % o.patch() == 0 && t.size(3) % o.patch() == 0, "bilrp: patch ", o.patch(),
               " must divide the image height and width, got ", t.sizes());
  }
  model.check_layers(a);
  const ImageModel phi = o.layer().empty() ? model : model.up_to(o.layer());
  at::Tensor ea, eb;
  {
    torch::NoGradGuard ng;
    ea = phi.forward(a), eb = phi.forward(b);
  }
  GNNX_CHECK(ea.dim() == 2 && eb.dim() == 2 && ea.size(1) == eb.size(1),
             "bilrp: the two embeddings must be [1, M] of the same M, got ", ea.sizes(), " and ", eb.sizes(),
             " (images of different sizes need an embedding whose width does not depend on the size)");
  const int64_t m = ea.size(1);
  BilrpResult r;
  r.similarity = (ea * eb).sum().item<double>();
  r.patch = o.patch();
  r.rows = a.size(2) / o.patch(), r.cols = a.size(3) / o.patch();
  r.rows2 = b.size(2) / o.patch(), r.cols2 = b.size(3) / o.patch();
  r.first = pool(per_dimension_relevance(phi, a, m, o), o.patch());
  r.second = pool(per_dimension_relevance(phi, b, m, o), o.patch());
  r.pairs = torch::mm(r.first.t(), r.second);
  return r;
}

}  // namespace gnnx::attribution
