#pragma once
// Internal: the item ids the attribution methods score an input with.

#include <ATen/core/Tensor.h>
#include <torch/torch.h>

namespace gnnx::attribution::detail {

/// 0, 1, ..., B-1 as int64 on input's device, for input [B, *item]: Objective::scores of every
/// row for its own item.
inline at::Tensor all_items(const at::Tensor& input) {
  return torch::arange(input.size(0), torch::TensorOptions().dtype(torch::kLong).device(input.device()));
}

}  // namespace gnnx::attribution::detail
