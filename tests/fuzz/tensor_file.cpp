// torch.save files read as one tensor and as a dict of tensors (io/tensor_file.h).
#include "gnnx/io/tensor_file.h"
#include "fuzz/fuzz_target.h"
#include "gnnx/core/check.h"

GNNX_FUZZ_TARGET(tensor_file) {
  const std::string path = gnnx::fuzz::scratch_file(".pt", gnnx::fuzz::bytes(data, size));
  try {
    gnnx::io::load_tensor(path);
  } catch (const gnnx::Error& e) {
    gnnx::fuzz::rejected(e);
  }
  try {
    gnnx::io::load_tensor_dict(path);
  } catch (const gnnx::Error& e) {
    gnnx::fuzz::rejected(e);
  }
}
