#include "attribution/layer_geometry.h"

#include <torch/script.h>
#include <torch/torch.h>

#include "gnnx/core/check.h"

namespace gnnx::attribution::detail {
namespace {

std::vector<int64_t> int_list(const c10::IValue& v, const std::string& op) {
  if (v.isIntList()) return v.toIntVector();
  if (v.isInt()) return {v.toInt()};
  if (v.isTuple()) {
    std::vector<int64_t> out;
    for (const auto& e : v.toTupleRef().elements()) out.push_back(e.toInt());
    return out;
  }
  GNNX_CHECK(false, op, ": expected an int or a tuple of ints in a TorchScript layer attribute, got ", v.tagKind());
  return {};
}

// One entry per spatial axis: an int stands for both.
std::vector<int64_t> pair(std::vector<int64_t> v) {
  if (v.size() == 1) v.push_back(v[0]);
  return v;
}

// The numeric padding of a Conv2d ("valid" is 0; "same" is not supported).
struct PaddingOf {
  std::string op, name;
  std::vector<int64_t> operator()(const torch::ExpandingArray<2>& p) const { return c10::IntArrayRef(p).vec(); }
  std::vector<int64_t> operator()(const torch::enumtype::kValid&) const { return {0, 0}; }
  std::vector<int64_t> operator()(const torch::enumtype::kSame&) const {
    GNNX_CHECK(false, op, ": layer \"", name, "\": padding = \"same\" is not supported; give the padding as numbers");
    return {};
  }
};

}  // namespace

ConvGeometry conv_geometry(const Layer& l, const std::string& op) {
  GNNX_CHECK(l.kind == LayerKind::kConv, op, ": layer \"", l.name, "\" (", l.type, ") is not a convolution");
  ConvGeometry g;
  if (l.module) {
    auto* conv = l.module->as<torch::nn::Conv2d>();
    GNNX_CHECK(conv != nullptr, op, ": layer \"", l.name, "\" is not a torch::nn::Conv2d");
    const auto& o = conv->options;
    GNNX_CHECK(std::string(torch::enumtype::get_enum_name(o.padding_mode())) == "kZeros", op, ": layer \"", l.name,
               "\": only zero padding is supported");
    // Unqualified visit: ADL picks c10::visit (LibTorch 1.x) or std::visit (2.x).
    g.padding = visit(PaddingOf{op, l.name}, o.padding());
    g.stride = c10::IntArrayRef(o.stride()).vec(), g.dilation = c10::IntArrayRef(o.dilation()).vec();
    g.groups = o.groups();
    g.weight = conv->weight, g.bias = conv->bias;
  } else {
    const auto& s = *l.script;
    GNNX_CHECK(s.hasattr("weight") && s.attr("weight").isTensor() && s.attr("weight").toTensor().dim() == 4, op,
               ": layer \"", l.name, "\" (", l.type, ") is not a Conv2d");
    g.weight = s.attr("weight").toTensor();
    auto b = s.attr("bias");
    if (b.isTensor()) g.bias = b.toTensor();
    g.stride = int_list(s.attr("stride"), op), g.dilation = int_list(s.attr("dilation"), op);
    g.groups = s.attr("groups").toInt();
    auto p = s.attr("padding");
    GNNX_CHECK(!p.isString(), op, ": layer \"", l.name, "\": only explicit (numeric) conv padding is supported");
    g.padding = int_list(p, op);
    if (s.hasattr("padding_mode")) {
      GNNX_CHECK(s.attr("padding_mode").toStringRef() == "zeros", op, ": layer \"", l.name,
                 "\": only zero padding is supported");
    }
  }
  return g;
}

PoolGeometry pool_geometry(const Layer& l, const std::string& op) {
  GNNX_CHECK(l.kind == LayerKind::kMaxPool || l.kind == LayerKind::kAvgPool, op, ": layer \"", l.name, "\" (", l.type,
             ") is not a pooling layer");
  PoolGeometry g;
  if (l.module) {
    if (auto* mp = l.module->as<torch::nn::MaxPool2d>()) {
      const auto& o = mp->options;
      g.kernel = c10::IntArrayRef(o.kernel_size()).vec(), g.stride = c10::IntArrayRef(o.stride()).vec();
      g.padding = c10::IntArrayRef(o.padding()).vec(), g.dilation = c10::IntArrayRef(o.dilation()).vec();
    } else if (auto* ap = l.module->as<torch::nn::AvgPool2d>()) {
      const auto& o = ap->options;
      g.kernel = c10::IntArrayRef(o.kernel_size()).vec(), g.stride = c10::IntArrayRef(o.stride()).vec();
      g.padding = c10::IntArrayRef(o.padding()).vec(), g.dilation = {1, 1};
    } else if (l.module->as<torch::nn::AdaptiveAvgPool2d>() || l.module->as<torch::nn::AdaptiveMaxPool2d>()) {
      g.adaptive = true;
    } else {
      GNNX_CHECK(false, op, ": layer \"", l.name, "\" (", l.type, ") is not a 2-D pooling layer");
    }
    return g;
  }
  const auto& s = *l.script;
  if (s.hasattr("output_size")) {
    g.adaptive = true;
    return g;
  }
  GNNX_CHECK(s.hasattr("kernel_size") && s.hasattr("stride") && s.hasattr("padding"), op, ": layer \"", l.name, "\" (",
             l.type, ") has no kernel_size, stride and padding");
  g.kernel = pair(int_list(s.attr("kernel_size"), op));
  auto stride = s.attr("stride");  // None in Python means the kernel size
  g.stride = stride.isNone() ? g.kernel : pair(int_list(stride, op));
  g.padding = pair(int_list(s.attr("padding"), op));
  g.dilation = s.hasattr("dilation") ? pair(int_list(s.attr("dilation"), op)) : std::vector<int64_t>{1, 1};
  GNNX_CHECK(g.kernel.size() == 2 && g.stride.size() == 2 && g.padding.size() == 2 && g.dilation.size() == 2, op,
             ": layer \"", l.name, "\" (", l.type, ") is not a 2-D pooling layer");
  return g;
}

}  // namespace gnnx::attribution::detail
