// The accuracy protocol's ground truth: a node's explanation is judged against its own motif
// (the original evaluation) or against every motif edge within k hops.
#include <torch/torch.h>

#include "gnnx/datasets/synthetic.h"
#include "gnnx/eval/benchmark.h"
#include "gnnx/graph/ops.h"
#include "gnnx/metrics/ground_truth.h"
#include "gnnx/nn/models/gnn.h"
#include "support/catch.h"
#include "support/tensor_match.h"

using namespace gnnx;
using namespace gnnx::explain;
using namespace gnnx::eval;

namespace {

// Scores each node's edges with a fixed ground truth: a perfect explainer for that definition.
class OracleExplainer : public Explainer {
 public:
  OracleExplainer(const datasets::Dataset& ds, GroundTruth gt) : ds_(ds), gt_(gt) {}
  std::string name() const override { return "oracle"; }
  std::vector<Explanation> explain(nn::GNNModel& model, const Graph& graph,
                                   const std::vector<Target>& targets) override {
    std::vector<Explanation> out;
    for (const auto& t : targets) {
      Explanation e;
      e.method = name();
      e.target = t;
      e.edge_mask = node_ground_truth(ds_, t.index, gt_);
      e.edge_ids = k_hop_subgraph(graph, t.index, model.num_hops()).edge_ids;
      out.push_back(e);
    }
    return out;
  }

 private:
  const datasets::Dataset& ds_;
  GroundTruth gt_;
};

nn::GNNClassifier three_layer_model(const datasets::Dataset& ds) {
  torch::manual_seed(0);
  nn::GNNClassifier m(nn::GNNClassifierOptions(ds.graphs.front().num_features(), ds.num_classes)
                          .conv(nn::ConvType::kGraphConv)
                          .hidden_channels(4)
                          .num_layers(3));
  m->eval();
  return m;
}

}  // namespace

TEST_CASE("node_ground_truth keeps only the explained node's own motif", "[benchmark]") {
  const auto ds = datasets::make_dataset("ba-shapes", 0);
  const auto& g = ds.graphs.front();
  const auto mid = ds.motif_id.front();
  const auto any = ds.edge_mask_gt.front();
  const auto ei = g.edge_index;
  for (int64_t v : {400, 403, 555, 699}) {
    const auto own = node_ground_truth(ds, v);
    REQUIRE(own.sizes() == any.sizes());
    REQUIRE(own.sum().item<double>() == 12);  // a house: 6 undirected template edges, both directions
    for (int64_t e = 0; e < g.num_edges(); ++e) {
      const bool inside = mid[ei[0][e]].item<int64_t>() == mid[v].item<int64_t>() &&
                          mid[ei[1][e]].item<int64_t>() == mid[v].item<int64_t>();
      REQUIRE(own[e].item<float>() == (inside ? any[e].item<float>() : 0.f));
    }
  }
  REQUIRE(node_ground_truth(ds, 0).sum().item<double>() == 0);  // a base node has no motif
  REQUIRE(node_ground_truth(ds, 0, GroundTruth::kAnyMotif).equal(any));
}

TEST_CASE("infection: a node's own ground truth is its infection path, paper = the unique ones", "[benchmark]") {
  const auto ds = datasets::make_dataset("infection", 0);
  const auto& g = ds.graphs.front();
  const auto nodes = protocol_nodes(ds, "paper");
  REQUIRE(static_cast<int64_t>(nodes.size()) == ds.node_mask_gt.front().sum().item<int64_t>());
  const auto y = g.y;
  for (size_t i = 0; i < nodes.size(); i += 17) {
    const int64_t v = nodes[i];
    const auto own = node_ground_truth(ds, v);
    // A path of y[v] hops, each edge once, in the direction toward v: v is a target only.
    REQUIRE(own.sum().item<int64_t>() == y[v].item<int64_t>());
    REQUIRE(g.edge_index[1].index_select(0, torch::nonzero(own).squeeze(1)).eq(v).sum().item<int64_t>() == 1);
    REQUIRE_FALSE(g.edge_index[0].index_select(0, torch::nonzero(own).squeeze(1)).eq(v).any().item<bool>());
    const auto on = torch::nonzero(own).squeeze(1);
    const auto ends = torch::cat({g.edge_index[0].index_select(0, on), g.edge_index[1].index_select(0, on)});
    REQUIRE(std::get<0>(at::_unique(ends)).numel() == y[v].item<int64_t>() + 1);
    REQUIRE(ends.eq(v).any().item<bool>());
    REQUIRE((own <= ds.edge_mask_gt.front()).all().item<bool>());
  }
  // A node without a unique path (an infected node, label 0) has no ground truth.
  const auto zero = torch::nonzero(y.eq(0)).squeeze(1)[0].item<int64_t>();
  REQUIRE(node_ground_truth(ds, zero).sum().item<double>() == 0);
  // The oracle of the paths scores 1.
  auto model = three_layer_model(ds);
  OracleExplainer oracle(ds, GroundTruth::kOwnMotif);
  REQUIRE(run_benchmark(oracle, *model, ds, "paper").auc == Approx(1.0).margin(1e-12));
}

TEST_CASE("run_benchmark: an explainer of the own motif scores 1 against own, less against any", "[benchmark]") {
  const auto ds = datasets::make_dataset("ba-shapes", 0);
  auto model = three_layer_model(ds);
  OracleExplainer own_oracle(ds, GroundTruth::kOwnMotif), any_oracle(ds, GroundTruth::kAnyMotif);
  const auto own_own = run_benchmark(own_oracle, *model, ds, "paper");
  REQUIRE(own_own.ground_truth == GroundTruth::kOwnMotif);
  REQUIRE(own_own.auc == Approx(1.0).margin(1e-12));
  // Three hops from a house reach other houses through the hubs, so "any" counts edges the
  // own-motif explanation leaves at 0.
  const auto own_any = run_benchmark(own_oracle, *model, ds, "paper", c10::Device(c10::kCPU), GroundTruth::kAnyMotif);
  REQUIRE(own_any.auc < 0.99);
  const auto any_any = run_benchmark(any_oracle, *model, ds, "paper", c10::Device(c10::kCPU), GroundTruth::kAnyMotif);
  REQUIRE(any_any.auc == Approx(1.0).margin(1e-12));
}

TEST_CASE("run_benchmark: eval_hops scores the K-hop subgraph edges instead of the model's", "[benchmark]") {
  const auto ds = datasets::make_dataset("ba-shapes", 0);
  auto model = three_layer_model(ds);
  // Own motif + noise: ranks some base edges above motif edges, so the AUC depends on which
  // edges are scored.
  struct NoisyOracle : Explainer {
    const datasets::Dataset& ds;
    explicit NoisyOracle(const datasets::Dataset& d) : ds(d) {}
    std::string name() const override { return "noisy-oracle"; }
    std::vector<Explanation> explain(nn::GNNModel&, const Graph& graph, const std::vector<Target>& targets) override {
      std::vector<Explanation> out;
      for (const auto& t : targets) {
        Explanation e;
        e.method = name();
        e.target = t;
        torch::manual_seed(static_cast<uint64_t>(t.index));
        e.edge_mask = node_ground_truth(ds, t.index) * 0.5 + torch::rand({graph.num_edges()});
        out.push_back(e);
      }
      return out;
    }
  } noisy(ds);
  const auto nodes = protocol_nodes(ds, "paper");
  auto by_hand = [&](const BenchmarkRun& run, int64_t k) {
    std::vector<at::Tensor> s, l;
    for (size_t i = 0; i < nodes.size(); ++i) {
      const auto ids = k_hop_subgraph(ds.graphs.front(), nodes[i], k).edge_ids;
      s.push_back(run.explanations[i].edge_mask.index_select(0, ids));
      l.push_back(node_ground_truth(ds, nodes[i]).index_select(0, ids));
    }
    return metrics::roc_auc(torch::cat(s).to(torch::kDouble), torch::cat(l));
  };
  const auto k0 = run_benchmark(noisy, *model, ds, "paper");
  REQUIRE(k0.auc == Approx(by_hand(k0, 3)).margin(1e-12));
  const auto k1 = run_benchmark(noisy, *model, ds, "paper", c10::Device(c10::kCPU), GroundTruth::kOwnMotif, 1);
  REQUIRE(k1.auc == Approx(by_hand(k1, 1)).margin(1e-12));
  REQUIRE(std::abs(k1.auc - k0.auc) > 1e-3);
  const auto k3 = run_benchmark(noisy, *model, ds, "paper", c10::Device(c10::kCPU), GroundTruth::kOwnMotif, 3);
  REQUIRE(k3.auc == Approx(k0.auc).margin(1e-12));
  GNNX_REQUIRE_ERROR("run_benchmark: eval_hops must be >= 0",
                     run_benchmark(noisy, *model, ds, "paper", c10::Device(c10::kCPU), GroundTruth::kOwnMotif, -1));
  const auto graphs = datasets::make_dataset("ba-2motifs", 0);
  GNNX_REQUIRE_ERROR("run_benchmark: eval_hops is for node tasks",
                     run_benchmark(noisy, *model, graphs, "paper", c10::Device(c10::kCPU), GroundTruth::kOwnMotif, 2));
}

TEST_CASE("benchmark ground truth: bad inputs throw gnnx::Error", "[benchmark]") {
  const auto ds = datasets::make_dataset("ba-shapes", 0);
  GNNX_REQUIRE_ERROR("ground truth: expected one of own, any, got \"mine\"",
                     gnnx::from_name<gnnx::eval::GroundTruth>("mine"));
  REQUIRE(gnnx::from_name<gnnx::eval::GroundTruth>("any") == GroundTruth::kAnyMotif);
  REQUIRE(to_string(GroundTruth::kOwnMotif) == "own");
  GNNX_REQUIRE_ERROR("node_ground_truth: node 700 is outside ba-shapes", node_ground_truth(ds, 700));
  GNNX_REQUIRE_ERROR("node_ground_truth: node -1 is outside", node_ground_truth(ds, -1));
  const auto graphs = datasets::make_dataset("ba-2motifs", 0);
  GNNX_REQUIRE_ERROR("node_ground_truth: ba-2motifs is not a node-task dataset", node_ground_truth(graphs, 0));
  // Only base nodes: no positive against their own (empty) motifs.
  auto model = three_layer_model(ds);
  OracleExplainer oracle(ds, GroundTruth::kAnyMotif);
  GNNX_REQUIRE_ERROR("roc_auc: labels hold only one class", run_benchmark(oracle, *model, ds, "0,1,2"));
}
