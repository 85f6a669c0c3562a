// Reference models: a short training run learns well above chance (the full accuracy table
// is bench/bench_reference_models, not a test).
#include "gnnx/datasets/reference.h"

#include <map>
#include <set>
#include <utility>

#include <torch/torch.h>

#include "support/catch.h"
#include "support/tensor_match.h"

using namespace gnnx;
using namespace gnnx::datasets;

TEST_CASE("reference model smoke test: BA-Shapes node classifier", "[datasets]") {
  const Dataset d = ba_shapes();
  auto config = reference_config(d);
  REQUIRE(config.model.in_channels() == 10);
  REQUIRE(config.model.num_classes() == 4);
  REQUIRE(config.model.hidden_channels() == 20);
  REQUIRE(config.model.num_layers() == 3);
  config.train.epochs(150);
  const auto a = train_reference_model(d, config, /*seed=*/0);
  // The majority class (base) is 300 / 700 = 0.43.
  REQUIRE(a.result.train_acc > 0.75);
  REQUIRE(a.result.test_acc > 0.7);
  REQUIRE(a.model->num_hops() == 3);
  // Same seed, same model.
  const auto b = train_reference_model(d, config, /*seed=*/0);
  REQUIRE(a.result.test_acc == b.result.test_acc);
  GNNX_REQUIRE_CLOSE(a.model->head->weight, b.model->head->weight);
}

TEST_CASE("reference model smoke test: BA-2Motifs graph classifier", "[datasets]") {
  const Dataset d = ba_2motifs(Ba2MotifsOptions().num_graphs(200), 0);
  auto config = reference_config(d);
  REQUIRE(config.model.task() == nn::Task::kGraph);
  config.train.epochs(30);
  const auto r = train_reference_model(d, config, /*seed=*/1);
  REQUIRE(r.result.train_acc > 0.8);
  Dataset unknown = d;
  unknown.name = "my-data";
  GNNX_REQUIRE_ERROR("no reference model for dataset 'my-data'", reference_config(unknown));
}

namespace {

// Both directions of every undirected edge as one key.
std::map<std::pair<int64_t, int64_t>, float> undirected_weights(const at::Tensor& ei, const at::Tensor& w, int64_t lo,
                                                                int64_t hi) {
  std::map<std::pair<int64_t, int64_t>, float> out;
  const auto e = ei.accessor<int64_t, 2>();
  const auto ww = w.accessor<float, 1>();
  for (int64_t k = 0; k < ei.size(1); ++k) {
    if (e[0][k] < lo || e[0][k] >= hi) continue;
    const std::pair<int64_t, int64_t> key{std::min(e[0][k], e[1][k]) - lo, std::max(e[0][k], e[1][k]) - lo};
    auto it = out.find(key);
    if (it == out.end())
      out.emplace(key, ww[k]);
    else
      REQUIRE(it->second == ww[k]);  // (u, v) and (v, u) kept together, with one weight
  }
  return out;
}

}  // namespace

TEST_CASE("counterexample_graph: copies follow the generating rule", "[datasets]") {
  const Dataset d = tree_cycles(TreeCyclesOptions().depth(5).num_motifs(8), 3);
  const Graph& g = d.graphs.front();
  const int64_t N = g.num_nodes;
  const auto mid = d.motif_id.front();
  const auto y = g.y;
  const auto gt = d.edge_mask_gt.front();
  const auto original = undirected_weights(g.edge_index, torch::ones({g.num_edges()}), 0, N);
  // Template pairs of each motif.
  std::map<int64_t, std::set<std::pair<int64_t, int64_t>>> templ;
  for (int64_t k = 0; k < g.num_edges(); ++k) {
    const auto u = g.edge_index[0][k].item<int64_t>(), v = g.edge_index[1][k].item<int64_t>();
    if (gt[k].item<float>() > 0.5f) templ[mid[u].item<int64_t>()].insert({std::min(u, v), std::max(u, v)});
  }
  REQUIRE(templ.size() == 8);

  for (bool soft : {false, true}) {
    const auto o = CounterexampleOptions().copies(4).break_prob(0.5).drop_prob(0.3).soft_weights(soft);
    const auto a = counterexample_graph(d, o, 7);
    REQUIRE(a.graph.num_nodes == 5 * N);
    REQUIRE(a.graph.has_edge_weight());
    REQUIRE(a.split.train.numel() == 5 * d.split.train.numel());
    REQUIRE(a.split.val.numel() == 5 * d.split.val.numel());
    REQUIRE(torch::equal(a.split.test, d.split.test));
    REQUIRE(torch::equal(a.split.train.slice(0, 0, d.split.train.numel()), d.split.train));
    REQUIRE(torch::equal(a.split.val.slice(0, d.split.val.numel(), 2 * d.split.val.numel()), d.split.val + N));
    // The dataset's graph comes first, unchanged, with weight 1.
    REQUIRE(undirected_weights(a.graph.edge_index, a.graph.edge_weight, 0, N) == original);
    REQUIRE(torch::equal(a.graph.y.slice(0, 0, N), y));
    int broken = 0, intact = 0, dropped = 0, fractional = 0;
    for (int64_t c = 1; c <= 4; ++c) {
      const auto copy = undirected_weights(a.graph.edge_index, a.graph.edge_weight, c * N, (c + 1) * N);
      const auto cy = a.graph.y.slice(0, c * N, (c + 1) * N);
      for (const auto& [key, w] : copy) {
        REQUIRE(original.count(key) == 1);  // edges are only ever deleted
        const bool motif_edge = templ[mid[key.first].item<int64_t>()].count(key) == 1;
        if (motif_edge || !soft) REQUIRE(w == 1.0f);
        REQUIRE((w >= 0.0f && w <= 1.0f));
        if (w < 1.0f) ++fractional;
      }
      for (const auto& [key, w] : original) {
        const bool motif_edge = mid[key.first].item<int64_t>() >= 0 && templ[mid[key.first].item<int64_t>()].count(key);
        if (!motif_edge && !copy.count(key)) ++dropped;
      }
      for (const auto& [m, pairs] : templ) {
        bool complete = true;
        for (const auto& p : pairs) complete = complete && copy.count(p) == 1;
        (complete ? intact : broken) += 1;
        for (int64_t v = 0; v < N; ++v) {
          if (mid[v].item<int64_t>() != m) continue;
          // A broken cycle's nodes take the tree's label (0); a complete one keeps its labels.
          REQUIRE(cy[v].item<int64_t>() == (complete ? y[v].item<int64_t>() : 0));
        }
      }
      for (int64_t v = 0; v < N; ++v)
        if (mid[v].item<int64_t>() < 0) REQUIRE(cy[v].item<int64_t>() == y[v].item<int64_t>());
    }
    // 32 motif draws at probability 1/2, and about 30 % of the non-motif edges deleted.
    REQUIRE(broken > 4);
    REQUIRE(intact > 4);
    REQUIRE(dropped > 0);
    REQUIRE((fractional > 0) == soft);
    // Same seed, same copies; another seed, other copies.
    REQUIRE(torch::equal(counterexample_graph(d, o, 7).graph.edge_index, a.graph.edge_index));
    REQUIRE(!torch::equal(counterexample_graph(d, o, 8).graph.edge_index, a.graph.edge_index));
  }

  // Nothing broken or dropped: the copies equal the graph.
  const auto same = counterexample_graph(d, CounterexampleOptions().copies(2).break_prob(0).drop_prob(0), 0);
  for (int64_t c = 1; c <= 2; ++c) {
    REQUIRE(undirected_weights(same.graph.edge_index, same.graph.edge_weight, c * N, (c + 1) * N) == original);
    REQUIRE(torch::equal(same.graph.y.slice(0, c * N, (c + 1) * N), y));
  }

  GNNX_REQUIRE_ERROR("copies must be >= 0", counterexample_graph(d, CounterexampleOptions().copies(-1), 0));
  GNNX_REQUIRE_ERROR("must lie in [0, 1]",
                     counterexample_graph(d, CounterexampleOptions().copies(1).break_prob(1.5), 0));
  GNNX_REQUIRE_ERROR("must lie in [0, 1]",
                     counterexample_graph(d, CounterexampleOptions().copies(1).drop_prob(-0.1), 0));
  GNNX_REQUIRE_ERROR("expected a node-task dataset",
                     counterexample_graph(ba_2motifs(Ba2MotifsOptions().num_graphs(4), 0), CounterexampleOptions(), 0));
}

TEST_CASE("counterexample_graph: a broken house takes its community's base label", "[datasets]") {
  const Dataset d = ba_community(BaCommunityOptions().community(BaShapesOptions().base_nodes(30).num_motifs(4)), 0);
  const Graph& g = d.graphs.front();
  const int64_t N = g.num_nodes;
  const auto a = counterexample_graph(d, CounterexampleOptions().copies(1).break_prob(1).drop_prob(0), 0);
  const auto mid = d.motif_id.front();
  std::set<int64_t> base_labels;
  for (int64_t v = 0; v < N; ++v) {
    if (mid[v].item<int64_t>() < 0) continue;
    const auto l = a.graph.y[N + v].item<int64_t>();
    base_labels.insert(l);
    // Every house is broken; community 0's base label is 0, community 1's is 4.
    REQUIRE((l == 0 || l == 4));
    REQUIRE(l == (g.y[v].item<int64_t>() < 4 ? 0 : 4));
  }
  REQUIRE(base_labels == std::set<int64_t>{0, 4});
}

TEST_CASE("reference model with counterexamples: trains on the union, tests on the graph", "[datasets]") {
  const Dataset d = tree_cycles(TreeCyclesOptions().depth(5).num_motifs(8), 0);
  auto config = reference_config(d);
  config.train.epochs(60);
  config.counterexamples.copies(2);
  const auto r = train_reference_model(d, config, 0);
  REQUIRE(r.result.test_acc > 0.5);
  REQUIRE(r.model->num_hops() == 3);
  const Dataset growth = ba_growth(BaGrowthOptions().num_graphs(4), 0);
  auto bad = reference_config(growth);
  bad.counterexamples.copies(1);
  GNNX_REQUIRE_ERROR("has no motif instance", train_reference_model(growth, bad, 0));
}

TEST_CASE("counterexample_graphs: broken motifs take the no-motif class, or the class they now are", "[datasets]") {
  const Dataset d = ba_2motifs(Ba2MotifsOptions().num_graphs(40), 2);
  const int64_t copies = 20;
  const auto a = counterexample_graphs(d, CounterexampleOptions().copies(copies).break_prob(1).drop_prob(0), 5);
  REQUIRE(a.num_classes == 3);
  const int64_t G = static_cast<int64_t>(d.graphs.size());
  const int64_t T = d.split.train.numel(), V = d.split.val.numel();
  REQUIRE(static_cast<int64_t>(a.graphs.size()) == G + copies * (T + V));
  REQUIRE(a.split.train.numel() == (1 + copies) * T);
  REQUIRE(a.split.val.numel() == (1 + copies) * V);
  REQUIRE(torch::equal(a.split.test, d.split.test));
  for (int64_t i = 0; i < G; ++i) {  // the dataset's graphs first, unchanged, weights 1
    REQUIRE(torch::equal(a.graphs[i].edge_index, d.graphs[i].edge_index));
    REQUIRE(torch::equal(a.graphs[i].y, d.graphs[i].y));
    REQUIRE(torch::equal(a.graphs[i].edge_weight, torch::ones({d.graphs[i].num_edges()})));
  }
  // Copy k of train graph t is graph G + t * copies + k (train graphs first, then val).
  int to_cycle = 0, to_none = 0;
  for (int64_t t = 0; t < T; ++t) {
    const int64_t i = d.split.train[t].item<int64_t>();
    const Graph& g = d.graphs[static_cast<size_t>(i)];
    const auto orig = undirected_weights(g.edge_index, torch::ones({g.num_edges()}), 0, g.num_nodes);
    const auto mid = d.motif_id[static_cast<size_t>(i)];
    int64_t first = 0;
    while (mid[first].item<int64_t>() < 0) ++first;
    const int64_t y = g.y.item<int64_t>();
    for (int64_t k = 0; k < copies; ++k) {
      const int64_t j = G + t * copies + k;
      REQUIRE(a.split.train[T + t * copies + k].item<int64_t>() == j);
      const Graph& c = a.graphs[static_cast<size_t>(j)];
      const auto copy = undirected_weights(c.edge_index, c.edge_weight, 0, c.num_nodes);
      std::set<std::pair<int64_t, int64_t>> removed;
      for (const auto& [key, w] : orig) {
        const bool motif_edge = mid[key.first].item<int64_t>() >= 0 && mid[key.second].item<int64_t>() >= 0;
        if (!copy.count(key)) {
          REQUIRE(motif_edge);  // drop_prob 0: only motif edges go
          removed.insert(key);
        }
      }
      REQUIRE(!removed.empty());  // break_prob 1: every motif is broken
      const int64_t label = c.y.item<int64_t>();
      // A house (class 0) without the edge under its roof, and only that edge, is a five-cycle
      // (class 1); anything else broken is "no complete motif" (class 2).
      const bool roof_base_only = y == 0 && removed == std::set<std::pair<int64_t, int64_t>>{{first, first + 1}};
      REQUIRE(label == (roof_base_only ? 1 : 2));
      (label == 1 ? to_cycle : to_none) += 1;
    }
  }
  REQUIRE(to_cycle > 0);
  REQUIRE(to_none > 0);

  // break 0, drop 1: every non-motif edge goes, the motif and the label stay; soft weights in [0, 1).
  const auto b = counterexample_graphs(d, CounterexampleOptions().copies(1).break_prob(0).drop_prob(1), 5);
  for (int64_t t = 0; t < T; ++t) {
    const auto i = static_cast<size_t>(d.split.train[t].item<int64_t>());
    const Graph& c = b.graphs[static_cast<size_t>(G + t)];
    REQUIRE(torch::equal(c.y, d.graphs[i].y));
    REQUIRE(c.num_edges() == static_cast<int64_t>(d.edge_mask_gt[i].sum().item<float>()));
  }
  const auto s =
      counterexample_graphs(d, CounterexampleOptions().copies(2).break_prob(0).drop_prob(0.2).soft_weights(true), 5);
  const auto w = s.graphs.back().edge_weight;
  REQUIRE(w.min().item<float>() >= 0.0f);
  REQUIRE(w.lt(1.0f).any().item<bool>());
  // Deterministic per seed.
  const auto s2 =
      counterexample_graphs(d, CounterexampleOptions().copies(2).break_prob(0).drop_prob(0.2).soft_weights(true), 5);
  REQUIRE(torch::equal(s.graphs.back().edge_index, s2.graphs.back().edge_index));
  REQUIRE(torch::equal(s.graphs.back().edge_weight, s2.graphs.back().edge_weight));

  GNNX_REQUIRE_ERROR("expected a graph-task dataset",
                     counterexample_graphs(tree_cycles(TreeCyclesOptions().depth(3).num_motifs(2)),
                                           CounterexampleOptions(), 0));
  GNNX_REQUIRE_ERROR("has no motif instance", counterexample_graphs(ba_growth(BaGrowthOptions().num_graphs(4), 0),
                                                                    CounterexampleOptions().copies(1), 0));
  GNNX_REQUIRE_ERROR("must lie in [0, 1]",
                     counterexample_graphs(d, CounterexampleOptions().copies(1).break_prob(2), 0));
}

TEST_CASE("reference model with graph counterexamples: one more output, the no-motif class", "[datasets]") {
  const Dataset d = ba_2motifs(Ba2MotifsOptions().num_graphs(100), 0);
  auto config = reference_config(d);
  config.train.epochs(20);
  config.counterexamples.copies(1).break_prob(1).drop_prob(0);
  const auto r = train_reference_model(d, config, 0);
  REQUIRE(r.model->num_classes() == 3);
  REQUIRE(r.result.train_acc > 0.6);  // three classes, majority "no motif" at 0.5
}
