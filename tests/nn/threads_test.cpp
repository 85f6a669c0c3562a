// One model shared by many threads: the explainers run their chunks in parallel on one model,
// which is sound only if a forward and backward keeps nothing in the model's layers.
#include <string>
#include <thread>
#include <vector>

#include <torch/torch.h>

#include "gnnx/core/random.h"
#include "gnnx/graph/ops.h"
#include "gnnx/nn/message_passing.h"
#include "gnnx/nn/models/gnn.h"
#include "support/catch.h"
#include "support/tensor_match.h"

using namespace gnnx;
using namespace gnnx::nn;

namespace {

constexpr int kThreads = 8;
// Each thread repeats its computation, so that the threads' forwards overlap many times.
constexpr int kRepeats = 25;

struct SharedModelInput {
  at::Tensor x, edge_index, mask;
};

// A random connected graph per seed: a tree plus a few chords, both directions stored.
SharedModelInput shared_model_input(uint64_t seed) {
  Rng rng(seed);
  const int64_t n = 20 + uniform_int(rng, 0, 10);
  std::vector<std::pair<int64_t, int64_t>> pairs;
  for (int64_t i = 1; i < n; ++i) pairs.emplace_back(i, uniform_int(rng, 0, i - 1));
  for (int i = 0; i < 8; ++i) {
    auto a = uniform_int(rng, 0, n - 1), b = uniform_int(rng, 0, n - 1);
    if (a != b) pairs.emplace_back(a, b);
  }
  SharedModelInput in;
  in.edge_index = undirected_edge_index(pairs);
  in.x = torch::randn({n, 5}, torch_generator(seed));
  in.mask = torch::rand({in.edge_index.size(1)}, torch_generator(seed + 1000)) * 0.5 + 0.5;
  return in;
}

// What an explainer's chunk computes: logits under an edge mask that requires grad, the
// gradient of a loss with respect to the mask and to x (never into the model's parameters),
// and, for attention models, the coefficients.
std::vector<at::Tensor> run_like_a_chunk(GNNModel& model, const SharedModelInput& in) {
  auto x = in.x.clone().requires_grad_(true);
  auto mask = in.mask.clone().requires_grad_(true);
  EdgeMaskScope scope(mask);
  auto logits = model.forward(x, in.edge_index);
  auto loss = torch::log_softmax(logits, 1).select(1, 0).sum();
  auto g = torch::autograd::grad({loss}, {mask, x});
  std::vector<at::Tensor> out{logits.detach(), g[0], g[1]};
  for (const auto& a : model.attention(x, in.edge_index)) out.push_back(a.alpha.detach());
  return out;
}

}  // namespace

TEST_CASE("threads forwarding and backwarding one shared model get the single-thread results", "[nn][gat][threads]") {
  for (auto conv : {ConvType::kGCN, ConvType::kGraphConv, ConvType::kGIN, ConvType::kSAGE, ConvType::kGAT}) {
    INFO(to_string(conv));
    torch::manual_seed(11);
    GNNClassifier model(
        GNNClassifierOptions(/*in_channels=*/5, /*num_classes=*/3).conv(conv).heads(conv == ConvType::kGAT ? 2 : 1));
    model->eval();
    std::vector<SharedModelInput> inputs;
    std::vector<std::vector<at::Tensor>> expect;
    for (int t = 0; t < kThreads; ++t) {
      inputs.push_back(shared_model_input(/*seed=*/static_cast<uint64_t>(100 + t)));
      expect.push_back(run_like_a_chunk(*model, inputs.back()));
    }
    REQUIRE(expect[0].size() == (conv == ConvType::kGAT ? 6u : 3u));

    std::vector<std::vector<std::vector<at::Tensor>>> got(kThreads);
    std::vector<std::string> errors(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([&, t] {
        try {
          for (int r = 0; r < kRepeats; ++r) got[t].push_back(run_like_a_chunk(*model, inputs[t]));
        } catch (const std::exception& e) {
          errors[t] = e.what();
        }
      });
    for (auto& th : threads) th.join();

    for (int t = 0; t < kThreads; ++t) {
      INFO("thread " << t);
      REQUIRE(errors[t].empty());
      REQUIRE(got[t].size() == static_cast<size_t>(kRepeats));
      for (const auto& result : got[t]) {
        REQUIRE(result.size() == expect[t].size());
        for (size_t k = 0; k < result.size(); ++k)
          GNNX_REQUIRE_CLOSE(result[k], expect[t][k], /*rtol=*/0, /*atol=*/1e-6);
      }
    }
  }
}
