#include "gnnx/attribution/bilrp.h"

#include <torch/torch.h>

#include "gnnx/nn/models/cnn.h"
#include "support/catch.h"
#include "support/tensor_match.h"

using gnnx::attribution::bilrp;
using gnnx::attribution::BilrpOptions;
using gnnx::attribution::ImageModel;
using gnnx::attribution::LrpComposite;
using gnnx::attribution::LrpRule;

namespace {

// A bias-free ReLU MLP on 1x2x3 images, float64: its embedding is the 3 outputs.
torch::nn::Sequential tiny_mlp() {
  torch::manual_seed(11);
  torch::nn::Sequential s({{"flatten", torch::nn::AnyModule(torch::nn::Flatten())},
                           {"fc1", torch::nn::AnyModule(torch::nn::Linear(torch::nn::LinearOptions(6, 8).bias(false)))},
                           {"relu1", torch::nn::AnyModule(torch::nn::ReLU())},
                           {"fc2", torch::nn::AnyModule(torch::nn::Linear(torch::nn::LinearOptions(8, 3).bias(false)))},
                           {"relu2", torch::nn::AnyModule(torch::nn::ReLU())}});
  s->to(torch::kDouble);
  return s;
}

BilrpOptions lrp0() { return BilrpOptions().composite(LrpComposite::uniform(LrpRule::eps(0))); }

// ∂φ_m/∂x_i [M, D] at x [1, C, H, W] by autograd.
torch::Tensor jacobian(const ImageModel& phi, const torch::Tensor& x) {
  auto v = x.detach().clone().requires_grad_(true);
  auto out = phi.forward(v).reshape({-1});
  std::vector<torch::Tensor> rows;
  for (int64_t m = 0; m < out.numel(); ++m)
    rows.push_back(torch::autograd::grad({out[m]}, {v}, {}, /*retain_graph=*/true)[0].reshape({-1}));
  return torch::stack(rows);
}

torch::Tensor image(std::vector<int64_t> shape, uint64_t seed) {
  auto g = at::make_generator<at::CPUGeneratorImpl>(seed);
  return torch::rand(shape, g, torch::kDouble);
}

}  // namespace

TEST_CASE("BiLRP with LRP-0 on a bias-free ReLU network is the Hessian's bilinear term", "[attribution][bilrp]") {
  auto model = ImageModel::sequential(tiny_mlp());
  auto x = image({1, 2, 3}, 1), x2 = image({1, 2, 3}, 2);
  auto r = bilrp(model, x, x2, lrp0());
  REQUIRE(r.pairs.sizes() == torch::IntArrayRef{6, 6});
  REQUIRE(std::abs(r.similarity) > 1e-3);
  // x_i x'_j Σ_m ∂φ_m/∂x_i ∂φ_m/∂x'_j = x_i x'_j ∂²y/∂x_i∂x'_j.
  auto hess = jacobian(model, x.unsqueeze(0)).t().mm(jacobian(model, x2.unsqueeze(0)));
  auto expected = x.reshape({-1, 1}) * hess * x2.reshape({1, -1});
  GNNX_REQUIRE_CLOSE(r.pairs, expected, 1e-9, 1e-12);
  // Brute force: the mixed central difference of y (exact while the ReLU pattern holds).
  auto y = [&](const torch::Tensor& a, const torch::Tensor& b) {
    torch::NoGradGuard ng;
    return (model.forward(a.unsqueeze(0)) * model.forward(b.unsqueeze(0))).sum().item<double>();
  };
  const double h = 1e-4;
  for (int64_t i = 0; i < 6; ++i) {
    for (int64_t j = 0; j < 6; ++j) {
      auto ei = torch::zeros({6}, torch::kDouble), ej = torch::zeros({6}, torch::kDouble);
      ei[i] = h, ej[j] = h;
      ei = ei.view({1, 2, 3}), ej = ej.view({1, 2, 3});
      const double d2 = (y(x + ei, x2 + ej) - y(x + ei, x2 - ej) - y(x - ei, x2 + ej) + y(x - ei, x2 - ej)) /
                        (4 * h * h);
      CHECK(r.pairs[i][j].item<double>() ==
            Approx(x.reshape({-1})[i].item<double>() * x2.reshape({-1})[j].item<double>() * d2).margin(1e-5));
    }
  }
  // Conservation.
  CHECK(r.pairs.sum().item<double>() == Approx(r.similarity).epsilon(1e-10));
}

TEST_CASE("BiLRP on a CNN layer conserves the similarity and pools patches exactly", "[attribution][bilrp]") {
  torch::manual_seed(3);
  auto seq = gnnx::nn::make_gap_cnn(gnnx::nn::GapCnnOptions(1, 3).width(2).bias(false));
  seq->to(torch::kDouble);
  seq->eval();
  auto model = ImageModel::sequential(seq);
  auto x = image({1, 8, 8}, 3), x2 = image({1, 8, 8}, 4);
  auto r1 = bilrp(model, x, x2, lrp0().layer("relu2").batch_size(7));
  REQUIRE(r1.first.size(0) == 4 * 4 * 4);  // relu2: [4, 4, 4] flattened
  REQUIRE(std::abs(r1.similarity) > 1e-6);
  CHECK(r1.pairs.sum().item<double>() == Approx(r1.similarity).epsilon(1e-9));
  auto phi = model.up_to("relu2");
  auto expected = x.reshape({-1, 1}) * jacobian(phi, x.unsqueeze(0)).t().mm(jacobian(phi, x2.unsqueeze(0))) *
                  x2.reshape({1, -1});
  GNNX_REQUIRE_CLOSE(r1.pairs, expected, 1e-9, 1e-12);
  auto r2 = bilrp(model, x, x2, lrp0().layer("relu2").patch(2));
  REQUIRE(r2.pairs.sizes() == torch::IntArrayRef{16, 16});
  REQUIRE((r2.rows == 4 && r2.cols == 4));
  // Patch (a, b) of x holds pixels (2a + u, 2b + v).
  auto blocks = r1.pairs.reshape({4, 2, 4, 2, 4, 2, 4, 2}).sum({1, 3, 5, 7}).reshape({16, 16});
  GNNX_REQUIRE_CLOSE(r2.pairs, blocks, 1e-9, 1e-12);
  // Swapping the images transposes the pairs.
  GNNX_REQUIRE_CLOSE(bilrp(model, x2, x, lrp0().layer("relu2").patch(2)).pairs, r2.pairs.t(), 1e-9, 1e-12);
  // The strongest pair comes first.
  auto top = r2.top_pairs(3);
  REQUIRE(top.sizes() == torch::IntArrayRef{3, 2});
  CHECK(std::abs(r2.pairs[top[0][0]][top[0][1]].item<double>()) == Approx(r2.pairs.abs().max().item<double>()));
}

TEST_CASE("BiLRP rejects bad input", "[attribution][bilrp]") {
  torch::manual_seed(3);
  auto seq = gnnx::nn::make_gap_cnn(gnnx::nn::GapCnnOptions(1, 3).width(2));
  seq->eval();
  auto model = ImageModel::sequential(seq);
  auto x = torch::rand({1, 8, 8});
  GNNX_REQUIRE_ERROR("no layer named \"conv9\"", bilrp(model, x, x, BilrpOptions().layer("conv9")));
  GNNX_REQUIRE_ERROR("same channels", bilrp(model, x, torch::rand({3, 8, 8})));
  GNNX_REQUIRE_ERROR("must divide", bilrp(model, x, x, BilrpOptions().patch(3)));
  GNNX_REQUIRE_ERROR("same M", bilrp(model, x, torch::rand({1, 4, 4}), BilrpOptions().layer("relu2")));
  GNNX_REQUIRE_ERROR("image [C, H, W]", bilrp(model, torch::rand({8, 8}), x));
  auto opaque = ImageModel::function([seq](const torch::Tensor& t) mutable { return seq->forward(t); });
  GNNX_REQUIRE_ERROR("exposes no layers", bilrp(opaque, x, x));
  // Different sizes are fine when the embedding's width does not depend on them (GAP).
  CHECK(bilrp(model, x, torch::rand({1, 4, 4}), BilrpOptions().layer("gap")).pairs.sizes() ==
        torch::IntArrayRef{64, 16});
}
