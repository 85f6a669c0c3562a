#pragma once
/// Pictures of graph explanations through GraphViz.

#include <string>

#include <ATen/core/Tensor.h>

#include "gnnx/core/arg.h"
#include "gnnx/explain/explanation.h"
#include "gnnx/graph/graph.h"

namespace gnnx::viz {

/// How render_dot runs GraphViz.
struct RenderOptions {
  /// Output format: "svg", "png" or "pdf". Default "svg".
  GNNX_ARG(std::string, format) = "svg";
  /// Layout engine passed as `-K<layout>` ("neato", "fdp", ...); "" keeps dot's own. Default "".
  GNNX_ARG(std::string, layout) = "";
  /// GraphViz program; "" searches `dot` on PATH. Default "".
  GNNX_ARG(std::string, program) = "";
};

/// Runs GraphViz on dot_source and writes the result to path, through a temporary file and a
/// rename, so a failed run leaves no half-written file. The program runs through posix_spawn with
/// the paths as arguments (never through a shell). Throws gnnx::Error when the program is not
/// found or fails, or path cannot be written.
void render_dot(const std::string& dot_source, const std::string& path, const RenderOptions& options = {});

/// The SVG text GraphViz makes of dot_source (render_dot into a temporary folder, read back), for
/// pages that hold their pictures inline (viz/report.h). options.format is ignored. Throws
/// gnnx::Error as render_dot does.
std::string render_svg(const std::string& dot_source, const RenderOptions& options = {});

struct DrawOptions {
  /// Hops around the target node to draw; -1 means the explanation's edge_ids (the computation
  /// subgraph's edges, or the edges a caller chose), every edge of g when undefined. Graph
  /// targets draw their edge_ids.
  GNNX_ARG(int64_t, hops) = -1;
  /// Draw edges whose score is below this fraction of the largest score in light grey. Default 0.
  GNNX_ARG(double, min_fraction) = 0.0;
  /// Optional [E] 0/1 ground truth: those edges are drawn doubled (color "black:<score>").
  GNNX_ARG(at::Tensor, edge_ground_truth) = {};
  /// Optional [N] int64 node labels, shown as the node colour. Default: none.
  GNNX_ARG(at::Tensor, node_labels) = {};
  /// Title shown above the graph. Default: method and target.
  GNNX_ARG(std::string, title) = "";
};

/// DOT source for explanation `e` of a node target on graph g: the nodes around the target,
/// each undirected pair drawn once with width and red intensity by the larger of its two
/// directed scores, the target drawn as a double circle. For a graph target, g is the explained
/// graph itself (e.g. dataset.graphs[id]). Throws gnnx::Error for
/// an output target, a node outside g, or an edge mask, ground truth or labels that do not fit g.
std::string explanation_dot(const Graph& g, const explain::Explanation& e, const DrawOptions& options = {});

/// render_dot(explanation_dot(g, e, options), path) as SVG.
void write_explanation_svg(const Graph& g, const explain::Explanation& e, const std::string& path,
                           const DrawOptions& options = {});

}  // namespace gnnx::viz
