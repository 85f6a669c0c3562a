// `gnnx attribute`: attribution maps of a TorchScript image model, tensors in torch.save format.
#include <chrono>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "cli/commands.h"
#include "gnnx/attribution/attributor.h"
#include "gnnx/core/check.h"
#include "gnnx/core/device.h"
#include "gnnx/io/png.h"
#include "gnnx/io/tensor_file.h"
#include "core/error_text.h"

namespace gnnx::cli {
namespace {

struct AttributeArgs {
  std::string model, input, method, out, png, device = "cpu";
  int64_t target = -1;
  std::vector<std::string> options;
  // Shorthands for frequent options (each becomes key=value).
  std::string steps, samples, stdev, seed, window, strides, baseline, internal_batch_size, type, ig_method;
  // CAM family / LRP / activation maximisation.
  std::string layer, rule, composite, cam_output;
};

std::string first_line(const std::string& s) { return gnnx::detail::message_line(s); }

bool is_cam_method(const std::string& m) {
  return m == "cam" || m == "gradcam" || m == "gradcam++" || m == "gradcam-counterfactual";
}

// The heat of item b for --png: |values| summed over the channels ([B, C, H, W], and a CAM's
// [B, 1, h, w], which heatmap_overlay resizes), or a CAM's [B, H, W] map as it is.
at::Tensor png_heat(const at::Tensor& values, const at::Tensor& x, int64_t b) {
  return values.dim() == x.dim() ? values[b].abs().sum(0) : values[b].abs();
}

void run_attribute(const AttributeArgs& a) {
  OptionMap options = parse_option_pairs("attribute", a.options);
  const std::vector<std::pair<const char*, const std::string*>> shorthands = {
      {"steps", &a.steps},        {"samples", &a.samples},
      {"stdev", &a.stdev},        {"seed", &a.seed},
      {"window", &a.window},      {"strides", &a.strides},
      {"baseline", &a.baseline},  {"internal_batch_size", &a.internal_batch_size},
      {"type", &a.type},          {"method", &a.ig_method},
      {"layer", &a.layer},        {"rule", &a.rule},
      {"composite", &a.composite}};
  for (const auto& [key, value] : shorthands)
    if (!value->empty()) options[key] = *value;
  if (!a.cam_output.empty()) {
    // "output" is also LRP's key (the output relevance): --cam-output is for the CAM methods only.
    GNNX_CHECK(is_cam_method(a.method) || (options.count("base") && is_cam_method(options["base"])),
               "attribute: --cam-output applies to cam, gradcam, gradcam++ and gradcam-counterfactual, not \"",
               a.method, "\"");
    options["output"] = a.cam_output;
  }
  // The method and its options are checked before any file is read.
  auto attributor = attribution::make_attributor(a.method, options);
  const auto device = parse_device(a.device);
  auto model = attribution::ImageModel::load(a.model, device);
  auto x = io::load_tensor(a.input);
  GNNX_CHECK(x.is_floating_point(), "attribute: expected a floating input tensor, got ", x.dtype(), " in \"", a.input,
             "\"");
  GNNX_CHECK(x.dim() == 3 || x.dim() == 4, "attribute: expected an input [C, H, W] or [B, C, H, W], got ", x.sizes(),
             " in \"", a.input, "\"");
  const bool single = x.dim() == 3;
  if (single) x = x.unsqueeze(0);
  x = x.to(device);
  auto objective = attribution::image_objective(model, x, std::vector<int64_t>{a.target});
  const auto t0 = std::chrono::steady_clock::now();
  auto result = attributor->attribute(*objective);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  auto values = single ? result.values.squeeze(0) : result.values;
  if (!a.out.empty()) io::save_tensor(a.out, values);
  std::vector<std::string> pngs;
  if (!a.png.empty()) {
    GNNX_CHECK(x.dim() == 4, "attribute: --png needs images [B, C, H, W], got ", x.sizes());
    for (int64_t b = 0; b < x.size(0); ++b) {
      std::string path = a.png;
      if (x.size(0) > 1) {
        auto dot = path.rfind('.');
        path = (dot == std::string::npos ? path : path.substr(0, dot)) + "_" + std::to_string(b) + ".png";
      }
      auto heat = png_heat(result.values, x, b);
      io::write_png(path, io::heatmap_overlay(x[b], heat));
      pngs.push_back(path);
    }
  }
  nlohmann::json j;
  j["method"] = result.method;
  j["options"] = result.options;
  std::vector<int64_t> labels;
  for (const auto& t : result.targets) labels.push_back(t.label);
  j["targets"] = labels;
  j["shape"] = std::vector<int64_t>(values.sizes().begin(), values.sizes().end());
  std::vector<double> sums;
  auto s = result.values.reshape({result.values.size(0), -1}).sum(1).cpu().to(torch::kDouble).contiguous();
  for (int64_t i = 0; i < s.numel(); ++i) sums.push_back(s[i].item<double>());
  j["sum"] = sums;
  for (const auto& [k, d] : result.diagnostics) {
    auto dd = d.reshape({-1}).cpu().to(torch::kDouble).contiguous();
    std::vector<double> v(dd.data_ptr<double>(), dd.data_ptr<double>() + dd.numel());
    j[k] = v;
  }
  j["ms"] = ms;
  if (!a.out.empty()) j["out"] = a.out;
  if (!pngs.empty()) j["png"] = pngs;
  std::cout << j.dump() << "\n";
}

}  // namespace

void register_attribute(CLI::App& app) {
  auto args = std::make_shared<AttributeArgs>();
  auto* cmd = app.add_subcommand(
      "attribute",
      "Attribution map of a TorchScript image model (saliency, gradxinput, ig, smoothgrad, noise-tunnel, "
      "guided-backprop, deconvnet, occlusion)");
  cmd->add_option("--model", args->model, "TorchScript model file (torch.jit.save)")->required();
  cmd->add_option("--input", args->input, "input tensor [C, H, W] or [B, C, H, W] (torch.save)")->required();
  cmd->add_option("--target", args->target, "class index K (raw logit); -1 = the predicted class")->default_val(-1);
  cmd->add_option("--method", args->method, "attribution method")->required();
  cmd->add_option("--out", args->out,
                  "write the attribution (torch.save format, same shape as the input unless --cam-output says "
                  "otherwise)");
  cmd->add_option("--png", args->png, "write the heatmap over the input image (PNG; _b suffix per item when B > 1)");
  cmd->add_option("--device", args->device, "cpu, cuda or cuda:N")->default_val("cpu");
  cmd->add_option("-o,--option", args->options, "method option key=value (repeatable), e.g. -o abs=false");
  cmd->add_option("--steps", args->steps, "ig: integration steps (50)");
  cmd->add_option(
      "--ig-method", args->ig_method,
      "ig: gausslegendre | riemann_left | riemann_right | riemann_middle | riemann_trapezoid (Captum's) | trapezoid");
  cmd->add_option("--baseline", args->baseline, "ig / occlusion: constant baseline (0)");
  cmd->add_option("--internal-batch-size", args->internal_batch_size,
                  "ig: rows per forward pass (-1 = all steps, 0 = by device)");
  cmd->add_option("--samples", args->samples, "smoothgrad: noise samples (5)");
  cmd->add_option("--stdev", args->stdev, "smoothgrad: noise standard deviation (1.0)");
  cmd->add_option("--type", args->type, "smoothgrad: smoothgrad | smoothgrad_sq | vargrad");
  cmd->add_option("--seed", args->seed, "smoothgrad: noise seed (0)");
  cmd->add_option("--window", args->window, "occlusion: window over C,H,W, e.g. 3,8,8");
  cmd->add_option("--strides", args->strides, "occlusion: strides, e.g. 3,4,4 (1)");
  cmd->add_option(
      "--layer", args->layer,
      "cam / gradcam / gradcam++ / gradcam-counterfactual / guided-gradcam: the feature layer (last conv block)");
  cmd->add_option("--cam-output", args->cam_output,
                  "cam / gradcam / gradcam++ / gradcam-counterfactual: input-channels ([B, C, H, W], default) | "
                  "input ([B, H, W], pytorch-grad-cam's) | layer ([B, 1, h, w] on the layer's grid, Captum's "
                  "LayerGradCam)");
  cmd->add_option("--rule", args->rule,
                  "lrp: one rule everywhere: epsilon[:e] | gamma[:g] | zplus | alphabeta[:a,b] | flat | zbox:lo,hi");
  cmd->add_option("--composite", args->composite,
                  "lrp: epsilon-gamma-box[:lo,hi] | epsilon-plus | epsilon-plus-flat | epsilon-alpha2-beta1[-flat], "
                  "then ;layer=rule overrides");
  cmd->callback([args] {
    try {
      run_attribute(*args);
    } catch (const c10::Error& e) {
      throw gnnx::Error("attribute: " + first_line(e.what_without_backtrace()));
    } catch (const gnnx::Error&) {
      throw;
    } catch (const std::exception& e) {
      // TorchScript errors carry two tracebacks; keep the "RuntimeError: ..." line.
      std::string what = e.what();
      auto pos = what.rfind("RuntimeError: ");
      throw gnnx::Error("attribute: " + first_line(pos == std::string::npos ? what : what.substr(pos + 14)));
    }
  });
}

}  // namespace gnnx::cli
