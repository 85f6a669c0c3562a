// Tensors in torch's pickle format, readable by Python's torch.load.
#include "gnnx/io/tensor_file.h"

#include <fstream>
#include <iterator>
#include <vector>

#include <torch/torch.h>

#include "gnnx/core/check.h"

namespace gnnx::io {

at::Tensor load_tensor(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  GNNX_CHECK(in.good(), "load_tensor: cannot open \"", path, "\"");
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  GNNX_CHECK(!bytes.empty(), "load_tensor: \"", path, "\" is empty");
  c10::IValue v;
  try {
    v = torch::pickle_load(bytes);
  } catch (const c10::Error& e) {
    std::string what = e.what_without_backtrace();
    GNNX_CHECK(false, "load_tensor: \"", path, "\" is not a torch.save file (", what.substr(0, what.find('\n')), ")");
  }
  GNNX_CHECK(v.isTensor(), "load_tensor: \"", path, "\" holds a ", v.tagKind(), ", not a tensor");
  return v.toTensor();
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
