#include "gnnx/attribution/activation_max.h"

#include <cmath>

#include <torch/torch.h>

#include "attribution/items.h"
#include "gnnx/core/check.h"
#include "gnnx/core/random.h"

namespace gnnx::attribution {

at::Tensor gaussian_blur(const at::Tensor& x, double sigma) {
  GNNX_CHECK(x.defined() && x.dim() == 4 && x.is_floating_point(),
             "gaussian_blur: x must be a floating [B, C, H, W] "
             "tensor, got ",
             x.defined() ? x.sizes() : at::IntArrayRef{});
  GNNX_CHECK(sigma > 0, "gaussian_blur: sigma must be positive, got ", sigma);
  const auto radius = static_cast<int64_t>(std::ceil(2 * sigma));
  auto t = torch::arange(-radius, radius + 1, x.options()).to(x.dtype());
  auto k1 = torch::exp(-(t * t) / (2 * sigma * sigma));
  k1 = k1 / k1.sum();
  const int64_t c = x.size(1);
  namespace F = torch::nn::functional;
  auto padded = F::pad(x, F::PadFuncOptions({radius, radius, radius, radius}).mode(torch::kReplicate));
  // Separable: rows, then columns, one depthwise convolution each.
  auto kh = k1.view({1, 1, 1, -1}).expand({c, 1, 1, 2 * radius + 1}).contiguous();
  auto kv = k1.view({1, 1, -1, 1}).expand({c, 1, 2 * radius + 1, 1}).contiguous();
  auto y = F::conv2d(padded, kh, F::Conv2dFuncOptions().groups(c));
  return F::conv2d(y, kv, F::Conv2dFuncOptions().groups(c));
}

namespace {

void check_options(const ActivationMaxOptions& o) {
  const char* op = "activation-max";
  GNNX_CHECK(o.steps() >= 0, op, ": steps must be >= 0, got ", o.steps());
  GNNX_CHECK(o.lr() > 0, op, ": lr must be positive, got ", o.lr());
  GNNX_CHECK(o.l2() >= 0, op, ": l2 must be >= 0, got ", o.l2());
  GNNX_CHECK(o.noise_std() >= 0, op, ": noise_std must be >= 0, got ", o.noise_std());
  GNNX_CHECK(o.blur_sigma() >= 0, op, ": blur_sigma must be >= 0, got ", o.blur_sigma());
  GNNX_CHECK(o.blur_every() > 0, op, ": blur_every must be positive, got ", o.blur_every());
  GNNX_CHECK(o.jitter() >= 0, op, ": jitter must be >= 0, got ", o.jitter());
}

// Gradient ascent on param p [B, ...]: maximises Σ_b score(input(p))_b - λ Σ ‖p‖² by Adam.
// blur_input: blur inside the objective (code space) instead of on p between steps.
ActivationMaxResult ascend(at::Tensor p, const std::function<at::Tensor(const at::Tensor&)>& to_input,
                           const std::function<at::Tensor(const at::Tensor&)>& score, const ActivationMaxOptions& o,
                           bool blur_input) {
  Rng rng(o.seed());
  p = p.detach().requires_grad_(true);
  torch::optim::Adam opt({p}, torch::optim::AdamOptions(o.lr()));
  std::vector<double> scores, objectives;
  auto evaluate = [&](bool jitter) {
    auto x = to_input(p);
    if (blur_input && o.blur_sigma() > 0) x = gaussian_blur(x, o.blur_sigma());
    if (jitter && o.jitter() > 0) {
      const int64_t dy = uniform_int(rng, -o.jitter(), o.jitter()), dx = uniform_int(rng, -o.jitter(), o.jitter());
      x = torch::roll(x, {dy, dx}, {-2, -1});
    }
    auto s = score(x).sum();
    return std::make_pair(s, s - o.l2() * (p * p).sum());
  };
  auto record = [&](const at::Tensor& s, const at::Tensor& obj) {
    scores.push_back(s.item<double>());
    objectives.push_back(obj.item<double>());
  };
  for (int64_t step = 0; step < o.steps(); ++step) {
    opt.zero_grad();
    auto [s, obj] = evaluate(/*jitter=*/true);
    if (o.jitter() == 0) {
      record(s, obj);
    } else {
      torch::NoGradGuard ng;
      auto [s0, obj0] = evaluate(/*jitter=*/false);
      record(s0, obj0);
    }
    (-obj).backward();
    opt.step();
    if (!blur_input && o.blur_sigma() > 0 && (step + 1) % o.blur_every() == 0) {
      torch::NoGradGuard ng;
      p.copy_(gaussian_blur(p, o.blur_sigma()));
    }
  }
  ActivationMaxResult r;
  {
    torch::NoGradGuard ng;
    auto [s, obj] = evaluate(/*jitter=*/false);
    record(s, obj);
    r.input = to_input(p).detach();
    r.code = p.detach();
  }
  r.score = torch::tensor(scores, torch::kDouble);
  r.objective = torch::tensor(objectives, torch::kDouble);
  return r;
}

at::Tensor start(const std::vector<int64_t>& shape, const ActivationMaxOptions& o, c10::Device device) {
  std::vector<int64_t> full{1};
  full.insert(full.end(), shape.begin(), shape.end());
  for (auto d : full) GNNX_CHECK(d > 0, "activation-max: shape entries must be positive, got ", at::IntArrayRef(full));
  if (o.init() == AscentInit::kZeros) return torch::zeros(full, torch::TensorOptions().device(device));
  auto gen = torch_generator(o.seed());
  return (torch::randn(full, gen, torch::kFloat) * o.noise_std()).to(device);
}

// S(x) for the chosen unit: [B].
std::function<at::Tensor(const at::Tensor&)> unit_score(const ImageModel& model, const ActivationMaxOptions& o) {
  GNNX_CHECK(model.defined(), "activation-max: the model is empty");
  GNNX_CHECK(o.unit() >= 0, "activation-max: unit must be >= 0, got ", o.unit());
  if (o.layer().empty()) {
    return [model, o](const at::Tensor& x) {
      auto out = model.forward(x);
      GNNX_CHECK(out.dim() == 2 && o.unit() < out.size(1), "activation-max: class ", o.unit(),
                 " out of range for model output ", out.sizes());
      return out.select(1, o.unit());
    };
  }
  const int64_t idx = model.layer_index(o.layer());
  return [model, o, idx](const at::Tensor& x) {
    at::Tensor act;
    LayerHook hook = [&](int64_t i, const Layer& l, const at::Tensor& in) -> at::Tensor {
      if (i != idx) return {};
      act = l.forward(in);
      return act;
    };
    model.forward_layers(x, hook);
    GNNX_CHECK(act.defined() && act.dim() >= 2 && o.unit() < act.size(1), "activation-max: unit ", o.unit(),
               " out of range for layer \"", o.layer(), "\" output ", act.defined() ? act.sizes() : at::IntArrayRef{});
    auto u = act.select(1, o.unit());
    return u.dim() > 1 ? u.flatten(1).mean(1) : u;
  };
}

}  // namespace

ActivationMaxResult maximize_activation(const ImageModel& model, const std::vector<int64_t>& input_shape,
                                        const ActivationMaxOptions& o, c10::Device device) {
  check_options(o);
  auto score = unit_score(model, o);
  auto r = ascend(
      start(input_shape, o, device), [](const at::Tensor& p) { return p; }, score, o, /*blur_input=*/false);
  r.code = at::Tensor();
  return r;
}

ActivationMaxResult maximize_in_code_space(const ImageModel& model,
                                           const std::function<at::Tensor(const at::Tensor&)>& generator,
                                           const std::vector<int64_t>& code_shape, const ActivationMaxOptions& o,
                                           c10::Device device) {
  check_options(o);
  GNNX_CHECK(static_cast<bool>(generator), "activation-max: the generator is empty");
  auto score = unit_score(model, o);
  return ascend(start(code_shape, o, device), generator, score, o, /*blur_input=*/true);
}

std::map<std::string, std::string> ActivationMaxAttributor::options() const {
  const auto& o = options_;
  return {{"steps", std::to_string(o.steps())},
          {"lr", std::to_string(o.lr())},
          {"l2", std::to_string(o.l2())},
          {"init", o.init() == AscentInit::kZeros ? "zeros" : "noise"},
          {"noise_std", std::to_string(o.noise_std())},
          {"blur_sigma", std::to_string(o.blur_sigma())},
          {"blur_every", std::to_string(o.blur_every())},
          {"jitter", std::to_string(o.jitter())},
          {"seed", std::to_string(o.seed())}};
}

Attribution ActivationMaxAttributor::compute(Objective& objective) {
  check_options(options_);
  auto x = objective.input();
  auto items = detail::all_items(x);
  std::vector<int64_t> shape(x.sizes().begin() + 1, x.sizes().end());
  auto p0 = start(shape, options_, x.device()).expand(x.sizes()).contiguous().to(x.dtype());
  if (options_.init() == AscentInit::kNoise) {
    auto gen = torch_generator(options_.seed());
    p0 = (torch::randn(x.sizes(), gen, torch::kFloat) * options_.noise_std()).to(x.device(), x.dtype());
  }
  auto r = ascend(
      p0, [](const at::Tensor& p) { return p; }, [&](const at::Tensor& in) { return objective.scores(in, items); },
      options_, /*blur_input=*/false);
  Attribution a;
  a.values = r.input;
  a.diagnostics["score"] = r.score;
  a.diagnostics["objective"] = r.objective;
  return a;
}

}  // namespace gnnx::attribution
