// The attribution interface: the sequential adapter (ImageModel), the image and graph
// objectives, and the Attributor base.
#include "gnnx/attribution/attributor.h"

#include <fstream>
#include <sstream>

#include <torch/script.h>
#include <torch/torch.h>

#include "gnnx/core/check.h"
#include "gnnx/nn/message_passing.h"
#include "core/error_text.h"
#include "io/zip_check.h"

namespace gnnx::attribution {

// ---------------------------------------------------------------------------------------------
// ImageModel
namespace {

// One line out of a LibTorch / TorchScript exception: the TorchScript interpreter puts the
// useful "RuntimeError: ..." line after two tracebacks, c10::Error before a backtrace.
std::string one_line(const std::exception& e) {
  std::string what = e.what();
  if (const auto* c10e = dynamic_cast<const c10::Error*>(&e)) what = c10e->what_without_backtrace();
  auto pos = what.rfind("RuntimeError: ");
  if (pos != std::string::npos) what = what.substr(pos + 14);
  return what.substr(0, what.find('\n'));
}

// The last component of a TorchScript class name: "__torch__.torch.nn.modules.conv.Conv2d" -> "Conv2d".
std::string short_type(const std::string& qualified) {
  auto pos = qualified.rfind('.');
  return pos == std::string::npos ? qualified : qualified.substr(pos + 1);
}

LayerKind kind_from_type_name(const std::string& t) {
  if (t == "ReLU") return LayerKind::kReLU;
  if (t == "Conv1d" || t == "Conv2d" || t == "Conv3d") return LayerKind::kConv;
  if (t == "Linear") return LayerKind::kLinear;
  if (t == "MaxPool1d" || t == "MaxPool2d" || t == "MaxPool3d" || t == "AdaptiveMaxPool2d") return LayerKind::kMaxPool;
  if (t == "AvgPool1d" || t == "AvgPool2d" || t == "AvgPool3d" || t == "AdaptiveAvgPool1d" ||
      t == "AdaptiveAvgPool2d" || t == "AdaptiveAvgPool3d")
    return LayerKind::kAvgPool;
  if (t == "BatchNorm1d" || t == "BatchNorm2d" || t == "BatchNorm3d") return LayerKind::kBatchNorm;
  if (t == "Flatten") return LayerKind::kFlatten;
  if (t == "Dropout" || t == "Dropout2d") return LayerKind::kDropout;
  return LayerKind::kOther;
}

// "torch::nn::Conv2dImpl" -> "Conv2d"
std::string cpp_short_type(const std::string& name) {
  std::string t = name;
  auto pos = t.rfind("::");
  if (pos != std::string::npos) t = t.substr(pos + 2);
  if (t.size() > 4 && t.compare(t.size() - 4, 4, "Impl") == 0) t = t.substr(0, t.size() - 4);
  return t;
}

void collect_script(const torch::jit::Module& m, const std::string& prefix, std::vector<Layer>& out) {
  for (const auto& item : m.named_children()) {
    std::string name = prefix.empty() ? item.name : prefix + "." + item.name;
    torch::jit::Module child = item.value;
    std::string qualified = child.type()->name() ? child.type()->name()->qualifiedName() : "?";
    std::string t = short_type(qualified);
    if (t == "Sequential" || t == "ModuleList") {
      collect_script(child, name, out);
      continue;
    }
    Layer layer;
    layer.name = name;
    layer.type = qualified;
    layer.kind = kind_from_type_name(t);
    layer.script = std::make_shared<torch::jit::Module>(child);
    if (layer.kind == LayerKind::kReLU) {
      layer.forward = [](const at::Tensor& x) { return at::relu(x); };
    } else {
      auto s = layer.script;
      layer.forward = [s](const at::Tensor& x) { return s->forward({x}).toTensor(); };
    }
    out.push_back(std::move(layer));
  }
}

}  // namespace

ImageModel ImageModel::sequential(torch::nn::Sequential seq) {
  GNNX_CHECK(!seq.is_empty() && seq->size() > 0, "ImageModel::sequential: expected a non-empty torch::nn::Sequential");
  ImageModel m;
  m.forward_ = [seq](const at::Tensor& x) mutable { return seq->forward(x); };
  // Walk the Sequential's AnyModules (they carry the forward) in step with its named children,
  // recursing into nested Sequentials.
  std::function<void(const torch::nn::Sequential&, const std::string&)> walk = [&](const torch::nn::Sequential& s,
                                                                                   const std::string& prefix) {
    auto keys = s->named_children().keys();
    for (size_t i = 0; i < s->size(); ++i) {
      std::string name = prefix.empty() ? keys[i] : prefix + "." + keys[i];
      auto child = s->ptr(i);
      if (auto inner = std::dynamic_pointer_cast<torch::nn::SequentialImpl>(child)) {
        walk(torch::nn::Sequential(inner), name);
        continue;
      }
      Layer layer;
      layer.name = name;
      layer.type = child->name();
      layer.kind = kind_from_type_name(cpp_short_type(child->name()));
      layer.module = child;
      if (layer.kind == LayerKind::kReLU) {
        layer.forward = [](const at::Tensor& x) { return at::relu(x); };
      } else {
        torch::nn::AnyModule any = *(s->begin() + static_cast<long>(i));
        layer.forward = [any](const at::Tensor& x) mutable { return any.forward(x); };
      }
      m.layers_.push_back(std::move(layer));
    }
  };
  walk(seq, "");
  m.layers_are_forward_ = true;
  m.description_ = "sequential(" + std::to_string(m.layers_.size()) + " layers)";
  // The forward runs a ReLU followed by a max pooling in the other order. ReLU is monotone, so
  // max and ReLU commute: the values are the same, and so is the input gradient (the pooling
  // routes it to the same element: for a positive maximum ReLU moves no element to or past it;
  // for a maximum <= 0 both orders give the window a zero gradient). ReLU and its backward then
  // run on the pooled tensor, a quarter of the size after a 2x2 pooling. The layers, and the
  // layer-based methods that hook them, keep the module's order.
  auto plan = m.layers_;
  bool swapped = false;
  for (size_t i = 0; i + 1 < plan.size(); ++i) {
    if (plan[i].kind == LayerKind::kReLU && plan[i + 1].kind == LayerKind::kMaxPool) {
      std::swap(plan[i], plan[i + 1]);
      swapped = true;
    }
  }
  if (swapped) {
    m.forward_ = [plan](const at::Tensor& x) {
      at::Tensor h = x;
      for (const auto& l : plan) h = l.forward(h);
      return h;
    };
  }
  return m;
}

ImageModel ImageModel::any(torch::nn::AnyModule module) {
  GNNX_CHECK(!module.is_empty(), "ImageModel::any: expected a non-empty AnyModule");
  ImageModel m;
  m.forward_ = [module](const at::Tensor& x) mutable { return module.forward(x); };
  m.description_ = "module(" + module.ptr()->name() + ")";
  return m;
}

ImageModel ImageModel::function(std::function<at::Tensor(const at::Tensor&)> forward, std::string description) {
  GNNX_CHECK(static_cast<bool>(forward), "ImageModel::function: expected a callable");
  ImageModel m;
  m.forward_ = std::move(forward);
  m.description_ = std::move(description);
  return m;
}

ImageModel ImageModel::script(const torch::jit::Module& module) {
  ImageModel m;
  auto s = std::make_shared<torch::jit::Module>(module);
  m.forward_ = [s](const at::Tensor& x) { return s->forward({x}).toTensor(); };
  collect_script(module, "", m.layers_);
  m.layers_are_forward_ = false;
  m.description_ = "torchscript(" +
                   (module.type()->name() ? module.type()->name()->qualifiedName() : std::string("?")) + ")";
  return m;
}

ImageModel ImageModel::load(const std::string& path, c10::Device device) {
  GNNX_CHECK(std::ifstream(path).good(), "ImageModel::load: cannot open \"", path, "\"");
  io::check_zip_file_crc(path, "ImageModel::load");
  torch::jit::Module module;
  try {
    module = torch::jit::load(path, device);
  } catch (const std::exception& e) {  // c10::Error, or torch::jit::ErrorReport from a corrupt archive
    GNNX_CHECK(false, "ImageModel::load: \"", path, "\" is not a TorchScript archive (",
               gnnx::detail::message_line(e.what()), ")");
  }
  module.eval();
  return script(module);
}

at::Tensor ImageModel::forward(const at::Tensor& x) const {
  GNNX_CHECK(defined(), "ImageModel::forward: the model is empty");
  return forward_(x);
}

int64_t ImageModel::layer_index(const std::string& name) const {
  std::string known;
  for (size_t i = 0; i < layers_.size(); ++i) {
    if (layers_[i].name == name) return static_cast<int64_t>(i);
    known += (known.empty() ? "" : ", ") + layers_[i].name;
  }
  GNNX_CHECK(false, "ImageModel: no layer named \"", name,
             "\"; layers: ", known.empty() ? "(none: opaque model)" : known);
  return -1;
}

ImageModel ImageModel::up_to(const std::string& layer) const {
  const auto last = static_cast<size_t>(layer_index(layer));
  ImageModel m;
  m.layers_.assign(layers_.begin(), layers_.begin() + static_cast<std::ptrdiff_t>(last) + 1);
  Layer flat;
  flat.name = layer + ".flatten";
  flat.type = "flatten";
  flat.kind = LayerKind::kFlatten;
  flat.forward = [](const at::Tensor& x) { return x.flatten(1); };
  m.layers_.push_back(std::move(flat));
  m.layers_are_forward_ = true;
  m.description_ = description_ + " up to \"" + layer + "\"";
  auto layers = m.layers_;
  m.forward_ = [layers](const at::Tensor& x) {
    at::Tensor h = x;
    for (const auto& l : layers) h = l.forward(h);
    return h;
  };
  return m;
}

at::Tensor ImageModel::forward_layers(const at::Tensor& x, const LayerHook& hook) const {
  GNNX_CHECK(has_layers(), "ImageModel::forward_layers: ", description_,
             " exposes no layers (use ImageModel::sequential or a TorchScript module whose children run in order)");
  at::Tensor h = x;
  for (size_t i = 0; i < layers_.size(); ++i) {
    at::Tensor out;
    if (hook) out = hook(static_cast<int64_t>(i), layers_[i], h);
    h = out.defined() ? out : layers_[i].forward(h);
  }
  return h;
}

void ImageModel::check_layers(const at::Tensor& x) const {
  GNNX_CHECK(has_layers(), "ImageModel: ", description_,
             " exposes no layers; layer-based methods need ImageModel::sequential or a TorchScript module whose "
             "children run in order");
  if (layers_are_forward_) return;
  torch::NoGradGuard no_grad;
  auto a = forward(x);
  at::Tensor b;
  try {
    b = forward_layers(x);
  } catch (const std::exception& e) {
    GNNX_CHECK(
        false, "ImageModel: running the children of ", description_, " in order fails (", one_line(e),
        "); layer-based methods need a module whose forward is its children in order (e.g. nn.Sequential, nn.Flatten "
        "instead of torch.flatten)");
  }
  bool same = a.sizes() == b.sizes() && torch::allclose(a, b, 1e-4, 1e-5);
  GNNX_CHECK(same, "ImageModel: the children of ", description_,
             " run in order do not reproduce its forward; layer-based methods need a module whose forward is its "
             "children in order (e.g. nn.Sequential, nn.Flatten instead of torch.flatten)");
}

// ---------------------------------------------------------------------------------------------
// Objectives
const std::vector<Layer>& Objective::layers() const {
  static const std::vector<Layer> none;
  return none;
}

namespace {

class ImageObjective : public Objective {
 public:
  ImageObjective(ImageModel model, at::Tensor x, std::vector<int64_t> labels) : model_(std::move(model)) {
    GNNX_CHECK(model_.defined(), "image_objective: the model is empty");
    GNNX_CHECK(x.defined() && x.is_floating_point() && x.dim() >= 2 && x.size(0) > 0,
               "image_objective: expected a floating input [B, ...] with B > 0, got ",
               x.defined() ? x.sizes() : c10::IntArrayRef{});
    x_ = x.detach();
    const int64_t b = x_.size(0);
    GNNX_CHECK(labels.size() == 1 || static_cast<int64_t>(labels.size()) == b, "image_objective: expected 1 or B = ", b,
               " labels, got ", labels.size());
    at::Tensor logits;
    try {
      torch::NoGradGuard no_grad;
      logits = model_.forward(x_);
    } catch (const gnnx::Error&) {
      throw;
    } catch (const std::exception& e) {
      GNNX_CHECK(false, "image_objective: the model rejects an input of shape ", x_.sizes(), ": ", one_line(e));
    }
    GNNX_CHECK(logits.dim() == 2 && logits.size(0) == b,
               "image_objective: expected the model to return logits [B, K] = [", b, ", K], got ", logits.sizes());
    const int64_t k = logits.size(1);
    auto predicted = logits.argmax(1).cpu();
    std::vector<int64_t> resolved(static_cast<size_t>(b));
    for (int64_t i = 0; i < b; ++i) {
      int64_t l = labels.size() == 1 ? labels[0] : labels[static_cast<size_t>(i)];
      GNNX_CHECK(l >= -1 && l < k, "image_objective: target class ", l, " out of range [0, ", k, ")");
      resolved[static_cast<size_t>(i)] = l == -1 ? predicted[i].item<int64_t>() : l;
      targets_.push_back(Target::output(i, resolved[static_cast<size_t>(i)]));
    }
    labels_ = torch::tensor(resolved, torch::kLong).to(x_.device());
  }

  at::Tensor input() const override { return x_; }
  const std::vector<Target>& targets() const override { return targets_; }
  const std::vector<Layer>& layers() const override { return model_.layers(); }
  void check_layers(const at::Tensor& inputs) const override { model_.check_layers(inputs); }
  std::string kind() const override { return "image"; }

  at::Tensor scores(const at::Tensor& inputs, const at::Tensor& items, const LayerHook* hook) override {
    at::Tensor logits = hook ? model_.forward_layers(inputs, *hook) : forward(inputs);
    GNNX_ASSERT(logits.dim() == 2 && logits.size(0) == inputs.size(0), "image model returned ", logits.sizes());
    auto cls = labels_.index_select(0, items.to(labels_.device()));
    return logits.gather(1, cls.unsqueeze(1)).squeeze(1);
  }

 private:
  // The model's own forward. A C++ Sequential on a CPU batch of images [M, C, H, W] runs in
  // channels-last layout: oneDNN's convolutions then skip their layout conversions, which makes
  // forward and backward of bench_attribution's CNN about 1.7x faster (measured from Python on
  // the same LibTorch), with the same values to rounding (the gradient comes back in the input's layout). A layer that
  // needs the contiguous layout (a view) throws; the objective then runs contiguous from there on.
  at::Tensor forward(const at::Tensor& inputs) {
    if (channels_last_ && inputs.dim() == 4 && inputs.is_cpu()) {
      try {
        return model_.forward(inputs.contiguous(at::MemoryFormat::ChannelsLast));
      } catch (const c10::Error&) {
        channels_last_ = false;
      }
    }
    return model_.forward(inputs);
  }

  ImageModel model_;
  at::Tensor x_;
  at::Tensor labels_;
  std::vector<Target> targets_;
  bool channels_last_ = model_.description().rfind("sequential(", 0) == 0;
};

class GraphObjective : public Objective {
 public:
  GraphObjective(nn::GNNModel& model, const Graph& g, std::vector<Target> targets, GraphInput what)
      : model_(model), g_(g), what_(what) {
    g_.validate("graph_objective", /*allow_empty=*/false);
    GNNX_CHECK(g_.has_features(), "graph_objective: the graph has no node features x");
    GNNX_CHECK(g_.x.is_floating_point(), "graph_objective: x must be floating, got ", g_.x.dtype());
    GNNX_CHECK(g_.num_features() == model.in_channels(), "graph_objective: the model takes ", model.in_channels(),
               " input features, the graph has ", g_.num_features());
    GNNX_CHECK(!targets.empty(), "graph_objective: expected at least one target");
    link_ = model.task() == nn::Task::kLink;
    at::Tensor logits;
    if (link_) {
      std::vector<int64_t> src, dst;
      for (const auto& t : targets) {
        GNNX_CHECK(t.kind == Target::Kind::kLink, "graph_objective: a link predictor needs link targets, got ",
                   to_string(t));
        GNNX_CHECK(t.index >= 0 && t.index < g_.num_nodes && t.other >= 0 && t.other < g_.num_nodes,
                   "graph_objective: ", to_string(t), " has a node outside [0, ", g_.num_nodes, ")");
        src.push_back(t.index);
        dst.push_back(t.other);
      }
      const auto lopt = torch::TensorOptions().dtype(torch::kLong).device(g_.device());
      dst_ = torch::tensor(dst, torch::kLong).to(lopt);
      torch::NoGradGuard no_grad;
      logits = model_.forward_links(g_.x, g_.edge_index, g_.edge_weight,
                                    torch::stack({torch::tensor(src, torch::kLong).to(lopt), dst_}));
    } else {
      torch::NoGradGuard no_grad;
      logits = model_.forward_graph(g_);
    }
    const int64_t c = logits.size(1);
    auto logits_cpu = logits.cpu();
    std::vector<int64_t> rows, labels;
    int64_t item = 0;
    for (auto t : targets) {
      if (link_) {
        const int64_t row = item++;  // the link's row of logits; its first node goes to rows_
        GNNX_CHECK(t.label >= -1 && t.label < c, "graph_objective: target class ", t.label, " out of range [0, ", c,
                   ")");
        t.label = nn::explained_output(model, logits_cpu[row], t.label, "graph_objective");
        rows.push_back(t.index);
        labels.push_back(t.label);
        targets_.push_back(t);
        continue;
      }
      if (model.task() == nn::Task::kNode) {
        GNNX_CHECK(t.kind == Target::Kind::kNode, "graph_objective: a node classifier needs node targets, got ",
                   to_string(t));
        GNNX_CHECK(t.index >= 0 && t.index < g_.num_nodes, "graph_objective: node ", t.index, " out of range [0, ",
                   g_.num_nodes, ")");
      } else {
        GNNX_CHECK(t.kind == Target::Kind::kGraph && t.index == 0,
                   "graph_objective: a graph classifier on one graph needs Target::graph(0), got ", to_string(t));
      }
      GNNX_CHECK(t.label >= -1 && t.label < c, "graph_objective: target ",
                 model.mode() == nn::Mode::kRegression ? "output " : "class ", t.label, " out of range [0, ", c, ")");
      t.label = nn::explained_output(model, logits_cpu[t.index], t.label, "graph_objective");
      rows.push_back(t.index);
      labels.push_back(t.label);
      targets_.push_back(t);
    }
    rows_ = torch::tensor(rows, torch::kLong).to(g_.device());
    labels_ = torch::tensor(labels, torch::kLong).to(g_.device());
    const int64_t n_items = static_cast<int64_t>(targets_.size());
    if (what_ == GraphInput::kNodeFeatures) {
      input_ = g_.x.detach().unsqueeze(0).expand({n_items, g_.num_nodes, g_.num_features()}).contiguous();
    } else {
      input_ = torch::ones({n_items, g_.num_edges()}, g_.x.options());
    }
  }

  at::Tensor input() const override { return input_; }
  const std::vector<Target>& targets() const override { return targets_; }
  std::string kind() const override { return what_ == GraphInput::kEdges ? "edges" : "node_features"; }

  at::Tensor scores(const at::Tensor& inputs, const at::Tensor& items, const LayerHook* hook) override {
    GNNX_CHECK(hook == nullptr, "graph_objective: GNN objectives expose no layers for hooks");
    const int64_t m = inputs.size(0), n = g_.num_nodes, e = g_.num_edges();
    // M copies of the graph as one disjoint union: copy c holds nodes [c N, (c+1) N) and edges
    // [c E, (c+1) E).
    at::Tensor edge_index = g_.edge_index, edge_weight = g_.edge_weight, x;
    if (m > 1) {
      auto offsets = torch::arange(m, g_.edge_index.options()).mul(n).view({1, m, 1});
      edge_index = (g_.edge_index.unsqueeze(1) + offsets).reshape({2, m * e});
      if (edge_weight.defined()) edge_weight = edge_weight.repeat({m});
    }
    at::Tensor logits;
    auto it = items.to(rows_.device());
    auto run = [&](const at::Tensor& feats) {
      if (link_) {  // copy c's pair (u, v) + c N
        const auto shift = torch::arange(m, it.options()).mul(n);
        const auto pairs = torch::stack({rows_.index_select(0, it) + shift, dst_.index_select(0, it) + shift});
        return model_.forward_links(feats, edge_index, edge_weight, pairs);
      }
      if (model_.task() == nn::Task::kNode) return model_.forward(feats, edge_index, edge_weight);
      auto batch = torch::arange(m, g_.edge_index.options()).repeat_interleave(n);
      return model_.forward(feats, edge_index, edge_weight, batch, m);
    };
    if (what_ == GraphInput::kNodeFeatures) {
      logits = run(inputs.reshape({m * n, g_.num_features()}));
    } else {
      x = m > 1 ? g_.x.repeat({m, 1}) : g_.x;
      nn::EdgeMaskScope scope(inputs.reshape({m * e}));
      logits = run(x);
    }
    auto cls = labels_.index_select(0, it);
    at::Tensor row;
    if (link_)
      row = torch::arange(m, it.options());
    else if (model_.task() == nn::Task::kNode)
      row = rows_.index_select(0, it) + torch::arange(m, it.options()).mul(n);
    else
      row = torch::arange(m, it.options());
    return logits.index({row, cls});
  }

 private:
  nn::GNNModel& model_;
  Graph g_;
  GraphInput what_;
  at::Tensor input_, rows_, labels_;
  bool link_ = false;
  at::Tensor dst_;  // link targets: each link's second node (rows_ holds the first)
  std::vector<Target> targets_;
};

}  // namespace

std::unique_ptr<Objective> image_objective(const ImageModel& model, const at::Tensor& x, std::vector<int64_t> labels) {
  return std::make_unique<ImageObjective>(model, x, std::move(labels));
}

std::unique_ptr<Objective> image_objective(const ImageModel& model, const at::Tensor& x, const Target& t) {
  GNNX_CHECK(t.kind == Target::Kind::kOutput, "image_objective: expected Target::output(item, label), got ",
             to_string(t));
  GNNX_CHECK(x.defined() && x.dim() >= 2, "image_objective: expected an input [B, ...], got ",
             x.defined() ? x.sizes() : c10::IntArrayRef{});
  if (t.index == -1) return image_objective(model, x, std::vector<int64_t>{t.label});
  GNNX_CHECK(t.index >= 0 && t.index < x.size(0), "image_objective: item ", t.index, " out of range [0, ", x.size(0),
             ")");
  return image_objective(model, x.narrow(0, t.index, 1), std::vector<int64_t>{t.label});
}

std::unique_ptr<Objective> graph_objective(nn::GNNModel& model, const Graph& g, std::vector<Target> targets,
                                           GraphInput what) {
  return std::make_unique<GraphObjective>(model, g, std::move(targets), what);
}

// ---------------------------------------------------------------------------------------------
// Attributor
Attribution Attributor::attribute(Objective& objective) {
  Attribution a = compute(objective);
  auto in = objective.input();
  GNNX_ASSERT(a.values.defined() && (values_match_input() ? a.values.sizes() == in.sizes()
                                                          : a.values.dim() >= 1 && a.values.size(0) == in.size(0)),
              name(), " returned ", a.values.defined() ? a.values.sizes() : c10::IntArrayRef{}, " for input ",
              in.sizes());
  a.values = a.values.detach();
  a.method = name();
  a.options = options();
  a.targets = objective.targets();
  return a;
}

Attribution Attributor::attribute(const ImageModel& model, const at::Tensor& x, std::vector<int64_t> labels) {
  auto objective = image_objective(model, x, std::move(labels));
  return attribute(*objective);
}

Attribution Attributor::attribute(nn::GNNModel& model, const Graph& g, std::vector<Target> targets, GraphInput what) {
  auto objective = graph_objective(model, g, std::move(targets), what);
  return attribute(*objective);
}

}  // namespace gnnx::attribution
