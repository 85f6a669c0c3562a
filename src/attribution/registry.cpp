// make_attributor: attribution methods by name, with options as text (command line, explain
// adapters). One line per method in the table below.
#include <functional>
#include <utility>
#include <vector>

#include "gnnx/attribution/gradient.h"
#include "gnnx/attribution/integrated_gradients.h"
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
