#pragma once
/// The one attribution interface shared by CNNs and GNNs.
///
/// An Attributor explains an Objective and returns an Attribution:
///
///   Objective    "the target logit of each item, as a differentiable function of the attributed
///                 input". It owns the model, the point being attributed, input() [B, *item],
///                 and one resolved Target per item. Built by image_objective() (a CNN on
///                 [B, C, H, W]: item b is image b) or graph_objective() (a GNN: item t is
///                 target t, attributed over the node features [N, F] or over the edges through
///                 an all-ones edge mask [E], see GraphInput).
///   Attributor   a method (saliency, integrated gradients, occlusion, ...). attribute() is
///                non-virtual: it validates, calls the method's compute() and fills the method
///                name, the options and the targets of the result.
///   Attribution  values [B, *item], exactly input()'s shape, plus diagnostics
///                (e.g. integrated gradients' convergence delta, [B]). A method whose options
///                ask for a peer library's layout instead (a CAM's output = input | layer)
///                says so through Attributor::values_match_input(); its values are then
///                [B, ...] as that method documents.
///
/// Batches. Every method evaluates the objective on stacks of points: scores(inputs [M, *item],
/// items [M]) scores row m for item items[m]'s target. For images the rows are simply a batch of
/// images; for graphs the M rows are M copies of the graph run as one disjoint union (so the
/// integration steps of integrated gradients, the noise samples of SmoothGrad and the windows
/// of occlusion run in one forward pass each, up to the method's batch size). Row m's score
/// depends on inputs[m] only, so one backward pass of Σ scores gives every row's gradient. This
/// requires a model without cross-batch coupling: call model->eval() (BatchNorm in training
/// mode couples the rows) before attributing. Attributors never change the model's mode.
///
/// Targets index the raw output (logits), never a softmax, as in Captum. A label of -1 is
/// resolved to the model's prediction (argmax) at input() when the objective is built.
///
/// Layers (for guided backprop / deconvnet here; CAM, Grad-CAM, LRP build on the same access).
/// LibTorch's C++ modules have no forward/backward module hooks, and Captum's hooks do not work
/// on TorchScript at all. gnnx therefore uses a *sequential adapter*: ImageModel holds the
/// model's layers in the order they run, flattened through nested Sequentials:
///   - torch::nn::Sequential: its children, exactly (the adapter *is* the model's forward).
///     (LibTorch cannot nest a plain Sequential in a Sequential; a child subclassing
///     SequentialImpl is flattened.)
///   - a TorchScript module whose children run in order (a scripted nn.Sequential, or a module
///     whose forward is x -> child_1 -> ... -> child_n): its named_children(). A scripted model
///     whose forward does more (a residual add, torch.flatten in forward instead of an
///     nn.Flatten child) cannot be told from the outside, so layer-based methods first call
///     check_layers(x), which runs both forwards and throws gnnx::Error when they disagree.
///   - anything else (AnyModule, a function): opaque; gradient and perturbation methods work,
///     layer-based methods throw.
/// The layered forward takes a LayerHook called for each layer with that layer's input; it
/// returns the layer's output (computed with layer.forward(input), possibly recorded or
/// replaced), or an undefined tensor to let the layer run unchanged. With it:
///   - capture a layer's activation A: return (A = layer.forward(input)); its gradient is
///     torch::autograd::grad({Σ scores}, {A}) (Grad-CAM);
///   - replace a layer's backward: return a custom torch::autograd::Function applied to input
///     (guided backprop / deconvnet replace every ReLU; LRP returns z·(a/z).detach()-style
///     outputs built from layer.module's weights).
/// ReLU layers always run out of place in the adapter (an in-place ReLU would overwrite a
/// captured activation). GNN objectives expose no layers (gnnx GNNs are not sequential);
/// their layer access goes through gnnx::nn::GNNModel::message_passing_layers() and the
/// edge-mask hook instead.
///
/// Options of each method are builder structs (GNNX_ARG) with documented defaults; the
/// command line and the registry build them from strings with make_attributor().

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/any.h>
#include <torch/nn/modules/container/sequential.h>

#include "gnnx/core/enum_names.h"
#include "gnnx/core/options.h"
#include "gnnx/core/target.h"
#include "gnnx/graph/graph.h"
#include "gnnx/nn/models/gnn.h"

namespace torch::jit {
struct Module;
}

namespace gnnx::attribution {

/// What an attribution method returns.
struct Attribution {
  std::string method;  ///< registry name, e.g. "ig"
  at::Tensor values;   ///< [B, *item]: same shape, dtype and device as Objective::input() (see values_match_input())
  std::vector<Target> targets;                    ///< one per item, labels resolved (never -1)
  std::map<std::string, std::string> options;     ///< the method's options as text ("steps" -> "50")
  std::map<std::string, at::Tensor> diagnostics;  ///< e.g. "delta": [B] (integrated gradients)
};

/// What kind of layer an adapter layer is (enough for the rules of guided backprop, CAM and LRP).
enum class LayerKind { kReLU, kConv, kLinear, kMaxPool, kAvgPool, kBatchNorm, kFlatten, kDropout, kOther };
GNNX_ENUM_NAMES(LayerKind, "layer kind", {LayerKind::kReLU, "relu"}, {LayerKind::kConv, "conv"},
                {LayerKind::kLinear, "linear"}, {LayerKind::kMaxPool, "maxpool"}, {LayerKind::kAvgPool, "avgpool"},
                {LayerKind::kBatchNorm, "batchnorm"}, {LayerKind::kFlatten, "flatten"},
                {LayerKind::kDropout, "dropout"}, {LayerKind::kOther, "other"});

/// One layer of a sequential adapter.
struct Layer {
  std::string name;  ///< dotted path, e.g. "features.3" or "conv1"
  std::string
      type;  ///< C++ type ("torch::nn::Conv2dImpl") or TorchScript class ("__torch__.torch.nn.modules.conv.Conv2d")
  LayerKind kind = LayerKind::kOther;
  std::shared_ptr<torch::nn::Module> module;   ///< the C++ module, or null for TorchScript
  std::shared_ptr<torch::jit::Module> script;  ///< the TorchScript child, or null (include <torch/script.h> to use it)
  std::function<at::Tensor(const at::Tensor&)> forward;  ///< the layer's own forward
};

/// Called by the layered forward for layer `index` with its input; returns the output to pass
/// on, or an undefined tensor to run layer.forward(input) unchanged.
using LayerHook = std::function<at::Tensor(int64_t index, const Layer& layer, const at::Tensor& input)>;

/// An image model (any network from a tensor [B, ...] to logits [B, K]) with its layers when it
/// has a sequential structure. Cheap to copy (shares the model).
class ImageModel {
 public:
  ImageModel() = default;
  /// Layered: the children of seq (children subclassing SequentialImpl flattened) are the layers.
  static ImageModel sequential(torch::nn::Sequential seq);
  /// Opaque: any C++ module with forward(Tensor) -> Tensor.
  static ImageModel any(torch::nn::AnyModule module);
  /// Opaque: a function x [B, ...] -> logits [B, K].
  static ImageModel function(std::function<at::Tensor(const at::Tensor&)> forward,
                             std::string description = "function");
  /// TorchScript: forward() is the script's own forward; its children (nested scripted
  /// Sequentials flattened) are the layers, valid when check_layers() passes.
  static ImageModel script(const torch::jit::Module& module);
  /// torch::jit::load(path, device), in eval mode. Throws gnnx::Error naming the path when the
  /// file is missing or not a TorchScript archive.
  static ImageModel load(const std::string& path, c10::Device device = c10::Device(c10::kCPU));

  bool defined() const { return static_cast<bool>(forward_); }
  /// The model's own forward: x [B, ...] -> logits [B, K].
  at::Tensor forward(const at::Tensor& x) const;
  /// True when the model has layers a hook can see.
  bool has_layers() const { return !layers_.empty(); }
  const std::vector<Layer>& layers() const { return layers_; }
  /// Index of the layer called `name`; throws gnnx::Error listing the names otherwise.
  int64_t layer_index(const std::string& name) const;
  /// The sub-network of the layers up to and including `layer`, followed by a flatten layer
  /// (named "<layer>.flatten", kind kFlatten): x [B, ...] -> that layer's output flattened to
  /// [B, M]. Its forward is its layers (check the whole model with check_layers first). Throws
  /// gnnx::Error, listing the layer names, when there is no such layer.
  ImageModel up_to(const std::string& layer) const;
  /// Runs the layers in order, calling hook (may be null) for each. Throws when !has_layers().
  at::Tensor forward_layers(const at::Tensor& x, const LayerHook& hook = nullptr) const;
  /// Throws gnnx::Error unless forward_layers(x) equals forward(x) (within tolerance). Free for
  /// C++ Sequentials (their layers are the forward); one extra forward pass for TorchScript.
  void check_layers(const at::Tensor& x) const;
  /// "sequential(7 layers)", "torchscript(__torch__.Net)", ...
  const std::string& description() const { return description_; }

 private:
  std::function<at::Tensor(const at::Tensor&)> forward_;
  std::vector<Layer> layers_;
  bool layers_are_forward_ = false;
  std::string description_;
};

/// The function an attributor explains. See the file comment.
class Objective {
 public:
  virtual ~Objective() = default;
  /// The attributed point, [B, *item]; detached.
  virtual at::Tensor input() const = 0;
  int64_t num_items() const { return input().size(0); }
  /// One resolved target per item.
  virtual const std::vector<Target>& targets() const = 0;
  /// inputs [M, *item] (same dtype/device as input()), items [M] int64 in [0, B): returns [M],
  /// the target logit of item items[m] evaluated at inputs[m]; differentiable in inputs. When
  /// hook is given the model runs through its layers (requires !layers().empty()).
  virtual at::Tensor scores(const at::Tensor& inputs, const at::Tensor& items, const LayerHook* hook = nullptr) = 0;
  /// The layers a hook sees, in order; empty for opaque models and GNNs.
  virtual const std::vector<Layer>& layers() const;
  /// Throws gnnx::Error when running through the layers would not reproduce the model at
  /// inputs (see ImageModel::check_layers). Default: nothing to check.
  virtual void check_layers(const at::Tensor& inputs) const {}
  /// "image", "node_features" or "edges".
  virtual std::string kind() const = 0;
};

/// An image objective. x [B, ...] floating (e.g. [B, C, H, W]); labels: one per item, or one for
/// all; -1 = the model's prediction. Throws gnnx::Error for a label outside [0, K) or a model
/// output that is not [B, K].
std::unique_ptr<Objective> image_objective(const ImageModel& model, const at::Tensor& x, std::vector<int64_t> labels);
/// t = Target::output(item, label): item -1 explains every item of x, item k only x[k] (the
/// objective then has B = 1).
std::unique_ptr<Objective> image_objective(const ImageModel& model, const at::Tensor& x, const Target& t);

/// Which input of a GNN is attributed.
enum class GraphInput {
  kNodeFeatures,  ///< item shape [N, F]: the node features
  kEdges,         ///< item shape [E]: an all-ones edge mask applied through nn::EdgeMaskScope
};
GNNX_ENUM_NAMES(GraphInput, "graph input", {GraphInput::kNodeFeatures, "features"}, {GraphInput::kEdges, "edges"},
                {GraphInput::kNodeFeatures, "node_features"});

/// A GNN objective over graph g (validated; x required). targets: Target::node(i, label) for a
/// node classifier, Target::graph(0, label) for a graph classifier (g is one graph). Item t is
/// target t; the attribution is [T, N, F] (features) or [T, E] (edges). The model is kept by
/// reference: it must outlive the objective.
std::unique_ptr<Objective> graph_objective(nn::GNNModel& model, const Graph& g, std::vector<Target> targets,
                                           GraphInput what = GraphInput::kNodeFeatures);

/// An attribution method.
class Attributor {
 public:
  virtual ~Attributor() = default;
  /// The registry name ("saliency", "ig", ...).
  virtual std::string name() const = 0;
  /// The options as text, recorded in Attribution::options.
  virtual std::map<std::string, std::string> options() const { return {}; }
  /// True when values has exactly Objective::input()'s shape [B, *item] (checked by
  /// attribute()). False for a method whose options choose another layout (CamAttributor with
  /// output input or layer); its values still start with the B items. Default true.
  virtual bool values_match_input() const { return true; }
  /// True when attribute() may run on several threads at once, each with its own objective: the
  /// method keeps nothing between calls, or guards what it keeps. explain::AttributionExplainer
  /// then explains CPU node and link targets in parallel. Default false (one call at a time);
  /// true for saliency, gradient × input, integrated gradients, occlusion, guided backprop and
  /// deconvnet, and for a noise tunnel over such a method.
  virtual bool concurrent() const { return false; }

  /// Attributes objective's targets at objective.input().
  Attribution attribute(Objective& objective);
  /// image_objective(model, x, labels) then attribute.
  Attribution attribute(const ImageModel& model, const at::Tensor& x, std::vector<int64_t> labels);
  /// graph_objective(model, g, targets, what) then attribute.
  Attribution attribute(nn::GNNModel& model, const Graph& g, std::vector<Target> targets,
                        GraphInput what = GraphInput::kNodeFeatures);

 protected:
  /// The method: values [B, *item] and diagnostics; name/options/targets are filled by attribute().
  virtual Attribution compute(Objective& objective) = 0;
};

/// Builds the attributor registered as `name` ("saliency", "gradxinput", "ig", "smoothgrad",
/// "noise-tunnel", "guided-backprop", "deconvnet", "occlusion") from text options (e.g.
/// {"steps": "32", "method": "riemann_trapezoid"}). Throws gnnx::Error for an unknown name
/// (listing the known ones), an unknown option or a value that does not parse.
std::unique_ptr<Attributor> make_attributor(const std::string& name, const OptionMap& options = {});
std::vector<std::string> attributor_names();

}  // namespace gnnx::attribution
