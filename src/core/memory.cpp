#include "gnnx/core/memory.h"

#include <atomic>
#include <cctype>
#include <cmath>
#include <cstring>
#include <mutex>
#include <sstream>

#include <c10/core/CPUAllocator.h>
#include <torch/version.h>

#include "gnnx/core/check.h"

namespace gnnx {
namespace {

std::atomic<int64_t> g_limit{0};
std::atomic<int64_t> g_in_use{0};

std::string human(int64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) v /= 1024, ++u;
  std::ostringstream out;
  out.precision(u == 0 ? 0 : 1);
  out << std::fixed << v << " " << units[u];
  return out.str();
}

// What the counting allocator keeps per allocation: the underlying allocation and its size.
struct Record {
  c10::DataPtr inner;
  int64_t bytes;
};

void release(void* ctx) {
  auto* r = static_cast<Record*>(ctx);
  g_in_use.fetch_sub(r->bytes, std::memory_order_relaxed);
  delete r;  // frees the memory through the underlying allocator's deleter
}

// Counts the bytes of live CPU allocations and refuses one that would pass the limit.
class CountingAllocator final : public c10::Allocator {
 public:
  explicit CountingAllocator(c10::Allocator* inner) : inner_(inner) {}

#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 3)
  c10::DataPtr allocate(size_t n) override { return allocate_counted(n); }
  void copy_data(void* dest, const void* src, std::size_t count) const override { std::memcpy(dest, src, count); }
#else
  c10::DataPtr allocate(size_t n) const override { return allocate_counted(n); }
#endif

 private:
  c10::DataPtr allocate_counted(size_t n) const {
    const auto bytes = static_cast<int64_t>(n);
    const auto limit = g_limit.load(std::memory_order_relaxed);
    const auto before = g_in_use.fetch_add(bytes, std::memory_order_relaxed);
    if (limit > 0 && before + bytes > limit) {
      g_in_use.fetch_sub(bytes, std::memory_order_relaxed);
      GNNX_CHECK(false, "memory limit: allocating ", human(bytes), " would exceed the limit of ", human(limit),
                 ", with ", human(before), " in use; explain fewer targets at once (a smaller chunk_size or "
                 "max_batch_nodes, or --chunk-size) or raise the limit (GNNX_MEMORY_LIMIT)");
    }
    c10::DataPtr inner;
    try {
      inner = inner_->allocate(n);
    } catch (...) {
      g_in_use.fetch_sub(bytes, std::memory_order_relaxed);
      throw;
    }
    void* data = inner.get();
    const auto device = inner.device();
    auto* record = new Record{std::move(inner), bytes};
    return c10::DataPtr(data, record, &release, device);
  }

  c10::Allocator* inner_;
};

void install() {
  static std::once_flag once;
  std::call_once(once, [] {
    static CountingAllocator counting(c10::GetCPUAllocator());
    // A priority above the default CPU allocator's, so that a later default registration does
    // not replace it.
    c10::SetCPUAllocator(&counting, /*priority=*/10);
  });
}

}  // namespace

void set_memory_limit(int64_t bytes) {
  GNNX_CHECK(bytes >= 0, "set_memory_limit: expected a limit >= 0 bytes (0: none), got ", bytes);
  install();
  g_limit.store(bytes, std::memory_order_relaxed);
}

int64_t memory_limit() { return g_limit.load(std::memory_order_relaxed); }

int64_t memory_in_use() { return g_in_use.load(std::memory_order_relaxed); }

int64_t parse_byte_size(const std::string& text, const std::string& what) {
  std::string s;
  for (char c : text)
    if (!std::isspace(static_cast<unsigned char>(c))) s += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto bad = [&] {
    GNNX_CHECK(false, what, ": expected a size in bytes such as 4096, 512M or 4G, got \"", text, "\"");
  };
  if (s.size() >= 2 && s.compare(s.size() - 2, 2, "IB") == 0) s.resize(s.size() - 2), s += "B";
  if (!s.empty() && s.back() == 'B') s.pop_back();
  int shift = 0;
  if (!s.empty() && std::string("KMGT").find(s.back()) != std::string::npos) {
    shift = 10 * (1 + static_cast<int>(std::string("KMGT").find(s.back())));
    s.pop_back();
  }
  if (s.empty()) bad();
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(s, &used);
  } catch (...) {
    bad();
  }
  if (used != s.size() || !std::isfinite(v) || v < 0) bad();
  const double bytes = std::ldexp(v, shift);
  GNNX_CHECK(bytes < 9.2e18, what, ": ", text, " is too large");
  return static_cast<int64_t>(bytes);
}

}  // namespace gnnx
