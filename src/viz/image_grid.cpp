#include "gnnx/viz/image_grid.h"

#include <algorithm>
#include <cmath>

#include <torch/torch.h>

#include "gnnx/core/check.h"

namespace gnnx::viz {
namespace {

// [C, h, w] with C = 1 or 3 -> [3, h·scale, w·scale], nearest-neighbour upscaling.
at::Tensor rgb_scaled(const at::Tensor& tile, int64_t scale) {
  auto t = tile.size(0) == 1 ? tile.expand({3, tile.size(1), tile.size(2)}) : tile;
  return t.repeat_interleave(scale, 1).repeat_interleave(scale, 2);
}

at::Tensor min_max(const at::Tensor& t) {
  const double lo = t.min().item<double>(), hi = t.max().item<double>();
  return hi > lo ? (t - lo) / (hi - lo) : torch::full_like(t, 0.5);
}

void check_tiles(const at::Tensor& t, const char* op, const char* what) {
  GNNX_CHECK(t.defined() && t.dim() == 4 && t.size(0) > 0 && (t.size(1) == 1 || t.size(1) == 3) && t.size(2) > 0 &&
                 t.size(3) > 0,
             op, ": expected ", what, " [N, C, h, w] with N > 0 and C = 1 or 3, got ",
             t.defined() ? t.sizes() : c10::IntArrayRef{});
}

}  // namespace

at::Tensor image_grid(const at::Tensor& tiles, const ImageGridOptions& options) {
  const char* op = "image_grid";
  check_tiles(tiles, op, "tiles");
  GNNX_CHECK(options.columns() >= 0 && options.scale() >= 1 && options.scale() <= 64 && options.pad() >= 0, op,
             ": need columns >= 0, 1 <= scale <= 64 and pad >= 0, got columns = ", options.columns(),
             ", scale = ", options.scale(), ", pad = ", options.pad());
  auto t = tiles.detach().to(torch::kCPU, torch::kFloat);
  GNNX_CHECK(torch::isfinite(t).all().item<bool>(), op, ": the tiles contain NaN or infinity");
  const int64_t n = t.size(0);
  const int64_t cols = options.columns() > 0 ? std::min(options.columns(), n)
                                             : static_cast<int64_t>(std::ceil(std::sqrt(static_cast<double>(n))));
  const int64_t rows = (n + cols - 1) / cols, th = t.size(2) * options.scale(), tw = t.size(3) * options.scale();
  const int64_t pad = options.pad();
  GNNX_CHECK(rows * (th + pad) + pad <= 16384 && cols * (tw + pad) + pad <= 16384, op, ": the grid would be ",
             cols * (tw + pad) + pad, " x ", rows * (th + pad) + pad, " pixels (at most 16384 a side)");
  if (options.tile_scale() == TileScale::kAll) t = min_max(t);
  auto canvas = torch::ones({3, rows * (th + pad) + pad, cols * (tw + pad) + pad});
  for (int64_t i = 0; i < n; ++i) {
    auto tile = options.tile_scale() == TileScale::kEach ? min_max(t[i]) : t[i].clamp(0, 1);
    const int64_t y = pad + (i / cols) * (th + pad), x = pad + (i % cols) * (tw + pad);
    canvas.slice(1, y, y + th).slice(2, x, x + tw).copy_(rgb_scaled(tile, options.scale()));
  }
  return canvas;
}

at::Tensor point_map(const at::Tensor& images, const at::Tensor& points, const at::Tensor& labels,
                     const PointMapOptions& options) {
  const char* op = "point_map";
  check_tiles(images, op, "images");
  const int64_t n = images.size(0);
  GNNX_CHECK(points.defined() && points.dim() == 2 && points.size(0) == n && points.size(1) == 2, op,
             ": expected points [", n, ", 2], got ", points.defined() ? points.sizes() : c10::IntArrayRef{});
  GNNX_CHECK(!labels.defined() || (labels.dim() == 1 && labels.size(0) == n && !labels.is_floating_point()), op,
             ": expected integer labels [", n, "], got ", labels.defined() ? labels.sizes() : c10::IntArrayRef{});
  GNNX_CHECK(options.scale() >= 1 && options.frame() >= 0, op,
             ": need scale >= 1 and frame >= 0, got scale = ", options.scale(), ", frame = ", options.frame());
  const int64_t th = images.size(2) * options.scale() + 2 * options.frame();
  const int64_t tw = images.size(3) * options.scale() + 2 * options.frame();
  GNNX_CHECK(options.size() >= 2 * std::max(th, tw) && options.size() <= 16384, op, ": size must be in [",
             2 * std::max(th, tw), ", 16384] for these thumbnails, got ", options.size());
  auto p = points.detach().to(torch::kCPU, torch::kDouble);
  GNNX_CHECK(torch::isfinite(p).all().item<bool>(), op, ": the points contain NaN or infinity");
  auto img = images.detach().to(torch::kCPU, torch::kFloat);
  auto lab = labels.defined() ? labels.to(torch::kCPU, torch::kLong) : at::Tensor();
  // Ten distinct colours (Tableau 10), by label modulo 10.
  static const float palette[10][3] = {{0.12f, 0.47f, 0.71f}, {1.00f, 0.50f, 0.05f}, {0.17f, 0.63f, 0.17f},
                                       {0.84f, 0.15f, 0.16f}, {0.58f, 0.40f, 0.74f}, {0.55f, 0.34f, 0.29f},
                                       {0.89f, 0.47f, 0.76f}, {0.50f, 0.50f, 0.50f}, {0.74f, 0.74f, 0.13f},
                                       {0.09f, 0.75f, 0.81f}};
  const double x_lo = p.select(1, 0).min().item<double>(), x_hi = p.select(1, 0).max().item<double>();
  const double y_lo = p.select(1, 1).min().item<double>(), y_hi = p.select(1, 1).max().item<double>();
  const int64_t s = options.size();
  auto canvas = torch::ones({3, s, s});
  for (int64_t i = 0; i < n; ++i) {
    const double u = x_hi > x_lo ? (p[i][0].item<double>() - x_lo) / (x_hi - x_lo) : 0.5;
    const double v = y_hi > y_lo ? (y_hi - p[i][1].item<double>()) / (y_hi - y_lo) : 0.5;
    const int64_t x = static_cast<int64_t>(std::lround(u * static_cast<double>(s - tw)));
    const int64_t y = static_cast<int64_t>(std::lround(v * static_cast<double>(s - th)));
    auto cell = canvas.slice(1, y, y + th).slice(2, x, x + tw);
    if (lab.defined() && options.frame() > 0) {
      const auto* c = palette[((lab[i].item<int64_t>() % 10) + 10) % 10];
      for (int64_t ch = 0; ch < 3; ++ch) cell[ch].fill_(c[ch]);
    }
    const int64_t f = options.frame();
    cell.slice(1, f, th - f).slice(2, f, tw - f).copy_(rgb_scaled(min_max(img[i]), options.scale()));
  }
  return canvas;
}

}  // namespace gnnx::viz
