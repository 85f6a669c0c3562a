#include "gnnx/nn/models/kernel.h"

#include <cmath>

#include <torch/torch.h>

#include "support/catch.h"
#include "support/tensor_match.h"

using gnnx::nn::KernelKMeansModel;
using gnnx::nn::KernelKMeansOptions;
using gnnx::nn::KernelScoreModel;

namespace {

// Three separated blobs of n points each in 2-D, seeded.
torch::Tensor blobs(int64_t n, uint64_t seed) {
  auto g = at::make_generator<at::CPUGeneratorImpl>(seed);
  auto centres = torch::tensor({{0.0, 0.0}, {4.0, 0.0}, {0.0, 4.0}}, torch::kDouble);
  auto noise = torch::randn({3, n, 2}, g, torch::kDouble) * 0.5;
  return (centres.unsqueeze(1) + noise).reshape({3 * n, 2});
}

torch::Tensor queries(uint64_t seed) {
  auto g = at::make_generator<at::CPUGeneratorImpl>(seed);
  return torch::rand({17, 2}, g, torch::kDouble) * 6.0 - 1.0;
}

}  // namespace

TEST_CASE("soft_min and soft_max equal their closed forms and tend to min / max", "[nn][kernel]") {
  auto h = torch::tensor({{1.0, 2.0}}, torch::kDouble);
  const double smin = -std::log(std::exp(-1.0) + std::exp(-2.0));
  CHECK(gnnx::nn::soft_min(h, 1, 1.0).item<double>() == Approx(smin).epsilon(1e-12));
  CHECK(gnnx::nn::soft_max(h, 1, 2.0).item<double>() == Approx(std::log(std::exp(2.0) + std::exp(4.0)) / 2.0));
  CHECK(gnnx::nn::soft_min(h, 1, 1e4).item<double>() == Approx(1.0).margin(1e-3));
  CHECK(gnnx::nn::soft_max(h, 1, 1e4).item<double>() == Approx(2.0).margin(1e-3));
  GNNX_REQUIRE_ERROR("stiffness must be > 0", gnnx::nn::soft_min(h, 1, 0.0));
}

TEST_CASE("the neuralised KDE equals -log of the Gaussian density, point by point", "[nn][kernel]") {
  auto data = blobs(/*n=*/10, /*seed=*/1);
  const double h = 0.7;
  auto kde = KernelScoreModel::kde(data, h);
  auto x = queries(2);
  // Brute force: the mean of isotropic 2-D normal densities N(x; x_j, h² I).
  auto ref = torch::zeros({x.size(0)}, torch::kDouble);
  for (int64_t b = 0; b < x.size(0); ++b) {
    double f = 0;
    for (int64_t j = 0; j < data.size(0); ++j) {
      const double d2 = (x[b] - data[j]).pow(2).sum().item<double>();
      f += std::exp(-d2 / (2 * h * h)) / (2 * M_PI * h * h);
    }
    ref[b] = f / static_cast<double>(data.size(0));
  }
  GNNX_REQUIRE_CLOSE(kde.score(x), ref, 1e-12, 0.0);
  auto net = kde.neuralised(x);
  REQUIRE(net.distances.sizes() == torch::IntArrayRef{17, 30});
  GNNX_REQUIRE_CLOSE(net.output, -ref.log(), 0.0, 1e-6);
  GNNX_REQUIRE_CLOSE(net.output, -ref.log(), 1e-12, 1e-12);
}

TEST_CASE("the neuralised one-class SVM equals -log of its kernel expansion", "[nn][kernel]") {
  auto sv = torch::tensor({{0.0, 1.0}, {1.0, -1.0}, {2.0, 0.5}}, torch::kDouble);
  auto alpha = torch::tensor({0.5, 1.0, 0.25}, torch::kDouble);
  auto svm = KernelScoreModel::one_class_svm(sv, alpha.unsqueeze(0), /*gamma=*/0.3);  // sklearn's [1, N]
  auto x = torch::tensor({{0.5, 0.5}, {3.0, 3.0}}, torch::kDouble);
  for (int64_t b = 0; b < 2; ++b) {
    double f = 0;
    for (int64_t j = 0; j < 3; ++j)
      f += alpha[j].item<double>() * std::exp(-0.3 * (x[b] - sv[j]).pow(2).sum().item<double>());
    CHECK(svm.score(x)[b].item<double>() == Approx(f).epsilon(1e-12));
    CHECK(svm.neuralised(x).output[b].item<double>() == Approx(-std::log(f)).margin(1e-6));
  }
}

TEST_CASE("kernel score models reject bad input", "[nn][kernel]") {
  auto data = blobs(/*n=*/3, /*seed=*/1);
  GNNX_REQUIRE_ERROR("bandwidth must be > 0", KernelScoreModel::kde(data, 0.0));
  GNNX_REQUIRE_ERROR("bandwidth must be > 0", KernelScoreModel::kde(data, -1.0));
  GNNX_REQUIRE_ERROR("non-empty [N, D]", KernelScoreModel::kde(torch::zeros({0, 2}, torch::kDouble), 1.0));
  GNNX_REQUIRE_ERROR("weight must be > 0",
                     KernelScoreModel::one_class_svm(data.slice(0, 0, 2), torch::tensor({1.0, -1.0}), 1.0));
  GNNX_REQUIRE_ERROR("weights must be [N]", KernelScoreModel::one_class_svm(data, torch::ones({2}), 1.0));
  GNNX_REQUIRE_ERROR("gamma must be > 0", KernelScoreModel::one_class_svm(data, torch::ones({9}), 0.0));
  GNNX_REQUIRE_ERROR("expected points x [B, 2]", KernelScoreModel::kde(data, 1.0).score(torch::zeros({4, 3})));
}

TEST_CASE("the neuralised kernel k-means equals the log-likelihood ratio of its softmax", "[nn][kernel]") {
  auto data = blobs(/*n=*/8, /*seed=*/3);
  // Uneven clusters, so that the log Z terms of the biases matter.
  auto assign = torch::cat(
      {torch::zeros({10}, torch::kLong), torch::ones({6}, torch::kLong), torch::full({8}, 2, torch::kLong)});
  KernelKMeansModel km(data, assign, /*clusters=*/3, /*gamma=*/0.8, /*beta=*/1.7);
  auto x = queries(4);
  auto p = km.probabilities(x);
  GNNX_REQUIRE_CLOSE(p.sum(1), torch::ones({17}, torch::kDouble), 1e-12, 1e-12);
  for (int64_t c = 0; c < 3; ++c) {
    auto net = km.neuralised(x, c);
    REQUIRE(net.others.size() == 2);
    REQUIRE(net.competitors.sizes() == torch::IntArrayRef{17, 2});
    // The network against the direct formula in log space (s_k^{β/γ} through logsumexp).
    GNNX_REQUIRE_CLOSE(net.output, km.log_odds(x, c), 0.0, 1e-6);
    // And against log(p / (1 − p)) from the probabilities, where 1 − p keeps its digits.
    auto direct = (p.select(1, c) / (1 - p.select(1, c))).log();
    auto keep = direct.abs() < 10;
    REQUIRE(keep.any().item<bool>());
    GNNX_REQUIRE_CLOSE(net.output.index({keep}), direct.index({keep}), 0.0, 1e-6);
  }
}

TEST_CASE("kernel k-means fit finds three separated blobs, and rejects bad input", "[nn][kernel]") {
  auto data = blobs(/*n=*/12, /*seed=*/5);
  auto km = KernelKMeansModel::fit(data, KernelKMeansOptions().clusters(3).gamma(0.5).seed(7));
  auto a = km.assignments().view({3, 12});
  for (int64_t b = 0; b < 3; ++b) CHECK((a[b] == a[b][0]).all().item<bool>());  // each blob in one cluster
  const auto l0 = a[0][0].item<int64_t>(), l1 = a[1][0].item<int64_t>(), l2 = a[2][0].item<int64_t>();
  CHECK((l0 != l1 && l1 != l2 && l0 != l2));  // three different clusters
  GNNX_REQUIRE_ERROR("at least as many points", KernelKMeansModel::fit(data.slice(0, 0, 2)));
  GNNX_REQUIRE_ERROR("gamma must be > 0", KernelKMeansModel::fit(data, KernelKMeansOptions().gamma(-1)));
  GNNX_REQUIRE_ERROR("every cluster needs a point",
                     KernelKMeansModel(data, torch::zeros({36}, torch::kLong), 2, 1.0, 1.0));
  GNNX_REQUIRE_ERROR("cluster must be in [0, 3)", km.neuralised(data, 3));
}
