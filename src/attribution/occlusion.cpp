// Occlusion with Captum 0.7's window and stride conventions (see the header).
#include "gnnx/attribution/occlusion.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <memory>
#include <utility>

#include <torch/script.h>
#include <torch/torch.h>

#include "attribution/items.h"
#include "attribution/layer_geometry.h"
#include "attribution/option_text.h"
#include "gnnx/core/check.h"

namespace gnnx::attribution {
namespace {
// Rows per forward pass when perturbations_per_eval is automatic (-1): large enough that a
// small image's windows share one pass, small enough to bound the pass's memory.
constexpr int64_t kAutoRows = 256;

// Whether the copies below run as plain loops: a CPU tensor of float or double. Elsewhere (CUDA,
// other types) the same steps run as indexing operations.
bool raw_cpu(const at::Tensor& t) {
  return t.is_cpu() && (t.scalar_type() == at::kFloat || t.scalar_type() == at::kDouble);
}

// A box of a contiguous tensor of shape `shape`: [lo_d, hi_d) along each dimension d. Calls
// f(offset, n) for each run of n consecutive elements of the box (along the last dimension).
template <typename F>
void for_each_run(const std::vector<int64_t>& shape, const std::vector<int64_t>& lo, const std::vector<int64_t>& hi,
                  F&& f) {
  const size_t dims = shape.size();
  for (size_t d = 0; d < dims; ++d)
    if (hi[d] <= lo[d]) return;
  std::vector<int64_t> stride(dims, 1);
  for (size_t d = dims - 1; d-- > 0;) stride[d] = stride[d + 1] * shape[d + 1];
  std::vector<int64_t> at = lo;
  const int64_t n = hi[dims - 1] - lo[dims - 1];
  for (;;) {
    int64_t offset = 0;
    for (size_t d = 0; d < dims; ++d) offset += at[d] * stride[d];
    f(offset, n);
    // The next run: count through dimensions dims - 2, ..., 0.
    size_t d = dims - 1;
    for (;;) {
      if (d == 0) return;
      --d;
      if (++at[d] < hi[d]) break;
      at[d] = lo[d];
    }
  }
}

// Incremental occlusion of an image model with layers [B, C, H, W] -> ... A window changes the
// input inside its box only, so each layer's output differs from the unoccluded image's only in
// the part its receptive field reaches. Each row of a pass is carried as a crop, all rows' crops of
// one size at per-row offsets, the rest of the row being the unoccluded activation (recorded once):
// elementwise layers (ReLU, eval-mode batch norm, dropout) act on the crops; a convolution or a
// max pooling reads, per row, the input window its affected outputs need (the unoccluded input
// with the crop pasted in) and computes those outputs only. At the first other layer (a linear
// layer, a flatten, an adaptive pooling) the rows are made whole and the remaining layers run on
// them. Values equal the whole model's up to float rounding (tests/attribution/occlusion_test.cpp).
struct Region {
  at::Tensor crop;            // [R, C, h, w]
  std::vector<int64_t> y, x;  // per row: the crop's top-left corner in the layer's input
};

// Outputs [lo, hi) of a window op of size n (kernel k, stride s, padding p, dilation d) that read
// any input row in [a, b): output o reads input rows [o s − p, o s − p + (k − 1) d].
std::pair<int64_t, int64_t> reach(int64_t a, int64_t b, int64_t k, int64_t s, int64_t p, int64_t d, int64_t n) {
  const int64_t first = a + p - (k - 1) * d;
  const int64_t lo = first <= 0 ? 0 : (first + s - 1) / s;
  const int64_t hi = std::min<int64_t>(n, (b - 1 + p) / s + 1);
  return {std::min(lo, hi), hi};
}

// Whether a max pooling rounds its output size up (true also when it cannot be read).
bool ceil_mode(const Layer& layer) {
  if (layer.module) {
    auto* mp = layer.module->as<torch::nn::MaxPool2d>();
    return mp == nullptr || mp->options.ceil_mode();
  }
  if (layer.script && layer.script->hasattr("ceil_mode")) {
    const auto c = layer.script->attr("ceil_mode");
    return !c.isBool() || c.toBool();
  }
  return true;
}

class IncrementalForward {
 public:
  // Records each layer's input at the unoccluded input x [B, C, H, W], and the scores there.
  IncrementalForward(Objective& objective, const at::Tensor& x, const at::Tensor& items) {
    const auto& layers = objective.layers();
    base_in_.resize(layers.size());
    LayerHook record = [&](int64_t i, const Layer& layer, const at::Tensor& in) {
      base_in_[static_cast<size_t>(i)] = in;
      return at::Tensor();
    };
    f_x_ = objective.scores(x, items, &record);
  }
  const at::Tensor& f_x() const { return f_x_; }

  // The scores of rows [k B, C, H, W], row j B + item occluded (set to `baseline`) in the box
  // given by boxes[j] = {c0, c1, r0, r1, x0, x1} (channels, rows, columns). On the CPU (float,
  // double) the crops are cut from x and occluded directly, and `rows` only gives the pass's
  // shape; elsewhere they are cut from `rows`, which holds the occluded copies.
  at::Tensor scores(Objective& objective, const at::Tensor& x, const at::Tensor& rows, const at::Tensor& items,
                    const std::vector<std::array<int64_t, 6>>& boxes, int64_t b, double baseline) {
    const int64_t R = rows.size(0), C = rows.size(1), H = rows.size(2), W = rows.size(3);
    int64_t h = 0, w = 0;
    for (const auto& box : boxes) h = std::max(h, box[3] - box[2]), w = std::max(w, box[5] - box[4]);
    Region region;
    for (int64_t r = 0; r < R; ++r) {
      const auto& box = boxes[static_cast<size_t>(r / b)];
      region.y.push_back(std::min(box[2], H - h));
      region.x.push_back(std::min(box[4], W - w));
    }
    if (raw_cpu(x)) {
      auto crop = gather_hwc(x, region.y, region.x, h, w, /*item_of_row=*/true, b);  // [R, h, w, C]
      AT_DISPATCH_FLOATING_TYPES(crop.scalar_type(), "occlusion_window", [&] {
        scalar_t* data = crop.data_ptr<scalar_t>();
        const auto value = static_cast<scalar_t>(baseline);
        for (int64_t r = 0; r < R; ++r) {
          const auto u = static_cast<size_t>(r);
          const auto& box = boxes[static_cast<size_t>(r / b)];
          for_each_run({h, w, C}, {box[2] - region.y[u], box[4] - region.x[u], box[0]},
                       {box[3] - region.y[u], box[5] - region.x[u], box[1]},
                       [&](int64_t offset, int64_t n) { std::fill_n(data + r * h * w * C + offset, n, value); });
        }
      });
      region.crop = crop.permute({0, 3, 1, 2});
    } else {
      region.crop = gather_hwc(rows, region.y, region.x, h, w, /*item_of_row=*/false, b).permute({0, 3, 1, 2});
    }
    bool tracking = true;
    LayerHook hook = [&](int64_t i, const Layer& layer, const at::Tensor& in) -> at::Tensor {
      if (!tracking) return {};
      const auto& base = base_in_[static_cast<size_t>(i)];
      const bool training = layer.module && layer.module->is_training();
      // The unoccluded output of a window op is the next layer's input (the last layer has none).
      const bool has_next = static_cast<size_t>(i) + 1 < base_in_.size();
      const at::Tensor next = has_next ? base_in_[static_cast<size_t>(i) + 1] : at::Tensor();
      if (!training && base.dim() == 4) {
        if (layer.kind == LayerKind::kReLU || layer.kind == LayerKind::kBatchNorm ||
            layer.kind == LayerKind::kDropout) {
          region.crop = layer.forward(region.crop);
          return region.crop;  // a stand-in: the next layer reads the region, not its input
        }
        if (layer.kind == LayerKind::kConv) {
          detail::ConvGeometry g;
          try {
            g = detail::conv_geometry(layer, "occlusion");
          } catch (const Error&) {
            g.weight = at::Tensor();  // a convolution it cannot rebuild (e.g. "same" padding) runs whole
          }
          if (g.weight.defined() && g.weight.dim() == 4 && next.defined() && next.dim() == 4) {
            window_op(
                region, base, next, {g.weight.size(2), g.weight.size(3)}, g.stride, g.padding, g.dilation, 0.0, b,
                [&](const at::Tensor& t) {
                  return torch::conv2d(t, g.weight, g.bias, g.stride, std::vector<int64_t>{0, 0}, g.dilation, g.groups);
                });
            return region.crop;
          }
        }
        if (layer.kind == LayerKind::kMaxPool && next.defined() && next.dim() == 4 && !ceil_mode(layer)) {
          detail::PoolGeometry g;
          try {
            g = detail::pool_geometry(layer, "occlusion");
          } catch (const Error&) {
            g.adaptive = true;  // a pooling it cannot read runs on whole rows
          }
          if (!g.adaptive) {
            window_op(region, base, next, g.kernel, g.stride, g.padding, g.dilation,
                      -std::numeric_limits<double>::infinity(), b, [&](const at::Tensor& t) {
                        return torch::max_pool2d(t, g.kernel, g.stride, std::vector<int64_t>{0, 0}, g.dilation);
                      });
            return region.crop;
          }
        }
      }
      // From here on whole rows: the unoccluded input of this layer with each row's crop pasted.
      tracking = false;
      auto whole = expand(base, R, b);
      paste(whole, region.crop, region.y, region.x);
      return layer.forward(whole.permute({0, 3, 1, 2}));
    };
    return objective.scores(rows, items, &hook);
  }

 private:
  // A fresh [R, H, W, C] tensor whose row r is t's row r % b (t [b, C, H, W]): the rows are then
  // written in place, so they never share memory with t, whatever t's layout.
  static at::Tensor expand(const at::Tensor& t, int64_t R, int64_t b) {
    const int64_t C = t.size(1), H = t.size(2), W = t.size(3);
    auto out = at::empty({R, H, W, C}, t.options());
    out.view({R / b, b, H, W, C}).copy_(t.permute({0, 2, 3, 1}).unsqueeze(0));
    return out;
  }

  // Index grids of per-row windows [y_r, y_r + h) x [x_r, x_r + w): rows [R, 1, 1], ys [R, h, 1]
  // and xs [R, 1, w], for indexing an [R, H, W, C] tensor.
  struct Grid {
    at::Tensor row, ys, xs;
  };
  static Grid grid(const std::vector<int64_t>& y, const std::vector<int64_t>& x, int64_t h, int64_t w,
                   const c10::Device& device) {
    const auto R = static_cast<int64_t>(y.size());
    const auto opts = torch::TensorOptions().dtype(torch::kLong).device(device);
    return {torch::arange(R, opts).view({R, 1, 1}),
            torch::tensor(y, opts).view({R, 1, 1}) + torch::arange(h, opts).view({1, h, 1}),
            torch::tensor(x, opts).view({R, 1, 1}) + torch::arange(w, opts).view({1, 1, w})};
  }

  // Per row r the window [y_r, y_r + h) x [x_r, x_r + w) of t [B', C, H, W] as a fresh
  // contiguous [R, h, w, C]; t holds one row per item (row r reads t[r % b]) or one per row. On
  // the CPU each of a window's lines is one copy of w·C values.
  static at::Tensor gather_hwc(const at::Tensor& t, const std::vector<int64_t>& y, const std::vector<int64_t>& x,
                               int64_t h, int64_t w, bool item_of_row, int64_t b) {
    if (!raw_cpu(t)) {
      auto g = grid(y, x, h, w, t.device());
      if (item_of_row) g.row = g.row.remainder(b);
      return t.permute({0, 2, 3, 1}).index({g.row, g.ys, g.xs});
    }
    const auto src = t.permute({0, 2, 3, 1}).contiguous();
    const int64_t H = src.size(1), W = src.size(2), C = src.size(3), R = static_cast<int64_t>(y.size());
    auto out = at::empty({R, h, w, C}, src.options());
    AT_DISPATCH_FLOATING_TYPES(src.scalar_type(), "occlusion_gather", [&] {
      const scalar_t* from = src.data_ptr<scalar_t>();
      scalar_t* to = out.data_ptr<scalar_t>();
      for (int64_t r = 0; r < R; ++r) {
        const auto u = static_cast<size_t>(r);
        const int64_t row = item_of_row ? r % b : r;
        GNNX_ASSERT(y[u] >= 0 && y[u] + h <= H && x[u] >= 0 && x[u] + w <= W, "occlusion: window outside its layer");
        for (int64_t i = 0; i < h; ++i)
          std::memcpy(to + (r * h + i) * w * C, from + ((row * H + y[u] + i) * W + x[u]) * C,
                      sizeof(scalar_t) * static_cast<size_t>(w * C));
      }
    });
    return out;
  }

  // Per row r, the parts of crop [R, C, h, w] inside whole [R, H', W', C] (contiguous) written at
  // corner (y_r, x_r); the parts outside are dropped. CPU float or double only.
  static void paste_hwc(at::Tensor& whole, const at::Tensor& crop, const std::vector<int64_t>& y,
                        const std::vector<int64_t>& x) {
    const auto src = crop.permute({0, 2, 3, 1}).contiguous();
    const int64_t R = src.size(0), h = src.size(1), w = src.size(2), C = src.size(3);
    const int64_t H = whole.size(1), W = whole.size(2);
    GNNX_ASSERT(whole.is_contiguous() && whole.size(3) == C && whole.scalar_type() == src.scalar_type(),
                "occlusion: paste into ", whole.sizes());
    AT_DISPATCH_FLOATING_TYPES(src.scalar_type(), "occlusion_paste", [&] {
      const scalar_t* from = src.data_ptr<scalar_t>();
      scalar_t* to = whole.data_ptr<scalar_t>();
      for (int64_t r = 0; r < R; ++r) {
        const auto u = static_cast<size_t>(r);
        const int64_t j0 = std::max<int64_t>(0, -x[u]), j1 = std::min(w, W - x[u]);
        if (j1 <= j0) continue;
        for (int64_t i = 0; i < h; ++i) {
          const int64_t yy = y[u] + i;
          if (yy < 0 || yy >= H) continue;
          std::memcpy(to + ((r * H + yy) * W + x[u] + j0) * C, from + ((r * h + i) * w + j0) * C,
                      sizeof(scalar_t) * static_cast<size_t>((j1 - j0) * C));
        }
      }
    });
  }

  // Writes crop [R, C, h, w] into whole [R, H', W', C] at per-row corners (y, x); the crop must
  // lie inside whole.
  static void paste(at::Tensor& whole, const at::Tensor& crop, const std::vector<int64_t>& y,
                    const std::vector<int64_t>& x) {
    if (raw_cpu(whole)) return paste_hwc(whole, crop, y, x);
    const auto g = grid(y, x, crop.size(2), crop.size(3), crop.device());
    whole.index_put_({g.row, g.ys, g.xs}, crop.permute({0, 2, 3, 1}));
  }

  // A convolution or pooling (kernel k, stride s, padding p, dilation d, padding value fill) as
  // op on unpadded windows: the outputs each row's crop reaches, computed from the unoccluded
  // input (base [B, C, H, W]) with the crop pasted in. next is the unoccluded output.
  template <typename Op>
  static void window_op(Region& region, const at::Tensor& base, const at::Tensor& next, const std::vector<int64_t>& k,
                        const std::vector<int64_t>& s, const std::vector<int64_t>& p, const std::vector<int64_t>& d,
                        double fill, int64_t b, const Op& op) {
    const int64_t R = region.crop.size(0), h = region.crop.size(2), w = region.crop.size(3);
    const int64_t Ho = next.size(2), Wo = next.size(3);
    int64_t hh = 1, ww = 1;
    std::vector<std::pair<int64_t, int64_t>> rows(static_cast<size_t>(R)), cols(static_cast<size_t>(R));
    for (int64_t r = 0; r < R; ++r) {
      const auto u = static_cast<size_t>(r);
      rows[u] = reach(region.y[u], region.y[u] + h, k[0], s[0], p[0], d[0], Ho);
      cols[u] = reach(region.x[u], region.x[u] + w, k[1], s[1], p[1], d[1], Wo);
      hh = std::max(hh, rows[u].second - rows[u].first);
      ww = std::max(ww, cols[u].second - cols[u].first);
    }
    // The input each row's outputs [o0, o0 + hh) read: padded rows [o0 s, o0 s + in_h), plus a
    // sink row and column for the crop's parts outside it.
    const int64_t in_h = (hh - 1) * s[0] + (k[0] - 1) * d[0] + 1, in_w = (ww - 1) * s[1] + (k[1] - 1) * d[1] + 1;
    auto padded = torch::constant_pad_nd(base, {p[1], p[1] + in_w + 1, p[0], p[0] + in_h + 1}, fill);
    std::vector<int64_t> oy(static_cast<size_t>(R)), ox(static_cast<size_t>(R)), iy(static_cast<size_t>(R)),
        ix(static_cast<size_t>(R)), cy(static_cast<size_t>(R)), cx(static_cast<size_t>(R));
    for (int64_t r = 0; r < R; ++r) {
      const auto u = static_cast<size_t>(r);
      oy[u] = std::max<int64_t>(0, std::min(rows[u].first, Ho - hh));
      ox[u] = std::max<int64_t>(0, std::min(cols[u].first, Wo - ww));
      iy[u] = oy[u] * s[0], ix[u] = ox[u] * s[1];
      cy[u] = region.y[u] + p[0] - iy[u], cx[u] = region.x[u] + p[1] - ix[u];
    }
    at::Tensor inputs;
    if (raw_cpu(padded)) {
      auto window = gather_hwc(padded, iy, ix, in_h, in_w, /*item_of_row=*/true, b);
      paste_hwc(window, region.crop, cy, cx);  // the crop's parts outside the window are dropped
      inputs = window.permute({0, 3, 1, 2});
    } else {
      // (gather's indexing makes a fresh [R, h, w, C] tensor.)
      auto window = gather_hwc(padded, iy, ix, in_h + 1, in_w + 1, /*item_of_row=*/true, b);
      // Crop positions outside [0, in_h) x [0, in_w) go to the sink (index in_h / in_w).
      auto g = grid(cy, cx, h, w, base.device());
      g.ys = torch::where((g.ys >= 0) & (g.ys < in_h), g.ys, torch::full_like(g.ys, in_h));
      g.xs = torch::where((g.xs >= 0) & (g.xs < in_w), g.xs, torch::full_like(g.xs, in_w));
      window.index_put_({g.row, g.ys, g.xs}, region.crop.permute({0, 2, 3, 1}));
      inputs = window.narrow(1, 0, in_h).narrow(2, 0, in_w).permute({0, 3, 1, 2});
    }
    region.crop = op(inputs.contiguous(at::MemoryFormat::ChannelsLast));
    region.y = std::move(oy);
    region.x = std::move(ox);
  }

  std::vector<at::Tensor> base_in_;
  at::Tensor f_x_;
};

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
  // Images [B, C, H, W] of a model whose layers reproduce it run incrementally.
  std::unique_ptr<IncrementalForward> incremental;
  if (objective.kind() == "image" && x.dim() == 4 && !objective.layers().empty()) {
    try {
      objective.check_layers(x);
      incremental = std::make_unique<IncrementalForward>(objective, x, items);
    } catch (const Error&) {
      incremental.reset();  // the layers do not reproduce the model: the whole model runs
    }
  }
  auto f_x = incremental ? incremental->f_x() : objective.scores(x, items);
  auto total = torch::zeros_like(x);
  auto cover = torch::zeros(x.sizes().slice(1), x.options());
  std::vector<int64_t> per_item_shape{b};
  for (int64_t d = 0; d < dims; ++d) per_item_shape.push_back(1);
  // Window w's box: [lo_d, hi_d) along each item dimension d.
  std::vector<int64_t> item_shape(x.sizes().begin() + 1, x.sizes().end());
  auto box = [&](int64_t w, std::vector<int64_t>& lo, std::vector<int64_t>& hi) {
    lo.resize(static_cast<size_t>(dims));
    hi.resize(static_cast<size_t>(dims));
    for (int64_t d = 0; d < dims; ++d) {
      const auto i = static_cast<size_t>(d);
      lo[i] = (w % counts[i]) * strides[i];
      hi[i] = std::min(lo[i] + window[i], item_shape[i]);
      w /= counts[i];
    }
  };
  // On the CPU the windows are filled and the differences added as plain loops over the boxes'
  // runs; elsewhere as one slice operation per window.
  const bool raw = raw_cpu(x) && total.is_contiguous();
  const int64_t item_numel = cover.numel();
  std::vector<int64_t> lo, hi;
  // k copies of the input [k, B, *item], window start + j occluded in copy j.
  std::vector<int64_t> stacked{0};
  for (auto size : x.sizes()) stacked.push_back(size);
  auto occluded_copies = [&](int64_t k, int64_t start) {
    stacked[0] = k;
    auto occluded = x.unsqueeze(0).expand(stacked).clone(at::MemoryFormat::Contiguous);
    if (!raw_cpu(x)) {
      for (int64_t j = 0; j < k; ++j) region(occluded.select(0, j), 1, start + j).fill_(options_.baseline());
      return occluded;
    }
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "occlusion_fill", [&] {
      scalar_t* data = occluded.data_ptr<scalar_t>();
      const auto value = static_cast<scalar_t>(options_.baseline());
      for (int64_t j = 0; j < k; ++j) {
        box(start + j, lo, hi);
        for (int64_t i = 0; i < b; ++i)
          for_each_run(item_shape, lo, hi, [&](int64_t offset, int64_t n) {
            std::fill_n(data + (j * b + i) * item_numel + offset, n, value);
          });
      }
    });
    return occluded;
  };
  for (int64_t start = 0; start < windows; start += per_pass) {
    const int64_t k = std::min(per_pass, windows - start);
    std::vector<int64_t> flat{k * b};
    for (int64_t d = 1; d <= dims; ++d) flat.push_back(x.size(d));
    at::Tensor s;
    if (incremental) {
      std::vector<std::array<int64_t, 6>> boxes;  // window start + j's channels, rows and columns
      for (int64_t j = 0; j < k; ++j) {
        box(start + j, lo, hi);
        boxes.push_back({lo[0], hi[0], lo[1], hi[1], lo[2], hi[2]});
      }
      // On the CPU the rows are not read (the crops come from x): one item needs no copies.
      at::Tensor rows;
      if (raw_cpu(x)) {
        rows = b == 1 ? x.expand(flat) : x.repeat({k, 1, 1, 1});
      } else {
        rows = occluded_copies(k, start).view(flat);
      }
      s = incremental->scores(objective, x, rows, items.repeat({k}), boxes, b, options_.baseline()).view({k, b});
    } else {
      s = objective.scores(occluded_copies(k, start).view(flat), items.repeat({k})).view({k, b});
    }
    auto diff = (f_x.unsqueeze(0) - s).contiguous();  // [k, B]
    // Each window adds its difference to the features it covers: its box, not a full-size mask.
    if (raw) {
      auto d = diff.to(x.scalar_type());
      AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "occlusion_add", [&] {
        scalar_t* t = total.data_ptr<scalar_t>();
        scalar_t* c = cover.data_ptr<scalar_t>();
        const scalar_t* dd = d.data_ptr<scalar_t>();
        for (int64_t j = 0; j < k; ++j) {
          box(start + j, lo, hi);
          for_each_run(item_shape, lo, hi, [&](int64_t offset, int64_t n) {
            for (int64_t i = 0; i < b; ++i) {
              scalar_t* row = t + i * item_numel + offset;
              const scalar_t v = dd[j * b + i];
              for (int64_t e = 0; e < n; ++e) row[e] += v;
            }
            for (int64_t e = 0; e < n; ++e) c[offset + e] += 1;
          });
        }
      });
    } else {
      for (int64_t j = 0; j < k; ++j) {
        region(total, 1, start + j).add_(diff.select(0, j).view(per_item_shape));
        region(cover, 0, start + j).add_(1.0);
      }
    }
  }
  Attribution a;
  a.values = total / cover.unsqueeze(0);
  return a;
}

}  // namespace gnnx::attribution
