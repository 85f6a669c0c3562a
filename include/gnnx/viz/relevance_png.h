#pragma once
/// Raster pictures of higher-order and kernel explanations: BiLRP pair links between two
/// images, and relevance over a 2-D plane (NEON). They return RGB tensors [3, H, W] in [0, 1];
/// write them with gnnx::io::write_png.

#include <cstdint>

#include <ATen/core/Tensor.h>

#include "gnnx/attribution/bilrp.h"
#include "gnnx/core/arg.h"

namespace gnnx::viz {

struct BilrpPictureOptions {
  /// Pairs linked: those of largest |relevance|. Default 20.
  GNNX_ARG(int64_t, top_k) = 20;
  /// Pixels per image pixel (nearest-neighbour upscaling). Default 8.
  GNNX_ARG(int64_t, scale) = 8;
  /// White columns between the two images. Default 24.
  GNNX_ARG(int64_t, gap) = 24;
};

/// x and x2 ([C, H, W] or [1, C, H, W], C = 1 or 3, each min–max normalised for display) side by
/// side, and a straight line from the centre of patch p of x to the centre of patch p' of x2
/// for each of the top_k pairs of r (red: R > 0, blue: R < 0; the stronger, the more opaque and
/// thicker; the weakest drawn last so that strong links stay on top). Throws gnnx::Error when the
/// images do not match r's patch grids or an option is out of range.
at::Tensor bilrp_picture(const at::Tensor& x, const at::Tensor& x2, const attribution::BilrpResult& r,
                         const BilrpPictureOptions& options = {});

/// A signed field over a grid, values [H, W] (row 0 drawn at the top), coloured red for > 0 and
/// blue for < 0 with intensity min(|v| / scale, 1) (white at 0); scale ≤ 0 means max |v|. Points
/// [N, 2] are drawn as black dots, in the grid's coordinates: column = (p_0 − x_lo) / (x_hi − x_lo)
/// · (W − 1), row = (y_hi − p_1) / (y_hi − y_lo) · (H − 1); points outside are skipped. Throws
/// gnnx::Error for a values tensor that is not 2-D, points that are not [N, 2], or x_lo ≥ x_hi /
/// y_lo ≥ y_hi.
at::Tensor signed_field_picture(const at::Tensor& values, const at::Tensor& points, double x_lo, double x_hi,
                                double y_lo, double y_hi, double scale = 0.0);

}  // namespace gnnx::viz
