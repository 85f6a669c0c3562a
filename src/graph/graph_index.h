#pragma once
// What a Graph keeps between calls (see graph.h): its in-edge grouping for the subgraph searches
// of graph/ops.cpp, and which of its tensors Graph::validate has already scanned.

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>

#include <c10/core/TensorImpl.h>
#include <c10/core/UndefinedTensorImpl.h>

#include "gnnx/graph/graph.h"
#include "gnnx/graph/ops.h"

namespace gnnx::detail {

// The tensor a kept result was computed from. Held weakly, so its memory goes with its owner and
// its address is not reused while held; with autograd's version counter, which every in-place
// change advances. An inference tensor has no version counter and is never matched.
class KeptTensor {
 public:
  bool is(const at::Tensor& t) const {
    return impl_ && t.defined() && !t.is_inference() && impl_->_unsafe_get_target() == t.unsafeGetTensorImpl() &&
           !impl_->expired() && version_ == static_cast<int64_t>(t._version());
  }
  void keep(const at::Tensor& t) {
    if (!t.defined() || t.is_inference()) {
      impl_.reset();
      return;
    }
    impl_.emplace(t.getIntrusivePtr());
    version_ = static_cast<int64_t>(t._version());
  }

 private:
  std::optional<c10::weak_intrusive_ptr<c10::TensorImpl, c10::UndefinedTensorImpl>> impl_;
  int64_t version_ = -1;
};

struct GraphIndex {
  std::mutex mutex;
  // compress(edge_index, grouped_nodes, 1).
  KeptTensor grouped;
  int64_t grouped_nodes = -1;
  Compressed in_edges;
  // edge_index's smallest and largest node id.
  KeptTensor ranged;
  int64_t lo = 0, hi = 0;
  // x and edge_weight found finite.
  KeptTensor finite_x, finite_weight;
};

struct GraphIndexAccess {
  // Null only for a moved-from graph.
  static GraphIndex* of(const Graph& g) { return g.index_.get(); }
  static void reset(Graph& g) { g.index_ = std::make_shared<GraphIndex>(); }
};

}  // namespace gnnx::detail
