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
