// The prototype picture's DOT source.
#include <torch/torch.h>

#include "gnnx/explain/prototype.h"
#include "gnnx/graph/generators.h"
#include "gnnx/viz/prototype_svg.h"
#include "support/catch.h"
#include "support/tensor_match.h"

using namespace gnnx;

TEST_CASE("the prototype picture shows weights and aligned instances", "[prototype][viz]") {
  std::vector<explain::ExplanationSubgraph> inst(2);
  for (int64_t i = 0; i < 2; ++i) {
    inst[i].target = Target::node(10 * i, 1);
    inst[i].nodes = {10 * i, 10 * i + 1, 10 * i + 2};
    inst[i].edges = {{0, 1}, {1, 2}};
  }
  inst[1].edges.push_back({0, 2});  // a triangle: the edge (0, 2) has weight 1/2
  const auto p = explain::prototype_from_subgraphs(inst, explain::PrototypeOptions().anchor(true));
  const auto dot = viz::prototype_dot(p, viz::PrototypeSvgOptions().threshold(0.6).title("class 1"));
  CHECK(dot.find("p0 [label=\"0\", fillcolor=\"#8dd3c7\", shape=doublecircle]") != std::string::npos);
  CHECK(dot.find("p0 -- p1 [label=\"1.00\", penwidth=4.50, color=black]") != std::string::npos);
  CHECK(dot.find("p0 -- p2 [label=\"0.50\", penwidth=2.50, color=grey60, style=dashed]") != std::string::npos);
  CHECK(dot.find("label=\"node 10 (class 1)\"") != std::string::npos);
  CHECK(dot.find("i1_0 -- i1_2;") != std::string::npos);
  CHECK(dot.find("label=\"class 1\"") != std::string::npos);
  GNNX_REQUIRE_ERROR("prototype_dot: expected a prototype with a [n, n] adjacency", viz::prototype_dot({}));
}
