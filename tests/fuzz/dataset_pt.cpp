// Dataset .pt bytes (datasets/dataset_io.h).
#include "fuzz/fuzz_target.h"
#include "gnnx/core/check.h"
#include "gnnx/datasets/dataset_io.h"

GNNX_FUZZ_TARGET(dataset_pt) {
  try {
    gnnx::datasets::from_pt(gnnx::fuzz::bytes(data, size));
  } catch (const gnnx::Error& e) {
    gnnx::fuzz::rejected(e);
  }
}
