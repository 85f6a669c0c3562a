#pragma once
/// Occlusion (Zeiler & Fergus 2014) with Captum 0.7's conventions: a window of shape
/// `window` slides over the item dimensions with `strides`; the number of positions along
/// dimension d is ceil((D_d − w_d) / s_d) + 1, the last window cropped at the border. For each
/// window W the occluded input takes `baseline` inside W, and every feature i in W receives
/// y_c(x) − y_c(x with W occluded); a feature's attribution is the average over the windows
/// that cover it. Strides must not exceed the window along a dimension the window does not
/// span entirely (so every feature is covered).
///
/// On graphs: per-node occlusion is Occlusion over node features [N, F] with window {1, -1}
/// (a node's features set to the baseline); per-edge occlusion is Occlusion over the edge mask
/// [E] with window {1} and baseline 0 (the edge deleted).

#include <vector>

#include "gnnx/attribution/attributor.h"
#include "gnnx/core/arg.h"

namespace gnnx::attribution {

struct OcclusionOptions {
  /// Window shape over the item dimensions (e.g. {3, 8, 8} for [B, 3, H, W]; {1, F} for node
  /// features); -1 spans the whole dimension ({1, -1}: one node's feature row). Default empty:
  /// every dimension 1, i.e. one feature at a time.
  GNNX_ARG(std::vector<int64_t>, window);
  /// Strides per item dimension, or one value for all. Default {1}.
  GNNX_ARG(std::vector<int64_t>, strides) = {1};
  /// Value written inside the window. Default 0.
  GNNX_ARG(double, baseline) = 0.0;
  /// Windows evaluated per forward pass (Captum's perturbations_per_eval; each pass holds
  /// windows × B rows). Default -1: automatic, max(1, 256 / B) windows per pass, so that the
  /// windows of a small image share one forward pass. The attributions do not depend on it
  /// (beyond float rounding).
  GNNX_ARG(int64_t, perturbations_per_eval) = -1;
};

class Occlusion : public Attributor {
 public:
  explicit Occlusion(OcclusionOptions options = {}) : options_(std::move(options)) {}
  std::string name() const override { return "occlusion"; }
  bool concurrent() const override { return true; }
  std::map<std::string, std::string> options() const override;

 protected:
  Attribution compute(Objective& objective) override;

 private:
  OcclusionOptions options_;
};

}  // namespace gnnx::attribution
