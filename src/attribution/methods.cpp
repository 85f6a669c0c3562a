// The attribution methods: saliency, gradient × input, guided backprop / deconvnet, integrated
// gradients, the noise tunnel and occlusion. Conventions follow Captum 0.7 (see the headers).
#include <cmath>
#include <sstream>

#include <torch/torch.h>

#include "gnnx/attribution/gradient.h"
#include "gnnx/attribution/integrated_gradients.h"
#include "gnnx/attribution/noise_tunnel.h"
#include "gnnx/attribution/occlusion.h"
#include "gnnx/core/check.h"
#include "gnnx/core/random.h"

namespace gnnx::attribution {
namespace {

at::Tensor all_items(const at::Tensor& input) {
  return torch::arange(input.size(0), torch::TensorOptions().dtype(torch::kLong).device(input.device()));
}

// [k] values reshaped to broadcast against [k, B, *item] (dims extra trailing ones).
at::Tensor column(const std::vector<double>& v, size_t begin, size_t count, const at::Tensor& like, int64_t trailing) {
  std::vector<double> part(v.begin() + static_cast<long>(begin), v.begin() + static_cast<long>(begin + count));
  auto t = torch::tensor(part, torch::kDouble).to(like.options());
  std::vector<int64_t> shape{static_cast<int64_t>(count)};
  for (int64_t i = 0; i < trailing; ++i) shape.push_back(1);
  return t.view(shape);
}

std::string join(const std::vector<int64_t>& v) {
  std::ostringstream s;
  for (size_t i = 0; i < v.size(); ++i) s << (i ? "," : "") << v[i];
  return s.str();
}

std::string num(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

}  // namespace

at::Tensor gradient(Objective& objective, const at::Tensor& points, const at::Tensor& items, const LayerHook* hook) {
  torch::AutoGradMode enable_grad(true);
  auto p = points.detach().contiguous().requires_grad_(true);
  auto s = objective.scores(p, items, hook);
  auto g = torch::autograd::grad({s.sum()}, {p}, /*grad_outputs=*/{}, /*retain_graph=*/false,
                                 /*create_graph=*/false, /*allow_unused=*/true)[0];
  return g.defined() ? g : torch::zeros_like(p);
}

// ---------------------------------------------------------------------------------------------
// Saliency, gradient × input
std::map<std::string, std::string> Saliency::options() const { return {{"abs", options_.abs() ? "true" : "false"}}; }

Attribution Saliency::compute(Objective& objective) {
  auto x = objective.input();
  auto g = gradient(objective, x, all_items(x));
  Attribution a;
  a.values = options_.abs() ? g.abs() : g;
  return a;
}

Attribution GradientXInput::compute(Objective& objective) {
  auto x = objective.input();
  Attribution a;
  a.values = gradient(objective, x, all_items(x)) * x;
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
  GNNX_CHECK(!layers.empty(), name(), ": needs a model with layers (ImageModel::sequential or a TorchScript module whose "
             "children run in order); this ", objective.kind(), " objective has none");
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
  a.values = gradient(objective, x, all_items(x), &hook);
  return a;
}

// ---------------------------------------------------------------------------------------------
// Integrated gradients
std::pair<std::vector<double>, std::vector<double>> integration_rule(IntegrationMethod method, int64_t n) {
  GNNX_CHECK(n >= 1, "integration_rule: expected at least 1 step, got ", n);
  std::vector<double> alpha(static_cast<size_t>(n)), weight(static_cast<size_t>(n));
  const double dn = static_cast<double>(n);
  switch (method) {
    case IntegrationMethod::kRiemannLeft:
    case IntegrationMethod::kRiemannRight:
    case IntegrationMethod::kRiemannMiddle: {
      const double shift = method == IntegrationMethod::kRiemannLeft ? 0.0
                           : method == IntegrationMethod::kRiemannRight ? 1.0 : 0.5;
      for (int64_t k = 0; k < n; ++k) {
        alpha[static_cast<size_t>(k)] = (static_cast<double>(k) + shift) / dn;
        weight[static_cast<size_t>(k)] = 1.0 / dn;
      }
      break;
    }
    case IntegrationMethod::kRiemannTrapezoid: {
      GNNX_CHECK(n >= 2, "integration_rule: riemann_trapezoid needs at least 2 steps, got ", n);
      for (int64_t k = 0; k < n; ++k) {
        alpha[static_cast<size_t>(k)] = static_cast<double>(k) / (dn - 1.0);
        weight[static_cast<size_t>(k)] = 1.0 / (dn - 1.0);
      }
      weight.front() = weight.back() = 0.5 / (dn - 1.0);
      break;
    }
    case IntegrationMethod::kGaussLegendre: {
      // Roots of P_n by Newton's method from the Tricomi-style initial guesses; weights
      // 2 / ((1 - t²) P_n'(t)²); then mapped from [-1, 1] to [0, 1] as Captum does.
      const double pi = std::acos(-1.0);
      for (int64_t i = 0; i < n; ++i) {
        double t = std::cos(pi * (static_cast<double>(i) + 0.75) / (dn + 0.5));
        // P_n(t) and P_n'(t) by the three-term recurrence.
        auto legendre = [n, dn](double x) {
          double p0 = 1.0, p1 = x;
          for (int64_t k = 2; k <= n; ++k) {
            const double p2 = ((2.0 * static_cast<double>(k) - 1.0) * x * p1 - (static_cast<double>(k) - 1.0) * p0) /
                              static_cast<double>(k);
            p0 = p1;
            p1 = p2;
          }
          if (n == 1) p0 = 1.0;
          return std::make_pair(p1, dn * (x * p1 - p0) / (x * x - 1.0));
        };
        for (int iter = 0; iter < 100; ++iter) {
          const auto [p, d] = legendre(t);
          const double step = p / d;
          t -= step;
          if (std::abs(step) < 1e-16) break;
        }
        const double dp = legendre(t).second;  // at the converged root, for the weight
        // i ascending gives t descending: store mirrored so that alpha is ascending.
        const size_t slot = static_cast<size_t>(n - 1 - i);
        alpha[slot] = 0.5 * (1.0 + t);
        weight[slot] = 0.5 * 2.0 / ((1.0 - t * t) * dp * dp);
      }
      break;
    }
  }
  return {alpha, weight};
}

IntegratedGradients::IntegratedGradients(IntegratedGradientsOptions options) : options_(std::move(options)) {
  GNNX_CHECK(options_.steps() >= 1, "IntegratedGradients: steps must be >= 1, got ", options_.steps());
  GNNX_CHECK(options_.method() != IntegrationMethod::kRiemannTrapezoid || options_.steps() >= 2,
             "IntegratedGradients: riemann_trapezoid needs steps >= 2, got ", options_.steps());
  GNNX_CHECK(options_.internal_batch_size() == -1 || options_.internal_batch_size() >= 1,
             "IntegratedGradients: internal_batch_size must be -1 (all steps at once) or >= 1, got ",
             options_.internal_batch_size());
}

std::map<std::string, std::string> IntegratedGradients::options() const {
  return {{"steps", std::to_string(options_.steps())},
          {"method", to_string(options_.method())},
          {"baseline", options_.baseline().defined() ? "tensor" : num(options_.baseline_value())},
          {"internal_batch_size", std::to_string(options_.internal_batch_size())}};
}

Attribution IntegratedGradients::compute(Objective& objective) {
  auto x = objective.input();
  const int64_t b = x.size(0), n = options_.steps();
  at::Tensor base;
  if (options_.baseline().defined()) {
    const auto& given = options_.baseline();
    GNNX_CHECK(given.dim() <= x.dim(), "IntegratedGradients: baseline ", given.sizes(), " does not broadcast to the input ",
               x.sizes());
    for (int64_t d = 1; d <= given.dim(); ++d) {
      auto gs = given.size(given.dim() - d), xs = x.size(x.dim() - d);
      GNNX_CHECK(gs == xs || gs == 1, "IntegratedGradients: baseline ", given.sizes(), " does not broadcast to the input ",
                 x.sizes());
    }
    base = given.to(x.options()).expand_as(x);
  } else {
    base = torch::full_like(x, options_.baseline_value());
  }
  const auto rule = integration_rule(options_.method(), n);
  const int64_t per_pass = options_.internal_batch_size() < 0 ? n : std::max<int64_t>(1, options_.internal_batch_size() / b);
  const int64_t trailing = x.dim();
  auto diff = x - base;
  auto items = all_items(x);
  auto total = torch::zeros_like(x);
  for (int64_t start = 0; start < n; start += per_pass) {
    const int64_t k = std::min(per_pass, n - start);
    auto alphas = column(rule.first, static_cast<size_t>(start), static_cast<size_t>(k), x, trailing);
    auto weights = column(rule.second, static_cast<size_t>(start), static_cast<size_t>(k), x, trailing);
    std::vector<int64_t> stacked{k * b};
    for (int64_t d = 1; d < x.dim(); ++d) stacked.push_back(x.size(d));
    auto points = (base.unsqueeze(0) + alphas * diff.unsqueeze(0)).reshape(stacked);
    std::vector<int64_t> split{k};
    for (auto s : x.sizes()) split.push_back(s);
    auto g = gradient(objective, points, items.repeat({k})).view(split);
    total += (g * weights).sum(0);
  }
  Attribution a;
  a.values = diff * total;
  {
    torch::NoGradGuard no_grad;
    auto ends = objective.scores(torch::cat({x, base}, 0), torch::cat({items, items}, 0));
    auto f_x = ends.narrow(0, 0, b), f_base = ends.narrow(0, b, b);
    a.diagnostics["delta"] = a.values.reshape({b, -1}).sum(1) - (f_x - f_base);
  }
  return a;
}

// ---------------------------------------------------------------------------------------------
// Noise tunnel
namespace {
// The inner objective of the noise tunnel: B·S noisy points, row b·S + s scoring item b.
class NoisyObjective : public Objective {
 public:
  NoisyObjective(Objective& inner, at::Tensor noisy, int64_t samples) : inner_(inner), noisy_(std::move(noisy)), s_(samples) {
    for (const auto& t : inner.targets())
      for (int64_t i = 0; i < s_; ++i) targets_.push_back(t);
  }
  at::Tensor input() const override { return noisy_; }
  const std::vector<Target>& targets() const override { return targets_; }
  at::Tensor scores(const at::Tensor& inputs, const at::Tensor& items, const LayerHook* hook) override {
    return inner_.scores(inputs, items.div(s_, "floor"), hook);
  }
  const std::vector<Layer>& layers() const override { return inner_.layers(); }
  void check_layers(const at::Tensor& inputs) const override { inner_.check_layers(inputs); }
  std::string kind() const override { return inner_.kind(); }

 private:
  Objective& inner_;
  at::Tensor noisy_;
  int64_t s_;
  std::vector<Target> targets_;
};
}  // namespace

NoiseTunnel::NoiseTunnel(std::shared_ptr<Attributor> base, NoiseTunnelOptions options)
    : base_(std::move(base)), options_(std::move(options)) {
  GNNX_CHECK(base_ != nullptr, "NoiseTunnel: expected a base attributor");
  GNNX_CHECK(options_.samples() >= 1, "NoiseTunnel: samples must be >= 1, got ", options_.samples());
  GNNX_CHECK(options_.stdev() >= 0 && std::isfinite(options_.stdev()), "NoiseTunnel: stdev must be >= 0, got ",
             options_.stdev());
}

std::string NoiseTunnel::name() const {
  if (base_->name() == "saliency") return "smoothgrad";
  return "noise-tunnel(" + base_->name() + ")";
}

std::map<std::string, std::string> NoiseTunnel::options() const {
  auto o = base_->options();
  o["type"] = to_string(options_.type());
  o["samples"] = std::to_string(options_.samples());
  o["stdev"] = num(options_.stdev());
  o["seed"] = std::to_string(options_.seed());
  if (options_.noise().defined()) o["noise"] = "supplied";
  return o;
}

Attribution NoiseTunnel::compute(Objective& objective) {
  auto x = objective.input();
  const int64_t b = x.size(0);
  std::vector<int64_t> item(x.sizes().begin() + 1, x.sizes().end());
  at::Tensor noise;
  int64_t s = options_.samples();
  if (options_.noise().defined()) {
    auto n = options_.noise().to(x.options());
    const bool per_item = n.dim() == x.dim() + 1 && n.size(0) == b && n.sizes().slice(2) == x.sizes().slice(1);
    const bool flat = n.dim() == x.dim() && n.sizes().slice(1) == x.sizes().slice(1) && n.size(0) % b == 0 && n.size(0) > 0;
    GNNX_CHECK(per_item || flat, "NoiseTunnel: supplied noise must be [B, S, *item] or [B*S, *item] for input ", x.sizes(),
               ", got ", n.sizes());
    s = per_item ? n.size(1) : n.size(0) / b;
    GNNX_CHECK(s >= 1, "NoiseTunnel: supplied noise has no samples");
    std::vector<int64_t> shape{b * s};
    shape.insert(shape.end(), item.begin(), item.end());
    noise = n.reshape(shape);
  } else {
    std::vector<int64_t> shape{b * s};
    shape.insert(shape.end(), item.begin(), item.end());
    auto gen = torch_generator(options_.seed());
    noise = (torch::randn(shape, gen, torch::TensorOptions().dtype(x.scalar_type())) * options_.stdev()).to(x.device());
  }
  auto noisy = x.repeat_interleave(s, 0) + noise;  // row b·S + s: item b, sample s (Captum's layout)
  NoisyObjective inner(objective, noisy, s);
  Attribution ia = base_->attribute(inner);
  std::vector<int64_t> split{b, s};
  split.insert(split.end(), item.begin(), item.end());
  auto v = ia.values.view(split);
  Attribution a;
  switch (options_.type()) {
    case NoiseTunnelType::kSmoothGrad: a.values = v.mean(1); break;
    case NoiseTunnelType::kSmoothGradSq: a.values = v.square().mean(1); break;
    case NoiseTunnelType::kVarGrad: a.values = v.square().mean(1) - v.mean(1).square(); break;
  }
  for (const auto& [key, d] : ia.diagnostics)
    a.diagnostics[key] = d.numel() == b * s ? d.reshape({b, s}) : d;
  return a;
}

// ---------------------------------------------------------------------------------------------
// Occlusion
std::map<std::string, std::string> Occlusion::options() const {
  return {{"window", join(options_.window())},
          {"strides", join(options_.strides())},
          {"baseline", num(options_.baseline())},
          {"perturbations_per_eval", std::to_string(options_.perturbations_per_eval())}};
}

Attribution Occlusion::compute(Objective& objective) {
  auto x = objective.input();
  const int64_t b = x.size(0), dims = x.dim() - 1;
  std::vector<int64_t> window = options_.window();
  if (window.empty()) window.assign(static_cast<size_t>(dims), 1);
  GNNX_CHECK(static_cast<int64_t>(window.size()) == dims, "Occlusion: window has ", window.size(),
             " dimensions, the input items have ", dims, " (", x.sizes().slice(1), ")");
  std::vector<int64_t> strides = options_.strides();
  if (strides.size() == 1) strides.assign(static_cast<size_t>(dims), strides[0]);
  GNNX_CHECK(static_cast<int64_t>(strides.size()) == dims, "Occlusion: expected 1 or ", dims, " strides, got ",
             strides.size());
  GNNX_CHECK(options_.perturbations_per_eval() >= 1, "Occlusion: perturbations_per_eval must be >= 1, got ",
             options_.perturbations_per_eval());
  std::vector<int64_t> counts(static_cast<size_t>(dims));
  int64_t windows = 1;
  for (int64_t d = 0; d < dims; ++d) {
    const auto i = static_cast<size_t>(d);
    const int64_t size = x.size(d + 1);
    if (window[i] == -1) window[i] = size;
    GNNX_CHECK(window[i] >= 1 && window[i] <= size, "Occlusion: window ", join(window), " does not fit the items ",
               x.sizes().slice(1));
    GNNX_CHECK(strides[i] >= 1, "Occlusion: strides must be >= 1, got ", join(strides));
    GNNX_CHECK(window[i] == size || strides[i] <= window[i], "Occlusion: stride ", strides[i],
               " exceeds the window ", window[i], " along dimension ", d, " (features would be skipped)");
    counts[i] = (size - window[i] + strides[i] - 1) / strides[i] + 1;
    windows *= counts[i];
  }
  torch::NoGradGuard no_grad;
  auto items = all_items(x);
  auto f_x = objective.scores(x, items);
  auto total = torch::zeros_like(x);
  auto cover = torch::zeros(x.sizes().slice(1), x.options());
  const int64_t per_pass = options_.perturbations_per_eval();
  for (int64_t start = 0; start < windows; start += per_pass) {
    const int64_t k = std::min(per_pass, windows - start);
    std::vector<int64_t> mshape{k};
    for (int64_t d = 1; d <= dims; ++d) mshape.push_back(x.size(d));
    auto masks = torch::zeros(mshape, x.options());
    for (int64_t j = 0; j < k; ++j) {
      // Window number -> position, the first dimension varying fastest (Captum's order).
      int64_t rest = start + j;
      std::vector<at::indexing::TensorIndex> idx{j};
      for (int64_t d = 0; d < dims; ++d) {
        const auto i = static_cast<size_t>(d);
        const int64_t pos = (rest % counts[i]) * strides[i];
        rest /= counts[i];
        idx.emplace_back(at::indexing::Slice(pos, std::min(pos + window[i], x.size(d + 1))));
      }
      masks.index_put_(idx, 1.0);
    }
    auto m = masks.unsqueeze(1);  // [k, 1, *item]
    auto occluded = x.unsqueeze(0) * (1 - m) + options_.baseline() * m;
    std::vector<int64_t> flat{k * b};
    for (int64_t d = 1; d <= dims; ++d) flat.push_back(x.size(d));
    auto s = objective.scores(occluded.reshape(flat), items.repeat({k})).view({k, b});
    std::vector<int64_t> dshape{k, b};
    for (int64_t d = 0; d < dims; ++d) dshape.push_back(1);
    auto diff = (f_x.unsqueeze(0) - s).view(dshape);
    total += (diff * m).sum(0);
    cover += masks.sum(0);
  }
  Attribution a;
  a.values = total / cover.unsqueeze(0);
  return a;
}

}  // namespace gnnx::attribution
