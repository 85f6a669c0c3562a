#pragma once
/// The explanatory graph of a CNN's knowledge (Zhang, Cao, Shi, Wu & Zhu, "Interpreting CNN
/// knowledge via an explanatory graph", AAAI 2018; seed 002).
///
/// A conv filter fires on several parts of an object and on background. The explanatory graph
/// disentangles a filter into *part patterns*: a pattern is one filter firing at a position
/// that keeps a stable offset from patterns of the layer above. The graph is layered: its nodes
/// are patterns (a filter of a chosen layer and their parents' offsets), its edges join a
/// pattern to the patterns of the layer above it co-activates with at a stable relative
/// position.
///
/// Mining (mine_explanatory_graph), top-down over the chosen layers and a set of images of one
/// category:
///   - candidate parts: on each image, the `peaks` strongest local maxima (3 × 3) of each filter's
///     activation map, placed at the centre of their receptive field in image coordinates;
///   - top layer: one pattern per filter that fires on at least min_support of the images, at
///     its strongest peak;
///   - each lower layer, filter by filter: for every pattern U of the layer above, the peak of
///     the filter maximising a / max a + exp(−‖p − p_U‖² / 2τ²) (τ = half the upper layer's
///     receptive field) gives an offset per image; the U with the most stable offsets (least
///     spread) anchor up to patterns_per_filter patterns, kept when their positions differ;
///   - then `iterations` rounds of an EM-like refinement per pattern V: E-step, V's position on
///     each image is the filter peak maximising a / max a + mean over parents U of
///     exp(−‖p − (p_U + μ_UV)‖² / 2σ_UV²); M-step, μ_UV and σ_UV are re-estimated from those
///     positions for every U above, and V's parents become the `parents` U of least spread.
/// Inference (infer_patterns) runs the E-step top-down on new images with the mined offsets.
///
/// Evaluation: the paper's location instability. For a pattern and landmark k (object points
/// known in every image: here the centre and two corners of the Shapes object's box), the
/// distance between the inferred position and the landmark, divided by the image diagonal, has a
/// standard deviation over images; the instability is its mean over landmarks. The baseline is
/// each filter's raw strongest peak (filter_peak_positions); stable part patterns have lower
/// instability than raw filter peaks.

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "gnnx/attribution/attributor.h"
#include "gnnx/attribution/feature_vis.h"
#include "gnnx/core/arg.h"

namespace gnnx::attribution {

struct ExplanatoryGraphOptions {
  explicit ExplanatoryGraphOptions(std::vector<std::string> layers) : layers_(std::move(layers)) {}
  /// The layers whose filters become patterns, bottom to top (e.g. {"relu1", "relu2", "relu3"}).
  /// Each gives a [B, K, h, w] feature map; at least two.
  GNNX_ARG(std::vector<std::string>, layers);
  /// Patterns per filter below the top layer (the top layer has one per filter). Default 2.
  GNNX_ARG(int64_t, patterns_per_filter) = 2;
  /// Parents (patterns of the layer above) per pattern. Default 3.
  GNNX_ARG(int64_t, parents) = 3;
  /// Candidate peaks per filter and image. Default 4.
  GNNX_ARG(int64_t, peaks) = 4;
  /// EM rounds per pattern. Default 3.
  GNNX_ARG(int64_t, iterations) = 3;
  /// Fraction of the images on which a filter (and a parent link) must fire. Default 0.5.
  GNNX_ARG(double, min_support) = 0.5;
  /// Images per forward pass. Default 64.
  GNNX_ARG(int64_t, batch_size) = 64;
};

/// One part pattern.
struct PatternNode {
  int64_t layer = 0;                       ///< index into ExplanatoryGraph::layers (0 = bottom)
  int64_t filter = 0;                      ///< channel of that layer
  std::vector<int64_t> parents;            ///< node ids in the layer above (empty on the top layer)
  std::vector<double> offset_y, offset_x;  ///< μ per parent: mean (row, column) offset from it, pixels
  std::vector<double> spread;              ///< σ per parent: RMS deviation of that offset, pixels
  double support = 0;                      ///< fraction of the mining images on which the pattern was found
  double scale = 1;  ///< the filter's largest activation over the mining images (E-step normalisation)
};

struct ExplanatoryGraph {
  std::vector<std::string> layers;     ///< bottom to top
  std::vector<ReceptiveField> fields;  ///< per layer
  std::vector<int64_t> filters;        ///< channels per layer
  std::vector<PatternNode> nodes;      ///< grouped by layer, top layer last
  int64_t peaks = 4;
  /// Node ids of one layer.
  std::vector<int64_t> layer_nodes(int64_t layer) const;
  /// Edges (child, parent) of the graph.
  int64_t num_edges() const;
};

/// Mines the graph of `model` over images [N, C, H, W] (one category, N ≥ 2). Throws
/// gnnx::Error for fewer than two layers, a layer that is not a feature map, layers out of
/// order, or options out of range.
ExplanatoryGraph mine_explanatory_graph(const ImageModel& model, const at::Tensor& images,
                                        const ExplanatoryGraphOptions& options);

struct PatternPositions {
  at::Tensor position;  ///< [B, P, 2] float64: (row, column) in image pixels, per node
  at::Tensor found;     ///< [B, P] bool: the node's filter fired on the image and, below the top, a parent was found
  at::Tensor score;     ///< [B, P] float64: the E-step score of the chosen peak
};

/// Infers every node's position on images [B, C, H, W] (top-down, one E-step per layer).
PatternPositions infer_patterns(const ExplanatoryGraph& graph, const ImageModel& model, const at::Tensor& images,
                                int64_t batch_size = 64);

/// The baseline: each filter's strongest activation in `layer`, at its receptive field's centre.
/// position [B, K, 2], found [B, K] (false where the filter is zero on the whole image), score
/// the activation.
PatternPositions filter_peak_positions(const ImageModel& model, const std::string& layer, const at::Tensor& images,
                                       int64_t batch_size = 64);

/// Location instability per pattern: positions [B, P, 2] with found [B, P], landmarks [B, L, 2]
/// (row, column), normalised by the image diagonal. Patterns found on fewer than two images get
/// NaN. Returns [P] float64.
at::Tensor location_instability(const PatternPositions& positions, const at::Tensor& landmarks, double diagonal);

/// Landmarks of the Shapes images from their boxes [N, 4] (x0, y0, x1, y1, inclusive): the
/// centre, the top-left and the bottom-right corner, as [N, 3, 2] (row, column).
at::Tensor box_landmarks(const at::Tensor& boxes);

}  // namespace gnnx::attribution
