#pragma once
/// Node-id range checks without a device sync per call.
///
/// Every layer checks that edge_index holds ids in [0, N) before it gathers: on CUDA an
/// out-of-range id is a device-side assert that poisons the whole CUDA context, so the check
/// cannot be left to the kernels. Reading the minimum and maximum back to the host is a device
/// sync, and a 3-layer model did six of them per forward. An optimisation loop that runs the same
/// graph a hundred times (an explainer, training) paid them all every epoch.
///
/// IndexRangeScope remembers, for this thread and while it lives, the [lo, hi] of each index
/// tensor it was given or that a check measured inside it. A tensor is recognised by its storage,
/// data pointer, sizes, strides and version counter: any in-place change through LibTorch bumps
/// the version, so the next check measures again. (A write through a raw pointer bypasses the
/// version counter; do not hand such a buffer to a scope.) Layers open a scope per forward, so one
/// forward measures each edge_index once; an explainer or a training loop opens one around all
/// its epochs, so the range is measured once per graph instead of once per layer and epoch.
///
///   gnnx::nn::IndexRangeScope ranges;
///   ranges.add(g.edge_index);                    // one measurement (one sync on CUDA)
///   for (int epoch = 0; epoch < 100; ++epoch)
///     model->forward(g.x, g.edge_index, ...);  // layers find the range: no sync
///
/// Scopes nest (the innermost that knows a tensor answers) and are thread-local, like
/// EdgeMaskScope; they must be destroyed in reverse order of creation (automatic on the stack).

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace gnnx::nn {

/// The smallest and largest id of an index tensor.
struct IndexRange {
  int64_t lo = 0;
  int64_t hi = -1;
};

class IndexRangeScope;
namespace detail {
void remember_index_range(IndexRangeScope& scope, const at::Tensor& index, IndexRange range);
bool known_index_range(const at::Tensor& index, IndexRange& range);
}  // namespace detail

class IndexRangeScope {
 public:
  IndexRangeScope();
  /// Opens a scope and adds index (see add).
  explicit IndexRangeScope(const at::Tensor& index);
  ~IndexRangeScope();
  IndexRangeScope(const IndexRangeScope&) = delete;
  IndexRangeScope& operator=(const IndexRangeScope&) = delete;

  /// Remembers index's range: taken from an enclosing scope when one knows this tensor, else
  /// measured now. Tensors that cannot be ids (undefined, empty, not int64, inference tensors,
  /// which have no version counter) are skipped: checks then measure them each time.
  void add(const at::Tensor& index);

  struct Entry;

 private:
  friend void detail::remember_index_range(IndexRangeScope&, const at::Tensor&, IndexRange);
  friend bool detail::known_index_range(const at::Tensor&, IndexRange&);
  std::vector<Entry> entries_;
};

/// [lo, hi] of the ids in a non-empty int64 tensor: from the innermost scope of this thread that
/// remembers this very tensor unchanged, else measured (one device-to-host copy on CUDA) and then
/// remembered by the innermost scope, if any.
IndexRange index_range(const at::Tensor& index);

/// Throws gnnx::Error "<op>: <what> holds node id <id> outside [0, bound)" unless every id of
/// index lies in [0, bound). Does nothing for an empty index.
void check_index_range(const at::Tensor& index, int64_t bound, const std::string& op,
                       const char* what = "edge_index holds node id");

namespace detail {
/// Makes `scope` remember a range the caller knows by construction, without measuring: for
/// tensors gnnx builds itself from ranges it knows (a layer's self-loop columns, say).
void remember_index_range(IndexRangeScope& scope, const at::Tensor& index, IndexRange range);
/// The range of index if a scope of this thread remembers it, without measuring.
bool known_index_range(const at::Tensor& index, IndexRange& range);
/// How many ranges gnnx has measured so far, over all threads (for tests: the number of device
/// syncs the range checks cost).
int64_t index_range_measurements();
}  // namespace detail

}  // namespace gnnx::nn
