// Reference models: a short training run learns well above chance (the full accuracy table
// is bench/bench_reference_models, not a test).
#include "gnnx/datasets/reference.h"

#include "support/catch.h"
#include "support/tensor_match.h"

using namespace gnnx;
using namespace gnnx::datasets;

TEST_CASE("reference model smoke test: BA-Shapes node classifier", "[datasets]") {
  const Dataset d = ba_shapes();
  auto config = reference_config(d);
  REQUIRE(config.model.in_channels() == 10);
  REQUIRE(config.model.num_classes() == 4);
  REQUIRE(config.model.hidden_channels() == 20);
  REQUIRE(config.model.num_layers() == 3);
  config.train.epochs(150);
  const auto a = train_reference_model(d, config, /*seed=*/0);
  // The majority class (base) is 300 / 700 = 0.43.
  REQUIRE(a.result.train_acc > 0.75);
  REQUIRE(a.result.test_acc > 0.7);
  REQUIRE(a.model->num_hops() == 3);
  // Same seed, same model.
  const auto b = train_reference_model(d, config, /*seed=*/0);
  REQUIRE(a.result.test_acc == b.result.test_acc);
  GNNX_REQUIRE_CLOSE(a.model->head->weight, b.model->head->weight);
}

TEST_CASE("reference model smoke test: BA-2Motifs graph classifier", "[datasets]") {
  const Dataset d = ba_2motifs(Ba2MotifsOptions().num_graphs(200), 0);
  auto config = reference_config(d);
  REQUIRE(config.model.task() == nn::Task::kGraph);
  config.train.epochs(30);
  const auto r = train_reference_model(d, config, /*seed=*/1);
  REQUIRE(r.result.train_acc > 0.8);
  Dataset unknown = d;
  unknown.name = "my-data";
  GNNX_REQUIRE_ERROR("no reference model for dataset 'my-data'", reference_config(unknown));
}
