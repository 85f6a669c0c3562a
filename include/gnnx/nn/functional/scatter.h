#pragma once
/// Scatter reductions: out[i] = AGG{ src[e] : index[e] == i }, the AGG step of message passing.

#include <cstdint>

#include <ATen/core/Tensor.h>

#include "gnnx/core/enum_names.h"

namespace gnnx::nn {

/// How messages arriving at one node are combined. Converted from strings once, at the CLI or
/// file boundary (gnnx::from_name<Aggregation>).
enum class Aggregation {
  kSum,   ///< sum of messages; 0 for a node with no incoming messages
  kMean,  ///< sum / (number of messages); 0 for a node with no incoming messages
  kMax,   ///< element-wise maximum; 0 for a node with no incoming messages
};
GNNX_ENUM_NAMES(Aggregation, "aggregation", {Aggregation::kSum, "sum"}, {Aggregation::kMean, "mean"},
                {Aggregation::kMax, "max"}, {Aggregation::kSum, "add"});

/// src: [E, *] messages; index: [E] int64 target ids in [0, dim_size); returns [dim_size, *].
/// weight: optional [E] presence weights (an edge mask): mean divides by the summed weight
/// instead of the count, max ignores messages whose weight is exactly 0, sum ignores it (the
/// caller has already scaled the messages). Nodes that receive nothing get 0.
at::Tensor scatter(const at::Tensor& src, const at::Tensor& index, int64_t dim_size, Aggregation aggr,
                   const at::Tensor& weight = {});

/// self.scatter_reduce(dim, index, src, "amax", include_self), without the "scatter_reduce() is
/// in beta" warning LibTorch 1.13 prints (through glog, to stderr) on the process's first call:
/// gnnx never prints. Every other warning of the call reaches the warning handler as before.
at::Tensor scatter_amax(const at::Tensor& self, int64_t dim, const at::Tensor& index, const at::Tensor& src,
                        bool include_self);

}  // namespace gnnx::nn
