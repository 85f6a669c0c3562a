#include "gnnx/nn/message_passing.h"

#include <torch/torch.h>

#include "gnnx/graph/ops.h"
#include "gnnx/nn/conv/gcn_conv.h"
#include "support/catch.h"
#include "support/tensor_match.h"

using namespace gnnx;
using namespace gnnx::nn;

TEST_CASE("scatter aggregations on a hand-made graph, isolated node included", "[nn]") {
  // Targets: node 0 gets {1, 3}, node 1 gets {5}, node 2 gets nothing.
  auto src = torch::tensor({1.0, 3.0, 5.0}).view({3, 1});
  auto idx = torch::tensor({0, 0, 1}, torch::kLong);
  GNNX_REQUIRE_CLOSE(scatter(src, idx, 3, Aggregation::kSum), torch::tensor({4.0, 5.0, 0.0}).view({3, 1}));
  GNNX_REQUIRE_CLOSE(scatter(src, idx, 3, Aggregation::kMean), torch::tensor({2.0, 5.0, 0.0}).view({3, 1}));
  GNNX_REQUIRE_CLOSE(scatter(-src, idx, 3, Aggregation::kMax), torch::tensor({-1.0, -5.0, 0.0}).view({3, 1}));
}

TEST_CASE("GCNConv equals D^-1/2 (A+I) D^-1/2 X W", "[nn]") {
  torch::manual_seed(0);
  auto ei = undirected_edge_index({{0, 1}, {1, 2}, {2, 3}, {0, 2}});
  const int64_t N = 5;  // node 4 isolated
  auto x = torch::randn({N, 3}, torch::kDouble);
  GCNConv conv(GCNConvOptions(3, 2));
  conv->to(torch::kDouble);
  for (bool weighted : {false, true}) {
    auto w = weighted ? torch::rand({ei.size(1)}, torch::kDouble) + 0.5 : torch::Tensor();
    auto A = torch::zeros({N, N}, torch::kDouble);
    for (int64_t e = 0; e < ei.size(1); ++e)
      A[ei[1][e].item<int64_t>()][ei[0][e].item<int64_t>()] += weighted ? w[e].item<double>() : 1.0;
    auto Ahat = A + torch::eye(N, torch::kDouble);
    auto dinv = Ahat.sum(1).pow(-0.5);
    auto ref = dinv.view({-1, 1}) * Ahat * dinv.view({1, -1});
    auto expect = ref.matmul(x).matmul(conv->lin->weight.t()) + conv->bias;
    GNNX_REQUIRE_CLOSE(conv->forward(x, ei, w), expect, 1e-10, 1e-10);
  }
}

TEST_CASE("edge mask: all ones changes nothing, a zero deletes the edge", "[nn]") {
  torch::manual_seed(1);
  auto ei = undirected_edge_index({{0, 1}, {1, 2}, {2, 3}, {3, 0}, {1, 3}});
  auto x = torch::randn({4, 3});
  GCNConv conv(GCNConvOptions(3, 4));
  auto base = conv->forward(x, ei);
  {
    EdgeMaskScope scope(torch::ones({ei.size(1)}));
    GNNX_REQUIRE_CLOSE(conv->forward(x, ei), base);
  }
  auto mask = torch::ones({ei.size(1)});
  mask[2] = 0;
  at::Tensor masked;
  {
    EdgeMaskScope scope(mask);
    masked = conv->forward(x, ei);
  }
  auto keep = torch::nonzero(mask).flatten();
  GNNX_REQUIRE_CLOSE(masked, conv->forward(x, ei.index_select(1, keep)));
  EdgeMaskScope wrong(torch::ones({3}));
  GNNX_REQUIRE_ERROR("edge mask has 3 entries", conv->forward(x, ei));
}
