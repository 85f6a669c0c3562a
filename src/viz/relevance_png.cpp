#include "gnnx/viz/relevance_png.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <torch/torch.h>

#include "gnnx/core/check.h"

namespace gnnx::viz {

namespace {

at::Tensor display(const at::Tensor& img, const char* what) {
  GNNX_CHECK(img.defined() && (img.dim() == 3 || (img.dim() == 4 && img.size(0) == 1)), "bilrp_picture: ", what,
             " must be [C, H, W] or [1, C, H, W], got ", img.defined() ? img.sizes() : c10::IntArrayRef{});
  auto t = (img.dim() == 4 ? img[0] : img).detach().to(torch::kCPU, torch::kFloat);
  GNNX_CHECK(t.size(0) == 1 || t.size(0) == 3, "bilrp_picture: ", what, " must have 1 or 3 channels, got ", t.size(0));
  const double lo = t.min().item<double>(), hi = t.max().item<double>();
  t = hi > lo ? (t - lo) / (hi - lo) : torch::zeros_like(t);
  return t.size(0) == 1 ? t.expand({3, t.size(1), t.size(2)}) : t;
}

at::Tensor upscale(const at::Tensor& t, int64_t s) { return t.repeat_interleave(s, 1).repeat_interleave(s, 2); }

// Blends colour c with opacity a into a disc of radius `radius` around (row, col).
void dab(at::TensorAccessor<float, 3>& px, double row, double col, double radius, const float c[3], float a) {
  const int64_t h = px.size(1), w = px.size(2);
  const auto r0 = static_cast<int64_t>(std::floor(row - radius)), r1 = static_cast<int64_t>(std::ceil(row + radius));
  const auto c0 = static_cast<int64_t>(std::floor(col - radius)), c1 = static_cast<int64_t>(std::ceil(col + radius));
  for (int64_t r = std::max<int64_t>(0, r0); r <= std::min(h - 1, r1); ++r)
    for (int64_t q = std::max<int64_t>(0, c0); q <= std::min(w - 1, c1); ++q) {
      const double d2 = (r - row) * (r - row) + (q - col) * (q - col);
      if (d2 > radius * radius) continue;
      for (int k = 0; k < 3; ++k) px[k][r][q] = (1 - a) * px[k][r][q] + a * c[k];
    }
}

}  // namespace

at::Tensor bilrp_picture(const at::Tensor& x, const at::Tensor& x2, const attribution::BilrpResult& r,
                         const BilrpPictureOptions& o) {
  GNNX_CHECK(r.pairs.defined() && r.pairs.dim() == 2, "bilrp_picture: the BiLRP result is empty");
  GNNX_CHECK(o.top_k() >= 0 && o.scale() >= 1 && o.gap() >= 0,
             "bilrp_picture: need top_k >= 0, scale >= 1, gap >= 0, got ", o.top_k(), ", ", o.scale(), ", ", o.gap());
  auto a = display(x, "x"), b = display(x2, "x2");
  GNNX_CHECK(a.size(1) == r.rows * r.patch && a.size(2) == r.cols * r.patch && b.size(1) == r.rows2 * r.patch &&
                 b.size(2) == r.cols2 * r.patch,
             "bilrp_picture: the images ", a.sizes(), " and ", b.sizes(), " do not match the result's patch grids ",
             r.rows, "x", r.cols, " and ", r.rows2, "x", r.cols2, " of patch ", r.patch);
  const int64_t s = o.scale(), ha = a.size(1) * s, wa = a.size(2) * s, hb = b.size(1) * s, wb = b.size(2) * s;
  auto canvas = torch::ones({3, std::max(ha, hb), wa + o.gap() + wb});
  canvas.slice(1, 0, ha).slice(2, 0, wa).copy_(upscale(a, s) * 0.7 + 0.3);  // faded, so links stand out
  canvas.slice(1, 0, hb).slice(2, wa + o.gap(), wa + o.gap() + wb).copy_(upscale(b, s) * 0.7 + 0.3);
  auto top = r.top_pairs(o.top_k());
  if (top.size(0) == 0) return canvas;
  const double strongest = r.pairs.abs().max().item<double>();
  auto px = canvas.accessor<float, 3>();
  const double ps = static_cast<double>(r.patch * s);
  for (int64_t n = top.size(0) - 1; n >= 0; --n) {  // weakest first
    const int64_t p = top[n][0].item<int64_t>(), q = top[n][1].item<int64_t>();
    const double v = r.pairs[p][q].item<double>(), t = strongest > 0 ? std::abs(v) / strongest : 0.0;
    const double y0 = (static_cast<double>(p / r.cols) + 0.5) * ps, x0 = (static_cast<double>(p % r.cols) + 0.5) * ps;
    const double y1 = (static_cast<double>(q / r.cols2) + 0.5) * ps,
                 x1 = (static_cast<double>(q % r.cols2) + 0.5) * ps + static_cast<double>(wa + o.gap());
    const float red[3] = {0.85f, 0.1f, 0.1f}, blue[3] = {0.1f, 0.25f, 0.9f};
    const float* c = v >= 0 ? red : blue;
    const auto alpha = static_cast<float>(0.25 + 0.75 * t);
    const double radius = 0.6 + 1.4 * t;
    const auto steps = static_cast<int64_t>(std::ceil(std::hypot(x1 - x0, y1 - y0))) + 1;
    for (int64_t k = 0; k <= steps; ++k) {
      const double f = static_cast<double>(k) / static_cast<double>(steps);
      dab(px, y0 + f * (y1 - y0), x0 + f * (x1 - x0), radius, c, alpha * 0.6f);
    }
    dab(px, y0, x0, radius + 1.5, c, alpha);
    dab(px, y1, x1, radius + 1.5, c, alpha);
  }
  return canvas;
}

at::Tensor signed_field_picture(const at::Tensor& values, const at::Tensor& points, double x_lo, double x_hi,
                                double y_lo, double y_hi, double scale) {
  GNNX_CHECK(values.defined() && values.dim() == 2 && values.numel() > 0,
             "signed_field_picture: values must be a non-empty [H, W], got ",
             values.defined() ? values.sizes() : c10::IntArrayRef{});
  GNNX_CHECK(!points.defined() || (points.dim() == 2 && points.size(1) == 2),
             "signed_field_picture: points must be [N, 2], got ", points.sizes());
  GNNX_CHECK(x_lo < x_hi && y_lo < y_hi, "signed_field_picture: need x_lo < x_hi and y_lo < y_hi, got [", x_lo, ", ",
             x_hi, "] x [", y_lo, ", ", y_hi, "]");
  auto v = values.detach().to(torch::kCPU, torch::kFloat);
  const double m = scale > 0 ? scale : v.abs().max().item<double>();
  auto t = m > 0 ? (v / m).clamp(-1.0, 1.0) : torch::zeros_like(v);
  auto pos = t.clamp_min(0), neg = (-t).clamp_min(0);
  // White at 0; red (1, 0.1, 0.1) at +1; blue (0.1, 0.25, 0.9) at -1.
  auto canvas = torch::stack({1 - 0.9 * neg, 1 - 0.9 * pos - 0.75 * neg, 1 - 0.9 * pos - 0.1 * neg}, 0).contiguous();
  if (points.defined() && points.numel() > 0) {
    auto p = points.detach().to(torch::kCPU, torch::kDouble);
    auto px = canvas.accessor<float, 3>();
    const float black[3] = {0, 0, 0};
    const double h = static_cast<double>(v.size(0) - 1), w = static_cast<double>(v.size(1) - 1);
    for (int64_t i = 0; i < p.size(0); ++i) {
      const double col = (p[i][0].item<double>() - x_lo) / (x_hi - x_lo) * w;
      const double row = (y_hi - p[i][1].item<double>()) / (y_hi - y_lo) * h;
      if (col < 0 || col > w || row < 0 || row > h) continue;
      dab(px, row, col, 1.5, black, 0.8f);
    }
  }
  return canvas;
}

}  // namespace gnnx::viz
