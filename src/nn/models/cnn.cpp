#include "gnnx/nn/models/cnn.h"

#include <chrono>
#include <filesystem>

#include <torch/torch.h>

#include "core/error_text.h"
#include "gnnx/core/check.h"
#include "gnnx/core/random.h"
#include "io/zip_check.h"

namespace gnnx::nn {

torch::nn::Sequential make_gap_cnn(const GapCnnOptions& o) {
  GNNX_CHECK(o.in_channels() > 0 && o.num_classes() > 1 && o.width() > 0,
             "make_gap_cnn: need in_channels > 0, num_classes > 1, width > 0; got ", o.in_channels(), ", ",
             o.num_classes(), ", ", o.width());
  namespace tnn = torch::nn;
  const int64_t w = o.width();
  auto conv = [&](int64_t in, int64_t out) {
    return tnn::Conv2d(tnn::Conv2dOptions(in, out, 3).padding(1).bias(o.bias()));
  };
  return tnn::Sequential({{"conv1", conv(o.in_channels(), w)},
                          {"relu1", tnn::ReLU()},
                          {"pool1", tnn::MaxPool2d(tnn::MaxPool2dOptions(2))},
                          {"conv2", conv(w, 2 * w)},
                          {"relu2", tnn::ReLU()},
                          {"pool2", tnn::MaxPool2d(tnn::MaxPool2dOptions(2))},
                          {"conv3", conv(2 * w, 2 * w)},
                          {"relu3", tnn::ReLU()},
                          {"gap", tnn::AdaptiveAvgPool2d(tnn::AdaptiveAvgPool2dOptions(1))},
                          {"flatten", tnn::Flatten()},
                          {"fc", tnn::Linear(tnn::LinearOptions(2 * w, o.num_classes()).bias(o.bias()))}});
}

torch::nn::Sequential load_gap_cnn(const std::string& path, const GapCnnOptions& options) {
  const char* op = "load_gap_cnn";
  GNNX_CHECK(std::filesystem::is_regular_file(path), op, ": no such file: ", path);
  io::check_zip_file_crc(path, op);
  auto model = make_gap_cnn(options);
  std::vector<std::pair<std::string, std::vector<int64_t>>> expected;
  for (const auto& p : model->named_parameters()) expected.emplace_back(p.key(), p.value().sizes().vec());
  try {
    torch::load(model, path);
  } catch (const std::exception& e) {  // c10::Error, or torch::jit::ErrorReport from a corrupt archive
    GNNX_CHECK(false, op, ": ", path, " is not a GAP CNN of width ", options.width(), " (",
               gnnx::detail::message_line(e.what()), ")");
  }
  // Loading replaces tensors whole: a file of another width loads without complaint, so compare.
  const auto params = model->named_parameters();
  for (const auto& [name, sizes] : expected) {
    const auto* p = params.find(name);
    GNNX_CHECK(p != nullptr && p->sizes().vec() == sizes, op, ": ", path, " holds a GAP CNN with ",
               params.contains("conv1.weight") ? params["conv1.weight"].size(1) : -1, " input channels and width ",
               params.contains("conv1.weight") ? params["conv1.weight"].size(0) : -1, ", not ", options.in_channels(),
               " and ", options.width(), " (", name, " is ", p == nullptr ? c10::IntArrayRef{} : p->sizes(), ")");
  }
  model->eval();
  return model;
}

namespace {

void check_images(const char* op, const at::Tensor& images, const at::Tensor& labels) {
  GNNX_CHECK(images.defined() && images.dim() == 4, op, ": images must be [B, C, H, W], got ",
             images.defined() ? images.sizes() : at::IntArrayRef{});
  GNNX_CHECK(labels.defined() && labels.dim() == 1 && labels.size(0) == images.size(0) &&
                 labels.scalar_type() == at::kLong,
             op, ": labels must be [B] int64 with B = ", images.size(0));
}

}  // namespace

double image_accuracy(torch::nn::Sequential& model, const at::Tensor& images, const at::Tensor& labels) {
  check_images("image_accuracy", images, labels);
  torch::NoGradGuard ng;
  const bool was_training = model->is_training();
  model->eval();
  int64_t correct = 0;
  for (int64_t s = 0; s < images.size(0); s += 256) {
    const int64_t e = std::min(images.size(0), s + 256);
    correct += model->forward(images.slice(0, s, e)).argmax(1).eq(labels.slice(0, s, e)).sum().item<int64_t>();
  }
  model->train(was_training);
  return static_cast<double>(correct) / static_cast<double>(std::max<int64_t>(1, images.size(0)));
}

ImageTrainResult train_image_classifier(torch::nn::Sequential& model, const at::Tensor& images,
                                        const at::Tensor& labels, const at::Tensor& test_images,
                                        const at::Tensor& test_labels, const ImageTrainOptions& o) {
  const char* op = "train_image_classifier";
  check_images(op, images, labels);
  if (test_images.defined()) check_images(op, test_images, test_labels);
  GNNX_CHECK(o.epochs() > 0 && o.batch_size() > 0 && o.lr() > 0, op,
             ": epochs, batch_size and lr must be positive, got ", o.epochs(), ", ", o.batch_size(), ", ", o.lr());
  const auto start = std::chrono::steady_clock::now();
  torch::manual_seed(o.seed());
  for (auto& m : model->modules(/*include_self=*/false)) {
    if (auto* conv = m->as<torch::nn::Conv2d>()) conv->reset_parameters();
    if (auto* lin = m->as<torch::nn::Linear>()) lin->reset_parameters();
  }
  torch::optim::Adam opt(model->parameters(), torch::optim::AdamOptions(o.lr()));
  Rng rng(o.seed());
  const int64_t n = images.size(0);
  model->train();
  ImageTrainResult r;
  for (int64_t epoch = 0; epoch < o.epochs(); ++epoch) {
    auto order = torch::tensor(permutation(n, rng), torch::kLong).to(images.device());
    double loss_sum = 0;
    for (int64_t s = 0; s < n; s += o.batch_size()) {
      auto idx = order.slice(0, s, std::min(n, s + o.batch_size()));
      opt.zero_grad();
      auto loss = torch::nn::functional::cross_entropy(model->forward(images.index_select(0, idx)),
                                                       labels.index_select(0, idx));
      loss.backward();
      opt.step();
      loss_sum += loss.item<double>() * static_cast<double>(idx.size(0));
    }
    r.epochs_run = epoch + 1;
    if (o.log_every() > 0 && (epoch + 1) % o.log_every() == 0)
      log_to(o.log(), LogLevel::kInfo, "epoch ", epoch + 1, " loss ", loss_sum / static_cast<double>(n));
  }
  model->eval();
  r.train_acc = image_accuracy(model, images, labels);
  if (test_images.defined()) r.test_acc = image_accuracy(model, test_images, test_labels);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace gnnx::nn
