#pragma once
// The small random graph the explainer tests share.
#include <cstdint>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include "gnnx/core/random.h"
#include "gnnx/graph/graph.h"
#include "gnnx/graph/ops.h"

namespace gnnx::test {

/// A random connected graph of n nodes: a tree (node i joined to a uniformly drawn earlier node)
/// plus `chords` drawn pairs (a pair of one node is skipped), both directions stored, drawn from
/// Rng(seed); features [n, 5] from N(0, 1) drawn from torch_generator(feature_seed).
inline Graph random_tree_graph(int64_t n = 24, int64_t chords = 10, uint64_t seed = 3, uint64_t feature_seed = 4) {
  Rng rng(seed);
  std::vector<std::pair<int64_t, int64_t>> pairs;
  for (int64_t i = 1; i < n; ++i) pairs.emplace_back(i, uniform_int(rng, 0, i - 1));
  for (int64_t i = 0; i < chords; ++i) {
    auto a = uniform_int(rng, 0, n - 1), b = uniform_int(rng, 0, n - 1);
    if (a != b) pairs.emplace_back(a, b);
  }
  return Graph(undirected_edge_index(pairs), n, torch::randn({n, 5}, torch_generator(feature_seed)));
}

}  // namespace gnnx::test
