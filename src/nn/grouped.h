#pragma once
// Edge ids grouped by a key (target or source node): the CSR order the CPU kernels of spmm and
// edge_softmax walk. Private to src/nn.

#include <algorithm>
#include <cstdint>
#include <vector>

#include "gnnx/core/check.h"

namespace gnnx::nn::detail {

struct Grouped {
  std::vector<int64_t> ptr;  // [num_keys + 1]
  std::vector<int64_t> eid;  // [E]
};

// Counting sort, stable: within a group edges keep their order. op names the caller in errors.
inline Grouped group_by(const int64_t* key, int64_t E, int64_t num_keys, const char* op = "spmm") {
  Grouped g;
  g.ptr.assign(static_cast<size_t>(num_keys) + 1, 0);
  for (int64_t e = 0; e < E; ++e) {
    const int64_t k = key[e];
    GNNX_CHECK(k >= 0 && k < num_keys, op, ": edge_index holds node id ", k, " outside [0, ", num_keys, ")");
    ++g.ptr[static_cast<size_t>(k) + 1];
  }
  for (int64_t i = 0; i < num_keys; ++i) g.ptr[static_cast<size_t>(i) + 1] += g.ptr[static_cast<size_t>(i)];
  g.eid.resize(static_cast<size_t>(E));
  std::vector<int64_t> fill(g.ptr.begin(), g.ptr.end() - 1);
  for (int64_t e = 0; e < E; ++e) g.eid[static_cast<size_t>(fill[static_cast<size_t>(key[e])]++)] = e;
  return g;
}

// Rows per parallel task over a grouping of E edges: about 4096 edges each, to amortise scheduling
// while balancing skewed degrees.
inline int64_t grain(int64_t rows, int64_t E) { return std::max<int64_t>(16, rows * 4096 / std::max<int64_t>(E, 1)); }

}  // namespace gnnx::nn::detail
