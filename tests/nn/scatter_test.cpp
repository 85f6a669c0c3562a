#include "gnnx/nn/functional/scatter.h"

#include <string>
#include <vector>

#include <c10/util/Exception.h>
#include <torch/torch.h>
#include <torch/version.h>

#include "gnnx/core/random.h"
#include "support/catch.h"
#include "support/tensor_match.h"

using namespace gnnx::nn;

namespace {
// Brute-force reference: one loop per target over all edges.
torch::Tensor reference(const torch::Tensor& src, const torch::Tensor& index, int64_t n, Aggregation aggr,
                        const torch::Tensor& weight = {}) {
  const int64_t F = src.size(1);
  auto out = torch::zeros({n, F}, torch::kDouble);
  for (int64_t i = 0; i < n; ++i) {
    double wsum = 0;
    int64_t count = 0;
    for (int64_t e = 0; e < index.size(0); ++e) {
      if (index[e].item<int64_t>() != i) continue;
      const double w = weight.defined() ? weight[e].item<double>() : 1.0;
      if (aggr == Aggregation::kMax && w == 0) continue;
      for (int64_t f = 0; f < F; ++f) {
        const double v = src[e][f].item<double>();
        if (aggr == Aggregation::kMax)
          out[i][f] = count == 0 ? v : std::max(out[i][f].item<double>(), v);
        else
          out[i][f] += v;
      }
      wsum += w;
      ++count;
    }
    if (aggr == Aggregation::kMean && wsum > 0) out[i] /= wsum;
  }
  return out;
}

// Keeps every warning sent to it (on this thread).
class WarningRecorder : public c10::WarningHandler {
 public:
#if TORCH_VERSION_MAJOR >= 2
  void process(const c10::Warning& warning) override { messages.push_back(warning.msg()); }
#else
  void process(const c10::SourceLocation&, const std::string& message, bool) override { messages.push_back(message); }
#endif
  std::vector<std::string> messages;
};
#if TORCH_VERSION_MAJOR >= 2
namespace warning_utils = c10::WarningUtils;
#else
namespace warning_utils = c10::Warning;
#endif
}  // namespace

TEST_CASE("scatter aggregations on a hand-made graph, isolated node included", "[nn]") {
  // Targets: node 0 gets {1, 3}, node 1 gets {5}, node 2 gets nothing.
  auto src = torch::tensor({1.0, 3.0, 5.0}).view({3, 1});
  auto idx = torch::tensor({0, 0, 1}, torch::kLong);
  GNNX_REQUIRE_CLOSE(scatter(src, idx, 3, Aggregation::kSum), torch::tensor({4.0, 5.0, 0.0}).view({3, 1}));
  GNNX_REQUIRE_CLOSE(scatter(src, idx, 3, Aggregation::kMean), torch::tensor({2.0, 5.0, 0.0}).view({3, 1}));
  GNNX_REQUIRE_CLOSE(scatter(-src, idx, 3, Aggregation::kMax), torch::tensor({-1.0, -5.0, 0.0}).view({3, 1}));
  // Presence weights (an edge mask): the caller has already scaled the messages by them; mean
  // divides by their sum instead of the count, max skips weight-0 messages, sum ignores them.
  auto w = torch::tensor({0.5, 0.0, 2.0});
  auto scaled = src * w.view({3, 1});  // {0.5, 0, 10}
  GNNX_REQUIRE_CLOSE(scatter(scaled, idx, 3, Aggregation::kMean, w), torch::tensor({1.0, 5.0, 0.0}).view({3, 1}));
  GNNX_REQUIRE_CLOSE(scatter(scaled, idx, 3, Aggregation::kMax, w), torch::tensor({0.5, 10.0, 0.0}).view({3, 1}));
  GNNX_REQUIRE_CLOSE(scatter(scaled, idx, 3, Aggregation::kSum, w), torch::tensor({0.5, 10.0, 0.0}).view({3, 1}));
  // A node whose only messages have weight 0 gets 0, for mean and max alike.
  auto w0 = torch::tensor({1.0, 1.0, 0.0});
  auto scaled0 = src * w0.view({3, 1});
  GNNX_REQUIRE_CLOSE(scatter(scaled0, idx, 3, Aggregation::kMean, w0), torch::tensor({2.0, 0.0, 0.0}).view({3, 1}));
  GNNX_REQUIRE_CLOSE(scatter(-src, idx, 3, Aggregation::kMax, w0), torch::tensor({-1.0, 0.0, 0.0}).view({3, 1}));
  // No edges at all.
  auto none = torch::zeros({0, 2});
  GNNX_REQUIRE_CLOSE(scatter(none, torch::zeros({0}, torch::kLong), 2, Aggregation::kMax), torch::zeros({2, 2}));
  GNNX_REQUIRE_CLOSE(scatter(none, torch::zeros({0}, torch::kLong), 2, Aggregation::kMean), torch::zeros({2, 2}));
}

TEST_CASE("scatter matches a brute-force loop across widths that straddle vector lengths", "[nn]") {
  auto gen = gnnx::torch_generator(3);
  for (int64_t F : {1, 7, 8, 9, 31, 32, 33, 63, 64, 65}) {
    const int64_t E = 23, N = 9;  // node 8 never appears as a target
    auto src = torch::randn({E, F}, gen, torch::TensorOptions().dtype(torch::kDouble));
    auto idx = torch::randint(0, N - 1, {E}, gen, torch::TensorOptions().dtype(torch::kLong));
    auto w = torch::rand({E}, gen, torch::TensorOptions().dtype(torch::kDouble));
    w[3] = 0;
    for (auto aggr : {Aggregation::kSum, Aggregation::kMean, Aggregation::kMax}) {
      INFO("F = " << F << ", aggr = " << to_string(aggr));
      GNNX_REQUIRE_CLOSE(scatter(src, idx, N, aggr), reference(src, idx, N, aggr), 1e-12, 1e-12);
      GNNX_REQUIRE_CLOSE(scatter(src, idx, N, aggr, w), reference(src, idx, N, aggr, w), 1e-12, 1e-12);
    }
  }
}

TEST_CASE("scatter and aggregation names reject bad input with gnnx::Error", "[nn]") {
  auto src = torch::ones({3, 2});
  auto idx = torch::tensor({0, 1, 1}, torch::kLong);
  GNNX_REQUIRE_ERROR("scatter: index must be a 1-D int64 tensor",
                     scatter(src, idx.to(torch::kInt), 2, Aggregation::kSum));
  GNNX_REQUIRE_ERROR("scatter: index has 2 entries but src has 3 rows",
                     scatter(src, idx.slice(0, 0, 2), 2, Aggregation::kSum));
  GNNX_REQUIRE_ERROR("scatter: dim_size must be >= 0, got -1", scatter(src, idx, -1, Aggregation::kSum));
  GNNX_REQUIRE_ERROR("scatter: weight must have shape [3], got [2]",
                     scatter(src, idx, 2, Aggregation::kMean, torch::ones({2})));
  for (auto aggr : {Aggregation::kSum, Aggregation::kMean, Aggregation::kMax}) {
    GNNX_REQUIRE_ERROR("scatter: index holds id 1 outside [0, 1)", scatter(src, idx, 1, aggr));
    GNNX_REQUIRE_ERROR("scatter: index holds id -1 outside [0, 2)", scatter(src, -idx, 2, aggr));
  }
  GNNX_REQUIRE_ERROR("aggregation: expected one of sum, mean, max, got \"avg\"",
                     gnnx::from_name<gnnx::nn::Aggregation>("avg"));
  REQUIRE(gnnx::from_name<gnnx::nn::Aggregation>("mean") == Aggregation::kMean);
  REQUIRE(std::string(to_string(Aggregation::kMax)) == "max");
}

TEST_CASE("scatter_amax is scatter_reduce's amax without its beta notice", "[nn]") {
  WarningRecorder recorder;
  warning_utils::WarningHandlerGuard handler(&recorder);
  // Once-per-process warnings fire on every call meanwhile, as they would on the process's first.
  warning_utils::WarnAlways always;
  auto self = torch::tensor({0.5, -1.0, 0.0}, torch::kDouble);
  auto index = torch::tensor({0, 0, 2, 2}, torch::kLong);
  auto src = torch::tensor({1.0, 3.0, -2.0, -4.0}, torch::kDouble);
  for (bool include_self : {true, false}) {
    auto ref = self.scatter_reduce(0, index, src, "amax", include_self);
    const auto raw = recorder.messages.size();
    auto got = scatter_amax(self, 0, index, src, include_self);
    REQUIRE(torch::equal(got, ref));
    CHECK(recorder.messages.size() == raw);
  }
  // LibTorch 1.13 sends the notice that the library must not print; newer versions may not.
  INFO("LibTorch " << TORCH_VERSION);
  if (TORCH_VERSION_MAJOR < 2) CHECK_FALSE(recorder.messages.empty());
  for (const auto& m : recorder.messages) CHECK(m.find("scatter_reduce() is in beta") != std::string::npos);
}
