#pragma once
/// GINConv (Xu et al.): x_i' = MLP((1 + eps) x_i + Σ_{j -> i} w_ji x_j).

#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/pimpl.h>

#include "gnnx/core/arg.h"
#include "gnnx/nn/message_passing.h"

namespace gnnx::nn {

struct GINConvOptions {
  GINConvOptions(int64_t in_channels, int64_t out_channels) : in_channels_(in_channels), out_channels_(out_channels) {}
  GNNX_ARG(int64_t, in_channels);
  GNNX_ARG(int64_t, out_channels);
  /// Hidden width of the default MLP Linear(in, hidden) -> ReLU -> Linear(hidden, out);
  /// 0 means out_channels. Default 0.
  GNNX_ARG(int64_t, hidden_channels) = 0;
  /// Initial eps. Default 0.
  GNNX_ARG(double, eps) = 0.0;
  /// Learn eps. Default false.
  GNNX_ARG(bool, train_eps) = false;
};

class GINConvImpl : public MessagePassing {
 public:
  bool in_edge_local() const override { return true; }
  explicit GINConvImpl(GINConvOptions options);
  void reset();
  at::Tensor forward(const at::Tensor& x, const at::Tensor& edge_index, const at::Tensor& edge_weight = {});

  GINConvOptions options;
  torch::nn::Sequential mlp{nullptr};  ///< Linear, ReLU, Linear
  at::Tensor eps;                      ///< scalar, a parameter when train_eps
};
TORCH_MODULE(GINConv);

}  // namespace gnnx::nn
