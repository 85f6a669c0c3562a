#pragma once
/// A numeric self-check of the LibTorch kernels gnnx's explanations rest on.
///
/// Every gradient method, LRP and GNNExplainer reads gradients from LibTorch. A broken kernel
/// gives wrong explanations without any error: Debian 13's LibTorch 2.6, with its oneDNN 3.7,
/// returns wrong conv2d input gradients (NaN among them) when oneDNN picks its AVX2 or AVX-512
/// kernels. check_backend() runs each kernel in float32 on the given device and compares the
/// result with float64 on the CPU, which runs LibTorch's own reference loops.

#include <string>
#include <vector>

#include <c10/core/Device.h>

namespace gnnx {

struct BackendCheck {
  std::string op;      ///< e.g. "conv2d input gradient"
  double error = 0.0;  ///< max |float32 - float64| / max |float64|; NaN when the result has NaN
  double tolerance = 0.0;
  bool ok = false;  ///< error <= tolerance
};

/// Runs the checks on `device` (CPU, or a CUDA device that is available; anything else throws
/// gnnx::Error). Deterministic: the inputs come from a fixed seed. Takes a few milliseconds.
std::vector<BackendCheck> check_backend(c10::Device device = c10::Device(c10::kCPU));

}  // namespace gnnx
