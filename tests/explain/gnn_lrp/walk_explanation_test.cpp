// WalkExplanation rendered as a picture of walks (GraphViz DOT and SVG).
#include "gnnx/explain/gnn_lrp/walk_explanation.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <unistd.h>

#include <torch/torch.h>

#include "explain/gnn_lrp/fixtures.h"
#include "gnnx/explain/gnn_lrp/gnn_lrp.h"
#include "gnnx/viz/walks_svg.h"
#include "support/catch.h"
#include "support/tensor_match.h"

using gnn_lrp_fixtures::tiny_graph;
using gnn_lrp_fixtures::tiny_model;
using gnnx::Target;
using gnnx::explain::GNNLRP;
using gnnx::nn::ConvType;
using gnnx::nn::Task;

TEST_CASE("Walk pictures through GraphViz", "[gnnlrp]") {
  auto g = tiny_graph();
  auto model = tiny_model(ConvType::kGCN, Task::kNode, true);
  GNNLRP lrp(*model);
  auto top = lrp.top_walks(g, Target::node(3), 6);
  auto dot = gnnx::viz::walks_to_dot(g, top);
  REQUIRE(dot.find("digraph walks") != std::string::npos);
  REQUIRE((dot.find("#d62728") != std::string::npos || dot.find("#1f77b4") != std::string::npos));
  const auto dir = std::filesystem::temp_directory_path() / ("gnnx_gnnlrp_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto svg = (dir / "walks.svg").string();
  GNNX_REQUIRE_ERROR("not found", gnnx::viz::write_walks_svg(
                                      g, top, svg, gnnx::viz::WalkSvgOptions().dot_program("/nonexistent/dot")));
  if (!std::filesystem::exists("/usr/bin/dot")) {
    WARN("GraphViz dot not installed; SVG rendering not exercised");
  } else {
    gnnx::viz::write_walks_svg(g, top, svg);
    std::ifstream f(svg);
    std::stringstream s;
    s << f.rdbuf();
    REQUIRE(s.str().find("<svg") != std::string::npos);
  }
  std::filesystem::remove_all(dir);
}
