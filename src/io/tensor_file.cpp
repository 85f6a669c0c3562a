// Tensors in torch's pickle format, readable by Python's torch.load.
#include "gnnx/io/tensor_file.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <vector>

#include <torch/torch.h>

#include "gnnx/core/check.h"

namespace gnnx::io {

namespace {
// The object a torch.save file holds; `op` names the caller in errors.
c10::IValue tensor_file_unpickle(const std::string& path, const char* op) {
  std::ifstream in(path, std::ios::binary);
  GNNX_CHECK(in.good(), op, ": cannot open \"", path, "\"");
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  GNNX_CHECK(!bytes.empty(), op, ": \"", path, "\" is empty");
  try {
    return torch::pickle_load(bytes);
  } catch (const c10::Error& e) {
    // torch.save(model.state_dict()) pickles a collections.OrderedDict, a class LibTorch's
    // unpickler does not know.
    static const std::string ordered = "collections\nOrderedDict";
    GNNX_CHECK(std::search(bytes.begin(), bytes.end(), ordered.begin(), ordered.end()) == bytes.end(), op, ": \"", path,
               "\" holds a collections.OrderedDict, which LibTorch cannot read; save a plain dict instead: "
               "torch.save(dict(model.state_dict()), path)");
    std::string what = e.what_without_backtrace();
    GNNX_CHECK(false, op, ": \"", path, "\" is not a torch.save file (", what.substr(0, what.find('\n')), ")");
  }
  return {};
}
}  // namespace

at::Tensor load_tensor(const std::string& path) {
  const c10::IValue v = tensor_file_unpickle(path, "load_tensor");
  GNNX_CHECK(v.isTensor(), "load_tensor: \"", path, "\" holds a ", v.tagKind(), ", not a tensor");
  return v.toTensor();
}

std::vector<std::pair<std::string, at::Tensor>> load_tensor_dict(const std::string& path) {
  const c10::IValue v = tensor_file_unpickle(path, "load_tensor_dict");
  GNNX_CHECK(v.isGenericDict(), "load_tensor_dict: \"", path, "\" holds a ", v.tagKind(), ", not a dict of tensors");
  std::vector<std::pair<std::string, at::Tensor>> out;
  for (const auto& entry : v.toGenericDict()) {
    GNNX_CHECK(entry.key().isString(), "load_tensor_dict: \"", path, "\" has a ", entry.key().tagKind(),
               " key; expected string keys");
    GNNX_CHECK(entry.value().isTensor(), "load_tensor_dict: \"", path, "\" maps \"", entry.key().toStringRef(),
               "\" to a ", entry.value().tagKind(), "; expected tensors");
    out.emplace_back(entry.key().toStringRef(), entry.value().toTensor());
  }
  return out;
}

void save_tensor(const std::string& path, const at::Tensor& t) {
  GNNX_CHECK(t.defined(), "save_tensor: undefined tensor for \"", path, "\"");
  auto bytes = torch::pickle_save(t.detach().cpu().contiguous());
  std::ofstream out(path, std::ios::binary);
  GNNX_CHECK(out.good(), "save_tensor: cannot write \"", path, "\"");
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  GNNX_CHECK(out.good(), "save_tensor: cannot write \"", path, "\"");
}

}  // namespace gnnx::io
