#include "gnnx/core/runtime.h"

#include "support/catch.h"
#include "support/tensor_match.h"

TEST_CASE("runtime settings change nothing by default and are read back as set", "[core][runtime]") {
  const auto saved = gnnx::runtime_settings();
  CHECK(gnnx::RuntimeSettings().explainer_blas_threads() == 0);
  gnnx::set_runtime_settings(gnnx::RuntimeSettings().explainer_blas_threads(1));
  CHECK(gnnx::runtime_settings().explainer_blas_threads() == 1);
  GNNX_REQUIRE_ERROR("set_runtime_settings: explainer_blas_threads must be >= 0",
                     gnnx::set_runtime_settings(gnnx::RuntimeSettings().explainer_blas_threads(-1)));
  CHECK(gnnx::runtime_settings().explainer_blas_threads() == 1);
  gnnx::set_runtime_settings(saved);
}
