// The fuzz targets by name (fuzz_target.h).
#include <cstdio>
#include <cstdlib>

#include <c10/util/Logging.h>

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

void prepare_process() {
  c10::SetStackTraceFetcher([] { return std::string(); });
}

}  // namespace gnnx::fuzz
