#pragma once
/// Pictures of GNN-LRP's relevant walks through GraphViz.

#include <cstdint>
#include <string>

#include "gnnx/core/arg.h"
#include "gnnx/explain/gnn_lrp.h"
#include "gnnx/graph/graph.h"

namespace gnnx::viz {

/// Options of the walk picture.
struct WalkSvgOptions {
  /// Walks drawn (the first ones of the explanation, in its order). Default 10.
  GNNX_ARG(int64_t, max_walks) = 10;
  /// Nodes drawn: those of the drawn walks and those within this many hops of the walks' end
  /// node(s); every graph edge between drawn nodes is drawn in grey. -1 means num_layers.
  /// Default 1.
  GNNX_ARG(int64_t, hops) = 1;
  /// Widest walk stroke, in points (width ∝ |R_W|). Default 6.
  GNNX_ARG(double, max_width) = 6.0;
  /// GraphViz program; "" searches `dot` on PATH. Default "".
  GNNX_ARG(std::string, dot_program) = "";
  /// Title shown above the picture. Default "" (a generated one).
  GNNX_ARG(std::string, title) = "";
};

/// GraphViz source of the graph around the walks' end node(s) (WalkSvgOptions::hops) with the
/// top walks drawn as coloured paths (red R_W > 0, blue R_W < 0, stroke width ∝ |R_W|, self steps omitted).
std::string walks_to_dot(const Graph& graph, const explain::WalkExplanation& walks, const WalkSvgOptions& options = {});
/// Renders walks_to_dot with GraphViz (`dot -Kneato -Tsvg`) into svg_path. Throws gnnx::Error
/// when `dot` is not found or fails, or the file cannot be written.
void write_walks_svg(const Graph& graph, const explain::WalkExplanation& walks, const std::string& svg_path,
                     const WalkSvgOptions& options = {});

}  // namespace gnnx::viz
