// GNN-LRP all-walks enumeration: against the naive per-walk method, conservation, and a closed form.
#include "gnnx/explain/gnn_lrp/gnn_lrp.h"

#include <cmath>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include "explain/gnn_lrp/fixtures.h"
#include "gnnx/graph/ops.h"
#include "gnnx/nn/conv/gcn_conv.h"
#include "support/catch.h"
#include "support/tensor_match.h"

using gnn_lrp_fixtures::conv_name;
using gnn_lrp_fixtures::tiny_graph;
using gnn_lrp_fixtures::tiny_model;
using gnnx::Graph;
using gnnx::Target;
using gnnx::attribution::LrpRule;
using gnnx::explain::GNNLRP;
using gnnx::explain::GNNLRPOptions;
using gnnx::nn::ConvType;
using gnnx::nn::GNNClassifier;
using gnnx::nn::GNNClassifierOptions;
using gnnx::nn::Task;

TEST_CASE("All walks equal the naive per-walk method (GCN, GIN, GraphConv, node and graph tasks)", "[gnnlrp]") {
  for (auto conv : {ConvType::kGCN, ConvType::kGIN, ConvType::kGraphConv}) {
    for (auto task : {Task::kNode, Task::kGraph}) {
      for (bool concat : {true, false}) {
        const bool weighted = conv != ConvType::kGCN || concat;
        auto g = tiny_graph(weighted);
        auto model = tiny_model(conv, task, concat, task == Task::kNode ? 3 : 2);
        GNNLRP lrp(*model, GNNLRPOptions().layer_rule(LrpRule::gamma_rule(0.3)).head_rule(LrpRule::eps(0.01)));
        const Target t = task == Task::kNode ? Target::node(2) : Target::graph(0);
        auto all = lrp.all_walks(g, t);
        INFO(conv_name(conv) << " " << gnnx::nn::to_string(task) << " concat=" << concat);
        REQUIRE(all.complete);
        REQUIRE(static_cast<double>(all.num_walks) == lrp.count_walks(g, t));
        REQUIRE(all.walks.size(1) == model->num_hops() + 1);
        auto naive = lrp.naive_walk_relevance(g, t, all.walks);
        GNNX_REQUIRE_CLOSE(all.relevance, naive, 1e-9, 1e-12);
        REQUIRE(all.relevance.abs().max().item<double>() > 1e-6);  // not trivially zero
        // Σ_W R_W equals the first-order total; start-node aggregation equals first-order nodes.
        auto first = lrp.first_order(g, t);
        REQUIRE(all.sum_relevance == Approx(first.sum_relevance).epsilon(1e-9));
        GNNX_REQUIRE_CLOSE(all.node_relevance(g.num_nodes), first.node_relevance, 1e-9, 1e-12);
        // The one-sweep edge relevance equals aggregating the enumerated walks (DIG's convention).
        GNNX_REQUIRE_CLOSE(lrp.edge_relevance(g, t), all.edge_relevance(g), 1e-9, 1e-12);
        if (task == Task::kNode) REQUIRE((all.walks.select(1, model->num_hops()) == 2).all().item<bool>());
      }
    }
  }
}

TEST_CASE("A node's walks, cut from its computation subgraph, are those of the whole graph", "[gnnlrp]") {
  // A weighted ring of 16 nodes with chords: a 2-layer model reads 3 hops around node 5 (GCN's
  // degrees one hop beyond the walks), so all_walks runs on a subgraph of part of the ring.
  std::vector<std::pair<int64_t, int64_t>> pairs;
  for (int64_t i = 0; i < 16; ++i) pairs.push_back({i, (i + 1) % 16});
  for (int64_t i = 0; i < 16; i += 4) pairs.push_back({i, (i + 6) % 16});
  auto ei = gnnx::undirected_edge_index(pairs);
  torch::manual_seed(12);
  Graph g(ei, 16, torch::rand({16, 3}, torch::kDouble) + 0.1, torch::rand({ei.size(1)}, torch::kDouble) + 0.5);
  for (auto conv : {ConvType::kGCN, ConvType::kGIN, ConvType::kGraphConv}) {
    INFO(conv_name(conv));
    auto model = tiny_model(conv, Task::kNode, /*concat=*/true, /*layers=*/2);
    REQUIRE(gnnx::k_hop_subgraph(g, 5, model->receptive_field()).graph.num_nodes < g.num_nodes);
    GNNLRP lrp(*model, GNNLRPOptions().layer_rule(LrpRule::gamma_rule(0.3)).head_rule(LrpRule::eps(0.01)));
    const auto t = Target::node(5);
    auto all = lrp.all_walks(g, t);
    REQUIRE(all.target.index == 5);
    REQUIRE(static_cast<double>(all.num_walks) == lrp.count_walks(g, t));
    REQUIRE((all.walks.select(1, 2) == 5).all().item<bool>());
    // Against references that run on the whole graph.
    GNNX_REQUIRE_CLOSE(all.relevance, lrp.naive_walk_relevance(g, t, all.walks), 1e-9, 1e-12);
    auto first = lrp.first_order(g, t);
    REQUIRE(all.output == Approx(first.output).epsilon(1e-12));
    REQUIRE(all.sum_relevance == Approx(first.sum_relevance).epsilon(1e-9));
    GNNX_REQUIRE_CLOSE(all.node_relevance(g.num_nodes), first.node_relevance, 1e-9, 1e-12);
    GNNX_REQUIRE_CLOSE(lrp.edge_relevance(g, t), all.edge_relevance(g), 1e-9, 1e-12);
  }
}

TEST_CASE("Conservation: sum of walk relevances equals the output with LRP-0 and zero biases", "[gnnlrp]") {
  for (auto conv : {ConvType::kGCN, ConvType::kGIN, ConvType::kGraphConv}) {
    for (auto task : {Task::kNode, Task::kGraph}) {
      auto g = tiny_graph(true);
      auto model = tiny_model(conv, task, /*concat=*/true, 3, /*seed=*/4, /*random_bias=*/false);
      GNNLRP lrp(*model, GNNLRPOptions().layer_rule(LrpRule::eps(0)).head_rule(LrpRule::eps(0)));
      const Target t = task == Task::kNode ? Target::node(4) : Target::graph(0);
      auto all = lrp.all_walks(g, t);
      INFO(conv_name(conv) << " " << gnnx::nn::to_string(task));
      REQUIRE(std::abs(all.output) > 1e-6);
      REQUIRE(all.sum_relevance == Approx(all.output).epsilon(1e-10));
      REQUIRE(std::abs(all.residual) < 1e-10 * std::max(1.0, std::abs(all.output)));
    }
  }
  // With biases the residual is reported, not hidden.
  auto g = tiny_graph();
  auto model = tiny_model(ConvType::kGCN, Task::kNode, true, 3, 4, /*random_bias=*/true);
  GNNLRP lrp(*model, GNNLRPOptions().layer_rule(LrpRule::eps(0)).head_rule(LrpRule::eps(0)));
  auto all = lrp.all_walks(g, Target::node(4));
  REQUIRE(all.residual == Approx(all.output - all.sum_relevance));
  REQUIRE(std::abs(all.residual) > 1e-6);
}

TEST_CASE("Normalised embeddings and GraphConv without a root weight: walks, naive and conservation agree",
          "[gnnlrp]") {
  for (auto conv : {ConvType::kGCN, ConvType::kGIN, ConvType::kGraphConv}) {
    for (bool root : {true, false}) {
      if (!root && conv != ConvType::kGraphConv) continue;
      torch::manual_seed(5);
      GNNClassifier model(
          GNNClassifierOptions(3, 2).conv(conv).hidden_channels(4).num_layers(3).normalize_embedding(true).root_weight(
              root));
      model->to(torch::kDouble);
      model->eval();
      {
        torch::NoGradGuard no_grad;
        for (auto& p : model->named_parameters())
          if (p.key().find("bias") != std::string::npos) p.value().zero_();
      }
      auto g = tiny_graph(true);
      GNNLRP lrp(*model, GNNLRPOptions().layer_rule(LrpRule::eps(0)).head_rule(LrpRule::eps(0)));
      auto all = lrp.all_walks(g, Target::node(4));
      INFO(conv_name(conv) << " root=" << root);
      REQUIRE(std::abs(all.output) > 1e-6);
      // The classifier's own output, so the normalisation is in the decomposed forward.
      auto logits = model->forward_graph(g);
      REQUIRE(all.output == Approx(logits[4][logits[4].argmax().item<int64_t>()].item<double>()).epsilon(1e-10));
      REQUIRE(all.sum_relevance == Approx(all.output).epsilon(1e-10));
      GNNX_REQUIRE_CLOSE(all.relevance, lrp.naive_walk_relevance(g, Target::node(4), all.walks), 1e-9, 1e-12);
    }
  }
}

TEST_CASE("A linear GCN: walk relevance = product of normalised edge weights times the weight chain", "[gnnlrp]") {
  // Path 0-1-2 plus 1-3; non-negative features and weights keep every ReLU in its linear part.
  auto ei = gnnx::undirected_edge_index({{0, 1}, {1, 2}, {1, 3}});
  auto x = torch::tensor({{1.0, 0.5}, {0.2, 1.0}, {0.7, 0.3}, {0.4, 0.9}}, torch::kDouble);
  Graph g(ei, 4, x);
  GNNClassifier m(GNNClassifierOptions(2, 2).hidden_channels(3).num_layers(2).concat(false));
  m->to(torch::kDouble);
  m->eval();
  torch::manual_seed(2);
  {
    torch::NoGradGuard ng;
    for (auto& p : m->named_parameters()) {
      if (p.key().find("bias") != std::string::npos)
        p.value().zero_();
      else
        p.value().copy_(torch::rand(p.value().sizes(), torch::kDouble) + 0.1);
    }
  }
  auto convs = m->message_passing_layers();
  auto W1 = std::dynamic_pointer_cast<gnnx::nn::GCNConvImpl>(convs[0])->lin->weight.detach();
  auto W2 = std::dynamic_pointer_cast<gnnx::nn::GCNConvImpl>(convs[1])->lin->weight.detach();
  const int64_t label = 1;
  auto head = m->head->weight.detach()[label];
  // Â with self loops: 1 / sqrt((d_i + 1)(d_j + 1)) for an edge, 1 / (d_i + 1) on the diagonal.
  const double deg[4] = {1, 3, 1, 1};
  auto ahat = [&](int64_t i, int64_t j) {
    const bool adjacent = (i == 1 || j == 1) && i != j;
    if (i == j) return 1.0 / (deg[i] + 1);
    return adjacent ? 1.0 / std::sqrt((deg[i] + 1) * (deg[j] + 1)) : 0.0;
  };
  GNNLRP lrp(*m, GNNLRPOptions().layer_rule(LrpRule::eps(0)).head_rule(LrpRule::eps(0)));
  auto all = lrp.all_walks(g, Target::node(2, label));
  REQUIRE(all.size() > 0);
  for (int64_t w = 0; w < all.size(); ++w) {
    const auto v0 = all.walks[w][0].item<int64_t>(), v1 = all.walks[w][1].item<int64_t>(),
               v2 = all.walks[w][2].item<int64_t>();
    const double expect = ahat(v1, v0) * ahat(v2, v1) * torch::dot(head, W2.mv(W1.mv(x[v0]))).item<double>();
    INFO("walk " << v0 << "-" << v1 << "-" << v2);
    REQUIRE(all.relevance[w].item<double>() == Approx(expect).epsilon(1e-10));
  }
  // Walks into node 2 in two layers: (v0, v1, 2) with v1 in {1, 2}; from 1: 0, 1, 2, 3; from 2: 1, 2.
  REQUIRE(all.num_walks == 6);
  REQUIRE(all.sum_relevance == Approx(all.output).epsilon(1e-10));
}
