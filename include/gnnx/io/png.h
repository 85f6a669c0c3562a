#pragma once
/// PNG output for attribution pictures (stb_image_write), and the heatmap overlay the CLI and
/// the CAM pictures share.

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace gnnx::io {

/// Writes image as an 8-bit PNG. image: [H, W] (grey) or [C, H, W] with C = 1, 3 or 4, floating
/// in [0, 1] (clamped) or uint8; any device. Throws gnnx::Error for another shape or when the
/// file cannot be written.
void write_png(const std::string& path, const at::Tensor& image);

/// The bytes write_png would write for image (same checks), without touching a file.
std::vector<uint8_t> encode_png(const at::Tensor& image);

/// The "jet" colormap: t [H, W] in [0, 1] (clamped) -> [3, H, W] RGB in [0, 1].
at::Tensor jet(const at::Tensor& t);

/// Heatmap over an image, both returned as one RGB picture [3, H, W] in [0, 1]:
/// image [C, H, W] (C = 1 or 3) or [H, W], min–max normalised to [0, 1] for display; heat
/// [h, w] (any size: bilinearly resized to H × W, align_corners = false), scaled to [0, 1] by
/// its largest |value| (signed maps show magnitude) and coloured with jet; the result is
/// (1 − alpha) · image + alpha · colour. alpha in [0, 1]. Default 0.5.
at::Tensor heatmap_overlay(const at::Tensor& image, const at::Tensor& heat, double alpha = 0.5);

}  // namespace gnnx::io
