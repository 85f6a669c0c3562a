#pragma once
/// Class activation maps: CAM, Grad-CAM (and its counterfactual variant), Grad-CAM++ and
/// Guided Grad-CAM, as Attributors over an image model's layers (see attributor.h).
///
/// For a chosen layer with output A [B, K, h, w] and the target logit y^c of each item:
///   CAM         (GAP + linear heads) M_c = Σ_k w_k^c A^k, w = the linear layer's weight row c.
///               Needs the layers ... -> A -> global average pooling -> [flatten] -> linear (last).
///   Grad-CAM    α_k = mean_{ij} ∂y^c/∂A^k_ij,  M = ReLU(Σ_k α_k A^k)            (Selvaraju et al.)
///   counterfactual Grad-CAM: the same with -∂y^c/∂A (regions whose removal raises y^c).
///   Grad-CAM++  pytorch-grad-cam's closed form with g = ∂y^c/∂A:
///               a_ij = g² / (2g² + (Σ_ab A_ab)·g³ + 1e-6), a = 0 where g = 0,
///               w_k = Σ_ij relu(g_ij)·a_ij,  M = ReLU(Σ_k w_k A^k)
///   Guided Grad-CAM: guided backprop (attribution "guided-backprop") × the upsampled map.
/// The map is then (optionally) min-max normalised per item as pytorch-grad-cam's
/// scale_cam_image does ((M - min) / (max - min + 1e-7)): on the layer's grid, and once more
/// after the upsampling (pytorch-grad-cam normalises the resized map again when it aggregates its
/// target layers). The upsampling to the input's H × W is bilinear with align_corners = false
/// (as cv2.resize and torch.nn.functional.interpolate(..., align_corners=False)) or nearest.
///
/// CamOptions::output chooses the shape of Attribution::values:
///   input-channels  [B, C, H, W] like the input: the upsampled map repeated over the channels
///                   (the default, so that a CAM compares with and feeds into every method
///                   whose values have the input's shape);
///   input           [B, H, W]: the upsampled map, as pytorch-grad-cam's BaseCAM.__call__;
///   layer           [B, 1, h, w]: the map on the layer's grid, not upsampled, as Captum's
///                   LayerGradCam (whose relu_attributions defaults to false: relu = false).
/// Guided Grad-CAM is per channel and always [B, C, H, W]. diagnostics["map"] is the map on the
/// layer's grid [B, h, w] before normalisation; diagnostics["weights"] the channel weights [B, K].
///
/// The free functions below are the maths, on plain tensors, for reuse and tests.

#include <cstdint>
#include <string>

#include <ATen/core/Tensor.h>

#include "gnnx/attribution/attributor.h"
#include "gnnx/core/arg.h"
#include "gnnx/core/enum_names.h"

namespace gnnx::attribution {

/// How a layer-resolution map reaches the input resolution.
enum class Upsample {
  kBilinear,  ///< bilinear, align_corners = false (half-pixel centres)
  kNearest,   ///< nearest neighbour (torch's "nearest": floor(dst * in / out))
};
GNNX_ENUM_NAMES(Upsample, "upsample", {Upsample::kBilinear, "bilinear"}, {Upsample::kNearest, "nearest"});
/// "bilinear" | "nearest"; anything else throws gnnx::Error.

/// Which weighting of the feature maps.
enum class CamKind {
  kCam,             ///< the linear head's weights (CAM)
  kGradCam,         ///< mean gradient (Grad-CAM)
  kCounterfactual,  ///< mean negated gradient (counterfactual Grad-CAM)
  kGradCamPlusPlus  ///< Grad-CAM++ closed form
};
GNNX_ENUM_NAMES(CamKind, "CAM kind", {CamKind::kCam, "cam"}, {CamKind::kGradCam, "gradcam"},
                {CamKind::kCounterfactual, "gradcam-counterfactual"}, {CamKind::kGradCamPlusPlus, "gradcam++"});
/// "cam" | "gradcam" | "gradcam-counterfactual" | "gradcam++".

/// The shape of a CAM attributor's values (see the file comment).
enum class CamOutput {
  kInputChannels,  ///< [B, C, H, W]: the upsampled map repeated over the input's channels
  kInput,          ///< [B, H, W]: the upsampled map (pytorch-grad-cam)
  kLayer,          ///< [B, 1, h, w]: the map on the layer's grid (Captum's LayerGradCam)
};
GNNX_ENUM_NAMES(CamOutput, "CAM output", {CamOutput::kInputChannels, "input-channels"}, {CamOutput::kInput, "input"},
                {CamOutput::kLayer, "layer"});
/// "input-channels" | "input" | "layer".

// ---- maths on tensors ----------------------------------------------------------------------

/// Grad-CAM weights: grads [B, K, h, w] -> mean over positions [B, K].
at::Tensor gradcam_weights(const at::Tensor& grads);
/// Grad-CAM++ weights (pytorch-grad-cam's closed form above): activations, grads [B, K, h, w]
/// -> [B, K].
at::Tensor gradcampp_weights(const at::Tensor& activations, const at::Tensor& grads, double eps = 1e-6);
/// Σ_k weights[b, k] · activations[b, k] -> [B, h, w], then ReLU when relu.
at::Tensor weighted_sum_map(const at::Tensor& activations, const at::Tensor& weights, bool relu = true);
/// maps [B, h, w] -> [B, H, W].
at::Tensor upsample_map(const at::Tensor& maps, int64_t height, int64_t width, Upsample mode = Upsample::kBilinear);
/// Per-item (M - min) / (max - min + 1e-7) of maps [B, ...].
at::Tensor minmax_normalize(const at::Tensor& maps);

// ---- attributors ---------------------------------------------------------------------------

struct CamOptions {
  /// Which weighting. Default Grad-CAM.
  GNNX_ARG(CamKind, kind) = CamKind::kGradCam;
  /// The layer whose output A is weighted. "" = default_cam_layer(): the last layer whose
  /// output is [B, K, h, w] with h·w > 1 (the last convolutional block). Default "".
  GNNX_ARG(std::string, layer) = "";
  /// Upsampling to the input's H × W. Default bilinear.
  GNNX_ARG(Upsample, upsample) = Upsample::kBilinear;
  /// Min-max normalise each map to [0, 1] on the layer's grid and again after upsampling, as
  /// pytorch-grad-cam does. Default false (raw map).
  GNNX_ARG(bool, normalize) = false;
  /// Apply the ReLU to Σ_k w_k A^k. Default true (all four methods' definitions; CAM's paper
  /// map has no ReLU: set false to get Σ_k w_k^c f_k exactly).
  GNNX_ARG(bool, relu) = true;
  /// The shape of the values: [B, C, H, W], [B, H, W] or [B, 1, h, w]. Default input-channels
  /// ([B, C, H, W], the input's shape). Guided Grad-CAM accepts only input-channels.
  GNNX_ARG(CamOutput, output) = CamOutput::kInputChannels;
};

/// CAM / Grad-CAM / counterfactual Grad-CAM / Grad-CAM++ (registry names "cam", "gradcam",
/// "gradcam-counterfactual", "gradcam++"). Requires an objective with layers.
class CamAttributor : public Attributor {
 public:
  explicit CamAttributor(CamOptions options = {}) : options_(std::move(options)) {}
  std::string name() const override;
  std::map<std::string, std::string> options() const override;
  /// False unless output is input-channels.
  bool values_match_input() const override { return options_.output() == CamOutput::kInputChannels; }

 protected:
  Attribution compute(Objective& objective) override;

 private:
  CamOptions options_;
};

/// Guided Grad-CAM (registry name "guided-gradcam"): guided backprop [B, C, H, W] times the
/// upsampled Grad-CAM map (CamOptions with kind Grad-CAM; normalize applies to the map).
class GuidedGradCamAttributor : public Attributor {
 public:
  explicit GuidedGradCamAttributor(CamOptions options = {}) : options_(std::move(options)) {}
  std::string name() const override { return "guided-gradcam"; }
  std::map<std::string, std::string> options() const override;

 protected:
  Attribution compute(Objective& objective) override;

 private:
  CamOptions options_;
};

/// The default layer for CAM methods on objective at its input: the last layer whose output is
/// 4-D with more than one spatial position. Throws gnnx::Error when there is none.
std::string default_cam_layer(Objective& objective);

/// The result of a CAM computation on the layer's grid.
struct CamMaps {
  at::Tensor maps;         ///< [B, h, w] (after the ReLU when requested, before normalisation)
  at::Tensor weights;      ///< [B, K]
  at::Tensor activations;  ///< [B, K, h, w] detached
  at::Tensor gradients;    ///< [B, K, h, w] (undefined for CAM)
};
/// The CAM maps of objective's targets at objective.input() (no upsampling).
CamMaps compute_cam_maps(Objective& objective, const CamOptions& options);

}  // namespace gnnx::attribution
