#include "gnnx/attribution/lrp_rules.h"

#include <cmath>
#include <sstream>

#include <torch/torch.h>

#include "gnnx/core/check.h"

namespace gnnx::attribution {

LrpRule LrpRule::eps(double epsilon) {
  LrpRule r;
  r.kind = LrpRuleKind::kEpsilon;
  r.epsilon = epsilon;
  return r;
}

LrpRule LrpRule::gamma_rule(double gamma, double epsilon) {
  LrpRule r;
  r.kind = LrpRuleKind::kGamma;
  r.gamma = gamma;
  r.epsilon = epsilon;
  return r;
}

LrpRule LrpRule::zplus(double epsilon) {
  LrpRule r = alpha_beta(1.0, 0.0, epsilon);
  r.kind = LrpRuleKind::kZPlus;
  return r;
}

LrpRule LrpRule::alpha_beta(double alpha, double beta, double epsilon) {
  LrpRule r;
  r.kind = LrpRuleKind::kAlphaBeta;
  r.alpha = alpha;
  r.beta = beta;
  r.epsilon = epsilon;
  return r;
}

void LrpRule::validate(const std::string& op) const {
  GNNX_CHECK(std::isfinite(epsilon) && epsilon >= 0, op, ": LRP stabiliser epsilon must be >= 0, got ", epsilon);
  if (kind == LrpRuleKind::kGamma)
    GNNX_CHECK(std::isfinite(gamma) && gamma >= 0, op, ": LRP gamma must be >= 0, got ", gamma);
  if (kind == LrpRuleKind::kAlphaBeta || kind == LrpRuleKind::kZPlus) {
    GNNX_CHECK(alpha >= 0 && beta >= 0, op, ": LRP alpha and beta must be >= 0, got alpha = ", alpha,
               ", beta = ", beta);
    GNNX_CHECK(std::abs(alpha - beta - 1.0) < 1e-12, op,
               ": LRP alpha - beta must be 1 (conservation), got alpha = ", alpha, ", beta = ", beta);
  }
}

std::string LrpRule::describe() const {
  std::ostringstream s;
  switch (kind) {
    case LrpRuleKind::kEpsilon: s << "epsilon(" << epsilon << ")"; break;
    case LrpRuleKind::kGamma: s << "gamma(" << gamma << ", eps=" << epsilon << ")"; break;
    case LrpRuleKind::kZPlus: s << "zplus(eps=" << epsilon << ")"; break;
    case LrpRuleKind::kAlphaBeta: s << "alpha-beta(" << alpha << ", " << beta << ", eps=" << epsilon << ")"; break;
  }
  return s.str();
}

at::Tensor lrp_stabilize(const at::Tensor& z, double epsilon) {
  if (epsilon == 0) return z;
  // sign(0) = +1, as Zennit's stabilizer.
  auto sign = torch::where(z >= 0, torch::ones_like(z), -torch::ones_like(z));
  return z + epsilon * sign;
}

at::Tensor lrp_ratio(const at::Tensor& a, const at::Tensor& z, double epsilon) {
  auto den = lrp_stabilize(z, epsilon);
  auto zero = den == 0;
  // Divide by 1 where the denominator is exactly 0 and zero the result there: no NaN, and no
  // NaN gradient either (the ratio is detached by its callers).
  return torch::where(zero, torch::zeros_like(a * den), a / torch::where(zero, torch::ones_like(den), den));
}

at::Tensor gamma_transform(const at::Tensor& w, double gamma) { return gamma == 0 ? w : w + gamma * w.clamp_min(0); }

ParamTransform ParamTransform::identity() { return {}; }

ParamTransform ParamTransform::gamma(double g) {
  ParamTransform t;
  t.weight_fn = [g](const at::Tensor& w) { return gamma_transform(w, g); };
  t.bias_fn = t.weight_fn;
  return t;
}

ParamTransform ParamTransform::positive() {
  ParamTransform t;
  t.weight_fn = [](const at::Tensor& w) { return w.clamp_min(0); };
  t.bias_fn = t.weight_fn;
  return t;
}

ParamTransform ParamTransform::negative() {
  ParamTransform t;
  t.weight_fn = [](const at::Tensor& w) { return w.clamp_max(0); };
  t.bias_fn = t.weight_fn;
  return t;
}

ParamTransform ParamTransform::positive_no_bias() {
  ParamTransform t = positive();
  t.bias_fn = [](const at::Tensor& b) { return torch::zeros_like(b); };
  return t;
}

ParamTransform ParamTransform::negative_no_bias() {
  ParamTransform t = negative();
  t.bias_fn = [](const at::Tensor& b) { return torch::zeros_like(b); };
  return t;
}

at::Tensor lrp_detach_trick(const at::Tensor& z_mod, const at::Tensor& output, double epsilon) {
  auto ratio = lrp_ratio(output.detach(), z_mod.detach(), epsilon);
  auto y = z_mod * ratio;
  // Forward value exactly `output`: the stabiliser (and zeroed 0/0 units) would otherwise shift it.
  return y + (output.detach() - y.detach());
}

at::Tensor lrp_forward(const LrpRule& rule, const at::Tensor& input, const at::Tensor& output,
                       const ModifiedForward& f) {
  rule.validate("lrp_forward");
  GNNX_CHECK(input.defined() && output.defined(), "lrp_forward: input and output must be defined");
  auto checked = [&](const at::Tensor& p) {
    GNNX_CHECK(p.sizes() == output.sizes(), "lrp_forward: the modified forward returned shape ", p.sizes(),
               " but the layer's output has shape ", output.sizes());
    return p;
  };
  switch (rule.kind) {
    case LrpRuleKind::kEpsilon:
      return lrp_detach_trick(checked(f(input, ParamTransform::identity())), output, rule.epsilon);
    case LrpRuleKind::kGamma:
      return lrp_detach_trick(checked(f(input, ParamTransform::gamma(rule.gamma))), output, rule.epsilon);
    case LrpRuleKind::kZPlus:
    case LrpRuleKind::kAlphaBeta: {
      // The input's positive and negative parts each meet the weights that make a_j w_jk of
      // the wanted sign; clamp_min/clamp_max pass the gradient only where the part is active.
      auto in_pos = input.clamp_min(0), in_neg = input.clamp_max(0);
      auto p_pos = checked(f(in_pos, ParamTransform::positive())) + f(in_neg, ParamTransform::negative_no_bias());
      auto y = rule.alpha * lrp_detach_trick(p_pos, output, rule.epsilon);
      if (rule.beta != 0) {
        auto p_neg = checked(f(in_pos, ParamTransform::negative())) + f(in_neg, ParamTransform::positive_no_bias());
        y = y - rule.beta * lrp_detach_trick(p_neg, output, rule.epsilon);
      }
      return y + (output.detach() - y.detach());
    }
  }
  return output;
}

at::Tensor lrp_linear(const LrpRule& rule, const at::Tensor& input, const at::Tensor& output, const at::Tensor& weight,
                      const at::Tensor& bias) {
  GNNX_CHECK(weight.defined() && weight.dim() == 2, "lrp_linear: weight must have shape [out, in], got ",
             weight.defined() ? weight.sizes() : at::IntArrayRef{});
  GNNX_CHECK(input.defined() && input.size(-1) == weight.size(1), "lrp_linear: input must end in ", weight.size(1),
             " features, got ", input.defined() ? input.sizes() : at::IntArrayRef{});
  return lrp_forward(rule, input, output, [&](const at::Tensor& in, const ParamTransform& t) {
    auto b = t.bias(bias);
    return b.defined() ? torch::nn::functional::linear(in, t.weight(weight), b)
                       : torch::nn::functional::linear(in, t.weight(weight));
  });
}

}  // namespace gnnx::attribution
