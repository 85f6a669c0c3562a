#pragma once
/// The Graph value type.
///
/// A graph is a set of tensors, as in PyTorch Geometric:
///   edge_index  [2, E] int64: row 0 the source, row 1 the target; messages flow source -> target.
///               An undirected graph stores both directions.
///   num_nodes   N >= 0 (nodes need not appear in edge_index: isolated nodes are allowed).
///   x           [N, F] float32/float64 node features (may be undefined for a structure-only graph).
///   edge_weight [E] float, optional (undefined when absent).
///   y           optional labels: [N] int64 for node tasks, [1] int64 for a graph task.
/// Graph is cheap to copy (tensors share storage). validate() checks every invariant above and
/// throws gnnx::Error naming the operation and the offending value.
///
/// A graph keeps, shared with its copies, what is costly to recompute on a large graph: the
/// in-edges grouped by target (the CSC layout the subgraph searches of graph/ops.h read, for a
/// graph on the CPU) and which tensors validate() has scanned (ids in range, values finite). Each
/// is redone when its tensor is another one, or the same one after an in-place change, which
/// autograd's version counter records; writes through data_ptr() are not seen.

#include <cstdint>
#include <memory>
#include <string>

#include <ATen/core/Tensor.h>

namespace gnnx {
namespace detail {
struct GraphIndex;  // what a graph keeps between calls (src/graph/graph_index.h)
struct GraphIndexAccess;
}  // namespace detail

struct Graph {
  at::Tensor edge_index;
  int64_t num_nodes = 0;
  at::Tensor x;
  at::Tensor edge_weight;
  at::Tensor y;

  Graph();
  /// Builds and validates. x may be undefined; edge_weight and y optional.
  Graph(at::Tensor edge_index, int64_t num_nodes, at::Tensor x = {}, at::Tensor edge_weight = {}, at::Tensor y = {});

  int64_t num_edges() const;
  /// F, or 0 when x is undefined.
  int64_t num_features() const;
  bool has_features() const { return x.defined(); }
  bool has_edge_weight() const { return edge_weight.defined(); }
  bool has_labels() const { return y.defined(); }
  c10::Device device() const;

  /// Throws gnnx::Error (message starts with `op`) unless every invariant holds:
  /// edge_index int64 [2, E] with ids in [0, N); x floating [N, F] and finite; edge_weight
  /// floating [E] and finite; y int64 with N entries (or 1 for a graph label); all on one device;
  /// and, when allow_empty is false, N > 0.
  void validate(const std::string& op = "Graph", bool allow_empty = true) const;

  /// Copy with every tensor moved to device.
  Graph to(c10::Device device) const;

 private:
  friend struct detail::GraphIndexAccess;
  std::shared_ptr<detail::GraphIndex> index_;
};

}  // namespace gnnx
