#include "gnnx/attribution/neon.h"

#include <cmath>

#include <torch/torch.h>

#include "support/catch.h"
#include "support/tensor_match.h"

using gnnx::attribution::neon;
using gnnx::attribution::NeonOptions;
using gnnx::nn::KernelKMeansModel;
using gnnx::nn::KernelScoreModel;

namespace {

torch::Tensor cloud(int64_t n, int64_t d, uint64_t seed) {
  auto g = at::make_generator<at::CPUGeneratorImpl>(seed);
  return torch::randn({n, d}, g, torch::kDouble);
}

}  // namespace

TEST_CASE("NEON on one support point is the midpoint rule's closed form", "[attribution][neon]") {
  auto u = torch::tensor({{1.0, -2.0, 0.5}}, torch::kDouble);
  KernelScoreModel m(u, torch::tensor({0.2}, torch::kDouble), /*gamma=*/0.5);
  auto x = torch::tensor({{2.0, 0.0, 0.5}, {1.0, -2.0, 0.5}}, torch::kDouble);
  auto e = neon(m, x);
  // o = γ‖x − u‖² − log α; R_d = (x_d − u_d)² / ‖x − u‖² · o.
  const double o0 = 0.5 * 5.0 - std::log(0.2);
  GNNX_REQUIRE_CLOSE(e.output[0], torch::tensor(o0, torch::kDouble), 1e-12, 1e-12);
  GNNX_REQUIRE_CLOSE(e.relevance[0], torch::tensor({o0 / 5.0, 4.0 * o0 / 5.0, 0.0}, torch::kDouble), 1e-12, 1e-12);
  // On the support point the relevance -log α is spread evenly.
  const double o1 = -std::log(0.2);
  GNNX_REQUIRE_CLOSE(e.relevance[1], torch::full({3}, o1 / 3.0, torch::kDouble), 1e-12, 1e-12);
}

TEST_CASE("NEON conserves the KDE outlier score", "[attribution][neon]") {
  auto kde = KernelScoreModel::kde(cloud(/*n=*/40, /*d=*/3, /*seed=*/1), /*bandwidth=*/0.6);
  auto x = cloud(/*n=*/9, /*d=*/3, /*seed=*/2) * 2.0;
  auto e = neon(kde, x);
  GNNX_REQUIRE_CLOSE(e.output, kde.neuralised(x).output, 0.0, 1e-12);
  GNNX_REQUIRE_CLOSE(e.relevance.sum(1), e.output, 1e-10, 1e-10);
  // A point far out along dimension 0 is an outlier because of dimension 0.
  auto far = torch::tensor({{8.0, 0.0, 0.0}}, torch::kDouble);
  auto r = neon(kde, far).relevance[0];
  CHECK(r[0].item<double>() > 0.9 * r.sum().item<double>());
}

TEST_CASE("NEON on two one-point clusters is β w ⊙ (x − midpoint)", "[attribution][neon]") {
  auto pts = torch::tensor({{0.0, 0.0}, {2.0, 1.0}}, torch::kDouble);
  KernelKMeansModel km(pts, torch::tensor({0, 1}, torch::kLong), /*clusters=*/2, /*gamma=*/1.0, /*beta=*/2.0);
  auto x = torch::tensor({{0.5, -1.0}, {3.0, 2.0}}, torch::kDouble);
  auto e = neon(km, x, /*cluster=*/0);
  // logit = β (w·x + b), w = 2(x_0 − x_1) = (−4, −2), b = ‖x_1‖² − ‖x_0‖² = 5, midpoint (1, 0.5).
  auto w = torch::tensor({-4.0, -2.0}, torch::kDouble);
  auto expected = 2.0 * w * (x - torch::tensor({1.0, 0.5}, torch::kDouble));
  GNNX_REQUIRE_CLOSE(e.output, 2.0 * (torch::mv(x, w) + 5.0), 1e-12, 1e-12);
  GNNX_REQUIRE_CLOSE(e.output, km.log_odds(x, 0), 1e-9, 1e-9);
  GNNX_REQUIRE_CLOSE(e.relevance, expected, 1e-9, 1e-9);
}

TEST_CASE("NEON conserves the kernel k-means log-likelihood ratio, block by block", "[attribution][neon]") {
  auto data = cloud(/*n=*/30, /*d=*/2, /*seed=*/3) +
              torch::tensor({3.0, 0.0}, torch::kDouble) * (torch::arange(30) % 3).to(torch::kDouble).unsqueeze(1);
  auto km = KernelKMeansModel::fit(data, gnnx::nn::KernelKMeansOptions().clusters(3).gamma(0.5).beta(1.5).seed(2));
  auto x = cloud(/*n=*/11, /*d=*/2, /*seed=*/4) * 3.0;
  for (int64_t c = 0; c < 3; ++c) {
    auto e = neon(km, x, c, NeonOptions().batch_size(4));
    GNNX_REQUIRE_CLOSE(e.output, km.log_odds(x, c), 0.0, 1e-6);
    GNNX_REQUIRE_CLOSE(e.relevance.sum(1), e.output, 1e-8, 1e-8);
    GNNX_REQUIRE_CLOSE(e.relevance, neon(km, x, c).relevance, 1e-12, 1e-12);  // blocks do not matter
  }
}

TEST_CASE("NEON rejects bad input", "[attribution][neon]") {
  auto kde = KernelScoreModel::kde(cloud(5, 2, 1), 1.0);
  GNNX_REQUIRE_ERROR("expected points x [B, 2]", neon(kde, torch::zeros({3, 4})));
  GNNX_REQUIRE_ERROR("epsilon must be >= 0", neon(kde, torch::zeros({3, 2}), NeonOptions().epsilon(-1)));
  KernelKMeansModel km(cloud(4, 2, 1), torch::tensor({0, 1, 0, 1}, torch::kLong), 2, 1.0, 1.0);
  GNNX_REQUIRE_ERROR("cluster must be in [0, 2)", neon(km, torch::zeros({1, 2}), 5));
  GNNX_REQUIRE_ERROR("batch_size must be >= 0", neon(km, torch::zeros({1, 2}), 0, NeonOptions().batch_size(-1)));
}
