#pragma once
// The in-edge grouping a Graph keeps for the subgraph searches of graph/ops.cpp (see graph.h).

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>

#include <c10/core/TensorImpl.h>
#include <c10/core/UndefinedTensorImpl.h>

#include "gnnx/graph/graph.h"
#include "gnnx/graph/ops.h"

namespace gnnx::detail {

struct GraphIndex {
  std::mutex mutex;
  // The edge_index the grouping was built from: held weakly, so its memory is released with the
  // graph and its address is not reused while held; with its version and the node count.
  std::optional<c10::weak_intrusive_ptr<c10::TensorImpl, c10::UndefinedTensorImpl>> edge_index;
  int64_t version = -1;
  int64_t num_nodes = -1;
  Compressed in_edges;
};

struct GraphIndexAccess {
  static GraphIndex& of(const Graph& g) { return *g.index_; }
  static void reset(Graph& g) { g.index_ = std::make_shared<GraphIndex>(); }
};

}  // namespace gnnx::detail
