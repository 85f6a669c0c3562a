#pragma once
/// Generated images with known ground truth, for judging CNN explanations.
///
/// "Shapes": each image shows one filled shape (square, disc, triangle, cross) whose kind is the
/// class, at a random position and scale over a textured, noisy background. The object's pixel
/// mask and bounding box are returned with the images, so that an explanation's localisation
/// (CAM-paper IoU, pointing game, relevance inside the mask) can be measured exactly.
///
/// The generator uses gnnx::Rng and Boost distributions only, so the same seed gives the same
/// bytes with any compiler and standard library.

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "gnnx/core/arg.h"
#include "gnnx/core/enum_names.h"

namespace gnnx::datasets {

/// The class-defining shapes, in label order.
enum class Shape : int64_t { kSquare = 0, kDisc = 1, kTriangle = 2, kCross = 3 };
GNNX_ENUM_NAMES(Shape, "shape", {Shape::kSquare, "square"}, {Shape::kDisc, "disc"}, {Shape::kTriangle, "triangle"},
                {Shape::kCross, "cross"});

/// "square", "disc", "triangle", "cross".

struct ShapesImagesOptions {
  /// Number of images. Default 2000.
  GNNX_ARG(int64_t, num_images) = 2000;
  /// Image side H = W in pixels (at least 16). Default 32.
  GNNX_ARG(int64_t, size) = 32;
  /// Channels (1 or 3). Default 3.
  GNNX_ARG(int64_t, channels) = 3;
  /// Smallest object side (diameter) in pixels. Default 9.
  GNNX_ARG(int64_t, min_scale) = 9;
  /// Largest object side in pixels (at most size - 2). Default 16.
  GNNX_ARG(int64_t, max_scale) = 16;
  /// Standard deviation of the i.i.d. Gaussian pixel noise added everywhere. Default 0.25.
  GNNX_ARG(double, noise) = 0.25;
  /// Amplitude of the background texture (a random sinusoidal grating per image). Default 0.3.
  GNNX_ARG(double, texture) = 0.3;
  /// Seed of everything random. Default 0.
  GNNX_ARG(uint64_t, seed) = 0;
};

/// A set of images with labels and ground truth. Row i of every tensor describes image i.
struct ImageDataset {
  at::Tensor images;  ///< [N, C, H, W] float32, roughly in [-1.5, 2]
  at::Tensor labels;  ///< [N] int64 in [0, num_classes)
  at::Tensor masks;   ///< [N, H, W] bool, true on the object's pixels
  at::Tensor boxes;   ///< [N, 4] int64 (x0, y0, x1, y1): the mask's bounding box, inclusive
  std::vector<std::string> class_names;

  int64_t size() const { return labels.defined() ? labels.size(0) : 0; }
  int64_t num_classes() const { return static_cast<int64_t>(class_names.size()); }
  /// Rows `index` ([K] int64) of every tensor.
  ImageDataset subset(const at::Tensor& index) const;
};

/// Generates the Shapes dataset. Label i is i mod 4 (balanced classes); position, scale, colour,
/// texture and noise are drawn per image from the seed.
ImageDataset make_shapes_images(const ShapesImagesOptions& options = {});

}  // namespace gnnx::datasets
