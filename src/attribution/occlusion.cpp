// Occlusion with Captum 0.7's window and stride conventions (see the header).
#include "gnnx/attribution/occlusion.h"

#include <algorithm>

#include <torch/torch.h>

#include "attribution/items.h"
#include "attribution/option_text.h"
#include "gnnx/core/check.h"

namespace gnnx::attribution {
namespace {
// Rows per forward pass when perturbations_per_eval is automatic (-1): large enough that a
// small image's windows share one pass, small enough to bound the pass's memory.
constexpr int64_t kAutoRows = 256;
}  // namespace

std::map<std::string, std::string> Occlusion::options() const {
  return {{"window", detail::list_text(options_.window())},
          {"strides", detail::list_text(options_.strides())},
          {"baseline", detail::number_text(options_.baseline())},
          {"perturbations_per_eval", std::to_string(options_.perturbations_per_eval())}};
}

Attribution Occlusion::compute(Objective& objective) {
  auto x = objective.input();
  const int64_t b = x.size(0), dims = x.dim() - 1;
  std::vector<int64_t> window = options_.window();
  if (window.empty()) window.assign(static_cast<size_t>(dims), 1);
  GNNX_CHECK(static_cast<int64_t>(window.size()) == dims, "Occlusion: window has ", window.size(),
             " dimensions, the input items have ", dims, " (", x.sizes().slice(1), ")");
  std::vector<int64_t> strides = options_.strides();
  if (strides.size() == 1) strides.assign(static_cast<size_t>(dims), strides[0]);
  GNNX_CHECK(static_cast<int64_t>(strides.size()) == dims, "Occlusion: expected 1 or ", dims, " strides, got ",
             strides.size());
  GNNX_CHECK(options_.perturbations_per_eval() >= 1 || options_.perturbations_per_eval() == -1,
             "Occlusion: perturbations_per_eval must be >= 1 or -1 (automatic), got ",
             options_.perturbations_per_eval());
  std::vector<int64_t> counts(static_cast<size_t>(dims));
  int64_t windows = 1;
  for (int64_t d = 0; d < dims; ++d) {
    const auto i = static_cast<size_t>(d);
    const int64_t size = x.size(d + 1);
    if (window[i] == -1) window[i] = size;
    GNNX_CHECK(window[i] >= 1 && window[i] <= size, "Occlusion: window ", detail::list_text(window),
               " does not fit the items ", x.sizes().slice(1));
    GNNX_CHECK(strides[i] >= 1, "Occlusion: strides must be >= 1, got ", detail::list_text(strides));
    GNNX_CHECK(window[i] == size || strides[i] <= window[i], "Occlusion: stride ", strides[i], " exceeds the window ",
               window[i], " along dimension ", d, " (features would be skipped)");
    counts[i] = (size - window[i] + strides[i] - 1) / strides[i] + 1;
    windows *= counts[i];
  }
  // Automatic: every window in passes of at most kAutoRows rows.
  const int64_t per_pass = options_.perturbations_per_eval() > 0
                               ? options_.perturbations_per_eval()
                               : std::max<int64_t>(1, kAutoRows / std::max<int64_t>(b, 1));
  // The region of window w in t, whose item dimensions start at dimension `first`. Window number
  // -> position with the first dimension varying fastest (Captum's order).
  auto region = [&](at::Tensor t, int64_t first, int64_t w) {
    for (int64_t d = 0; d < dims; ++d) {
      const auto i = static_cast<size_t>(d);
      const int64_t pos = (w % counts[i]) * strides[i];
      w /= counts[i];
      t = t.narrow(first + d, pos, std::min(pos + window[i], x.size(d + 1)) - pos);
    }
    return t;
  };
  torch::NoGradGuard no_grad;
  auto items = detail::all_items(x);
  auto f_x = objective.scores(x, items);
  auto total = torch::zeros_like(x);
  auto cover = torch::zeros(x.sizes().slice(1), x.options());
  std::vector<int64_t> per_item_shape{b};
  for (int64_t d = 0; d < dims; ++d) per_item_shape.push_back(1);
  for (int64_t start = 0; start < windows; start += per_pass) {
    const int64_t k = std::min(per_pass, windows - start);
    // k copies of the input [k, B, *item], window start + j occluded in copy j: one forward pass.
    std::vector<int64_t> stacked{k};
    for (auto s : x.sizes()) stacked.push_back(s);
    auto occluded = x.unsqueeze(0).expand(stacked).clone();
    for (int64_t j = 0; j < k; ++j) region(occluded.select(0, j), 1, start + j).fill_(options_.baseline());
    std::vector<int64_t> flat{k * b};
    for (int64_t d = 1; d <= dims; ++d) flat.push_back(x.size(d));
    auto s = objective.scores(occluded.view(flat), items.repeat({k})).view({k, b});
    auto diff = f_x.unsqueeze(0) - s;  // [k, B]
    // Each window adds its difference to the features it covers: a slice, not a full-size mask.
    for (int64_t j = 0; j < k; ++j) {
      region(total, 1, start + j).add_(diff.select(0, j).view(per_item_shape));
      region(cover, 0, start + j).add_(1.0);
    }
  }
  Attribution a;
  a.values = total / cover.unsqueeze(0);
  return a;
}

}  // namespace gnnx::attribution
