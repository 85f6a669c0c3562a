#pragma once
/// Tensors in torch's pickle format: Python's torch.save / torch.load read and write the same
/// files (torch::pickle_save / pickle_load).

#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>
#include <ATen/core/ivalue.h>

namespace gnnx::io {

/// Reads a tensor written by torch.save (Python) or save_tensor. Throws gnnx::Error naming the
/// path when the file is missing, unreadable, or holds something other than one tensor.
at::Tensor load_tensor(const std::string& path);
/// The entries of a torch.save'd plain dict of tensors, such as `dict(model.state_dict())`, in
/// the file's order. Throws gnnx::Error naming the path when the file is missing or unreadable,
/// holds a collections.OrderedDict (a state_dict saved as it is, which LibTorch cannot read: save
/// `dict(model.state_dict())`), or holds anything but string keys and tensor values.
std::vector<std::pair<std::string, at::Tensor>> load_tensor_dict(const std::string& path);
/// The object in torch.save bytes (the zip format), as torch::pickle_load reads it, but through a
/// reader that stays inside `bytes`: LibTorch 1.13's pickle_load copies whatever range a zip
/// directory names, past the end of its buffer when the file is corrupt (a crash, or garbage
/// read). Throws c10::Error for bytes it cannot read, as pickle_load does.
c10::IValue unpickle(const std::string& bytes);
/// Writes t (moved to the CPU) so that torch.load reads it. Throws gnnx::Error when the file
/// cannot be written.
void save_tensor(const std::string& path, const at::Tensor& t);

}  // namespace gnnx::io
