// The fuzz targets by name (fuzz_target.h).
#include <cstdio>
#include <cstdlib>

#include "fuzz/fuzz_target.h"

namespace gnnx::fuzz {

namespace {
std::map<std::string, TargetFn>& table() {
  static std::map<std::string, TargetFn> all;
  return all;
}
}  // namespace

bool register_target(const char* name, TargetFn fn) {
  if (!table().emplace(name, fn).second) {
    std::fprintf(stderr, "gnnx fuzz: two targets are named %s\n", name);
    std::abort();
  }
  return true;
}

const std::map<std::string, TargetFn>& targets() { return table(); }

}  // namespace gnnx::fuzz
