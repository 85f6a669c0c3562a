// Tensors in torch's pickle format, readable by Python's torch.load.
#include "gnnx/io/tensor_file.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <vector>

#include <caffe2/serialize/inline_container.h>
#include <caffe2/serialize/read_adapter_interface.h>
#include <torch/csrc/jit/serialization/import_read.h>
#include <torch/torch.h>

#include "gnnx/core/check.h"

namespace gnnx::io {

namespace {
// torch.save bytes for PyTorchStreamReader. A read past the end returns what lies inside the
// buffer (nothing, or fewer bytes than asked), and the zip reader then fails with c10::Error.
class BoundedBytesReader final : public caffe2::serialize::ReadAdapterInterface {
 public:
  explicit BoundedBytesReader(const std::string& bytes) : bytes_(bytes) {}
  size_t size() const override { return bytes_.size(); }
  size_t read(uint64_t pos, void* buf, size_t n, const char* /*what*/) const override {
    if (pos >= bytes_.size()) return 0;
    n = static_cast<size_t>(std::min<uint64_t>(n, bytes_.size() - pos));
    std::memcpy(buf, bytes_.data() + pos, n);
    return n;
  }

 private:
  const std::string& bytes_;
};

// The object a torch.save file holds; `op` names the caller in errors.
c10::IValue tensor_file_unpickle(const std::string& path, const char* op) {
  std::ifstream in(path, std::ios::binary);
  GNNX_CHECK(in.good(), op, ": cannot open \"", path, "\"");
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  GNNX_CHECK(!bytes.empty(), op, ": \"", path, "\" is empty");
  try {
    return unpickle(bytes);
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

c10::IValue unpickle(const std::string& bytes) {
  caffe2::serialize::PyTorchStreamReader reader(std::make_shared<BoundedBytesReader>(bytes));
  return torch::jit::readArchiveAndTensors("data", /*pickle_prefix=*/"", /*tensor_prefix=*/"",
                                           /*type_resolver=*/c10::nullopt, /*obj_loader=*/c10::nullopt,
                                           /*device=*/c10::nullopt, reader);
}

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
