#pragma once
/// Scores for image explanations against ground truth (localisation, the pointing game) and
/// rank correlation; tensors in, numbers out. The protocols that run a model (deletion, model
/// randomisation) are in gnnx/eval/images.h.
///
/// Heatmaps are [B, H, W]; heatmap() reduces an attribution [B, C, H, W] by summing channels.
/// Boxes are [B, 4] int64 (x0, y0, x1, y1), inclusive pixel coordinates, as in
/// gnnx::datasets::ImageDataset.

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace gnnx::metrics {

/// values [B, C, H, W] -> Σ_c values [B, H, W]; [B, H, W] is returned as is.
at::Tensor heatmap(const at::Tensor& values);

/// An inclusive pixel box.
struct Box {
  int64_t x0 = 0, y0 = 0, x1 = -1, y1 = -1;
  int64_t area() const { return x1 < x0 || y1 < y0 ? 0 : (x1 - x0 + 1) * (y1 - y0 + 1); }
};
/// Intersection over union of two inclusive boxes (0 when both are empty).
double box_iou(const Box& a, const Box& b);

/// The CAM paper's box: keep the pixels of map [H, W] with value >= fraction · max(map), take
/// the largest 8-connected component of them (Boost.Graph connected_components on the pixel
/// grid; ties: the component containing the first such pixel in row-major order) and return its
/// bounding box. A map whose maximum is <= 0 gives an empty box.
Box cam_box(const at::Tensor& map, double fraction = 0.2);

/// Per image: IoU of cam_box(maps[b], fraction) with boxes[b]. maps [B, H, W] -> [B] double.
at::Tensor localization_iou(const at::Tensor& maps, const at::Tensor& boxes, double fraction = 0.2);
/// Per image: 1 when the map's maximum (first in row-major order) lies inside masks[b]
/// [B, H, W] bool, else 0 -> [B] double. (The pointing game without tolerance.)
at::Tensor pointing_game(const at::Tensor& maps, const at::Tensor& masks);
/// Per image: Σ_{mask} relu(map) / Σ relu(map), 0 when the map has no positive value -> [B].
at::Tensor positive_share_in_mask(const at::Tensor& maps, const at::Tensor& masks);

/// Understandability proxy: the file size of the explanation (Samek et al., "Toward interpretable
/// machine learning", 2021: the smaller, the easier to understand). Per map of maps [B, H, W]:
/// the map is scaled by its largest |value| to [−1, 1], quantised to 8 bits (0 ↦ 128, ±1 ↦ 255 /
/// 1) and encoded as a grey PNG (io::encode_png, deflate); returns the PNG sizes in bytes [B]
/// double. An all-zero (or constant) map gives the smallest file of its size; noise the largest.
/// Sizes compare maps of the same H × W only.
at::Tensor png_file_size(const at::Tensor& maps);

/// Spearman rank correlation of two tensors of the same numel (average ranks for ties). NaN
/// when either is constant.
double spearman(const at::Tensor& a, const at::Tensor& b);

}  // namespace gnnx::metrics
