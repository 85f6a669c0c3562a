// GNNLRP's construction and its one-pass results: target resolution, first-order LRP, walk counts.
#include "gnnx/explain/gnn_lrp/gnn_lrp.h"

#include <torch/torch.h>

#include "explain/gnn_lrp/engine.h"
#include "gnnx/core/check.h"

namespace gnnx::explain {

GNNLRP::GNNLRP(nn::GNNModel& model, GNNLRPOptions options)
    : model_(gnn_lrp_detail::classifier_of(model)), options_(std::move(options)) {
  const auto layer_rule = gnn_lrp_detail::RuleTransform::from(options_.layer_rule(), "layer");
  gnn_lrp_detail::RuleTransform::from(options_.head_rule(), "head");
  GNNX_CHECK(options_.max_walks() > 0, "GNNLRP: max_walks must be positive, got ", options_.max_walks());
  GNNX_CHECK(options_.chunk() > 0, "GNNLRP: chunk must be positive, got ", options_.chunk());
  GNNX_CHECK(options_.max_expansions() > 0, "GNNLRP: max_expansions must be positive, got ", options_.max_expansions());
  // Unsupported layers are reported at construction, before any graph is seen.
  const auto convs = model_->message_passing_layers();
  for (size_t l = 0; l < convs.size(); ++l)
    gnn_lrp_detail::make_lrp_layer(convs[l], true, false, layer_rule, static_cast<int64_t>(l));
}

Target GNNLRP::resolve(const Graph& graph, const Target& target) const {
  return gnn_lrp_detail::Engine(model_, options_, graph).resolve_only(target);
}

LrpRelevance GNNLRP::first_order(const Graph& graph, const Target& target) const {
  gnn_lrp_detail::Engine eng(model_, options_, graph);
  auto P = eng.prepare(target);
  LrpRelevance r;
  r.target = P.target;
  r.relevance = (graph.x.detach() * P.input_grad);
  r.node_relevance = r.relevance.sum(1);
  r.output = P.output;
  r.sum_relevance = r.relevance.sum().item<double>();
  return r;
}

double GNNLRP::count_walks(const Graph& graph, const Target& target) const {
  gnn_lrp_detail::Engine eng(model_, options_, graph);
  auto P = eng.prepare(target);
  return gnn_lrp_detail::count_walks_prepared(P, eng.graph_task());
}

}  // namespace gnnx::explain
