// Gradient attributions: saliency, gradient × input, guided backprop / deconvnet. Conventions
// follow Captum 0.7 (see the header).
#include "gnnx/attribution/gradient.h"

#include <torch/torch.h>

#include "attribution/items.h"
#include "gnnx/core/check.h"

namespace gnnx::attribution {

at::Tensor gradient(Objective& objective, const at::Tensor& points, const at::Tensor& items, const LayerHook* hook) {
  torch::AutoGradMode enable_grad(true);
  auto p = points.detach().contiguous().requires_grad_(true);
  auto s = objective.scores(p, items, hook);
  auto g = torch::autograd::grad({s.sum()}, {p}, /*grad_outputs=*/{}, /*retain_graph=*/false,
                                 /*create_graph=*/false, /*allow_unused=*/true)[0];
  return g.defined() ? g.contiguous() : torch::zeros_like(p);
}

// ---------------------------------------------------------------------------------------------
// Saliency, gradient × input
std::map<std::string, std::string> Saliency::options() const { return {{"abs", options_.abs() ? "true" : "false"}}; }

Attribution Saliency::compute(Objective& objective) {
  auto x = objective.input();
  auto g = gradient(objective, x, detail::all_items(x));
  Attribution a;
  a.values = options_.abs() ? g.abs() : g;
  return a;
}

Attribution GradientXInput::compute(Objective& objective) {
  auto x = objective.input();
  Attribution a;
  a.values = gradient(objective, x, detail::all_items(x)) * x;
  return a;
}

// ---------------------------------------------------------------------------------------------
// Guided backprop / deconvnet
namespace {
struct ModifiedReluFunction : public torch::autograd::Function<ModifiedReluFunction> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x, int64_t guided) {
    ctx->saved_data["guided"] = guided;
    if (guided) ctx->save_for_backward({x});
    return at::relu(x);
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_out) {
    auto g = grad_out[0].clamp_min(0);
    if (ctx->saved_data["guided"].toInt()) {
      auto x = ctx->get_saved_variables()[0];
      g = g * (x > 0).to(g.scalar_type());
    }
    return {g, at::Tensor()};
  }
};
}  // namespace

at::Tensor modified_relu(const at::Tensor& x, ReluRule rule) {
  return ModifiedReluFunction::apply(x, static_cast<int64_t>(rule == ReluRule::kGuided ? 1 : 0));
}

Attribution ModifiedReluGradient::compute(Objective& objective) {
  const auto& layers = objective.layers();
  GNNX_CHECK(!layers.empty(), name(),
             ": needs a model with layers (ImageModel::sequential or a TorchScript module whose "
             "children run in order); this ",
             objective.kind(), " objective has none");
  bool has_relu = false;
  for (const auto& l : layers) has_relu = has_relu || l.kind == LayerKind::kReLU;
  GNNX_CHECK(has_relu, name(), ": the model has no ReLU layer to modify (", layers.size(), " layers)");
  auto x = objective.input();
  objective.check_layers(x);
  const ReluRule rule = rule_;
  LayerHook hook = [rule](int64_t, const Layer& layer, const at::Tensor& in) {
    return layer.kind == LayerKind::kReLU ? modified_relu(in, rule) : at::Tensor();
  };
  Attribution a;
  a.values = gradient(objective, x, detail::all_items(x), &hook);
  return a;
}

}  // namespace gnnx::attribution
