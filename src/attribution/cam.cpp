#include "gnnx/attribution/cam.h"

#include <torch/script.h>
#include <torch/torch.h>

#include "attribution/items.h"
#include "gnnx/core/check.h"

namespace gnnx::attribution {

namespace {

void check_maps(const char* op, const at::Tensor& t, const char* what) {
  GNNX_CHECK(t.defined() && t.dim() == 4 && t.is_floating_point(), op, ": ", what,
             " must be a floating [B, K, h, w] tensor, got ", t.defined() ? t.sizes() : at::IntArrayRef{});
}

}  // namespace

at::Tensor gradcam_weights(const at::Tensor& grads) {
  check_maps("gradcam_weights", grads, "grads");
  return grads.mean({2, 3});
}

at::Tensor gradcampp_weights(const at::Tensor& activations, const at::Tensor& grads, double eps) {
  check_maps("gradcampp_weights", activations, "activations");
  check_maps("gradcampp_weights", grads, "grads");
  GNNX_CHECK(activations.sizes() == grads.sizes(), "gradcampp_weights: activations ", activations.sizes(),
             " and grads ", grads.sizes(), " must have the same shape");
  auto g2 = grads * grads;
  auto g3 = g2 * grads;
  auto sum_a = activations.sum({2, 3}, /*keepdim=*/true);
  auto a = g2 / (2 * g2 + sum_a * g3 + eps);
  a = torch::where(grads != 0, a, torch::zeros_like(a));
  return (torch::relu(grads) * a).sum({2, 3});
}

at::Tensor weighted_sum_map(const at::Tensor& activations, const at::Tensor& weights, bool relu) {
  check_maps("weighted_sum_map", activations, "activations");
  GNNX_CHECK(weights.defined() && weights.dim() == 2 && weights.size(0) == activations.size(0) &&
                 weights.size(1) == activations.size(1),
             "weighted_sum_map: weights must be [B, K] = [", activations.size(0), ", ", activations.size(1), "], got ",
             weights.defined() ? weights.sizes() : at::IntArrayRef{});
  auto m = (activations * weights.to(activations.dtype()).unsqueeze(-1).unsqueeze(-1)).sum(1);
  return relu ? torch::relu(m) : m;
}

at::Tensor upsample_map(const at::Tensor& maps, int64_t height, int64_t width, Upsample mode) {
  GNNX_CHECK(maps.defined() && maps.dim() == 3 && maps.is_floating_point(),
             "upsample_map: maps must be a floating [B, h, w] tensor, got ",
             maps.defined() ? maps.sizes() : at::IntArrayRef{});
  GNNX_CHECK(height > 0 && width > 0, "upsample_map: target size must be positive, got ", height, " x ", width);
  namespace F = torch::nn::functional;
  auto opts = F::InterpolateFuncOptions().size(std::vector<int64_t>{height, width});
  if (mode == Upsample::kBilinear) {
    opts.mode(torch::kBilinear).align_corners(false);
  } else {
    opts.mode(torch::kNearest);
  }
  return F::interpolate(maps.unsqueeze(1), opts).squeeze(1);
}

at::Tensor minmax_normalize(const at::Tensor& maps) {
  GNNX_CHECK(maps.defined() && maps.dim() >= 1 && maps.is_floating_point(),
             "minmax_normalize: maps must be a floating [B, ...] tensor");
  auto flat = maps.flatten(1);
  auto lo = std::get<0>(flat.min(1, /*keepdim=*/true));
  auto shifted = flat - lo;
  auto hi = std::get<0>(shifted.max(1, /*keepdim=*/true));
  return (shifted / (hi + 1e-7)).view(maps.sizes());
}

std::string default_cam_layer(Objective& objective) {
  const auto& layers = objective.layers();
  GNNX_CHECK(!layers.empty(),
             "CAM: the model exposes no layers (use a torch::nn::Sequential or a TorchScript module "
             "whose children run in order)");
  auto x = objective.input();
  std::vector<std::vector<int64_t>> shapes(layers.size());
  LayerHook hook = [&](int64_t i, const Layer& l, const at::Tensor& in) {
    auto out = l.forward(in);
    shapes[static_cast<size_t>(i)] = out.sizes().vec();
    return out;
  };
  {
    torch::NoGradGuard ng;
    auto items = detail::all_items(x);
    objective.scores(x, items, &hook);
  }
  for (auto i = static_cast<int64_t>(layers.size()) - 1; i >= 0; --i) {
    const auto& s = shapes[static_cast<size_t>(i)];
    if (s.size() == 4 && s[2] * s[3] > 1) return layers[static_cast<size_t>(i)].name;
  }
  GNNX_CHECK(false, "CAM: no layer of the model outputs [B, K, h, w] feature maps with h*w > 1");
  return {};
}

namespace {

int64_t find_layer(const std::vector<Layer>& layers, const std::string& name) {
  for (size_t i = 0; i < layers.size(); ++i) {
    if (layers[i].name == name) return static_cast<int64_t>(i);
  }
  std::string known;
  for (const auto& l : layers) known += (known.empty() ? "" : ", ") + l.name;
  GNNX_CHECK(false, "CAM: no layer named \"", name, "\"; the layers are: ", known);
  return -1;
}

at::Tensor linear_weight(const Layer& l) {
  if (l.module) {
    if (auto* lin = l.module->as<torch::nn::Linear>()) return lin->weight.detach();
  }
  if (l.script && l.script->hasattr("weight")) return l.script->attr("weight").toTensor().detach();
  GNNX_CHECK(false, "CAM: layer \"", l.name, "\" has no linear weight");
  return {};
}

// The CAM head after layer idx: global average pooling, optional flatten/dropout, then a final
// linear layer. Returns the linear weight [classes, K].
at::Tensor cam_head_weight(const std::vector<Layer>& layers, int64_t idx) {
  const auto n = static_cast<int64_t>(layers.size());
  int64_t i = idx + 1;
  GNNX_CHECK(i < n && layers[static_cast<size_t>(i)].kind == LayerKind::kAvgPool, "CAM: layer \"",
             layers[static_cast<size_t>(idx)].name,
             "\" must be followed by global average pooling then a linear layer (CAM needs a GAP + linear head; use "
             "Grad-CAM otherwise)");
  for (++i; i < n - 1; ++i) {
    const auto k = layers[static_cast<size_t>(i)].kind;
    GNNX_CHECK(k == LayerKind::kFlatten || k == LayerKind::kDropout,
               "CAM: between the global average pooling and the "
               "final linear layer only flatten/dropout may run, got \"",
               layers[static_cast<size_t>(i)].name, "\"");
  }
  GNNX_CHECK(layers.back().kind == LayerKind::kLinear, "CAM: the last layer must be linear, got \"", layers.back().name,
             "\"");
  return linear_weight(layers.back());
}

}  // namespace

CamMaps compute_cam_maps(Objective& objective, const CamOptions& o) {
  const auto& layers = objective.layers();
  GNNX_CHECK(!layers.empty(),
             "CAM: the model exposes no layers (use a torch::nn::Sequential or a TorchScript module "
             "whose children run in order)");
  auto x = objective.input();
  objective.check_layers(x);
  const int64_t idx = find_layer(layers, o.layer().empty() ? default_cam_layer(objective) : o.layer());
  auto items = detail::all_items(x);
  CamMaps r;
  const bool need_grad = o.kind() != CamKind::kCam;
  LayerHook hook = [&](int64_t i, const Layer& l, const at::Tensor& in) -> at::Tensor {
    if (i != idx) return {};
    // A fresh leaf: the gradient stops here, so nothing below the layer is differentiated.
    r.activations = l.forward(in).detach().requires_grad_(need_grad);
    return r.activations;
  };
  at::Tensor scores;
  if (need_grad) {
    scores = objective.scores(x, items, &hook);
  } else {
    torch::NoGradGuard ng;
    scores = objective.scores(x, items, &hook);
  }
  GNNX_CHECK(r.activations.defined() && r.activations.dim() == 4, "CAM: layer \"",
             layers[static_cast<size_t>(idx)].name, "\" must output [B, K, h, w] feature maps, got ",
             r.activations.defined() ? r.activations.sizes() : at::IntArrayRef{});
  if (need_grad) {
    // Row b's score depends on activations[b] only, so one backward pass gives every row.
    r.gradients = torch::autograd::grad({scores.sum()}, {r.activations}, {}, /*retain_graph=*/false,
                                        /*create_graph=*/false, /*allow_unused=*/true)[0];
    if (!r.gradients.defined()) r.gradients = torch::zeros_like(r.activations);
  }
  r.activations = r.activations.detach();
  switch (o.kind()) {
    case CamKind::kCam: {
      auto w = cam_head_weight(layers, idx);
      GNNX_CHECK(w.size(1) == r.activations.size(1), "CAM: the linear head has ", w.size(1), " inputs but layer \"",
                 layers[static_cast<size_t>(idx)].name, "\" has ", r.activations.size(1), " channels");
      std::vector<int64_t> labels;
      for (const auto& t : objective.targets()) labels.push_back(t.label);
      auto lab = torch::tensor(labels, torch::kLong).to(w.device());
      r.weights = w.index_select(0, lab).to(r.activations.device());
      break;
    }
    case CamKind::kGradCam: r.weights = gradcam_weights(r.gradients); break;
    case CamKind::kCounterfactual: r.weights = gradcam_weights(-r.gradients); break;
    case CamKind::kGradCamPlusPlus: r.weights = gradcampp_weights(r.activations, r.gradients); break;
  }
  r.maps = weighted_sum_map(r.activations, r.weights, o.relu());
  return r;
}

namespace {

std::map<std::string, std::string> cam_option_text(const CamOptions& o) {
  return {{"kind", to_string(o.kind())},         {"layer", o.layer()},
          {"upsample", to_string(o.upsample())}, {"normalize", o.normalize() ? "true" : "false"},
          {"relu", o.relu() ? "true" : "false"}, {"output", to_string(o.output())}};
}

void check_image_objective(const char* op, Objective& objective) {
  auto x = objective.input();
  GNNX_CHECK(objective.kind() == "image" && x.dim() == 4, op,
             ": needs an image objective with input [B, C, H, W], got ", objective.kind(), " input ", x.sizes());
}

// maps [B, h, w] -> [B, H, W]. With normalize, pytorch-grad-cam's order: scale_cam_image on
// the layer's grid (with the resize), then once more on the resized map (aggregate_multi_layers).
at::Tensor cam_input_resolution(const at::Tensor& maps, const at::Tensor& x, const CamOptions& o) {
  if (!o.normalize()) return upsample_map(maps, x.size(2), x.size(3), o.upsample());
  return minmax_normalize(upsample_map(minmax_normalize(maps), x.size(2), x.size(3), o.upsample()));
}

}  // namespace

std::string CamAttributor::name() const { return to_string(options_.kind()); }

std::map<std::string, std::string> CamAttributor::options() const { return cam_option_text(options_); }

Attribution CamAttributor::compute(Objective& objective) {
  check_image_objective(to_string(options_.kind()), objective);
  auto x = objective.input();
  auto r = compute_cam_maps(objective, options_);
  Attribution a;
  switch (options_.output()) {
    case CamOutput::kInputChannels:
      a.values = cam_input_resolution(r.maps, x, options_).unsqueeze(1).expand_as(x).contiguous();
      break;
    case CamOutput::kInput: a.values = cam_input_resolution(r.maps, x, options_); break;
    case CamOutput::kLayer: a.values = (options_.normalize() ? minmax_normalize(r.maps) : r.maps).unsqueeze(1); break;
  }
  a.values = a.values.to(x.dtype());
  a.diagnostics["map"] = r.maps;
  a.diagnostics["weights"] = r.weights;
  return a;
}

std::map<std::string, std::string> GuidedGradCamAttributor::options() const {
  auto m = cam_option_text(options_);
  m.erase("kind");
  m.erase("output");
  return m;
}

Attribution GuidedGradCamAttributor::compute(Objective& objective) {
  check_image_objective("guided-gradcam", objective);
  GNNX_CHECK(options_.kind() == CamKind::kGradCam, "guided-gradcam: the map must be Grad-CAM's, got kind ",
             to_string(options_.kind()));
  GNNX_CHECK(options_.output() == CamOutput::kInputChannels,
             "guided-gradcam: the values are per channel, [B, C, H, W]; output must be input-channels, got ",
             to_string(options_.output()));
  auto x = objective.input();
  auto r = compute_cam_maps(objective, options_);
  auto guided = make_attributor("guided-backprop")->attribute(objective).values;
  Attribution a;
  a.values = guided * cam_input_resolution(r.maps, x, options_).unsqueeze(1).to(guided.dtype());
  a.diagnostics["map"] = r.maps;
  a.diagnostics["weights"] = r.weights;
  a.diagnostics["guided_backprop"] = guided;
  return a;
}

}  // namespace gnnx::attribution
