// LRP for CNNs: rule formulas on a 2-layer network by hand, conservation, Zennit's conventions,
// batch-norm merging, composites and errors.
#include "gnnx/attribution/lrp.h"

#include <torch/torch.h>

#include "gnnx/core/random.h"
#include "support/catch.h"
#include "support/tensor_match.h"

using namespace gnnx::attribution;
namespace tnn = torch::nn;

namespace {

// x = [1, 2] -> fc1 (W1 = [[1, 1], [-1, 2]], no bias) -> ReLU -> fc2 (W2 = [[1, -0.5]]) -> y.
// h = [3, 3], y = 1.5.
tnn::Sequential two_layer() {
  tnn::Linear fc1(tnn::LinearOptions(2, 2).bias(false)), fc2(tnn::LinearOptions(2, 1).bias(false));
  torch::NoGradGuard ng;
  fc1->weight.copy_(torch::tensor({{1.0f, 1.0f}, {-1.0f, 2.0f}}));
  fc2->weight.copy_(torch::tensor({{1.0f, -0.5f}}));
  return tnn::Sequential({{"fc1", fc1}, {"relu", tnn::ReLU()}, {"fc2", fc2}});
}

at::Tensor lrp(const tnn::Sequential& net, const at::Tensor& x, const LrpComposite& c,
               OutputRelevance out = OutputRelevance::kLogit, std::vector<int64_t> labels = {0}) {
  return LrpAttributor(LrpOptions().composite(c).output(out)).attribute(ImageModel::sequential(net), x, labels).values;
}

}  // namespace

TEST_CASE("LRP rules on a 2-layer network, computed by hand", "[lrp]") {
  auto net = two_layer();
  auto x = torch::tensor({{1.0f, 2.0f}});
  auto expect = [&](const LrpComposite& c, std::vector<float> r) {
    GNNX_REQUIRE_CLOSE(lrp(net, x, c), torch::tensor(r).view({1, 2}), 1e-5, 1e-5);
  };
  // ε: R_h = h ⊙ W2 · y / y = [3, -1.5]; R_x = Σ_k x_j w_kj / z_k · R_k = [1, 2] + [0.5, -2].
  expect(LrpComposite::uniform(LrpRule::eps()), {1.5f, 0.0f});
  // z⁺: W2⁺ = [1, 0] -> R_h = [1.5, 0]; neuron 1 splits 1.5 as x ⊙ [1, 1] / 3.
  expect(LrpComposite::uniform(LrpRule::zplus()), {0.5f, 1.0f});
  // γ = 1: top w' = [2, -0.5], ρ = 4.5 -> R_h = [2, -0.5]; bottom rows [2, 2] (ρ = 6) and
  // [-1, 4] (ρ = 7): R_x = [2/3, 4/3] + [1/14, -4/7].
  expect(LrpComposite::uniform(LrpRule::gamma_rule(1.0)), {2.0f / 3 + 1.0f / 14, 4.0f / 3 - 4.0f / 7});
  // α2β1: top: 2·[1, 0]·1.5 − [0, 1]·1.5 = [3, −1.5]; bottom neuron 1 (ρ⁺ = 3, ρ⁻ = 0):
  // 2·[1, 2]/3·3 = [2, 4]; neuron 2 (ρ⁺ = 4, ρ⁻ = −1): 2·[0, 4]/4·(−1.5) − [−1, 0]/(−1)·(−1.5).
  expect(LrpComposite::uniform(LrpRule::alpha_beta(2, 1)), {3.5f, 1.0f});
  // flat first layer: each neuron spreads its relevance evenly: [1.5, 1.5] + [-0.75, -0.75].
  expect(LrpComposite::uniform(LrpRule::eps()).first(LayerRule::flat()), {0.75f, 0.75f});
  // z^B(l = −1, h = 3): neuron 1 terms x w − l w⁺ − h w⁻ = [2, 3] over 5, times 3;
  // neuron 2 terms [−1 + 3, 4 + 2] = [2, 6] over 8, times −1.5.
  expect(LrpComposite::uniform(LrpRule::eps()).first(LayerRule::zbox(-1, 3)), {0.825f, 0.675f});
  // Zennit's stabiliser: sign(0) = +1.
  GNNX_REQUIRE_CLOSE(lrp_stabilize(torch::tensor({-2.0, 0.0, 3.0}), 0.5), torch::tensor({-2.5, 0.5, 3.5}));
}

namespace {

tnn::Sequential bias_free_cnn(uint64_t seed) {
  torch::manual_seed(static_cast<int64_t>(seed));
  return tnn::Sequential({{"conv1", tnn::Conv2d(tnn::Conv2dOptions(2, 4, 3).padding(1).bias(false))},
                          {"relu1", tnn::ReLU()},
                          {"pool1", tnn::MaxPool2d(tnn::MaxPool2dOptions(2))},
                          {"conv2", tnn::Conv2d(tnn::Conv2dOptions(4, 6, 3).padding(1).bias(false))},
                          {"relu2", tnn::ReLU()},
                          {"gap", tnn::AdaptiveAvgPool2d(tnn::AdaptiveAvgPool2dOptions(1))},
                          {"flatten", tnn::Flatten()},
                          {"fc", tnn::Linear(tnn::LinearOptions(6, 3).bias(false))}});
}

}  // namespace

TEST_CASE("LRP conserves the logit with epsilon -> 0 and no biases", "[lrp]") {
  auto net = bias_free_cnn(1);
  auto x = torch::randn({3, 2, 8, 8}, gnnx::torch_generator(5));
  auto logits = net->forward(x);
  std::vector<int64_t> labels{0, 1, 2};
  auto picked = logits.gather(1, torch::tensor(labels).view({3, 1})).squeeze(1);
  for (const auto& c : {LrpComposite::uniform(LrpRule::eps(1e-9)), LrpComposite::epsilon_plus(),
                        LrpComposite::epsilon_gamma_box(-5, 5), LrpComposite::epsilon_plus_flat()}) {
    auto r = lrp(net, x, c, OutputRelevance::kLogit, labels);
    REQUIRE(r.sizes() == x.sizes());
    GNNX_REQUIRE_CLOSE(r.flatten(1).sum(1), picked, 1e-4, 1e-6);
  }
  // With R_out = 1 (Zennit's start), the relevance sums to 1.
  auto one = lrp(net, x, LrpComposite::uniform(LrpRule::eps(1e-9)), OutputRelevance::kOne, labels);
  GNNX_REQUIRE_CLOSE(one.flatten(1).sum(1), torch::ones({3}), 1e-4, 1e-6);
  // LRP-0 on a bias-free ReLU network is gradient x input.
  auto xg = x.clone().requires_grad_(true);
  auto s = net->forward(xg).gather(1, torch::tensor(labels).view({3, 1})).sum();
  auto g = torch::autograd::grad({s}, {xg})[0];
  GNNX_REQUIRE_CLOSE(lrp(net, x, LrpComposite::uniform(LrpRule::eps(0)), OutputRelevance::kLogit, labels), x * g, 1e-4,
                     1e-6);
}

namespace {

// Zennit's rules in its own relevance-flow form (zennit.rules.Epsilon / ZPlus / Gamma with
// zennit.core.stabilize, ReLU passing relevance through its gradient), written with explicit
// matrices for a bias-free MLP; attr_output = one-hot (R_out = 1).
at::Tensor zennit_reference(const std::vector<at::Tensor>& weights, at::Tensor x, int64_t c, const std::string& rule,
                            double param) {
  auto stab = [](const at::Tensor& z, double eps) { return z + ((z == 0).to(z.dtype()) + z.sign()) * eps; };
  std::vector<at::Tensor> inputs;  // input of each linear layer
  auto a = x;
  for (size_t l = 0; l < weights.size(); ++l) {
    inputs.push_back(a);
    auto z = a.matmul(weights[l].t());
    a = l + 1 < weights.size() ? torch::relu(z) : z;
  }
  auto R = torch::zeros_like(a);
  R.select(1, c).fill_(1.0);
  for (auto l = static_cast<int64_t>(weights.size()) - 1; l >= 0; --l) {
    const auto& W = weights[static_cast<size_t>(l)];
    auto in = inputs[static_cast<size_t>(l)];
    auto ap = in.clamp_min(0), an = in.clamp_max(0), Wp = W.clamp_min(0), Wn = W.clamp_max(0);
    if (rule == "epsilon") {
      R = in * (R / stab(in.matmul(W.t()), param)).matmul(W);
    } else if (rule == "zplus") {
      auto s = R / stab(ap.matmul(Wp.t()) + an.matmul(Wn.t()), 1e-6);
      R = ap * s.matmul(Wp) + an * s.matmul(Wn);
    } else {  // gamma
      // Gamma for non-negative inputs (zennit <= 0.4's Gamma and Captum's GammaRule: W + γW⁺;
      // zennit >= 0.5 coincides with it for a >= 0 and positive outputs).
      auto Wg = W + param * Wp;
      R = in * (R / stab(in.matmul(Wg.t()), 1e-6)).matmul(Wg);
    }
    if (l > 0) R = R * (inputs[static_cast<size_t>(l)] > 0).to(R.dtype());  // ReLU gradient (Pass)
  }
  return R;
}

}  // namespace

TEST_CASE("LRP epsilon, gamma and z+ agree with Zennit's conventions on a bias-free ReLU MLP", "[lrp]") {
  torch::manual_seed(4);
  tnn::Linear l1(tnn::LinearOptions(5, 7).bias(false)), l2(tnn::LinearOptions(7, 6).bias(false)),
      l3(tnn::LinearOptions(6, 3).bias(false));
  auto net = tnn::Sequential({{"l1", l1}, {"r1", tnn::ReLU()}, {"l2", l2}, {"r2", tnn::ReLU()}, {"l3", l3}});
  // In double precision on both sides: some rows have denominators near the stabiliser, where
  // float32 rounding (which differs between CPUs' vector units) is amplified past the tolerance.
  net->to(torch::kDouble);
  std::vector<at::Tensor> w{l1->weight.detach(), l2->weight.detach(), l3->weight.detach()};
  // Inputs of both signs for ε and z⁺ (z⁺ meets a⁻ with W⁻, as Zennit's ZPlus); γ is compared on
  // non-negative inputs, where every Gamma convention agrees.
  auto x_mixed = torch::randn({4, 5}, gnnx::torch_generator(9)).to(torch::kDouble);
  for (int64_t c : {0, 2}) {
    std::vector<int64_t> labels(4, c);
    struct Case {
      LrpRule rule;
      std::string name;
      double param;
    };
    for (const auto& k : {Case{LrpRule::eps(1e-6), "epsilon", 1e-6}, Case{LrpRule::eps(0.1), "epsilon", 0.1},
                          Case{LrpRule::zplus(), "zplus", 0}, Case{LrpRule::gamma_rule(0.25), "gamma", 0.25}}) {
      INFO(k.name << " " << k.param << " class " << c);
      auto x = k.name == "gamma" ? x_mixed.abs() : x_mixed;
      auto ours = lrp(net, x, LrpComposite::uniform(k.rule), OutputRelevance::kOne, labels);
      auto ref = zennit_reference(w, x, c, k.name, k.param);
      GNNX_REQUIRE_CLOSE(ours, ref, 1e-9, 1e-12);
    }
  }
}

TEST_CASE("BatchNorm merging leaves the forward output (and LRP) unchanged", "[lrp]") {
  torch::manual_seed(2);
  tnn::BatchNorm2d bn(3);
  auto net = tnn::Sequential({{"conv", tnn::Conv2d(tnn::Conv2dOptions(2, 3, 3).padding(1))},
                              {"bn", bn},
                              {"relu", tnn::ReLU()},
                              {"gap", tnn::AdaptiveAvgPool2d(tnn::AdaptiveAvgPool2dOptions(1))},
                              {"flatten", tnn::Flatten()},
                              {"fc", tnn::Linear(3, 2)}});
  {
    torch::NoGradGuard ng;
    bn->running_mean.copy_(torch::tensor({0.3f, -0.2f, 0.1f}));
    bn->running_var.copy_(torch::tensor({0.5f, 2.0f, 1.5f}));
    bn->weight.copy_(torch::tensor({1.5f, -0.7f, 0.9f}));
    bn->bias.copy_(torch::tensor({0.2f, 0.1f, -0.3f}));
  }
  net->eval();
  auto merged = merge_batchnorm(net);
  REQUIRE(merged->size() == net->size() - 1);
  auto x = torch::randn({2, 2, 5, 5}, gnnx::torch_generator(1));
  GNNX_REQUIRE_CLOSE(merged->forward(x), net->forward(x), 1e-5, 1e-6);
  auto c = LrpComposite::epsilon_plus();
  GNNX_REQUIRE_CLOSE(lrp(net, x, c, OutputRelevance::kLogit, {1, 0}),
                     lrp(merged, x, c, OutputRelevance::kLogit, {1, 0}), 1e-4, 1e-6);
}

TEST_CASE("LRP composites from text, and option errors", "[lrp]") {
  auto c = lrp_composite_from_string("epsilon-gamma-box:-1,2;fc=epsilon:0.5");
  REQUIRE(c.first().kind == LayerRule::Kind::kZBox);
  REQUIRE(c.first().low == -1.0);
  REQUIRE(c.conv().rule.kind == LrpRuleKind::kGamma);
  REQUIRE(c.rule_for("fc", LayerKind::kLinear, false).rule.epsilon == 0.5);
  REQUIRE(to_string(layer_rule_from_string("alphabeta:2,1")) == "alphabeta:2,1");
  REQUIRE(lrp_composite_from_string("zplus").dense().rule.kind == LrpRuleKind::kZPlus);

  GNNX_REQUIRE_ERROR("expected epsilon", layer_rule_from_string("sigma"));
  GNNX_REQUIRE_ERROR("alpha - beta", layer_rule_from_string("alphabeta:1,1"));
  GNNX_REQUIRE_ERROR("not a number", layer_rule_from_string("gamma:x"));
  GNNX_REQUIRE_ERROR("low < high", LayerRule::zbox(1, 0));
  GNNX_REQUIRE_ERROR("name=rule", lrp_composite_from_string("epsilon;fc"));
  auto net = two_layer();
  auto x = torch::tensor({{1.0f, 2.0f}});
  GNNX_REQUIRE_ERROR("input layer only",
                     lrp(net, x,
                         LrpComposite::uniform(LrpRule::eps()).by_name(LrpRuleMap{{"fc2", LayerRule::flat()}})));
  auto tanh_net = tnn::Sequential({{"fc", tnn::Linear(2, 2)}, {"tanh", tnn::Tanh()}});
  GNNX_REQUIRE_ERROR("no rule for layer", lrp(tanh_net, x, LrpComposite()));
  auto bn_first = tnn::Sequential({{"bn", tnn::BatchNorm1d(2)}, {"fc", tnn::Linear(2, 2)}});
  bn_first->eval();
  GNNX_REQUIRE_ERROR("does not follow", merge_batchnorm(bn_first));
}
