// SmoothGrad and the noise tunnel with supplied noise against the saliencies of the noisy
// inputs; drawn noise repeats with its seed.
#include "gnnx/attribution/noise_tunnel.h"

#include <memory>

#include <torch/torch.h>

#include "gnnx/attribution/gradient.h"
#include "gnnx/attribution/integrated_gradients.h"
#include "support/catch.h"
#include "support/tanh_net.h"
#include "support/tensor_match.h"

using namespace gnnx;
using namespace gnnx::attribution;
using gnnx::test::TanhNet;

TEST_CASE("SmoothGrad with supplied noise equals the mean of the saliencies of the noisy inputs", "[attribution]") {
  TanhNet net;
  auto model = ImageModel::sequential(net.seq);
  auto x = torch::randn({2, 4}, torch::kDouble);
  std::vector<int64_t> labels{0, 2};
  const int64_t S = 4;
  auto noise = 0.3 * torch::randn({2, S, 4}, torch::kDouble);
  std::vector<at::Tensor> sal(2), sq(2);
  for (int64_t b = 0; b < 2; ++b) {
    auto noisy = x[b].unsqueeze(0) + noise[b];  // [S, 4]
    auto g = net.gradient(noisy, std::vector<int64_t>(S, labels[static_cast<size_t>(b)]));
    sal[static_cast<size_t>(b)] = g.abs().mean(0);
    sq[static_cast<size_t>(b)] = g.square().mean(0);
  }
  auto sg = NoiseTunnel(std::make_shared<Saliency>(), NoiseTunnelOptions().noise(noise)).attribute(model, x, labels);
  CHECK(sg.method == "smoothgrad");
  GNNX_REQUIRE_CLOSE(sg.values, torch::stack(sal), 1e-12, 1e-12);
  auto sgsq = NoiseTunnel(std::make_shared<Saliency>(SaliencyOptions().abs(false)),
                          NoiseTunnelOptions().noise(noise.reshape({2 * S, 4})).type(NoiseTunnelType::kSmoothGradSq))
                  .attribute(model, x, labels);
  GNNX_REQUIRE_CLOSE(sgsq.values, torch::stack(sq), 1e-12, 1e-12);
  auto vg = NoiseTunnel(std::make_shared<Saliency>(), NoiseTunnelOptions().noise(noise).type(NoiseTunnelType::kVarGrad))
                .attribute(model, x, labels);
  GNNX_REQUIRE_CLOSE(vg.values, torch::stack(sq) - torch::stack(sal).square(), 1e-10, 1e-12);
  // Drawn noise: seeded, so the same seed repeats and another seed differs.
  auto a =
      NoiseTunnel(std::make_shared<Saliency>(), NoiseTunnelOptions().seed(5).stdev(0.5)).attribute(model, x, labels);
  auto b =
      NoiseTunnel(std::make_shared<Saliency>(), NoiseTunnelOptions().seed(5).stdev(0.5)).attribute(model, x, labels);
  auto c =
      NoiseTunnel(std::make_shared<Saliency>(), NoiseTunnelOptions().seed(6).stdev(0.5)).attribute(model, x, labels);
  GNNX_REQUIRE_CLOSE(a.values, b.values, 0.0, 0.0);
  CHECK_FALSE(torch::allclose(a.values, c.values));
  // Over integrated gradients: the per-sample deltas come back as [B, S].
  auto nig = NoiseTunnel(std::make_shared<IntegratedGradients>(IntegratedGradientsOptions().steps(8)),
                         NoiseTunnelOptions().noise(noise))
                 .attribute(model, x, labels);
  CHECK(nig.method == "noise-tunnel(ig)");
  REQUIRE(nig.diagnostics.at("delta").sizes() == c10::IntArrayRef({2, S}));
}

TEST_CASE("Drawn noise is Captum's: one float32 randn of [B*S, *item] from torch_generator(seed), times stdev",
          "[attribution][noise]") {
  TanhNet net;
  auto model = ImageModel::sequential(net.seq);
  auto x = torch::randn({2, 4}, torch::kDouble);
  std::vector<int64_t> labels{1, 0};
  const int64_t S = 3;
  // torch.manual_seed(7); torch.normal(0, torch.tensor(0.25).repeat(6, 4)) in Python.
  auto captum_noise = (torch::randn({2 * S, 4}, gnnx::torch_generator(7), torch::kFloat) * 0.25).to(torch::kDouble);
  for (auto type : {NoiseTunnelType::kSmoothGrad, NoiseTunnelType::kSmoothGradSq, NoiseTunnelType::kVarGrad}) {
    auto drawn = NoiseTunnel(std::make_shared<Saliency>(),
                             NoiseTunnelOptions().seed(7).stdev(0.25).samples(S).type(type))
                     .attribute(model, x, labels);
    auto given = NoiseTunnel(std::make_shared<Saliency>(), NoiseTunnelOptions().noise(captum_noise).type(type))
                     .attribute(model, x, labels);
    GNNX_REQUIRE_CLOSE(drawn.values, given.values, 0.0, 0.0);
  }
}

TEST_CASE("A noise tunnel reuses its draw only for the same shape, dtype and device", "[attribution][noise]") {
  TanhNet net;
  auto model = ImageModel::sequential(net.seq);
  auto x = torch::randn({2, 4}, torch::kDouble);
  auto y = torch::randn({3, 4}, torch::kDouble);
  std::vector<int64_t> labels{1};
  auto opts = NoiseTunnelOptions().seed(3).stdev(0.4).samples(5);
  auto fresh = [&](const at::Tensor& input) {
    return NoiseTunnel(std::make_shared<Saliency>(), opts).attribute(model, input, labels).values;
  };
  NoiseTunnel kept(std::make_shared<Saliency>(), opts);
  // Another input of the same shape: the kept draw is the one a fresh tunnel makes.
  GNNX_REQUIRE_CLOSE(kept.attribute(model, x, labels).values, fresh(x), 0.0, 0.0);
  GNNX_REQUIRE_CLOSE(kept.attribute(model, x * 2, labels).values, fresh(x * 2), 0.0, 0.0);
  // Another shape, another dtype, then the first shape again: each drawn as a fresh tunnel draws it.
  GNNX_REQUIRE_CLOSE(kept.attribute(model, y, labels).values, fresh(y), 0.0, 0.0);
  auto xf = x.to(torch::kFloat);
  net.seq->to(torch::kFloat);
  GNNX_REQUIRE_CLOSE(kept.attribute(model, xf, labels).values, fresh(xf), 0.0, 0.0);
  net.seq->to(torch::kDouble);
  GNNX_REQUIRE_CLOSE(kept.attribute(model, x, labels).values, fresh(x), 0.0, 0.0);
  // A copy shares the draw and gives the same values.
  NoiseTunnel copy = kept;
  GNNX_REQUIRE_CLOSE(copy.attribute(model, x, labels).values, fresh(x), 0.0, 0.0);
}
