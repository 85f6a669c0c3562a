// 21: BiLRP explains the similarity of two images, y(x, x') = <phi(x), phi(x')>, as relevance of
// pairs of patches: one LRP pass per embedding dimension on each image, combined as
// sum_m R_m(x) (x) R_m(x'). Here phi is the global-average-pooled features of a small CNN trained
// on the shapes; the most relevant pairs link the two objects.
//   21_bilrp [out.png]
#include <iostream>

#include <gnnx/attribution/bilrp.h>
#include <gnnx/datasets/images.h>
#include <gnnx/io/png.h>
#include <gnnx/nn/models/cnn.h>
#include <gnnx/viz/relevance_png.h>
#include <torch/torch.h>

using namespace gnnx;

int main(int argc, char** argv) {
  auto train = datasets::make_shapes_images(datasets::ShapesImagesOptions().num_images(2000).seed(1));
  auto test = datasets::make_shapes_images(datasets::ShapesImagesOptions().num_images(16).seed(2));
  // Bias-free, so that LRP-0 conserves: the pair relevances sum to the similarity.
  auto cnn = nn::make_gap_cnn(nn::GapCnnOptions(3, 4).width(8).bias(false));
  auto fit = nn::train_image_classifier(cnn, train.images, train.labels, test.images, test.labels,
                                        nn::ImageTrainOptions().epochs(6));
  std::cout << "test accuracy " << fit.test_acc << "\n";
  auto model = attribution::ImageModel::sequential(cnn);

  // Two test images of the same shape.
  int64_t a = 0, b = 1;
  while (b < test.size() && test.labels[b].item<int64_t>() != test.labels[a].item<int64_t>()) ++b;
  if (b == test.size()) b = 1;
  auto x = test.images[a], x2 = test.images[b];

  auto r = attribution::bilrp(model, x, x2,
                              attribution::BilrpOptions()
                                  .layer("gap")  // phi: the pooled features [B, 16]
                                  .composite(attribution::LrpComposite::uniform(attribution::LrpRule::eps(0)))
                                  .patch(4));  // 8 x 8 patches of 4 x 4 pixels
  std::cout << "similarity " << r.similarity << ", sum of the " << r.pairs.numel() << " pair relevances "
            << r.pairs.sum().item<double>() << "\n";
  auto top = r.top_pairs(5);
  for (int64_t k = 0; k < top.size(0); ++k) {
    const int64_t p = top[k][0].item<int64_t>(), q = top[k][1].item<int64_t>();
    std::cout << "  patch (" << p / r.cols << ", " << p % r.cols << ") of x with (" << q / r.cols2 << ", "
              << q % r.cols2 << ") of x': " << r.pairs[p][q].item<double>() << "\n";
  }
  const std::string out = argc > 1 ? argv[1] : "bilrp.png";
  io::write_png(out, viz::bilrp_picture(x, x2, r, viz::BilrpPictureOptions().top_k(25)));
  std::cout << "wrote " << out << "\n";
  return 0;
}
