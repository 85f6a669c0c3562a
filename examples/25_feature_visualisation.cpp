// 25: Feature visualisation of a small CNN trained on the shapes: its first-layer filters, the
// image patches that excite a channel most, nearest neighbours and a PCA map in a layer's
// feature space, and one unit propagated back to the image (deconvnet). Prints how well each
// view separates the classes and writes one PNG per view.
//   25_feature_visualisation [output prefix]
#include <iostream>
#include <string>

#include <gnnx/attribution/feature_vis.h>
#include <gnnx/datasets/images.h>
#include <gnnx/io/png.h>
#include <gnnx/nn/models/cnn.h>
#include <gnnx/viz/image_grid.h>
#include <torch/torch.h>

using namespace gnnx;
namespace fv = gnnx::attribution;

int main(int argc, char** argv) {
  const std::string prefix = argc > 1 ? argv[1] : "features_";
  auto train = datasets::make_shapes_images(datasets::ShapesImagesOptions().num_images(2000).seed(1));
  auto test = datasets::make_shapes_images(datasets::ShapesImagesOptions().num_images(200).seed(2));
  auto cnn = nn::make_gap_cnn(nn::GapCnnOptions(3, 4).width(8));
  auto fit = nn::train_image_classifier(cnn, train.images, train.labels, test.images, test.labels,
                                        nn::ImageTrainOptions().epochs(12));
  cnn->eval();
  auto model = fv::ImageModel::sequential(cnn);
  std::cout << "test accuracy " << fit.test_acc << "\n";

  // 1. conv1's 8 filters (3 x 3, RGB), 16 pixels per weight.
  io::write_png(prefix + "filters.png",
                viz::image_grid(fv::conv_filters(model), viz::ImageGridOptions().columns(8).scale(16)));

  // 2. The 16 test patches (relu3's 18 x 18 receptive field) that excite each channel most; a
  //    channel is class-selective when its patches come from one class.
  double purity = 0;
  const int64_t channels = 16;  // conv3 has twice conv1's 8
  for (int64_t c = 0; c < channels; ++c) {
    auto top = fv::top_activating_patches(model, test.images, fv::TopPatchesOptions("relu3").channel(c).top_k(16));
    auto counts = torch::bincount(test.labels.index_select(0, top.image), {}, 4);
    purity += counts.max().item<double>() / static_cast<double>(top.image.size(0)) / channels;
    if (c == 0) io::write_png(prefix + "patches.png", viz::image_grid(top.patches, viz::ImageGridOptions().scale(4)));
  }
  std::cout << "top-16 patches of relu3's channels: mean class purity " << purity << " (chance 0.38)\n";

  // 3. Five nearest neighbours of each test image, in the pooled features and in raw pixels.
  auto agreement = [&](const at::Tensor& index) {
    auto own = test.labels.unsqueeze(1);
    auto others = test.labels.index({index.slice(1, 1)});  // column 0 is the image itself
    return (others == own).to(torch::kDouble).mean().item<double>();
  };
  auto nn_features = fv::nearest_neighbours(model, test.images, test.images, fv::NeighboursOptions("gap").k(6));
  auto pixels = test.images.flatten(1);
  auto nn_pixels = std::get<1>(torch::cdist(pixels, pixels).sort(/*stable=*/true, 1)).slice(1, 0, 6);
  std::cout << "5-NN label agreement: gap features " << agreement(nn_features.index) << ", raw pixels "
            << agreement(nn_pixels) << "\n";
  auto rows = torch::cat(
      {test.images.slice(0, 0, 4).unsqueeze(1),
       test.images.index_select(0, nn_features.index.slice(0, 0, 4).slice(1, 1).reshape({-1})).view({4, 5, 3, 32, 32})},
      1);
  io::write_png(prefix + "neighbours.png",
                viz::image_grid(rows.flatten(0, 1), viz::ImageGridOptions().columns(6).scale(3)));

  // 4. The pooled features of the 200 test images on their first two principal components,
  //    framed by true class.
  auto map = fv::pca_map(fv::layer_features(model, "gap", test.images));
  std::cout << "PCA of gap features: explained variance " << map.explained_variance[0].item<double>() << " + "
            << map.explained_variance[1].item<double>() << "\n";
  io::write_png(prefix + "map.png", viz::point_map(test.images, map.coords, test.labels));

  // 5. relu3's channel 0 at its strongest position on test image 0, set to 1 and sent back
  //    through deconvnet: the image and the signal side by side.
  auto x = test.images.slice(0, 0, 1);
  auto unit = fv::neuron_backprop(model, x, fv::NeuronBackpropOptions("relu3").channel(0));
  std::cout << "relu3 channel 0 on image 0: strongest at (" << unit.position[0][0].item<int64_t>() << ", "
            << unit.position[0][1].item<int64_t>() << "), activation " << unit.activation[0].item<double>() << "\n";
  io::write_png(prefix + "neuron.png",
                viz::image_grid(torch::cat({x, unit.values}), viz::ImageGridOptions().columns(2).scale(6)));
  std::cout << "wrote " << prefix << "{filters,patches,neighbours,map,neuron}.png\n";
  return 0;
}
