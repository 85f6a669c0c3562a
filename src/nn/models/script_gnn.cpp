#include "gnnx/nn/models/script_gnn.h"

#include <filesystem>

#include <torch/torch.h>

#include "core/error_text.h"
#include "gnnx/core/check.h"
#include "gnnx/nn/message_passing.h"
#include "io/zip_check.h"

namespace gnnx::nn {
namespace {

// The names of forward's arguments after self.
std::vector<std::string> forward_arguments(const torch::jit::Module& m) {
  auto method = m.find_method("forward");
  GNNX_CHECK(method.has_value(), "ScriptGnn: the TorchScript module has no forward method");
  std::vector<std::string> names;
  const auto& args = method->function().getSchema().arguments();
  for (size_t i = 1; i < args.size(); ++i) names.push_back(args[i].name());
  return names;
}

bool resolve_input(ScriptInput stated, const std::vector<std::string>& names, const std::string& name) {
  if (stated != ScriptInput::kAuto) return stated == ScriptInput::kYes;
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

ScriptGnnImpl::ScriptGnnImpl(torch::jit::Module module, ScriptGnnOptions options)
    : module_(std::move(module)), options_(std::move(options)) {
  GNNX_CHECK(options_.in_channels() > 0 && options_.num_classes() > 0,
             "ScriptGnn: in_channels and num_classes must be positive, got ", options_.in_channels(), " and ",
             options_.num_classes());
  GNNX_CHECK(options_.receptive_field() >= -1 && options_.num_hops() >= -1,
             "ScriptGnn: receptive_field and num_hops must be >= 0 or -1 (unknown), got ", options_.receptive_field(),
             " and ", options_.num_hops());
  const auto names = forward_arguments(module_);
  GNNX_CHECK(names.size() >= 2, "ScriptGnn: forward must take (x, edge_index[, edge_weight][, batch]), it takes ",
             names.size(), " argument(s)");
  edge_weight_ = resolve_input(options_.edge_weight_input(), names, "edge_weight");
  batch_ = resolve_input(options_.batch_input(), names, "batch");
  if (options_.task() == Task::kLink) batch_ = false;  // a link predictor takes the node pairs instead
  const bool links = options_.task() == Task::kLink;
  const size_t wanted = 2 + (edge_weight_ ? 1 : 0) + (batch_ ? 1 : 0) + (links ? 1 : 0);
  GNNX_CHECK(wanted <= names.size(), "ScriptGnn: forward takes ", names.size(), " arguments but ", wanted,
             " are stated (x, edge_index", edge_weight_ ? ", edge_weight" : "", batch_ ? ", batch" : "",
             links ? ", node pairs" : "", ")");
  module_.eval();
}

void ScriptGnnImpl::train(bool on) {
  GNNModel::train(on);
  module_.train(on);
}

std::vector<torch::jit::IValue> ScriptGnnImpl::inputs(const at::Tensor& x, const at::Tensor& edge_index,
                                                      const at::Tensor& edge_weight, const std::string& op) const {
  GNNX_CHECK(x.defined() && x.dim() == 2 && x.size(1) == options_.in_channels(), op, ": x must have shape [N, ",
             options_.in_channels(), "], got ", x.defined() ? x.sizes() : at::IntArrayRef{});
  GNNX_CHECK(edge_index.defined() && edge_index.dim() == 2 && edge_index.size(0) == 2 &&
                 edge_index.scalar_type() == at::kLong,
             op, ": edge_index must be int64 of shape [2, E], got ",
             edge_index.defined() ? edge_index.sizes() : at::IntArrayRef{});
  const int64_t N = x.size(0), E = edge_index.size(1);
  if (E > 0) {
    const auto lo = edge_index.min().item<int64_t>(), hi = edge_index.max().item<int64_t>();
    GNNX_CHECK(lo >= 0 && hi < N, op, ": edge_index holds node id ", lo < 0 ? lo : hi, " outside [0, ", N, ")");
  }
  GNNX_CHECK(!edge_weight.defined() || (edge_weight.dim() == 1 && edge_weight.size(0) == E), op,
             ": edge_weight must have shape [", E, "], got ",
             edge_weight.defined() ? edge_weight.sizes() : at::IntArrayRef{});
  auto w = edge_weight;
  const auto mask = active_edge_mask();
  if (mask.defined()) {
    GNNX_CHECK(edge_weight_, op,
               ": an edge mask is active but the TorchScript model takes no edge_weight, so the mask cannot reach it; "
               "trace or script it with an edge_weight argument, or use an explainer without edge masks");
    GNNX_CHECK(mask.size(0) == E, op, ": the active edge mask has ", mask.size(0), " entries for ", E, " edges");
    auto m = mask.to(x.scalar_type());
    w = w.defined() ? w.to(x.scalar_type()) * m : m;
  }
  GNNX_CHECK(!w.defined() || edge_weight_, op, ": the graph has edge weights but the TorchScript model takes none");
  std::vector<torch::jit::IValue> in{x, edge_index};
  if (edge_weight_) in.emplace_back(w.defined() ? w : torch::ones({E}, x.options()));
  return in;
}

at::Tensor ScriptGnnImpl::invoke(const std::vector<torch::jit::IValue>& in, const std::string& op, const at::Tensor& x,
                                 int64_t E) {
  try {
    auto r = module_.forward(in);
    GNNX_CHECK(r.isTensor(), op, ": forward returned a ", r.tagKind(), ", expected a tensor of logits");
    return r.toTensor();
  } catch (const c10::Error& e) {
    std::string what = e.what_without_backtrace();
    GNNX_CHECK(false, op, ": the TorchScript model's forward failed on x ", x.sizes(), " and ", E,
               " edges: ", what.substr(0, what.find('\n')));
  }
  return {};
}

at::Tensor ScriptGnnImpl::forward(const at::Tensor& x, const at::Tensor& edge_index, const at::Tensor& edge_weight,
                                  const at::Tensor& batch, int64_t num_graphs) {
  const std::string op = "ScriptGnn";
  GNNX_CHECK(options_.task() != Task::kLink, op,
             ": a TorchScript link predictor gives the logits of node pairs (forward_links), not node representations");
  auto in = inputs(x, edge_index, edge_weight, op);
  const int64_t N = x.size(0), E = edge_index.size(1);
  at::Tensor b = batch;
  if (options_.task() == Task::kGraph && !batch_) {
    const bool many = num_graphs > 1 || (b.defined() && N > 0 && b.max().item<int64_t>() > 0);
    GNNX_CHECK(!many, op,
               ": the TorchScript model takes no batch argument, so it scores one graph per call; "
               "explain one graph at a time (chunk_size=1)");
  }
  if (batch_) in.emplace_back(b.defined() ? b : torch::zeros({N}, edge_index.options()));
  const auto out = invoke(in, op, x, E);
  const int64_t rows = options_.task() == Task::kNode
                           ? N
                           : (num_graphs >= 0 ? num_graphs : (b.defined() && N > 0 ? b.max().item<int64_t>() + 1 : 1));
  GNNX_CHECK(out.dim() == 2 && out.size(0) == rows && out.size(1) == options_.num_classes(), op, ": forward returned ",
             out.sizes(), ", expected [", rows, ", ", options_.num_classes(), "] for a ", to_string(options_.task()),
             " classifier");
  return out;
}

at::Tensor ScriptGnnImpl::forward_links(const at::Tensor& x, const at::Tensor& edge_index,
                                        const at::Tensor& edge_weight, const at::Tensor& pairs) {
  const std::string op = "ScriptGnn::forward_links";
  GNNX_CHECK(options_.task() == Task::kLink, op, ": the model predicts ", to_string(options_.task()),
             "s, not links (ScriptGnnOptions::task)");
  auto in = inputs(x, edge_index, edge_weight, op);
  check_link_pairs(op, pairs, x.size(0));
  in.emplace_back(pairs);
  auto out = invoke(in, op, x, edge_index.size(1));
  const int64_t P = pairs.size(1), C = options_.num_classes();
  if (out.dim() == 1 && C == 1) out = out.view({-1, 1});  // PyG's decoders return one logit per pair, [P]
  GNNX_CHECK(out.dim() == 2 && out.size(0) == P && out.size(1) == C, op, ": forward returned ", out.sizes(),
             ", expected [", P, ", ", C, "] (or [", P, "] for one output) for ", P, " node pairs");
  return out;
}

ScriptGnn load_script_gnn(const std::string& path, const ScriptGnnOptions& options) {
  GNNX_CHECK(std::filesystem::is_regular_file(path), "load_script_gnn: no file at \"", path, "\"");
  io::check_zip_file_crc(path, "load_script_gnn");
  torch::jit::Module m;
  try {
    m = torch::jit::load(path, torch::kCPU);
  } catch (const std::exception& e) {  // c10::Error, or torch::jit::ErrorReport from a corrupt archive
    GNNX_CHECK(false, "load_script_gnn: \"", path, "\" is not a TorchScript model (",
               gnnx::detail::message_line(e.what()), ")");
  }
  ScriptGnn model(std::move(m), options);
  model->eval();
  return model;
}

}  // namespace gnnx::nn
