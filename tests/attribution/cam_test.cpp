// CAM, Grad-CAM (+ counterfactual), Grad-CAM++ and Guided Grad-CAM.
#include "gnnx/attribution/cam.h"

#include <memory>

#include <torch/torch.h>

#include "gnnx/attribution/noise_tunnel.h"

#include "gnnx/core/random.h"
#include "support/catch.h"
#include "support/tensor_match.h"

using namespace gnnx::attribution;
namespace tnn = torch::nn;

namespace {

// conv 1x1 (2 -> 3 channels, no bias) -> ReLU -> GAP -> flatten -> linear (3 -> 2): CAM-compatible,
// with weights chosen by hand.
tnn::Sequential gap_net() {
  tnn::Conv2d conv(tnn::Conv2dOptions(2, 3, 1).bias(false));
  tnn::Linear fc(tnn::LinearOptions(3, 2).bias(true));
  torch::NoGradGuard ng;
  conv->weight.copy_(torch::tensor({1.0f, -1.0f, 0.5f, 2.0f, -1.0f, 1.0f}).view({3, 2, 1, 1}));
  fc->weight.copy_(torch::tensor({{2.0f, -1.0f, 0.5f}, {-1.0f, 1.0f, 3.0f}}));
  fc->bias.copy_(torch::tensor({0.1f, -0.2f}));
  return tnn::Sequential({{"conv", conv},
                          {"relu", tnn::ReLU()},
                          {"gap", tnn::AdaptiveAvgPool2d(tnn::AdaptiveAvgPool2dOptions(1))},
                          {"flatten", tnn::Flatten()},
                          {"fc", fc}});
}

// gap_net with a 2x2 max pooling after the ReLU: the "pool" layer's 2x2 grid is coarser than the
// 4x4 input, so the upsampling is not the identity.
tnn::Sequential pooled_cam_net() {
  auto seq = gap_net();
  return tnn::Sequential({{"conv", seq->ptr<tnn::Conv2dImpl>(0)},
                          {"relu", tnn::ReLU()},
                          {"pool", tnn::MaxPool2d(tnn::MaxPool2dOptions(2))},
                          {"gap", tnn::AdaptiveAvgPool2d(tnn::AdaptiveAvgPool2dOptions(1))},
                          {"flatten", tnn::Flatten()},
                          {"fc", seq->ptr<tnn::LinearImpl>(4)}});
}

at::Tensor input_4x4() { return torch::randn({2, 2, 4, 4}, gnnx::torch_generator(11)); }

// The feature maps A = relu(conv(x)) [B, 3, 4, 4] of gap_net, by hand.
at::Tensor features(const at::Tensor& x) {
  auto w = torch::tensor({1.0f, -1.0f, 0.5f, 2.0f, -1.0f, 1.0f}).view({3, 2});
  return torch::relu(torch::einsum("kc,bchw->bkhw", {w, x}));
}

}  // namespace

TEST_CASE("CAM equals sum_k w_k^c f_k on a hand-built GAP network", "[cam]") {
  auto model = ImageModel::sequential(gap_net());
  auto x = input_4x4();
  auto a = CamAttributor(CamOptions().kind(CamKind::kCam).relu(false)).attribute(model, x, {0, 1});
  auto A = features(x);
  auto w = torch::tensor({{2.0f, -1.0f, 0.5f}, {-1.0f, 1.0f, 3.0f}});
  auto expected0 = (A[0] * w[0].view({3, 1, 1})).sum(0);
  auto expected1 = (A[1] * w[1].view({3, 1, 1})).sum(0);
  REQUIRE(a.values.sizes() == x.sizes());
  GNNX_REQUIRE_CLOSE(a.diagnostics.at("map")[0], expected0);
  GNNX_REQUIRE_CLOSE(a.diagnostics.at("map")[1], expected1);
  // Same grid size: the bilinear upsampling is the identity; every channel carries the map.
  GNNX_REQUIRE_CLOSE(a.values[0][0], expected0);
  GNNX_REQUIRE_CLOSE(a.values[0][1], expected0);
  REQUIRE(a.method == "cam");
  // The CAM map averages to the logit minus the bias (the GAP identity).
  auto logits = gap_net()->forward(x);
  REQUIRE(expected0.mean().item<double>() + 0.1 == Approx(logits[0][0].item<double>()).margin(1e-5));
}

TEST_CASE("Grad-CAM on a CAM-compatible network is CAM up to a positive scale", "[cam]") {
  auto model = ImageModel::sequential(gap_net());
  auto x = input_4x4();
  for (int64_t c : {0, 1}) {
    auto cam = CamAttributor(CamOptions().kind(CamKind::kCam).layer("relu")).attribute(model, x, {c});
    auto grad = CamAttributor(CamOptions().kind(CamKind::kGradCam).layer("relu")).attribute(model, x, {c});
    // dy_c/dA_k,ij = w_ck / (h w), so alpha_k = w_ck / 16 and the map is ReLU(CAM) / 16.
    GNNX_REQUIRE_CLOSE(grad.values * 16, cam.values, 1e-5, 1e-6);
    GNNX_REQUIRE_CLOSE(grad.diagnostics.at("weights") * 16, cam.diagnostics.at("weights"), 1e-5, 1e-6);
    // The counterfactual map is ReLU(-sum_k w_k A_k) / 16.
    auto cf = CamAttributor(CamOptions().kind(CamKind::kCounterfactual)).attribute(model, x, {c});
    auto raw = CamAttributor(CamOptions().kind(CamKind::kCam).relu(false)).attribute(model, x, {c});
    GNNX_REQUIRE_CLOSE(cf.values * 16, torch::relu(-raw.values), 1e-5, 1e-6);
  }
  // The default layer is the last one with spatial feature maps.
  auto obj = image_objective(model, x, std::vector<int64_t>{0});
  REQUIRE(default_cam_layer(*obj) == "relu");
}

TEST_CASE("Grad-CAM++ weights against a hand computation", "[cam]") {
  // One item, two channels of 2x2.
  auto A = torch::tensor({1.0, 2.0, 0.0, 3.0, 0.5, 0.5, 1.0, 2.0}, torch::kDouble).view({1, 2, 2, 2});
  auto G = torch::tensor({0.5, -1.0, 0.0, 2.0, 1.0, 1.0, -0.5, 0.25}, torch::kDouble).view({1, 2, 2, 2});
  const double eps = 1e-6;
  auto alpha = [&](double g, double sum_a) { return g == 0 ? 0.0 : g * g / (2 * g * g + sum_a * g * g * g + eps); };
  // Channel 0: sum A = 6; relu(g) keeps 0.5 and 2.0.
  const double w0 = 0.5 * alpha(0.5, 6) + 2.0 * alpha(2.0, 6);
  // Channel 1: sum A = 4; relu(g) keeps 1.0, 1.0, 0.25.
  const double w1 = 2 * 1.0 * alpha(1.0, 4) + 0.25 * alpha(0.25, 4);
  GNNX_REQUIRE_CLOSE(gradcampp_weights(A, G), torch::tensor({{w0, w1}}, torch::kDouble), 1e-12, 1e-12);
  REQUIRE(w0 == Approx(0.5 * 0.25 / (0.5 + 6 * 0.125 + eps) + 2.0 * 4 / (8 + 6 * 8 + eps)));
  // Grad-CAM's weights are plain means.
  GNNX_REQUIRE_CLOSE(gradcam_weights(G), torch::tensor({{0.375, 0.4375}}, torch::kDouble));

  // Through the attributor on the GAP net: g = w_c / 16 everywhere on a channel.
  auto model = ImageModel::sequential(gap_net());
  auto x = input_4x4().slice(0, 0, 1);
  auto a = CamAttributor(CamOptions().kind(CamKind::kGradCamPlusPlus)).attribute(model, x, {1});
  auto S = features(x)[0].sum({1, 2});
  auto wc = torch::tensor({-1.0f, 1.0f, 3.0f}) / 16;
  auto expected = 16 * torch::relu(wc) * (wc * wc / (2 * wc * wc + S * wc * wc * wc + 1e-6));
  GNNX_REQUIRE_CLOSE(a.diagnostics.at("weights")[0], expected, 1e-5, 1e-7);
}

TEST_CASE("CAM upsampling: bilinear with align_corners = false, nearest, min-max normalisation", "[cam]") {
  auto m = torch::tensor({0.0f, 1.0f, 2.0f, 3.0f}).view({1, 2, 2});
  // Source coordinate (dst + 0.5) / 2 - 0.5, clamped: weights 0, 0.25, 0.75, 1 along each axis.
  auto r = torch::tensor({0.0f, 0.25f, 0.75f, 1.0f});
  auto expected = (2 * r.view({4, 1}) + r.view({1, 4})).unsqueeze(0);
  GNNX_REQUIRE_CLOSE(upsample_map(m, 4, 4, Upsample::kBilinear), expected);
  auto nearest = torch::tensor({0.0f, 0.0f, 1.0f, 1.0f});
  GNNX_REQUIRE_CLOSE(upsample_map(m, 4, 4, Upsample::kNearest),
                     (2 * nearest.view({4, 1}) + nearest.view({1, 4})).unsqueeze(0));
  GNNX_REQUIRE_CLOSE(minmax_normalize(m + 5), m / (3 + 1e-7));
  REQUIRE(gnnx::from_name<gnnx::attribution::Upsample>("nearest") == Upsample::kNearest);
}

TEST_CASE("Guided Grad-CAM is guided backprop times the upsampled Grad-CAM map", "[cam]") {
  auto model = ImageModel::sequential(gap_net());
  auto x = input_4x4();
  auto gg = GuidedGradCamAttributor().attribute(model, x, {0, 1});
  auto gb = make_attributor("guided-backprop")->attribute(model, x, {0, 1}).values;
  auto map = CamAttributor().attribute(model, x, {0, 1}).values;
  GNNX_REQUIRE_CLOSE(gg.values, gb * map);
  REQUIRE(gg.method == "guided-gradcam");
}

TEST_CASE("CAM option errors", "[cam]") {
  auto model = ImageModel::sequential(gap_net());
  auto x = input_4x4();
  GNNX_REQUIRE_ERROR("no layer named", CamAttributor(CamOptions().layer("nope")).attribute(model, x, {0}));
  GNNX_REQUIRE_ERROR("global average pooling",
                     CamAttributor(CamOptions().kind(CamKind::kCam).layer("conv")).attribute(model, x, {0}));
  GNNX_REQUIRE_ERROR("upsample", gnnx::from_name<gnnx::attribution::Upsample>("bicubic"));
  GNNX_REQUIRE_ERROR("kind", gnnx::from_name<gnnx::attribution::CamKind>("scorecam"));
  auto opaque = ImageModel::function([](const at::Tensor& t) { return t.flatten(1).sum(1, true).repeat({1, 2}); });
  GNNX_REQUIRE_ERROR("no layers", CamAttributor().attribute(opaque, x, {0}));
  GNNX_REQUIRE_ERROR("[B, K, h, w]", gradcam_weights(torch::zeros({2, 3})));
  GNNX_REQUIRE_ERROR("same shape", gradcampp_weights(torch::zeros({1, 2, 2, 2}), torch::zeros({1, 2, 3, 2})));
}

TEST_CASE("CAM output layouts: input-channels, input (pytorch-grad-cam) and layer (Captum)", "[cam]") {
  auto model = ImageModel::sequential(pooled_cam_net());
  auto x = input_4x4();
  for (auto kind : {CamKind::kCam, CamKind::kGradCam, CamKind::kGradCamPlusPlus}) {
    auto o = CamOptions().kind(kind).layer("pool");
    auto channels = CamAttributor(o).attribute(model, x, {0, 1});
    auto input = CamAttributor(CamOptions(o).output(CamOutput::kInput)).attribute(model, x, {0, 1});
    auto layer = CamAttributor(CamOptions(o).output(CamOutput::kLayer)).attribute(model, x, {0, 1});
    REQUIRE(channels.values.sizes() == x.sizes());
    REQUIRE(input.values.sizes() == c10::IntArrayRef({2, 4, 4}));
    REQUIRE(layer.values.sizes() == c10::IntArrayRef({2, 1, 2, 2}));
    // One map in three shapes: on the layer's grid, upsampled, repeated over the channels.
    const auto& map = channels.diagnostics.at("map");
    GNNX_REQUIRE_CLOSE(layer.values.squeeze(1), map);
    GNNX_REQUIRE_CLOSE(input.values, upsample_map(map, 4, 4));
    GNNX_REQUIRE_CLOSE(channels.values, input.values.unsqueeze(1).expand_as(x));
    REQUIRE(layer.options.at("output") == "layer");
    REQUIRE(channels.options.at("output") == "input-channels");
  }
  // Through the registry, and without the ReLU (Captum's LayerGradCam default).
  auto raw = make_attributor("gradcam", {{"layer", "pool"}, {"output", "layer"}, {"relu", "false"}})
                 ->attribute(model, x, {0, 1});
  auto w = raw.diagnostics.at("weights");
  auto A = torch::max_pool2d(features(x), 2);
  GNNX_REQUIRE_CLOSE(raw.values, (A * w.unsqueeze(-1).unsqueeze(-1)).sum(1, true), 1e-5, 1e-6);
  REQUIRE(gnnx::from_name<CamOutput>("input-channels") == CamOutput::kInputChannels);
  GNNX_REQUIRE_ERROR("CAM output", gnnx::from_name<CamOutput>("channels"));
}

TEST_CASE("CAM normalisation is pytorch-grad-cam's: min-max on the grid, upsample, min-max again", "[cam]") {
  auto model = ImageModel::sequential(pooled_cam_net());
  auto x = input_4x4();
  auto o = CamOptions().layer("pool").normalize(true);
  auto input = CamAttributor(CamOptions(o).output(CamOutput::kInput)).attribute(model, x, {1, 0});
  const auto& map = input.diagnostics.at("map");
  GNNX_REQUIRE_CLOSE(input.values, minmax_normalize(upsample_map(minmax_normalize(map), 4, 4)));
  // Each upsampled map spans [0, 1) again (its maximum is 1 / (1 + 1e-7)).
  REQUIRE(std::get<0>(input.values.flatten(1).max(1)).min().item<double>() == Approx(1.0).margin(1e-6));
  // On the layer's grid there is one normalisation.
  auto layer = CamAttributor(CamOptions(o).output(CamOutput::kLayer)).attribute(model, x, {1, 0});
  GNNX_REQUIRE_CLOSE(layer.values.squeeze(1), minmax_normalize(map));
  // Guided Grad-CAM uses the same upsampled map.
  auto gg = GuidedGradCamAttributor(o).attribute(model, x, {1, 0});
  auto gb = make_attributor("guided-backprop")->attribute(model, x, {1, 0}).values;
  GNNX_REQUIRE_CLOSE(gg.values, gb * input.values.unsqueeze(1));
}

TEST_CASE("Layouts other than the input's: the noise tunnel follows, Guided Grad-CAM refuses", "[cam]") {
  auto model = ImageModel::sequential(pooled_cam_net());
  auto x = input_4x4();
  auto layer = std::make_shared<CamAttributor>(CamOptions().layer("pool").output(CamOutput::kLayer));
  REQUIRE_FALSE(layer->values_match_input());
  auto noise = 0.1 * torch::randn({2, 3, 2, 4, 4}, gnnx::torch_generator(3));
  NoiseTunnel nt(layer, NoiseTunnelOptions().noise(noise));
  REQUIRE_FALSE(nt.values_match_input());
  auto sg = nt.attribute(model, x, {0, 1});
  REQUIRE(sg.values.sizes() == c10::IntArrayRef({2, 1, 2, 2}));
  // Item 0's mean over its three noisy copies.
  auto copies = layer->attribute(model, x[0].unsqueeze(0) + noise[0], {0, 0, 0}).values;
  GNNX_REQUIRE_CLOSE(sg.values[0], copies.mean(0), 1e-5, 1e-6);
  GNNX_REQUIRE_ERROR("input-channels",
                     GuidedGradCamAttributor(CamOptions().output(CamOutput::kInput)).attribute(model, x, {0}));
  GNNX_REQUIRE_ERROR("output", make_attributor("guided-gradcam", {{"output", "layer"}}));
}
