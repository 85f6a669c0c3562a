#include <vector>

#include <torch/torch.h>

#include "gnnx/core/check.h"
#include "gnnx/core/memory.h"
#include "gnnx/explain/subgraphx.h"
#include "gnnx/graph/ops.h"
#include "gnnx/nn/models/gnn.h"
#include "support/catch.h"
#include "support/tensor_match.h"

using namespace gnnx;

namespace {

// The limit is process-wide: each test puts it back.
struct LimitGuard {
  explicit LimitGuard(int64_t bytes) { set_memory_limit(bytes); }
  ~LimitGuard() { set_memory_limit(0); }
};

}  // namespace

TEST_CASE("parse_byte_size reads bytes and binary units", "[memory]") {
  CHECK(parse_byte_size("4096") == 4096);
  CHECK(parse_byte_size("512K") == 512 * 1024);
  CHECK(parse_byte_size("64m") == 64LL << 20);
  CHECK(parse_byte_size("1.5G") == 3LL << 29);
  CHECK(parse_byte_size("2GiB") == 2LL << 30);
  CHECK(parse_byte_size(" 1 T ") == 1LL << 40);
  CHECK(parse_byte_size("0") == 0);
  GNNX_REQUIRE_ERROR("limit: expected a size in bytes such as 4096, 512M or 4G, got \"lots\"",
                     parse_byte_size("lots", "limit"));
  GNNX_REQUIRE_ERROR("got \"-1G\"", parse_byte_size("-1G"));
  GNNX_REQUIRE_ERROR("got \"G\"", parse_byte_size("G"));
  GNNX_REQUIRE_ERROR("got \"12Q\"", parse_byte_size("12Q"));
  GNNX_REQUIRE_ERROR("too large", parse_byte_size("1e30T"));
  GNNX_REQUIRE_ERROR("expected a limit >= 0", set_memory_limit(-1));
}

TEST_CASE("An allocation past the memory limit throws before taking memory", "[memory]") {
  LimitGuard guard(64LL << 20);
  const auto before = memory_in_use();
  {
    auto small = torch::empty({1 << 20}, torch::kFloat);  // 4 MiB: fits
    CHECK(memory_in_use() - before >= 4LL << 20);
    GNNX_REQUIRE_ERROR("memory limit: allocating 400.0 MiB would exceed the limit of 64.0 MiB",
                       torch::empty({100LL << 20}, torch::kFloat));
  }
  CHECK(memory_in_use() == before);  // the small tensor was freed, the refused one never counted
  set_memory_limit(0);
  auto big = torch::empty({100LL << 20}, torch::kFloat);  // no limit: allowed
  CHECK(big.numel() == 100LL << 20);
}

TEST_CASE("An explanation too large for the memory limit fails cleanly, and fits under a higher one", "[memory]") {
  std::vector<std::pair<int64_t, int64_t>> pairs;
  const int64_t n = 60;
  for (int64_t i = 1; i < n; ++i) pairs.emplace_back(i, i / 2);
  Graph g(undirected_edge_index(pairs), n, torch::randn({n, 64}));
  torch::manual_seed(0);
  nn::GNNClassifier model(nn::GNNClassifierOptions(64, 3).task(nn::Task::kGraph));
  // The features alone of 2 x 14 x 100 masked copies of 60 nodes take 43 MB.
  explain::SubgraphX sx(explain::SubgraphXOptions().rollout(1));
  {
    LimitGuard guard(32LL << 20);
    const auto before = memory_in_use();
    GNNX_REQUIRE_ERROR("memory limit: allocating", sx.explain(*model, g, {Target::graph(0)}));
    CHECK(memory_in_use() == before);  // everything the failed run held was freed
    // Smaller batches fit.
    sx.options.max_batch_nodes(20000).sample_num(10);
    CHECK(sx.explain(*model, g, {Target::graph(0)}).size() == 1);
  }
}
