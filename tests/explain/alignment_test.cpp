// The aligner: planted permutations recovered, the Hungarian method and the exact solver against
// brute force, bad input refused.
#include <algorithm>
#include <limits>
#include <numeric>

#include <torch/torch.h>

#include "gnnx/core/random.h"
#include "gnnx/explain/alignment.h"
#include "gnnx/graph/generators.h"
#include "support/catch.h"
#include "support/tensor_match.h"

using namespace gnnx;
using namespace gnnx::explain;

namespace {

at::Tensor adjacency(const EdgeList& edges, int64_t n) {
  auto a = torch::zeros({n, n}, torch::kDouble);
  for (const auto& [u, v] : edges) a[u][v] = a[v][u] = 1.0;
  return a;
}

// The graph with instance node i renamed perm[i]: aligning it back to `a` must give perm.
at::Tensor renamed(const at::Tensor& a, const std::vector<int64_t>& perm) { return permute_adjacency(a, perm); }

at::Tensor no_features(int64_t n) { return torch::zeros({n, 0}, torch::kDouble); }

// 8 nodes, no automorphism but the identity (checked by brute force when the test was written):
// the planted permutation is the only one of cost 0.
EdgeList asymmetric_graph() { return {{0, 1}, {1, 2}, {2, 3}, {3, 4}, {2, 4}, {4, 5}, {1, 6}, {6, 7}, {0, 7}, {5, 6}}; }

double brute_force_min(const at::Tensor& a, const at::Tensor& x, const at::Tensor& b, const at::Tensor& y, double w) {
  std::vector<int64_t> p(static_cast<size_t>(a.size(0)));
  std::iota(p.begin(), p.end(), 0);
  double best = std::numeric_limits<double>::infinity();
  do {
    best = std::min(best, alignment_cost(a, x, b, y, p, w).cost);
  } while (std::next_permutation(p.begin(), p.end()));
  return best;
}

}  // namespace

TEST_CASE("alignment recovers a planted permutation exactly", "[prototype][alignment]") {
  const auto method = GENERATE(AlignmentMethod::kSinkhorn, AlignmentMethod::kExact);
  const int64_t n = 8;
  const auto a = adjacency(asymmetric_graph(), n);
  for (uint64_t seed = 0; seed < 10; ++seed) {
    Rng rng(seed);
    const auto planted = permutation(n, rng);
    const auto b = renamed(a, planted);
    // Structure alone, then with node features that agree under the permutation.
    auto al = align(a, no_features(n), b, no_features(n), AlignmentOptions().method(method));
    INFO("method " << to_string(method) << ", seed " << seed);
    CHECK(al.permutation == planted);
    CHECK(al.cost == Approx(0).margin(1e-9));
    const auto x = torch::randn({n, 3}, torch_generator(seed)).to(torch::kDouble);
    al = align(a, x, b, permute_rows(x, planted), AlignmentOptions().method(method));
    CHECK(al.permutation == planted);
    CHECK(al.cost == Approx(0).margin(1e-9));
  }
}

TEST_CASE("alignment of the motifs to renamed copies costs nothing", "[prototype][alignment]") {
  // Motifs have automorphisms: any optimum maps the copy back onto the motif (cost 0).
  const std::vector<std::pair<EdgeList, int64_t>> motifs = {
      {house_motif(), 5}, {cycle_motif(6), 6}, {grid_motif(3), 9}, {cycle_motif(5), 5}};
  for (const auto& [edges, n] : motifs)
    for (uint64_t seed = 0; seed < 5; ++seed) {
      Rng rng(seed);
      auto planted = permutation(n, rng);
      const auto a = adjacency(edges, n);
      const auto al = align(a, no_features(n), renamed(a, planted), no_features(n));
      INFO(n << " nodes, seed " << seed);
      CHECK(al.cost == Approx(0).margin(1e-9));
      GNNX_REQUIRE_CLOSE(permute_adjacency(a, al.permutation), renamed(a, planted), 0, 0);
    }
}

TEST_CASE("an anchored alignment keeps node 0 on node 0", "[prototype][alignment]") {
  // A 6-cycle seen from node 0 and from node 3 of a renamed copy: anchored, 0 stays on 0.
  const auto a = adjacency(cycle_motif(6), 6);
  const std::vector<int64_t> planted = {0, 5, 4, 3, 2, 1};  // the reflection fixing 0
  const auto al = align(a, no_features(6), renamed(a, planted), no_features(6), AlignmentOptions().anchored(true));
  CHECK(al.permutation[0] == 0);
  CHECK(al.cost == Approx(0).margin(1e-9));
}

TEST_CASE("the exact solver finds the brute-force minimum", "[prototype][alignment]") {
  for (uint64_t seed = 0; seed < 6; ++seed) {
    const int64_t n = 6;
    auto g = torch_generator(seed);
    auto upper = (torch::rand({n, n}, g) < 0.45).to(torch::kDouble).triu(1);
    auto upper2 = (torch::rand({n, n}, g) < 0.45).to(torch::kDouble).triu(1);
    const auto a = upper + upper.t(), b = upper2 + upper2.t();
    const auto x = torch::randn({n, 2}, g).to(torch::kDouble), y = torch::randn({n, 2}, g).to(torch::kDouble);
    const auto exact = align(a, x, b, y, AlignmentOptions().method(AlignmentMethod::kExact).feature_weight(0.3));
    const auto relaxed = align(a, x, b, y, AlignmentOptions().feature_weight(0.3));
    INFO("seed " << seed);
    CHECK(exact.cost == Approx(brute_force_min(a, x, b, y, 0.3)).margin(1e-9));
    CHECK(relaxed.cost >= exact.cost - 1e-9);
    // The reported cost is the cost of the reported permutation.
    CHECK(alignment_cost(a, x, b, y, exact.permutation, 0.3).cost == Approx(exact.cost));
  }
}

TEST_CASE("the Hungarian method finds the cheapest assignment", "[prototype][alignment]") {
  for (uint64_t seed = 0; seed < 5; ++seed) {
    const int64_t n = 6;
    const auto c = torch::rand({n, n}, torch_generator(seed)).to(torch::kDouble);
    const auto got = hungarian(c);
    std::vector<int64_t> p(n);
    std::iota(p.begin(), p.end(), 0);
    double best = std::numeric_limits<double>::infinity();
    do {
      double s = 0;
      for (int64_t i = 0; i < n; ++i) s += c[i][p[i]].item<double>();
      best = std::min(best, s);
    } while (std::next_permutation(p.begin(), p.end()));
    double s = 0;
    for (int64_t i = 0; i < n; ++i) s += c[i][got[i]].item<double>();
    CHECK(s == Approx(best).epsilon(1e-12));
  }
  // +inf forbids an entry.
  auto c = torch::zeros({2, 2}, torch::kDouble);
  c[0][0] = std::numeric_limits<double>::infinity();
  CHECK(hungarian(c) == std::vector<int64_t>{1, 0});
}

TEST_CASE("alignment refuses bad input", "[prototype][alignment]") {
  const auto a = adjacency(house_motif(), 5);
  GNNX_REQUIRE_ERROR(
      "align: expected two square adjacencies of one size n > 0 (pad the smaller one), got [5, 5] and [6, 6]",
      align(a, no_features(5), pad_adjacency(a, 6), no_features(6)));
  auto asym = a.clone();
  asym[0][2] = 1.0;
  GNNX_REQUIRE_ERROR("align: adjacencies must be symmetric", align(asym, no_features(5), a, no_features(5)));
  GNNX_REQUIRE_ERROR("align: features must be [n, F] with n = 5 and one F for both, got [5, 1] and [5, 2]",
                     align(a, torch::zeros({5, 1}, torch::kDouble), a, torch::zeros({5, 2}, torch::kDouble)));
  const auto big = adjacency(grid_motif(4), 16);
  GNNX_REQUIRE_ERROR("align: the exact method takes graphs of at most 10 nodes (max_exact_nodes), got 16",
                     align(big, no_features(16), big, no_features(16),
                           AlignmentOptions().method(AlignmentMethod::kExact)));
  GNNX_REQUIRE_ERROR("alignment_cost: expected a permutation of 0..4, got entry 1 twice",
                     alignment_cost(a, no_features(5), a, no_features(5), {0, 1, 1, 2, 3}, 0.0));
  GNNX_REQUIRE_ERROR("pad_adjacency: expected a [k, k] matrix with k <= 4, got [5, 5]", pad_adjacency(a, 4));
  GNNX_REQUIRE_ERROR("hungarian: row 0 has no allowed (finite) entry",
                     hungarian(torch::full({2, 2}, std::numeric_limits<double>::infinity(), torch::kDouble)));
  GNNX_REQUIRE_ERROR("alignment method: expected one of sinkhorn, exact, got \"vf3\"",
                     from_name<AlignmentMethod>("vf3"));
}
