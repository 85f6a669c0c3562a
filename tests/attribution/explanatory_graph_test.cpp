// The explanatory graph on a network whose feature maps are planted: a part at a stable offset
// from its parent is mined with that offset and found beside stronger distractors, where the raw
// filter peak is not; location instability by closed form; bad input.
#include "gnnx/attribution/explanatory_graph.h"

#include <random>

#include <torch/torch.h>

#include "support/catch.h"
#include "support/tensor_match.h"

using namespace gnnx;
using namespace gnnx::attribution;
namespace tnn = torch::nn;

namespace {

// Layer "1" = the input's three channels (1 x 1 identity conv, ReLU); layer "3" = channel 0
// through a 9 x 9 conv that only passes its centre, so that the top layer's receptive field is
// 9 pixels wide while its map equals channel 0.
ImageModel planted_model() {
  tnn::Sequential seq(tnn::Conv2d(tnn::Conv2dOptions(3, 3, 1).bias(false)), tnn::ReLU(),
                      tnn::Conv2d(tnn::Conv2dOptions(3, 1, 9).padding(4).bias(false)), tnn::ReLU());
  torch::NoGradGuard no_grad;
  seq[0]->as<tnn::Conv2d>()->weight.copy_(torch::eye(3).view({3, 3, 1, 1}));
  auto& w = seq[2]->as<tnn::Conv2d>()->weight;
  w.zero_();
  w[0][0][4][4] = 1;
  return ImageModel::sequential(seq);
}

// Channel 0: the parent part at p. Channel 1: the child part at p + (3, 2), value 0.6, and on
// about 40 % of the images a stronger distractor (1.0) far away. Channel 2: a part at a random
// place. landmarks [N, 1, 2] = p.
std::pair<at::Tensor, at::Tensor> planted_images(int64_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int64_t> pos(2, 12), any(0, 19);
  std::bernoulli_distribution distract(0.4);
  auto x = torch::zeros({n, 3, 20, 20});
  auto lm = torch::zeros({n, 1, 2}, torch::kDouble);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t y = pos(rng), c = pos(rng);
    x[i][0][y][c] = 1.0;
    x[i][1][y + 3][c + 2] = 0.6;
    if (distract(rng)) x[i][1][(y + 11) % 20][(c + 10) % 20] = 1.0;
    x[i][2][any(rng)][any(rng)] = 0.8;
    lm[i][0][0] = static_cast<double>(y), lm[i][0][1] = static_cast<double>(c);
  }
  return {x, lm};
}

}  // namespace

TEST_CASE("explanatory graph: a planted part is mined with its offset and beats the raw filter peak",
          "[attribution][explanatory-graph]") {
  auto model = planted_model();
  auto [train, train_lm] = planted_images(60, 1);
  auto g = mine_explanatory_graph(model, train,
                                  ExplanatoryGraphOptions({"1", "3"}).patterns_per_filter(1).parents(1).batch_size(16));
  REQUIRE(g.layers.size() == 2);
  CHECK(g.fields[1].size[0] == 9);
  // One top pattern (filter 0), one pattern per filter below, each the child of the top one.
  auto top = g.layer_nodes(1), bottom = g.layer_nodes(0);
  REQUIRE(top.size() == 1);
  CHECK(g.nodes[static_cast<size_t>(top[0])].filter == 0);
  CHECK(g.nodes[static_cast<size_t>(top[0])].parents.empty());
  REQUIRE(bottom.size() == 3);
  CHECK(g.num_edges() == 3);
  for (auto id : bottom) {
    const auto& v = g.nodes[static_cast<size_t>(id)];
    REQUIRE(v.parents.size() == 1);
    CHECK(v.parents[0] == top[0]);
    INFO("filter " << v.filter);
    if (v.filter == 0) {
      CHECK(v.offset_y[0] == Approx(0).margin(1e-9));
      CHECK(v.spread[0] == Approx(0).margin(1e-9));
    } else if (v.filter == 1) {
      CHECK(v.offset_y[0] == Approx(3).margin(1e-9));
      CHECK(v.offset_x[0] == Approx(2).margin(1e-9));
      CHECK(v.spread[0] == Approx(0).margin(1e-9));
    } else {
      CHECK(v.spread[0] > 3);  // a part at a random place has no stable offset
    }
  }

  // On new images the child pattern sits at p + (3, 2) on every image; the raw peak of filter 1
  // jumps to the distractor where there is one.
  auto [test, test_lm] = planted_images(50, 2);
  auto inferred = infer_patterns(g, model, test, 7);
  REQUIRE(inferred.position.sizes() == c10::IntArrayRef({50, 4, 2}));
  int64_t child = -1;
  for (auto id : bottom)
    if (g.nodes[static_cast<size_t>(id)].filter == 1) child = id;
  auto expected = test_lm.select(1, 0) + torch::tensor({3.0, 2.0}, torch::kDouble);
  GNNX_REQUIRE_CLOSE(inferred.position.select(1, child), expected, 0, 0);
  CHECK(inferred.found.select(1, child).all().item<bool>());

  auto baseline = filter_peak_positions(model, "1", test);
  const double diagonal = std::sqrt(2.0) * 20;
  auto ours = location_instability(inferred, test_lm, diagonal);
  auto raw = location_instability(baseline, test_lm, diagonal);
  CHECK(ours[child].item<double>() == Approx(0).margin(1e-12));
  CHECK(raw[1].item<double>() > 0.1);
}

TEST_CASE("location instability: closed forms and landmarks from boxes", "[attribution][explanatory-graph]") {
  // One pattern, one landmark, distances 1, 3 (normalised by 2): std of {0.5, 1.5} = 0.5. A
  // second pattern found once: NaN.
  PatternPositions p;
  p.position = torch::tensor({{{1.0, 0.0}, {0.0, 0.0}}, {{0.0, 3.0}, {5.0, 5.0}}}, torch::kDouble);
  p.found = torch::tensor({{true, true}, {true, false}});
  auto lm = torch::zeros({2, 1, 2}, torch::kDouble);
  auto r = location_instability(p, lm, 2.0);
  CHECK(r[0].item<double>() == Approx(0.5));
  CHECK(std::isnan(r[1].item<double>()));
  auto b = box_landmarks(torch::tensor({{2, 4, 6, 10}}));
  GNNX_REQUIRE_CLOSE(b, torch::tensor({{{7.0, 4.0}, {4.0, 2.0}, {10.0, 6.0}}}, torch::kDouble), 0, 0);
  GNNX_REQUIRE_ERROR("diagonal must be positive", location_instability(p, lm, 0));
  GNNX_REQUIRE_ERROR("expected landmarks [2, L, 2]", location_instability(p, torch::zeros({3, 1, 2}), 1));
}

TEST_CASE("explanatory graph: bad input gives clear errors", "[attribution][explanatory-graph]") {
  auto model = planted_model();
  auto [x, lm] = planted_images(6, 3);
  GNNX_REQUIRE_ERROR("at least two layers", mine_explanatory_graph(model, x, ExplanatoryGraphOptions({"1"})));
  GNNX_REQUIRE_ERROR("bottom to top", mine_explanatory_graph(model, x, ExplanatoryGraphOptions({"3", "1"})));
  GNNX_REQUIRE_ERROR("no layer named \"relu9\"",
                     mine_explanatory_graph(model, x, ExplanatoryGraphOptions({"1", "relu9"})));
  GNNX_REQUIRE_ERROR("at least two images",
                     mine_explanatory_graph(model, x.slice(0, 0, 1), ExplanatoryGraphOptions({"1", "3"})));
  GNNX_REQUIRE_ERROR("min_support must lie in (0, 1]",
                     mine_explanatory_graph(model, x, ExplanatoryGraphOptions({"1", "3"}).min_support(0)));
  auto flat = ImageModel::sequential(tnn::Sequential(tnn::Conv2d(tnn::Conv2dOptions(3, 2, 1)), tnn::Flatten()));
  GNNX_REQUIRE_ERROR("expected a feature map", mine_explanatory_graph(flat, x, ExplanatoryGraphOptions({"0", "1"})));
  GNNX_REQUIRE_ERROR("the graph has no patterns", infer_patterns(ExplanatoryGraph{}, model, x));
}
