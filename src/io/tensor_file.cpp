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
#include <zlib.h>

#include "core/error_text.h"
#include "gnnx/core/check.h"
#include "io/zip_check.h"

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

// The little-endian integer of n bytes at `at` (zip headers).
uint64_t le(const std::string& b, uint64_t at, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[at + static_cast<uint64_t>(i)]);
  return v;
}

// The object a torch.save file holds; `op` names the caller in errors.
c10::IValue tensor_file_unpickle(const std::string& path, const char* op) {
  std::ifstream in(path, std::ios::binary);
  GNNX_CHECK(in.good(), op, ": cannot open \"", path, "\"");
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  GNNX_CHECK(!bytes.empty(), op, ": \"", path, "\" is empty");
  check_zip_crc(bytes, op, path);
  try {
    return unpickle(bytes);
  } catch (const std::exception& e) {  // c10::Error, or torch::jit::ErrorReport from a corrupt archive
    // torch.save(model.state_dict()) pickles a collections.OrderedDict, a class LibTorch's
    // unpickler does not know.
    static const std::string ordered = "collections\nOrderedDict";
    GNNX_CHECK(std::search(bytes.begin(), bytes.end(), ordered.begin(), ordered.end()) == bytes.end(), op, ": \"", path,
               "\" holds a collections.OrderedDict, which LibTorch cannot read; save a plain dict instead: "
               "torch.save(dict(model.state_dict()), path)");
    GNNX_CHECK(false, op, ": \"", path, "\" is not a torch.save file (", gnnx::detail::message_line(e.what()), ")");
  }
  return {};
}
}  // namespace

void check_zip_crc(const std::string& b, const std::string& op, const std::string& source) {
  const uint64_t size = b.size();
  auto corrupt = [&](const auto&... what) {
    GNNX_CHECK(false, op, ": \"", source, "\" is corrupt: ", what..., " (truncated, or changed after it was written)");
  };
  // The end-of-central-directory record: the last "PK\5\6" within 64 KiB + 22 bytes of the end.
  if (size < 22) return;
  uint64_t eocd = size - 22;
  const uint64_t lowest = size > 65557 ? size - 65557 : 0;
  while (le(b, eocd, 4) != 0x06054b50) {
    if (eocd == lowest) return;  // not a zip archive: LibTorch says so
    --eocd;
  }
  uint64_t entries = le(b, eocd + 10, 2), cd_size = le(b, eocd + 12, 4), cd = le(b, eocd + 16, 4);
  if (eocd >= 20 && le(b, eocd - 20, 4) == 0x07064b50) {
    // Zip64 (LibTorch writes it): the locator names the zip64 record, whose values the reader
    // uses. The classic record's must agree with them, or hold the 0xFF.. that defers to them.
    const uint64_t z = le(b, eocd - 20 + 8, 8);
    if (z > size || size - z < 56 || le(b, z, 4) != 0x06064b50) corrupt("its zip64 directory record is missing");
    const uint64_t entries64 = le(b, z + 32, 8), cd_size64 = le(b, z + 40, 8), cd64 = le(b, z + 48, 8);
    if ((entries != 0xFFFF && entries != entries64) || (cd_size != 0xFFFFFFFF && cd_size != cd_size64) ||
        (cd != 0xFFFFFFFF && cd != cd64))
      corrupt("its two end-of-directory records disagree");
    entries = entries64;
    cd_size = cd_size64;
    cd = cd64;
  }
  if (cd > size || cd_size > size - cd) corrupt("its central directory lies outside the file");
  // Every entry the directory holds, walked to its end: the count it states is checked, not
  // trusted (a count of 0 would otherwise let every entry through unchecked).
  uint64_t at = cd, k = 0;
  for (; at < cd + cd_size; ++k) {
    if (size - at < 46 || le(b, at, 4) != 0x02014b50) corrupt("central directory entry ", k, " is broken");
    const uint64_t method = le(b, at + 10, 2), crc = le(b, at + 16, 4), name_len = le(b, at + 28, 2),
                   extra_len = le(b, at + 30, 2), comment_len = le(b, at + 32, 2);
    uint64_t compressed = le(b, at + 20, 4), uncompressed = le(b, at + 24, 4), local = le(b, at + 42, 4);
    if (size - at - 46 < name_len + extra_len + comment_len) corrupt("central directory entry ", k, " is broken");
    const std::string name = b.substr(at + 46, name_len);
    // Zip64 sizes and offset, in that order, for the fields set to 0xFFFFFFFF.
    for (uint64_t e = at + 46 + name_len, end = e + extra_len; e + 4 <= end;) {
      const uint64_t id = le(b, e, 2), len = le(b, e + 2, 2);
      if (id == 0x0001) {
        uint64_t f = e + 4;
        auto next = [&](uint64_t& field) {
          if (field == 0xFFFFFFFF && f + 8 <= e + 4 + len && f + 8 <= end) {
            field = le(b, f, 8);
            f += 8;
          }
        };
        next(uncompressed);
        next(compressed);
        next(local);
      }
      e += 4 + len;
    }
    at += 46 + name_len + extra_len + comment_len;
    if (local > size || size - local < 30 || le(b, local, 4) != 0x04034b50)
      corrupt("the entry \"", name, "\" points outside the file");
    const uint64_t local_name = le(b, local + 26, 2), data = local + 30 + local_name + le(b, local + 28, 2);
    if (data > size || compressed > size - data) corrupt("the entry \"", name, "\" runs past the end of the file");
    if (local_name != name_len || b.compare(local + 30, name_len, name) != 0)
      corrupt("the entry \"", name, "\" has another name in its local header");
    GNNX_CHECK(method == 0 || method == 8, op, ": \"", source, "\": the entry \"", name, "\" uses compression method ",
               method, "; zip archives of torch.save and torch.jit.save store (0) or deflate (8) their entries");
    if (method == 0 && compressed != uncompressed) corrupt("the stored entry \"", name, "\" has two sizes");
    const auto* in = reinterpret_cast<const Bytef*>(b.data() + data);
    uLong sum = crc32(0L, Z_NULL, 0);
    if (method == 0) {
      for (uint64_t done = 0; done < compressed;) {  // zlib takes 32-bit lengths
        const auto n = static_cast<uInt>(std::min<uint64_t>(compressed - done, 1u << 30));
        sum = crc32(sum, in + done, n);
        done += n;
      }
    } else {  // raw deflate, inflated in pieces: a corrupt stream cannot make this allocate more
      z_stream zs{};
      GNNX_ASSERT(inflateInit2(&zs, -MAX_WBITS) == Z_OK);
      std::vector<Bytef> out(64 << 10);
      uint64_t produced = 0, consumed = 0;
      int rc = Z_OK;
      while (rc == Z_OK) {
        const auto avail = static_cast<uInt>(std::min<uint64_t>(compressed - consumed, 1u << 30));
        zs.next_in = const_cast<Bytef*>(in + consumed);
        zs.avail_in = avail;
        zs.next_out = out.data();
        zs.avail_out = static_cast<uInt>(out.size());
        rc = inflate(&zs, Z_NO_FLUSH);
        consumed += avail - zs.avail_in;
        const uint64_t got = out.size() - zs.avail_out;
        produced += got;
        if (produced > uncompressed) break;
        sum = crc32(sum, out.data(), static_cast<uInt>(got));
        if (rc == Z_OK && got == 0 && zs.avail_in == 0 && consumed == compressed) rc = Z_DATA_ERROR;  // cut short
      }
      inflateEnd(&zs);
      if (rc != Z_STREAM_END || produced != uncompressed)
        corrupt("the compressed entry \"", name, "\" does not inflate to its recorded size");
    }
    if (sum != crc) corrupt("the entry \"", name, "\" does not match its CRC-32");
  }
  if (at != cd + cd_size || k != entries)
    corrupt("its central directory states ", entries, " entries in ", cd_size, " bytes and holds ", k, " in ", at - cd);
}

void check_zip_file_crc(const std::string& path, const std::string& op) {
  std::ifstream in(path, std::ios::binary);
  GNNX_CHECK(in.good(), op, ": cannot open \"", path, "\"");
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  check_zip_crc(bytes, op, path);
}

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
