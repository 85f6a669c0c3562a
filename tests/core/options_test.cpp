#include "gnnx/core/options.h"

#include "gnnx/nn/functional/scatter.h"
#include "support/catch.h"
#include "support/tensor_match.h"

TEST_CASE("OptionReader: typed values, defaults for absent keys, errors name method and key", "[options]") {
  gnnx::OptionReader r("method", {{"steps", "32"},
                                  {"rate", "0.5"},
                                  {"on", "yes"},
                                  {"ids", "3,8,8"},
                                  {"means", "0,2.5"},
                                  {"aggr", "mean"},
                                  {"name", "x"},
                                  {"seed", "7"}});
  REQUIRE(r.get<int64_t>("steps", 1) == 32);
  REQUIRE(r.get("rate", 1.0) == 0.5);
  REQUIRE(r.get("on", false));
  REQUIRE(r.get("ids", std::vector<int64_t>{}) == std::vector<int64_t>{3, 8, 8});
  REQUIRE(r.get("means", std::vector<double>{}) == std::vector<double>{0.0, 2.5});
  REQUIRE(r.get("aggr", gnnx::nn::Aggregation::kSum) == gnnx::nn::Aggregation::kMean);
  REQUIRE(r.get("name", "y") == "x");
  REQUIRE(r.get<uint64_t>("seed", 0) == 7u);
  REQUIRE(r.get<int64_t>("absent", 11) == 11);  // the fallback: the options struct's default
  r.finish();

  gnnx::OptionReader bad("method", {{"steps", "3x"}, {"aggr", "avg"}, {"seed", "-1"}, {"typo", "1"}});
  GNNX_REQUIRE_ERROR("method: option steps expects an integer, got \"3x\"", bad.get<int64_t>("steps", 1));
  GNNX_REQUIRE_ERROR("method: option aggr expects one of sum, mean, max, got \"avg\"",
                     bad.get("aggr", gnnx::nn::Aggregation::kSum));
  GNNX_REQUIRE_ERROR("option seed expects a non-negative integer, got \"-1\"", bad.get<uint64_t>("seed", 0));
  GNNX_REQUIRE_ERROR("method: unknown option \"typo\"; options: steps, aggr, seed", bad.finish());
  REQUIRE(bad.without({"typo", "seed"}) == gnnx::OptionMap{{"aggr", "avg"}, {"steps", "3x"}});
}
