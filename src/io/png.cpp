// PNG output through stb_image_write: the one translation unit that defines its implementation.
#include "gnnx/io/png.h"

#include <vector>

#include <torch/torch.h>

#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb_image_write.h>

#include "gnnx/core/check.h"

namespace gnnx::io {

namespace {

// image as HWC uint8 rows, after write_png's checks.
at::Tensor png_rows(const char* op, const at::Tensor& image) {
  GNNX_CHECK(image.defined() && (image.dim() == 2 || (image.dim() == 3 && (image.size(0) == 1 || image.size(0) == 3 ||
                                                                           image.size(0) == 4))),
             op, ": expected an image [H, W] or [C, H, W] with C in {1, 3, 4}, got ",
             image.defined() ? image.sizes() : c10::IntArrayRef{});
  auto img = image.dim() == 2 ? image.unsqueeze(0) : image;
  GNNX_CHECK(img.size(1) > 0 && img.size(2) > 0, op, ": empty image ", image.sizes());
  at::Tensor bytes;
  if (img.scalar_type() == torch::kUInt8) {
    bytes = img;
  } else {
    GNNX_CHECK(img.is_floating_point(), op, ": expected a floating or uint8 image, got ", img.dtype());
    bytes = img.detach().to(torch::kFloat).nan_to_num(0.0).clamp(0.0, 1.0).mul(255.0).round().to(torch::kUInt8);
  }
  return bytes.cpu().permute({1, 2, 0}).contiguous();  // HWC, as PNG rows
}

}  // namespace

void write_png(const std::string& path, const at::Tensor& image) {
  auto bytes = png_rows("write_png", image);
  const int h = static_cast<int>(bytes.size(0)), w = static_cast<int>(bytes.size(1)),
            c = static_cast<int>(bytes.size(2));
  int ok = stbi_write_png(path.c_str(), w, h, c, bytes.data_ptr<uint8_t>(), w * c);
  GNNX_CHECK(ok != 0, "write_png: cannot write \"", path, "\"");
}

std::vector<uint8_t> encode_png(const at::Tensor& image) {
  auto bytes = png_rows("encode_png", image);
  const int h = static_cast<int>(bytes.size(0)), w = static_cast<int>(bytes.size(1)),
            c = static_cast<int>(bytes.size(2));
  int len = 0;
  unsigned char* png = stbi_write_png_to_mem(bytes.data_ptr<uint8_t>(), w * c, w, h, c, &len);
  GNNX_CHECK(png != nullptr && len > 0, "encode_png: the encoder failed on an image ", image.sizes());
  std::vector<uint8_t> out(png, png + len);
  STBIW_FREE(png);
  return out;
}

at::Tensor jet(const at::Tensor& t) {
  GNNX_CHECK(t.defined() && t.dim() == 2, "jet: expected [H, W], got ", t.defined() ? t.sizes() : c10::IntArrayRef{});
  auto v = t.to(torch::kFloat).clamp(0.0, 1.0);
  auto band = [&](double centre) { return (1.5 - (4.0 * v - centre).abs()).clamp(0.0, 1.0); };
  return torch::stack({band(3.0), band(2.0), band(1.0)}, 0);
}

at::Tensor heatmap_overlay(const at::Tensor& image, const at::Tensor& heat, double alpha) {
  GNNX_CHECK(image.defined() && (image.dim() == 2 || (image.dim() == 3 && (image.size(0) == 1 || image.size(0) == 3))),
             "heatmap_overlay: expected an image [H, W] or [C, H, W] with C in {1, 3}, got ",
             image.defined() ? image.sizes() : c10::IntArrayRef{});
  GNNX_CHECK(heat.defined() && heat.dim() == 2 && heat.numel() > 0, "heatmap_overlay: expected a heatmap [h, w], got ",
             heat.defined() ? heat.sizes() : c10::IntArrayRef{});
  GNNX_CHECK(alpha >= 0.0 && alpha <= 1.0, "heatmap_overlay: alpha must be in [0, 1], got ", alpha);
  auto img = (image.dim() == 2 ? image.unsqueeze(0) : image).detach().to(torch::kFloat).cpu();
  const double lo = img.min().item<double>(), hi = img.max().item<double>();
  img = hi > lo ? (img - lo) / (hi - lo) : torch::zeros_like(img);
  if (img.size(0) == 1) img = img.expand({3, img.size(1), img.size(2)});
  auto h = heat.detach().to(torch::kFloat).cpu().abs();
  if (h.size(0) != img.size(1) || h.size(1) != img.size(2))
    h = torch::nn::functional::interpolate(h.unsqueeze(0).unsqueeze(0),
                                           torch::nn::functional::InterpolateFuncOptions()
                                               .size(std::vector<int64_t>{img.size(1), img.size(2)})
                                               .mode(torch::kBilinear)
                                               .align_corners(false))
            .squeeze(0)
            .squeeze(0);
  const double m = h.max().item<double>();
  h = m > 0 ? h / m : h;
  return (1.0 - alpha) * img + alpha * jet(h);
}

}  // namespace gnnx::io
