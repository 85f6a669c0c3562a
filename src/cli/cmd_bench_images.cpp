// `gnnx images train` and `gnnx bench images`: the Shapes image benchmark with ground truth.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <limits>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "cli/commands.h"
#include "cli/shapes_setup.h"
#include "gnnx/attribution/cam.h"
#include "gnnx/attribution/lrp.h"
#include "gnnx/core/check.h"
#include "gnnx/core/device.h"
#include "gnnx/core/random.h"
#include "gnnx/datasets/images.h"
#include "gnnx/eval/images.h"
#include "gnnx/io/png.h"
#include "gnnx/metrics/images.h"
#include "gnnx/nn/models/cnn.h"

namespace gnnx::cli {

void add_setup_options(CLI::App* cmd, ShapesSetup& s) {
  cmd->add_option("--train", s.train, "training images")->capture_default_str();
  cmd->add_option("--test", s.test, "test images")->capture_default_str();
  cmd->add_option("--epochs", s.epochs, "training epochs")->capture_default_str();
  cmd->add_option("--width", s.width, "channels of conv1 (conv2, conv3: twice)")->capture_default_str();
  cmd->add_option("--seed", s.seed, "seed of the data and the training")->capture_default_str();
}

Trained train_shapes(const ShapesSetup& s) {
  GNNX_CHECK(s.train > 0 && s.test > 0, "images: --train and --test must be positive, got ", s.train, " and ", s.test);
  auto train = datasets::make_shapes_images(datasets::ShapesImagesOptions().num_images(s.train).seed(s.seed * 2 + 1));
  Trained t;
  t.test = datasets::make_shapes_images(datasets::ShapesImagesOptions().num_images(s.test).seed(s.seed * 2 + 2));
  t.model = nn::make_gap_cnn(nn::GapCnnOptions(3, train.num_classes()).width(s.width));
  t.result = nn::train_image_classifier(t.model, train.images, train.labels, t.test.images, t.test.labels,
                                        nn::ImageTrainOptions().epochs(s.epochs).seed(s.seed));
  t.model->eval();
  return t;
}

namespace {

std::string fixed(double v, int digits) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(digits) << v;
  return s.str();
}

struct Method {
  std::string name;
  std::unique_ptr<attribution::Attributor> attributor;  // null: the random floor
};

void run_bench(const ShapesSetup& s, int64_t n_eval, int64_t n_sanity, int64_t grid_rows, const std::string& png) {
  GNNX_CHECK(n_eval > 0 && n_sanity >= 0 && grid_rows >= 0,
             "bench images: --eval must be positive, --sanity and "
             "--grid-rows non-negative");
  std::cout << "gnnx bench images: Shapes (square/disc/triangle/cross, 3x32x32), GAP CNN width " << s.width << ", BLAS "
            << blas_name() << ", threads " << torch_threads() << "\n";
  auto t = train_shapes(s);
  std::cout << "trained " << t.result.epochs_run << " epochs in " << fixed(t.result.seconds, 1) << " s: train accuracy "
            << fixed(t.result.train_acc, 4) << ", test accuracy " << fixed(t.result.test_acc, 4) << "\n";
  n_eval = std::min(n_eval, t.test.size());
  auto idx = torch::arange(n_eval, torch::kLong);
  auto eval = t.test.subset(idx);
  auto model = attribution::ImageModel::sequential(t.model);
  const double lo = eval.images.min().item<double>(), hi = eval.images.max().item<double>();

  std::vector<Method> methods;
  using attribution::CamKind;
  using attribution::CamOptions;
  methods.push_back({"cam", std::make_unique<attribution::CamAttributor>(CamOptions().kind(CamKind::kCam))});
  methods.push_back({"gradcam", std::make_unique<attribution::CamAttributor>(CamOptions().kind(CamKind::kGradCam))});
  methods.push_back(
      {"gradcam++", std::make_unique<attribution::CamAttributor>(CamOptions().kind(CamKind::kGradCamPlusPlus))});
  methods.push_back({"gradcam-counterfactual",
                     std::make_unique<attribution::CamAttributor>(CamOptions().kind(CamKind::kCounterfactual))});
  methods.push_back({"guided-gradcam", std::make_unique<attribution::GuidedGradCamAttributor>()});
  methods.push_back({"lrp-epsilon", std::make_unique<attribution::LrpAttributor>()});
  methods.push_back(
      {"lrp-epsilon-plus", std::make_unique<attribution::LrpAttributor>(
                               attribution::LrpOptions().composite(attribution::LrpComposite::epsilon_plus()))});
  methods.push_back({"lrp-epsilon-gamma-box",
                     std::make_unique<attribution::LrpAttributor>(
                         attribution::LrpOptions().composite(attribution::LrpComposite::epsilon_gamma_box(lo, hi)))});
  for (const char* base : {"saliency", "gradxinput", "guided-backprop"}) {
    methods.push_back({base, attribution::make_attributor(base)});
  }
  methods.push_back({"random", nullptr});

  // The model's predictions are explained (all methods explain the same logits).
  torch::Tensor pred;
  {
    torch::NoGradGuard ng;
    pred = t.model->forward(eval.images).argmax(1);
  }
  std::vector<int64_t> labels(pred.data_ptr<int64_t>(), pred.data_ptr<int64_t>() + pred.numel());
  const double acc = pred.eq(eval.labels).to(torch::kDouble).mean().item<double>();
  std::cout << "explaining the predicted class of " << n_eval << " test images (accuracy on them " << fixed(acc, 3)
            << "); deletion: target probability, 16 steps, baseline 0; PNG bytes: mean file size of the 8-bit "
               "heatmap (understandability proxy, smaller = simpler); sanity: Spearman rho of |heatmap| after "
               "randomising all layers top-down, on "
            << std::min(n_sanity, n_eval) << " images\n\n";

  std::cout << std::left << std::setw(24) << "method" << std::right << std::setw(8) << "IoU" << std::setw(10)
            << "pointing" << std::setw(10) << "in-mask" << std::setw(11) << "del. AUC" << std::setw(11) << "sanity rho"
            << std::setw(11) << "PNG bytes" << std::setw(11) << "ms/image"
            << "\n";
  nlohmann::json j;
  std::vector<std::pair<std::string, torch::Tensor>> grid_maps;
  auto rng_gen = torch_generator(s.seed + 99);
  for (auto& m : methods) {
    torch::Tensor maps;
    const auto start = std::chrono::steady_clock::now();
    if (m.attributor) {
      maps = metrics::heatmap(m.attributor->attribute(model, eval.images, labels).values.detach());
    } else {
      maps = torch::rand({n_eval, eval.images.size(2), eval.images.size(3)}, rng_gen);
    }
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() /
                      static_cast<double>(n_eval);
    const double iou = metrics::localization_iou(maps, eval.boxes).mean().item<double>();
    const double point = metrics::pointing_game(maps, eval.masks).mean().item<double>();
    const double inside = metrics::positive_share_in_mask(maps, eval.masks).mean().item<double>();
    const double del = gnnx::eval::deletion_curves(model, eval.images, pred, maps).auc.mean().item<double>();
    const double bytes = metrics::png_file_size(maps).mean().item<double>();
    double rho = std::numeric_limits<double>::quiet_NaN();
    if (m.attributor && n_sanity > 0) {
      auto sidx = torch::arange(std::min(n_sanity, n_eval), torch::kLong);
      auto r = gnnx::eval::model_randomisation(t.model, *m.attributor, eval.images.index_select(0, sidx),
                                               pred.index_select(0, sidx),
                                               gnnx::eval::RandomisationOptions().seed(s.seed));
      rho = r.correlation[-1].item<double>();
    }
    std::cout << std::left << std::setw(24) << m.name << std::right << std::setw(8) << fixed(iou, 3) << std::setw(10)
              << fixed(point, 3) << std::setw(10) << fixed(inside, 3) << std::setw(11) << fixed(del, 3) << std::setw(11)
              << (std::isnan(rho) ? std::string("-") : fixed(rho, 3)) << std::setw(11) << fixed(bytes, 1)
              << std::setw(11) << fixed(ms, 2) << "\n";
    j[m.name] = {{"iou", iou},          {"pointing", point},  {"in_mask", inside},
                 {"deletion_auc", del}, {"png_bytes", bytes}, {"ms_per_image", ms}};
    if (!std::isnan(rho)) j[m.name]["sanity_rho"] = rho;
    grid_maps.emplace_back(m.name, maps);
  }

  if (!png.empty() && grid_rows > 0) {
    const int64_t rows = std::min(grid_rows, n_eval), cols = static_cast<int64_t>(grid_maps.size()) + 1;
    const int64_t scale = 4, hw = eval.images.size(2) * scale, pad = 2;
    auto canvas = torch::ones({3, rows * (hw + pad) + pad, cols * (hw + pad) + pad});
    namespace F = torch::nn::functional;
    auto big = [&](const torch::Tensor& img) {  // [3, H, W] -> [3, 4H, 4W], nearest
      return F::interpolate(img.unsqueeze(0), F::InterpolateFuncOptions()
                                                  .scale_factor(std::vector<double>{double(scale), double(scale)})
                                                  .mode(torch::kNearest))
          .squeeze(0);
    };
    for (int64_t r = 0; r < rows; ++r) {
      auto img = eval.images[r];
      auto shown = (img - img.min()) / (img.max() - img.min() + 1e-12);
      auto put = [&](int64_t c, const torch::Tensor& cell) {
        canvas.slice(1, pad + r * (hw + pad), pad + r * (hw + pad) + hw)
            .slice(2, pad + c * (hw + pad), pad + c * (hw + pad) + hw)
            .copy_(big(cell));
      };
      put(0, shown);
      for (size_t k = 0; k < grid_maps.size(); ++k) {
        put(static_cast<int64_t>(k) + 1, io::heatmap_overlay(img, grid_maps[k].second[r], 0.6));
      }
    }
    io::write_png(png, canvas);
    std::cout << "\nwrote " << png << ": rows = test images 0.." << rows - 1 << "; columns = input, then";
    for (const auto& [name, maps] : grid_maps) std::cout << " " << name;
    std::cout << "\n";
  }
  nlohmann::json out = {{"bench", "images"},
                        {"test_accuracy", t.result.test_acc},
                        {"train_seconds", t.result.seconds},
                        {"eval_images", n_eval},
                        {"blas", blas_name()},
                        {"threads", torch_threads()},
                        {"methods", j}};
  std::cout << out.dump() << "\n";
}

}  // namespace

void register_bench_images(CLI::App& app) {
  // `bench` may already exist (other benchmarks register under it too).
  CLI::App* bench = nullptr;
  for (auto* sub : app.get_subcommands([](CLI::App* a) { return a->get_name() == "bench"; })) bench = sub;
  if (bench == nullptr) {
    bench = app.add_subcommand("bench", "Run a benchmark and print its table");
    bench->require_subcommand(1);
  }
  auto setup = std::make_shared<ShapesSetup>();
  auto n_eval = std::make_shared<int64_t>(200);
  auto n_sanity = std::make_shared<int64_t>(16);
  auto grid_rows = std::make_shared<int64_t>(6);
  auto png = std::make_shared<std::string>("bench_images.png");
  auto* cmd = bench->add_subcommand(
      "images",
      "CNN explainers on generated shapes with ground truth: localisation IoU, pointing game, deletion AUC, "
      "sanity check, heatmap file size, speed; writes a PNG grid of heatmaps");
  add_setup_options(cmd, *setup);
  cmd->add_option("--eval", *n_eval, "test images explained")->capture_default_str();
  cmd->add_option("--sanity", *n_sanity, "images for the randomisation sanity check (0 skips it)")
      ->capture_default_str();
  cmd->add_option("--grid-rows", *grid_rows, "images in the PNG grid (0: no PNG)")->capture_default_str();
  cmd->add_option("--png", *png, "the PNG grid's path")->capture_default_str();
  cmd->callback([=] { run_bench(*setup, *n_eval, *n_sanity, *grid_rows, *png); });

  auto images = app.add_subcommand("images", "The Shapes image dataset and its GAP CNN");
  images->require_subcommand(1);
  auto tsetup = std::make_shared<ShapesSetup>();
  auto out = std::make_shared<std::string>("shapes_cnn.pt");
  register_images_visualise(*images);
  register_images_explanatory_graph(*images);
  auto* train = images->add_subcommand("train", "Generate Shapes images, train the GAP CNN, report accuracy, save it");
  add_setup_options(train, *tsetup);
  train->add_option("--out", *out, "where to save the model (torch::save of the Sequential)")->capture_default_str();
  train->callback([=] {
    auto t = train_shapes(*tsetup);
    torch::save(t.model, *out);
    nlohmann::json j = {{"train_accuracy", t.result.train_acc},
                        {"test_accuracy", t.result.test_acc},
                        {"epochs", t.result.epochs_run},
                        {"seconds", t.result.seconds},
                        {"model", *out}};
    std::cout << j.dump() << "\n";
  });
}

}  // namespace gnnx::cli
