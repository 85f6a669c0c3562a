#pragma once
// The geometry of an adapter layer's convolution or pooling, read from the C++ module's options
// or the TorchScript child's attributes (LRP rebuilds convolutions from it; feature
// visualisation follows receptive fields through it).

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "gnnx/attribution/attributor.h"

namespace gnnx::attribution::detail {

// A Conv2d: parameters and the arguments of torch::conv2d (numeric zero padding only).
struct ConvGeometry {
  at::Tensor weight, bias;  // bias may be undefined
  std::vector<int64_t> stride, padding, dilation;
  int64_t groups = 1;
};

// Throws gnnx::Error, prefixed by op, when l is not a Conv2d or pads other than with explicit zeros.
ConvGeometry conv_geometry(const Layer& l, const std::string& op);

// A 2-D max or average pooling, or an adaptive pooling (adaptive = true: each output cell pools
// a data-dependent window, taken as the whole input). Sizes have two entries (rows, columns).
struct PoolGeometry {
  std::vector<int64_t> kernel, stride, padding, dilation;
  bool adaptive = false;
};

// Throws gnnx::Error, prefixed by op, when l is not a 2-D pooling layer.
PoolGeometry pool_geometry(const Layer& l, const std::string& op);

}  // namespace gnnx::attribution::detail
