#include "gnnx/viz/graphviz.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <torch/torch.h>

#include "gnnx/graph/ops.h"
#include "support/catch.h"
#include "support/tensor_match.h"

using namespace gnnx;

TEST_CASE("explanation_dot draws each undirected pair once, weighted by the larger score", "[io]") {
  auto ei = undirected_edge_index({{0, 1}, {1, 2}, {2, 3}});
  Graph g(ei, 4, torch::ones({4, 1}));
  explain::Explanation e;
  e.method = "test";
  e.target = Target::node(1, 0);
  e.edge_mask = torch::zeros({g.num_edges()});
  e.edge_mask[0] = 0.2;  // (0,1)
  e.edge_mask[1] = 1.0;  // (1,0): the pair (0,1) takes 1.0
  auto dot = viz::explanation_dot(g, e);
  size_t count = 0;
  for (size_t p = dot.find(" -- "); p != std::string::npos; p = dot.find(" -- ", p + 1)) ++count;
  REQUIRE(count == 3);
  REQUIRE(dot.find("0 -- 1 [penwidth=5.000") != std::string::npos);
  REQUIRE(dot.find("1 [fillcolor=\"#ffffff\", shape=doublecircle") != std::string::npos);

  const auto dir = std::filesystem::temp_directory_path() / "gnnx_graphviz_test";
  std::filesystem::create_directories(dir);
  const auto path = (dir / "e.svg").string();
  viz::write_explanation_svg(g, e, path);
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  REQUIRE(ss.str().find("<svg") != std::string::npos);
  GNNX_REQUIRE_ERROR("does not exist", viz::write_explanation_svg(g, e, (dir / "missing" / "e.svg").string()));
  e.target = Target::node(9);
  GNNX_REQUIRE_ERROR("outside the graph", viz::explanation_dot(g, e));
  std::filesystem::remove_all(dir);
}

TEST_CASE("viz::explanation_dot draws a graph target's edges, viz::render_svg returns the picture", "[viz]") {
  // A triangle with a tail: graph targets draw every edge of edge_ids, or of g, and no target node.
  auto ei = undirected_edge_index({{0, 1}, {1, 2}, {2, 0}, {2, 3}});
  Graph g(ei, 4, torch::ones({4, 1}));
  explain::Explanation e;
  e.method = "test";
  e.target = Target::graph(7, 1);  // the position in a batch: not a node of g
  e.edge_mask = torch::linspace(0.1, 0.8, g.num_edges());
  auto dot = viz::explanation_dot(g, e, viz::DrawOptions().title("graph 7"));
  size_t count = 0;
  for (size_t p = dot.find(" -- "); p != std::string::npos; p = dot.find(" -- ", p + 1)) ++count;
  CHECK(count == 4);
  CHECK(dot.find("doublecircle") == std::string::npos);
  CHECK(dot.find("label=\"graph 7\"") != std::string::npos);
  e.edge_ids = torch::tensor({0, 1}, torch::kLong);  // the pair (0, 1) alone
  dot = viz::explanation_dot(g, e);
  CHECK(dot.find("0 -- 1 [") != std::string::npos);
  CHECK(dot.find("2 -- 3 [") == std::string::npos);

  const auto svg = viz::render_svg(viz::explanation_dot(g, e));
  CHECK(svg.find("<svg") != std::string::npos);
  CHECK(svg.find("</svg>") != std::string::npos);
  GNNX_REQUIRE_ERROR("GraphViz program \"no-such-dot\" not found",
                     viz::render_svg("graph { a -- b }", viz::RenderOptions().program("no-such-dot")));
  GNNX_REQUIRE_ERROR("failed", viz::render_svg("graph { a -- ", viz::RenderOptions()));
  e.target = Target::output(0);
  GNNX_REQUIRE_ERROR("explanation_dot: needs a node, link or graph target", viz::explanation_dot(g, e));
}
