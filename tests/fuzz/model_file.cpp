// Saved models (nn/models/model_file.h): a gnnx model, a PyG state dict or TorchScript, tried in
// that order, with in_channels and num_classes given so that a TorchScript file is read too.
#include "gnnx/nn/models/model_file.h"
#include "fuzz/fuzz_target.h"
#include "gnnx/core/check.h"

GNNX_FUZZ_TARGET(model_file) {
  const std::string path = gnnx::fuzz::scratch_file(".pt", gnnx::fuzz::bytes(data, size));
  try {
    gnnx::nn::load_model(path, gnnx::nn::ModelFileOptions().in_channels(4).num_classes(3));
  } catch (const gnnx::Error& e) {
    gnnx::fuzz::rejected(e);
  }
}
