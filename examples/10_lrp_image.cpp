// 10: LRP on a small CNN: composites assign rules per layer; with epsilon and no biases the
// relevance sums to the explained logit; on the shapes the relevance concentrates on the object.
//   10_lrp_image [out.png]
#include <iostream>
#include <string>
#include <vector>

#include <gnnx/attribution/lrp.h>
#include <gnnx/datasets/images.h>
#include <gnnx/io/png.h>
#include <gnnx/metrics/images.h>
#include <gnnx/nn/models/cnn.h>
#include <torch/torch.h>

using namespace gnnx;

int main(int argc, char** argv) {
  auto train = datasets::make_shapes_images(datasets::ShapesImagesOptions().num_images(2000).seed(1));
  auto test = datasets::make_shapes_images(datasets::ShapesImagesOptions().num_images(32).seed(2));
  // Without biases, LRP-epsilon conserves the logit exactly (up to epsilon).
  auto cnn = nn::make_gap_cnn(nn::GapCnnOptions(3, 4).bias(false));
  auto fit = nn::train_image_classifier(cnn, train.images, train.labels, test.images, test.labels,
                                        nn::ImageTrainOptions().epochs(12));
  std::cout << "test accuracy " << fit.test_acc << "\n";
  auto model = attribution::ImageModel::sequential(cnn);
  std::vector<int64_t> labels(test.labels.data_ptr<int64_t>(), test.labels.data_ptr<int64_t>() + test.size());

  attribution::LrpAttributor eps(
      attribution::LrpOptions().composite(attribution::LrpComposite::uniform(attribution::LrpRule::eps(1e-9))));
  auto r = eps.attribute(model, test.images, labels);
  std::cout << "image 0: sum of relevance " << r.values[0].sum().item<double>() << " = logit "
            << r.diagnostics.at("output")[0].item<double>() << "\n";

  // Zennit's EpsilonGammaBox: z^B on the input (bounded by the data's range), gamma on the other
  // convolutions, epsilon on the dense layer. Rules can also come from text, per layer.
  const double lo = test.images.min().item<double>(), hi = test.images.max().item<double>();
  const std::vector<std::string> specs = {"epsilon", "epsilon-plus",
                                          "epsilon-gamma-box:" + std::to_string(lo) + "," + std::to_string(hi) +
                                              ";fc=epsilon:0.01"};
  for (const auto& spec : specs) {
    attribution::LrpAttributor lrp(attribution::LrpOptions().composite(attribution::lrp_composite_from_string(spec)));
    auto a = lrp.attribute(model, test.images, labels);
    auto maps = metrics::heatmap(a.values);
    std::cout << spec << ": positive relevance inside the object "
              << metrics::positive_share_in_mask(maps, test.masks).mean().item<double>() << " (object area "
              << test.masks.to(torch::kDouble).mean().item<double>() << " of the image), pointing game "
              << metrics::pointing_game(maps, test.masks).mean().item<double>() << "\n";
    if (argc > 1 && spec == "epsilon-plus") {
      io::write_png(argv[1], io::heatmap_overlay(test.images[0], maps[0]));
      std::cout << "wrote " << argv[1] << "\n";
    }
  }
  return 0;
}
