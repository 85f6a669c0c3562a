#include "gnnx/metrics/images.h"

#include <torch/torch.h>

#include "gnnx/core/random.h"
#include "gnnx/io/png.h"

#include "support/catch.h"
#include "support/tensor_match.h"

using namespace gnnx::metrics;
namespace tnn = torch::nn;

TEST_CASE("CAM-paper box: threshold at 20% of the max, largest 8-connected component", "[images]") {
  REQUIRE(box_iou(Box{0, 0, 1, 1}, Box{1, 1, 2, 2}) == Approx(1.0 / 7));
  REQUIRE(box_iou(Box{0, 0, 3, 3}, Box{0, 0, 3, 3}) == Approx(1.0));
  REQUIRE(box_iou(Box{0, 0, 0, 0}, Box{2, 2, 2, 2}) == 0.0);
  auto m = torch::zeros({6, 8});
  // Blob A (3 pixels, diagonal: connected only with 8-connectivity) holds the maximum.
  m[0][0] = 10, m[1][1] = 5, m[2][2] = 3;
  // Blob B: 2 x 3 = 6 pixels above the threshold 2 (20% of 10), one pixel below it.
  m.slice(0, 3, 5).slice(1, 4, 7).fill_(2.5);
  m[5][4] = 1.0;
  auto b = cam_box(m, 0.2);
  REQUIRE((b.x0 == 4 && b.y0 == 3 && b.x1 == 6 && b.y1 == 4));
  // A higher threshold (50%: 5) keeps only blob A's first two pixels.
  auto a = cam_box(m, 0.5);
  REQUIRE((a.x0 == 0 && a.y0 == 0 && a.x1 == 1 && a.y1 == 1));
  REQUIRE(cam_box(torch::zeros({3, 3})).area() == 0);
  auto iou = localization_iou(m.unsqueeze(0), torch::tensor({{4, 3, 6, 5}}));
  REQUIRE(iou[0].item<double>() == Approx(6.0 / 9));
  GNNX_REQUIRE_ERROR("fraction", cam_box(m, 0.0));
}

TEST_CASE("pointing game and positive relevance inside the mask", "[images]") {
  auto maps = torch::tensor({{{1.0, -2.0}, {3.0, 0.0}}, {{-1.0, 4.0}, {2.0, 2.0}}});
  auto masks = torch::tensor({{{true, false}, {true, false}}, {{true, false}, {false, false}}});
  GNNX_REQUIRE_CLOSE(pointing_game(maps, masks), torch::tensor({1.0, 0.0}, torch::kDouble));
  GNNX_REQUIRE_CLOSE(positive_share_in_mask(maps, masks), torch::tensor({1.0, 0.0}, torch::kDouble));
  auto mixed = torch::tensor({{{1.0, 3.0}, {-5.0, 0.0}}});
  GNNX_REQUIRE_CLOSE(positive_share_in_mask(mixed, torch::tensor({{{true, false}, {true, true}}})),
                     torch::tensor({0.25}, torch::kDouble));
  GNNX_REQUIRE_ERROR("masks", pointing_game(maps, masks.slice(0, 0, 1)));
}

TEST_CASE("Spearman rank correlation with average ranks", "[images]") {
  REQUIRE(spearman(torch::tensor({1.0, 2.0, 3.0, 4.0}), torch::tensor({10.0, 20.0, 30.0, 40.0})) == Approx(1.0));
  REQUIRE(spearman(torch::tensor({1.0, 2.0, 3.0}), torch::tensor({3.0, 2.0, 1.0})) == Approx(-1.0));
  // scipy.stats.spearmanr([1, 2, 2, 3], [1, 2, 3, 4]).correlation == 0.9486832980505138
  REQUIRE(spearman(torch::tensor({1.0, 2.0, 2.0, 3.0}), torch::tensor({1.0, 2.0, 3.0, 4.0})) ==
          Approx(0.9486832980505138));
  // No ties: 1 - 6 Σd² / (n(n² - 1)) with d = [1, -1, 1, -1, 0] -> 1 - 24/120.
  REQUIRE(spearman(torch::tensor({2.0, 1.0, 4.0, 3.0, 5.0}), torch::tensor({1.0, 2.0, 3.0, 4.0, 5.0})) == Approx(0.8));
  REQUIRE(std::isnan(spearman(torch::ones({3}), torch::tensor({1.0, 2.0, 3.0}))));
}

TEST_CASE("png_file_size orders maps by complexity and ignores scale", "[images][png]") {
  auto g = at::make_generator<at::CPUGeneratorImpl>(7);
  auto noise = torch::randn({32, 32}, g);
  auto blob = torch::zeros({32, 32});
  blob.slice(0, 10, 20).slice(1, 12, 22) = 1.0;
  auto zero = torch::zeros({32, 32});
  auto sizes = png_file_size(torch::stack({zero, blob, noise}));
  REQUIRE(sizes.sizes() == torch::IntArrayRef{3});
  CHECK(sizes[0].item<double>() < sizes[1].item<double>());
  CHECK(sizes[1].item<double>() * 4 < sizes[2].item<double>());
  // The quantised picture is the 8-bit PNG of 128 + 127 m / max|m|.
  auto grey = (blob * 127.0 + 128.0).round().to(torch::kUInt8);
  CHECK(sizes[1].item<double>() == static_cast<double>(gnnx::io::encode_png(grey).size()));
  // Scale does not matter; sign does (a negated map is another picture).
  GNNX_REQUIRE_CLOSE(png_file_size(torch::stack({blob * 40.0, noise * 0.01})), torch::stack({sizes[1], sizes[2]}), 0.0,
                     0.0);
  GNNX_REQUIRE_ERROR("expected maps [B, H, W]", png_file_size(torch::zeros({4, 4})));
}
