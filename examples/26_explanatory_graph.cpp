// 26: The explanatory graph of a CNN's knowledge (Zhang et al. 2018). A small CNN is trained on
// the shapes; its filters are disentangled into part patterns mined over images of one class,
// each tied to patterns of the layer above by a stable offset. On new images of the class, the
// patterns' positions are compared with object landmarks: stable parts keep their distance to
// the landmarks, raw filter peaks do not. Writes the graph (DOT) and the patterns on one image.
//   26_explanatory_graph [output prefix]
#include <cmath>
#include <iostream>
#include <string>

#include <gnnx/attribution/explanatory_graph.h>
#include <gnnx/datasets/images.h>
#include <gnnx/io/file.h>
#include <gnnx/io/png.h>
#include <gnnx/nn/models/cnn.h>
#include <gnnx/viz/explanatory_graph.h>
#include <torch/torch.h>

using namespace gnnx;
namespace eg = gnnx::attribution;

int main(int argc, char** argv) {
  const std::string prefix = argc > 1 ? argv[1] : "explanatory_graph";
  auto train = datasets::make_shapes_images(datasets::ShapesImagesOptions().num_images(2000).seed(1));
  auto test = datasets::make_shapes_images(datasets::ShapesImagesOptions().num_images(400).seed(2));
  auto cnn = nn::make_gap_cnn(nn::GapCnnOptions(3, 4).width(8));
  auto fit = nn::train_image_classifier(cnn, train.images, train.labels, test.images, test.labels,
                                        nn::ImageTrainOptions().epochs(12));
  cnn->eval();
  auto model = eg::ImageModel::sequential(cnn);
  std::cout << "test accuracy " << fit.test_acc << "\n";

  // Mine on the training squares, evaluate on the test squares (label 0).
  auto squares = [](const datasets::ImageDataset& d) { return d.subset(torch::nonzero(d.labels == 0).squeeze(1)); };
  auto mine = squares(train), eval = squares(test);
  auto graph = eg::mine_explanatory_graph(model, mine.images, eg::ExplanatoryGraphOptions({"relu1", "relu2", "relu3"}));
  std::cout << graph.nodes.size() << " patterns, " << graph.num_edges() << " edges, from " << mine.size()
            << " images\n";

  auto inferred = eg::infer_patterns(graph, model, eval.images);
  auto landmarks = eg::box_landmarks(eval.boxes);
  const double diagonal = std::hypot(32.0, 32.0);
  auto mean = [](const at::Tensor& t) { return t.index({~torch::isnan(t)}).mean().item<double>(); };
  for (int64_t l = 0; l < 3; ++l) {
    auto idx = torch::tensor(graph.layer_nodes(l), torch::kLong);
    eg::PatternPositions ours{inferred.position.index_select(1, idx), inferred.found.index_select(1, idx),
                              inferred.score.index_select(1, idx)};
    auto raw = eg::filter_peak_positions(model, graph.layers[static_cast<size_t>(l)], eval.images);
    std::cout << graph.layers[static_cast<size_t>(l)] << ": " << idx.size(0) << " patterns, location instability "
              << mean(eg::location_instability(ours, landmarks, diagonal)) << " (raw filter peaks "
              << mean(eg::location_instability(raw, landmarks, diagonal)) << ")\n";
  }
  io::write_file_atomic(prefix + ".dot", viz::explanatory_graph_dot(graph));
  io::write_png(prefix + ".png", viz::pattern_heatmap(eval.images[0], inferred, 0, graph.layer_nodes(1), 2.0));
  std::cout << "wrote " << prefix << ".dot (render with: dot -Tsvg) and " << prefix << ".png\n";
  return 0;
}
