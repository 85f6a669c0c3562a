#include "gnnx/viz/prototype_svg.h"

#include <algorithm>
#include <iomanip>
#include <sstream>

#include <torch/torch.h>

#include "gnnx/core/check.h"
#include "gnnx/viz/graphviz.h"

namespace gnnx::viz {
namespace {

// One colour per prototype node, repeated after twelve (ColorBrewer's Set3).
const char* node_colour(int64_t k) {
  static const char* palette[] = {"#8dd3c7", "#ffffb3", "#bebada", "#fb8072", "#80b1d3", "#fdb462",
                                  "#b3de69", "#fccde5", "#d9d9d9", "#bc80bd", "#ccebc5", "#ffed6f"};
  return palette[k % 12];
}

}  // namespace

std::string prototype_dot(const explain::PrototypeResult& p, const PrototypeSvgOptions& o) {
  GNNX_CHECK(p.adjacency.defined() && p.adjacency.dim() == 2 && p.adjacency.size(0) == p.adjacency.size(1),
             "prototype_dot: expected a prototype with a [n, n] adjacency, got ",
             p.adjacency.defined() ? p.adjacency.sizes() : at::IntArrayRef{});
  const int64_t n = p.adjacency.size(0);
  GNNX_CHECK(static_cast<int64_t>(p.roles.size()) == n && static_cast<int64_t>(p.node_frequency.size()) == n &&
                 p.permutations.size() == p.instances.size(),
             "prototype_dot: expected ", n, " roles and node frequencies and one permutation per instance, got ",
             p.roles.size(), ", ", p.node_frequency.size(), " and ", p.permutations.size(), " for ", p.instances.size(),
             " instances");
  GNNX_CHECK(o.instances() >= 0 && o.min_weight() >= 0, "prototype_dot: expected instances >= 0 and min_weight >= 0, ",
             "got ", o.instances(), " and ", o.min_weight());
  const bool node_task = !p.instances.empty() && p.instances.front().target.kind == Target::Kind::kNode;
  const bool anchored = node_task && p.anchored;
  const auto a = p.adjacency.to(torch::kCPU, torch::kDouble).contiguous();
  const auto acc = a.accessor<double, 2>();
  std::ostringstream s;
  s << std::fixed << std::setprecision(2);
  s << "graph prototype {\n  node [style=filled, fontsize=10];\n  edge [fontsize=9];\n";
  if (!o.title().empty()) s << "  label=\"" << o.title() << "\"; labelloc=t;\n";
  s << "  subgraph cluster_prototype {\n    label=\"prototype (" << p.instances.size() << " instances)\";\n";
  for (int64_t k = 0; k < n; ++k) {
    if (p.node_frequency[k] <= 0) continue;
    s << "    p" << k << " [label=\"" << k;
    if (p.roles[k] >= 0) s << "\\nrole " << p.roles[k];
    s << "\", fillcolor=\"" << node_colour(k) << "\"" << (anchored && k == 0 ? ", shape=doublecircle" : "") << "];\n";
  }
  for (int64_t u = 0; u < n; ++u)
    for (int64_t v = u + 1; v < n; ++v) {
      const double w = acc[u][v];
      if (w < o.min_weight() || w <= 0) continue;
      const bool kept = w >= o.threshold();
      s << "    p" << u << " -- p" << v << " [label=\"" << w << "\", penwidth=" << 0.5 + 4.0 * w
        << (kept ? ", color=black" : ", color=grey60, style=dashed") << "];\n";
    }
  s << "  }\n";
  const auto drawn = std::min<int64_t>(o.instances(), static_cast<int64_t>(p.instances.size()));
  for (int64_t i = 0; i < drawn; ++i) {
    const auto& inst = p.instances[i];
    const auto& perm = p.permutations[i];
    s << "  subgraph cluster_instance" << i << " {\n    label=\"" << to_string(inst.target)
      << (i == p.reference ? ", reference" : "") << "\";\n";
    for (size_t k = 0; k < inst.nodes.size(); ++k)
      s << "    i" << i << "_" << k << " [label=\"" << inst.nodes[k] << "\\n→ " << perm[k] << "\", fillcolor=\""
        << node_colour(perm[k]) << "\"" << (node_task && k == 0 ? ", shape=doublecircle" : "") << "];\n";
    for (size_t e = 0; e < inst.edges.size(); ++e)
      s << "    i" << i << "_" << inst.edges[e].first << " -- i" << i << "_" << inst.edges[e].second << ";\n";
    s << "  }\n";
  }
  s << "}\n";
  return s.str();
}

void write_prototype_svg(const explain::PrototypeResult& prototype, const std::string& path,
                         const PrototypeSvgOptions& options) {
  render_dot(prototype_dot(prototype, options), path, RenderOptions().program(options.dot_program()));
}

}  // namespace gnnx::viz
