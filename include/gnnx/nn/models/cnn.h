#pragma once
/// A small image CNN with a global-average-pooling head, its training and its accuracy.
///
/// make_gap_cnn builds a torch::nn::Sequential with named children, so that layer-based
/// explainers (CAM, Grad-CAM, LRP) can address layers by name:
///   conv1 relu1 pool1 conv2 relu2 pool2 conv3 relu3 gap flatten fc
/// conv*: 3x3, padding 1; pool*: 2x2 max pooling; gap: AdaptiveAvgPool2d(1); fc: Linear.
/// It is CAM-compatible: the last convolutional feature maps (relu3) are averaged and fed to one
/// linear layer, so M_c = sum_k w_k^c f_k(x, y) is the class activation map.

#include <cstdint>
#include <string>

#include <ATen/core/Tensor.h>
#include <torch/nn/modules/container/sequential.h>

#include "gnnx/core/arg.h"
#include "gnnx/core/log.h"

namespace gnnx::nn {

struct GapCnnOptions {
  GapCnnOptions(int64_t in_channels, int64_t num_classes) : in_channels_(in_channels), num_classes_(num_classes) {}
  /// Input channels C of [B, C, H, W] images.
  GNNX_ARG(int64_t, in_channels);
  /// Output classes.
  GNNX_ARG(int64_t, num_classes);
  /// Channels of conv1; conv2 and conv3 have twice as many. Default 16.
  GNNX_ARG(int64_t, width) = 16;
  /// Whether convolutions and the linear layer have biases. Default true.
  GNNX_ARG(bool, bias) = true;
};

/// The GAP CNN described above; parameters are initialised from torch's global generator.
torch::nn::Sequential make_gap_cnn(const GapCnnOptions& options);

/// A GAP CNN saved with torch::save (as `gnnx images train --out` does): builds
/// make_gap_cnn(options), reads the parameters from path, returns it in eval mode. Throws
/// gnnx::Error when the file is missing or corrupt, or holds another architecture (the message
/// names the width and input channels found in the file).
torch::nn::Sequential load_gap_cnn(const std::string& path, const GapCnnOptions& options);

struct ImageTrainOptions {
  /// Passes over the training images. Default 12.
  GNNX_ARG(int64_t, epochs) = 12;
  /// Adam learning rate. Default 3e-3.
  GNNX_ARG(double, lr) = 3e-3;
  /// Images per mini-batch. Default 64.
  GNNX_ARG(int64_t, batch_size) = 64;
  /// Seed of the parameter re-initialisation and the batch order. Default 0.
  GNNX_ARG(uint64_t, seed) = 0;
  /// Receives a progress line (epoch, mean loss) every log_every epochs. Default: none (silent).
  GNNX_ARG(LogSink, log);
  /// Epochs between progress lines to log(); 0 sends none. Default 1.
  GNNX_ARG(int64_t, log_every) = 1;
};

struct ImageTrainResult {
  double train_acc = 0;
  double test_acc = 0;
  int64_t epochs_run = 0;
  double seconds = 0;
};

/// Trains `model` ([B, C, H, W] float32 -> [B, K] logits) with cross-entropy on (images, labels),
/// after re-initialising its parameters with torch::manual_seed(seed). test_images may be
/// undefined (test_acc is then 0).
ImageTrainResult train_image_classifier(torch::nn::Sequential& model, const at::Tensor& images,
                                        const at::Tensor& labels, const at::Tensor& test_images,
                                        const at::Tensor& test_labels, const ImageTrainOptions& options = {});

/// Fraction of images whose argmax logit equals the label (evaluated in batches of 256, eval mode).
double image_accuracy(torch::nn::Sequential& model, const at::Tensor& images, const at::Tensor& labels);

}  // namespace gnnx::nn
