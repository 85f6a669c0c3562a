#include <functional>
#include <utility>
#include <vector>

#include "gnnx/attribution/lrp.h"
#include "gnnx/core/check.h"
#include "gnnx/core/options.h"
#include "gnnx/explain/attribution_explainer.h"
#include "gnnx/explain/baselines.h"
#include "gnnx/explain/explainer.h"
#include "gnnx/explain/gnn_explainer.h"
#include "gnnx/explain/gnn_lrp.h"
#include "gnnx/explain/graphmask.h"
#include "gnnx/explain/pg_explainer.h"
#include "gnnx/explain/subgraphx.h"

namespace gnnx::explain {
namespace {

using Factory = std::function<std::unique_ptr<Explainer>(const OptionMap&)>;

// Each factory starts from its options struct's defaults and overwrites the keys given.

std::unique_ptr<Explainer> make_gnn_explainer(const OptionMap& o) {
  OptionReader r("gnnexplainer", o);
  GNNExplainerOptions opts;
  opts.epochs(r.get("epochs", opts.epochs()))
      .lr(r.get("lr", opts.lr()))
      .edge_size(r.get("edge_size", opts.edge_size()))
      .edge_ent(r.get("edge_ent", opts.edge_ent()))
      .feat_size(r.get("feat_size", opts.feat_size()))
      .feat_ent(r.get("feat_ent", opts.feat_ent()))
      .laplacian(r.get("laplacian", opts.laplacian()))
      .feature_mask(r.get("feature_mask", opts.feature_mask()))
      .reparametrize(r.get("reparametrize", opts.reparametrize()))
      .symmetric_mask(r.get("symmetric_mask", opts.symmetric_mask()))
      .average_directions(r.get("average_directions", opts.average_directions()))
      .mask_placement(r.get("mask_placement", opts.mask_placement()))
      .explanation_type(r.get("explanation_type", opts.explanation_type()))
      .edge_init_means(r.get("edge_init_means", opts.edge_init_means()))
      .initial_draw(r.get("initial_draw", opts.initial_draw()))
      .chunk_size(r.get("chunk_size", opts.chunk_size()))
      .seed(r.get("seed", opts.seed()));
  r.finish();
  return std::make_unique<GNNExplainer>(opts);
}

std::unique_ptr<Explainer> make_pg_explainer(const OptionMap& o) {
  OptionReader r("pgexplainer", o);
  PGExplainerOptions opts;
  opts.epochs(r.get("epochs", opts.epochs()))
      .lr(r.get("lr", opts.lr()))
      .edge_size(r.get("edge_size", opts.edge_size()))
      .edge_ent(r.get("edge_ent", opts.edge_ent()))
      .temp_start(r.get("temp_start", opts.temp_start()))
      .temp_end(r.get("temp_end", opts.temp_end()))
      .bias(r.get("bias", opts.bias()))
      .hidden(r.get("hidden", opts.hidden()))
      .batch_size(r.get("batch_size", opts.batch_size()))
      .symmetric_mask(r.get("symmetric_mask", opts.symmetric_mask()))
      .embedding(r.get("embedding", opts.embedding()))
      .standardize(r.get("standardize", opts.standardize()))
      .mask_placement(r.get("mask_placement", opts.mask_placement()))
      .explanation_type(r.get("explanation_type", opts.explanation_type()))
      .seed(r.get("seed", opts.seed()));
  r.finish();
  return std::make_unique<PGExplainer>(opts);
}

std::unique_ptr<Explainer> make_graphmask(const OptionMap& o) {
  OptionReader r("graphmask", o);
  GraphMaskOptions opts;
  opts.epochs(r.get("epochs", opts.epochs()))
      .lr(r.get("lr", opts.lr()))
      .hidden(r.get("hidden", opts.hidden()))
      .allowance(r.get("allowance", opts.allowance()))
      .init_lambda(r.get("init_lambda", opts.init_lambda()))
      .lambda_lr(r.get("lambda_lr", opts.lambda_lr()))
      .layerwise(r.get("layerwise", opts.layerwise()))
      .batch_size(r.get("batch_size", opts.batch_size()))
      .explanation_type(r.get("explanation_type", opts.explanation_type()))
      .seed(r.get("seed", opts.seed()));
  r.finish();
  return std::make_unique<GraphMaskExplainer>(opts);
}

std::unique_ptr<Explainer> make_subgraphx(const OptionMap& o) {
  OptionReader r("subgraphx", o);
  SubgraphXOptions opts;
  opts.rollout(r.get("rollout", opts.rollout()))
      .min_atoms(r.get("min_atoms", opts.min_atoms()))
      .c_puct(r.get("c_puct", opts.c_puct()))
      .expand_atoms(r.get("expand_atoms", opts.expand_atoms()))
      .high2low(r.get("high2low", opts.high2low()))
      .local_radius(r.get("local_radius", opts.local_radius()))
      .sample_num(r.get("sample_num", opts.sample_num()))
      .reward(r.get("reward", opts.reward()))
      .subgraph_building(r.get("subgraph_building", opts.subgraph_building()))
      .max_nodes(r.get("max_nodes", opts.max_nodes()))
      .max_batch_nodes(r.get("max_batch_nodes", opts.max_batch_nodes()))
      .explanation_type(r.get("explanation_type", opts.explanation_type()))
      .seed(r.get("seed", opts.seed()));
  r.finish();
  return std::make_unique<SubgraphX>(opts);
}

std::unique_ptr<Explainer> make_grad(const OptionMap& o) {
  OptionReader r("grad", o);
  const auto chunk_size = r.get<int64_t>("chunk_size", 0);
  const auto placement = r.get("mask_placement", nn::MaskPlacement::kMessage);
  (void)r.get<uint64_t>("seed", 0);  // deterministic: every explainer takes a seed
  r.finish();
  return std::make_unique<GradExplainer>(chunk_size, placement);
}

std::unique_ptr<Explainer> make_att(const OptionMap& o) {
  OptionReader r("att", o);
  (void)r.get<uint64_t>("seed", 0);
  r.finish();
  return std::make_unique<AttentionExplainer>();
}

Factory attribution_method(const char* name) {
  return [name](const OptionMap& o) {
    OptionReader r(name, o);
    const auto seed = r.get<uint64_t>("seed", 0);
    r.finish();
    return make_attribution_explainer(name, seed);
  };
}

std::unique_ptr<Explainer> make_gnn_lrp(const OptionMap& o) {
  OptionReader r("gnn-lrp", o);
  GNNLRPOptions opts;
  if (r.has("layer_rule")) opts.layer_rule(attribution::layer_rule_from_string(r.get("layer_rule", "")).rule);
  opts.order(r.get("order", opts.order()))
      .max_walks(r.get("max_walks", opts.max_walks()))
      .chunk(r.get("chunk", opts.chunk()))
      .max_expansions(r.get("max_expansions", opts.max_expansions()))
      .prefix_budget(r.get("prefix_budget", opts.prefix_budget()));
  (void)r.get<uint64_t>("seed", 0);
  r.finish();
  return std::make_unique<GNNLRPExplainer>(opts);
}

// One line per explainer. (An explicit table rather than self-registration from each source
// file: gnnx is a static library, and the linker drops objects nothing refers to.)
const std::vector<std::pair<std::string, Factory>>& table() {
  static const std::vector<std::pair<std::string, Factory>> t = {
      {"gnnexplainer", make_gnn_explainer},
      {"pgexplainer", make_pg_explainer},
      {"subgraphx", make_subgraphx},
      {"graphmask", make_graphmask},
      {"grad", make_grad},
      {"att", make_att},
      {"saliency", attribution_method("saliency")},
      {"gradxinput", attribution_method("gradxinput")},
      {"ig", attribution_method("ig")},
      {"smoothgrad", attribution_method("smoothgrad")},
      {"occlusion", attribution_method("occlusion")},
      {"gnn-lrp", make_gnn_lrp},
  };
  return t;
}

}  // namespace

std::unique_ptr<Explainer> make_explainer(const std::string& name, const OptionMap& options) {
  for (const auto& [n, f] : table())
    if (n == name) return f(options);
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
