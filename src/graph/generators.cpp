#include "gnnx/graph/generators.h"

#include <set>

#include <boost/range/iterator_range.hpp>

#include "gnnx/core/check.h"

namespace gnnx {

EdgeList barabasi_albert(int64_t n, int64_t m, Rng& rng) {
  GNNX_CHECK(m >= 1 && n > m, "barabasi_albert: need n > m >= 1, got n = ", n, ", m = ", m);
  EdgeList edges;
  edges.reserve(static_cast<size_t>(m * (n - m)));
  std::vector<int64_t> targets(static_cast<size_t>(m));
  for (int64_t i = 0; i < m; ++i) targets[static_cast<size_t>(i)] = i;
  std::vector<int64_t> repeated;  // every edge endpoint once: a uniform draw is degree-proportional
  for (int64_t source = m; source < n; ++source) {
    for (int64_t t : targets) edges.emplace_back(source, t);
    repeated.insert(repeated.end(), targets.begin(), targets.end());
    repeated.insert(repeated.end(), static_cast<size_t>(m), source);
    std::set<int64_t> chosen;  // sorted, so the next targets' order is fixed
    while (static_cast<int64_t>(chosen.size()) < m) {
      chosen.insert(repeated[static_cast<size_t>(uniform_int(rng, 0, static_cast<int64_t>(repeated.size()) - 1))]);
    }
    targets.assign(chosen.begin(), chosen.end());
  }
  return edges;
}

EdgeList barabasi_albert(int64_t n, int64_t m, uint64_t seed) {
  Rng rng(seed);
  return barabasi_albert(n, m, rng);
}

EdgeList balanced_binary_tree(int64_t depth) {
  GNNX_CHECK(depth >= 0 && depth <= 30, "balanced_binary_tree: depth must be in [0, 30], got ", depth);
  const int64_t n = (int64_t{1} << (depth + 1)) - 1;
  EdgeList edges;
  for (int64_t i = 0; 2 * i + 2 < n; ++i) {
    edges.emplace_back(i, 2 * i + 1);
    edges.emplace_back(i, 2 * i + 2);
  }
  return edges;
}

EdgeList house_motif() { return {{0, 1}, {1, 2}, {2, 3}, {3, 0}, {4, 0}, {4, 1}}; }

EdgeList cycle_motif(int64_t length) {
  GNNX_CHECK(length >= 3, "cycle_motif: length must be >= 3, got ", length);
  EdgeList edges;
  for (int64_t i = 0; i < length; ++i) edges.emplace_back(i, (i + 1) % length);
  return edges;
}

EdgeList grid_motif(int64_t side) {
  GNNX_CHECK(side >= 2, "grid_motif: side must be >= 2, got ", side);
  EdgeList edges;
  for (int64_t r = 0; r < side; ++r) {
    for (int64_t c = 0; c < side; ++c) {
      if (c + 1 < side) edges.emplace_back(r * side + c, r * side + c + 1);
      if (r + 1 < side) edges.emplace_back(r * side + c, (r + 1) * side + c);
    }
  }
  return edges;
}

EdgeList wheel_motif(int64_t nodes) {
  GNNX_CHECK(nodes >= 4, "wheel_motif: nodes must be >= 4, got ", nodes);
  EdgeList edges;
  for (int64_t i = 1; i < nodes; ++i) edges.emplace_back(0, i);
  for (int64_t i = 1; i < nodes; ++i) edges.emplace_back(i, i + 1 < nodes ? i + 1 : 1);
  return edges;
}

EdgeList edge_list(const UndirectedGraph& g) {
  EdgeList pairs;
  pairs.reserve(boost::num_edges(g));
  for (auto e : boost::make_iterator_range(boost::edges(g))) {
    pairs.emplace_back(static_cast<int64_t>(boost::source(e, g)), static_cast<int64_t>(boost::target(e, g)));
  }
  return pairs;
}

int64_t attach_motif(UndirectedGraph& g, const EdgeList& motif, int64_t motif_nodes, int64_t plug) {
  const auto first = static_cast<int64_t>(boost::num_vertices(g));
  GNNX_CHECK(motif_nodes >= 1, "attach_motif: motif_nodes must be positive, got ", motif_nodes);
  GNNX_CHECK(plug >= 0 && plug < first, "attach_motif: plug ", plug, " is not a node of the graph (", first, " nodes)");
  for (auto [u, v] : motif) {
    GNNX_CHECK(u >= 0 && u < motif_nodes && v >= 0 && v < motif_nodes, "attach_motif: motif edge (", u, ", ", v,
               ") outside the motif's nodes [0, ", motif_nodes, ")");
  }
  for (int64_t i = 0; i < motif_nodes; ++i) boost::add_vertex(g);
  for (auto [u, v] : motif) {
    if (u != v) boost::add_edge(static_cast<size_t>(first + u), static_cast<size_t>(first + v), g);
  }
  boost::add_edge(static_cast<size_t>(first), static_cast<size_t>(plug), g);
  return first;
}

void add_random_edges(UndirectedGraph& g, int64_t count, Rng& rng) {
  const auto n = static_cast<int64_t>(boost::num_vertices(g));
  const auto e = static_cast<int64_t>(boost::num_edges(g));
  GNNX_CHECK(count >= 0 && count <= n * (n - 1) / 2 - e, "add_random_edges: cannot add ", count,
             " edges to a graph with ", n, " nodes and ", e, " edges");
  for (int64_t k = 0; k < count; ++k) {
    while (true) {
      const int64_t u = uniform_int(rng, 0, n - 1);
      const int64_t v = uniform_int(rng, 0, n - 1);
      if (u != v && !boost::edge(static_cast<size_t>(u), static_cast<size_t>(v), g).second) {
        boost::add_edge(static_cast<size_t>(u), static_cast<size_t>(v), g);
        break;
      }
    }
  }
}

void add_random_edges(UndirectedGraph& g, int64_t count, uint64_t seed) {
  Rng rng(seed);
  add_random_edges(g, count, rng);
}

}  // namespace gnnx
