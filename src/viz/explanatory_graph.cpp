#include "gnnx/viz/explanatory_graph.h"

#include <iomanip>
#include <sstream>

#include <torch/torch.h>

#include "gnnx/core/check.h"
#include "gnnx/io/png.h"

namespace gnnx::viz {

std::string explanatory_graph_dot(const attribution::ExplanatoryGraph& graph) {
  static const char* colours[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948"};
  std::ostringstream dot;
  dot << std::fixed << std::setprecision(2);
  dot << "digraph explanatory_graph {\n  rankdir=BT;\n  node [shape=circle, style=filled, fontcolor=white, "
         "fontsize=9, width=0.45, fixedsize=true];\n  edge [arrowhead=none, color=\"#00000060\"];\n";
  for (size_t l = 0; l < graph.layers.size(); ++l) {
    dot << "  subgraph layer" << l << " {\n    rank=same;\n";
    dot << "    \"layer" << l << "\" [shape=plaintext, style=\"\", fontcolor=black, width=1.2, label=\""
        << graph.layers[l] << "\"];\n";
    for (auto id : graph.layer_nodes(static_cast<int64_t>(l))) {
      const auto& v = graph.nodes[static_cast<size_t>(id)];
      dot << "    n" << id << " [fillcolor=\"" << colours[l % 6] << "\", label=\"f" << v.filter << "\", tooltip=\""
          << graph.layers[l] << " filter " << v.filter << ", support " << v.support << "\"];\n";
    }
    dot << "  }\n";
    if (l > 0) dot << "  \"layer" << l - 1 << "\" -> \"layer" << l << "\" [style=invis];\n";
  }
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    const auto& v = graph.nodes[i];
    const double jump = static_cast<double>(graph.fields[static_cast<size_t>(v.layer)].jump[0]);
    for (size_t k = 0; k < v.parents.size(); ++k)
      dot << "  n" << i << " -> n" << v.parents[k] << " [penwidth=" << 3.0 / (1.0 + v.spread[k] / jump) << "];\n";
  }
  dot << "}\n";
  return dot.str();
}

at::Tensor pattern_heatmap(const at::Tensor& image, const attribution::PatternPositions& positions, int64_t b,
                           const std::vector<int64_t>& nodes, double sigma) {
  const char* op = "pattern_heatmap";
  GNNX_CHECK(image.defined() && image.dim() == 3 && (image.size(0) == 1 || image.size(0) == 3), op,
             ": expected an image [C, H, W] with C = 1 or 3, got ",
             image.defined() ? image.sizes() : c10::IntArrayRef{});
  GNNX_CHECK(positions.position.defined() && b >= 0 && b < positions.position.size(0), op, ": image ", b,
             " is outside the positions' ", positions.position.defined() ? positions.position.size(0) : 0, " images");
  GNNX_CHECK(sigma > 0, op, ": sigma must be positive, got ", sigma);
  const int64_t H = image.size(1), W = image.size(2), p = positions.position.size(1);
  auto ys = torch::arange(H, torch::kDouble).view({H, 1}), xs = torch::arange(W, torch::kDouble).view({1, W});
  auto heat = torch::zeros({H, W}, torch::kDouble);
  auto pos = positions.position[b].to(torch::kCPU, torch::kDouble);
  auto found = positions.found[b].to(torch::kCPU);
  auto score = positions.score[b].to(torch::kCPU, torch::kDouble);
  for (auto id : nodes) {
    GNNX_CHECK(id >= 0 && id < p, op, ": node ", id, " is outside the ", p, " patterns");
    if (!found[id].item<bool>()) continue;
    const double y = pos[id][0].item<double>(), x = pos[id][1].item<double>();
    heat += score[id].item<double>() * torch::exp(-((ys - y).pow(2) + (xs - x).pow(2)) / (2 * sigma * sigma));
  }
  return io::heatmap_overlay(image.to(torch::kCPU), heat.to(torch::kFloat), 0.6);
}

}  // namespace gnnx::viz
