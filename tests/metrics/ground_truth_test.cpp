#include "gnnx/metrics/ground_truth.h"

#include <torch/torch.h>

#include "gnnx/core/random.h"
#include "support/catch.h"
#include "support/tensor_match.h"

using gnnx::metrics::roc_auc;

TEST_CASE("roc_auc equals the pairwise definition, ties counting one half", "[metrics]") {
  // sklearn.metrics.roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75
  REQUIRE(roc_auc(torch::tensor({0.1, 0.4, 0.35, 0.8}), torch::tensor({0, 0, 1, 1})) == Approx(0.75));
  REQUIRE(roc_auc(torch::tensor({1.0, 1.0, 1.0}), torch::tensor({0, 1, 1})) == Approx(0.5));
  // Brute force over all positive/negative pairs on random data with ties.
  auto s = torch::randint(0, 5, {200}, gnnx::torch_generator(3)).to(torch::kDouble);
  auto l = torch::randint(0, 2, {200}, gnnx::torch_generator(3));
  double num = 0, den = 0;
  for (int64_t i = 0; i < 200; ++i)
    for (int64_t j = 0; j < 200; ++j)
      if (l[i].item<int64_t>() == 1 && l[j].item<int64_t>() == 0) {
        den += 1;
        const double a = s[i].item<double>(), b = s[j].item<double>();
        num += a > b ? 1.0 : (a == b ? 0.5 : 0.0);
      }
  REQUIRE(roc_auc(s, l) == Approx(num / den).epsilon(1e-12));
  GNNX_REQUIRE_ERROR("only one class", roc_auc(torch::tensor({0.1, 0.2}), torch::tensor({1, 1})));
  GNNX_REQUIRE_ERROR("equal length", roc_auc(torch::tensor({0.1, 0.2}), torch::tensor({1})));
  GNNX_REQUIRE_ERROR("0 or 1", roc_auc(torch::tensor({0.1, 0.2}), torch::tensor({1, 2})));
  REQUIRE(gnnx::metrics::precision_at_k(torch::tensor({0.9, 0.1, 0.5}), torch::tensor({1, 0, 0}), 2) == Approx(0.5));
}
