// libFuzzer's entry points for every target (fuzz_target.h): GNNX_FUZZ_TARGET=<target> picks the
// one that gnnx_fuzz fuzzes, e.g. GNNX_FUZZ_TARGET=graph_csv gnnx_fuzz corpus/ seeds/. One
// program for all the loaders, compiled once (scripts/fuzz.sh runs it per target).
#include <cstdio>
#include <cstdlib>
#include <string>

#include "fuzz/fuzz_target.h"

namespace {
gnnx::fuzz::TargetFn selected = nullptr;
}

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  const auto& all = gnnx::fuzz::targets();
  const char* name = std::getenv("GNNX_FUZZ_TARGET");
  const auto it = name ? all.find(name) : all.end();
  if (it == all.end()) {
    std::fprintf(stderr, "gnnx_fuzz: set GNNX_FUZZ_TARGET to one of:");
    for (const auto& entry : all) std::fprintf(stderr, " %s", entry.first.c_str());
    std::fprintf(stderr, " (got %s)\n", name ? name : "nothing");
    std::exit(2);
  }
  selected = it->second;
  gnnx::fuzz::prepare_process();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  selected(data, size);
  return 0;
}
