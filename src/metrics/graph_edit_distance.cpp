#include "gnnx/metrics/graph_edit_distance.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <utility>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/isomorphism.hpp>
#include <torch/torch.h>

#include "gnnx/core/check.h"
#include "gnnx/explain/alignment.h"

namespace gnnx::metrics {
namespace {

// Edges once each on nodes renumbered 0..n-1 in order of appearance.
struct Simple {
  int64_t n = 0;
  std::set<std::pair<int64_t, int64_t>> edges;
};

Simple simplify(const EdgeList& e, const char* op) {
  Simple s;
  std::map<int64_t, int64_t> id;
  auto local = [&](int64_t v) {
    GNNX_CHECK(v >= 0, op, ": node ids must be >= 0, got ", v);
    auto it = id.find(v);
    if (it != id.end()) return it->second;
    id[v] = s.n;
    return s.n++;
  };
  for (const auto& [u, v] : e) {
    GNNX_CHECK(u != v, op, ": expected a simple graph, got the self loop (", u, ", ", v, ")");
    const auto lu = local(u), lv = local(v);
    s.edges.insert({std::min(lu, lv), std::max(lu, lv)});
  }
  return s;
}

at::Tensor adjacency(const Simple& s, int64_t n) {
  auto a = torch::zeros({n, n}, torch::kDouble);
  for (const auto& [u, v] : s.edges) a[u][v] = a[v][u] = 1.0;
  return a;
}

}  // namespace

EditDistance graph_edit_distance(const EdgeList& a, const EdgeList& b, int64_t max_exact_nodes) {
  GNNX_CHECK(max_exact_nodes >= 1, "graph_edit_distance: max_exact_nodes must be >= 1, got ", max_exact_nodes);
  const auto sa = simplify(a, "graph_edit_distance"), sb = simplify(b, "graph_edit_distance");
  const int64_t n = std::max(sa.n, sb.n);
  EditDistance out;
  if (n == 0) return out;
  if (isomorphic(a, b)) return out;
  out.exact = n <= max_exact_nodes;
  const auto opts = explain::AlignmentOptions()
                        .feature_weight(0)
                        .max_exact_nodes(max_exact_nodes)
                        .method(out.exact ? explain::AlignmentMethod::kExact : explain::AlignmentMethod::kSinkhorn);
  const auto none = torch::zeros({n, 0}, torch::kDouble);
  const auto al = explain::align(adjacency(sa, n), none, adjacency(sb, n), none, opts);
  out.distance = std::abs(static_cast<double>(sa.n - sb.n)) + std::round(al.structure_cost);
  return out;
}

bool isomorphic(const EdgeList& a, const EdgeList& b) {
  const auto sa = simplify(a, "isomorphic"), sb = simplify(b, "isomorphic");
  if (sa.n != sb.n || sa.edges.size() != sb.edges.size()) return false;
  using G = boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS>;
  G ga(static_cast<size_t>(sa.n)), gb(static_cast<size_t>(sb.n));
  for (const auto& [u, v] : sa.edges) boost::add_edge(static_cast<size_t>(u), static_cast<size_t>(v), ga);
  for (const auto& [u, v] : sb.edges) boost::add_edge(static_cast<size_t>(u), static_cast<size_t>(v), gb);
  return boost::isomorphism(ga, gb);
}

}  // namespace gnnx::metrics
