#pragma once
// Counts the ATen operators that run while an OpCounter lives, by name, on every thread (through
// LibTorch's RecordFunction callbacks, as its profiler does). Device-to-host syncs on CUDA come
// from a known set of operators (item, nonzero, unique, ...), so counting them on the CPU shows
// where a GPU run would stall, without a GPU. A copy to the host (.cpu()) is invisible there: on
// the CPU it copies nothing. One counter at a time.
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <ATen/record_function.h>

namespace gnnx::test {

class OpCounter {
 public:
  OpCounter() {
    std::lock_guard<std::mutex> lock(mutex());
    counts_map().clear();
    handle_ = at::addGlobalCallback(
        at::RecordFunctionCallback(&OpCounter::on_start).scopes({at::RecordScope::FUNCTION}));
  }
  ~OpCounter() { at::removeCallback(handle_); }
  OpCounter(const OpCounter&) = delete;
  OpCounter& operator=(const OpCounter&) = delete;

  std::map<std::string, int64_t> counts() const {
    std::lock_guard<std::mutex> lock(mutex());
    return counts_map();
  }

  // The operators that, on CUDA, wait for the device: a scalar read back (item), an output whose
  // size depends on the data (nonzero, unique, masked_select, bool indexing), a comparison read back.
  static bool syncs_on_cuda(const std::string& op) {
    static const char* const names[] = {"aten::_local_scalar_dense",
                                        "aten::item",
                                        "aten::nonzero",
                                        "aten::is_nonzero",
                                        "aten::_unique",
                                        "aten::_unique2",
                                        "aten::unique_dim",
                                        "aten::unique_consecutive",
                                        "aten::masked_select",
                                        "aten::equal",
                                        "aten::allclose",
                                        "aten::bincount",
                                        "aten::histc"};
    for (const char* n : names)
      if (op == n) return true;
    return false;
  }

 private:
  static std::mutex& mutex() {
    static std::mutex m;
    return m;
  }
  static std::map<std::string, int64_t>& counts_map() {
    static std::map<std::string, int64_t> m;
    return m;
  }
  static std::unique_ptr<at::ObserverContext> on_start(const at::RecordFunction& fn) {
    std::lock_guard<std::mutex> lock(mutex());
    ++counts_map()[fn.name()];
    return nullptr;
  }
  at::CallbackHandle handle_;
};

}  // namespace gnnx::test
