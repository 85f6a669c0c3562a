#pragma once
/// Pictures of an explanatory graph (attribution/explanatory_graph.h): the layered graph as
/// GraphViz DOT, and where its patterns sit on an image as a heat map.

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "gnnx/attribution/explanatory_graph.h"

namespace gnnx::viz {

/// DOT text of the graph: one rank per layer, the top layer at the top; node "L<layer>
/// f<filter>" labelled with its filter and support; an edge from each pattern up to each parent,
/// thicker the more stable the offset (penwidth 3 / (1 + σ / jump)). Render with render_dot.
std::string explanatory_graph_dot(const attribution::ExplanatoryGraph& graph);

/// The patterns `nodes` (node ids) found on image b of `positions`, as a sum of Gaussian blobs of
/// width sigma pixels weighted by each pattern's score, over image [C, H, W] (C = 1 or 3) with
/// heatmap_overlay: RGB [3, H, W]. Throws gnnx::Error for an image or node out of range.
at::Tensor pattern_heatmap(const at::Tensor& image, const attribution::PatternPositions& positions, int64_t b,
                           const std::vector<int64_t>& nodes, double sigma);

}  // namespace gnnx::viz
