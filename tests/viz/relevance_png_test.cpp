#include "gnnx/viz/relevance_png.h"

#include <torch/torch.h>

#include "support/catch.h"
#include "support/tensor_match.h"

using gnnx::attribution::BilrpResult;

namespace {

// A hand-made result on 4x4 images with 2x2 patches: one strong positive and one weak negative pair.
BilrpResult two_links() {
  BilrpResult r;
  r.patch = 2, r.rows = r.cols = r.rows2 = r.cols2 = 2;
  r.pairs = torch::zeros({4, 4}, torch::kDouble);
  r.pairs[0][3] = 2.0;   // top-left of x with bottom-right of x2
  r.pairs[3][0] = -1.0;  // bottom-right of x with top-left of x2
  return r;
}

}  // namespace

TEST_CASE("bilrp_picture links patch centres in red and blue", "[viz][bilrp]") {
  auto x = torch::zeros({1, 4, 4}), x2 = torch::zeros({1, 4, 4});
  auto pic = gnnx::viz::bilrp_picture(x, x2, two_links(), gnnx::viz::BilrpPictureOptions().top_k(2).scale(4).gap(8));
  REQUIRE(pic.sizes() == torch::IntArrayRef{3, 16, 16 + 8 + 16});
  // Centre of patch 0 of x: (4, 4); of patch 3 of x2: (12, 24 + 12).
  auto at = [&](int64_t r, int64_t c) { return pic.index({torch::indexing::Slice(), r, c}); };
  CHECK(at(4, 4)[0].item<float>() > at(4, 4)[2].item<float>());      // red end
  CHECK(at(12, 36)[0].item<float>() > at(12, 36)[2].item<float>());  // red end
  CHECK(at(12, 12)[2].item<float>() > at(12, 12)[0].item<float>());  // blue end
  CHECK(at(8, 20).sum().item<float>() < 2.9f);                       // both lines cross the gap's middle
  // With no link the picture is the two faded images and white.
  auto none = gnnx::viz::bilrp_picture(x, x2, two_links(), gnnx::viz::BilrpPictureOptions().top_k(0).scale(1).gap(2));
  GNNX_REQUIRE_CLOSE(none.index({torch::indexing::Slice(), torch::indexing::Slice(), torch::indexing::Slice(4, 6)}),
                     torch::ones({3, 4, 2}));
  GNNX_REQUIRE_ERROR("do not match", gnnx::viz::bilrp_picture(torch::zeros({1, 6, 6}), x2, two_links()));
}

TEST_CASE("signed_field_picture colours sign and magnitude and marks points", "[viz]") {
  auto v = torch::tensor({{1.0, 0.0}, {-0.5, 0.0}});
  auto pic = gnnx::viz::signed_field_picture(v, torch::empty({0, 2}), 0, 1, 0, 1);
  GNNX_REQUIRE_CLOSE(pic.index({torch::indexing::Slice(), 0, 0}), torch::tensor({1.0, 0.1, 0.1}));
  GNNX_REQUIRE_CLOSE(pic.index({torch::indexing::Slice(), 0, 1}), torch::ones({3}));
  GNNX_REQUIRE_CLOSE(pic.index({torch::indexing::Slice(), 1, 0}), torch::tensor({0.55, 0.625, 0.95}));
  auto dotted = gnnx::viz::signed_field_picture(torch::zeros({9, 9}), torch::tensor({{0.5, 0.5}}), 0, 1, 0, 1);
  CHECK(dotted.index({torch::indexing::Slice(), 4, 4}).sum().item<float>() < 1.0f);
  GNNX_REQUIRE_ERROR("x_lo < x_hi", gnnx::viz::signed_field_picture(v, torch::empty({0, 2}), 1, 0, 0, 1));
}
