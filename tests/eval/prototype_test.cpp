// The prototype protocol on the synthetic benchmarks (eval/prototype.h): class_prototype.
#include "gnnx/eval/prototype.h"

#include <algorithm>

#include <torch/torch.h>

#include "gnnx/datasets/reference.h"
#include "support/catch.h"
#include "support/tensor_match.h"

using namespace gnnx;

TEST_CASE("eval::class_prototype explains the class's instances the model gets right", "[eval][prototype]") {
  SECTION("node task: the instances are nodes of the class") {
    const auto ds = datasets::make_dataset("ba-shapes", /*seed=*/0);
    auto cfg = datasets::reference_config(ds);
    cfg.train.epochs(50);  // enough to get most house nodes right
    auto model = datasets::train_reference_model(ds, cfg, /*seed=*/0).model;
    model->eval();
    const auto ids = eval::class_instances(ds, *model, /*label=*/1);
    REQUIRE(ids.size() >= 8);
    const auto p = eval::class_prototype(ds, *model, /*label=*/1,
                                         explain::PrototypeOptions().explainer("grad").instances(8));
    REQUIRE(p.instances.size() == 8);
    for (const auto& inst : p.instances) {
      CHECK(inst.target.kind == Target::Kind::kNode);
      CHECK(inst.target.label == 1);
      CHECK(std::find(ids.begin(), ids.end(), inst.target.index) != ids.end());
    }
    GNNX_REQUIRE_ERROR("class_instances: ba-shapes has classes 0..3, got 4", eval::class_prototype(ds, *model, 4));
  }
  SECTION("graph task: the instances' targets carry the dataset's graph ids") {
    const auto ds = datasets::make_dataset("ba-2motifs", /*seed=*/0);
    auto cfg = datasets::reference_config(ds);
    cfg.train.epochs(2);  // any model will do: the ids are the point
    auto model = datasets::train_reference_model(ds, cfg, /*seed=*/0).model;
    model->eval();
    int64_t label = 0;
    auto ids = eval::class_instances(ds, *model, label);
    if (ids.empty()) ids = eval::class_instances(ds, *model, ++label);
    REQUIRE(!ids.empty());
    const auto p = eval::class_prototype(ds, *model, label,
                                         explain::PrototypeOptions().explainer("grad").instances(5).seed(3));
    REQUIRE(p.instances.size() == std::min<size_t>(5, ids.size()));
    for (const auto& inst : p.instances) {
      CHECK(inst.target.kind == Target::Kind::kGraph);
      CHECK(std::find(ids.begin(), ids.end(), inst.target.index) != ids.end());
    }
  }
}
