// Explanations written in torch's format (what `gnnx explain --out` writes) and read back.
#include <filesystem>

#include <torch/torch.h>

#include "gnnx/core/random.h"
#include "gnnx/explain/explanation_file.h"
#include "gnnx/explain/gnn_explainer.h"
#include "gnnx/graph/generators.h"
#include "gnnx/graph/ops.h"
#include "gnnx/io/tensor_file.h"
#include "gnnx/nn/models/gnn.h"
#include "support/catch.h"
#include "support/tensor_match.h"

using namespace gnnx;
using namespace gnnx::explain;

namespace {

struct Fixture {
  Graph graph;
  nn::GNNClassifier model{nullptr};
  Fixture() {
    auto edges = barabasi_albert(40, 2, uint64_t{3});
    graph = Graph(undirected_edge_index(edges), 40, torch::randn({40, 4}, torch_generator(4)));
    torch::manual_seed(5);
    model = nn::GNNClassifier(nn::GNNClassifierOptions(4, 3).num_layers(2).hidden_channels(8));
  }
};

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("gnnx_explanation_file_" + name)).string();
}

}  // namespace

TEST_CASE("explanations survive a round trip through torch's format", "[explain][explanation_file]") {
  Fixture f;
  auto ex = GNNExplainer(GNNExplainerOptions().epochs(5).feature_mask(FeatureMaskType::kNodeFeature))
                .explain(*f.model, f.graph, {Target::node(3), Target::node(17)});
  const auto path = temp_path("round_trip.pt");
  save_explanations(path, ex, f.graph.num_nodes, f.graph.num_edges());
  auto back = load_explanations(path, f.graph.num_nodes, f.graph.num_edges());
  REQUIRE(back.size() == 2);
  for (size_t i = 0; i < 2; ++i) {
    CHECK(back[i].method == "gnnexplainer");
    CHECK(back[i].target.index == ex[i].target.index);
    CHECK(back[i].target.label == ex[i].target.label);
    CHECK(torch::equal(back[i].edge_ids, ex[i].edge_ids));
    GNNX_REQUIRE_CLOSE(back[i].edge_mask, ex[i].edge_mask, 0, 0);
    GNNX_REQUIRE_CLOSE(back[i].node_mask, ex[i].node_mask, 0, 0);
    // Feature rows outside the computation subgraph are 0 in both.
    GNNX_REQUIRE_CLOSE(back[i].feature_mask, ex[i].feature_mask, 0, 0);
    GNNX_REQUIRE_CLOSE(back[i].logits, ex[i].logits, 0, 0);
  }
  std::filesystem::remove(path);
}

TEST_CASE("explanation files: bad input is refused and leaves no file", "[explain][explanation_file]") {
  Fixture f;
  auto ex = GNNExplainer(GNNExplainerOptions().epochs(2)).explain(*f.model, f.graph, {Target::node(0)});
  const auto path = temp_path("bad.pt");
  std::filesystem::remove(path);
  GNNX_REQUIRE_ERROR("save_explanations: no explanations", save_explanations(path, {}, 40, f.graph.num_edges()));
  GNNX_REQUIRE_ERROR("save_explanations (explanation 0): edge_mask must have shape [7]",
                     save_explanations(path, ex, 40, 7));
  CHECK_FALSE(std::filesystem::exists(path));
  save_explanations(path, ex, 40, f.graph.num_edges());
  GNNX_REQUIRE_ERROR("explains a graph of 40 nodes", load_explanations(path, 41, f.graph.num_edges()));
  io::save_tensor(path, torch::ones({3}));
  GNNX_REQUIRE_ERROR("holds a Tensor, expected a dict", load_explanations(path, 40, f.graph.num_edges()));
  std::filesystem::remove(path);
  GNNX_REQUIRE_ERROR("cannot", load_explanations(path, 40, f.graph.num_edges()));
}

TEST_CASE("GNNExplainer's PyG draws cut one full-graph draw per target", "[gnnexplainer]") {
  Fixture f;
  auto o = GNNExplainerOptions().feature_mask(FeatureMaskType::kNodeFeature).initial_draw(InitialDraw::kPyG).seed(5);
  auto init = GNNExplainer(o).initial_masks(*f.model, f.graph, {Target::node(0), Target::node(9)});
  // torch.manual_seed(5); torch.randn(N, F) * 0.1; torch.randn(E) * sqrt(2) * sqrt(2 / (2 N))
  auto gen = torch_generator(5);
  const int64_t N = f.graph.num_nodes;
  auto feat = torch::randn({N, 4}, gen) * 0.1;
  auto edge = torch::randn({f.graph.num_edges()}, gen) * (std::sqrt(2.0) * std::sqrt(2.0 / (2.0 * N)));
  auto subs = computation_subgraphs(f.graph, {0, 9}, f.model->receptive_field());
  for (size_t i = 0; i < 2; ++i) {
    GNNX_REQUIRE_CLOSE(init[i].edge, edge.index_select(0, subs[i].edge_ids), 0, 0);
    GNNX_REQUIRE_CLOSE(init[i].feature, feat.index_select(0, subs[i].node_ids), 0, 0);
  }
}
