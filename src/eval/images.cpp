#include "gnnx/eval/images.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <torch/torch.h>

#include "gnnx/core/check.h"
#include "gnnx/core/random.h"
#include "gnnx/metrics/images.h"

namespace gnnx::eval {

DeletionCurves deletion_curves(const attribution::ImageModel& model, const at::Tensor& x, const at::Tensor& labels,
                               const at::Tensor& maps, const DeletionOptions& o) {
  const char* op = "deletion_curves";
  GNNX_CHECK(x.defined() && x.dim() == 4, op, ": x must be [B, C, H, W], got ",
             x.defined() ? x.sizes() : at::IntArrayRef{});
  GNNX_CHECK(maps.defined() && maps.dim() == 3, op, ": maps must be [B, H, W], got ",
             maps.defined() ? maps.sizes() : at::IntArrayRef{});
  GNNX_CHECK(maps.size(0) == x.size(0) && maps.size(1) == x.size(2) && maps.size(2) == x.size(3), op, ": maps ",
             maps.sizes(), " must be [B, H, W] of x ", x.sizes());
  GNNX_CHECK(labels.defined() && labels.dim() == 1 && labels.size(0) == x.size(0), op, ": labels must be [", x.size(0),
             "], got ", labels.defined() ? labels.sizes() : at::IntArrayRef{});
  GNNX_CHECK(o.steps() > 0, op, ": steps must be positive, got ", o.steps());
  torch::NoGradGuard ng;
  const int64_t b = x.size(0), c = x.size(1), hw = x.size(2) * x.size(3), s = o.steps();
  // Rank of each pixel: order[b, r] is the r-th most relevant pixel (stable: row-major ties).
  auto order = std::get<1>(maps.detach()
                               .flatten(1)
                               .to(torch::kCPU, torch::kDouble)
                               .sort(/*stable=*/true, /*dim=*/1,
                                     /*descending=*/true));
  auto rank = torch::empty_like(order);
  rank.scatter_(1, order, torch::arange(hw, torch::kLong).expand({b, hw}).contiguous());
  rank = rank.to(x.device());
  auto lab = labels.to(x.device(), torch::kLong).unsqueeze(1);
  std::vector<at::Tensor> cols;
  std::vector<double> fr;
  for (int64_t k = 0; k <= s; ++k) {
    const int64_t removed = (hw * k + s / 2) / s;  // round(hw * k / s)
    fr.push_back(static_cast<double>(removed) / static_cast<double>(hw));
    auto keep = (rank >= removed).view({b, 1, x.size(2), x.size(3)}).expand({b, c, x.size(2), x.size(3)});
    auto xk = torch::where(keep, x, torch::full_like(x, o.baseline()));
    auto logits = model.forward(xk);
    auto sc = o.score() == CurveScore::kProbability ? torch::softmax(logits, 1) : logits;
    cols.push_back(sc.gather(1, lab).squeeze(1).to(torch::kCPU, torch::kDouble));
  }
  DeletionCurves r;
  r.fractions = torch::tensor(fr, torch::kDouble);
  r.scores = torch::stack(cols, 1);
  r.auc = torch::trapz(r.scores, r.fractions, 1);
  return r;
}

RandomisationResult model_randomisation(torch::nn::Sequential model, attribution::Attributor& method,
                                        const at::Tensor& x, const at::Tensor& labels, const RandomisationOptions& o) {
  const char* op = "model_randomisation";
  GNNX_CHECK(model.ptr() != nullptr, op, ": model is empty");
  GNNX_CHECK(labels.defined() && labels.dim() == 1 && labels.size(0) == x.size(0), op,
             ": labels must be [B] with B = ", x.size(0));
  auto lab_t = labels.to(torch::kCPU, torch::kLong).contiguous();
  std::vector<int64_t> lab(lab_t.data_ptr<int64_t>(), lab_t.data_ptr<int64_t>() + lab_t.numel());
  auto prep = [&](const at::Tensor& v) {
    auto h = metrics::heatmap(v).detach();
    return o.absolute() ? h.abs() : h;
  };
  auto reference = prep(method.attribute(attribution::ImageModel::sequential(model), x, lab).values);

  auto copy = std::dynamic_pointer_cast<torch::nn::SequentialImpl>(model->clone());
  GNNX_ASSERT(copy != nullptr, "model_randomisation: clone is not a Sequential");
  torch::nn::Sequential random(copy);
  random->eval();
  auto gen = torch_generator(o.seed());
  RandomisationResult r;
  std::vector<double> corr;
  auto children = random->named_children();
  const auto names = model->named_children().keys();  // a cloned Sequential renumbers its children
  for (auto i = static_cast<int64_t>(children.size()) - 1; i >= 0; --i) {
    auto& child = children[static_cast<size_t>(i)].value();
    auto params = child->named_parameters(/*recurse=*/true);
    if (params.is_empty()) continue;
    {
      torch::NoGradGuard ng;
      auto weight = params.find("weight");
      const double fan_in = weight && weight->dim() > 1 ? static_cast<double>(weight->numel() / weight->size(0)) : 1.0;
      const double bound = 1.0 / std::sqrt(fan_in);
      for (auto& p : params) {
        p.value().copy_(torch::rand(p.value().sizes(), gen, torch::kFloat).mul_(2 * bound).sub_(bound));
      }
    }
    r.layers.push_back(names[static_cast<size_t>(i)]);
    auto now = prep(method.attribute(attribution::ImageModel::sequential(random), x, lab).values);
    double sum = 0;
    for (int64_t b = 0; b < x.size(0); ++b) {
      const double s = metrics::spearman(reference[b], now[b]);
      sum += std::isnan(s) ? 0.0 : s;  // a constant map keeps no ranking: correlation 0
    }
    corr.push_back(sum / static_cast<double>(x.size(0)));
  }
  r.correlation = torch::tensor(corr, torch::kDouble);
  return r;
}
}  // namespace gnnx::eval
