#include "gnnx/nn/models/gnn.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <sstream>

#include <unistd.h>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "core/error_text.h"
#include "gnnx/core/check.h"
#include "gnnx/nn/conv/gat_conv.h"
#include "gnnx/nn/conv/gcn_conv.h"
#include "gnnx/nn/conv/gin_conv.h"
#include "gnnx/nn/conv/graph_conv.h"
#include "gnnx/nn/conv/sage_conv.h"
#include "io/zip_check.h"

namespace gnnx::nn {

namespace {
// Checks forward_trimmed's model task and layout against x and edge_index; returns the number of
// explained rows.
int64_t check_trimmed(const GNNModel& model, const at::Tensor& x, const at::Tensor& edge_index,
                      const std::vector<int64_t>& nodes_per_hop, const std::vector<int64_t>& edges_per_hop) {
  const char* op = "GNNModel::forward_trimmed";
  GNNX_CHECK(model.task() == Task::kNode, op, ": only node classifiers run trimmed, this is a ",
             to_string(model.task()), " classifier");
  const int64_t L = model.trimmed_hops();
  GNNX_CHECK(L > 0, op, ": this model does not run trimmed (trimmed_hops() is 0)");
  GNNX_CHECK(x.defined() && x.dim() == 2, op, ": x must have shape [N, F], got ",
             x.defined() ? x.sizes() : at::IntArrayRef{});
  GNNX_CHECK(edge_index.defined() && edge_index.dim() == 2 && edge_index.size(0) == 2, op,
             ": edge_index must have shape [2, E], got ",
             edge_index.defined() ? edge_index.sizes() : at::IntArrayRef{});
  GNNX_CHECK(static_cast<int64_t>(nodes_per_hop.size()) == L && static_cast<int64_t>(edges_per_hop.size()) == L, op,
             ": expected ", L, " node and edge counts (one per hop below trimmed_hops), got ", nodes_per_hop.size(),
             " and ", edges_per_hop.size());
  for (int64_t d = 0; d < L; ++d) {
    const auto du = static_cast<size_t>(d);
    GNNX_CHECK(nodes_per_hop[du] >= (d == 0 ? 0 : nodes_per_hop[du - 1]) && nodes_per_hop[du] <= x.size(0) &&
                   edges_per_hop[du] >= (d == 0 ? 0 : edges_per_hop[du - 1]),
               op, ": nodes_per_hop and edges_per_hop must be non-decreasing prefix sizes within [0, ", x.size(0),
               "] nodes; hop ", d, " has ", nodes_per_hop[du], " nodes and ", edges_per_hop[du], " edges");
  }
  GNNX_CHECK(L > 0 && edges_per_hop.back() == edge_index.size(1), op,
             ": edges_per_hop must end at E = ", edge_index.size(1), ", got ", L > 0 ? edges_per_hop.back() : -1);
  return nodes_per_hop.front();
}
}  // namespace

at::Tensor GNNModel::forward_trimmed(const at::Tensor& x, const at::Tensor& edge_index, const at::Tensor& edge_weight,
                                     const std::vector<int64_t>& nodes_per_hop,
                                     const std::vector<int64_t>& edges_per_hop) {
  const int64_t n0 = check_trimmed(*this, x, edge_index, nodes_per_hop, edges_per_hop);
  return forward(x, edge_index, edge_weight).slice(0, 0, n0);
}

std::vector<Attention> GNNModel::attention(const at::Tensor&, const at::Tensor&, const at::Tensor&) { return {}; }

int64_t GNNModel::receptive_field() const {
  const auto layers = message_passing_layers();
  const int64_t L = num_hops();
  if (layers.empty() || static_cast<int64_t>(layers.size()) != L) return -1;
  int64_t hops = 0;
  for (int64_t i = 0; i < L; ++i) hops = std::max(hops, L - i + layers[static_cast<size_t>(i)]->extra_hops());
  return hops;
}

int64_t GNNModel::trimmed_hops() const {
  const auto layers = message_passing_layers();
  if (layers.empty() || static_cast<int64_t>(layers.size()) != num_hops()) return 0;
  for (const auto& l : layers)
    if (!l->in_edge_local()) return 0;
  return num_hops();
}

int64_t GNNClassifierImpl::trimmed_hops() const {
  if (options.conv() == ConvType::kGCN) return receptive_field();
  return GNNModel::trimmed_hops();
}

int64_t explained_output(const GNNModel& model, const at::Tensor& outputs, int64_t label, const std::string& op) {
  GNNX_CHECK(outputs.defined() && outputs.dim() == 1 && outputs.numel() > 0, op,
             ": expected the model's outputs [C] for one row, got ",
             outputs.defined() ? outputs.sizes() : c10::IntArrayRef{});
  const int64_t c = outputs.numel();
  const bool regression = model.mode() == Mode::kRegression;
  GNNX_CHECK(label >= -1 && label < c, op, ": ", regression ? "output " : "class ", label, " is not ",
             regression ? "an output" : "a class", " of the model's ", c, " (label in [0, ", c,
             "), or -1 for the model's own prediction)");
  if (label >= 0) return label;
  if (!regression) return outputs.argmax().item<int64_t>();
  GNNX_CHECK(c == 1, op, ": the regression model has ", c,
             " outputs; name the output to explain as the target's label (in [0, ", c, "))");
  return 0;
}

at::Tensor GNNModel::forward_links(const at::Tensor&, const at::Tensor&, const at::Tensor&, const at::Tensor&) {
  GNNX_CHECK(false, "GNNModel::forward_links: this model predicts ", to_string(task()),
             "s, not links; a link predictor (Task::kLink) overrides forward_links");
  return {};
}

void check_link_pairs(const std::string& op, const at::Tensor& pairs, int64_t num_nodes) {
  GNNX_CHECK(pairs.defined() && pairs.dim() == 2 && pairs.size(0) == 2 && pairs.scalar_type() == at::kLong, op,
             ": pairs must be int64 node pairs [2, P], got ", pairs.defined() ? pairs.sizes() : c10::IntArrayRef{},
             pairs.defined() ? std::string(" ") + c10::toString(pairs.scalar_type()) : std::string());
  if (pairs.numel() > 0) {
    const auto lo = pairs.min().item<int64_t>(), hi = pairs.max().item<int64_t>();
    GNNX_CHECK(lo >= 0 && hi < num_nodes, op, ": pairs hold node id ", lo < 0 ? lo : hi, " outside [0, ", num_nodes,
               ")");
  }
}

at::Tensor GNNModel::forward_graph(const Graph& g) {
  g.validate("GNNModel::forward_graph", /*allow_empty=*/false);
  GNNX_CHECK(g.has_features(), "GNNModel::forward_graph: the graph has no node features x");
  return forward(g.x, g.edge_index, g.edge_weight, {}, task() == Task::kGraph ? 1 : -1);
}

GNNClassifierImpl::GNNClassifierImpl(GNNClassifierOptions options_) : options(std::move(options_)) {
  GNNX_CHECK(options.in_channels() > 0, "GNNClassifier: in_channels must be positive, got ", options.in_channels());
  GNNX_CHECK(options.num_classes() > 0, "GNNClassifier: num_classes must be positive, got ", options.num_classes());
  GNNX_CHECK(options.hidden_channels() > 0, "GNNClassifier: hidden_channels must be positive, got ",
             options.hidden_channels());
  GNNX_CHECK(options.num_layers() > 0, "GNNClassifier: num_layers must be positive, got ", options.num_layers());
  GNNX_CHECK(options.dropout() >= 0 && options.dropout() < 1, "GNNClassifier: dropout must be in [0, 1), got ",
             options.dropout());
  // Concatenating GAT layers split hidden_channels over the heads; a lone conv_to_out layer does not.
  const bool gat_concat = options.conv() == ConvType::kGAT && !(options.conv_to_out() && options.num_layers() == 1);
  GNNX_CHECK(options.conv() != ConvType::kGAT ||
                 (options.heads() > 0 && (!gat_concat || options.hidden_channels() % options.heads() == 0)),
             "GNNClassifier: hidden_channels (", options.hidden_channels(), ") must be a multiple of heads (",
             options.heads(), ")");
  GNNX_CHECK(!options.conv_to_out() || (!options.concat() && !options.act_last() && !options.jk_lin()),
             "GNNClassifier: conv_to_out (the last layer outputs the logits) needs concat, act_last and jk_lin "
             "false, got concat = ",
             options.concat(), ", act_last = ", options.act_last(), ", jk_lin = ", options.jk_lin());
  GNNX_CHECK(options.head_hidden() >= 0, "GNNClassifier: head_hidden must be >= 0, got ", options.head_hidden());
  GNNX_CHECK(options.head_hidden() == 0 || !options.conv_to_out(),
             "GNNClassifier: head_hidden (", options.head_hidden(), ") needs a head, but conv_to_out has none");
  GNNX_CHECK(options.task() != Task::kLink || !options.conv_to_out(),
             "GNNClassifier: a link predictor decodes pairs with its head, but conv_to_out has none");
  reset();
}

void GNNClassifierImpl::reset() {
  convs_.clear();
  run_.clear();
  const int64_t H = options.hidden_channels();
  for (int64_t i = 0; i < options.num_layers(); ++i) {
    const int64_t in = i == 0 ? options.in_channels() : H;
    const bool to_out = options.conv_to_out() && i + 1 == options.num_layers();
    const int64_t out = to_out ? options.num_classes() : H;
    const std::string nm = "conv" + std::to_string(i);
    switch (options.conv()) {
      case ConvType::kGCN: {
        auto c = register_module(nm, GCNConv(GCNConvOptions(in, out).remaining_self_loops(options.pyg_self_loops())));
        convs_.push_back(c);
        run_.emplace_back([c](const at::Tensor& x, const at::Tensor& ei, const at::Tensor& ew, Attention*) {
          return c->forward(x, ei, ew);
        });
        break;
      }
      case ConvType::kGraphConv: {
        auto c = register_module(nm, GraphConv(GraphConvOptions(in, out).root_weight(options.root_weight())));
        convs_.push_back(c);
        run_.emplace_back([c](const at::Tensor& x, const at::Tensor& ei, const at::Tensor& ew, Attention*) {
          return c->forward(x, ei, ew);
        });
        break;
      }
      case ConvType::kGIN: {
        auto c = register_module(nm, GINConv(GINConvOptions(in, out)));
        convs_.push_back(c);
        run_.emplace_back([c](const at::Tensor& x, const at::Tensor& ei, const at::Tensor& ew, Attention*) {
          return c->forward(x, ei, ew);
        });
        break;
      }
      case ConvType::kSAGE: {
        auto c = register_module(nm, SAGEConv(SAGEConvOptions(in, out).root_weight(options.root_weight())));
        convs_.push_back(c);
        run_.emplace_back([c](const at::Tensor& x, const at::Tensor& ei, const at::Tensor& ew, Attention*) {
          return c->forward(x, ei, ew);
        });
        break;
      }
      case ConvType::kGAT: {
        // A last layer that outputs the logits averages its heads, each num_classes wide.
        auto c = register_module(nm, GATConv(GATConvOptions(in, to_out ? out : H / options.heads())
                                                 .heads(options.heads())
                                                 .concat(!to_out)
                                                 .replace_self_loops(options.pyg_self_loops())));
        convs_.push_back(c);
        run_.emplace_back([c](const at::Tensor& x, const at::Tensor& ei, const at::Tensor& ew, Attention* att) {
          if (!att) return c->forward(x, ei, ew);
          auto r = c->forward_with_attention(x, ei, ew);
          *att = std::move(r.attention);
          return r.out;
        });
        break;
      }
    }
  }
  head = nullptr;
  jk_lin = nullptr;
  head_mlp = nullptr;
  if (options.conv_to_out()) return;
  const int64_t rep = options.concat() ? H * options.num_layers() : H;
  if (options.jk_lin()) jk_lin = register_module("jk_lin", torch::nn::Linear(rep, H));
  int64_t head_in = options.jk_lin() ? H : rep;
  if (options.head_hidden() > 0) {
    head_mlp = register_module("head_mlp", torch::nn::Linear(head_in, options.head_hidden()));
    head_in = options.head_hidden();
  }
  head = register_module("head", torch::nn::Linear(head_in, options.num_classes()));
}

at::Tensor GNNClassifierImpl::layer(size_t i, const at::Tensor& h, const at::Tensor& edge_index,
                                    const at::Tensor& edge_weight, Attention* attention) {
  return finish_layer(i, run_[i](h, edge_index, edge_weight, attention));
}

at::Tensor GNNClassifierImpl::finish_layer(size_t i, at::Tensor out) {
  if (options.normalize_embedding())
    out = torch::nn::functional::normalize(out, torch::nn::functional::NormalizeFuncOptions().p(2).dim(1));
  const bool last = i + 1 == run_.size();
  if (!last || options.act_last()) out = torch::relu(out);
  if (options.dropout() > 0) out = torch::dropout(out, options.dropout(), is_training());
  return out;
}

std::vector<at::Tensor> GNNClassifierImpl::embeddings(const at::Tensor& x, const at::Tensor& edge_index,
                                                      const at::Tensor& edge_weight) {
  return run_layers(x, edge_index, edge_weight, nullptr);
}

std::vector<Attention> GNNClassifierImpl::attention(const at::Tensor& x, const at::Tensor& edge_index,
                                                    const at::Tensor& edge_weight) {
  std::vector<Attention> out;
  if (options.conv() == ConvType::kGAT) run_layers(x, edge_index, edge_weight, &out);
  return out;
}

std::vector<at::Tensor> GNNClassifierImpl::run_layers(const at::Tensor& x, const at::Tensor& edge_index,
                                                      const at::Tensor& edge_weight,
                                                      std::vector<Attention>* attention) {
  GNNX_CHECK(x.defined() && x.dim() == 2 && x.size(1) == options.in_channels(), "GNNClassifier: x must have shape [N, ",
             options.in_channels(), "], got ", x.defined() ? x.sizes() : at::IntArrayRef{});
  GNNX_CHECK(edge_index.defined() && edge_index.dim() == 2 && edge_index.size(0) == 2 &&
                 edge_index.scalar_type() == at::kLong,
             "GNNClassifier: edge_index must be int64 of shape [2, E], got ",
             edge_index.defined() ? edge_index.sizes() : at::IntArrayRef{});
  std::vector<at::Tensor> out;
  auto h = x;
  for (size_t i = 0; i < run_.size(); ++i) {
    Attention a;
    h = layer(i, h, edge_index, edge_weight, attention ? &a : nullptr);
    out.push_back(h);
    if (attention && a.alpha.defined()) attention->push_back(std::move(a));
  }
  return out;
}

at::Tensor GNNClassifierImpl::node_representation(const std::vector<at::Tensor>& emb) const {
  GNNX_CHECK(!emb.empty(), "GNNClassifier::node_representation: no embeddings given");
  return options.concat() ? torch::cat(emb, 1) : emb.back();
}

at::Tensor GNNClassifierImpl::forward(const at::Tensor& x, const at::Tensor& edge_index, const at::Tensor& edge_weight,
                                      const at::Tensor& batch, int64_t num_graphs) {
  return classify(node_representation(embeddings(x, edge_index, edge_weight)), batch, num_graphs, x.size(0),
                  edge_index);
}

at::Tensor GNNClassifierImpl::classify(const at::Tensor& node_rep, const at::Tensor& batch, int64_t num_graphs,
                                       int64_t N, const at::Tensor& edge_index) {
  auto rep = jk_lin ? jk_lin(node_rep) : node_rep;
  if (options.task() == Task::kLink) return rep;  // the decoder's input: forward_links
  if (options.task() == Task::kNode) return apply_head(rep);
  at::Tensor b = batch;
  if (!b.defined()) {
    b = torch::zeros({N}, edge_index.options());
    if (num_graphs < 0) num_graphs = 1;
  }
  GNNX_CHECK(b.dim() == 1 && b.size(0) == N && b.scalar_type() == at::kLong,
             "GNNClassifier: batch must be int64 of shape [", N, "], got ", b.sizes());
  if (num_graphs < 0) num_graphs = N > 0 ? b.max().item<int64_t>() + 1 : 0;
  return apply_head(scatter(rep, b, num_graphs, options.readout()));
}

at::Tensor GNNClassifierImpl::apply_head(const at::Tensor& rep) {
  // One linear layer, or a hidden layer with ReLU before it (head_mlp).
  if (!head) return rep;
  return head(head_mlp ? torch::relu(head_mlp(rep)) : rep);
}

at::Tensor GNNClassifierImpl::forward_links(const at::Tensor& x, const at::Tensor& edge_index,
                                            const at::Tensor& edge_weight, const at::Tensor& pairs) {
  GNNX_CHECK(options.task() == Task::kLink, "GNNClassifier::forward_links: the model predicts ", to_string(task()),
             "s, not links (build it with Task::kLink)");
  check_link_pairs("GNNClassifier::forward_links", pairs, x.defined() ? x.size(0) : 0);
  const auto z = forward(x, edge_index, edge_weight);
  return apply_head(z.index_select(0, pairs[0]) * z.index_select(0, pairs[1]));
}

at::Tensor GNNClassifierImpl::forward_trimmed(const at::Tensor& x, const at::Tensor& edge_index,
                                              const at::Tensor& edge_weight, const std::vector<int64_t>& nodes_per_hop,
                                              const std::vector<int64_t>& edges_per_hop) {
  const int64_t n0 = check_trimmed(*this, x, edge_index, nodes_per_hop, edges_per_hop);
  GNNX_CHECK(!edge_weight.defined() || (edge_weight.dim() == 1 && edge_weight.size(0) == edge_index.size(1)),
             "GNNModel::forward_trimmed: edge_weight must have shape [", edge_index.size(1), "], got ",
             edge_weight.sizes());
  const auto mask = active_edge_mask();
  GNNX_CHECK(!mask.defined() || mask.size(0) == edge_index.size(1),
             "GNNModel::forward_trimmed: the active edge mask has ", mask.defined() ? mask.size(0) : 0, " entries for ",
             edge_index.size(1), " edges");
  const auto L = static_cast<int64_t>(run_.size());
  const bool gcn = options.conv() == ConvType::kGCN;
  const auto K = nodes_per_hop.size();
  std::vector<at::Tensor> emb;
  auto h = x;
  for (int64_t i = 0; i < L; ++i) {
    // Layer i's output is read within d = L - 1 - i hops, its input within d + 1.
    const auto d = static_cast<size_t>(L - 1 - i);
    if (i > 0) h = h.slice(0, 0, nodes_per_hop[d + 1]);
    const int64_t e = edges_per_hop[d];
    if (gcn) {
      // Degrees of the input rows: every edge into the nodes within d + 1 hops.
      const int64_t ed = d + 1 < K ? edges_per_hop[d + 1] : edge_index.size(1);
      std::unique_ptr<EdgeMaskScope> scope;
      if (mask.defined()) scope = std::make_unique<EdgeMaskScope>(mask.slice(0, 0, ed));
      auto conv = std::static_pointer_cast<GCNConvImpl>(convs_[static_cast<size_t>(i)]);
      h = finish_layer(static_cast<size_t>(i),
                       conv->forward_prefix(h, edge_index.slice(1, 0, ed),
                                            edge_weight.defined() ? edge_weight.slice(0, 0, ed) : edge_weight, e));
      emb.push_back(h.slice(0, 0, n0));
      continue;
    }
    std::unique_ptr<EdgeMaskScope> scope;
    if (mask.defined()) scope = std::make_unique<EdgeMaskScope>(mask.slice(0, 0, e));
    h = layer(static_cast<size_t>(i), h, edge_index.slice(1, 0, e),
              edge_weight.defined() ? edge_weight.slice(0, 0, e) : edge_weight);
    emb.push_back(h.slice(0, 0, n0));
  }
  return classify(node_representation(emb), {}, -1, n0, edge_index);
}

namespace {
// "gnnx.GnnClassifier" tags the file format, not the C++ type: files keep it. Version 2 adds
// conv_to_out, jk_lin and pyg_self_loops; a version-1 file lacks them and means false. Version 3
// adds head_hidden (0 when absent), version 4 mode (classification when absent).
constexpr int kGnnClassifierFormatVersion = 4;

nlohmann::json options_to_json(const GNNClassifierOptions& o) {
  return {{"format", "gnnx.GnnClassifier"},
          {"version", kGnnClassifierFormatVersion},
          {"in_channels", o.in_channels()},
          {"num_classes", o.num_classes()},
          {"task", to_string(o.task())},
          {"mode", to_string(o.mode())},
          {"conv", to_string(o.conv())},
          {"hidden_channels", o.hidden_channels()},
          {"num_layers", o.num_layers()},
          {"concat", o.concat()},
          {"root_weight", o.root_weight()},
          {"normalize_embedding", o.normalize_embedding()},
          {"act_last", o.act_last()},
          {"readout", to_string(o.readout())},
          {"dropout", o.dropout()},
          {"heads", o.heads()},
          {"conv_to_out", o.conv_to_out()},
          {"jk_lin", o.jk_lin()},
          {"pyg_self_loops", o.pyg_self_loops()},
          {"head_hidden", o.head_hidden()}};
}

GNNClassifierOptions options_from_json(const nlohmann::json& j, const std::string& path) {
  try {
    GNNX_CHECK(j.at("format").get<std::string>() == "gnnx.GnnClassifier", "load_gnn_classifier: ", path,
               " is not a gnnx GNNClassifier (format = ", j.at("format"), ")");
    const int version = j.value("version", 1);
    GNNX_CHECK(version >= 1 && version <= kGnnClassifierFormatVersion, "load_gnn_classifier: ", path,
               " has model format version ", version, "; this gnnx reads versions 1 to ", kGnnClassifierFormatVersion);
    return GNNClassifierOptions(j.at("in_channels").get<int64_t>(), j.at("num_classes").get<int64_t>())
        .task(gnnx::from_name<gnnx::nn::Task>(j.at("task").get<std::string>()))
        .mode(gnnx::from_name<gnnx::nn::Mode>(j.value("mode", std::string("classification"))))
        .conv(gnnx::from_name<gnnx::nn::ConvType>(j.at("conv").get<std::string>()))
        .hidden_channels(j.at("hidden_channels").get<int64_t>())
        .num_layers(j.at("num_layers").get<int64_t>())
        .concat(j.at("concat").get<bool>())
        .root_weight(j.value("root_weight", true))
        .normalize_embedding(j.value("normalize_embedding", false))
        .act_last(j.at("act_last").get<bool>())
        .readout(gnnx::from_name<gnnx::nn::Aggregation>(j.at("readout").get<std::string>()))
        .dropout(j.at("dropout").get<double>())
        .heads(j.at("heads").get<int64_t>())
        .conv_to_out(j.value("conv_to_out", false))
        .jk_lin(j.value("jk_lin", false))
        .pyg_self_loops(j.value("pyg_self_loops", false))
        .head_hidden(j.value("head_hidden", int64_t{0}));
  } catch (const nlohmann::json::exception& e) {
    GNNX_CHECK(false, "load_gnn_classifier: ", path, " has malformed model options (", e.what(), ")");
  }
  return GNNClassifierOptions(1, 1);
}
}  // namespace

void save_gnn_classifier(GNNClassifier& model, const std::string& path) {
  GNNX_CHECK(!path.empty(), "save_gnn_classifier: empty path");
  torch::serialize::OutputArchive archive;
  model->save(archive);
  archive.write("gnnx_options", c10::IValue(options_to_json(model->options).dump()));
  const std::string tmp = path + ".tmp" + std::to_string(::getpid());
  try {
    archive.save_to(tmp);
  } catch (const c10::Error& e) {
    std::remove(tmp.c_str());
    GNNX_CHECK(false, "save_gnn_classifier: cannot write ", path, " (", e.what_without_backtrace(), ")");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::remove(tmp.c_str());
    GNNX_CHECK(false, "save_gnn_classifier: cannot write ", path, " (", ec.message(), ")");
  }
}

GNNClassifier load_gnn_classifier(const std::string& path) {
  GNNX_CHECK(std::filesystem::is_regular_file(path), "load_gnn_classifier: no such file: ", path);
  io::check_zip_file_crc(path, "load_gnn_classifier");
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path);
  } catch (const std::exception& e) {  // c10::Error, or torch::jit::ErrorReport from a corrupt archive
    GNNX_CHECK(false, "load_gnn_classifier: ", path, " is not a readable model file (",
               gnnx::detail::message_line(e.what()), ")");
  }
  c10::IValue opts;
  GNNX_CHECK(archive.try_read("gnnx_options", opts) && opts.isString(), "load_gnn_classifier: ", path,
             " has no gnnx model options (was it written by save_gnn_classifier?)");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(opts.toStringRef());
  } catch (const nlohmann::json::exception& e) {
    GNNX_CHECK(false, "load_gnn_classifier: ", path, " has malformed model options (", e.what(), ")");
  }
  GNNClassifier model(options_from_json(j, path));
  try {
    // Module::load copies into the existing parameters with Tensor::set_, which does not convert
    // dtypes: build the model in the saved dtype first (a double model otherwise loads garbage).
    // The probe is the model's first parameter, read through the archive's nested modules.
    const auto params = model->named_parameters(/*recurse=*/true);
    if (params.size() > 0) {
      std::vector<std::string> parts;
      std::stringstream key(params.begin()->key());
      for (std::string part; std::getline(key, part, '.');) parts.push_back(part);
      std::vector<torch::serialize::InputArchive> chain;  // the nested modules' archives
      bool found = true;
      for (size_t p = 0; found && p + 1 < parts.size(); ++p) {
        torch::serialize::InputArchive child;
        found = (chain.empty() ? archive : chain.back()).try_read(parts[p], child);
        chain.push_back(std::move(child));
      }
      at::Tensor probe;
      if (found && (chain.empty() ? archive : chain.back()).try_read(parts.back(), probe) && probe.defined())
        model->to(probe.scalar_type());
    }
    model->load(archive);
  } catch (const c10::Error& e) {
    GNNX_CHECK(false, "load_gnn_classifier: ", path, " does not hold the parameters its options describe (",
               e.what_without_backtrace(), ")");
  }
  model->eval();
  return model;
}

}  // namespace gnnx::nn
