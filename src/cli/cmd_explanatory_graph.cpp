// `gnnx images explanatory-graph`: mine a CNN's part patterns, measure their location
// instability against raw filter peaks, draw the graph and the patterns on images.
#include <chrono>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "cli/commands.h"
#include "cli/shapes_setup.h"
#include "gnnx/attribution/explanatory_graph.h"
#include "gnnx/core/check.h"
#include "gnnx/io/file.h"
#include "gnnx/io/png.h"
#include "gnnx/io/tensor_file.h"
#include "gnnx/viz/explanatory_graph.h"
#include "gnnx/viz/graphviz.h"
#include "gnnx/viz/image_grid.h"

namespace gnnx::cli {
namespace {

struct GraphArgs {
  std::string model, cnn, images, layers, svg, dot, png;
  int64_t cls = 0, mine = 300, evaluate = 200, patterns = 2, parents = 3, peaks = 4, iterations = 3, pictures = 4;
  bool json = false;
  ShapesSetup setup;
};

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string part; std::getline(in, part, ',');)
    if (!part.empty()) out.push_back(part);
  return out;
}

// Mean over the entries that are not NaN (NaN when none).
double nan_mean(const at::Tensor& t) {
  auto ok = ~torch::isnan(t);
  return ok.any().item<bool>() ? t.index({ok}).mean().item<double>() : std::nan("");
}

void run_graph(const GraphArgs& a) {
  const std::string op = "images explanatory-graph";
  GNNX_CHECK(a.mine >= 2 && a.evaluate >= 2 && a.pictures >= 0, op,
             ": --mine and --evaluate must be >= 2 and --pictures >= 0, got ", a.mine, ", ", a.evaluate, " and ",
             a.pictures);
  GNNX_CHECK(a.model.empty() || !a.layers.empty(), op, ": --model needs --layers (bottom to top, comma-separated)");
  const auto layers = split(a.layers.empty() ? "relu1,relu2,relu3" : a.layers);

  // The model: the user's TorchScript file, or the GAP CNN trained here on Shapes.
  attribution::ImageModel model;
  nlohmann::json j;
  Trained trained;
  GNNX_CHECK(a.model.empty() || a.cnn.empty(), op, ": give --model (TorchScript) or --cnn (a saved GAP CNN), not both");
  if (!a.cnn.empty()) {
    model = attribution::ImageModel::sequential(nn::load_gap_cnn(a.cnn, nn::GapCnnOptions(3, 4).width(a.setup.width)));
    j["model"] = a.cnn;
  } else if (a.model.empty()) {
    trained = train_shapes(a.setup);
    model = attribution::ImageModel::sequential(trained.model);
    j["model"] = "gap-cnn (Shapes)";
    j["test_accuracy"] = trained.result.test_acc;
  } else {
    model = attribution::ImageModel::load(a.model);
    j["model"] = a.model;
  }
  // Images of one category: the user's (no landmarks, no evaluation), or Shapes of class --class.
  at::Tensor mine, eval, landmarks;
  if (!a.images.empty()) {
    mine = io::load_tensor(a.images);
    GNNX_CHECK(mine.dim() == 4 && mine.size(0) >= 2 && mine.is_floating_point(), op,
               ": expected floating images [N, C, H, W] with N >= 2 in \"", a.images, "\", got ", mine.sizes());
    eval = mine.slice(0, 0, std::min<int64_t>(mine.size(0), a.pictures > 0 ? a.pictures : 1));
    j["images"] = a.images;
  } else {
    GNNX_CHECK(a.cls >= 0 && a.cls < 4, op, ": --class must be 0..3 (square, disc, triangle, cross), got ", a.cls);
    auto pick = [&](int64_t count, uint64_t seed) {
      // Label i is i mod 4: 4·count images hold count of each class.
      auto all = datasets::make_shapes_images(datasets::ShapesImagesOptions().num_images(4 * count).seed(seed));
      return all.subset(torch::nonzero(all.labels == a.cls).squeeze(1));
    };
    auto m = pick(a.mine, a.setup.seed * 2 + 101), e = pick(a.evaluate, a.setup.seed * 2 + 102);
    mine = m.images, eval = e.images, landmarks = attribution::box_landmarks(e.boxes);
    j["class"] = std::string(to_string(datasets::Shape(a.cls)));
  }
  const auto t0 = std::chrono::steady_clock::now();
  auto graph = attribution::mine_explanatory_graph(model, mine,
                                                   attribution::ExplanatoryGraphOptions(layers)
                                                       .patterns_per_filter(a.patterns)
                                                       .parents(a.parents)
                                                       .peaks(a.peaks)
                                                       .iterations(a.iterations));
  const auto t1 = std::chrono::steady_clock::now();
  auto inferred = attribution::infer_patterns(graph, model, eval);
  const auto t2 = std::chrono::steady_clock::now();
  j["mine_seconds"] = std::chrono::duration<double>(t1 - t0).count();
  j["infer_seconds"] = std::chrono::duration<double>(t2 - t1).count();
  j["layers"] = layers;
  j["mining_images"] = mine.size(0);
  j["nodes"] = graph.nodes.size();
  j["edges"] = graph.num_edges();

  // Location instability per layer: the graph's patterns against each filter's raw peak.
  nlohmann::json per_layer = nlohmann::json::array();
  const bool evaluated = landmarks.defined();
  if (!a.json) {
    std::cout << "explanatory graph of " << j["model"].get<std::string>() << " over " << mine.size(0) << " images"
              << (evaluated ? " of class " + std::string(to_string(datasets::Shape(a.cls))) : "") << ": "
              << graph.nodes.size() << " patterns, " << graph.num_edges() << " edges\n";
    if (evaluated)
      std::cout << "location instability on " << eval.size(0)
                << " new images (lower is more stable; landmarks: box centre and corners)\n"
                << "layer     patterns  filters  graph patterns  raw filter peaks\n";
  }
  const double diagonal = std::hypot(static_cast<double>(eval.size(2)), static_cast<double>(eval.size(3)));
  for (size_t l = 0; l < layers.size(); ++l) {
    auto ids = graph.layer_nodes(static_cast<int64_t>(l));
    nlohmann::json row = {{"layer", layers[l]}, {"patterns", ids.size()}, {"filters", graph.filters[l]}};
    if (evaluated && !ids.empty()) {
      auto idx = torch::tensor(ids, torch::kLong);
      attribution::PatternPositions ours{inferred.position.index_select(1, idx), inferred.found.index_select(1, idx),
                                         inferred.score.index_select(1, idx)};
      const double mine_inst = nan_mean(attribution::location_instability(ours, landmarks, diagonal));
      const double raw = nan_mean(attribution::location_instability(
          attribution::filter_peak_positions(model, layers[l], eval), landmarks, diagonal));
      row["instability"] = mine_inst;
      row["filter_peak_instability"] = raw;
      if (!a.json)
        std::cout << std::left << std::setw(10) << layers[l] << std::setw(10) << ids.size() << std::setw(9)
                  << graph.filters[l] << std::fixed << std::setprecision(4) << std::setw(16) << mine_inst << raw
                  << "\n";
    }
    per_layer.push_back(row);
  }
  j["per_layer"] = per_layer;

  const auto dot = viz::explanatory_graph_dot(graph);
  if (!a.dot.empty()) {
    io::write_file_atomic(a.dot, dot);
    j["dot"] = a.dot;
  }
  if (!a.svg.empty()) {
    viz::render_dot(dot, a.svg);
    j["svg"] = a.svg;
  }
  if (!a.png.empty() && a.pictures > 0) {
    // Rows: images; columns: the image, then each layer's patterns on it.
    std::vector<at::Tensor> cells;
    const int64_t rows = std::min<int64_t>(a.pictures, eval.size(0));
    for (int64_t b = 0; b < rows; ++b) {
      auto img = eval[b];
      cells.push_back(io::heatmap_overlay(img, torch::zeros({img.size(1), img.size(2)}), 0.0));
      for (size_t l = 0; l < layers.size(); ++l) {
        const double sigma = std::max<double>(1.0, static_cast<double>(graph.fields[l].jump[0]));
        cells.push_back(viz::pattern_heatmap(img, inferred, b, graph.layer_nodes(static_cast<int64_t>(l)), sigma));
      }
    }
    io::write_png(a.png, viz::image_grid(torch::stack(cells), viz::ImageGridOptions()
                                                                  .columns(static_cast<int64_t>(layers.size()) + 1)
                                                                  .scale(4)
                                                                  .tile_scale(viz::TileScale::kNone)));
    j["png"] = a.png;
  }
  if (a.json) {
    std::cout << j.dump() << "\n";
  } else {
    for (const char* key : {"dot", "svg", "png"})
      if (j.contains(key)) std::cout << "wrote " << j[key].get<std::string>() << "\n";
  }
}

}  // namespace

void register_images_explanatory_graph(CLI::App& images) {
  auto a = std::make_shared<GraphArgs>();
  auto* cmd = images.add_subcommand(
      "explanatory-graph",
      "Mine a CNN's part patterns into an explanatory graph (Zhang et al. 2018), measure their location "
      "instability against raw filter peaks, draw the graph (Graphviz) and the patterns on images");
  cmd->add_option("--model", a->model, "TorchScript image model (default: the GAP CNN trained here on Shapes)");
  cmd->add_option("--cnn", a->cnn, "a GAP CNN saved by `gnnx images train --out` (give its --width)");
  cmd->add_option("--images", a->images,
                  "images of one category [N, C, H, W] (torch.save; default: generated Shapes of --class, which "
                  "also gives the landmarks of the evaluation)");
  cmd->add_option("--layers", a->layers, "layers bottom to top, comma-separated (default relu1,relu2,relu3)");
  cmd->add_option("--class", a->cls, "Shapes class: 0 square, 1 disc, 2 triangle, 3 cross")->capture_default_str();
  cmd->add_option("--mine", a->mine, "Shapes images the graph is mined on")->capture_default_str();
  cmd->add_option("--evaluate", a->evaluate, "new Shapes images the instability is measured on")->capture_default_str();
  cmd->add_option("--patterns", a->patterns, "patterns per filter below the top layer")->capture_default_str();
  cmd->add_option("--parents", a->parents, "parents per pattern")->capture_default_str();
  cmd->add_option("--peaks", a->peaks, "candidate peaks per filter and image")->capture_default_str();
  cmd->add_option("--iterations", a->iterations, "EM rounds per pattern")->capture_default_str();
  cmd->add_option("--svg", a->svg, "draw the graph (Graphviz dot)");
  cmd->add_option("--dot", a->dot, "write the graph's DOT text");
  cmd->add_option("--png", a->png, "the patterns of each layer on a few images");
  cmd->add_option("--pictures", a->pictures, "images in the PNG")->capture_default_str();
  cmd->add_flag("--json", a->json, "print one JSON line");
  add_setup_options(cmd, a->setup);
  cmd->callback([a] { run_graph(*a); });
}

}  // namespace gnnx::cli
