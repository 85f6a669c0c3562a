#include "gnnx/datasets/images.h"

#include <cmath>

#include <torch/torch.h>

#include "gnnx/core/check.h"
#include "gnnx/core/random.h"

namespace gnnx::datasets {

ImageDataset ImageDataset::subset(const at::Tensor& index) const {
  GNNX_CHECK(index.defined() && index.dim() == 1 && index.scalar_type() == at::kLong,
             "ImageDataset::subset: index must be a 1-D int64 tensor");
  if (index.numel() > 0) {
    GNNX_CHECK(index.min().item<int64_t>() >= 0 && index.max().item<int64_t>() < size(),
               "ImageDataset::subset: index out of range [0, ", size(), ")");
  }
  return {images.index_select(0, index), labels.index_select(0, index), masks.index_select(0, index),
          boxes.index_select(0, index), class_names};
}

namespace {

// Whether pixel centre (x, y) lies inside the shape of side `s` centred at (cx, cy).
bool inside(Shape shape, double x, double y, double cx, double cy, double s) {
  const double r = s / 2.0, dx = x - cx, dy = y - cy;
  switch (shape) {
    case Shape::kSquare: return std::abs(dx) <= r && std::abs(dy) <= r;
    case Shape::kDisc: return dx * dx + dy * dy <= r * r;
    case Shape::kTriangle: {  // apex up, base down, height = base = s
      if (dy < -r || dy > r) return false;
      const double half = (dy + r) / 2.0;  // half-width grows from 0 at the apex to r at the base
      return std::abs(dx) <= half;
    }
    case Shape::kCross: {
      const double arm = r / 3.0;
      return (std::abs(dx) <= arm && std::abs(dy) <= r) || (std::abs(dy) <= arm && std::abs(dx) <= r);
    }
  }
  return false;
}

}  // namespace

ImageDataset make_shapes_images(const ShapesImagesOptions& o) {
  const char* op = "make_shapes_images";
  GNNX_CHECK(o.num_images() > 0, op, ": num_images must be positive, got ", o.num_images());
  GNNX_CHECK(o.size() >= 16, op, ": size must be at least 16, got ", o.size());
  GNNX_CHECK(o.channels() == 1 || o.channels() == 3, op, ": channels must be 1 or 3, got ", o.channels());
  GNNX_CHECK(o.min_scale() >= 5 && o.min_scale() <= o.max_scale() && o.max_scale() <= o.size() - 2, op,
             ": need 5 <= min_scale <= max_scale <= size - 2, got min_scale = ", o.min_scale(),
             ", max_scale = ", o.max_scale(), ", size = ", o.size());
  GNNX_CHECK(o.noise() >= 0 && o.texture() >= 0, op, ": noise and texture must be non-negative, got ", o.noise(),
             " and ", o.texture());

  const int64_t n = o.num_images(), c = o.channels(), hw = o.size();
  const double pi = 3.14159265358979323846;
  auto images = torch::empty({n, c, hw, hw}, torch::kFloat);
  auto masks = torch::zeros({n, hw, hw}, torch::kBool);
  auto boxes = torch::empty({n, 4}, torch::kLong);
  auto labels = torch::empty({n}, torch::kLong);
  auto img = images.accessor<float, 4>();
  auto msk = masks.accessor<bool, 3>();
  auto box = boxes.accessor<int64_t, 2>();
  auto lab = labels.accessor<int64_t, 1>();

  Rng rng(o.seed());
  std::vector<double> colour(static_cast<size_t>(c)), phase_amp(static_cast<size_t>(c));
  for (int64_t i = 0; i < n; ++i) {
    const auto shape = static_cast<Shape>(i % 4);
    lab[i] = i % 4;
    const double s = static_cast<double>(uniform_int(rng, o.min_scale(), o.max_scale()));
    // Keep the whole object inside the image: the centre is at least s/2 from each border.
    const double lo = s / 2.0, hi = static_cast<double>(hw) - s / 2.0;
    const double cx = lo + uniform_real(rng) * (hi - lo) - 0.5, cy = lo + uniform_real(rng) * (hi - lo) - 0.5;
    // Grating texture: orientation, spatial frequency (cycles per pixel), phase.
    const double theta = uniform_real(rng) * pi, freq = 0.08 + 0.17 * uniform_real(rng),
                 phase = uniform_real(rng) * 2 * pi;
    for (int64_t ch = 0; ch < c; ++ch) {
      colour[static_cast<size_t>(ch)] = 0.7 + 0.6 * uniform_real(rng);
      phase_amp[static_cast<size_t>(ch)] = o.texture() * (0.5 + uniform_real(rng));
    }
    int64_t x0 = hw, y0 = hw, x1 = -1, y1 = -1;
    for (int64_t y = 0; y < hw; ++y) {
      for (int64_t x = 0; x < hw; ++x) {
        const bool in = inside(shape, static_cast<double>(x), static_cast<double>(y), cx, cy, s);
        msk[i][y][x] = in;
        if (in) {
          x0 = std::min(x0, x), y0 = std::min(y0, y), x1 = std::max(x1, x), y1 = std::max(y1, y);
        }
        const double wave = std::sin(2 * pi * freq * (std::cos(theta) * x + std::sin(theta) * y) + phase);
        for (int64_t ch = 0; ch < c; ++ch) {
          const double base = in ? colour[static_cast<size_t>(ch)] : phase_amp[static_cast<size_t>(ch)] * wave;
          img[i][ch][y][x] = static_cast<float>(base + normal(rng, 0.0, o.noise()));
        }
      }
    }
    GNNX_ASSERT(x1 >= 0, "make_shapes_images: empty object mask");
    box[i][0] = x0, box[i][1] = y0, box[i][2] = x1, box[i][3] = y1;
  }
  return {images, labels, masks, boxes, {"square", "disc", "triangle", "cross"}};
}

}  // namespace gnnx::datasets
