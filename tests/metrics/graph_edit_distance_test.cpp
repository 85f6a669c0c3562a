// Graph edit distance between small graphs, against distances worked out by hand.
#include "gnnx/metrics/graph_edit_distance.h"
#include "gnnx/graph/generators.h"
#include "support/catch.h"
#include "support/tensor_match.h"

using namespace gnnx;
using namespace gnnx::metrics;

TEST_CASE("graph edit distance counts node and edge insertions and deletions", "[prototype][metrics]") {
  // Isomorphic under a renaming (and with other ids): 0.
  CHECK(graph_edit_distance(house_motif(), {{10, 11}, {11, 14}, {14, 10}, {11, 12}, {12, 13}, {13, 14}}).distance == 0);
  CHECK(isomorphic(cycle_motif(6), {{5, 4}, {4, 3}, {3, 2}, {2, 1}, {1, 0}, {0, 5}}));
  // The house without its roof edge (0,1) is a five-cycle: one edge.
  CHECK(graph_edit_distance(house_motif(), cycle_motif(5)).distance == 1);
  CHECK(!isomorphic(house_motif(), cycle_motif(5)));
  // A house with a pendant edge: one node and one edge more.
  auto pendant = house_motif();
  pendant.push_back({0, 5});
  const auto d = graph_edit_distance(pendant, house_motif());
  CHECK(d.distance == 2);
  CHECK(d.exact);
  // The 6-cycle against the 3x3 grid: 3 nodes more, 12 − 6 edges more at best plus the
  // mismatches of the best embedding (a 6-cycle sits in the grid as the border of a 2x3 block).
  CHECK(graph_edit_distance(cycle_motif(6), grid_motif(3)).distance == 3 + 6);
  // Repeated edges count once; an empty graph is at distance nodes + edges.
  CHECK(graph_edit_distance({{0, 1}, {1, 0}}, {}).distance == 2 + 1);
  // Above max_exact_nodes the distance is an upper bound.
  const auto big = graph_edit_distance(grid_motif(4), grid_motif(4), /*max_exact_nodes=*/8);
  CHECK(big.distance == 0);
  CHECK(!graph_edit_distance(grid_motif(4), cycle_motif(16), 8).exact);
  GNNX_REQUIRE_ERROR("graph_edit_distance: expected a simple graph, got the self loop (2, 2)",
                     graph_edit_distance({{2, 2}}, {}));
  GNNX_REQUIRE_ERROR("graph_edit_distance: node ids must be >= 0, got -1", graph_edit_distance({{-1, 2}}, {}));
}
