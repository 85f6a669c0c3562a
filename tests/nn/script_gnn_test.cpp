// TorchScript GNNs (a PyG GCN traced by PyG's own code, tests/data/script/, written by
// scripts/peers/script_gnn_fixture.py) behind the GNNModel interface.
#include "gnnx/nn/models/script_gnn.h"

#include <torch/torch.h>

#include "gnnx/explain/baselines.h"
#include "gnnx/explain/gnn_explainer.h"
#include "gnnx/graph/ops.h"
#include "gnnx/io/graph_file.h"
#include "gnnx/io/tensor_file.h"
#include "gnnx/nn/message_passing.h"
#include "support/catch.h"
#include "support/tensor_match.h"

using namespace gnnx;
using namespace gnnx::nn;

namespace {

std::string fixture(const std::string& name) { return std::string(GNNX_SOURCE_DIR) + "/tests/data/script/" + name; }

}  // namespace

TEST_CASE("a traced PyG GCN gives PyG's logits and reads its inputs from the schema", "[nn][script_gnn]") {
  const auto g = io::load_graph(fixture("graph.pt")).graph;
  const auto expected = io::load_tensor(fixture("logits.pt"));
  auto weighted = load_script_gnn(fixture("gcn_weighted.pt"), ScriptGnnOptions(3, 3));
  auto plain = load_script_gnn(fixture("gcn_plain.pt"), ScriptGnnOptions(3, 3));
  CHECK(weighted->takes_edge_weight());
  CHECK_FALSE(plain->takes_edge_weight());
  CHECK_FALSE(weighted->takes_batch());
  torch::NoGradGuard ng;
  GNNX_REQUIRE_CLOSE(weighted->forward(g.x, g.edge_index), expected, 1e-5, 1e-6);
  GNNX_REQUIRE_CLOSE(plain->forward(g.x, g.edge_index), expected, 1e-5, 1e-6);
  // The mask reaches the model as edge weights: 0 removes the edge (PyG's GCN: degrees included).
  const int64_t E = g.num_edges();
  auto mask = torch::ones({E});
  mask.slice(0, 0, 10).zero_();
  at::Tensor masked;
  {
    EdgeMaskScope scope(mask);
    masked = weighted->forward(g.x, g.edge_index);
  }
  auto kept = g.edge_index.slice(1, 10, E);
  GNNX_REQUIRE_CLOSE(masked, weighted->forward(g.x, kept), 1e-5, 1e-6);
  {
    EdgeMaskScope scope(mask);
    GNNX_REQUIRE_ERROR("ScriptGnn: an edge mask is active but the TorchScript model takes no edge_weight",
                       plain->forward(g.x, g.edge_index));
  }
}

TEST_CASE("explainers run on a TorchScript GNN and explain its full-graph prediction", "[nn][script_gnn]") {
  const auto g = io::load_graph(fixture("graph.pt")).graph;
  const auto full = io::load_tensor(fixture("logits.pt"));
  // Unknown receptive field: each node on the whole graph. Stated (a 2-layer GCN reads 3 hops):
  // on its cut subgraph, checked. Understated: refused, naming the node.
  for (int64_t field : {-1, 3}) {
    INFO("receptive field " << field);
    auto model = load_script_gnn(fixture("gcn_weighted.pt"), ScriptGnnOptions(3, 3).receptive_field(field));
    auto ex = explain::GNNExplainer(explain::GNNExplainerOptions().epochs(10))
                  .explain(*model, g, {Target::node(0), Target::node(7)});
    auto gr = explain::GradExplainer().explain(*model, g, {Target::node(7)});
    for (const auto& e : {ex[0], ex[1], gr[0]}) {
      GNNX_REQUIRE_CLOSE(e.logits, full[e.target.index], 1e-5, 1e-6);
      CHECK(e.edge_mask.size(0) == g.num_edges());
    }
    if (field < 0)
      CHECK(ex[0].edge_ids.numel() == g.num_edges());
    else
      CHECK(ex[0].edge_ids.numel() == k_hop_subgraph(g, 0, field).edge_ids.numel());
  }
  auto understated = load_script_gnn(fixture("gcn_weighted.pt"), ScriptGnnOptions(3, 3).receptive_field(1));
  GNNX_REQUIRE_ERROR("differ from its logits on the whole graph",
                     explain::GradExplainer().explain(*understated, g, {Target::node(0)}));
  auto plain = load_script_gnn(fixture("gcn_plain.pt"), ScriptGnnOptions(3, 3));
  GNNX_REQUIRE_ERROR("takes no edge_weight", explain::GradExplainer().explain(*plain, g, {Target::node(0)}));
}

TEST_CASE("TorchScript GNNs: bad files and inputs are refused with gnnx::Error", "[nn][script_gnn]") {
  const auto g = io::load_graph(fixture("graph.pt")).graph;
  GNNX_REQUIRE_ERROR("load_script_gnn: no file at", load_script_gnn(fixture("missing.pt"), ScriptGnnOptions(3, 3)));
  GNNX_REQUIRE_ERROR("is not a TorchScript model", load_script_gnn(fixture("graph.pt"), ScriptGnnOptions(3, 3)));
  auto model = load_script_gnn(fixture("gcn_weighted.pt"), ScriptGnnOptions(3, 3));
  GNNX_REQUIRE_ERROR("ScriptGnn: x must have shape [N, 3], got [30, 4]",
                     model->forward(torch::randn({30, 4}), g.edge_index));
  auto bad = g.edge_index.clone();
  bad[0][0] = 30;
  GNNX_REQUIRE_ERROR("ScriptGnn: edge_index holds node id 30 outside [0, 30)", model->forward(g.x, bad));
  auto wrong_classes = load_script_gnn(fixture("gcn_weighted.pt"), ScriptGnnOptions(3, 5));
  GNNX_REQUIRE_ERROR("ScriptGnn: forward returned [30, 3], expected [30, 5]",
                     wrong_classes->forward(g.x, g.edge_index));
  GNNX_REQUIRE_ERROR("ScriptGnn: forward takes 2 arguments but 3 are stated",
                     load_script_gnn(fixture("gcn_plain.pt"),
                                     ScriptGnnOptions(3, 3).edge_weight_input(ScriptInput::kYes)));
}
