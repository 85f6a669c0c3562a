// make_attributor: attribution methods by name, with options as text (command line, explain
// adapters). One line per method in the table below.
#include <functional>
#include <utility>
#include <vector>

#include "gnnx/attribution/activation_max.h"
#include "gnnx/attribution/cam.h"
#include "gnnx/attribution/gradient.h"
#include "gnnx/attribution/integrated_gradients.h"
#include "gnnx/attribution/lrp.h"
#include "gnnx/attribution/noise_tunnel.h"
#include "gnnx/attribution/occlusion.h"
#include "gnnx/core/check.h"

namespace gnnx::attribution {
namespace {

using Factory = std::function<std::unique_ptr<Attributor>(const OptionMap&)>;

std::unique_ptr<Attributor> make_saliency(const OptionMap& o) {
  OptionReader r("saliency", o);
  auto opts = SaliencyOptions().abs(r.get_bool("abs", true));
  r.finish();
  return std::make_unique<Saliency>(opts);
}

template <typename T>
Factory no_options(const char* name) {
  return [name](const OptionMap& o) -> std::unique_ptr<Attributor> {
    OptionReader(name, o).finish();
    return std::make_unique<T>();
  };
}

std::unique_ptr<Attributor> make_ig(const OptionMap& o) {
  OptionReader r("ig", o);
  auto opts = IntegratedGradientsOptions()
                  .steps(r.get_int("steps", 50))
                  .method(integration_method_from_string(r.get_string("method", "gausslegendre")))
                  .baseline_value(r.get_double("baseline", 0.0))
                  .internal_batch_size(r.get_int("internal_batch_size", -1));
  r.finish();
  return std::make_unique<IntegratedGradients>(opts);
}

// The noise tunnel reads its own keys and hands every other key to the base method's factory.
std::unique_ptr<Attributor> make_noise_tunnel(const OptionMap& o, const std::string& default_base) {
  OptionReader r("noise-tunnel", o);
  auto opts = NoiseTunnelOptions()
                  .type(noise_tunnel_type_from_string(r.get_string("type", "smoothgrad")))
                  .samples(r.get_int("samples", 5))
                  .stdev(r.get_double("stdev", 1.0))
                  .seed(static_cast<uint64_t>(r.get_int("seed", 0)));
  const std::string base = r.get_string("base", default_base);
  GNNX_CHECK(base != "smoothgrad" && base != "noise-tunnel", "noise-tunnel: the base method cannot be a noise tunnel");
  OptionMap rest;
  for (const auto& [k, v] : o)
    if (k != "type" && k != "samples" && k != "stdev" && k != "seed" && k != "base") rest[k] = v;
  return std::make_unique<NoiseTunnel>(make_attributor(base, rest), opts);
}

std::unique_ptr<Attributor> make_occlusion(const OptionMap& o) {
  OptionReader r("occlusion", o);
  auto opts = OcclusionOptions()
                  .window(r.get_ints("window", {}))
                  .strides(r.get_ints("strides", {1}))
                  .baseline(r.get_double("baseline", 0.0))
                  .perturbations_per_eval(r.get_int("perturbations_per_eval", 1));
  r.finish();
  return std::make_unique<Occlusion>(opts);
}

CamOptions read_cam_options(OptionReader& r) {
  return CamOptions()
      .layer(r.get_string("layer", ""))
      .upsample(upsample_from_string(r.get_string("upsample", "bilinear")))
      .normalize(r.get_bool("normalize", false))
      .relu(r.get_bool("relu", true));
}

Factory make_cam(const char* name, CamKind kind) {
  return [name, kind](const OptionMap& o) -> std::unique_ptr<Attributor> {
    OptionReader r(name, o);
    auto opts = read_cam_options(r).kind(kind);
    r.finish();
    return std::make_unique<CamAttributor>(opts);
  };
}

std::unique_ptr<Attributor> make_guided_gradcam(const OptionMap& o) {
  OptionReader r("guided-gradcam", o);
  auto opts = read_cam_options(r);
  r.finish();
  return std::make_unique<GuidedGradCamAttributor>(opts);
}

// "rule" gives one rule everywhere, "composite" a named composite (with ";layer=rule" overrides).
std::unique_ptr<Attributor> make_lrp(const OptionMap& o) {
  OptionReader r("lrp", o);
  GNNX_CHECK(!(r.has("rule") && r.has("composite")), "lrp: give either rule or composite, not both");
  const auto spec = r.has("rule") ? r.get_string("rule", "epsilon") : r.get_string("composite", "epsilon");
  const auto output = r.get_string("output", "logit");
  GNNX_CHECK(output == "logit" || output == "one", "lrp: output must be \"logit\" or \"one\", got \"", output, "\"");
  r.finish();
  return std::make_unique<LrpAttributor>(
      LrpOptions()
          .composite(lrp_composite_from_string(spec))
          .output(output == "logit" ? OutputRelevance::kLogit : OutputRelevance::kOne));
}

std::unique_ptr<Attributor> make_activation_max(const OptionMap& o) {
  OptionReader r("activation-max", o);
  auto opts = ActivationMaxOptions()
                  .steps(r.get_int("steps", 200))
                  .lr(r.get_double("lr", 0.05))
                  .l2(r.get_double("l2", 1e-3))
                  .init(ascent_init_from_string(r.get_string("init", "zeros")))
                  .noise_std(r.get_double("noise_std", 0.1))
                  .blur_sigma(r.get_double("blur_sigma", 0.0))
                  .blur_every(r.get_int("blur_every", 4))
                  .jitter(r.get_int("jitter", 0))
                  .seed(static_cast<uint64_t>(r.get_int("seed", 0)));
  r.finish();
  return std::make_unique<ActivationMaxAttributor>(opts);
}

const std::vector<std::pair<std::string, Factory>>& table() {
  static const std::vector<std::pair<std::string, Factory>> t = {
      {"saliency", make_saliency},
      {"gradxinput", no_options<GradientXInput>("gradxinput")},
      {"ig", make_ig},
      {"smoothgrad", [](const OptionMap& o) { return make_noise_tunnel(o, "saliency"); }},
      {"noise-tunnel", [](const OptionMap& o) { return make_noise_tunnel(o, "saliency"); }},
      {"guided-backprop", no_options<GuidedBackprop>("guided-backprop")},
      {"deconvnet", no_options<Deconvnet>("deconvnet")},
      {"occlusion", make_occlusion},
      {"cam", make_cam("cam", CamKind::kCam)},
      {"gradcam", make_cam("gradcam", CamKind::kGradCam)},
      {"gradcam-counterfactual", make_cam("gradcam-counterfactual", CamKind::kCounterfactual)},
      {"gradcam++", make_cam("gradcam++", CamKind::kGradCamPlusPlus)},
      {"guided-gradcam", make_guided_gradcam},
      {"lrp", make_lrp},
      {"activation-max", make_activation_max},
  };
  return t;
}

}  // namespace

std::unique_ptr<Attributor> make_attributor(const std::string& name, const OptionMap& options) {
  for (const auto& [n, f] : table())
    if (n == name) return f(options);
  std::string known;
  for (const auto& [n, f] : table()) known += (known.empty() ? "" : ", ") + n;
  GNNX_CHECK(false, "make_attributor: unknown method \"", name, "\"; known: ", known);
  return nullptr;
}

std::vector<std::string> attributor_names() {
  std::vector<std::string> out;
  for (const auto& [n, f] : table()) out.push_back(n);
  return out;
}

}  // namespace gnnx::attribution
