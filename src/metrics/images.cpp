#include "gnnx/metrics/images.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/connected_components.hpp>
#include <torch/torch.h>

#include "gnnx/core/check.h"
#include "gnnx/io/png.h"

namespace gnnx::metrics {

at::Tensor heatmap(const at::Tensor& values) {
  GNNX_CHECK(values.defined() && (values.dim() == 3 || values.dim() == 4),
             "heatmap: expected [B, C, H, W] or [B, H, W], got ",
             values.defined() ? values.sizes() : at::IntArrayRef{});
  return values.dim() == 4 ? values.sum(1) : values;
}

at::Tensor png_file_size(const at::Tensor& maps) {
  GNNX_CHECK(maps.defined() && maps.dim() == 3 && maps.size(1) > 0 && maps.size(2) > 0,
             "png_file_size: expected maps [B, H, W], got ", maps.defined() ? maps.sizes() : at::IntArrayRef{});
  auto m = maps.detach().to(torch::kCPU, torch::kDouble).nan_to_num(0.0);
  auto out = torch::zeros({m.size(0)}, torch::kDouble);
  for (int64_t b = 0; b < m.size(0); ++b) {
    const double scale = m[b].abs().max().item<double>();
    auto v = scale > 0 ? m[b] / scale : torch::zeros_like(m[b]);
    auto grey = (v * 127.0 + 128.0).round().clamp(0.0, 255.0).to(torch::kUInt8);
    out[b] = static_cast<double>(io::encode_png(grey).size());
  }
  return out;
}

double box_iou(const Box& a, const Box& b) {
  Box i{std::max(a.x0, b.x0), std::max(a.y0, b.y0), std::min(a.x1, b.x1), std::min(a.y1, b.y1)};
  const int64_t inter = i.area(), uni = a.area() + b.area() - inter;
  return uni == 0 ? 0.0 : static_cast<double>(inter) / static_cast<double>(uni);
}

Box cam_box(const at::Tensor& map, double fraction) {
  GNNX_CHECK(map.defined() && map.dim() == 2, "cam_box: map must be [H, W], got ",
             map.defined() ? map.sizes() : at::IntArrayRef{});
  GNNX_CHECK(fraction > 0 && fraction <= 1, "cam_box: fraction must be in (0, 1], got ", fraction);
  auto m = map.detach().to(torch::kCPU, torch::kDouble).contiguous();
  const int64_t h = m.size(0), w = m.size(1);
  const double mx = m.max().item<double>();
  if (!(mx > 0)) return {};
  const double thr = fraction * mx;
  auto acc = m.accessor<double, 2>();
  // Undirected graph on the kept pixels, edges between 8-neighbours.
  std::vector<int64_t> vertex(static_cast<size_t>(h * w), -1), pixel;
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x)
      if (acc[y][x] >= thr) {
        vertex[static_cast<size_t>(y * w + x)] = static_cast<int64_t>(pixel.size());
        pixel.push_back(y * w + x);
      }
  using G = boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS>;
  G g(pixel.size());
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x) {
      const auto u = vertex[static_cast<size_t>(y * w + x)];
      if (u < 0) continue;
      // Forward neighbours only (right, down-left, down, down-right): each edge once.
      const int64_t dy[] = {0, 1, 1, 1}, dx[] = {1, -1, 0, 1};
      for (int k = 0; k < 4; ++k) {
        const int64_t yy = y + dy[k], xx = x + dx[k];
        if (yy < h && xx >= 0 && xx < w) {
          const auto v = vertex[static_cast<size_t>(yy * w + xx)];
          if (v >= 0) boost::add_edge(static_cast<size_t>(u), static_cast<size_t>(v), g);
        }
      }
    }
  std::vector<int> comp(pixel.size());
  const int n = boost::connected_components(g, comp.data());
  std::vector<int64_t> count(static_cast<size_t>(n), 0);
  for (int c : comp) ++count[static_cast<size_t>(c)];
  // Components are numbered in vertex order, so max_element's first maximum is the component
  // of the first such pixel in row-major order.
  const auto best = static_cast<int>(std::max_element(count.begin(), count.end()) - count.begin());
  Box b{w, h, -1, -1};
  for (size_t v = 0; v < pixel.size(); ++v) {
    if (comp[v] != best) continue;
    const int64_t y = pixel[v] / w, x = pixel[v] % w;
    b.x0 = std::min(b.x0, x), b.y0 = std::min(b.y0, y), b.x1 = std::max(b.x1, x), b.y1 = std::max(b.y1, y);
  }
  return b;
}

namespace {

void check_maps(const char* op, const at::Tensor& maps) {
  GNNX_CHECK(maps.defined() && maps.dim() == 3, op, ": maps must be [B, H, W], got ",
             maps.defined() ? maps.sizes() : at::IntArrayRef{});
}

void check_masks(const char* op, const at::Tensor& maps, const at::Tensor& masks) {
  check_maps(op, maps);
  GNNX_CHECK(masks.defined() && masks.sizes() == maps.sizes(), op, ": masks must be ", maps.sizes(), " like maps, got ",
             masks.defined() ? masks.sizes() : at::IntArrayRef{});
}

}  // namespace

at::Tensor localization_iou(const at::Tensor& maps, const at::Tensor& boxes, double fraction) {
  check_maps("localization_iou", maps);
  GNNX_CHECK(boxes.defined() && boxes.dim() == 2 && boxes.size(0) == maps.size(0) && boxes.size(1) == 4,
             "localization_iou: boxes must be [", maps.size(0), ", 4], got ",
             boxes.defined() ? boxes.sizes() : at::IntArrayRef{});
  auto bx = boxes.to(torch::kCPU, torch::kLong).contiguous();
  auto acc = bx.accessor<int64_t, 2>();
  std::vector<double> out;
  for (int64_t b = 0; b < maps.size(0); ++b) {
    out.push_back(box_iou(cam_box(maps[b], fraction), Box{acc[b][0], acc[b][1], acc[b][2], acc[b][3]}));
  }
  return torch::tensor(out, torch::kDouble);
}

at::Tensor pointing_game(const at::Tensor& maps, const at::Tensor& masks) {
  check_masks("pointing_game", maps, masks);
  auto flat = maps.detach().flatten(1).to(torch::kCPU);
  auto hit = masks.flatten(1).to(torch::kCPU).gather(1, flat.argmax(1, /*keepdim=*/true)).squeeze(1);
  return hit.to(torch::kDouble);
}

at::Tensor positive_share_in_mask(const at::Tensor& maps, const at::Tensor& masks) {
  check_masks("positive_share_in_mask", maps, masks);
  auto pos = torch::relu(maps.detach()).flatten(1).to(torch::kDouble);
  auto inside = (pos * masks.flatten(1).to(pos.options())).sum(1);
  auto total = pos.sum(1);
  return torch::where(total > 0, inside / total.clamp_min(std::numeric_limits<double>::min()), torch::zeros_like(total))
      .to(torch::kCPU);
}

double spearman(const at::Tensor& a, const at::Tensor& b) {
  GNNX_CHECK(a.defined() && b.defined() && a.numel() == b.numel() && a.numel() > 1,
             "spearman: expected two tensors with the same numel > 1, got ", a.defined() ? a.numel() : 0, " and ",
             b.defined() ? b.numel() : 0);
  auto ranks = [](const at::Tensor& t) {
    auto v = t.detach().flatten().to(torch::kCPU, torch::kDouble).contiguous();
    const int64_t n = v.numel();
    auto idx = std::get<1>(v.sort(/*stable=*/true, /*dim=*/0, /*descending=*/false));
    auto vi = v.accessor<double, 1>();
    auto ii = idx.accessor<int64_t, 1>();
    auto r = torch::empty({n}, torch::kDouble);
    auto ri = r.accessor<double, 1>();
    for (int64_t i = 0; i < n;) {
      int64_t j = i;
      while (j + 1 < n && vi[ii[j + 1]] == vi[ii[i]]) ++j;
      const double avg = 0.5 * static_cast<double>(i + j) + 1.0;  // average of ranks i+1..j+1
      for (int64_t k = i; k <= j; ++k) ri[ii[k]] = avg;
      i = j + 1;
    }
    return r;
  };
  auto ra = ranks(a), rb = ranks(b);
  ra -= ra.mean();
  rb -= rb.mean();
  const double den = std::sqrt((ra * ra).sum().item<double>() * (rb * rb).sum().item<double>());
  return den > 0 ? (ra * rb).sum().item<double>() / den : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace gnnx::metrics
