#include <functional>
#include <utility>
#include <vector>

#include "gnnx/core/check.h"
#include "gnnx/explain/baselines.h"
#include "gnnx/explain/explainer.h"
#include "gnnx/explain/gnn_lrp.h"
#include "gnnx/explain/gnn_explainer.h"

namespace gnnx::explain {
namespace {

using Factory = std::function<std::unique_ptr<Explainer>(uint64_t seed)>;

// One line per explainer. (An explicit table rather than self-registration from each source
// file: gnnx is a static library, and the linker drops objects nothing refers to.)
const std::vector<std::pair<std::string, Factory>>& table() {
  static const std::vector<std::pair<std::string, Factory>> t = {
      {"gnn-lrp", [](uint64_t) { return std::make_unique<GnnLrpExplainer>(); }},
      {"gnnexplainer", [](uint64_t seed) { return std::make_unique<GNNExplainer>(GNNExplainerOptions().seed(seed)); }},
      {"grad", [](uint64_t) { return std::make_unique<GradExplainer>(); }},
      {"att", [](uint64_t) { return std::make_unique<AttentionExplainer>(); }},
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
