#pragma once
/// Feature visualisation of an image model's layers (seed 004): what a unit responds to,
/// shown through data rather than through an attribution of one prediction.
///
///   conv_filters               the weights of a convolution, e.g. the first layer's filters,
///                              to draw as an image grid (viz::image_grid);
///   receptive_field            which input pixels a unit of a layer can see, from the layers'
///                              kernels, strides, paddings and dilations;
///   top_activating_patches     the dataset patches (cropped to the receptive field) on which a
///                              channel responds most strongly;
///   nearest_neighbours         the images closest to a query in a layer's feature space;
///   pca_map                    a 2-D map of a layer's features (principal components, Eigen);
///   neuron_backprop            "set one unit to 1 and propagate back to the image": the
///                              gradient of one unit, or its deconvnet / guided-backprop
///                              version (Zeiler & Fergus 2014; Springenberg et al. 2015).
///
/// Every function needs a model with layers (ImageModel::sequential, or a TorchScript module
/// whose children run in order; checked with ImageModel::check_layers on the first batch) and
/// names layers as ImageModel::layer_index does. Activations are computed in eval mode as the
/// model stands (call eval() first), without gradients, in batches of batch_size images.

#include <cstdint>
#include <string>

#include <ATen/core/Tensor.h>

#include "gnnx/attribution/attributor.h"
#include "gnnx/attribution/gradient.h"
#include "gnnx/core/arg.h"
#include "gnnx/core/enum_names.h"

namespace gnnx::attribution {

/// The weights [K, C, kh, kw] of convolution `layer` ("" = the model's first convolution),
/// detached, on the CPU, float32. Throws gnnx::Error when the model has no convolution or the
/// layer is not one.
at::Tensor conv_filters(const ImageModel& model, const std::string& layer = "");

/// The input window a unit of a layer's output sees, per axis (rows, columns): output index i
/// covers input indices [offset + i·jump, offset + i·jump + size) before clipping to the image.
/// After a global layer (adaptive pooling, flatten, linear) every unit sees the whole input:
/// global is true and the other fields are those of the last spatial layer.
struct ReceptiveField {
  int64_t size[2] = {1, 1};
  int64_t jump[2] = {1, 1};
  int64_t offset[2] = {0, 0};
  bool global = false;
};

/// The receptive field of `layer`'s output units, following the layers up to it: convolutions
/// and poolings (kernel k, stride s, padding p, dilation d) give size += (k − 1)·d·jump,
/// offset −= p·jump, jump *= s; ReLU, batch norm and dropout keep it. Throws gnnx::Error for a
/// layer of unknown geometry (kind "other") on the way.
ReceptiveField receptive_field(const ImageModel& model, const std::string& layer);

struct TopPatchesOptions {
  explicit TopPatchesOptions(std::string layer) : layer_(std::move(layer)) {}
  /// The layer whose channel is ranked.
  GNNX_ARG(std::string, layer);
  /// The channel of a [B, K, h, w] output (or column of a [B, K] output). Default 0.
  GNNX_ARG(int64_t, channel) = 0;
  /// Patches returned. Default 16.
  GNNX_ARG(int64_t, top_k) = 16;
  /// At most one patch per image (its strongest position), as in the usual grids; false ranks
  /// every position of every image. Default true.
  GNNX_ARG(bool, one_per_image) = true;
  /// Images per forward pass. Default 128.
  GNNX_ARG(int64_t, batch_size) = 128;
};

struct TopPatches {
  at::Tensor image;       ///< [k] int64: the image each patch comes from
  at::Tensor position;    ///< [k, 2] int64: (row, column) of the unit in the layer's output grid
  at::Tensor activation;  ///< [k] float: the unit's activation, descending
  at::Tensor box;         ///< [k, 4] int64: rows [box0, box2) and columns [box1, box3) of the image, clipped
  at::Tensor patches;     ///< [k, C, size0, size1]: the receptive field's pixels, zero outside the image
  ReceptiveField field;
};

/// The top_k units of channel `channel` of `layer` over images [N, C, H, W] (ties: lower image,
/// then lower position first) with their receptive-field patches. Fewer than top_k when the
/// images have fewer candidates. Throws gnnx::Error for no images, a layer or channel that does
/// not exist, or options out of range.
TopPatches top_activating_patches(const ImageModel& model, const at::Tensor& images, const TopPatchesOptions& options);

/// `layer`'s output for images [N, ...], flattened to [N, M] (no gradient, batches of batch_size).
at::Tensor layer_features(const ImageModel& model, const std::string& layer, const at::Tensor& images,
                          int64_t batch_size = 128);

/// How nearest_neighbours measures distance between flattened features.
enum class FeatureDistance { kEuclidean, kCosine };
GNNX_ENUM_NAMES(FeatureDistance, "feature distance", {FeatureDistance::kEuclidean, "euclidean"},
                {FeatureDistance::kCosine, "cosine"});

struct NeighboursOptions {
  explicit NeighboursOptions(std::string layer) : layer_(std::move(layer)) {}
  /// The layer whose (flattened) output is the feature space.
  GNNX_ARG(std::string, layer);
  /// Neighbours per query. Default 5.
  GNNX_ARG(int64_t, k) = 5;
  /// Euclidean distance, or cosine distance 1 − cos. Default euclidean.
  GNNX_ARG(FeatureDistance, distance) = FeatureDistance::kEuclidean;
  /// Images per forward pass. Default 128.
  GNNX_ARG(int64_t, batch_size) = 128;
};

struct Neighbours {
  at::Tensor index;     ///< [Q, k] int64: indices into images, nearest first (ties: lower index first)
  at::Tensor distance;  ///< [Q, k] float64
};

/// The k images of `images` [N, ...] nearest to each query [Q, ...] in layer's feature space. A
/// query that is also in `images` finds itself at distance 0. k is capped at N.
Neighbours nearest_neighbours(const ImageModel& model, const at::Tensor& queries, const at::Tensor& images,
                              const NeighboursOptions& options);

struct FeatureMap {
  at::Tensor coords;              ///< [N, 2] float64: the points' first two principal coordinates
  at::Tensor explained_variance;  ///< [2] float64: each component's share of the total variance
};

/// Principal component map of features [N, M] (N ≥ 2; e.g. layer_features): the centred
/// features projected on the two leading eigenvectors of their covariance (Eigen's self-adjoint
/// eigensolver on the smaller of the M × M covariance and the N × N Gram matrix). Each axis is
/// oriented so that its largest |coordinate| is positive. Fewer than two non-zero components
/// give zero coordinates on the missing axes.
FeatureMap pca_map(const at::Tensor& features);

/// The backward rule of neuron_backprop: the gradient, or the gradient with every ReLU's backward
/// replaced as in deconvnet or guided backprop (modified_relu).
enum class NeuronRule { kGradient, kDeconvnet, kGuided };
GNNX_ENUM_NAMES(NeuronRule, "neuron rule", {NeuronRule::kGradient, "gradient"}, {NeuronRule::kDeconvnet, "deconvnet"},
                {NeuronRule::kGuided, "guided"});

struct NeuronBackpropOptions {
  explicit NeuronBackpropOptions(std::string layer) : layer_(std::move(layer)) {}
  /// The layer of the unit.
  GNNX_ARG(std::string, layer);
  /// Its channel (or column of a [B, K] output). Default 0.
  GNNX_ARG(int64_t, channel) = 0;
  /// Its position (row, column) in the output grid; -1 picks, per image, the position where the
  /// channel is strongest (as in Zeiler & Fergus). Default -1.
  GNNX_ARG(int64_t, row) = -1;
  GNNX_ARG(int64_t, column) = -1;
  /// How the signal crosses each ReLU on the way down. Default deconvnet.
  GNNX_ARG(NeuronRule, rule) = NeuronRule::kDeconvnet;
};

struct NeuronBackprop {
  at::Tensor values;      ///< [B, *input]: the backward signal reaching each image
  at::Tensor position;    ///< [B, 2] int64: the unit's (row, column) per image
  at::Tensor activation;  ///< [B]: the unit's forward activation per image
};

/// Sets unit (channel, row, column) of `layer` to 1 (every other unit of the layer to 0) and
/// propagates it back to each image of images [B, ...] through the layers below: the gradient of
/// that unit under options.rule. Throws gnnx::Error for a layer, channel or position that does not exist.
NeuronBackprop neuron_backprop(const ImageModel& model, const at::Tensor& images, const NeuronBackpropOptions& options);

}  // namespace gnnx::attribution
