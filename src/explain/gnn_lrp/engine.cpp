// GNN-LRP's propagation engine: the modified forward and head, target resolution, and the prepared backward.
#include "explain/gnn_lrp/engine.h"

#include <torch/torch.h>

#include "gnnx/core/check.h"
#include "gnnx/nn/functional/scatter.h"

namespace gnnx::explain::gnn_lrp_detail {

at::Tensor order_key(const at::Tensor& r, WalkOrder order) {
  switch (order) {
    case WalkOrder::kAbsolute: return r.abs();
    case WalkOrder::kPositive: return r;
    case WalkOrder::kNegative: return -r;
  }
  return r;
}

nn::GNNClassifierImpl* classifier_of(nn::GNNModel& model) {
  auto* out = dynamic_cast<nn::GNNClassifierImpl*>(&model);
  GNNX_CHECK(out != nullptr,
             "GNNLRP: supports gnnx::nn::GNNClassifier models (its head and layer weights are read); got ",
             model.name());
  return out;
}

double count_walks_prepared(const Prepared& P, bool graph_task) {
  auto n = torch::zeros({P.N}, torch::TensorOptions().dtype(torch::kDouble).device(P.x.device()));
  if (graph_task) {
    n.fill_(1.0);
  } else {
    n[P.target.index] = 1.0;
  }
  for (int64_t l = P.L; l >= 1; --l) {
    const auto& tr = P.trans[static_cast<size_t>(l - 1)];
    n = torch::zeros_like(n).index_add(0, tr.src, n.index_select(0, tr.dst));
  }
  return n.sum().item<double>();
}

Engine::Engine(nn::GNNClassifierImpl* model, const GNNLRPOptions& options, const Graph& graph)
    : model_(model),
      layer_rule_(RuleTransform::from(options.layer_rule(), "layer")),
      head_rule_(RuleTransform::from(options.head_rule(), "head")),
      graph_(graph) {
  graph.validate("GNNLRP", /*allow_empty=*/false);
  GNNX_CHECK(model->task() != nn::Task::kLink,
             "GNNLRP: link predictors are not covered (the relevance of walks ends at one node's output); explain them "
             "with gnnexplainer, pgexplainer or a gradient method");
  GNNX_CHECK(graph.has_features(), "GNNLRP: the graph has no node features x");
  GNNX_CHECK(graph.x.size(1) == model->in_channels(), "GNNLRP: the model takes ", model->in_channels(),
             " input features, the graph has ", graph.x.size(1));
  const auto& o = model->options;
  GNNX_CHECK(model->head && !model->jk_lin && !model->head_mlp,
             "GNNLRP: needs a GNNClassifier with a linear head on the node representation; this one has ",
             !model->head ? "no head (conv_to_out)"
             : model->jk_lin ? "a jk_lin layer before its head"
                             : "a hidden head layer (head_hidden)");
  GNNX_CHECK(!o.pyg_self_loops() || !(graph.edge_index[0] == graph.edge_index[1]).any().item<bool>(),
             "GNNLRP: the model treats input self loops as PyG does (pyg_self_loops), which its GCN and GAT ",
             "rules do not; remove the graph's self loops");
  const auto convs = model->message_passing_layers();
  for (size_t l = 0; l < convs.size(); ++l) {
    const bool last = l + 1 == convs.size();
    layers_.push_back(
        make_lrp_layer(convs[l], !last || o.act_last(), o.normalize_embedding(), layer_rule_, static_cast<int64_t>(l)));
  }
  torch::NoGradGuard no_grad;
  head_w_ = head_rule_.weight(model->head->weight).detach().clone();
  if (model->head->bias.defined()) head_b_ = head_rule_.bias(model->head->bias).detach().clone();
}

std::vector<at::Tensor> Engine::forward(const at::Tensor& x, std::vector<LayerMaps>* maps,
                                        const LayerMask& mask) const {
  std::vector<at::Tensor> hs;
  auto h = x;
  if (maps) maps->assign(layers_.size(), LayerMaps{});
  for (size_t l = 0; l < layers_.size(); ++l) {
    h = layers_[l]->forward(h, graph_.edge_index, graph_.edge_weight, layer_rule_.epsilon(),
                            maps ? &(*maps)[l] : nullptr);
    if (mask) h = mask(static_cast<int64_t>(l) + 1, h);
    hs.push_back(h);
  }
  return hs;
}

at::Tensor Engine::representation(const std::vector<at::Tensor>& hs) const {
  return model_->options.concat() ? torch::cat(hs, 1) : hs.back();
}

at::Tensor Engine::head(const at::Tensor& rep) const {
  at::Tensor in = rep;
  if (graph_task()) {
    auto batch = torch::zeros({rep.size(0)}, graph_.edge_index.options());
    in = nn::scatter(rep, batch, 1, model_->options.readout());
  }
  at::Tensor a;
  {
    torch::NoGradGuard no_grad;
    a = model_->head->forward(in.detach());
  }
  auto p = head_b_.defined() ? torch::nn::functional::linear(in, head_w_, head_b_)
                             : torch::nn::functional::linear(in, head_w_);
  return attribution::lrp_detach_trick(p, a, head_rule_.epsilon());
}

Target Engine::resolve(const Target& target, const at::Tensor& logits) const {
  Target t = target;
  if (graph_task()) {
    GNNX_CHECK(t.kind == Target::Kind::kGraph, "GNNLRP: the model classifies graphs; expected a graph target, got ",
               gnnx::to_string(t));
    GNNX_CHECK(t.index == 0, "GNNLRP: explains one graph at a time; expected graph index 0, got ", t.index);
  } else {
    GNNX_CHECK(t.kind == Target::Kind::kNode, "GNNLRP: the model classifies nodes; expected a node target, got ",
               gnnx::to_string(t));
    GNNX_CHECK(t.index >= 0 && t.index < graph_.num_nodes, "GNNLRP: node id ", t.index, " outside [0, ",
               graph_.num_nodes, ")");
  }
  const int64_t C = model_->num_classes();
  if (t.label < 0) {
    GNNX_CHECK(t.label == -1, "GNNLRP: label must be -1 (predicted) or in [0, ", C, "), got ", t.label);
    t.label = nn::explained_output(*model_, logits[row_of(t)], -1, "GNNLRP");
  }
  GNNX_CHECK(t.label < C, "GNNLRP: label ", t.label, " outside [0, ", C, ")");
  return t;
}

Target Engine::resolve_only(const Target& target) const {
  torch::NoGradGuard no_grad;
  auto hs = forward(graph_.x, nullptr);
  return resolve(target, head(representation(hs)));
}

Prepared Engine::prepare(const Target& target) const {
  Prepared P;
  P.L = L();
  P.N = graph_.num_nodes;
  auto x = graph_.x.detach().clone().requires_grad_(true);
  auto hs = forward(x, &P.maps);
  auto rep = representation(hs);
  auto rep_leaf = rep.detach().requires_grad_(true);
  auto y = head(rep_leaf);
  P.target = resolve(target, y.detach());
  auto f = y[row_of(P.target)][P.target.label];
  P.output = f.item<double>();
  auto g_rep = torch::autograd::grad({f}, {rep_leaf})[0];
  P.input_grad = torch::autograd::grad({rep}, {x}, {g_rep}, /*retain_graph=*/false, /*create_graph=*/false,
                                       /*allow_unused=*/true)[0];
  if (!P.input_grad.defined()) P.input_grad = torch::zeros_like(x);
  P.input_grad = P.input_grad.detach();
  const auto gd = g_rep.to(torch::kDouble);
  int64_t off = 0;
  for (int64_t l = 0; l < P.L; ++l) {
    const int64_t H = hs[static_cast<size_t>(l)].size(1);
    if (model_->options.concat()) {
      P.g.push_back(gd.narrow(1, off, H).contiguous());
      off += H;
    } else {
      P.g.push_back(l + 1 == P.L ? gd : torch::zeros({P.N, H}, gd.options()));
    }
  }
  for (int64_t l = 0; l < P.L; ++l) {
    P.trans.push_back(build_transitions(layers_[static_cast<size_t>(l)]->coefficients(graph_), graph_.num_nodes));
    auto& maps = P.maps[static_cast<size_t>(l)];
    for (auto& s : maps.steps) {
      s.ratio = s.ratio.to(torch::kDouble).contiguous();
      s.weight = s.weight.to(torch::kDouble).contiguous();
    }
    if (maps.has_root()) maps.root_weight = maps.root_weight.to(torch::kDouble).contiguous();
    if (layer_rule_.needs_nonnegative_coefficients())
      GNNX_CHECK((P.trans.back().ca >= 0).all().item<bool>(), "GNNLRP: the gamma rule needs non-negative aggregation ",
                 "coefficients (edge weights >= 0, GIN eps >= -1); layer ", l, " has a negative one");
  }
  P.x = graph_.x.detach().to(torch::kDouble);
  return P;
}

}  // namespace gnnx::explain::gnn_lrp_detail
