// Feature visualisation: receptive fields against the gradient's support, top patches and
// neighbours against brute force, the PCA map against an SVD, neuron backprop against autograd.
#include "gnnx/attribution/feature_vis.h"

#include <torch/script.h>
#include <torch/torch.h>

#include "gnnx/io/tensor_file.h"
#include "gnnx/nn/models/cnn.h"
#include "gnnx/viz/image_grid.h"
#include "support/catch.h"
#include "support/tensor_match.h"

using namespace gnnx;
using namespace gnnx::attribution;
namespace tnn = torch::nn;

namespace {

std::string tiny_cnn_path(const std::string& name) { return std::string(GNNX_SOURCE_DIR) + "/tests/data/" + name; }

// The rows and columns where t [C, H, W] is non-zero, as a box [y0, x0, y1, x1).
std::vector<int64_t> support_box(const at::Tensor& t) {
  auto nz = t.abs().sum(0).nonzero();
  if (nz.size(0) == 0) return {0, 0, 0, 0};
  return {nz.select(1, 0).min().item<int64_t>(), nz.select(1, 1).min().item<int64_t>(),
          nz.select(1, 0).max().item<int64_t>() + 1, nz.select(1, 1).max().item<int64_t>() + 1};
}

// The receptive-field box of unit (row, col), clipped to H x W.
std::vector<int64_t> field_box(const ReceptiveField& f, int64_t row, int64_t col, int64_t h, int64_t w) {
  const int64_t y0 = f.offset[0] + row * f.jump[0], x0 = f.offset[1] + col * f.jump[1];
  return {std::max<int64_t>(y0, 0), std::max<int64_t>(x0, 0), std::min(y0 + f.size[0], h), std::min(x0 + f.size[1], w)};
}

}  // namespace

TEST_CASE("receptive fields: the GAP CNN's by hand, and a linear network's equal its gradient's support",
          "[attribution][feature-vis]") {
  torch::manual_seed(0);
  auto cnn = ImageModel::sequential(nn::make_gap_cnn(nn::GapCnnOptions(3, 4).width(4)));
  // conv 3x3 p1 -> size 3, offset -1; pool 2 -> size 4, jump 2; conv -> 8, offset -3; pool -> 10,
  // jump 4; conv -> 18, offset -7.
  auto f = receptive_field(cnn, "relu3");
  CHECK(f.size[0] == 18);
  CHECK(f.size[1] == 18);
  CHECK(f.jump[0] == 4);
  CHECK(f.offset[0] == -7);
  CHECK_FALSE(f.global);
  CHECK(receptive_field(cnn, "conv1").size[0] == 3);
  CHECK(receptive_field(cnn, "gap").global);
  CHECK(receptive_field(cnn, "fc").global);

  // Without ReLUs and with average pooling every weight path is live, so a unit's gradient is
  // non-zero exactly on its receptive field. Strides, dilation and asymmetric kernels included.
  tnn::Sequential lin(tnn::Conv2d(tnn::Conv2dOptions(2, 3, {3, 5}).padding({1, 2})),
                      tnn::AvgPool2d(tnn::AvgPool2dOptions(3).stride(2).padding(1)),
                      tnn::Conv2d(tnn::Conv2dOptions(3, 2, 3).stride(2).dilation(2).padding(2)));
  auto model = ImageModel::sequential(lin);
  auto rf = receptive_field(model, "2");
  const int64_t H = 29, W = 31;
  auto x = torch::randn({1, 2, H, W}, torch::requires_grad());
  auto out = lin->forward(x);
  for (auto [row, col] : std::vector<std::pair<int64_t, int64_t>>{{0, 0}, {1, 2}, {3, 3}, {out.size(2) - 1, 1}}) {
    auto g = torch::autograd::grad({out[0][1][row][col]}, {x}, {}, /*retain_graph=*/true)[0][0];
    INFO("unit (" << row << ", " << col << ")");
    CHECK(support_box(g) == field_box(rf, row, col, H, W));
  }
}

TEST_CASE("receptive fields and filters of a TorchScript model equal those of the same C++ model",
          "[attribution][feature-vis]") {
  auto script = torch::jit::load(tiny_cnn_path("tiny_cnn.pt"));
  script.eval();
  auto a = ImageModel::script(script);
  tnn::Sequential seq(tnn::Conv2d(tnn::Conv2dOptions(3, 4, 3).padding(1)), tnn::ReLU(), tnn::MaxPool2d(2),
                      tnn::Conv2d(tnn::Conv2dOptions(4, 6, 3).padding(1)), tnn::ReLU(), tnn::AdaptiveAvgPool2d(1),
                      tnn::Flatten(), tnn::Linear(6, 3));
  auto b = ImageModel::sequential(seq);
  for (const char* layer : {"0", "2", "3", "4"}) {
    auto fa = receptive_field(a, layer), fb = receptive_field(b, layer);
    INFO(layer);
    CHECK(fa.size[0] == fb.size[0]);
    CHECK(fa.size[1] == fb.size[1]);
    CHECK(fa.jump[1] == fb.jump[1]);
    CHECK(fa.offset[1] == fb.offset[1]);
  }
  CHECK(receptive_field(a, "4").size[0] == 8);
  CHECK(receptive_field(a, "5").global);
  auto w = conv_filters(a);
  CHECK(w.sizes() == c10::IntArrayRef({4, 3, 3, 3}));
  GNNX_REQUIRE_CLOSE(w, script.attr("0").toModule().attr("weight").toTensor(), 0, 0);
  CHECK(conv_filters(a, "3").size(0) == 6);
}

TEST_CASE("top activating patches equal a brute-force ranking, cropped to the receptive field",
          "[attribution][feature-vis]") {
  torch::manual_seed(1);
  auto seq = nn::make_gap_cnn(nn::GapCnnOptions(3, 4).width(4));
  seq->eval();
  auto model = ImageModel::sequential(seq);
  auto images = torch::randn({23, 3, 16, 16});
  const int64_t channel = 2;
  torch::NoGradGuard no_grad;
  at::Tensor acts;  // relu2's output, by running the layers by hand
  {
    at::Tensor h = images;
    for (const auto& l : model.layers()) {
      h = l.forward(h);
      if (l.name == "relu2") {
        acts = h;
        break;
      }
    }
  }
  auto c = acts.select(1, channel);  // [23, 8, 8]
  const auto field = receptive_field(model, "relu2");

  SECTION("one per image, in batches smaller than the set") {
    auto r = top_activating_patches(model, images, TopPatchesOptions("relu2").channel(channel).top_k(5).batch_size(4));
    auto per_image = std::get<0>(c.reshape({23, -1}).max(1));
    auto expected = std::get<0>(per_image.sort(true, 0, true)).slice(0, 0, 5);
    GNNX_REQUIRE_CLOSE(r.activation, expected, 1e-6, 1e-6);
    REQUIRE(r.patches.sizes() == c10::IntArrayRef({5, 3, field.size[0], field.size[1]}));
    for (int64_t j = 0; j < 5; ++j) {
      const int64_t img = r.image[j].item<int64_t>(), row = r.position[j][0].item<int64_t>(),
                    col = r.position[j][1].item<int64_t>();
      CHECK(c[img][row][col].item<double>() == Approx(r.activation[j].item<double>()));
      auto box = field_box(field, row, col, 16, 16);
      for (int k = 0; k < 4; ++k) CHECK(r.box[j][k].item<int64_t>() == box[static_cast<size_t>(k)]);
      // The patch holds the image's pixels at their place in the field, zero elsewhere.
      const int64_t y0 = field.offset[0] + row * field.jump[0], x0 = field.offset[1] + col * field.jump[1];
      auto inside = r.patches[j].slice(1, box[0] - y0, box[2] - y0).slice(2, box[1] - x0, box[3] - x0);
      GNNX_REQUIRE_CLOSE(inside, images[img].slice(1, box[0], box[2]).slice(2, box[1], box[3]), 0, 0);
      CHECK(r.patches[j].abs().sum().item<double>() == Approx(inside.abs().sum().item<double>()));
    }
  }
  SECTION("every position") {
    auto r = top_activating_patches(model, images,
                                    TopPatchesOptions("relu2").channel(channel).top_k(40).one_per_image(false));
    auto expected = std::get<0>(c.reshape({-1}).sort(true, 0, true)).slice(0, 0, 40);
    GNNX_REQUIRE_CLOSE(r.activation, expected, 1e-6, 1e-6);
  }
  SECTION("more patches asked than candidates, and a [B, K] layer sees the whole image") {
    auto r = top_activating_patches(model, images.slice(0, 0, 3), TopPatchesOptions("fc").channel(1).top_k(10));
    CHECK(r.image.size(0) == 3);
    CHECK(r.field.global);
    CHECK(r.patches.sizes() == c10::IntArrayRef({3, 3, 16, 16}));
  }
}

TEST_CASE("nearest neighbours in a layer's feature space equal a brute-force search", "[attribution][feature-vis]") {
  torch::manual_seed(2);
  auto seq = nn::make_gap_cnn(nn::GapCnnOptions(3, 4).width(4));
  seq->eval();
  auto model = ImageModel::sequential(seq);
  auto images = torch::randn({30, 3, 12, 12});
  auto queries = torch::cat({images.slice(0, 4, 5), torch::randn({2, 3, 12, 12})});
  auto feats = layer_features(model, "gap", images, 7);
  auto qf = layer_features(model, "gap", queries);
  REQUIRE(feats.sizes() == c10::IntArrayRef({30, 8}));
  for (auto distance : {FeatureDistance::kEuclidean, FeatureDistance::kCosine}) {
    auto r = nearest_neighbours(model, queries, images, NeighboursOptions("gap").k(4).distance(distance).batch_size(8));
    REQUIRE(r.index.sizes() == c10::IntArrayRef({3, 4}));
    CHECK(r.index[0][0].item<int64_t>() == 4);
    CHECK(r.distance[0][0].item<double>() == Approx(0).margin(1e-9));
    for (int64_t q = 0; q < 3; ++q) {
      std::vector<std::pair<double, int64_t>> all;
      for (int64_t i = 0; i < 30; ++i) {
        double d = distance == FeatureDistance::kEuclidean
                       ? (qf[q] - feats[i]).norm().item<double>()
                       : 1 - torch::cosine_similarity(qf[q], feats[i], 0).item<double>();
        all.emplace_back(d, i);
      }
      std::sort(all.begin(), all.end());
      for (int64_t j = 0; j < 4; ++j) {
        CHECK(r.index[q][j].item<int64_t>() == all[static_cast<size_t>(j)].second);
        CHECK(r.distance[q][j].item<double>() == Approx(all[static_cast<size_t>(j)].first).margin(1e-6));
      }
    }
  }
  CHECK(nearest_neighbours(model, queries, images.slice(0, 0, 2), NeighboursOptions("gap").k(5)).index.size(1) == 2);
}

TEST_CASE("the PCA map equals the SVD's leading coordinates, in both branches", "[attribution][feature-vis]") {
  torch::manual_seed(3);
  for (auto shape : std::vector<std::pair<int64_t, int64_t>>{{40, 6}, {5, 30}}) {
    // Distinct singular values: a scaled random matrix.
    auto f = torch::randn({shape.first, shape.second}, torch::kDouble) *
             torch::linspace(3.0, 0.5, shape.second, torch::kDouble);
    auto r = pca_map(f + 7.0);  // a shift changes nothing
    auto centred = f - f.mean(0, true);
    auto svd = torch::linalg_svd(centred, /*full_matrices=*/false);
    auto u = std::get<0>(svd), s = std::get<1>(svd);
    auto expected = u.slice(1, 0, 2) * s.slice(0, 0, 2);
    for (int64_t c = 0; c < 2; ++c) {
      auto col = expected.select(1, c);
      const auto at = col.abs().argmax().item<int64_t>();
      if (col[at].item<double>() < 0) col = -col;
      GNNX_REQUIRE_CLOSE(r.coords.select(1, c), col, 1e-9, 1e-9);
      CHECK(r.explained_variance[c].item<double>() ==
            Approx((s[c] * s[c] / (s * s).sum()).item<double>()).epsilon(1e-9));
    }
  }
  // Points on a line: one component, the second axis is zero.
  auto line = torch::arange(6, torch::kDouble).unsqueeze(1) * torch::tensor({1.0, 2.0, -1.0}, torch::kDouble);
  auto r = pca_map(line);
  CHECK(r.explained_variance[0].item<double>() == Approx(1.0));
  CHECK(r.coords.select(1, 1).abs().max().item<double>() == 0);
  GNNX_REQUIRE_ERROR("N >= 2", pca_map(torch::ones({1, 3})));
  GNNX_REQUIRE_ERROR("NaN", pca_map(torch::full({3, 2}, NAN)));
}

TEST_CASE("neuron backprop: the gradient rule is autograd's, deconvnet and guided change only ReLUs",
          "[attribution][feature-vis]") {
  torch::manual_seed(4);
  auto seq = nn::make_gap_cnn(nn::GapCnnOptions(3, 4).width(4));
  seq->eval();
  auto model = ImageModel::sequential(seq);
  auto images = torch::randn({3, 3, 16, 16});
  auto g = neuron_backprop(model, images, NeuronBackpropOptions("conv2").channel(5).rule(NeuronRule::kGradient));
  // The strongest position of channel 5, and the plain gradient of that unit.
  for (int64_t b = 0; b < 3; ++b) {
    auto x = images.slice(0, b, b + 1).clone().requires_grad_(true);
    at::Tensor h = x;
    for (const auto& l : model.layers()) {
      h = l.forward(h);
      if (l.name == "conv2") break;
    }
    auto c = h[0][5];
    const auto flat = c.reshape({-1}).argmax().item<int64_t>();
    CHECK(g.position[b][0].item<int64_t>() == flat / c.size(1));
    CHECK(g.position[b][1].item<int64_t>() == flat % c.size(1));
    CHECK(g.activation[b].item<double>() == Approx(c.reshape({-1})[flat].item<double>()));
    auto expected = torch::autograd::grad({c.reshape({-1})[flat]}, {x})[0];
    GNNX_REQUIRE_CLOSE(g.values.slice(0, b, b + 1), expected, 1e-6, 1e-6);
  }
  // A unit of the first convolution has no ReLU below it: every rule is its gradient, the filter
  // itself placed at the unit's window.
  auto first = NeuronBackpropOptions("conv1").channel(1).row(5).column(6);
  auto d = neuron_backprop(model, images, first);
  GNNX_REQUIRE_CLOSE(d.values, neuron_backprop(model, images, first.rule(NeuronRule::kGradient)).values, 0, 0);
  auto filter = conv_filters(model)[1];
  GNNX_REQUIRE_CLOSE(d.values[0].slice(1, 4, 7).slice(2, 5, 8), filter, 1e-6, 1e-6);
  CHECK(d.values[0].abs().sum().item<double>() == Approx(filter.abs().sum().item<double>()));
  // Above a ReLU the rules differ, and deconvnet's signal never depends on the sign of the input.
  auto deep = NeuronBackpropOptions("conv3").channel(0).row(1).column(1);
  auto dc = neuron_backprop(model, images, deep);
  auto gd = neuron_backprop(model, images, deep.rule(NeuronRule::kGuided));
  CHECK((dc.values - gd.values).abs().max().item<double>() > 0);
}

TEST_CASE("feature visualisation: bad input gives clear errors", "[attribution][feature-vis]") {
  torch::manual_seed(5);
  auto seq = nn::make_gap_cnn(nn::GapCnnOptions(3, 4).width(4));
  auto model = ImageModel::sequential(seq);
  auto images = torch::randn({2, 3, 8, 8});
  GNNX_REQUIRE_ERROR("no layer named \"conv9\"", top_activating_patches(model, images, TopPatchesOptions("conv9")));
  GNNX_REQUIRE_ERROR("channel 99 does not exist",
                     top_activating_patches(model, images, TopPatchesOptions("conv2").channel(99)));
  GNNX_REQUIRE_ERROR("N > 0", top_activating_patches(model, torch::zeros({0, 3, 8, 8}), TopPatchesOptions("conv2")));
  GNNX_REQUIRE_ERROR("top_k must be positive",
                     top_activating_patches(model, images, TopPatchesOptions("conv2").top_k(0)));
  GNNX_REQUIRE_ERROR("[N, C, H, W]", top_activating_patches(model, torch::zeros({2, 64}), TopPatchesOptions("fc")));
  GNNX_REQUIRE_ERROR("outside layer", neuron_backprop(model, images, NeuronBackpropOptions("conv1").row(8).column(0)));
  GNNX_REQUIRE_ERROR("differ in shape",
                     nearest_neighbours(model, images, torch::zeros({2, 3, 9, 9}), NeighboursOptions("gap")));
  GNNX_REQUIRE_ERROR("is not a convolution", conv_filters(model, "relu1"));
  auto mlp = ImageModel::sequential(tnn::Sequential(tnn::Flatten(), tnn::Linear(12, 2)));
  GNNX_REQUIRE_ERROR("has no convolution layer", conv_filters(mlp));
  auto opaque = ImageModel::function([](const at::Tensor& x) { return x.flatten(1); });
  GNNX_REQUIRE_ERROR("needs a model with layers", receptive_field(opaque, "0"));
  auto odd = ImageModel::sequential(tnn::Sequential(tnn::Conv2d(tnn::Conv2dOptions(3, 2, 3)), tnn::Tanh()));
  GNNX_REQUIRE_ERROR("has no known geometry", receptive_field(odd, "1"));
}

TEST_CASE("image grid and point map: sizes, placement, scaling, errors", "[viz][feature-vis]") {
  auto tiles = torch::rand({5, 3, 4, 6});
  auto grid = viz::image_grid(tiles, viz::ImageGridOptions().columns(2).scale(3).pad(1));
  // 3 rows x 2 columns of 12 x 18 tiles with 1-pixel gaps.
  CHECK(grid.sizes() == c10::IntArrayRef({3, 3 * 13 + 1, 2 * 19 + 1}));
  CHECK(grid.min().item<double>() >= 0);
  CHECK(grid.max().item<double>() <= 1);
  // Tile 3 (row 1, column 1), upscaled 3x, min-max scaled.
  auto t3 = tiles[3];
  auto expect = ((t3 - t3.min()) / (t3.max() - t3.min())).repeat_interleave(3, 1).repeat_interleave(3, 2);
  GNNX_REQUIRE_CLOSE(grid.slice(1, 14, 26).slice(2, 20, 38), expect, 1e-6, 1e-6);
  // The unused sixth cell stays white.
  CHECK(grid.slice(1, 27, 39).slice(2, 20, 38).min().item<double>() == 1);
  auto grey = viz::image_grid(torch::rand({4, 1, 2, 2}), viz::ImageGridOptions().tile_scale(viz::TileScale::kNone));
  CHECK(grey.size(0) == 3);
  GNNX_REQUIRE_ERROR("C = 1 or 3", viz::image_grid(torch::rand({2, 4, 3, 3})));
  GNNX_REQUIRE_ERROR("N > 0", viz::image_grid(torch::rand({0, 3, 3, 3})));

  auto images = torch::rand({3, 3, 8, 8});
  auto points = torch::tensor({{0.0, 0.0}, {1.0, 1.0}, {1.0, 0.0}}, torch::kDouble);
  auto map = viz::point_map(images, points, torch::tensor({0, 1, 2}), viz::PointMapOptions().size(100).frame(1));
  CHECK(map.sizes() == c10::IntArrayRef({3, 100, 100}));
  // Point 0 at the bottom left, framed in label 0's colour; point 1 at the top right.
  CHECK(map[0][99][0].item<float>() == Approx(0.12f));
  CHECK(map[0][0][99].item<float>() == Approx(1.00f));
  CHECK(map[0][50][50].item<float>() == 1);
  GNNX_REQUIRE_ERROR("expected points [3, 2]", viz::point_map(images, torch::zeros({2, 2}), {}));
  GNNX_REQUIRE_ERROR("size must be in", viz::point_map(images, points, {}, viz::PointMapOptions().size(10)));
}
