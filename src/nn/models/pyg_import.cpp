// PyG BasicGNN state dicts into GNNClassifiers: the key layout, its checks and the inference of
// the architecture from the keys.
#include "gnnx/nn/models/pyg_import.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include "gnnx/core/check.h"
#include "gnnx/io/tensor_file.h"

namespace gnnx::nn {

namespace {

std::string pyg_shape_text(at::IntArrayRef sizes) {
  std::ostringstream s;
  s << "[";
  for (size_t i = 0; i < sizes.size(); ++i) s << (i ? ", " : "") << sizes[i];
  s << "]";
  return s.str();
}

bool pyg_starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

// The PyG key of a GNNClassifier parameter or buffer (`name` as named_parameters writes it).
std::string pyg_key_of(const std::string& name, Task task) {
  const std::string gnn = task == Task::kGraph ? "gnn." : "";
  if (pyg_starts_with(name, "head.")) return "lin." + name.substr(5);
  if (pyg_starts_with(name, "jk_lin.")) return gnn + "lin." + name.substr(7);
  if (pyg_starts_with(name, "conv")) {
    const size_t dot = name.find('.');
    std::string rest = name.substr(dot + 1);
    // GINConv's MLP: gnnx's Sequential(Linear, ReLU, Linear) is PyG MLP's lins.0 and lins.1.
    if (pyg_starts_with(rest, "mlp.0.")) rest = "nn.lins.0." + rest.substr(6);
    if (pyg_starts_with(rest, "mlp.2.")) rest = "nn.lins.1." + rest.substr(6);
    return gnn + "convs." + name.substr(4, dot - 4) + "." + rest;
  }
  GNNX_CHECK(false, "import_pyg_state_dict: no PyG key for the GNNClassifier tensor ", name);
  return {};
}

std::string pyg_describe(const PygModelOptions& o) {
  std::ostringstream s;
  s << to_string(o.conv()) << " " << to_string(o.task()) << " model (in " << o.in_channels() << ", hidden "
    << o.hidden_channels() << ", " << o.num_layers() << " layers, " << o.num_classes() << " classes, jk "
    << to_string(o.jk());
  if (o.conv() == ConvType::kGAT) s << ", " << o.heads() << " heads";
  s << ")";
  return s.str();
}

// Why PyG has a key gnnx does not read, when the name tells.
std::string pyg_unexpected_hint(const std::string& key) {
  if (key.find("norms.") != std::string::npos || key.find("running_mean") != std::string::npos ||
      key.find("num_batches_tracked") != std::string::npos)
    return " (normalisation layers are not supported: build the PyG model with norm=None)";
  if (key.find("att_edge") != std::string::npos || key.find("lin_edge") != std::string::npos)
    return " (edge features are not supported)";
  if (key.find("res.") != std::string::npos) return " (residual GAT layers are not supported)";
  if (key.find("lin_src") != std::string::npos || key.find("lin_dst") != std::string::npos)
    return " (bipartite GAT layers are not supported)";
  return "";
}

}  // namespace

GNNClassifierOptions pyg_classifier_options(const PygModelOptions& o) {
  const char* op = "pyg_classifier_options";
  GNNX_CHECK(o.in_channels() > 0 && o.hidden_channels() > 0 && o.num_layers() > 0 && o.num_classes() > 0, op,
             ": channels, layers and classes must be positive, got ", pyg_describe(o));
  // PyG's GAT splits hidden_channels over the heads in every layer but a lone one that outputs
  // the classes (node task, jk none).
  const bool gat_concat = o.conv() == ConvType::kGAT &&
                          !(o.num_layers() == 1 && o.task() == Task::kNode && o.jk() == PygJK::kNone);
  GNNX_CHECK(o.conv() != ConvType::kGAT || (o.heads() > 0 && (!gat_concat || o.hidden_channels() % o.heads() == 0)), op,
             ": a GAT's hidden_channels (", o.hidden_channels(), ") must be a multiple of heads (", o.heads(), ")");
  const bool jk = o.jk() != PygJK::kNone;
  return GNNClassifierOptions(o.in_channels(), o.num_classes())
      .task(o.task())
      .mode(o.mode())
      .conv(o.conv())
      .hidden_channels(o.hidden_channels())
      .num_layers(o.num_layers())
      .heads(o.heads())
      .readout(o.readout())
      .root_weight(true)
      .dropout(0.0)
      .concat(o.jk() == PygJK::kCat)
      .act_last(jk)  // BasicGNN activates the last layer's output only when it feeds jk
      .conv_to_out(o.task() == Task::kNode && !jk)
      .jk_lin(o.task() == Task::kGraph && jk)
      .pyg_self_loops(true);
}

GNNClassifier import_pyg_state_dict(const std::string& path, const PygModelOptions& options) {
  const char* op = "import_pyg_state_dict";
  const auto entries = io::load_tensor_dict(path);
  GNNClassifier model(pyg_classifier_options(options));
  std::map<std::string, at::Tensor> found;
  for (const auto& [key, value] : entries) found.emplace(key, value);

  // gnnx's tensors by PyG key, in the model's order.
  std::vector<std::pair<std::string, at::Tensor>> expected;
  for (const auto& p : model->named_parameters(/*recurse=*/true))
    expected.emplace_back(pyg_key_of(p.key(), options.task()), p.value());
  for (const auto& b : model->named_buffers(/*recurse=*/true))
    expected.emplace_back(pyg_key_of(b.key(), options.task()), b.value());

  std::vector<std::string> problems;
  std::set<std::string> known;
  for (const auto& [key, target] : expected) {
    known.insert(key);
    const auto it = found.find(key);
    if (it == found.end()) {
      problems.push_back("missing key \"" + key + "\" (expected shape " + pyg_shape_text(target.sizes()) + ")");
    } else if (it->second.sizes() != target.sizes()) {
      problems.push_back("key \"" + key + "\" has shape " + pyg_shape_text(it->second.sizes()) + ", expected " +
                         pyg_shape_text(target.sizes()));
    } else if (!it->second.is_floating_point()) {
      problems.push_back("key \"" + key + "\" holds " + std::string(c10::toString(it->second.scalar_type())) +
                         ", expected a floating-point tensor");
    }
  }
  for (const auto& [key, value] : entries)
    if (!known.count(key))
      problems.push_back("unexpected key \"" + key + "\" (shape " + pyg_shape_text(value.sizes()) + ")" +
                         pyg_unexpected_hint(key));
  if (!problems.empty()) {
    std::ostringstream msg;
    msg << op << ": \"" << path << "\" does not hold the parameters of a PyG " << pyg_describe(options) << ": ";
    for (size_t i = 0; i < problems.size(); ++i) msg << (i ? "; " : "") << problems[i];
    GNNX_CHECK(false, msg.str());
  }

  // The model takes the file's dtype (that of its first tensor).
  if (!entries.empty()) model->to(entries.front().second.scalar_type());
  {
    torch::NoGradGuard no_grad;
    // named_parameters / named_buffers after to(): the tensors `expected` holds may be stale.
    std::map<std::string, at::Tensor> targets;
    for (const auto& p : model->named_parameters(/*recurse=*/true))
      targets.emplace(pyg_key_of(p.key(), options.task()), p.value());
    for (const auto& b : model->named_buffers(/*recurse=*/true))
      targets.emplace(pyg_key_of(b.key(), options.task()), b.value());
    for (auto& [key, target] : targets) target.copy_(found.at(key));
  }
  model->eval();
  return model;
}

PygModelOptions infer_pyg_model_options(const std::string& path, Aggregation readout) {
  const char* op = "infer_pyg_model_options";
  const auto entries = io::load_tensor_dict(path);
  std::map<std::string, at::Tensor> keys;
  for (const auto& [key, value] : entries) keys.emplace(key, value);
  const bool graph_keys = std::any_of(keys.begin(), keys.end(),
                                      [](const auto& kv) { return pyg_starts_with(kv.first, "gnn.convs."); });
  const Task task = graph_keys ? Task::kGraph : Task::kNode;
  const std::string gnn = graph_keys ? "gnn." : "";
  auto has = [&](const std::string& k) { return keys.count(k) > 0; };
  auto shape = [&](const std::string& k) -> at::IntArrayRef {
    GNNX_CHECK(has(k), op, ": \"", path, "\" has no key \"", k, "\", which its other keys imply");
    return keys.at(k).sizes();
  };
  auto layer_key = [&](int64_t i, const char* rest) { return gnn + "convs." + std::to_string(i) + "." + rest; };

  int64_t L = 0;
  while (has(layer_key(L, "lin.weight")) || has(layer_key(L, "lin_rel.weight")) ||
         has(layer_key(L, "nn.lins.0.weight")) || has(layer_key(L, "lin_l.weight")))
    ++L;
  GNNX_CHECK(L > 0, op, ": \"", path, "\" has no \"", gnn,
             "convs.0.*\" layer of a supported type (GCN, GraphConv, GIN, GraphSAGE, GAT)");
  ConvType conv = ConvType::kGCN;
  if (has(layer_key(0, "att_src")))
    conv = ConvType::kGAT;
  else if (has(layer_key(0, "lin_rel.weight")))
    conv = ConvType::kGraphConv;
  else if (has(layer_key(0, "nn.lins.0.weight")))
    conv = ConvType::kGIN;
  else if (has(layer_key(0, "lin_l.weight")))
    conv = ConvType::kSAGE;

  // The input width, and the output width of layer i.
  const char* w0 = conv == ConvType::kGraphConv ? "lin_rel.weight"
                   : conv == ConvType::kGIN     ? "nn.lins.0.weight"
                   : conv == ConvType::kSAGE    ? "lin_l.weight"
                                                : "lin.weight";
  const int64_t in = shape(layer_key(0, w0))[1];
  const int64_t heads = conv == ConvType::kGAT ? shape(layer_key(0, "att_src"))[1] : 1;
  auto out_width = [&](int64_t i) -> int64_t {
    switch (conv) {
      case ConvType::kGIN: return shape(layer_key(i, "nn.lins.1.weight"))[0];
      // GAT: att_src [1, heads, C]; a concatenating layer outputs heads * C, the last one of a
      // jk=None node model (no lin) averages its heads: C.
      case ConvType::kGAT:
        return has(layer_key(i, "bias")) ? shape(layer_key(i, "bias"))[0] : shape(layer_key(i, "lin.weight"))[0];
      default: return shape(layer_key(i, w0))[0];
    }
  };
  const bool has_lin = has(gnn + "lin.weight");
  int64_t hidden = out_width(0);
  PygJK jk = PygJK::kNone;
  if (has_lin) {
    hidden = out_width(L - 1);
    jk = L > 1 && shape(gnn + "lin.weight")[1] == L * hidden ? PygJK::kCat : PygJK::kLast;
  } else if (task == Task::kNode && L == 1) {
    hidden = out_width(0);  // unused: the only layer outputs the classes
  }
  const int64_t classes = task == Task::kGraph || has_lin ? shape("lin.weight")[0] : out_width(L - 1);
  return PygModelOptions(in, hidden, L, classes).conv(conv).jk(jk).task(task).readout(readout).heads(heads);
}

}  // namespace gnnx::nn
