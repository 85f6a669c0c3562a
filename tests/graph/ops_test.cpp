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
                                boost::visitor(vis).color_map(boost::make_iterator_property_map(
                                    color.begin(), boost::get(boost::vertex_index, rg))));
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

TEST_CASE("k_hop_subgraphs equals k_hop_subgraph node by node", "[graph]") {
  // Random directed multigraphs (self loops and repeated edges included), with weights and
  // node labels, k = 0..3: small dense graphs, where a subgraph holds most of the graph, and
  // larger sparse ones, where it holds a small part (ids put in order by a sort, or by a bit set
  // from 1/512 of the graph on: both ways on the 4000-node graphs).
  for (uint64_t seed = 0; seed < 10; ++seed) {
    const int64_t n = seed >= 8 ? 4000 : seed % 2 ? 30 : 300;
    auto g = random_graph(n, n == 30 ? 20 + 15 * static_cast<int64_t>(seed) : n == 300 ? 320 : 6000, seed);
    g.edge_weight = torch::rand({g.num_edges()}, torch_generator(seed));
    g.y = torch::arange(n, torch::kLong).remainder(4);
    std::vector<int64_t> nodes;
    for (int64_t v = n - 1; v >= 0; v -= n == 4000 ? 37 : 1) nodes.push_back(v);
    nodes.push_back(3);  // the same node twice
    for (int64_t k = 0; k <= 3; ++k) {
      auto subs = k_hop_subgraphs(g, nodes, k);
      REQUIRE(subs.size() == nodes.size());
      for (size_t i = 0; i < nodes.size(); ++i) {
        INFO("seed " << seed << ", k " << k << ", node " << nodes[i]);
        auto ref = k_hop_subgraph(g, nodes[i], k);
        const auto& s = subs[i];
        REQUIRE(torch::equal(s.node_ids, ref.node_ids));
        REQUIRE(torch::equal(s.edge_ids, ref.edge_ids));
        REQUIRE(torch::equal(s.center, ref.center));
        REQUIRE(torch::equal(s.graph.edge_index, ref.graph.edge_index));
        REQUIRE(s.graph.num_nodes == ref.graph.num_nodes);
        REQUIRE(torch::equal(s.graph.x, ref.graph.x));
        REQUIRE(torch::equal(s.graph.edge_weight, ref.graph.edge_weight));
        REQUIRE(torch::equal(s.graph.y, ref.graph.y));
      }
    }
  }
  auto g = random_graph(5, 5, 1);
  REQUIRE(k_hop_subgraphs(g, {}, 2).empty());
  GNNX_REQUIRE_ERROR("k_hop_subgraphs: node id 5 is out of range [0, 5)", k_hop_subgraphs(g, {0, 5}, 1));
  GNNX_REQUIRE_ERROR("k_hop_subgraphs: k must be >= 0, got -1", k_hop_subgraphs(g, {0}, -1));
  g.edge_index[0][0] = 7;
  GNNX_REQUIRE_ERROR("k_hop_subgraphs: edge_index holds node id 7", k_hop_subgraphs(g, {0}, 1));
}

TEST_CASE("the kept in-edge grouping follows edge_index through copies and in-place changes", "[graph]") {
  // k_hop_subgraphs and k_hop_sizes read a grouping a graph keeps between calls; each must
  // still equal the search of k_hop_subgraph, which groups nothing.
  auto same_as_reference = [](const Graph& g, const char* when) {
    INFO(when);
    std::vector<int64_t> nodes;
    for (int64_t v = 0; v < g.num_nodes; v += 7) nodes.push_back(v);
    for (const int64_t k : {0, 1, 2, 3}) {
      INFO("k = " << k);
      const auto subs = k_hop_subgraphs(g, nodes, k);
      const auto sizes = k_hop_sizes(g, nodes, k);
      for (size_t i = 0; i < nodes.size(); ++i) {
        const auto ref = k_hop_subgraph(g, nodes[i], k);
        REQUIRE(torch::equal(subs[i].node_ids, ref.node_ids));
        REQUIRE(torch::equal(subs[i].edge_ids, ref.edge_ids));
        REQUIRE(sizes[i] == std::make_pair(ref.graph.num_nodes, ref.graph.num_edges()));
      }
    }
  };
  auto g = random_graph(300, 600, 3);
  same_as_reference(g, "first search");
  same_as_reference(g, "kept grouping");
  g.edge_index.copy_(g.edge_index.flip(0));  // every edge reversed in place
  same_as_reference(g, "after an in-place change");
  Graph copy = g;  // shares the grouping until its edge_index differs
  same_as_reference(copy, "copy");
  copy.edge_index = copy.edge_index.narrow(1, 0, 300).clone();
  same_as_reference(copy, "copy with half the edges");
  same_as_reference(g, "original after its copy changed");
  g.num_nodes += 5;
  g.x = torch::randn({g.num_nodes, 3});
  same_as_reference(g, "five more nodes");
  same_as_reference(g.to(torch::kCPU), "moved copy");
  {
    c10::InferenceMode guard;
    Graph inference(g.edge_index.clone(), g.num_nodes);
    same_as_reference(inference, "inference tensor");
    inference.edge_index.copy_(inference.edge_index.flip(0));
    same_as_reference(inference, "inference tensor changed in place");
  }
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
  // Grouped by key, ascending edge ids within a group: a stable sort's order.
  REQUIRE(torch::equal(csr.perm, std::get<1>(torch::sort(g.edge_index[0], /*stable=*/true, 0, false))));
  REQUIRE(torch::equal(csc.perm, std::get<1>(torch::sort(g.edge_index[1], /*stable=*/true, 0, false))));
  auto wider = to_csc(g.edge_index, 15);  // nodes 10..14 have no edges
  REQUIRE(torch::equal(wider.rowptr.slice(0, 0, 11), csc.rowptr));
  REQUIRE(torch::equal(wider.rowptr.slice(0, 11), torch::full({5}, 30, torch::kLong)));
  auto none = to_csr(torch::empty({2, 0}, torch::kLong), 4);
  REQUIRE(torch::equal(none.rowptr, torch::zeros({5}, torch::kLong)));
  REQUIRE(none.perm.numel() == 0);
  auto [ei, ew] = add_self_loops(g.edge_index, 10, torch::ones({30}), 2.0);
  REQUIRE(ei.size(1) == 40);
  REQUIRE(ew.slice(0, 30).eq(2.0).all().item<bool>());
  auto [ei2, ew2] = remove_self_loops(ei, ew);
  REQUIRE((ei2[0] != ei2[1]).all().item<bool>());
}

TEST_CASE("conversion to Boost.Graph and back keeps every edge and its id", "[graph]") {
  auto g = random_graph(12, 40, 9);
  auto bg = to_boost(g);
  REQUIRE(boost::num_vertices(bg) == 12);
  REQUIRE(boost::num_edges(bg) == 40);
  auto ids = boost::get(boost::edge_index, bg);
  auto ei = g.edge_index;
  for (auto [it, end] = boost::edges(bg); it != end; ++it) {
    const int64_t e = boost::get(ids, *it);
    REQUIRE(static_cast<int64_t>(boost::source(*it, bg)) == ei[0][e].item<int64_t>());
    REQUIRE(static_cast<int64_t>(boost::target(*it, bg)) == ei[1][e].item<int64_t>());
  }
  // Back: the same multiset of (source, target) pairs (Boost lists edges grouped by source).
  auto back = edge_index_from_boost(bg);
  REQUIRE(back.sizes() == ei.sizes());
  auto key = [](const at::Tensor& t) { return std::get<0>(torch::sort(t[0] * 1000 + t[1])); };
  REQUIRE(torch::equal(key(back), key(ei)));
  // Isolated nodes survive the trip: a graph with no edges.
  Graph lonely(torch::zeros({2, 0}, torch::kLong), 3);
  REQUIRE(boost::num_vertices(to_boost(lonely)) == 3);
  REQUIRE(edge_index_from_boost(to_boost(lonely)).sizes() == torch::IntArrayRef({2, 0}));
}

TEST_CASE("degree, self loops and undirected_edge_index", "[graph]") {
  auto ei = torch::tensor({0, 0, 1, 2, 1, 2, 2, 2}, torch::kLong).view({2, 4});  // 0->1, 0->2, 1->2, 2->2
  GNNX_REQUIRE_CLOSE(degree(ei[1], 4), torch::tensor({0.0f, 1.0f, 3.0f, 0.0f}));
  GNNX_REQUIRE_CLOSE(degree(ei[0], 4), torch::tensor({2.0f, 1.0f, 1.0f, 0.0f}));
  GNNX_REQUIRE_CLOSE(degree(ei[1], 4, torch::tensor({0.5, 1.0, 2.0, 4.0})), torch::tensor({0.0, 0.5, 7.0, 0.0}));
  auto [with, w] = add_self_loops(ei, 4);
  REQUIRE(with.size(1) == 8);
  REQUIRE(!w.defined());
  REQUIRE(torch::equal(with.slice(1, 4), torch::arange(4, torch::kLong).repeat({2, 1})));
  auto [without, w2] = remove_self_loops(with, torch::arange(8, torch::kDouble));
  REQUIRE(torch::equal(without, ei.slice(1, 0, 3)));
  REQUIRE(torch::equal(w2, torch::arange(3, torch::kDouble)));
  auto und = undirected_edge_index({{1, 0}, {0, 1}, {2, 2}, {1, 2}});
  REQUIRE(torch::equal(und, torch::tensor({0, 1, 1, 2, 1, 0, 2, 1}, torch::kLong).view({2, 4})));
}

TEST_CASE("graph ops reject bad input with gnnx::Error naming the op and the value", "[graph]") {
  auto g = random_graph(6, 10, 4);
  auto idx = g.edge_index[1].clone();
  GNNX_REQUIRE_ERROR("degree: index must be a 1-D int64 tensor", degree(idx.to(torch::kInt), 6));
  GNNX_REQUIRE_ERROR("degree: index holds ids outside [0, 3)", degree(idx, 3));
  GNNX_REQUIRE_ERROR("degree: num_nodes must be >= 0, got -2", degree(idx, -2));
  GNNX_REQUIRE_ERROR("degree: weight must have shape [10], got [9]", degree(idx, 6, torch::ones({9})));
  GNNX_REQUIRE_ERROR("add_self_loops: edge_index holds node id", add_self_loops(g.edge_index, 2));
  GNNX_REQUIRE_ERROR("add_self_loops: edge_weight must have shape [10], got [3]",
                     add_self_loops(g.edge_index, 6, torch::ones({3})));
  GNNX_REQUIRE_ERROR("remove_self_loops: edge_index must have shape [2, E], got [10]", remove_self_loops(idx));
  GNNX_REQUIRE_ERROR("to_csr: edge_index must be int64, got Int", to_csr(g.edge_index.to(torch::kInt), 6));
  GNNX_REQUIRE_ERROR("to_csc: edge_index holds a negative node id (-1)",
                     to_csc(torch::tensor({-1, 0}, torch::kLong).view({2, 1}), 6));
  GNNX_REQUIRE_ERROR("k_hop_subgraph: nodes must be a 1-D int64 tensor",
                     k_hop_subgraph(g, torch::tensor({1}, torch::kInt), 1));
  GNNX_REQUIRE_ERROR("k_hop_subgraph: nodes is empty", k_hop_subgraph(g, torch::zeros({0}, torch::kLong), 1));
  GNNX_REQUIRE_ERROR("k_hop_subgraph: node id -1 is out of range [0, 6)", k_hop_subgraph(g, -1, 1));
  GNNX_REQUIRE_ERROR("undirected_edge_index: negative node id in edge (0, -4)", undirected_edge_index({{0, -4}}));
  Batch b = batch_graphs({g});
  b.ptr = torch::zeros({1}, torch::kLong);
  GNNX_REQUIRE_ERROR("unbatch: ptr and edge_ptr must both have B + 1 >= 2 entries", unbatch(b));
  auto h = random_graph(3, 2, 5);
  h.edge_weight = torch::ones({2});
  GNNX_REQUIRE_ERROR("batch_graphs: graph 1 has edge_weight, unlike graph 0", batch_graphs({g, h}));
  auto nan = g;
  nan.x = g.x.clone();
  nan.x[2][1] = std::numeric_limits<float>::infinity();
  GNNX_REQUIRE_ERROR("batch_graphs (graph 1): x holds NaN or Inf", batch_graphs({g, nan}));
}

TEST_CASE("batching keeps weights and labels, and k-hop subgraphs slice them", "[graph]") {
  auto a = random_graph(4, 5, 1), b = random_graph(5, 7, 2);
  a.edge_weight = torch::rand({5});
  b.edge_weight = torch::rand({7});
  a.y = torch::tensor({1}, torch::kLong);
  b.y = torch::tensor({0}, torch::kLong);
  auto batch = batch_graphs({a, b});
  REQUIRE(torch::equal(batch.batch, torch::tensor({0, 0, 0, 0, 1, 1, 1, 1, 1}, torch::kLong)));
  REQUIRE(torch::equal(batch.edge_ptr, torch::tensor({0, 5, 12}, torch::kLong)));
  REQUIRE(torch::equal(batch.graph.edge_index.slice(1, 5), b.edge_index + 4));
  auto back = unbatch(batch);
  REQUIRE(torch::equal(back[1].y, b.y));
  GNNX_REQUIRE_CLOSE(back[1].edge_weight, b.edge_weight);
  auto g = random_graph(10, 25, 3);
  g.edge_weight = torch::rand({25});
  g.y = torch::arange(10, torch::kLong);
  auto sub = k_hop_subgraph(g, 2, 2);
  GNNX_REQUIRE_CLOSE(sub.graph.edge_weight, g.edge_weight.index_select(0, sub.edge_ids));
  REQUIRE(torch::equal(sub.graph.y, sub.node_ids));
  REQUIRE_NOTHROW(sub.graph.validate("test"));
}
