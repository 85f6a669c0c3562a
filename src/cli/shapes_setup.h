#pragma once
// The Shapes image data and GAP CNN the `images` and `bench images` commands train in-process
// (cmd_bench_images.cpp).

#include <cstdint>

#include <CLI/CLI.hpp>
#include <torch/nn/modules/container/sequential.h>

#include "gnnx/datasets/images.h"
#include "gnnx/nn/models/cnn.h"

namespace gnnx::cli {

struct ShapesSetup {
  int64_t train = 2000, test = 500, epochs = 12, width = 16;
  uint64_t seed = 0;
};

/// --train, --test, --epochs, --width, --seed.
void add_setup_options(CLI::App* cmd, ShapesSetup& s);

struct Trained {
  torch::nn::Sequential model{nullptr};
  datasets::ImageDataset test;
  nn::ImageTrainResult result;
};

/// Generates the training and test images of s, trains the GAP CNN on them; the model in eval mode.
Trained train_shapes(const ShapesSetup& s);

}  // namespace gnnx::cli
