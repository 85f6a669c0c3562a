#include "gnnx/core/enum_names.h"

#include "gnnx/nn/functional/scatter.h"
#include "support/catch.h"
#include "support/tensor_match.h"

namespace {
enum class Colour { kRed, kGreen, kBlue };
GNNX_ENUM_NAMES(Colour, "colour", {Colour::kRed, "red"}, {Colour::kGreen, "green"}, {Colour::kBlue, "blue"},
                {Colour::kRed, "rouge"});
}  // namespace

TEST_CASE("enum names: one table gives names, aliases and errors", "[enum_names]") {
  REQUIRE(gnnx::from_name<Colour>("green") == Colour::kGreen);
  REQUIRE(gnnx::from_name<Colour>("rouge") == Colour::kRed);  // an alias
  REQUIRE(std::string(to_string(Colour::kRed)) == "red");     // the first name, found by ADL
  REQUIRE(gnnx::enum_names<Colour>() == "red, green, blue");  // aliases are not listed
  GNNX_REQUIRE_ERROR("colour: expected one of red, green, blue, got \"Red\"", gnnx::from_name<Colour>("Red"));
  // Every name of a library enum reads back to its value.
  for (auto a : {gnnx::nn::Aggregation::kSum, gnnx::nn::Aggregation::kMean, gnnx::nn::Aggregation::kMax})
    REQUIRE(gnnx::from_name<gnnx::nn::Aggregation>(to_string(a)) == a);
  REQUIRE(gnnx::from_name<gnnx::nn::Aggregation>("add") == gnnx::nn::Aggregation::kSum);
}
