#pragma once
/// Raster pictures of image collections for feature visualisation: a grid of tiles (filters,
/// patches, neighbours) and a 2-D map with each image drawn at its point. Both return RGB
/// tensors [3, H, W] in [0, 1]; write them with gnnx::io::write_png.

#include <cstdint>

#include <ATen/core/Tensor.h>

#include "gnnx/core/arg.h"
#include "gnnx/core/enum_names.h"

namespace gnnx::viz {

/// How tiles are brought to [0, 1] for display.
enum class TileScale {
  kEach,  ///< min–max of each tile
  kAll,   ///< min–max over all tiles (keeps their relative strength)
  kNone,  ///< as given, clamped to [0, 1]
};
GNNX_ENUM_NAMES(TileScale, "tile scale", {TileScale::kEach, "each"}, {TileScale::kAll, "all"},
                {TileScale::kNone, "none"});

struct ImageGridOptions {
  /// Tiles per row; 0 = ceil(sqrt(N)). Default 0.
  GNNX_ARG(int64_t, columns) = 0;
  /// Pixels per tile pixel (nearest-neighbour upscaling). Default 4.
  GNNX_ARG(int64_t, scale) = 4;
  /// White pixels between tiles and around the grid. Default 2.
  GNNX_ARG(int64_t, pad) = 2;
  /// Display scaling. Default each.
  GNNX_ARG(TileScale, tile_scale) = TileScale::kEach;
};

/// tiles [N, C, h, w] (C = 1: grey, C = 3: RGB) in row-major order. Throws gnnx::Error for
/// another shape, N = 0, or options out of range.
at::Tensor image_grid(const at::Tensor& tiles, const ImageGridOptions& options = {});

struct PointMapOptions {
  /// Side of the square canvas in pixels. Default 800.
  GNNX_ARG(int64_t, size) = 800;
  /// Pixels per image pixel of each thumbnail. Default 1.
  GNNX_ARG(int64_t, scale) = 1;
  /// Width of the class-coloured frame around each thumbnail (0: none). Default 2.
  GNNX_ARG(int64_t, frame) = 2;
};

/// images [N, C, H, W] (C = 1 or 3, each min–max normalised) drawn centred at points [N, 2]
/// (x to the right, y up, the bounding box of the points fitted to the canvas), framed in the
/// colour of labels [N] (int64, may be undefined: no frame); later images on top. Throws
/// gnnx::Error for shapes that do not match or options out of range.
at::Tensor point_map(const at::Tensor& images, const at::Tensor& points, const at::Tensor& labels,
                     const PointMapOptions& options = {});

}  // namespace gnnx::viz
