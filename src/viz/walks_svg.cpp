#include "gnnx/viz/walks_svg.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <set>
#include <sstream>

#include <torch/torch.h>

#include "gnnx/core/check.h"
#include "gnnx/graph/ops.h"
#include "gnnx/viz/graphviz.h"

namespace gnnx::viz {
namespace {

std::string fmt(double v, int precision = 3) {
  std::ostringstream s;
  s << std::setprecision(precision) << v;
  return s.str();
}

}  // namespace

std::string walks_to_dot(const Graph& graph, const explain::WalkExplanation& walks, const WalkSvgOptions& options) {
  graph.validate("walks_to_dot", /*allow_empty=*/false);
  GNNX_CHECK(options.max_walks() >= 0, "walks_to_dot: max_walks must be >= 0, got ", options.max_walks());
  GNNX_CHECK(options.max_width() > 0, "walks_to_dot: max_width must be positive, got ", options.max_width());
  GNNX_CHECK(walks.size() == 0 || walks.walks.max().item<int64_t>() < graph.num_nodes,
             "walks_to_dot: the walks hold node ids outside the graph's ", graph.num_nodes, " nodes");
  const int64_t shown = std::min<int64_t>(options.max_walks(), walks.size());
  const int64_t hops = options.hops() >= 0 ? options.hops() : walks.num_layers;
  const int64_t L = walks.num_layers;

  // Nodes: the neighbourhood of the walks' end nodes plus every node of a drawn walk.
  std::set<int64_t> ends, nodes;
  const auto wt = walks.walks.defined() ? walks.walks.cpu() : torch::zeros({0, L + 1}, torch::kLong);
  const auto rt = walks.relevance.defined() ? walks.relevance.cpu().to(torch::kDouble)
                                            : torch::zeros({0}, torch::kDouble);
  auto wa = wt.accessor<int64_t, 2>();
  auto ra = rt.accessor<double, 1>();
  for (int64_t w = 0; w < shown; ++w) {
    ends.insert(wa[w][L]);
    for (int64_t l = 0; l <= L; ++l) nodes.insert(wa[w][l]);
  }
  if (walks.target.kind == Target::Kind::kNode && walks.target.index >= 0) ends.insert(walks.target.index);
  if (!ends.empty()) {
    auto sub = k_hop_subgraph(
        graph,
        torch::tensor(std::vector<int64_t>(ends.begin(), ends.end()), torch::kLong).to(graph.edge_index.device()),
        hops);
    auto ids = sub.node_ids.cpu();
    for (int64_t k = 0; k < ids.size(0); ++k) nodes.insert(ids[k].item<int64_t>());
  } else {
    for (int64_t v = 0; v < graph.num_nodes; ++v) nodes.insert(v);
  }

  std::ostringstream d;
  const std::string title = !options.title().empty()
                                ? options.title()
                                : "GNN-LRP: top " + std::to_string(shown) + " of " + std::to_string(walks.num_walks) +
                                      " walks, " + gnnx::to_string(walks.target) + ", f = " + fmt(walks.output, 4);
  d << "digraph walks {\n"
    << "  graph [overlap=false, splines=curved, outputorder=edgesfirst, labelloc=t, fontsize=12, label=\"" << title
    << "\"];\n"
    << "  node [shape=circle, style=filled, fillcolor=white, fontsize=9, width=0.32, fixedsize=true];\n"
    << "  edge [arrowsize=0.5];\n";
  for (int64_t v : nodes) {
    d << "  n" << v << " [label=\"" << v << "\"";
    if (ends.count(v)) d << ", fillcolor=\"#ffd54f\", penwidth=2";
    d << "];\n";
  }
  // Graph edges in grey, one line per unordered pair.
  auto ei = graph.edge_index.cpu();
  auto ea = ei.accessor<int64_t, 2>();
  std::set<std::pair<int64_t, int64_t>> pairs;
  for (int64_t k = 0; k < ei.size(1); ++k) {
    const int64_t a = ea[0][k], b = ea[1][k];
    if (a == b || !nodes.count(a) || !nodes.count(b)) continue;
    pairs.insert({std::min(a, b), std::max(a, b)});
  }
  for (const auto& [a, b] : pairs) d << "  n" << a << " -> n" << b << " [dir=none, color=\"#c8c8c8\"];\n";
  // Walks, strongest last so they are drawn on top.
  double max_abs = 0;
  for (int64_t w = 0; w < shown; ++w) max_abs = std::max(max_abs, std::abs(ra[w]));
  for (int64_t w = shown - 1; w >= 0; --w) {
    const double r = ra[w];
    const double width = max_abs > 0 ? std::max(0.4, options.max_width() * std::abs(r) / max_abs) : 0.4;
    const char* colour = r >= 0 ? "#d62728c0" : "#1f77b4c0";
    std::ostringstream walk_text;
    for (int64_t l = 0; l <= L; ++l) walk_text << (l ? "-" : "") << wa[w][l];
    bool drawn = false;
    for (int64_t l = 1; l <= L; ++l) {
      const int64_t a = wa[w][l - 1], b = wa[w][l];
      if (a == b) continue;  // self steps are the layer's own-state term, not edges
      d << "  n" << a << " -> n" << b << " [color=\"" << colour << "\", penwidth=" << fmt(width) << ", tooltip=\"walk "
        << walk_text.str() << ": R = " << fmt(r, 4) << "\"];\n";
      drawn = true;
    }
    if (!drawn) d << "  n" << wa[w][0] << " [color=\"" << colour << "\", penwidth=" << fmt(width) << "];\n";
  }
  d << "}\n";
  return d.str();
}

void write_walks_svg(const Graph& graph, const explain::WalkExplanation& walks, const std::string& svg_path,
                     const WalkSvgOptions& options) {
  render_dot(walks_to_dot(graph, walks, options), svg_path,
             RenderOptions().layout("neato").program(options.dot_program()));
}

}  // namespace gnnx::viz
