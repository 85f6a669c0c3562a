#pragma once
/// BiLRP: explaining a dot-product similarity y(x, x') = ⟨φ(x), φ(x')⟩ of a rectifier network φ
/// as relevance of *pairs* of input features (Eberle et al., "Building and interpreting deep
/// similarity models", 2020).
///
/// With R_m(x) the standard LRP explanation of embedding dimension φ_m at x (one LRP pass per
/// dimension, starting from the relevance φ_m(x)), the pair relevance is
///
///     R_{ii'} = Σ_m R_{m,i}(x) · R_{m,i'}(x'),     i.e.  R = R(x)ᵀ R(x')   ([D, M] × [M, D']).
///
/// Conservation: when each pass conserves (Σ_i R_{m,i}(x) = φ_m(x), e.g. LRP-0 on a bias-free
/// ReLU network), Σ_{ii'} R_{ii'} = Σ_m φ_m(x) φ_m(x') = y. A rule that absorbs relevance (ε,
/// biases) loses what each pass loses.
/// Second-order Taylor view: for a bias-free ReLU network with LRP-0, R_{m,i}(x) =
/// x_i ∂φ_m/∂x_i, so R_{ii'} = x_i x'_{i'} ∂²y/∂x_i∂x'_{i'} (locally, where the ReLU pattern is
/// fixed).
///
/// Features are pooled before pairing (exact, since R is bilinear): channels are summed and
/// pixels are summed over square patches of side `patch`, giving P = (H/patch)(W/patch)
/// patches per image, in row-major order.

#include <cstdint>
#include <string>

#include <ATen/core/Tensor.h>

#include "gnnx/attribution/attributor.h"
#include "gnnx/attribution/lrp.h"
#include "gnnx/core/arg.h"

namespace gnnx::attribution {

struct BilrpOptions {
  /// The embedding φ: the output of this layer of the model's sequential adapter, flattened to
  /// [B, M] (ImageModel::up_to). Empty: the model's whole output. Default empty.
  GNNX_ARG(std::string, layer) = "";
  /// The LRP rules of every pass. Default ε = 1e-6 everywhere (LrpComposite::uniform(LrpRule::eps(0))
  /// is LRP-0).
  GNNX_ARG(LrpComposite, composite) = LrpComposite::uniform(LrpRule::eps());
  /// Side of the square patches pooled before pairing; 1 pairs single pixels. Must divide the
  /// image height and width. Default 1.
  GNNX_ARG(int64_t, patch) = 1;
  /// Embedding dimensions explained per batched LRP pass. Default 64.
  GNNX_ARG(int64_t, batch_size) = 64;
};

/// A BiLRP explanation of one pair of images.
struct BilrpResult {
  double similarity = 0;         ///< y(x, x') = ⟨φ(x), φ(x')⟩
  at::Tensor pairs;              ///< [P, P'] pair relevance of patch p of x and patch p' of x'
  at::Tensor first;              ///< [M, P]: R_m(x) pooled to patches
  at::Tensor second;             ///< [M, P']: R_m(x') pooled to patches
  int64_t patch = 1;             ///< the patch side
  int64_t rows = 0, cols = 0;    ///< patch grid of x: P = rows · cols
  int64_t rows2 = 0, cols2 = 0;  ///< patch grid of x'
  /// The `k` pairs of largest |relevance|, as rows (p, p') [k', 2] int64 with k' = min(k, P·P'),
  /// largest first.
  at::Tensor top_pairs(int64_t k) const;
};

/// BiLRP of y(x, x') for two images x, x2 ([C, H, W] or [1, C, H, W], same C; H and W may differ
/// between the two when φ's width does not depend on them). model must expose layers
/// (ImageModel::sequential or an in-order TorchScript module). Throws gnnx::Error for an
/// unknown layer, images of different channels or embedding widths, a patch that does not
/// divide H and W, or an opaque model.
BilrpResult bilrp(const ImageModel& model, const at::Tensor& x, const at::Tensor& x2, const BilrpOptions& options = {});

}  // namespace gnnx::attribution
