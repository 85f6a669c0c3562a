// Graph generators against closed forms: edge and node counts, degrees, the motif templates,
// attaching motifs, random edges, and seeded determinism.
#include "gnnx/graph/generators.h"

#include <algorithm>
#include <set>

#include <boost/graph/connected_components.hpp>

#include "support/catch.h"
#include "support/tensor_match.h"

using namespace gnnx;

namespace {

using EdgeSet = std::set<std::pair<int64_t, int64_t>>;

// The edges as (min, max) pairs; fails on a self loop or an edge listed twice.
EdgeSet simple_edges(const EdgeList& edges) {
  EdgeSet out;
  for (auto [u, v] : edges) {
    REQUIRE(u != v);
    REQUIRE(out.insert({std::min(u, v), std::max(u, v)}).second);
  }
  return out;
}

// 1 + the largest node id (0 for no edges).
int64_t nodes_spanned(const EdgeList& edges) {
  int64_t n = 0;
  for (auto [u, v] : edges) n = std::max({n, u + 1, v + 1});
  return n;
}

std::vector<int64_t> node_degrees(const EdgeList& edges, int64_t n) {
  std::vector<int64_t> deg(static_cast<size_t>(n), 0);
  for (auto [u, v] : edges) {
    ++deg[static_cast<size_t>(u)];
    ++deg[static_cast<size_t>(v)];
  }
  return deg;
}

UndirectedGraph graph_of(int64_t n, const EdgeList& edges) {
  UndirectedGraph g(static_cast<size_t>(n));
  for (auto [u, v] : edges) boost::add_edge(static_cast<size_t>(u), static_cast<size_t>(v), g);
  return g;
}

}  // namespace

TEST_CASE("building blocks: BA edge count and degrees, tree, motif templates", "[graph]") {
  Rng rng(3);
  const auto ba = barabasi_albert(/*n=*/300, /*m=*/5, rng);
  REQUIRE(ba.size() == 5u * 295u);
  std::set<std::pair<int64_t, int64_t>> uniq;
  std::vector<int64_t> deg(300, 0);
  for (auto [u, v] : ba) {
    REQUIRE(u != v);
    REQUIRE(uniq.insert({std::min(u, v), std::max(u, v)}).second);  // simple graph
    ++deg[static_cast<size_t>(u)];
    ++deg[static_cast<size_t>(v)];
  }
  for (int64_t v = 5; v < 300; ++v) REQUIRE(deg[static_cast<size_t>(v)] >= 5);
  // Preferential attachment: the early nodes collect far more than m edges.
  REQUIRE(*std::max_element(deg.begin(), deg.end()) > 30);

  const auto tree = balanced_binary_tree(8);
  REQUIRE(tree.size() == 510u);
  REQUIRE(house_motif().size() == 6u);
  REQUIRE(cycle_motif(6).size() == 6u);
  REQUIRE(grid_motif(3).size() == 12u);
  GNNX_REQUIRE_ERROR("barabasi_albert", barabasi_albert(5, 5, rng));
  GNNX_REQUIRE_ERROR("cycle_motif", cycle_motif(2));
}

TEST_CASE("barabasi_albert: m (n - m) edges, simple, node m joins 0..m-1, seeded", "[graph]") {
  for (auto [n, m] : std::vector<std::pair<int64_t, int64_t>>{{2, 1}, {3, 2}, {20, 1}, {20, 2}, {50, 7}, {300, 5}}) {
    INFO("n = " << n << ", m = " << m);
    const auto edges = barabasi_albert(n, m, /*seed=*/11);
    REQUIRE(static_cast<int64_t>(edges.size()) == m * (n - m));
    simple_edges(edges);
    REQUIRE(nodes_spanned(edges) == n);
    // Every node from m on brings exactly m edges to earlier nodes, listed node by node.
    for (int64_t k = 0; k < static_cast<int64_t>(edges.size()); ++k) {
      const auto [source, target] = edges[static_cast<size_t>(k)];
      REQUIRE(source == m + k / m);
      REQUIRE(target < source);
    }
    for (int64_t k = 0; k < m; ++k) REQUIRE(edges[static_cast<size_t>(k)] == std::make_pair(m, k));
    const auto deg = node_degrees(edges, n);
    for (int64_t v = m; v < n; ++v) REQUIRE(deg[static_cast<size_t>(v)] >= m);
  }
  // m = 1 grows a tree: n - 1 edges, connected.
  const auto tree = barabasi_albert(/*n=*/40, /*m=*/1, /*seed=*/2);
  const auto g = graph_of(40, tree);
  std::vector<int> component(40);
  REQUIRE(boost::connected_components(g, component.data()) == 1);
  GNNX_REQUIRE_ERROR("barabasi_albert", barabasi_albert(/*n=*/3, /*m=*/0, /*seed=*/0));
}

TEST_CASE("barabasi_albert: the same seed gives the same graph, the seed overload equals the stream", "[graph]") {
  REQUIRE(barabasi_albert(100, 3, /*seed=*/5) == barabasi_albert(100, 3, /*seed=*/5));
  REQUIRE(barabasi_albert(100, 3, /*seed=*/5) != barabasi_albert(100, 3, /*seed=*/6));
  Rng rng(5);
  REQUIRE(barabasi_albert(100, 3, rng) == barabasi_albert(100, 3, /*seed=*/5));
  // A stream continues: the second graph drawn from one Rng differs from the first.
  Rng stream(5);
  const auto first = barabasi_albert(100, 3, stream);
  REQUIRE(barabasi_albert(100, 3, stream) != first);
}

TEST_CASE("balanced_binary_tree: 2^(d+1) - 1 nodes, children 2i+1 and 2i+2, connected", "[graph]") {
  REQUIRE(balanced_binary_tree(0).empty());
  for (int64_t d : {1, 2, 3, 8}) {
    INFO("depth " << d);
    const auto edges = balanced_binary_tree(d);
    const int64_t n = (int64_t{1} << (d + 1)) - 1;
    REQUIRE(nodes_spanned(edges) == n);
    REQUIRE(static_cast<int64_t>(edges.size()) == n - 1);
    simple_edges(edges);
    for (auto [parent, child] : edges) REQUIRE((child == 2 * parent + 1 || child == 2 * parent + 2));
    const auto deg = node_degrees(edges, n);
    REQUIRE(deg[0] == 2);                                                 // the root
    REQUIRE(std::count(deg.begin(), deg.end(), 1) == (int64_t{1} << d));  // the leaves
    std::vector<int> component(static_cast<size_t>(n));
    REQUIRE(boost::connected_components(graph_of(n, edges), component.data()) == 1);
  }
  GNNX_REQUIRE_ERROR("balanced_binary_tree", balanced_binary_tree(-1));
  GNNX_REQUIRE_ERROR("balanced_binary_tree", balanced_binary_tree(31));
}

TEST_CASE("motif templates: house 5 nodes 6 edges, cycle k edges, grid 2 s (s - 1) edges", "[graph]") {
  const auto house = house_motif();
  REQUIRE(nodes_spanned(house) == 5);
  REQUIRE(house.size() == 6u);
  simple_edges(house);
  // The square 0-1-2-3 and the apex 4 on the side 0-1: degrees 3, 3, 2, 2, 2.
  REQUIRE(node_degrees(house, 5) == std::vector<int64_t>{3, 3, 2, 2, 2});

  for (int64_t k : {3, 5, 6, 10}) {
    const auto cycle = cycle_motif(k);
    REQUIRE(static_cast<int64_t>(cycle.size()) == k);
    REQUIRE(nodes_spanned(cycle) == k);
    simple_edges(cycle);
    REQUIRE(node_degrees(cycle, k) == std::vector<int64_t>(static_cast<size_t>(k), 2));
  }

  REQUIRE(grid_motif(3).size() == 12u);
  for (int64_t s : {2, 3, 4, 7}) {
    const auto grid = grid_motif(s);
    REQUIRE(static_cast<int64_t>(grid.size()) == 2 * s * (s - 1));
    REQUIRE(nodes_spanned(grid) == s * s);
    // Each edge joins horizontal or vertical neighbours (r, c) = (id / s, id % s).
    for (auto [u, v] : simple_edges(grid)) {
      const bool right = v == u + 1 && u / s == v / s;
      const bool down = v == u + s;
      REQUIRE((right || down));
    }
  }
  GNNX_REQUIRE_ERROR("grid_motif", grid_motif(1));
}

TEST_CASE("attach_motif appends the motif's nodes and edges and joins its node 0 to the plug", "[graph]") {
  UndirectedGraph g = graph_of(/*n=*/4, cycle_motif(4));
  const int64_t first = attach_motif(g, house_motif(), /*motif_nodes=*/5, /*plug=*/2);
  REQUIRE(first == 4);
  REQUIRE(boost::num_vertices(g) == 9u);
  REQUIRE(boost::num_edges(g) == 4u + 6u + 1u);
  REQUIRE(boost::edge(4, 2, g).second);
  for (auto [u, v] : house_motif()) {
    REQUIRE(boost::edge(static_cast<size_t>(first + u), static_cast<size_t>(first + v), g).second);
  }
  // edge_list gives every edge once.
  const auto edges = edge_list(g);
  REQUIRE(edges.size() == boost::num_edges(g));
  REQUIRE(simple_edges(edges).size() == 11u);
  GNNX_REQUIRE_ERROR("attach_motif: plug", attach_motif(g, house_motif(), 5, /*plug=*/9));
  GNNX_REQUIRE_ERROR("attach_motif: motif edge", attach_motif(g, house_motif(), /*motif_nodes=*/4, 0));
}

TEST_CASE("add_random_edges adds exactly count new edges, seeded", "[graph]") {
  const auto base = balanced_binary_tree(4);  // 31 nodes, 30 edges
  UndirectedGraph a = graph_of(31, base), b = graph_of(31, base), c = graph_of(31, base);
  add_random_edges(a, /*count=*/25, /*seed=*/3);
  add_random_edges(b, /*count=*/25, /*seed=*/3);
  add_random_edges(c, /*count=*/25, /*seed=*/4);
  REQUIRE(boost::num_edges(a) == 55u);
  REQUIRE(boost::num_edges(c) == 55u);
  const auto ea = simple_edges(edge_list(a));
  for (auto [u, v] : base) REQUIRE(ea.count({std::min(u, v), std::max(u, v)}) == 1u);  // the old edges stay
  REQUIRE(ea == simple_edges(edge_list(b)));
  REQUIRE(ea != simple_edges(edge_list(c)));
  // Filling the graph completely is allowed; one more edge is not.
  UndirectedGraph full = graph_of(6, cycle_motif(6));
  add_random_edges(full, /*count=*/15 - 6, /*seed=*/0);
  REQUIRE(boost::num_edges(full) == 15u);
  GNNX_REQUIRE_ERROR("add_random_edges: cannot add 1 edges", add_random_edges(full, 1, /*seed=*/0));
}
