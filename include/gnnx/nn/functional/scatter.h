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
GNNX_ENUM_NAMES(Aggregation, "aggregation", {Aggregation::kSum, "sum"}, {Aggregation::kMean, "mean"}, {Aggregation::kMax, "max"}, {Aggregation::kSum, "add"});

/// src: [E, *] messages; index: [E] int64 target ids in [0, dim_size); returns [dim_size, *].
/// weight: optional [E] presence weights (an edge mask): mean divides by the summed weight
/// instead of the count, max ignores messages whose weight is exactly 0, sum ignores it (the
/// caller has already scaled the messages). Nodes that receive nothing get 0.
at::Tensor scatter(const at::Tensor& src, const at::Tensor& index, int64_t dim_size, Aggregation aggr,
                   const at::Tensor& weight = {});

}  // namespace gnnx::nn
