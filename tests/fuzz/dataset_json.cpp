// Dataset JSON text (datasets/dataset_io.h).
#include "fuzz/fuzz_target.h"
#include "gnnx/core/check.h"
#include "gnnx/datasets/dataset_io.h"

GNNX_FUZZ_TARGET(dataset_json) {
  try {
    gnnx::datasets::from_json(gnnx::fuzz::bytes(data, size));
  } catch (const gnnx::Error& e) {
    gnnx::fuzz::rejected(e);
  }
}
