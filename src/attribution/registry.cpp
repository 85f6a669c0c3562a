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

// Each factory starts from its options struct's defaults and overwrites the keys given.

std::unique_ptr<Attributor> make_saliency(const OptionMap& o) {
  OptionReader r("saliency", o);
  SaliencyOptions opts;
  opts.abs(r.get("abs", opts.abs()));
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
  IntegratedGradientsOptions opts;
  opts.steps(r.get("steps", opts.steps()))
      .method(r.get("method", opts.method()))
      .baseline_value(r.get("baseline", opts.baseline_value()))
      .internal_batch_size(r.get("internal_batch_size", opts.internal_batch_size()));
  r.finish();
  return std::make_unique<IntegratedGradients>(opts);
}

// The noise tunnel reads its own keys and hands every other key to the base method's factory.
std::unique_ptr<Attributor> make_noise_tunnel(const OptionMap& o, const std::string& default_base) {
  OptionReader r("noise-tunnel", o);
  NoiseTunnelOptions opts;
  opts.type(r.get("type", opts.type()))
      .samples(r.get("samples", opts.samples()))
      .stdev(r.get("stdev", opts.stdev()))
      .seed(r.get("seed", opts.seed()));
  const std::string base = r.get("base", default_base);
  GNNX_CHECK(base != "smoothgrad" && base != "noise-tunnel", "noise-tunnel: the base method cannot be a noise tunnel");
  return std::make_unique<NoiseTunnel>(make_attributor(base, r.without({"type", "samples", "stdev", "seed", "base"})),
                                       opts);
}

std::unique_ptr<Attributor> make_occlusion(const OptionMap& o) {
  OptionReader r("occlusion", o);
  OcclusionOptions opts;
  opts.window(r.get("window", opts.window()))
      .strides(r.get("strides", opts.strides()))
      .baseline(r.get("baseline", opts.baseline()))
      .perturbations_per_eval(r.get("perturbations_per_eval", opts.perturbations_per_eval()));
  r.finish();
  return std::make_unique<Occlusion>(opts);
}

CamOptions read_cam_options(OptionReader& r) {
  CamOptions opts;
  return opts.layer(r.get("layer", opts.layer()))
      .upsample(r.get("upsample", opts.upsample()))
      .normalize(r.get("normalize", opts.normalize()))
      .relu(r.get("relu", opts.relu()));
}

Factory make_cam(const char* name, CamKind kind) {
  return [name, kind](const OptionMap& o) -> std::unique_ptr<Attributor> {
    OptionReader r(name, o);
    auto opts = read_cam_options(r).kind(kind);
    opts.output(r.get("output", opts.output()));
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
  LrpOptions opts;
  if (r.has("rule") || r.has("composite"))
    opts.composite(lrp_composite_from_string(r.has("rule") ? r.get("rule", "") : r.get("composite", "")));
  opts.output(r.get("output", opts.output()));
  r.finish();
  return std::make_unique<LrpAttributor>(opts);
}

std::unique_ptr<Attributor> make_activation_max(const OptionMap& o) {
  OptionReader r("activation-max", o);
  ActivationMaxOptions opts;
  opts.steps(r.get("steps", opts.steps()))
      .lr(r.get("lr", opts.lr()))
      .l2(r.get("l2", opts.l2()))
      .init(r.get("init", opts.init()))
      .noise_std(r.get("noise_std", opts.noise_std()))
      .blur_sigma(r.get("blur_sigma", opts.blur_sigma()))
      .blur_every(r.get("blur_every", opts.blur_every()))
      .jitter(r.get("jitter", opts.jitter()))
      .seed(r.get("seed", opts.seed()));
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
