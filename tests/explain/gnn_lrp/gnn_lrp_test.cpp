// GNNLRP input validation: bad targets, options, models and graphs raise gnnx::Error.
#include "gnnx/explain/gnn_lrp/gnn_lrp.h"

#include <torch/torch.h>

#include "explain/gnn_lrp/fixtures.h"
#include "support/catch.h"
#include "support/tensor_match.h"

using gnn_lrp_fixtures::tiny_graph;
using gnn_lrp_fixtures::tiny_model;
using gnnx::Graph;
using gnnx::Target;
using gnnx::attribution::LrpRule;
using gnnx::explain::GNNLRP;
using gnnx::explain::GNNLRPOptions;
using gnnx::nn::ConvType;
using gnnx::nn::Task;

TEST_CASE("GNN-LRP input errors raise gnnx::Error", "[gnnlrp]") {
  auto g = tiny_graph();
  auto model = tiny_model(ConvType::kGCN, Task::kNode, true);
  GNNLRP lrp(*model);
  GNNX_REQUIRE_ERROR("node id 6 outside [0, 6)", lrp.all_walks(g, Target::node(6)));
  GNNX_REQUIRE_ERROR("node id -2 outside", lrp.top_walks(g, Target::node(-2), 3));
  GNNX_REQUIRE_ERROR("k must be positive, got 0", lrp.top_walks(g, Target::node(1), 0));
  GNNX_REQUIRE_ERROR("k must be positive, got -3", lrp.top_walks(g, Target::node(1), -3));
  GNNX_REQUIRE_ERROR("expected a node target", lrp.all_walks(g, Target::graph(0)));
  GNNX_REQUIRE_ERROR("label 5 outside [0, 2)", lrp.all_walks(g, Target::node(1, 5)));
  GNNX_REQUIRE_ERROR("more than max_walks",
                     GNNLRP(*model, GNNLRPOptions().max_walks(10)).all_walks(g, Target::node(1)));
  auto sage = tiny_model(ConvType::kSAGE, Task::kNode, true);
  GNNX_REQUIRE_ERROR("unsupported layer type", GNNLRP(*sage));
  GNNX_REQUIRE_ERROR("must be epsilon or gamma", GNNLRP(*model, GNNLRPOptions().layer_rule(LrpRule::zplus())));
  auto gmodel = tiny_model(ConvType::kGIN, Task::kGraph, true);
  GNNX_REQUIRE_ERROR("expected a graph target", GNNLRP(*gmodel).all_walks(g, Target::node(0)));
  Graph wrong(g.edge_index, 6, torch::rand({6, 5}, torch::kDouble));
  GNNX_REQUIRE_ERROR("input features", lrp.all_walks(wrong, Target::node(0)));
}

TEST_CASE("GNN-LRP refuses classifiers in PyG's layouts its rules do not cover", "[gnnlrp]") {
  using gnnx::nn::GNNClassifier;
  using gnnx::nn::GNNClassifierOptions;
  auto g = tiny_graph();
  // No head: the last layer outputs the logits (PyG's BasicGNN with jk=None).
  GNNClassifier to_out(GNNClassifierOptions(3, 2).concat(false).conv_to_out(true));
  to_out->to(torch::kDouble);
  GNNX_REQUIRE_ERROR("GNNLRP: needs a GNNClassifier with a linear head on the node representation; this one has no "
                     "head",
                     GNNLRP(*to_out).all_walks(g, Target::node(1)));
  // A hidden layer in the head.
  GNNClassifier mlp_head(GNNClassifierOptions(3, 2).head_hidden(4));
  mlp_head->to(torch::kDouble);
  GNNX_REQUIRE_ERROR("this one has a hidden head layer (head_hidden)", GNNLRP(*mlp_head).all_walks(g, Target::node(1)));
  // A Linear before the readout.
  GNNClassifier jk_lin(GNNClassifierOptions(3, 2).task(Task::kGraph).jk_lin(true));
  jk_lin->to(torch::kDouble);
  GNNX_REQUIRE_ERROR("this one has a jk_lin layer before its head", GNNLRP(*jk_lin).all_walks(g, Target::graph(0)));
  // PyG's self loops: fine without input self loops, refused with them.
  GNNClassifier pyg_loops(GNNClassifierOptions(3, 2).pyg_self_loops(true));
  pyg_loops->to(torch::kDouble);
  REQUIRE_NOTHROW(GNNLRP(*pyg_loops).all_walks(g, Target::node(1)));
  auto looped = g;
  looped.edge_index = torch::cat({g.edge_index, torch::tensor({{2}, {2}}, torch::kLong)}, 1);
  GNNX_REQUIRE_ERROR("remove the graph's self loops", GNNLRP(*pyg_loops).all_walks(looped, Target::node(1)));
}
