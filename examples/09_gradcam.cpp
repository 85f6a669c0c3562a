// 09: train a small GAP CNN on generated shapes, then localise the shape with CAM, Grad-CAM and
// Grad-CAM++ and score the maps against the true bounding box and mask.
//   09_gradcam [out.png]
#include <iostream>

#include <gnnx/attribution/cam.h>
#include <gnnx/datasets/images.h>
#include <gnnx/io/png.h>
#include <gnnx/metrics/images.h>
#include <gnnx/nn/models/cnn.h>
#include <torch/torch.h>

using namespace gnnx;

int main(int argc, char** argv) {
  // Images of squares, discs, triangles and crosses over textured noise, with masks and boxes.
  auto train = datasets::make_shapes_images(datasets::ShapesImagesOptions().num_images(2000).seed(1));
  auto test = datasets::make_shapes_images(datasets::ShapesImagesOptions().num_images(64).seed(2));
  auto cnn = nn::make_gap_cnn(nn::GapCnnOptions(/*in_channels=*/3, /*num_classes=*/4));
  auto fit = nn::train_image_classifier(cnn, train.images, train.labels, test.images, test.labels,
                                        nn::ImageTrainOptions().epochs(12));
  std::cout << "test accuracy " << fit.test_acc << " after " << fit.seconds << " s\n";

  // The attributors see the Sequential's named layers: conv1 ... relu3 gap flatten fc.
  auto model = attribution::ImageModel::sequential(cnn);
  std::vector<int64_t> labels(test.labels.data_ptr<int64_t>(), test.labels.data_ptr<int64_t>() + test.size());
  using attribution::CamKind;
  for (auto kind : {CamKind::kCam, CamKind::kGradCam, CamKind::kGradCamPlusPlus}) {
    attribution::CamAttributor method(attribution::CamOptions().kind(kind).layer("relu3").normalize(true));
    auto a = method.attribute(model, test.images, labels);
    auto maps = metrics::heatmap(a.values);
    std::cout << a.method << ": box IoU " << metrics::localization_iou(maps, test.boxes).mean().item<double>()
              << ", pointing game " << metrics::pointing_game(maps, test.masks).mean().item<double>() << "\n";
    if (kind == CamKind::kGradCam && argc > 1) {
      io::write_png(argv[1], io::heatmap_overlay(test.images[0], maps[0]));
      std::cout << "wrote " << argv[1] << "\n";
    }
  }
  return 0;
}
