// GNN-LRP top-K walk search: equal to the K largest of the enumeration, and pruning.
#include "gnnx/explain/gnn_lrp/gnn_lrp.h"

#include <map>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include "explain/gnn_lrp/fixtures.h"
#include "gnnx/graph/ops.h"
#include "support/catch.h"
#include "support/tensor_match.h"

using gnn_lrp_fixtures::conv_name;
using gnn_lrp_fixtures::tiny_graph;
using gnn_lrp_fixtures::tiny_model;
using gnnx::Graph;
using gnnx::Target;
using gnnx::explain::GNNLRP;
using gnnx::explain::GNNLRPOptions;
using gnnx::explain::WalkOrder;
using gnnx::nn::ConvType;
using gnnx::nn::Task;

TEST_CASE("Top-K equals the K largest of the full enumeration", "[gnnlrp]") {
  for (auto conv : {ConvType::kGCN, ConvType::kGIN, ConvType::kGraphConv}) {
    for (auto task : {Task::kNode, Task::kGraph}) {
      for (auto order : {WalkOrder::kAbsolute, WalkOrder::kPositive, WalkOrder::kNegative}) {
        for (int64_t budget : {0, 1000}) {  // plain depth-first search; meeting tabulated prefixes
          auto g = tiny_graph(conv == ConvType::kGraphConv);
          auto model = tiny_model(conv, task, /*concat=*/true, 3, /*seed=*/7);
          GNNLRP lrp(*model, GNNLRPOptions().order(order).prefix_budget(budget));
          const Target t = task == Task::kNode ? Target::node(3) : Target::graph(0);
          auto all = lrp.all_walks(g, t);
          for (int64_t k : {1, 7, 40}) {
            auto top = lrp.top_walks(g, t, k);
            INFO(conv_name(conv) << " " << gnnx::nn::to_string(task) << " order=" << gnnx::explain::to_string(order)
                                 << " k=" << k << " prefix_budget=" << budget);
            REQUIRE(top.size() == std::min<int64_t>(k, all.num_walks));
            REQUIRE(top.num_walks == all.num_walks);
            GNNX_REQUIRE_CLOSE(top.relevance, all.relevance.narrow(0, 0, top.size()), 1e-9, 1e-12);
            // Each reported walk carries its own relevance (look it up in the enumeration).
            std::map<std::vector<int64_t>, double> index;
            for (int64_t w = 0; w < all.size(); ++w) {
              auto row = all.walks[w];
              index[std::vector<int64_t>(row.data_ptr<int64_t>(), row.data_ptr<int64_t>() + row.numel())] =
                  all.relevance[w].item<double>();
            }
            for (int64_t w = 0; w < top.size(); ++w) {
              auto row = top.walks[w].contiguous();
              auto it = index.find(
                  std::vector<int64_t>(row.data_ptr<int64_t>(), row.data_ptr<int64_t>() + row.numel()));
              REQUIRE(it != index.end());
              REQUIRE(it->second == Approx(top.relevance[w].item<double>()).epsilon(1e-9));
            }
            REQUIRE(top.sum_relevance == Approx(all.sum_relevance).epsilon(1e-9));
            REQUIRE(top.meet_layer == (budget > 0 ? 2 : 0));
          }
        }
      }
    }
  }
}

TEST_CASE("Top-K prunes: it scores fewer walks than exist", "[gnnlrp]") {
  // A 60-node ring with chords and a 4-layer GCN whose relevance concentrates on few walks
  // (trained weights do this; here: a wide spread of feature magnitudes).
  std::vector<std::pair<int64_t, int64_t>> e;
  for (int64_t i = 0; i < 60; ++i) {
    e.push_back({i, (i + 1) % 60});
    if (i % 3 == 0) e.push_back({i, (i + 7) % 60});
  }
  torch::manual_seed(5);
  auto x = torch::rand({60, 3}, torch::kDouble).pow(6);
  Graph g(gnnx::undirected_edge_index(e), 60, x);
  auto model = tiny_model(ConvType::kGCN, Task::kNode, true, 4, 9);
  for (int64_t budget : {0, 100000}) {
    GNNLRP lrp(*model, GNNLRPOptions().prefix_budget(budget));
    auto all = lrp.all_walks(g, Target::node(10));
    auto top = lrp.top_walks(g, Target::node(10), 3);
    GNNX_REQUIRE_CLOSE(top.relevance, all.relevance.narrow(0, 0, 3), 1e-9, 1e-12);
    INFO("budget " << budget << ": walks " << all.num_walks << ", scored " << top.walks_scored << ", expansions "
                   << top.expansions << " (full tree " << all.expansions << ")");
    REQUIRE(top.walks_scored < all.num_walks);
  }
}
