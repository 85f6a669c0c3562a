#include <functional>
#include <utility>
#include <vector>

#include "gnnx/attribution/graph_explainer.h"
#include "gnnx/core/check.h"
#include "gnnx/explain/baselines.h"
#include "gnnx/explain/explainer.h"
#include "gnnx/explain/gnn_explainer.h"
#include "gnnx/explain/gnn_lrp.h"

namespace gnnx::explain {
namespace {

using Factory = std::function<std::unique_ptr<Explainer>(uint64_t seed)>;

// One line per explainer. (An explicit table rather than self-registration from each source
// file: gnnx is a static library, and the linker drops objects nothing refers to.)
const std::vector<std::pair<std::string, Factory>>& table() {
  static const std::vector<std::pair<std::string, Factory>> t = {
      {"gnnexplainer", [](uint64_t seed) { return std::make_unique<GNNExplainer>(GNNExplainerOptions().seed(seed)); }},
      {"grad", [](uint64_t) { return std::make_unique<GradExplainer>(); }},
      {"att", [](uint64_t) { return std::make_unique<AttentionExplainer>(); }},
      {"saliency", [](uint64_t seed) { return attribution::make_attribution_explainer("saliency", seed); }},
      {"gradxinput", [](uint64_t seed) { return attribution::make_attribution_explainer("gradxinput", seed); }},
      {"ig", [](uint64_t seed) { return attribution::make_attribution_explainer("ig", seed); }},
      {"smoothgrad", [](uint64_t seed) { return attribution::make_attribution_explainer("smoothgrad", seed); }},
      {"occlusion", [](uint64_t seed) { return attribution::make_attribution_explainer("occlusion", seed); }},
      {"gnn-lrp", [](uint64_t) { return std::make_unique<GnnLrpExplainer>(); }},
  };
  return t;
}

}  // namespace

std::unique_ptr<Explainer> make_explainer(const std::string& name, uint64_t seed) {
  for (const auto& [n, f] : table())
    if (n == name) return f(seed);
  std::string known;
  for (const auto& [n, f] : table()) known += (known.empty() ? "" : ", ") + n;
  GNNX_CHECK(false, "make_explainer: unknown method \"", name, "\"; known: ", known.empty() ? "(none)" : known);
  return nullptr;
}

std::vector<std::string> explainer_names() {
  std::vector<std::string> out;
  for (const auto& [n, f] : table()) out.push_back(n);
  return out;
}

}  // namespace gnnx::explain
