#include "gnnx/io/png.h"

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "support/catch.h"
#include "support/tensor_match.h"

TEST_CASE("encode_png gives exactly the bytes write_png writes", "[images][png]") {
  auto g = at::make_generator<at::CPUGeneratorImpl>(5);
  auto img = torch::rand({3, 7, 9}, g);
  const std::string path = "png_file_size_test.png";
  gnnx::io::write_png(path, img);
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(gnnx::io::encode_png(img) == file);
  std::remove(path.c_str());
  GNNX_REQUIRE_ERROR("encode_png: expected an image", gnnx::io::encode_png(torch::zeros({2, 5, 5})));
}
