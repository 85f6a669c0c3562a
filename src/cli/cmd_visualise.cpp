// `gnnx images visualise`: feature visualisation of an image model's layers as PNG pictures.
#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "cli/commands.h"
#include "cli/shapes_setup.h"
#include "gnnx/attribution/feature_vis.h"
#include "gnnx/core/check.h"
#include "gnnx/io/png.h"
#include "gnnx/io/tensor_file.h"
#include "gnnx/viz/image_grid.h"

namespace gnnx::cli {
namespace {

struct VisualiseArgs {
  std::string what, model, cnn, images, layer, png, rule = "deconvnet", distance = "euclidean";
  int64_t channel = 0, top = 16, k = 6, image = 0, count = 200, scale = 0;
  std::vector<int64_t> queries = {0, 1, 2, 3};
  ShapesSetup setup;
};

std::vector<int64_t> to_vector(const at::Tensor& t) {
  auto c = t.to(torch::kCPU, torch::kLong).contiguous().reshape({-1});
  return {c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel()};
}

std::vector<double> to_doubles(const at::Tensor& t) {
  auto c = t.to(torch::kCPU, torch::kDouble).contiguous().reshape({-1});
  return {c.data_ptr<double>(), c.data_ptr<double>() + c.numel()};
}

std::string layer_names(const attribution::ImageModel& model) {
  std::string s;
  for (const auto& l : model.layers()) s += (s.empty() ? "" : ", ") + l.name;
  return s;
}

void run_visualise(const VisualiseArgs& a) {
  const std::string op = "images visualise";
  GNNX_CHECK(!a.png.empty(), op, ": --png is required");
  GNNX_CHECK(a.count > 0 && a.top > 0 && a.k > 0 && a.scale >= 0, op,
             ": --count, --top and --k must be positive and --scale >= 0, got ", a.count, ", ", a.top, ", ", a.k,
             " and ", a.scale);
  const auto rule = from_name<attribution::NeuronRule>(a.rule);
  const auto distance = from_name<attribution::FeatureDistance>(a.distance);

  // The model and the images: the user's files, or the GAP CNN trained here and its Shapes test set.
  attribution::ImageModel model;
  at::Tensor images;
  nlohmann::json j = {{"what", a.what}};
  Trained trained;
  GNNX_CHECK(a.model.empty() || a.cnn.empty(), op, ": give --model (TorchScript) or --cnn (a saved GAP CNN), not both");
  if (!a.cnn.empty()) {
    model = attribution::ImageModel::sequential(nn::load_gap_cnn(a.cnn, nn::GapCnnOptions(3, 4).width(a.setup.width)));
    images = datasets::make_shapes_images(
                 datasets::ShapesImagesOptions().num_images(a.setup.test).seed(a.setup.seed * 2 + 2))
                 .images;
    j["model"] = a.cnn;
  } else if (a.model.empty()) {
    trained = train_shapes(a.setup);
    model = attribution::ImageModel::sequential(trained.model);
    images = trained.test.images;
    j["model"] = "gap-cnn (Shapes)";
    j["test_accuracy"] = trained.result.test_acc;
  } else {
    model = attribution::ImageModel::load(a.model);
    j["model"] = a.model;
  }
  if (!a.images.empty()) {
    images = io::load_tensor(a.images);
    j["images"] = a.images;
  }
  GNNX_CHECK(images.defined(), op, ": --model needs --images (a tensor [N, C, H, W] saved with torch.save)");
  GNNX_CHECK(images.dim() == 4 && images.size(0) > 0 && images.is_floating_point(), op,
             ": expected floating images [N, C, H, W] with N > 0, got ", images.sizes(), " ", images.dtype());
  GNNX_CHECK(model.has_layers(), op, ": ", model.description(),
             " exposes no layers (a TorchScript module whose children run in order is needed)");
  images = images.slice(0, 0, std::min(a.count, images.size(0)));
  j["num_images"] = images.size(0);
  GNNX_CHECK(a.what == "filters" || !a.layer.empty(), op, ": ", a.what,
             " needs --layer; the model's layers: ", layer_names(model));
  if (!a.layer.empty()) j["layer"] = a.layer;

  at::Tensor picture;
  const auto t0 = std::chrono::steady_clock::now();
  if (a.what == "filters") {
    auto w = attribution::conv_filters(model, a.layer);
    const int64_t kk = w.size(0), c = w.size(1);
    auto tiles = c == 3 || c == 1 ? w : w.reshape({kk * c, 1, w.size(2), w.size(3)});
    picture = viz::image_grid(tiles, viz::ImageGridOptions()
                                         .columns(c == 3 || c == 1 ? 0 : c)
                                         .scale(a.scale > 0 ? a.scale : std::max<int64_t>(4, 48 / w.size(2))));
    j["filters"] = std::vector<int64_t>(w.sizes().begin(), w.sizes().end());
  } else if (a.what == "patches") {
    auto r = attribution::top_activating_patches(
        model, images, attribution::TopPatchesOptions(a.layer).channel(a.channel).top_k(a.top));
    picture = viz::image_grid(r.patches, viz::ImageGridOptions().scale(a.scale > 0 ? a.scale : 4));
    j["channel"] = a.channel;
    j["image"] = to_vector(r.image);
    j["activation"] = to_doubles(r.activation);
    j["receptive_field"] = r.field.global ? std::vector<int64_t>{images.size(2), images.size(3)}
                                          : std::vector<int64_t>{r.field.size[0], r.field.size[1]};
  } else if (a.what == "neighbours") {
    for (auto q : a.queries)
      GNNX_CHECK(q >= 0 && q < images.size(0), op, ": --query ", q, " is outside the ", images.size(0), " images");
    auto qi = torch::tensor(a.queries, torch::kLong);
    // One more than asked: a query finds itself first, and is left out.
    auto r = attribution::nearest_neighbours(model, images.index_select(0, qi), images,
                                             attribution::NeighboursOptions(a.layer).k(a.k + 1).distance(distance));
    std::vector<at::Tensor> rows;
    std::vector<std::vector<int64_t>> found;
    for (size_t q = 0; q < a.queries.size(); ++q) {
      std::vector<int64_t> idx;
      for (auto i : to_vector(r.index[static_cast<int64_t>(q)]))
        if (i != a.queries[q] && static_cast<int64_t>(idx.size()) < a.k) idx.push_back(i);
      found.push_back(idx);
      rows.push_back(images[a.queries[q]].unsqueeze(0));
      rows.push_back(images.index_select(0, torch::tensor(idx, torch::kLong)));
      // Rows of equal length: pad with blank tiles when fewer images than asked.
      if (static_cast<int64_t>(idx.size()) < a.k)
        rows.push_back(
            torch::zeros({a.k - static_cast<int64_t>(idx.size()), images.size(1), images.size(2), images.size(3)}));
    }
    picture = viz::image_grid(torch::cat(rows),
                              viz::ImageGridOptions().columns(a.k + 1).scale(a.scale > 0 ? a.scale : 3));
    j["queries"] = a.queries;
    j["neighbours"] = found;
    j["distance"] = a.distance;
  } else if (a.what == "map") {
    auto features = attribution::layer_features(model, a.layer, images);
    auto map = attribution::pca_map(features);
    at::Tensor predicted;
    {
      torch::NoGradGuard no_grad;
      predicted = model.forward(images).argmax(1);
    }
    picture = viz::point_map(images, map.coords, predicted, viz::PointMapOptions().scale(a.scale > 0 ? a.scale : 1));
    j["explained_variance"] = to_doubles(map.explained_variance);
    j["features"] = features.size(1);
  } else if (a.what == "neuron") {
    GNNX_CHECK(a.image >= 0 && a.image < images.size(0), op, ": --image ", a.image, " is outside the ", images.size(0),
               " images");
    auto x = images.slice(0, a.image, a.image + 1);
    auto r = attribution::neuron_backprop(model, x,
                                          attribution::NeuronBackpropOptions(a.layer).channel(a.channel).rule(rule));
    picture = viz::image_grid(torch::cat({x, r.values}),
                              viz::ImageGridOptions().columns(2).scale(a.scale > 0 ? a.scale : 6));
    j["channel"] = a.channel;
    j["image"] = a.image;
    j["rule"] = a.rule;
    j["position"] = to_vector(r.position);
    j["activation"] = r.activation.item<double>();
  } else {
    GNNX_CHECK(false, op, ": expected filters, patches, neighbours, map or neuron, got \"", a.what, "\"");
  }
  j["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  io::write_png(a.png, picture);
  j["png"] = a.png;
  j["png_size"] = std::vector<int64_t>{picture.size(2), picture.size(1)};
  std::cout << j.dump() << "\n";
}

}  // namespace

void register_images_visualise(CLI::App& images) {
  auto a = std::make_shared<VisualiseArgs>();
  auto* cmd = images.add_subcommand(
      "visualise",
      "Feature visualisation as PNG: a conv layer's filters, a channel's top activating patches, nearest "
      "neighbours in a layer's features, a PCA map of them, or one unit propagated back to the image");
  cmd->alias("visualize");
  cmd->add_option("what", a->what, "filters | patches | neighbours | map | neuron")->required();
  cmd->add_option("--model", a->model,
                  "TorchScript image model (default: the GAP CNN trained here on Shapes, see --train ...)");
  cmd->add_option("--cnn", a->cnn, "a GAP CNN saved by `gnnx images train --out` (give its --width)");
  cmd->add_option("--images", a->images, "images [N, C, H, W] (torch.save; default: the Shapes test images)");
  cmd->add_option("--layer", a->layer, "layer name (filters: default the first convolution)");
  cmd->add_option("--channel", a->channel, "patches, neuron: the channel")->capture_default_str();
  cmd->add_option("--top", a->top, "patches: how many")->capture_default_str();
  cmd->add_option("--query", a->queries, "neighbours: indices of the query images (repeatable)");
  cmd->add_option("--k", a->k, "neighbours: per query")->capture_default_str();
  cmd->add_option("--distance", a->distance, "neighbours: euclidean | cosine")->capture_default_str();
  cmd->add_option("--image", a->image, "neuron: index of the image")->capture_default_str();
  cmd->add_option("--rule", a->rule, "neuron: deconvnet | guided | gradient")->capture_default_str();
  cmd->add_option("--count", a->count, "images used (the first N)")->capture_default_str();
  cmd->add_option("--scale", a->scale, "pixels per image pixel (0: a default per picture)")->capture_default_str();
  cmd->add_option("--png", a->png, "the picture's path")->required();
  add_setup_options(cmd, a->setup);
  cmd->callback([a] { run_visualise(*a); });
}

}  // namespace gnnx::cli
