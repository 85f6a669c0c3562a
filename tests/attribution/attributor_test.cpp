// The attribution interface: the sequential adapter, TorchScript models, objectives, batches,
// option errors, and the tensor / PNG files the CLI uses.
#include "gnnx/attribution/attributor.h"

#include <filesystem>
#include <fstream>

#include <torch/script.h>
#include <torch/torch.h>

#include "gnnx/attribution/gradient.h"
#include "gnnx/attribution/integrated_gradients.h"
#include "gnnx/attribution/noise_tunnel.h"
#include "gnnx/attribution/occlusion.h"
#include "gnnx/io/png.h"
#include "gnnx/io/tensor_file.h"
#include "support/catch.h"
#include "support/tensor_match.h"

using namespace gnnx;
using namespace gnnx::attribution;

namespace {

std::string data_path(const std::string& name) { return std::string(GNNX_SOURCE_DIR) + "/tests/data/" + name; }

// The architecture of scripts/make_tiny_cnn.py, in C++.
torch::nn::Sequential tiny_cnn_cpp() {
  namespace tnn = torch::nn;
  return tnn::Sequential(tnn::Conv2d(tnn::Conv2dOptions(3, 4, 3).padding(1)), tnn::ReLU(), tnn::MaxPool2d(2),
                         tnn::Conv2d(tnn::Conv2dOptions(4, 6, 3).padding(1)), tnn::ReLU(), tnn::AdaptiveAvgPool2d(1),
                         tnn::Flatten(), tnn::Linear(6, 3));
}

// Copies the scripted model's parameters ("0.weight", ...) into the C++ Sequential.
void copy_parameters(const torch::jit::Module& from, torch::nn::Sequential& to) {
  torch::NoGradGuard no_grad;
  auto params = to->named_parameters();
  int64_t copied = 0;
  for (const auto& p : from.named_parameters(/*recurse=*/true)) {
    REQUIRE(params.contains(p.name));
    params[p.name].copy_(p.value);
    ++copied;
  }
  REQUIRE(copied == static_cast<int64_t>(params.size()));
}

}  // namespace

TEST_CASE("sequential adapter: layers, kinds, hooks", "[attribution]") {
  namespace tnn = torch::nn;
  torch::manual_seed(0);
  tnn::Linear first(4, 5);
  tnn::Sequential seq(first, tnn::ReLU(), tnn::Linear(5, 2));
  auto model = ImageModel::sequential(seq);
  REQUIRE(model.layers().size() == 3);
  CHECK(model.layers()[0].name == "0");
  CHECK(model.layers()[0].module.get() == first.ptr().get());
  CHECK(model.layers()[1].kind == LayerKind::kReLU);
  CHECK(model.layers()[2].kind == LayerKind::kLinear);
  CHECK(model.layer_index("2") == 2);
  GNNX_REQUIRE_ERROR("no layer named", model.layer_index("nope"));
  auto x = torch::randn({3, 4});
  GNNX_REQUIRE_CLOSE(model.forward_layers(x), seq->forward(x));
  // A hook that records the ReLU's output and one that replaces the last layer's output.
  at::Tensor seen;
  LayerHook record = [&](int64_t i, const Layer& l, const at::Tensor& in) {
    if (l.kind != LayerKind::kReLU) return at::Tensor();
    seen = l.forward(in);
    return seen;
  };
  model.forward_layers(x, record);
  GNNX_REQUIRE_CLOSE(seen, torch::relu(first->forward(x)));
  LayerHook zero_last = [](int64_t i, const Layer&, const at::Tensor& in) {
    return i == 2 ? torch::zeros({in.size(0), 2}) : at::Tensor();
  };
  GNNX_REQUIRE_CLOSE(model.forward_layers(x, zero_last), torch::zeros({3, 2}));
  auto opaque = ImageModel::function([seq](const at::Tensor& t) mutable { return seq->forward(t); });
  CHECK_FALSE(opaque.has_layers());
  GNNX_REQUIRE_ERROR("exposes no layers", opaque.forward_layers(x));
}

TEST_CASE("sequential adapter: ReLU before max pooling runs pooled first, same values and gradient", "[attribution]") {
  namespace tnn = torch::nn;
  torch::manual_seed(3);
  // Padded, strided, dilated and ceil-mode poolings, a ReLU between two poolings, an adaptive
  // max pooling, and a ReLU before an average pooling (which must not move).
  tnn::Sequential seq(tnn::Conv2d(tnn::Conv2dOptions(2, 4, 3).padding(1)), tnn::ReLU(),
                      tnn::MaxPool2d(tnn::MaxPool2dOptions(3).stride(2).padding(1)), tnn::ReLU(),
                      tnn::MaxPool2d(tnn::MaxPool2dOptions(2).ceil_mode(true)),
                      tnn::Conv2d(tnn::Conv2dOptions(4, 4, 3).padding(2).dilation(2)), tnn::ReLU(), tnn::AvgPool2d(2),
                      tnn::ReLU(), tnn::AdaptiveMaxPool2d(tnn::AdaptiveMaxPool2dOptions(1)), tnn::Flatten(),
                      tnn::Linear(4, 3));
  auto model = ImageModel::sequential(seq);
  // Quantised inputs and weights make ties, zeros and windows whose maximum is <= 0 common.
  {
    torch::NoGradGuard no_grad;
    for (auto& p : seq->parameters()) p.copy_((p * 4).round() / 4);
  }
  auto x = (torch::randn({3, 2, 13, 11}) * 2).round();
  auto x1 = x.clone().requires_grad_(true), x2 = x.clone().requires_grad_(true);
  auto y1 = seq->forward(x1), y2 = model.forward(x2);
  CHECK(torch::equal(y1, y2));
  auto w = torch::randn_like(y1);
  auto g1 = torch::autograd::grad({(y1 * w).sum()}, {x1})[0];
  auto g2 = torch::autograd::grad({(y2 * w).sum()}, {x2})[0];
  CHECK(g1.abs().sum().item<double>() > 0);
  CHECK(torch::equal(g1, g2));
  // The layers keep the module's order.
  REQUIRE(model.layers().size() == 12);
  CHECK(model.layers()[1].kind == LayerKind::kReLU);
  CHECK(model.layers()[2].kind == LayerKind::kMaxPool);
}

TEST_CASE("TorchScript fixture: logits and gradient equal Python's, layers reproduce forward", "[attribution]") {
  auto model = ImageModel::load(data_path("tiny_cnn.pt"));
  auto x = io::load_tensor(data_path("tiny_cnn_input.pt"));
  REQUIRE(x.sizes() == c10::IntArrayRef({2, 3, 8, 8}));
  GNNX_REQUIRE_CLOSE(model.forward(x), io::load_tensor(data_path("tiny_cnn_logits.pt")), 1e-5, 1e-6);
  REQUIRE(model.layers().size() == 8);
  CHECK(model.layers()[1].kind == LayerKind::kReLU);
  CHECK(model.layers()[0].kind == LayerKind::kConv);
  CHECK(model.layers()[6].kind == LayerKind::kFlatten);
  model.check_layers(x);
  auto sal = Saliency(SaliencyOptions().abs(false)).attribute(model, x, {1});
  GNNX_REQUIRE_CLOSE(sal.values, io::load_tensor(data_path("tiny_cnn_saliency.pt")), 1e-4, 1e-6);
  GNNX_REQUIRE_ERROR("cannot open", ImageModel::load(data_path("missing.pt")));
  // A scripted model whose forward is not its children in order: gradient methods work, layer
  // methods refuse it.
  auto residual = ImageModel::load(data_path("tiny_residual.pt"));
  REQUIRE(residual.layers().size() == 4);
  auto r = Saliency().attribute(residual, x, {0});
  CHECK(r.values.abs().sum().item<double>() > 0);
  GNNX_REQUIRE_ERROR("children", GuidedBackprop().attribute(residual, x, {0}));
  GNNX_REQUIRE_ERROR("rejects an input of shape", Saliency().attribute(residual, torch::zeros({1, 4, 8, 8}), {0}));
  GNNX_REQUIRE_ERROR("not a TorchScript archive", ImageModel::load(data_path("tiny_cnn_input.pt")));
}

TEST_CASE("a TorchScript model and the equivalent C++ module give the same attributions", "[attribution]") {
  auto script = torch::jit::load(data_path("tiny_cnn.pt"));
  script.eval();
  auto seq = tiny_cnn_cpp();
  copy_parameters(script, seq);
  seq->eval();
  auto a = ImageModel::script(script), b = ImageModel::sequential(seq);
  auto x = io::load_tensor(data_path("tiny_cnn_input.pt"));
  GNNX_REQUIRE_CLOSE(a.forward(x), b.forward(x), 1e-5, 1e-6);
  std::vector<std::shared_ptr<Attributor>> methods = {
      std::make_shared<Saliency>(),
      std::make_shared<GradientXInput>(),
      std::make_shared<IntegratedGradients>(IntegratedGradientsOptions().steps(20)),
      std::make_shared<NoiseTunnel>(std::make_shared<Saliency>(), NoiseTunnelOptions().samples(3).stdev(0.1).seed(3)),
      std::make_shared<GuidedBackprop>(),
      std::make_shared<Deconvnet>(),
      std::make_shared<Occlusion>(OcclusionOptions().window({3, 4, 4}).strides({3, 2, 2})),
  };
  for (const auto& m : methods) {
    INFO(m->name());
    auto ra = m->attribute(a, x, {-1});
    auto rb = m->attribute(b, x, {-1});
    CHECK(ra.targets[0].label == rb.targets[0].label);
    GNNX_REQUIRE_CLOSE(ra.values, rb.values, 1e-4, 1e-6);
  }
}

TEST_CASE("batched attribution equals item by item", "[attribution]") {
  torch::manual_seed(2);
  namespace tnn = torch::nn;
  tnn::Sequential seq(tnn::Conv2d(tnn::Conv2dOptions(2, 3, 3).padding(1)), tnn::ReLU(), tnn::Flatten(),
                      tnn::Linear(3 * 5 * 5, 4));
  seq->to(torch::kDouble);
  auto model = ImageModel::sequential(seq);
  auto x = torch::randn({3, 2, 5, 5}, torch::kDouble);
  std::vector<int64_t> labels{0, 3, 1};
  std::vector<std::shared_ptr<Attributor>> methods = {
      std::make_shared<Saliency>(),
      std::make_shared<IntegratedGradients>(IntegratedGradientsOptions().steps(9).internal_batch_size(7)),
      std::make_shared<GuidedBackprop>(),
      std::make_shared<Occlusion>(OcclusionOptions().window({2, 2, 2}).strides({2, 1, 2}).perturbations_per_eval(5)),
  };
  for (const auto& m : methods) {
    INFO(m->name());
    auto all = m->attribute(model, x, labels);
    REQUIRE(all.values.sizes() == x.sizes());
    for (int64_t b = 0; b < 3; ++b) {
      auto one = m->attribute(model, x.narrow(0, b, 1), {labels[static_cast<size_t>(b)]}).values;
      GNNX_REQUIRE_CLOSE(all.values.narrow(0, b, 1), one, 1e-9, 1e-12);
    }
    if (m->name() == "ig") {
      auto ig1 =
          IntegratedGradients(IntegratedGradientsOptions().steps(9).internal_batch_size(1)).attribute(model, x, labels);
      GNNX_REQUIRE_CLOSE(all.values, ig1.values, 1e-9, 1e-12);
      GNNX_REQUIRE_CLOSE(all.diagnostics.at("delta"), ig1.diagnostics.at("delta"), 1e-6, 1e-9);
      // The default (0: by device) and all steps in one pass give the same attributions.
      for (int64_t rows : {0, -1}) {
        auto other = IntegratedGradients(IntegratedGradientsOptions().steps(9).internal_batch_size(rows))
                         .attribute(model, x, labels);
        GNNX_REQUIRE_CLOSE(all.values, other.values, 1e-9, 1e-12);
      }
      GNNX_REQUIRE_ERROR("internal_batch_size must be -1",
                         IntegratedGradients(IntegratedGradientsOptions().internal_batch_size(-2)));
    }
  }
  // Noise tunnel with supplied per-item noise: item b alone with its own noise gives the same.
  auto noise = torch::randn({3, 2, 2, 5, 5}, torch::kDouble);
  auto nt_all =
      NoiseTunnel(std::make_shared<GradientXInput>(), NoiseTunnelOptions().noise(noise)).attribute(model, x, labels);
  for (int64_t b = 0; b < 3; ++b) {
    auto nt_one = NoiseTunnel(std::make_shared<GradientXInput>(), NoiseTunnelOptions().noise(noise.narrow(0, b, 1)))
                      .attribute(model, x.narrow(0, b, 1), {labels[static_cast<size_t>(b)]});
    GNNX_REQUIRE_CLOSE(nt_all.values.narrow(0, b, 1), nt_one.values, 1e-9, 1e-12);
  }
  // Target::output(item, label) explains one item.
  auto obj = image_objective(model, x, Target::output(1, 2));
  REQUIRE(obj->num_items() == 1);
  auto r = Saliency().attribute(*obj);
  GNNX_REQUIRE_CLOSE(r.values, Saliency().attribute(model, x.narrow(0, 1, 1), {2}).values);
}

TEST_CASE("option and input errors throw gnnx::Error", "[attribution]") {
  namespace tnn = torch::nn;
  torch::manual_seed(3);
  tnn::Sequential seq(tnn::Flatten(), tnn::Linear(12, 3));
  auto model = ImageModel::sequential(seq);
  auto x = torch::randn({2, 3, 2, 2});
  GNNX_REQUIRE_ERROR("unknown method \"nope\"", make_attributor("nope"));
  GNNX_REQUIRE_ERROR("unknown option \"stepz\"", make_attributor("ig", {{"stepz", "3"}}));
  GNNX_REQUIRE_ERROR("expects an integer", make_attributor("ig", {{"steps", "many"}}));
  GNNX_REQUIRE_ERROR("steps must be >= 1", make_attributor("ig", {{"steps", "0"}}));
  GNNX_REQUIRE_ERROR("riemann_middle", make_attributor("ig", {{"method", "simpson"}}));
  GNNX_REQUIRE_ERROR("expects true or false", make_attributor("saliency", {{"abs", "maybe"}}));
  GNNX_REQUIRE_ERROR("smoothgrad_sq", make_attributor("smoothgrad", {{"type", "x"}}));
  GNNX_REQUIRE_ERROR("unknown option \"bogus\"", make_attributor("smoothgrad", {{"bogus", "1"}}));
  GNNX_REQUIRE_ERROR("samples must be >= 1", make_attributor("smoothgrad", {{"samples", "0"}}));
  GNNX_REQUIRE_ERROR("out of range", Saliency().attribute(model, x, {3}));
  GNNX_REQUIRE_ERROR("expected 1 or B = 2 labels", Saliency().attribute(model, x, {0, 1, 2}));
  GNNX_REQUIRE_ERROR(
      "does not broadcast",
      IntegratedGradients(IntegratedGradientsOptions().baseline(torch::zeros({5}))).attribute(model, x, {0}));
  GNNX_REQUIRE_ERROR("does not fit", Occlusion(OcclusionOptions().window({4, 1, 1})).attribute(model, x, {0}));
  GNNX_REQUIRE_ERROR("window has 2 dimensions", Occlusion(OcclusionOptions().window({1, 1})).attribute(model, x, {0}));
  GNNX_REQUIRE_ERROR("exceeds the window",
                     Occlusion(OcclusionOptions().window({1, 1, 1}).strides({1, 2, 1})).attribute(model, x, {0}));
  GNNX_REQUIRE_ERROR("supplied noise",
                     NoiseTunnel(std::make_shared<Saliency>(), NoiseTunnelOptions().noise(torch::zeros({3, 3, 3})))
                         .attribute(model, x, {0}));
  auto opaque = ImageModel::function([seq](const at::Tensor& t) mutable { return seq->forward(t); });
  GNNX_REQUIRE_ERROR("needs a model with layers", GuidedBackprop().attribute(opaque, x, {0}));
  GNNX_REQUIRE_ERROR("no ReLU layer", Deconvnet().attribute(model, x, {0}));
  GNNX_REQUIRE_ERROR("expected a floating input", Saliency().attribute(model, torch::ones({2, 12}, torch::kLong), {0}));
  GNNX_REQUIRE_ERROR("item 5 out of range", image_objective(model, x, Target::output(5, 0)));
  auto bad = ImageModel::function([](const at::Tensor& t) { return t.sum(); });
  GNNX_REQUIRE_ERROR("logits [B, K]", image_objective(bad, x, std::vector<int64_t>{0}));
}

TEST_CASE("tensor files round-trip and PNG heatmaps are written", "[attribution]") {
  auto t = torch::arange(12, torch::kFloat).view({3, 4});
  // Written under the system's temporary directory, not wherever the tests are started from.
  const auto dir = std::filesystem::temp_directory_path();
  const std::string path = (dir / "gnnx_attribution_roundtrip.pt").string();
  const std::string png = (dir / "gnnx_attribution_heat.png").string();
  io::save_tensor(path, t);
  GNNX_REQUIRE_CLOSE(io::load_tensor(path), t);
  GNNX_REQUIRE_ERROR("cannot open", io::load_tensor("does/not/exist.pt"));
  GNNX_REQUIRE_ERROR("not a torch.save file", io::load_tensor(data_path("../../scripts/make_tiny_cnn.py")));
  auto image = torch::rand({3, 8, 8});
  auto heat = torch::zeros({4, 4});
  heat[1][2] = -2.0;
  auto over = io::heatmap_overlay(image, heat, 0.5);
  REQUIRE(over.sizes() == c10::IntArrayRef({3, 8, 8}));
  CHECK(over.min().item<double>() >= 0.0);
  CHECK(over.max().item<double>() <= 1.0);
  GNNX_REQUIRE_CLOSE(io::jet(torch::tensor({{0.0, 1.0}})).squeeze(1).t(),
                     torch::tensor({{0.0, 0.0, 0.5}, {0.5, 0.0, 0.0}}));
  io::write_png(png, over);
  std::ifstream in(png, std::ios::binary);
  char sig[8] = {};
  in.read(sig, 8);
  CHECK(std::string(sig + 1, 3) == "PNG");
  GNNX_REQUIRE_ERROR("expected an image", io::write_png((dir / "gnnx_x.png").string(), torch::zeros({2, 4, 4})));
  std::filesystem::remove(path);
  std::filesystem::remove(png);
}

TEST_CASE("a Sequential whose layer needs the contiguous layout still attributes, equal to a plain function",
          "[attribution]") {
  // Image batches run channels-last through a Sequential; a view() of a channels-last tensor
  // throws, and the objective then runs contiguous.
  torch::manual_seed(3);
  auto conv = torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 4, 3).padding(1));
  auto lin = torch::nn::Linear(4 * 6 * 6, 3);
  auto seq = torch::nn::Sequential(conv, torch::nn::ReLU(), torch::nn::Functional([](const at::Tensor& t) {
                                     return t.view({t.size(0), -1});
                                   }),
                                   lin);
  auto plain = ImageModel::function([seq](const at::Tensor& t) mutable { return seq->forward(t.contiguous()); });
  auto x = torch::randn({2, 3, 6, 6});
  const auto ig = IntegratedGradients(IntegratedGradientsOptions().steps(8));
  auto a = IntegratedGradients(ig).attribute(ImageModel::sequential(seq), x, {1});
  auto b = IntegratedGradients(ig).attribute(plain, x, {1});
  GNNX_REQUIRE_CLOSE(a.values, b.values, 1e-5, 1e-6);
}
