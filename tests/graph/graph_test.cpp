#include "gnnx/graph/graph.h"

#include <torch/torch.h>

#include "support/catch.h"
#include "support/tensor_match.h"

using gnnx::Graph;

TEST_CASE("Graph validates shapes, dtypes, ranges and values", "[graph]") {
  auto ei = torch::tensor({0, 1, 1, 2}, torch::kLong).view({2, 2});
  REQUIRE_NOTHROW(Graph(ei, 3, torch::ones({3, 2})));
  GNNX_REQUIRE_ERROR("shape [2, E]", Graph(ei.view({4, 1}), 3));
  GNNX_REQUIRE_ERROR("int64", Graph(ei.to(torch::kInt), 3));
  GNNX_REQUIRE_ERROR("node id 2 but num_nodes = 2", Graph(ei, 2));
  GNNX_REQUIRE_ERROR("negative node id", Graph(-ei, 3));
  GNNX_REQUIRE_ERROR("x has 2 rows", Graph(ei, 3, torch::ones({2, 2})));
  auto bad = torch::ones({3, 2});
  bad[1][1] = std::nan("");
  GNNX_REQUIRE_ERROR("NaN or Inf", Graph(ei, 3, bad));
  GNNX_REQUIRE_ERROR("edge_weight must have shape [E] = [2]", Graph(ei, 3, torch::ones({3, 2}), torch::ones({3})));
  GNNX_REQUIRE_ERROR("y must have shape", Graph(ei, 3, torch::ones({3, 2}), {}, torch::zeros({2}, torch::kLong)));
  GNNX_REQUIRE_ERROR("floating point", Graph(ei, 3, torch::ones({3, 2}).to(torch::kInt)));
  Graph empty(torch::zeros({2, 0}, torch::kLong), 0);
  GNNX_REQUIRE_ERROR("op: expected a non-empty graph", empty.validate("op", /*allow_empty=*/false));
}

TEST_CASE("validate scans each tensor once per version and still sees every change", "[graph]") {
  auto ei = torch::tensor({0, 1, 1, 2}, torch::kLong).view({2, 2});
  Graph g(ei, 3, torch::ones({3, 2}), torch::ones({2}));
  REQUIRE_NOTHROW(g.validate("again"));
  Graph copy = g;  // shares what was scanned
  REQUIRE_NOTHROW(copy.validate("copy"));
  // In-place changes advance the tensors' versions, and are scanned again.
  g.x[2][1] = std::nan("");
  GNNX_REQUIRE_ERROR("copy: x holds NaN or Inf", copy.validate("copy"));
  g.x[2][1] = 1.0;
  REQUIRE_NOTHROW(g.validate("mended"));
  g.edge_weight[0] = INFINITY;
  GNNX_REQUIRE_ERROR("edge_weight holds NaN or Inf", g.validate());
  g.edge_weight.fill_(0.5);
  g.edge_index[1][1] = 5;
  GNNX_REQUIRE_ERROR("edge_index holds node id 5 but num_nodes = 3", g.validate());
  g.edge_index[1][1] = 2;
  REQUIRE_NOTHROW(g.validate());
  // The kept id range is compared with num_nodes on every call.
  g.num_nodes = 2;
  g.x = torch::ones({2, 2});
  GNNX_REQUIRE_ERROR("edge_index holds node id 2 but num_nodes = 2", g.validate());
  // Another tensor in the same place.
  g.num_nodes = 3;
  g.x = torch::ones({3, 2});
  g.x[0][0] = -INFINITY;
  GNNX_REQUIRE_ERROR("x holds NaN or Inf", g.validate());
  g.x = torch::ones({3, 2});
  g.edge_index = -ei;
  GNNX_REQUIRE_ERROR("negative node id", g.validate());
  // A moved-from graph keeps nothing, and still validates.
  Graph moved = std::move(copy);
  REQUIRE_NOTHROW(moved.validate());
  copy.edge_index = ei;
  copy.num_nodes = 3;
  copy.x = torch::ones({3, 2});
  copy.edge_weight = at::Tensor();
  REQUIRE_NOTHROW(copy.validate());
}

TEST_CASE("Graph names the offending value for every invalid field", "[graph]") {
  auto ei = torch::tensor({0, 1, 1, 2}, torch::kLong).view({2, 2});
  auto x = torch::ones({3, 2});
  GNNX_REQUIRE_ERROR("Graph: num_nodes must be >= 0, got -1", Graph(torch::zeros({2, 0}, torch::kLong), -1));
  GNNX_REQUIRE_ERROR("Graph: edge_index is undefined", Graph(torch::Tensor(), 3));
  GNNX_REQUIRE_ERROR("Graph: edge_index must have shape [2, E], got [2, 1, 2]", Graph(ei.view({2, 1, 2}), 3));
  GNNX_REQUIRE_ERROR("Graph: edge_index must be int64, got Float", Graph(ei.to(torch::kFloat), 3));
  GNNX_REQUIRE_ERROR("Graph: edge_index holds a negative node id (-5)", Graph(ei - 5, 3));
  GNNX_REQUIRE_ERROR("Graph: x must have shape [N, F], got [3]", Graph(ei, 3, torch::ones({3})));
  auto inf = x.clone();
  inf[2][0] = -std::numeric_limits<float>::infinity();
  GNNX_REQUIRE_ERROR("Graph: x holds NaN or Inf (first at flat index 4)", Graph(ei, 3, inf));
  GNNX_REQUIRE_ERROR("Graph: edge_weight must be floating point, got Long",
                     Graph(ei, 3, x, torch::ones({2}, torch::kLong)));
  GNNX_REQUIRE_ERROR("Graph: edge_weight holds NaN or Inf", Graph(ei, 3, x, torch::tensor({1.0f, std::nanf("")})));
  // Finite entries whose sum overflows, and +Inf beside -Inf (a NaN sum): validated entry by entry.
  const float big = std::numeric_limits<float>::max();
  CHECK_NOTHROW(Graph(ei, 3, torch::full({3, 2}, big), torch::tensor({big, big})));
  auto both = x.clone();
  both[0][1] = std::numeric_limits<float>::infinity();
  both[1][1] = -std::numeric_limits<float>::infinity();
  GNNX_REQUIRE_ERROR("Graph: x holds NaN or Inf (first at flat index 1)", Graph(ei, 3, both));
  GNNX_REQUIRE_ERROR("Graph: y must be int64, got Float", Graph(ei, 3, x, {}, torch::zeros({3})));
  GNNX_REQUIRE_ERROR("my_op: x has 4 rows but num_nodes = 3", [&] {
    Graph g(ei, 3, x);
    g.x = torch::ones({4, 2});
    g.validate("my_op");
    return 0;
  }());
}

TEST_CASE("Graph accessors and an empty graph", "[graph]") {
  auto ei = torch::tensor({0, 1, 1, 2}, torch::kLong).view({2, 2});
  Graph g(ei, 4, torch::ones({4, 5}), torch::ones({2}), torch::zeros({4}, torch::kLong));  // node 3 isolated
  REQUIRE(g.num_edges() == 2);
  REQUIRE(g.num_features() == 5);
  REQUIRE(g.has_edge_weight());
  REQUIRE(g.has_labels());
  REQUIRE(g.device() == torch::Device(torch::kCPU));
  auto h = g.to(torch::kCPU);
  REQUIRE(torch::equal(h.edge_index, g.edge_index));
  Graph empty(torch::zeros({2, 0}, torch::kLong), 0);
  REQUIRE(empty.num_edges() == 0);
  REQUIRE(empty.num_features() == 0);
  REQUIRE_NOTHROW(empty.validate("op"));
}
