#include "gnnx/attribution/lrp.h"

#include <sstream>

#include <torch/script.h>
#include <torch/torch.h>

#include "attribution/items.h"
#include "attribution/layer_geometry.h"
#include "attribution/option_text.h"
#include "gnnx/core/check.h"

namespace gnnx::attribution {

LayerRule LayerRule::flat() {
  LayerRule r;
  r.kind = Kind::kFlat;
  return r;
}

LayerRule LayerRule::zbox(double low, double high) {
  GNNX_CHECK(low < high, "LRP zbox: need low < high, got low = ", low, ", high = ", high);
  LayerRule r;
  r.kind = Kind::kZBox, r.low = low, r.high = high;
  return r;
}

namespace {

std::vector<double> numbers(const std::string& spec, const std::string& text) {
  std::vector<double> out;
  std::istringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    size_t used = 0;
    double v = 0;
    try {
      v = std::stod(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    GNNX_CHECK(used == item.size() && !item.empty(), "LRP rule \"", spec, "\": \"", item, "\" is not a number");
    out.push_back(v);
  }
  return out;
}

}  // namespace

LayerRule layer_rule_from_string(const std::string& spec) {
  const auto colon = spec.find(':');
  const std::string name = spec.substr(0, colon);
  const std::vector<double> args = colon == std::string::npos ? std::vector<double>{}
                                                              : numbers(spec, spec.substr(colon + 1));
  auto need = [&](bool ok, const char* form) { GNNX_CHECK(ok, "LRP rule \"", spec, "\": expected ", form); };
  LayerRule r;
  if (name == "epsilon") {
    need(args.size() <= 1, "epsilon or epsilon:e");
    r = LrpRule::eps(args.empty() ? 1e-6 : args[0]);
  } else if (name == "gamma") {
    need(args.size() <= 1, "gamma or gamma:g");
    r = LrpRule::gamma_rule(args.empty() ? 0.25 : args[0]);
  } else if (name == "zplus") {
    need(args.empty(), "zplus");
    r = LrpRule::zplus();
  } else if (name == "alphabeta") {
    need(args.empty() || args.size() == 2, "alphabeta or alphabeta:alpha,beta");
    r = args.empty() ? LrpRule::alpha_beta() : LrpRule::alpha_beta(args[0], args[1]);
  } else if (name == "flat") {
    need(args.empty(), "flat");
    return LayerRule::flat();
  } else if (name == "zbox") {
    need(args.size() == 2, "zbox:low,high");
    return LayerRule::zbox(args[0], args[1]);
  } else {
    GNNX_CHECK(false,
               "LRP rule: expected epsilon[:e], gamma[:g], zplus, alphabeta[:a,b], flat or zbox:low,high; got \"", spec,
               "\"");
  }
  r.rule.validate("LRP rule \"" + spec + "\"");
  return r;
}

std::string to_string(const LayerRule& r) {
  switch (r.kind) {
    case LayerRule::Kind::kFlat: return "flat";
    case LayerRule::Kind::kZBox: return "zbox:" + detail::number_text(r.low) + "," + detail::number_text(r.high);
    case LayerRule::Kind::kShared: break;
  }
  switch (r.rule.kind) {
    case LrpRuleKind::kEpsilon: return "epsilon:" + detail::number_text(r.rule.epsilon);
    case LrpRuleKind::kGamma: return "gamma:" + detail::number_text(r.rule.gamma);
    case LrpRuleKind::kZPlus: return "zplus";
    case LrpRuleKind::kAlphaBeta:
      return "alphabeta:" + detail::number_text(r.rule.alpha) + "," + detail::number_text(r.rule.beta);
  }
  return "?";
}

LrpComposite LrpComposite::uniform(const LayerRule& rule) { return LrpComposite().first(rule).conv(rule).dense(rule); }

LrpComposite LrpComposite::epsilon_gamma_box(double low, double high) {
  return LrpComposite().first(LayerRule::zbox(low, high)).conv(LrpRule::gamma_rule(0.25)).dense(LrpRule::eps(1e-6));
}
LrpComposite LrpComposite::epsilon_plus() {
  return LrpComposite().first(LrpRule::zplus()).conv(LrpRule::zplus()).dense(LrpRule::eps(1e-6));
}
LrpComposite LrpComposite::epsilon_plus_flat() { return epsilon_plus().first(LayerRule::flat()); }
LrpComposite LrpComposite::epsilon_alpha2_beta1() {
  return LrpComposite().first(LrpRule::alpha_beta(2, 1)).conv(LrpRule::alpha_beta(2, 1)).dense(LrpRule::eps(1e-6));
}
LrpComposite LrpComposite::epsilon_alpha2_beta1_flat() { return epsilon_alpha2_beta1().first(LayerRule::flat()); }

const LayerRule& LrpComposite::rule_for(const std::string& name, LayerKind kind, bool first_layer) const {
  auto it = by_name().find(name);
  if (it != by_name().end()) return it->second;
  if (first_layer) return first();
  return kind == LayerKind::kConv ? conv() : dense();
}

namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(s);
  while (std::getline(in, cur, sep)) out.push_back(cur);
  return out;
}

}  // namespace

LrpComposite lrp_composite_from_string(const std::string& spec) {
  auto parts = split(spec, ';');
  GNNX_CHECK(!parts.empty() && !parts[0].empty(), "lrp: empty composite");
  const std::string& head = parts[0];
  LrpComposite c;
  if (head.rfind("epsilon-gamma-box", 0) == 0) {
    double lo = -3, hi = 3;
    if (head.size() > 17) {
      GNNX_CHECK(head[17] == ':', "lrp: composite \"", head, "\": expected epsilon-gamma-box[:low,high]");
      auto v = split(head.substr(18), ',');
      GNNX_CHECK(v.size() == 2, "lrp: composite \"", head, "\": expected epsilon-gamma-box:low,high");
      try {
        lo = std::stod(v[0]), hi = std::stod(v[1]);
      } catch (const std::exception&) {
        GNNX_CHECK(false, "lrp: composite \"", head, "\": low and high must be numbers");
      }
    }
    c = LrpComposite::epsilon_gamma_box(lo, hi);
  } else if (head == "epsilon-plus") {
    c = LrpComposite::epsilon_plus();
  } else if (head == "epsilon-plus-flat") {
    c = LrpComposite::epsilon_plus_flat();
  } else if (head == "epsilon-alpha2-beta1") {
    c = LrpComposite::epsilon_alpha2_beta1();
  } else if (head == "epsilon-alpha2-beta1-flat") {
    c = LrpComposite::epsilon_alpha2_beta1_flat();
  } else {
    c = LrpComposite::uniform(layer_rule_from_string(head));
  }
  for (size_t i = 1; i < parts.size(); ++i) {
    const auto eq = parts[i].find('=');
    GNNX_CHECK(eq != std::string::npos && eq > 0, "lrp: composite override \"", parts[i], "\": expected name=rule");
    c.by_name()[parts[i].substr(0, eq)] = layer_rule_from_string(parts[i].substr(eq + 1));
  }
  return c;
}

namespace {

// An affine map f(a, W, b) (b may be undefined), e.g. linear or conv2d.
using AffineFn = std::function<at::Tensor(const at::Tensor& a, const at::Tensor& w, const at::Tensor& b)>;

// A Conv2d/Linear layer as W, b and the affine map f(a, W, b).
struct Affine {
  at::Tensor weight, bias;  // bias may be undefined
  AffineFn f;
};

Affine affine_of(const Layer& l) {
  Affine r;
  if (l.kind == LayerKind::kLinear) {
    if (l.module) {
      auto* lin = l.module->as<torch::nn::Linear>();
      GNNX_CHECK(lin != nullptr, "lrp: layer \"", l.name, "\" is not a torch::nn::Linear");
      r.weight = lin->weight, r.bias = lin->bias;
    } else {
      r.weight = l.script->attr("weight").toTensor();
      auto b = l.script->attr("bias");
      if (b.isTensor()) r.bias = b.toTensor();
    }
    r.f = [](const at::Tensor& a, const at::Tensor& w, const at::Tensor& b) {
      return torch::nn::functional::linear(a, w, b);
    };
    return r;
  }
  GNNX_ASSERT(l.kind == LayerKind::kConv);
  auto g = detail::conv_geometry(l, "lrp");
  r.weight = g.weight, r.bias = g.bias;
  const auto stride = g.stride, padding = g.padding, dilation = g.dilation;
  const int64_t groups = g.groups;
  r.f = [stride, padding, dilation, groups](const at::Tensor& a, const at::Tensor& w, const at::Tensor& b) {
    return torch::conv2d(a, w, b, stride, padding, dilation, groups);
  };
  return r;
}

// Running statistics and affine parameters of a batch norm layer.
struct BatchNormParams {
  at::Tensor mean, var, weight, bias;
  double eps = 1e-5;
};

BatchNormParams batchnorm_of(const Layer& l) {
  BatchNormParams p;
  if (l.module) {
    if (auto* bn = l.module->as<torch::nn::BatchNorm2d>()) {
      p = {bn->running_mean, bn->running_var, bn->weight, bn->bias, bn->options.eps()};
    } else if (auto* bn1 = l.module->as<torch::nn::BatchNorm1d>()) {
      p = {bn1->running_mean, bn1->running_var, bn1->weight, bn1->bias, bn1->options.eps()};
    } else {
      GNNX_CHECK(false, "lrp: layer \"", l.name, "\" is not a BatchNorm1d/2d");
    }
  } else {
    const auto& s = *l.script;
    p.mean = s.attr("running_mean").toTensor(), p.var = s.attr("running_var").toTensor();
    auto w = s.attr("weight"), b = s.attr("bias");
    if (w.isTensor()) p.weight = w.toTensor();
    if (b.isTensor()) p.bias = b.toTensor();
    p.eps = s.attr("eps").toDouble();
  }
  GNNX_CHECK(p.mean.defined() && p.var.defined(), "lrp: batch norm \"", l.name,
             "\" has no running statistics (track_running_stats = false) and cannot be merged");
  return p;
}

// Folds bn into (weight, bias) of the preceding affine layer: output channel dim 0.
void fold(at::Tensor& weight, at::Tensor& bias, const BatchNormParams& bn) {
  auto scale = torch::rsqrt(bn.var + bn.eps);
  if (bn.weight.defined()) scale = scale * bn.weight;
  std::vector<int64_t> shape(static_cast<size_t>(weight.dim()), 1);
  shape[0] = -1;
  auto b = bias.defined() ? bias : torch::zeros_like(bn.mean);
  bias = (b - bn.mean) * scale + (bn.bias.defined() ? bn.bias : torch::zeros_like(bn.mean));
  weight = weight * scale.view(shape);
}

}  // namespace

torch::nn::Sequential merge_batchnorm(const torch::nn::Sequential& seq) {
  GNNX_CHECK(seq.ptr() != nullptr, "merge_batchnorm: the Sequential is empty");
  auto copy = std::dynamic_pointer_cast<torch::nn::SequentialImpl>(seq->clone());
  GNNX_ASSERT(copy != nullptr, "merge_batchnorm: clone is not a Sequential");
  const auto names = copy->named_children().keys();
  const std::vector<torch::nn::AnyModule> mods(copy->begin(), copy->end());
  auto is_bn = [](const torch::nn::AnyModule& m) {
    return m.ptr()->as<torch::nn::BatchNorm2d>() != nullptr || m.ptr()->as<torch::nn::BatchNorm1d>() != nullptr;
  };
  torch::nn::Sequential out;
  torch::NoGradGuard ng;
  for (size_t i = 0; i < mods.size(); ++i) {
    auto m = mods[i].ptr();
    auto* conv = m->as<torch::nn::Conv2d>();
    auto* lin = m->as<torch::nn::Linear>();
    if (is_bn(mods[i])) {
      GNNX_CHECK(i > 0 && (mods[i - 1].ptr()->as<torch::nn::Conv2d>() || mods[i - 1].ptr()->as<torch::nn::Linear>()),
                 "merge_batchnorm: batch norm \"", names[i], "\" does not follow a Conv2d or Linear layer");
      continue;  // folded into its predecessor below
    }
    if (i + 1 < mods.size() && is_bn(mods[i + 1]) && (conv || lin)) {
      Layer bn_layer;
      bn_layer.name = names[i + 1];
      bn_layer.module = mods[i + 1].ptr();
      auto bn = batchnorm_of(bn_layer);
      if (conv) {
        auto w = conv->weight.detach().clone();
        auto b = conv->bias.defined() ? conv->bias.detach().clone() : at::Tensor();
        fold(w, b, bn);
        const auto& o = conv->options;
        torch::nn::Conv2d merged(torch::nn::Conv2dOptions(o.in_channels(), o.out_channels(), o.kernel_size())
                                     .stride(o.stride())
                                     .padding(o.padding())
                                     .dilation(o.dilation())
                                     .groups(o.groups())
                                     .padding_mode(o.padding_mode())
                                     .bias(true));
        merged->weight.copy_(w);
        merged->bias.copy_(b);
        out->push_back(names[i], torch::nn::AnyModule(merged));
      } else {
        auto w = lin->weight.detach().clone();
        auto b = lin->bias.defined() ? lin->bias.detach().clone() : at::Tensor();
        fold(w, b, bn);
        torch::nn::Linear merged(torch::nn::LinearOptions(lin->options.in_features(), lin->options.out_features()));
        merged->weight.copy_(w);
        merged->bias.copy_(b);
        out->push_back(names[i], torch::nn::AnyModule(merged));
      }
      continue;
    }
    out->push_back(names[i], mods[i]);  // the clone's own module: nobody else holds it
  }
  return out;
}

std::map<std::string, std::string> LrpAttributor::options() const {
  const auto& c = options_.composite();
  std::map<std::string, std::string> m{{"first", to_string(c.first())},
                                       {"conv", to_string(c.conv())},
                                       {"dense", to_string(c.dense())},
                                       {"output", options_.output() == OutputRelevance::kLogit ? "logit" : "one"}};
  for (const auto& [name, rule] : c.by_name()) m["layer." + name] = to_string(rule);
  return m;
}

Attribution LrpAttributor::compute(Objective& objective) {
  const auto& layers = objective.layers();
  GNNX_CHECK(!layers.empty(),
             "lrp: the model exposes no layers (use a torch::nn::Sequential or a TorchScript module "
             "whose children run in order)");
  auto x0 = objective.input();
  objective.check_layers(x0);
  const auto& comp = options_.composite();
  int64_t first_param = -1;
  for (size_t i = 0; i < layers.size(); ++i) {
    const auto k = layers[i].kind;
    GNNX_CHECK(k == LayerKind::kConv || k == LayerKind::kLinear || k == LayerKind::kReLU || k == LayerKind::kMaxPool ||
                   k == LayerKind::kAvgPool || k == LayerKind::kBatchNorm || k == LayerKind::kFlatten ||
                   k == LayerKind::kDropout,
               "lrp: no rule for layer \"", layers[i].name, "\" of type ", layers[i].type);
    if (k == LayerKind::kBatchNorm) {
      GNNX_CHECK(i > 0 && (layers[i - 1].kind == LayerKind::kConv || layers[i - 1].kind == LayerKind::kLinear),
                 "lrp: batch norm \"", layers[i].name,
                 "\" does not follow a Conv2d or Linear layer, so it cannot be merged");
    }
    if (first_param < 0 && k != LayerKind::kConv && k != LayerKind::kLinear) {
      // Flat and z^B read the network input: only reshaping layers may come before them.
      GNNX_CHECK(k == LayerKind::kFlatten || k == LayerKind::kDropout || !comp.first().input_layer_only(), "lrp: rule ",
                 to_string(comp.first()), " needs the first Conv2d/Linear layer to see the input, but layer \"",
                 layers[i].name, "\" runs before it");
    }
    if (k == LayerKind::kConv || k == LayerKind::kLinear) {
      if (first_param < 0) first_param = static_cast<int64_t>(i);
      const auto& rule = comp.rule_for(layers[i].name, k, first_param == static_cast<int64_t>(i));
      GNNX_CHECK(!rule.input_layer_only() || first_param == static_cast<int64_t>(i), "lrp: rule ", to_string(rule),
                 " is for the input layer only, but was given to layer \"", layers[i].name, "\"");
    }
  }
  GNNX_CHECK(first_param >= 0, "lrp: the model has no Conv2d or Linear layer");

  auto x = x0.detach().requires_grad_(true);
  std::vector<at::Tensor> leaves;  // extra inputs of the first layer (z^B bounds, flat's ones)
  const auto last_param = [&] {
    for (auto i = static_cast<int64_t>(layers.size()) - 1; i >= 0; --i)
      if (layers[static_cast<size_t>(i)].kind == LayerKind::kConv ||
          layers[static_cast<size_t>(i)].kind == LayerKind::kLinear)
        return i;
    return int64_t{-1};
  }();
  LayerHook hook = [&](int64_t i, const Layer& l, const at::Tensor& in) -> at::Tensor {
    switch (l.kind) {
      case LayerKind::kConv:
      case LayerKind::kLinear: {
        auto aff = affine_of(l);
        auto w = aff.weight.detach(), b = aff.bias.defined() ? aff.bias.detach() : at::Tensor();
        if (i + 1 < static_cast<int64_t>(layers.size()) &&
            layers[static_cast<size_t>(i + 1)].kind == LayerKind::kBatchNorm) {
          fold(w, b, batchnorm_of(layers[static_cast<size_t>(i + 1)]));
        }
        const auto& rule = comp.rule_for(l.name, l.kind, i == first_param);
        at::Tensor z;
        {
          torch::NoGradGuard ng;
          z = aff.f(in, w, b);
        }
        at::Tensor out;
        const double stab = 1e-6;  // Zennit's stabiliser of flat and z^B
        switch (rule.kind) {
          case LayerRule::Kind::kShared:
            out = lrp_forward(rule.rule, in, z, [&](const at::Tensor& input, const ParamTransform& t) {
              return aff.f(input, t.weight(w), t.bias(b));
            });
            break;
          case LayerRule::Kind::kFlat: {
            auto ones = torch::ones_like(in).requires_grad_(true);
            leaves.push_back(ones);
            out = lrp_detach_trick(aff.f(ones, torch::ones_like(w), at::Tensor()), z, stab);
            break;
          }
          case LayerRule::Kind::kZBox: {
            auto lo = torch::full_like(in, rule.low).requires_grad_(true);
            auto hi = torch::full_like(in, rule.high).requires_grad_(true);
            leaves.push_back(lo);
            leaves.push_back(hi);
            auto pos = [](const at::Tensor& t) { return t.defined() ? t.clamp_min(0) : t; };
            auto neg = [](const at::Tensor& t) { return t.defined() ? t.clamp_max(0) : t; };
            out = lrp_detach_trick(aff.f(in, w, b) - aff.f(lo, pos(w), pos(b)) - aff.f(hi, neg(w), neg(b)), z, stab);
            break;
          }
        }
        if (i == last_param && options_.output() == OutputRelevance::kOne) {
          // Divide by the (detached) forward value: the output relevance becomes 1.
          out = out / lrp_stabilize(out.detach(), 1e-12);
        }
        return out;
      }
      case LayerKind::kBatchNorm: return in;  // folded into the previous layer
      case LayerKind::kAvgPool: {             // Zennit's Norm rule: ε rule without parameters
        auto p = l.forward(in);
        return lrp_detach_trick(p, p.detach(), 1e-6);
      }
      case LayerKind::kDropout: return in;
      default: return {};  // ReLU, max pooling, flatten: plain gradient
    }
  };
  auto items = detail::all_items(x);
  auto scores = objective.scores(x, items, &hook);
  std::vector<at::Tensor> wrt{x};
  wrt.insert(wrt.end(), leaves.begin(), leaves.end());
  auto grads = torch::autograd::grad({scores.sum()}, wrt, {}, /*retain_graph=*/false, /*create_graph=*/false,
                                     /*allow_unused=*/true);
  auto relevance = torch::zeros_like(x0);
  for (size_t k = 0; k < wrt.size(); ++k) {
    if (!grads[k].defined()) continue;
    // Leaves have the first layer's input shape: x0's, or x0 flattened.
    relevance = relevance + (wrt[k].detach() * grads[k]).view(x0.sizes());
  }
  Attribution a;
  a.values = relevance;
  a.diagnostics["output"] = scores.detach();
  return a;
}

}  // namespace gnnx::attribution
