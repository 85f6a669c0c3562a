#pragma once
/// Pictures of a class prototype (explain/prototype.h) through GraphViz: the weighted prototype
/// beside a few of the instances aligned to it.

#include <cstdint>
#include <string>

#include "gnnx/core/arg.h"
#include "gnnx/explain/prototype.h"

namespace gnnx::viz {

struct PrototypeSvgOptions {
  /// Aligned instances drawn beside the prototype (the first ones). Default 3.
  GNNX_ARG(int64_t, instances) = 3;
  /// Prototype edges below this weight are drawn dashed and grey (those at or above it form the
  /// prototype graph). Default 0.5, PrototypeOptions' default threshold.
  GNNX_ARG(double, threshold) = 0.5;
  /// Prototype edges lighter than this are left out. Default 0.05.
  GNNX_ARG(double, min_weight) = 0.05;
  /// Title above the picture. Default "" (none).
  GNNX_ARG(std::string, title) = "";
  /// GraphViz program; "" searches `dot` on PATH. Default "".
  GNNX_ARG(std::string, dot_program) = "";
};

/// DOT source: a cluster with the prototype (each edge labelled with its weight, width ∝ weight;
/// node k labelled "k" and its role; when anchored, node 0 (every explained node) a double circle), and one
/// cluster per drawn instance whose nodes carry their graph id and are placed and coloured by
/// the prototype node they are aligned to. Throws gnnx::Error naming "prototype_dot" for a
/// result whose fields disagree in size or options out of range.
std::string prototype_dot(const explain::PrototypeResult& prototype, const PrototypeSvgOptions& options = {});

/// render_dot(prototype_dot(prototype, options), path) as SVG.
void write_prototype_svg(const explain::PrototypeResult& prototype, const std::string& path,
                         const PrototypeSvgOptions& options = {});

}  // namespace gnnx::viz
