#include "gnnx/core/runtime.h"

#include <mutex>

#include "gnnx/core/check.h"

namespace gnnx {
namespace {
std::mutex g_mutex;
RuntimeSettings g_settings;  // guarded by g_mutex
}  // namespace

void set_runtime_settings(const RuntimeSettings& settings) {
  GNNX_CHECK(settings.explainer_blas_threads() >= 0,
             "set_runtime_settings: explainer_blas_threads must be >= 0 (0: leave OpenBLAS alone), got ",
             settings.explainer_blas_threads());
  std::lock_guard<std::mutex> lock(g_mutex);
  g_settings = settings;
}

RuntimeSettings runtime_settings() {
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_settings;
}

}  // namespace gnnx
