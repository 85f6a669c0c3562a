#include "gnnx/graph/ops.h"

#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/reverse_graph.hpp>
#include <torch/torch.h>

#include "gnnx/core/random.h"
#include "support/catch.h"
#include "support/tensor_match.h"

using namespace gnnx;

namespace {
Graph random_graph(int64_t n, int64_t m, uint64_t seed) {
  Rng rng(seed);
  std::vector<int64_t> s, d;
  for (int64_t e = 0; e < m; ++e) {
    s.push_back(uniform_int(rng, 0, n - 1));
    d.push_back(uniform_int(rng, 0, n - 1));
  }
  auto ei = torch::stack({torch::tensor(s, torch::kLong), torch::tensor(d, torch::kLong)});
  return Graph(ei, n, torch::randn({n, 3}, torch_generator(seed)));
}
}  // namespace

TEST_CASE("k_hop_subgraph equals a Boost.Graph BFS on random graphs", "[graph]") {
  for (uint64_t seed = 0; seed < 20; ++seed) {
    auto g = random_graph(40, 60, seed);
    const int64_t node = static_cast<int64_t>(seed % 40);
    const int64_t k = static_cast<int64_t>(seed % 4);
    auto sub = k_hop_subgraph(g, node, k);
    // Reference: BFS distances on the reversed graph (nodes that reach `node` in <= k hops).
    auto bg = to_boost(g);
    auto rg = boost::make_reverse_graph(bg);
    std::vector<int64_t> dist(40, -1);
    dist[static_cast<size_t>(node)] = 0;
    std::vector<boost::default_color_type> color(40);
    struct Rec : boost::default_bfs_visitor {
      std::vector<int64_t>* d;
      void tree_edge(boost::graph_traits<decltype(rg)>::edge_descriptor e, const decltype(rg)& gr) const {
        (*d)[boost::target(e, gr)] = (*d)[boost::source(e, gr)] + 1;
      }
    } vis;
    vis.d = &dist;
    boost::breadth_first_search(rg, static_cast<size_t>(node),
                                boost::visitor(vis).color_map(boost::make_iterator_property_map(color.begin(), boost::get(boost::vertex_index, rg))));
    std::vector<int64_t> expect;
    for (int64_t v = 0; v < 40; ++v)
      if (dist[static_cast<size_t>(v)] >= 0 && dist[static_cast<size_t>(v)] <= k) expect.push_back(v);
    auto got = sub.node_ids;
    INFO("seed " << seed);
    REQUIRE(got.numel() == static_cast<int64_t>(expect.size()));
    REQUIRE(torch::equal(got, torch::tensor(expect, torch::kLong)));
    // Kept edges: both ends kept, mapped back correctly.
    auto back = sub.node_ids.index_select(0, sub.graph.edge_index.flatten()).view({2, -1});
    REQUIRE(torch::equal(back, g.edge_index.index_select(1, sub.edge_ids)));
    REQUIRE(sub.node_ids[sub.center[0]].item<int64_t>() == node);
    GNNX_REQUIRE_CLOSE(sub.graph.x, g.x.index_select(0, sub.node_ids));
  }
  auto g = random_graph(5, 5, 1);
  GNNX_REQUIRE_ERROR("out of range", k_hop_subgraph(g, 5, 1));
  GNNX_REQUIRE_ERROR("k must be >= 0", k_hop_subgraph(g, 0, -1));
}

TEST_CASE("batching is a disjoint union and unbatch inverts it", "[graph]") {
  std::vector<Graph> gs{random_graph(4, 5, 1), random_graph(3, 2, 2), random_graph(6, 9, 3)};
  auto b = batch_graphs(gs);
  REQUIRE(b.graph.num_nodes == 13);
  REQUIRE(b.graph.num_edges() == 16);
  REQUIRE(torch::equal(b.ptr, torch::tensor({0, 4, 7, 13}, torch::kLong)));
  auto back = unbatch(b);
  REQUIRE(back.size() == 3);
  for (size_t i = 0; i < 3; ++i) {
    REQUIRE(torch::equal(back[i].edge_index, gs[i].edge_index));
    GNNX_REQUIRE_CLOSE(back[i].x, gs[i].x);
  }
  gs[1].x = torch::ones({3, 5});
  GNNX_REQUIRE_ERROR("graph 1 has 5 features", batch_graphs(gs));
  GNNX_REQUIRE_ERROR("at least one graph", batch_graphs({}));
}

TEST_CASE("CSR and CSC group edges by source and target", "[graph]") {
  auto g = random_graph(10, 30, 5);
  auto csc = to_csc(g.edge_index, 10);
  auto deg = degree(g.edge_index[1], 10);
  GNNX_REQUIRE_CLOSE(csc.rowptr.diff().to(torch::kFloat), deg);
  REQUIRE(torch::equal(csc.col, g.edge_index[0].index_select(0, csc.perm)));
  auto csr = to_csr(g.edge_index, 10);
  REQUIRE(torch::equal(csr.col, g.edge_index[1].index_select(0, csr.perm)));
  auto [ei, ew] = add_self_loops(g.edge_index, 10, torch::ones({30}), 2.0);
  REQUIRE(ei.size(1) == 40);
  REQUIRE(ew.slice(0, 30).eq(2.0).all().item<bool>());
  auto [ei2, ew2] = remove_self_loops(ei, ew);
  REQUIRE((ei2[0] != ei2[1]).all().item<bool>());
}
