// GNNLRPExplainer through the registry, and WalkExplanation::to_explanation.
#include "gnnx/explain/gnn_lrp/gnn_lrp_explainer.h"

#include <torch/torch.h>

#include "explain/gnn_lrp/fixtures.h"
#include "gnnx/explain/explainer.h"
#include "gnnx/explain/gnn_lrp/gnn_lrp.h"
#include "support/catch.h"
#include "support/tensor_match.h"

using gnn_lrp_fixtures::tiny_graph;
using gnn_lrp_fixtures::tiny_model;
using gnnx::Target;
using gnnx::explain::GNNLRP;
using gnnx::nn::ConvType;
using gnnx::nn::Task;

TEST_CASE("gnn-lrp in the registry gives an edge mask from all walks", "[gnnlrp]") {
  auto g = tiny_graph();
  auto model = tiny_model(ConvType::kGCN, Task::kNode, true);
  auto ex = gnnx::explain::make_explainer("gnn-lrp");
  REQUIRE(ex->name() == "gnn-lrp");
  auto out = ex->explain(*model, g, {Target::node(3)});
  REQUIRE(out.size() == 1);
  const auto& e = out[0];
  REQUIRE(e.method == "gnn-lrp");
  REQUIRE(e.target.label >= 0);
  REQUIRE(e.edge_mask.size(0) == g.num_edges());
  REQUIRE(e.node_mask.size(0) == g.num_nodes);
  GNNLRP lrp(*model);
  GNNX_REQUIRE_CLOSE(e.edge_mask, lrp.all_walks(g, e.target).edge_relevance(g).abs().to(torch::kFloat), 1e-5, 1e-6);
  REQUIRE(e.diagnostics.at("num_walks") == lrp.count_walks(g, e.target));
  // WalkExplanation converts to the shared type too.
  auto top = lrp.top_walks(g, e.target, 4);
  auto te = top.to_explanation(g);
  REQUIRE(te.edge_mask.size(0) == g.num_edges());
  REQUIRE(te.diagnostics.at("walks_held") == 4);
}
