#pragma once
/// Tensors in torch's pickle format: Python's torch.save / torch.load read and write the same
/// files (torch::pickle_save / pickle_load).

#include <string>

#include <ATen/core/Tensor.h>

namespace gnnx::io {

/// Reads a tensor written by torch.save (Python) or save_tensor. Throws gnnx::Error naming the
/// path when the file is missing, unreadable, or holds something other than one tensor.
at::Tensor load_tensor(const std::string& path);
/// Writes t (moved to the CPU) so that torch.load reads it. Throws gnnx::Error when the file
/// cannot be written.
void save_tensor(const std::string& path, const at::Tensor& t);

}  // namespace gnnx::io
