#include "gnnx/nn/index_range.h"

#include <algorithm>
#include <atomic>

#include <torch/torch.h>

#include "gnnx/core/check.h"

namespace gnnx::nn {

// A remembered tensor: the reference keeps its storage alive, so no other tensor can come to
// share its storage and data pointer while the entry exists.
struct IndexRangeScope::Entry {
  at::Tensor tensor;
  const void* storage = nullptr;
  const void* data = nullptr;
  std::vector<int64_t> sizes, strides;
  uint32_t version = 0;
  IndexRange range;

  bool matches(const at::Tensor& t) const {
    return t.storage().unsafeGetStorageImpl() == storage && t.data_ptr() == data &&
           t.sizes() == at::IntArrayRef(sizes) && t.strides() == at::IntArrayRef(strides) && t._version() == version;
  }
};

namespace {

thread_local std::vector<IndexRangeScope*> t_scopes;
std::atomic<int64_t> g_measurements{0};

// Only strided int64 tensors with storage and a version counter can be recognised again.
bool rememberable(const at::Tensor& t) {
  return t.defined() && t.numel() > 0 && t.scalar_type() == at::kLong && t.layout() == at::kStrided &&
         t.has_storage() && !t.is_inference();
}

IndexRange measure(const at::Tensor& index) {
  g_measurements.fetch_add(1, std::memory_order_relaxed);
  auto [lo, hi] = torch::aminmax(index);
  // One device-to-host copy for both numbers.
  auto both = torch::stack({lo, hi}).to(torch::kCPU);
  const int64_t* p = both.data_ptr<int64_t>();
  return {p[0], p[1]};
}

}  // namespace

IndexRangeScope::IndexRangeScope() { t_scopes.push_back(this); }

IndexRangeScope::IndexRangeScope(const at::Tensor& index) : IndexRangeScope() { add(index); }

IndexRangeScope::~IndexRangeScope() {
  // Scopes live on the stack, so this one is normally the innermost; erase it wherever it is.
  auto it = std::find(t_scopes.rbegin(), t_scopes.rend(), this);
  if (it != t_scopes.rend()) t_scopes.erase(std::next(it).base());
}

void IndexRangeScope::add(const at::Tensor& index) {
  if (!rememberable(index)) return;
  for (const auto& e : entries_)
    if (e.matches(index)) return;  // this scope knows it already
  IndexRange r;
  if (!detail::known_index_range(index, r)) r = measure(index);  // an enclosing scope may know it
  detail::remember_index_range(*this, index, r);
}

IndexRange index_range(const at::Tensor& index) {
  GNNX_CHECK(index.defined() && index.numel() > 0 && index.scalar_type() == at::kLong,
             "index_range: expected a non-empty int64 tensor, got ",
             index.defined() ? ::gnnx::detail::concat(index.scalar_type(), " ", index.sizes())
                             : std::string("an undefined tensor"));
  IndexRange r;
  if (detail::known_index_range(index, r)) return r;
  r = measure(index);
  if (!t_scopes.empty()) detail::remember_index_range(*t_scopes.back(), index, r);
  return r;
}

void check_index_range(const at::Tensor& index, int64_t bound, const std::string& op, const char* what) {
  if (!index.defined() || index.numel() == 0) return;
  const auto r = index_range(index);
  GNNX_CHECK(r.lo >= 0 && r.hi < bound, op, ": ", what, " ", r.lo < 0 ? r.lo : r.hi, " outside [0, ", bound, ")");
}

namespace detail {

void remember_index_range(IndexRangeScope& scope, const at::Tensor& index, IndexRange range) {
  if (!rememberable(index)) return;
  IndexRangeScope::Entry e;
  e.tensor = index;
  e.storage = index.storage().unsafeGetStorageImpl();
  e.data = index.data_ptr();
  e.sizes = index.sizes().vec();
  e.strides = index.strides().vec();
  e.version = index._version();
  e.range = range;
  // Bounded, so a long-lived scope around a loop that makes fresh index tensors does not grow
  // (and keep them alive) without end: the oldest entry goes.
  constexpr size_t kMaxEntries = 256;
  if (scope.entries_.size() >= kMaxEntries) scope.entries_.erase(scope.entries_.begin());
  scope.entries_.push_back(std::move(e));
}

bool known_index_range(const at::Tensor& index, IndexRange& range) {
  if (!rememberable(index)) return false;
  for (auto s = t_scopes.rbegin(); s != t_scopes.rend(); ++s)
    for (const auto& e : (*s)->entries_)
      if (e.matches(index)) {
        range = e.range;
        return true;
      }
  return false;
}

int64_t index_range_measurements() { return g_measurements.load(std::memory_order_relaxed); }

}  // namespace detail

}  // namespace gnnx::nn
