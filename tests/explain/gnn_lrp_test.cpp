#include "gnnx/explain/gnn_lrp.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <unistd.h>

#include <torch/torch.h>

#include "gnnx/graph/ops.h"
#include "gnnx/nn/conv/gcn_conv.h"
#include "gnnx/viz/walks_svg.h"
#include "support/catch.h"
#include "support/tensor_match.h"

using gnnx::Graph;
using gnnx::Target;
using gnnx::attribution::LrpRule;
using gnnx::explain::GNNLRP;
using gnnx::explain::GNNLRPOptions;
using gnnx::explain::WalkOrder;
using gnnx::nn::ConvType;
using gnnx::nn::GNNClassifier;
using gnnx::nn::GNNClassifierOptions;
using gnnx::nn::Task;

namespace {

// A triangle with a tail and a pendant: 0-1, 1-2, 2-0, 2-3, 3-4, 4-5, 3-5.
Graph tiny_graph(bool weighted = false) {
  auto ei = gnnx::undirected_edge_index({{0, 1}, {1, 2}, {2, 0}, {2, 3}, {3, 4}, {4, 5}, {3, 5}});
  torch::manual_seed(11);
  auto x = torch::rand({6, 3}, torch::kDouble) + 0.1;
  at::Tensor w;
  if (weighted) w = torch::rand({ei.size(1)}, torch::kDouble) + 0.5;
  return Graph(ei, 6, x, w);
}

GNNClassifier tiny_model(ConvType conv, Task task, bool concat, int64_t layers = 3, uint64_t seed = 1,
                         bool random_bias = true) {
  torch::manual_seed(seed);
  GNNClassifier m(GNNClassifierOptions(3, 2).conv(conv).task(task).hidden_channels(4).num_layers(layers).concat(concat));
  m->to(torch::kDouble);
  m->eval();
  torch::NoGradGuard no_grad;
  for (auto& p : m->named_parameters()) {
    if (p.key().find("bias") != std::string::npos) {
      if (random_bias)
        p.value().copy_(torch::randn(p.value().sizes(), torch::kDouble) * 0.2);
      else
        p.value().zero_();
    }
  }
  return m;
}

const char* conv_name(ConvType c) { return gnnx::nn::to_string(c); }

}  // namespace

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

TEST_CASE("Normalised embeddings and GraphConv without a root weight: walks, naive and conservation agree", "[gnnlrp]") {
  for (auto conv : {ConvType::kGCN, ConvType::kGIN, ConvType::kGraphConv}) {
    for (bool root : {true, false}) {
      if (!root && conv != ConvType::kGraphConv) continue;
      torch::manual_seed(5);
      GNNClassifier model(GNNClassifierOptions(3, 2).conv(conv).hidden_channels(4).num_layers(3).normalize_embedding(true).root_weight(root));
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
    const auto v0 = all.walks[w][0].item<int64_t>(), v1 = all.walks[w][1].item<int64_t>(), v2 = all.walks[w][2].item<int64_t>();
    const double expect = ahat(v1, v0) * ahat(v2, v1) * torch::dot(head, W2.mv(W1.mv(x[v0]))).item<double>();
    INFO("walk " << v0 << "-" << v1 << "-" << v2);
    REQUIRE(all.relevance[w].item<double>() == Approx(expect).epsilon(1e-10));
  }
  // Walks into node 2 in two layers: (v0, v1, 2) with v1 in {1, 2}; from 1: 0, 1, 2, 3; from 2: 1, 2.
  REQUIRE(all.num_walks == 6);
  REQUIRE(all.sum_relevance == Approx(all.output).epsilon(1e-10));
}

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
            auto it = index.find(std::vector<int64_t>(row.data_ptr<int64_t>(), row.data_ptr<int64_t>() + row.numel()));
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
  GNNX_REQUIRE_ERROR("more than max_walks", GNNLRP(*model, GNNLRPOptions().max_walks(10)).all_walks(g, Target::node(1)));
  auto sage = tiny_model(ConvType::kSAGE, Task::kNode, true);
  GNNX_REQUIRE_ERROR("unsupported layer type", GNNLRP(*sage));
  GNNX_REQUIRE_ERROR("must be epsilon or gamma", GNNLRP(*model, GNNLRPOptions().layer_rule(LrpRule::zplus())));
  auto gmodel = tiny_model(ConvType::kGIN, Task::kGraph, true);
  GNNX_REQUIRE_ERROR("expected a graph target", GNNLRP(*gmodel).all_walks(g, Target::node(0)));
  Graph wrong(g.edge_index, 6, torch::rand({6, 5}, torch::kDouble));
  GNNX_REQUIRE_ERROR("input features", lrp.all_walks(wrong, Target::node(0)));
}

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

TEST_CASE("Walk pictures through GraphViz", "[gnnlrp]") {
  auto g = tiny_graph();
  auto model = tiny_model(ConvType::kGCN, Task::kNode, true);
  GNNLRP lrp(*model);
  auto top = lrp.top_walks(g, Target::node(3), 6);
  auto dot = gnnx::viz::walks_to_dot(g, top);
  REQUIRE(dot.find("digraph walks") != std::string::npos);
  REQUIRE((dot.find("#d62728") != std::string::npos || dot.find("#1f77b4") != std::string::npos));
  const auto dir = std::filesystem::temp_directory_path() / ("gnnx_gnnlrp_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto svg = (dir / "walks.svg").string();
  GNNX_REQUIRE_ERROR("not found", gnnx::viz::write_walks_svg(g, top, svg,
                                                                 gnnx::viz::WalkSvgOptions().dot_program("/nonexistent/dot")));
  if (!std::filesystem::exists("/usr/bin/dot")) {
    WARN("GraphViz dot not installed; SVG rendering not exercised");
  } else {
    gnnx::viz::write_walks_svg(g, top, svg);
    std::ifstream f(svg);
    std::stringstream s;
    s << f.rdbuf();
    REQUIRE(s.str().find("<svg") != std::string::npos);
  }
  std::filesystem::remove_all(dir);
}
