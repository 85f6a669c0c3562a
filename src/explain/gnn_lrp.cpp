#include "gnnx/explain/gnn_lrp.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <limits>
#include <queue>
#include <unordered_map>

#include <torch/torch.h>

#include "gnnx/core/check.h"
#include "gnnx/graph/ops.h"
#include "gnnx/nn/conv/gcn_conv.h"
#include "gnnx/nn/conv/gin_conv.h"
#include "gnnx/nn/conv/graph_conv.h"
#include "gnnx/nn/functional/scatter.h"

namespace gnnx::explain {

namespace {

using attribution::LrpRule;
using attribution::LrpRuleKind;
using attribution::ParamTransform;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

enum class LayerKind { kGCN, kGIN, kGraphConv };

ParamTransform transform_of(const LrpRule& r) {
  return r.kind == LrpRuleKind::kGamma ? ParamTransform::gamma(r.gamma) : ParamTransform::identity();
}

void check_gnn_rule(const LrpRule& r, const char* which) {
  r.validate("GNNLRP");
  GNNX_CHECK(r.kind == LrpRuleKind::kEpsilon || r.kind == LrpRuleKind::kGamma, "GNNLRP: the ", which,
             " rule must be epsilon or gamma (a walk decomposition needs a rule that is one parameter transform), got ",
             attribution::to_string(r.kind));
}

void freeze(torch::nn::Module& m) {
  for (auto& p : m.parameters()) p.set_requires_grad(false);
}

// The key a walk is ranked by (larger first).
double order_key(double r, WalkOrder o) {
  switch (o) {
    case WalkOrder::kAbsolute: return std::abs(r);
    case WalkOrder::kPositive: return r;
    case WalkOrder::kNegative: return -r;
  }
  return r;
}

at::Tensor order_key(const at::Tensor& r, WalkOrder o) {
  switch (o) {
    case WalkOrder::kAbsolute: return r.abs();
    case WalkOrder::kPositive: return r;
    case WalkOrder::kNegative: return -r;
  }
  return r;
}

// One affine step y = act(W x + b) inside a layer's per-node map, as the rule sees it:
// ratio = act(z) / stab(p) per node and the transformed weight W' [out, in].
struct Step {
  at::Tensor ratio;   // [N, out]
  at::Tensor weight;  // [out, in]
};

struct LayerRecord {
  std::vector<Step> steps;  // in forward order; GraphConv: one step holding W_rel'
  at::Tensor root_weight;   // GraphConv W_root' [out, in]
};

// Transitions of one layer grouped by target: slots ptr[i] .. ptr[i+1] of target i hold the
// sources src[s] with aggregation coefficient ca[s] (for the main / W_rel matrix) and cb[s]
// (W_root, GraphConv's self slot only). Every node has a self slot (i, i).
struct Transitions {
  at::Tensor ptr, src, dst, ca, cb;  // int64 [N+1], int64 [T] x2, double [T] x2
};

// A message-passing layer and its rule-modified twin.
struct LrpLayer {
  LayerKind kind = LayerKind::kGCN;
  bool act = true;  // the classifier's ReLU follows
  bool normalize = false;  // the classifier L2-normalises the layer's output (before the ReLU)
  nn::GCNConv gcn{nullptr}, gcn_mod{nullptr};
  nn::GraphConv gc{nullptr}, gc_mod{nullptr};
  nn::GINConv gin{nullptr}, gin_agg{nullptr};
  std::vector<torch::nn::Linear> mlp;
  std::vector<bool> relu_after;
  std::vector<at::Tensor> mlp_w, mlp_b;  // transformed
  int64_t out_channels = 0;
};

LrpLayer make_layer(const std::shared_ptr<nn::MessagePassing>& m, bool act, bool normalize, const LrpRule& rule,
                    int64_t index) {
  LrpLayer L;
  L.act = act;
  L.normalize = normalize;
  const auto t = transform_of(rule);
  torch::NoGradGuard no_grad;
  if (auto c = std::dynamic_pointer_cast<nn::GCNConvImpl>(m)) {
    L.kind = LayerKind::kGCN;
    L.gcn = nn::GCNConv(c);
    auto mod = nn::GCNConv(c->options);
    mod->to(c->lin->weight.device(), c->lin->weight.scalar_type());
    mod->lin->weight.copy_(t.weight(c->lin->weight));
    if (c->bias.defined()) mod->bias.copy_(t.bias(c->bias));
    freeze(*mod);
    L.gcn_mod = mod;
    L.out_channels = c->options.out_channels();
  } else if (auto c = std::dynamic_pointer_cast<nn::GraphConvImpl>(m)) {
    GNNX_CHECK(c->options.aggr() != nn::Aggregation::kMax, "GNNLRP: layer ", index,
               " is a GraphConv with max aggregation, which has no walk decomposition; use sum or mean");
    L.kind = LayerKind::kGraphConv;
    L.gc = nn::GraphConv(c);
    auto mod = nn::GraphConv(c->options);
    mod->to(c->lin_rel->weight.device(), c->lin_rel->weight.scalar_type());
    mod->lin_rel->weight.copy_(t.weight(c->lin_rel->weight));
    if (c->lin_rel->bias.defined()) mod->lin_rel->bias.copy_(t.bias(c->lin_rel->bias));
    if (c->lin_root) mod->lin_root->weight.copy_(t.weight(c->lin_root->weight));
    freeze(*mod);
    L.gc_mod = mod;
    L.out_channels = c->options.out_channels();
  } else if (auto c = std::dynamic_pointer_cast<nn::GINConvImpl>(m)) {
    L.kind = LayerKind::kGIN;
    L.gin = nn::GINConv(c);
    // The aggregation (1 + eps) x_i + Σ w_ji x_j, by the layer's own code with an identity MLP.
    auto agg = nn::GINConv(c->options);
    agg->to(c->eps.device(), c->eps.scalar_type());
    agg->mlp = torch::nn::Sequential(torch::nn::Identity());
    agg->eps = c->eps.detach().clone();
    freeze(*agg);
    L.gin_agg = agg;
    const auto n = c->mlp->size();
    for (size_t k = 0; k < n; ++k) {
      auto mod = c->mlp->ptr(k);
      if (auto lin = std::dynamic_pointer_cast<torch::nn::LinearImpl>(mod)) {
        L.mlp.emplace_back(lin);
        L.relu_after.push_back(false);
        L.mlp_w.push_back(t.weight(lin->weight).detach().clone());
        L.mlp_b.push_back(lin->bias.defined() ? t.bias(lin->bias).detach().clone() : at::Tensor());
      } else if (std::dynamic_pointer_cast<torch::nn::ReLUImpl>(mod)) {
        GNNX_CHECK(!L.mlp.empty(), "GNNLRP: layer ", index, " (GINConv) has an MLP that starts with ReLU");
        L.relu_after.back() = true;
      } else {
        GNNX_CHECK(std::dynamic_pointer_cast<torch::nn::IdentityImpl>(mod), "GNNLRP: layer ", index,
                   " (GINConv) has an MLP module ", mod->name(), "; supported: Linear, ReLU, Identity");
      }
    }
    GNNX_CHECK(!L.mlp.empty(), "GNNLRP: layer ", index, " (GINConv) has no Linear in its MLP");
    L.out_channels = c->options.out_channels();
  } else {
    GNNX_CHECK(false, "GNNLRP: unsupported layer type ", m->name(), " (layer ", index,
               "); GNN-LRP supports GCNConv, GINConv and GraphConv");
  }
  return L;
}

at::Tensor maybe_relu(const at::Tensor& z, bool act) { return act ? torch::relu(z) : z; }

// The classifier's per-node L2 normalisation. LRP treats 1 / ||z_i|| as a constant of node i (as
// for LayerNorm in Ali et al. 2022), so it enters the walk relevance only through the ratio
// act(z / ||z||) / p of the step it follows.
at::Tensor maybe_normalize(const at::Tensor& z, bool normalize) {
  return normalize ? torch::nn::functional::normalize(z, torch::nn::functional::NormalizeFuncOptions().p(2).dim(1)) : z;
}

// The rule-modified forward of one layer: value act(layer(h)), gradient the rule's.
at::Tensor lrp_layer_forward(const LrpLayer& L, const at::Tensor& h, const at::Tensor& ei, const at::Tensor& ew,
                             double eps, LayerRecord* rec) {
  const auto hv = h.detach();
  switch (L.kind) {
    case LayerKind::kGCN:
    case LayerKind::kGraphConv: {
      at::Tensor a;
      {
        torch::NoGradGuard no_grad;
        a = maybe_relu(maybe_normalize(L.kind == LayerKind::kGCN ? L.gcn.ptr()->forward(hv, ei, ew) : L.gc.ptr()->forward(hv, ei, ew),
                                       L.normalize),
                       L.act);
      }
      auto p = L.kind == LayerKind::kGCN ? L.gcn_mod.ptr()->forward(h, ei, ew) : L.gc_mod.ptr()->forward(h, ei, ew);
      if (rec) {
        rec->steps.clear();
        auto ratio = attribution::lrp_ratio(a, p.detach(), eps);
        if (L.kind == LayerKind::kGCN) {
          rec->steps.push_back({ratio, L.gcn_mod->lin->weight.detach()});
        } else {
          rec->steps.push_back({ratio, L.gc_mod->lin_rel->weight.detach()});
          rec->root_weight = L.gc_mod->lin_root ? L.gc_mod->lin_root->weight.detach()
                                                : torch::zeros_like(L.gc_mod->lin_rel->weight);
        }
      }
      return attribution::lrp_detach_trick(p, a, eps);
    }
    case LayerKind::kGIN: {
      auto cur = L.gin_agg.ptr()->forward(h, ei, ew);
      if (rec) rec->steps.clear();
      for (size_t k = 0; k < L.mlp.size(); ++k) {
        const bool last = k + 1 == L.mlp.size();
        at::Tensor a;
        {
          torch::NoGradGuard no_grad;
          a = maybe_relu(L.mlp[k].ptr()->forward(cur.detach()), L.relu_after[k]);
          if (last) a = maybe_relu(maybe_normalize(a, L.normalize), L.act);
        }
        auto p = L.mlp_b[k].defined() ? torch::nn::functional::linear(cur, L.mlp_w[k], L.mlp_b[k])
                                      : torch::nn::functional::linear(cur, L.mlp_w[k]);
        if (rec) rec->steps.push_back({attribution::lrp_ratio(a, p.detach(), eps), L.mlp_w[k]});
        cur = attribution::lrp_detach_trick(p, a, eps);
      }
      return cur;
    }
  }
  return h;
}

Transitions build_transitions(const LrpLayer& L, const Graph& g, int64_t index) {
  const int64_t N = g.num_nodes;
  const auto dopt = torch::TensorOptions().dtype(torch::kDouble).device(g.edge_index.device());
  auto src = g.edge_index[0], dst = g.edge_index[1];
  const int64_t E = src.size(0);
  auto w = g.edge_weight.defined() ? g.edge_weight.to(torch::kDouble) : torch::ones({E}, dopt);
  auto ar = torch::arange(N, g.edge_index.options());
  at::Tensor cb_self = torch::zeros({N}, dopt);
  switch (L.kind) {
    case LayerKind::kGCN: {
      const auto& o = L.gcn->options;
      if (o.add_self_loops()) {
        src = torch::cat({src, ar});
        dst = torch::cat({dst, ar});
        w = torch::cat({w, torch::ones({N}, dopt)});
      }
      if (o.normalize()) {
        auto deg = torch::zeros({N}, dopt).index_add(0, dst, w);
        auto dinv = torch::where(deg > 0, deg.pow(-0.5), torch::zeros_like(deg));
        w = dinv.index_select(0, src) * w * dinv.index_select(0, dst);
      }
      break;
    }
    case LayerKind::kGIN: {
      const double one_plus_eps = 1.0 + L.gin->eps.item<double>();
      src = torch::cat({src, ar});
      dst = torch::cat({dst, ar});
      w = torch::cat({w, torch::full({N}, one_plus_eps, dopt)});
      break;
    }
    case LayerKind::kGraphConv: {
      if (L.gc->options.aggr() == nn::Aggregation::kMean) {
        auto cnt = torch::zeros({N}, dopt).index_add(0, dst, torch::ones({E}, dopt));
        w = w / cnt.index_select(0, dst);
      }
      cb_self = torch::ones({N}, dopt);
      break;
    }
  }
  // Every node gets a self slot, so the padded walks of a concatenation head always exist.
  src = torch::cat({src, ar});
  dst = torch::cat({dst, ar});
  auto ca_all = torch::cat({w, torch::zeros({N}, dopt)});
  auto cb_all = torch::cat({torch::zeros({w.size(0)}, dopt), cb_self});
  auto key = dst * N + src;
  auto uniq = at::_unique2(key, /*sorted=*/true, /*return_inverse=*/true, /*return_counts=*/false);
  auto ukey = std::get<0>(uniq);
  auto inv = std::get<1>(uniq);
  const int64_t T = ukey.size(0);
  Transitions tr;
  tr.ca = torch::zeros({T}, dopt).index_add(0, inv, ca_all);
  tr.cb = torch::zeros({T}, dopt).index_add(0, inv, cb_all);
  tr.dst = torch::div(ukey, N, "floor");
  tr.src = ukey - tr.dst * N;
  auto counts = torch::bincount(tr.dst, {}, N);
  tr.ptr = torch::cat({torch::zeros({1}, counts.options()), counts.cumsum(0)});
  (void)index;
  return tr;
}

// Everything GNN-LRP needs about one (model, graph, target): the rule-modified forward's
// per-layer records, the head's gradients and the first-order backward.
struct Prepared {
  Target target;
  int64_t L = 0;
  int64_t N = 0;
  std::vector<LayerRecord> rec;       // per layer 1..L
  std::vector<Transitions> trans;     // per layer 1..L
  std::vector<at::Tensor> g;          // per layer 1..L: [N, H_l] double, ∂f/∂h^(l) through the head only
  std::vector<LayerKind> kinds;
  at::Tensor x;                       // [N, F] double
  at::Tensor input_grad;              // [N, F] model dtype: ∂f/∂x through the modified model
  double output = 0;
};

class Engine {
 public:
  Engine(nn::GNNClassifierImpl* model, const GNNLRPOptions& options, const Graph& graph)
      : model_(model), options_(options), graph_(graph) {
    check_gnn_rule(options.layer_rule(), "layer");
    check_gnn_rule(options.head_rule(), "head");
    graph.validate("GNNLRP", /*allow_empty=*/false);
    GNNX_CHECK(graph.has_features(), "GNNLRP: the graph has no node features x");
    GNNX_CHECK(graph.x.size(1) == model->in_channels(), "GNNLRP: the model takes ", model->in_channels(),
               " input features, the graph has ", graph.x.size(1));
    const auto convs = model->message_passing_layers();
    const auto& o = model->options;
    for (size_t l = 0; l < convs.size(); ++l) {
      const bool last = l + 1 == convs.size();
      layers_.push_back(make_layer(convs[l], !last || o.act_last(), o.normalize_embedding(), options.layer_rule(),
                                   static_cast<int64_t>(l)));
    }
    torch::NoGradGuard no_grad;
    const auto t = transform_of(options.head_rule());
    head_w_ = t.weight(model->head->weight).detach().clone();
    if (model->head->bias.defined()) head_b_ = t.bias(model->head->bias).detach().clone();
  }

  int64_t L() const { return static_cast<int64_t>(layers_.size()); }
  bool graph_task() const { return model_->options.task() == nn::Task::kGraph; }

  // The whole modified forward from x (carrying the autograd graph). mask(l, y) may restrict the
  // output of layer l (1-based) before it feeds on; records filled when rec != nullptr.
  std::vector<at::Tensor> forward(const at::Tensor& x, std::vector<LayerRecord>* rec,
                                  const std::function<at::Tensor(int64_t, const at::Tensor&)>& mask = {}) const {
    std::vector<at::Tensor> hs;
    auto h = x;
    if (rec) rec->assign(layers_.size(), LayerRecord{});
    for (size_t l = 0; l < layers_.size(); ++l) {
      h = lrp_layer_forward(layers_[l], h, graph_.edge_index, graph_.edge_weight, options_.layer_rule().epsilon,
                            rec ? &(*rec)[l] : nullptr);
      if (mask) h = mask(static_cast<int64_t>(l) + 1, h);
      hs.push_back(h);
    }
    return hs;
  }

  at::Tensor representation(const std::vector<at::Tensor>& hs) const {
    return model_->options.concat() ? torch::cat(hs, 1) : hs.back();
  }

  // The rule-modified head on the node representation: [rows, C] (rows = N or 1 graph).
  at::Tensor head(const at::Tensor& rep) const {
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
    return attribution::lrp_detach_trick(p, a, options_.head_rule().epsilon);
  }

  int64_t row_of(const Target& t) const { return graph_task() ? 0 : t.index; }

  Target resolve(const Target& target, const at::Tensor& logits) const {
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
      t.label = logits[row_of(t)].argmax().item<int64_t>();
    }
    GNNX_CHECK(t.label < C, "GNNLRP: label ", t.label, " outside [0, ", C, ")");
    return t;
  }

  Target resolve_only(const Target& target) const {
    torch::NoGradGuard no_grad;
    auto hs = forward(graph_.x, nullptr);
    return resolve(target, head(representation(hs)));
  }

  Prepared prepare(const Target& target) const {
    Prepared P;
    P.L = L();
    P.N = graph_.num_nodes;
    auto x = graph_.x.detach().clone().requires_grad_(true);
    auto hs = forward(x, &P.rec);
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
      P.trans.push_back(build_transitions(layers_[static_cast<size_t>(l)], graph_, l));
      P.kinds.push_back(layers_[static_cast<size_t>(l)].kind);
      for (auto& s : P.rec[static_cast<size_t>(l)].steps) {
        s.ratio = s.ratio.to(torch::kDouble).contiguous();
        s.weight = s.weight.to(torch::kDouble).contiguous();
      }
      auto& rw = P.rec[static_cast<size_t>(l)].root_weight;
      if (rw.defined()) rw = rw.to(torch::kDouble).contiguous();
      if (options_.layer_rule().kind == LrpRuleKind::kGamma && options_.layer_rule().gamma != 0)
        GNNX_CHECK((P.trans.back().ca >= 0).all().item<bool>(), "GNNLRP: the gamma rule needs non-negative aggregation ",
                   "coefficients (edge weights >= 0, GIN eps >= -1); layer ", l, " has a negative one");
    }
    P.x = graph_.x.detach().to(torch::kDouble);
    return P;
  }

  // ∂f/∂x restricted to the walk, one modified forward and backward (DIG's masking).
  double naive_one(const Target& t, const std::vector<int64_t>& walk) const {
    const int64_t N = graph_.num_nodes;
    auto x = graph_.x.detach().clone().requires_grad_(true);
    auto mask = [&](int64_t l, const at::Tensor& y) {
      auto m = torch::zeros({N, 1}, y.options());
      m[walk[static_cast<size_t>(l)]] = 1;
      return y * m + y.detach() * (1 - m);
    };
    auto hs = forward(x, nullptr, mask);
    // Head block l reads h^(l) only if the walk stays at its node from layer l on (padding).
    const auto Lw = static_cast<size_t>(L());
    for (size_t l = 1; l < Lw; ++l) {
      bool tail_const = true;
      for (size_t m = l; m <= Lw; ++m) tail_const = tail_const && walk[m] == walk[l];
      if (!tail_const) hs[l - 1] = hs[l - 1].detach();
    }
    auto y = head(representation(hs));
    auto f = y[row_of(t)][t.label];
    auto gx = torch::autograd::grad({f}, {x}, {}, false, false, /*allow_unused=*/true)[0];
    if (!gx.defined()) return 0.0;
    const auto v0 = walk[0];
    return (graph_.x[v0].to(torch::kDouble) * gx[v0].to(torch::kDouble)).sum().item<double>();
  }

 private:
  nn::GNNClassifierImpl* model_;
  GNNLRPOptions options_;
  Graph graph_;
  std::vector<LrpLayer> layers_;
  at::Tensor head_w_, head_b_;
};

// u = M_i^T c for a batch: c [S, out] with target nodes i [S] -> [S, in] (main / W_rel path);
// root: the W_root path (GraphConv), else undefined.
std::pair<at::Tensor, at::Tensor> backward_maps(const LayerRecord& rec, LayerKind kind, const at::Tensor& c,
                                                const at::Tensor& nodes) {
  at::Tensor u = c;
  at::Tensor root;
  for (auto it = rec.steps.rbegin(); it != rec.steps.rend(); ++it) {
    auto cr = u * it->ratio.index_select(0, nodes);
    if (kind == LayerKind::kGraphConv) root = cr.matmul(rec.root_weight);
    u = cr.matmul(it->weight);
  }
  return {u, root};
}

// Σ over suffix states of the expansion by one layer: children of each suffix.
struct Expanded {
  at::Tensor parent, slot, src;
};

Expanded expand_slots(const Transitions& tr, const at::Tensor& nodes) {
  auto start = tr.ptr.index_select(0, nodes);
  auto cnt = tr.ptr.index_select(0, nodes + 1) - start;
  Expanded e;
  const int64_t S = nodes.size(0);
  e.parent = torch::repeat_interleave(torch::arange(S, nodes.options()), cnt);
  auto first = torch::cumsum(cnt, 0) - cnt;
  auto pos = torch::arange(e.parent.size(0), nodes.options()) - first.index_select(0, e.parent);
  e.slot = start.index_select(0, e.parent) + pos;
  e.src = tr.src.index_select(0, e.slot);
  return e;
}

void check_model(nn::GNNModel& model, nn::GNNClassifierImpl*& out) {
  out = dynamic_cast<nn::GNNClassifierImpl*>(&model);
  GNNX_CHECK(out != nullptr, "GNNLRP: supports gnnx::nn::GNNClassifier models (its head and layer weights are read); got ",
             model.name());
}

}  // namespace

GNNLRP::GNNLRP(nn::GNNModel& model, GNNLRPOptions options) : options_(std::move(options)) {
  check_model(model, model_);
  check_gnn_rule(options_.layer_rule(), "layer");
  check_gnn_rule(options_.head_rule(), "head");
  GNNX_CHECK(options_.max_walks() > 0, "GNNLRP: max_walks must be positive, got ", options_.max_walks());
  GNNX_CHECK(options_.chunk() > 0, "GNNLRP: chunk must be positive, got ", options_.chunk());
  GNNX_CHECK(options_.max_expansions() > 0, "GNNLRP: max_expansions must be positive, got ", options_.max_expansions());
  // Unsupported layers are reported at construction, before any graph is seen.
  const auto convs = model_->message_passing_layers();
  for (size_t l = 0; l < convs.size(); ++l) make_layer(convs[l], true, false, options_.layer_rule(), static_cast<int64_t>(l));
}

Target GNNLRP::resolve(const Graph& graph, const Target& target) const {
  return Engine(model_, options_, graph).resolve_only(target);
}

LrpRelevance GNNLRP::first_order(const Graph& graph, const Target& target) const {
  Engine eng(model_, options_, graph);
  auto P = eng.prepare(target);
  LrpRelevance r;
  r.target = P.target;
  r.relevance = (graph.x.detach() * P.input_grad);
  r.node_relevance = r.relevance.sum(1);
  r.output = P.output;
  r.sum_relevance = r.relevance.sum().item<double>();
  return r;
}

namespace {

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

}  // namespace

double GNNLRP::count_walks(const Graph& graph, const Target& target) const {
  Engine eng(model_, options_, graph);
  auto P = eng.prepare(target);
  return count_walks_prepared(P, model_->options.task() == nn::Task::kGraph);
}

WalkExplanation GNNLRP::all_walks(const Graph& graph, const Target& target) const {
  const auto t0 = Clock::now();
  Engine eng(model_, options_, graph);
  auto P = eng.prepare(target);
  const bool graph_task = eng.graph_task();
  const double total = count_walks_prepared(P, graph_task);
  GNNX_CHECK(total <= static_cast<double>(options_.max_walks()), "GNNLRP::all_walks: the model has ", total,
             " walks on this graph, more than max_walks = ", options_.max_walks(), "; use top_walks");
  const auto dev = graph.edge_index.device();
  const auto iopt = torch::TensorOptions().dtype(torch::kLong).device(dev);

  std::vector<at::Tensor> walk_parts, rel_parts;
  int64_t expansions = 0;
  // Suffix batch at layer l: nodes [S, L - l + 1] (v_l .. v_L), c [S, H_l], tc [S] (tail constant).
  std::function<void(int64_t, const at::Tensor&, const at::Tensor&, const at::Tensor&)> run =
      [&](int64_t l, const at::Tensor& nodes, const at::Tensor& c, const at::Tensor& tc) {
        const auto& tr = P.trans[static_cast<size_t>(l - 1)];
        const auto head_nodes = nodes.select(1, 0).contiguous();
        const int64_t S = nodes.size(0);
        const int64_t children =
            (tr.ptr.index_select(0, head_nodes + 1) - tr.ptr.index_select(0, head_nodes)).sum().item<int64_t>();
        if (children > options_.chunk() && S > 1) {
          const int64_t half = S / 2;
          run(l, nodes.narrow(0, 0, half), c.narrow(0, 0, half), tc.narrow(0, 0, half));
          run(l, nodes.narrow(0, half, S - half), c.narrow(0, half, S - half), tc.narrow(0, half, S - half));
          return;
        }
        expansions += S;
        auto [u, root] = backward_maps(P.rec[static_cast<size_t>(l - 1)], P.kinds[static_cast<size_t>(l - 1)], c, head_nodes);
        auto e = expand_slots(tr, head_nodes);
        auto cc = tr.ca.index_select(0, e.slot).unsqueeze(1) * u.index_select(0, e.parent);
        if (root.defined()) cc = cc + tr.cb.index_select(0, e.slot).unsqueeze(1) * root.index_select(0, e.parent);
        auto ctc = tc.index_select(0, e.parent).logical_and(e.src == head_nodes.index_select(0, e.parent));
        auto cnodes = torch::cat({e.src.unsqueeze(1), nodes.index_select(0, e.parent)}, 1);
        if (l - 1 >= 1) {
          cc = cc + ctc.unsqueeze(1).to(cc.scalar_type()) * P.g[static_cast<size_t>(l - 2)].index_select(0, e.src);
          run(l - 1, cnodes, cc, ctc);
        } else {
          walk_parts.push_back(cnodes);
          rel_parts.push_back((cc * P.x.index_select(0, e.src)).sum(1));
        }
      };
  at::Tensor start = graph_task ? torch::arange(P.N, iopt) : torch::full({1}, P.target.index, iopt);
  run(P.L, start.unsqueeze(1), P.g.back().index_select(0, start),
      torch::ones({start.size(0)}, iopt.dtype(torch::kBool)));

  WalkExplanation W;
  W.target = P.target;
  W.num_layers = P.L;
  W.order = options_.order();
  auto walks = walk_parts.empty() ? torch::zeros({0, P.L + 1}, iopt) : torch::cat(walk_parts, 0);
  auto rel = rel_parts.empty() ? torch::zeros({0}, P.x.options()) : torch::cat(rel_parts, 0);
  auto perm = std::get<1>(torch::sort(order_key(rel, options_.order()), /*stable=*/true, /*dim=*/0, /*descending=*/true));
  W.walks = walks.index_select(0, perm).cpu();
  W.relevance = rel.index_select(0, perm).cpu();
  W.num_walks = W.walks.size(0);
  W.complete = true;
  W.output = P.output;
  W.sum_relevance = W.relevance.sum().item<double>();
  W.residual = W.output - W.sum_relevance;
  W.expansions = expansions;
  W.memory_bytes = W.walks.numel() * 8 + W.relevance.numel() * 8;
  W.walks_scored = W.num_walks;
  W.seconds = seconds_since(t0);
  return W;
}

namespace {

// CPU double copies of the linearised model for the depth-first search.
struct CpuStep {
  int64_t out = 0, in = 0;
  std::vector<double> ratio;   // [N, out]
  std::vector<double> weight;  // [out, in]
};
struct CpuLayer {
  LayerKind kind = LayerKind::kGCN;
  std::vector<int64_t> ptr, src;
  std::vector<double> ca, cb;
  std::vector<CpuStep> steps;
  std::vector<double> root;  // [out, in] GraphConv
  int64_t out = 0, in = 0;
};

std::vector<double> to_vec(const at::Tensor& t) {
  auto c = t.detach().to(torch::kCPU, torch::kDouble).contiguous();
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}
std::vector<int64_t> to_ivec(const at::Tensor& t) {
  auto c = t.detach().to(torch::kCPU, torch::kLong).contiguous();
  return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
}

// U_l(i)_d >= |π_l(prefix)_d| for every prefix (v_0 .. v_l = i), π_l the forward message of x_{v_0}
// along the prefix: U_l(i) = max(|Self_i| U_{l-1}(i), |Nbr_i| max_{j≠i} |ca_ij| U_{l-1}(j)).
at::Tensor bound_step(const Prepared& P, int64_t l, const at::Tensor& prev) {
  const int64_t N = P.N;
  const auto& tr = P.trans[static_cast<size_t>(l - 1)];
  const auto& rec = P.rec[static_cast<size_t>(l - 1)];
  const int64_t in = prev.size(1);
  auto nonself = tr.src != tr.dst;
  auto s_src = tr.src.masked_select(nonself), s_dst = tr.dst.masked_select(nonself);
  auto s_ca = tr.ca.masked_select(nonself).abs();
  auto vals = s_ca.unsqueeze(1) * prev.index_select(0, s_src);
  auto V = nn::scatter_amax(torch::zeros({N, in}, prev.options()), 0, s_dst.unsqueeze(1).expand({s_dst.size(0), in}),
                            vals, /*include_self=*/true);
  auto self = tr.src == tr.dst;
  const auto self_dst = tr.dst.masked_select(self);  // one self slot per node
  auto ca_self = torch::zeros({N}, prev.options()).index_copy_(0, self_dst, tr.ca.masked_select(self));
  auto cb_self = torch::zeros({N}, prev.options()).index_copy_(0, self_dst, tr.cb.masked_select(self));
  std::vector<at::Tensor> parts;
  const int64_t block = 4096;
  for (int64_t b = 0; b < N; b += block) {
    const int64_t n = std::min(block, N - b);
    // Per-node matrices M_i = diag(r_K) W_K ⋯ diag(r_1) W_1, [n, out, in].
    at::Tensor M;
    for (const auto& st : rec.steps) {
      auto r = st.ratio.narrow(0, b, n).unsqueeze(2);
      M = M.defined() ? r * torch::matmul(st.weight, M) : r * st.weight.unsqueeze(0);
    }
    at::Tensor Self = ca_self.narrow(0, b, n).view({n, 1, 1}) * M;
    if (rec.root_weight.defined()) {
      auto r = rec.steps[0].ratio.narrow(0, b, n).unsqueeze(2);
      Self = Self + cb_self.narrow(0, b, n).view({n, 1, 1}) * r * rec.root_weight.unsqueeze(0);
    }
    auto su = torch::bmm(Self.abs(), prev.narrow(0, b, n).unsqueeze(2)).squeeze(2);
    auto nu = torch::bmm(M.abs(), V.narrow(0, b, n).unsqueeze(2)).squeeze(2);
    parts.push_back(torch::maximum(su, nu));
  }
  return torch::cat(parts, 0);
}

std::vector<at::Tensor> forward_bounds(const Prepared& P) {
  std::vector<at::Tensor> U{P.x.abs()};
  for (int64_t l = 1; l <= P.L; ++l) U.push_back(bound_step(P, l, U.back()));
  return U;
}

// Nodes that can sit at layer l of a walk: within L - l steps of the output node (node task),
// every node (graph task). [L+1] bool masks.
std::vector<at::Tensor> walk_regions(const Prepared& P, bool graph_task) {
  std::vector<at::Tensor> reach(static_cast<size_t>(P.L + 1));
  auto bopt = torch::TensorOptions().dtype(torch::kBool).device(P.x.device());
  if (graph_task) {
    for (auto& r : reach) r = torch::ones({P.N}, bopt);
    return reach;
  }
  reach[static_cast<size_t>(P.L)] = torch::zeros({P.N}, bopt);
  reach[static_cast<size_t>(P.L)][P.target.index] = true;
  for (int64_t l = P.L; l >= 1; --l) {
    const auto& tr = P.trans[static_cast<size_t>(l - 1)];
    auto here = reach[static_cast<size_t>(l)].to(torch::kDouble);
    reach[static_cast<size_t>(l - 1)] = torch::zeros({P.N}, here.options()).index_add(0, tr.src, here.index_select(0, tr.dst)) > 0;
  }
  return reach;
}

// All prefixes (v_0 .. v_m) whose nodes lie in the regions, grouped by v_m: their forward
// messages π_m [n, H_m] and the head terms of layers h < m they carry when the walk stays at
// v_m from h on (ext [n]); ids [n, m+1].
struct PrefixTable {
  at::Tensor ptr, vec, ext, ids;
};

PrefixTable build_prefixes(const Prepared& P, int64_t m, const std::vector<at::Tensor>& region) {
  auto nodes0 = region[0].nonzero().squeeze(1);
  at::Tensor ids = nodes0.unsqueeze(1);
  at::Tensor vec = P.x.index_select(0, nodes0);
  at::Tensor ext = torch::zeros({nodes0.size(0)}, vec.options());
  for (int64_t l = 1; l <= m; ++l) {
    const auto& tr = P.trans[static_cast<size_t>(l - 1)];
    const auto& rec = P.rec[static_cast<size_t>(l - 1)];
    auto operm = std::get<1>(torch::sort(tr.src, /*stable=*/true, /*dim=*/0, /*descending=*/false));
    auto ocnt = torch::bincount(tr.src, {}, P.N);
    auto optr = torch::cat({torch::zeros({1}, ocnt.options()), ocnt.cumsum(0)});
    auto end = ids.select(1, l - 1).contiguous();
    auto start = optr.index_select(0, end);
    auto cnt = optr.index_select(0, end + 1) - start;
    auto parent = torch::repeat_interleave(torch::arange(end.size(0), end.options()), cnt);
    auto first = torch::cumsum(cnt, 0) - cnt;
    auto pos = torch::arange(parent.size(0), end.options()) - first.index_select(0, parent);
    auto slot = operm.index_select(0, start.index_select(0, parent) + pos);
    auto i = tr.dst.index_select(0, slot);
    auto keep = region[static_cast<size_t>(l)].index_select(0, i);
    parent = parent.masked_select(keep);
    slot = slot.masked_select(keep);
    i = i.masked_select(keep);
    auto pv = vec.index_select(0, parent);
    at::Tensor v;
    if (P.kinds[static_cast<size_t>(l - 1)] == LayerKind::kGraphConv) {
      v = ((tr.ca.index_select(0, slot).unsqueeze(1) * pv).matmul(rec.steps[0].weight.t()) +
           (tr.cb.index_select(0, slot).unsqueeze(1) * pv).matmul(rec.root_weight.t())) *
          rec.steps[0].ratio.index_select(0, i);
    } else {
      v = tr.ca.index_select(0, slot).unsqueeze(1) * pv;
      for (const auto& st : rec.steps) v = v.matmul(st.weight.t()) * st.ratio.index_select(0, i);
    }
    auto j = end.index_select(0, parent);
    auto self = i == j;
    auto carried = ext.index_select(0, parent);
    if (l - 1 >= 1) carried = carried + (pv * P.g[static_cast<size_t>(l - 2)].index_select(0, j)).sum(1);
    ext = torch::where(self, carried, torch::zeros_like(carried));
    ids = torch::cat({ids.index_select(0, parent), i.unsqueeze(1)}, 1);
    vec = v;
  }
  auto end = ids.select(1, m).contiguous();
  auto order = std::get<1>(torch::sort(end, /*stable=*/true, /*dim=*/0, /*descending=*/false));
  PrefixTable t;
  t.ids = ids.index_select(0, order).contiguous();
  t.vec = vec.index_select(0, order).contiguous();
  t.ext = ext.index_select(0, order).contiguous();
  auto c = torch::bincount(end, {}, P.N);
  t.ptr = torch::cat({torch::zeros({1}, c.options()), c.cumsum(0)});
  return t;
}

// Number of prefixes of each length 0..L-1 inside the regions.
std::vector<double> prefix_counts(const Prepared& P, const std::vector<at::Tensor>& region) {
  std::vector<double> out;
  auto c = region[0].to(torch::kDouble);
  out.push_back(c.sum().item<double>());
  for (int64_t l = 1; l < P.L; ++l) {
    const auto& tr = P.trans[static_cast<size_t>(l - 1)];
    c = torch::zeros_like(c).index_add(0, tr.dst, c.index_select(0, tr.src)) * region[static_cast<size_t>(l)].to(torch::kDouble);
    out.push_back(c.sum().item<double>());
  }
  return out;
}

struct Found {
  double key;
  double rel;
  std::vector<int64_t> walk;
};
struct FoundGreater {
  bool operator()(const Found& a, const Found& b) const { return a.key > b.key; }
};

class TopKSearch {
 public:
  TopKSearch(const Prepared& P, int64_t k, WalkOrder order, int64_t max_expansions, int64_t prefix_budget,
             bool graph_task)
      : P_(P), k_(k), order_(order), max_expansions_(max_expansions) {
    L_ = P.L;
    N_ = P.N;
    for (int64_t l = 1; l <= L_; ++l) {
      const auto& tr = P.trans[static_cast<size_t>(l - 1)];
      const auto& rec = P.rec[static_cast<size_t>(l - 1)];
      CpuLayer c;
      c.kind = P.kinds[static_cast<size_t>(l - 1)];
      c.ptr = to_ivec(tr.ptr);
      c.src = to_ivec(tr.src);
      c.ca = to_vec(tr.ca);
      c.cb = to_vec(tr.cb);
      for (const auto& s : rec.steps) {
        CpuStep cs;
        cs.out = s.weight.size(0);
        cs.in = s.weight.size(1);
        cs.ratio = to_vec(s.ratio);
        cs.weight = to_vec(s.weight);
        c.steps.push_back(std::move(cs));
      }
      if (rec.root_weight.defined()) c.root = to_vec(rec.root_weight);
      c.out = c.steps.back().out;
      c.in = c.steps.front().in;
      layers_.push_back(std::move(c));
      g_.push_back(to_vec(P.g[static_cast<size_t>(l - 1)]));
    }
    x_ = to_vec(P.x);
    F_ = P.x.size(1);
    auto U = forward_bounds(P);
    // The meet layer: the deepest m < L whose prefixes fit the budget.
    std::vector<double> extmax(static_cast<size_t>(N_), 0.0);
    if (prefix_budget > 0 && L_ >= 2) {
      const auto region = walk_regions(P, graph_task);
      const auto counts = prefix_counts(P, region);
      for (int64_t mm = L_ - 1; mm >= 1; --mm)
        if (counts[static_cast<size_t>(mm)] <= static_cast<double>(prefix_budget)) {
          m_ = mm;
          break;
        }
      if (m_ > 0) {
        auto T = build_prefixes(P, m_, region);
        const int64_t H = T.vec.size(1);
        auto end = T.ids.select(1, m_);
        // Exact per-coordinate maxima over each node's prefixes, then the DP above layer m.
        U[static_cast<size_t>(m_)] = nn::scatter_amax(torch::zeros({N_, H}, T.vec.options()), 0,
                                                      end.unsqueeze(1).expand({end.size(0), H}), T.vec.abs(),
                                                      /*include_self=*/true);
        for (int64_t l = m_ + 1; l <= L_; ++l) U[static_cast<size_t>(l)] = bound_step(P, l, U[static_cast<size_t>(l - 1)]);
        extmax = to_vec(nn::scatter_amax(torch::zeros({N_}, T.ext.options()), 0, end, T.ext.abs(), /*include_self=*/true));
        pptr_ = to_ivec(T.ptr);
        pvec_ = to_vec(T.vec);
        pext_ = to_vec(T.ext);
        pids_ = to_ivec(T.ids);
        pH_ = H;
      }
    }
    for (const auto& u : U) U_.push_back(to_vec(u));
    // HB[l][i]: what head blocks below layer l can still add to a walk that stays at i:
    // Σ_{h=1}^{l-1} U_h(i) · |g_h(i)|, with the prefixes' exact head terms below the meet layer.
    HB_.assign(static_cast<size_t>(L_ + 1), std::vector<double>(static_cast<size_t>(N_), 0.0));
    for (int64_t l = 2; l <= L_; ++l) {
      const auto& gm = g_[static_cast<size_t>(l - 2)];
      const auto& Um = U_[static_cast<size_t>(l - 1)];
      const int64_t H = layers_[static_cast<size_t>(l - 2)].out;
      for (int64_t i = 0; i < N_; ++i) {
        double s = 0;
        for (int64_t d = 0; d < H; ++d) s += Um[i * H + d] * std::abs(gm[i * H + d]);
        HB_[l][i] = l == m_ ? extmax[static_cast<size_t>(i)] : HB_[l - 1][i] + s;
      }
    }
    path_.assign(static_cast<size_t>(L_ + 1), 0);
    buf_.resize(static_cast<size_t>(L_ + 1));
    auto bytes = [](const auto& v) { return static_cast<int64_t>(v.size() * sizeof(v[0])); };
    for (const auto& c : layers_) {
      table_bytes_ += bytes(c.ptr) + bytes(c.src) + bytes(c.ca) + bytes(c.cb) + bytes(c.root);
      for (const auto& s : c.steps) table_bytes_ += bytes(s.ratio) + bytes(s.weight);
    }
    for (const auto& v : g_) table_bytes_ += bytes(v);
    for (const auto& v : U_) table_bytes_ += bytes(v);
    for (const auto& v : HB_) table_bytes_ += bytes(v);
    table_bytes_ += bytes(x_) + bytes(pptr_) + bytes(pvec_) + bytes(pext_) + bytes(pids_);
  }

  void run(bool graph_task, int64_t target) {
    const int64_t H = layers_.back().out;
    const auto& gL = g_.back();
    std::vector<int64_t> roots;
    if (graph_task) {
      for (int64_t u = 0; u < N_; ++u) roots.push_back(u);
      std::vector<double> b(static_cast<size_t>(N_));
      for (int64_t u = 0; u < N_; ++u) b[u] = bound(L_, u, &gL[u * H], true);
      std::stable_sort(roots.begin(), roots.end(), [&](int64_t a, int64_t c) { return b[a] > b[c]; });
      for (int64_t u : roots) {
        if (full() && b[u] <= threshold()) break;
        path_[L_] = u;
        expand(L_, u, &gL[u * H], true);
      }
    } else {
      path_[L_] = target;
      expand(L_, target, &gL[target * H], true);
    }
  }

  std::vector<Found> results() {
    std::vector<Found> out;
    while (!heap_.empty()) {
      out.push_back(heap_.top());
      heap_.pop();
    }
    std::reverse(out.begin(), out.end());
    return out;
  }
  int64_t expansions() const { return expansions_; }
  int64_t scored() const { return scored_; }
  int64_t meet_layer() const { return m_; }
  /// Tables + the deepest stack of child buffers seen + the heap of found walks.
  int64_t memory_bytes() const {
    return table_bytes_ + max_stack_bytes_ +
           static_cast<int64_t>(heap_.size()) * static_cast<int64_t>(sizeof(Found) + (L_ + 1) * sizeof(int64_t));
  }

 private:
  bool full() const { return static_cast<int64_t>(heap_.size()) >= k_; }
  double threshold() const { return heap_.top().key; }

  // Upper bound on |R| over all completions of a suffix at layer l, node i, vector c.
  double bound(int64_t l, int64_t i, const double* c, bool tc) const {
    const auto& U = U_[static_cast<size_t>(l)];
    const int64_t H = l == 0 ? F_ : layers_[static_cast<size_t>(l - 1)].out;
    double s = 0;
    for (int64_t d = 0; d < H; ++d) s += U[i * H + d] * std::abs(c[d]);
    if (tc) s += HB_[static_cast<size_t>(l)][i];
    // Slack for rounding: a bound must never fall below the value it bounds.
    return s * (1 + 1e-9) + 1e-300;
  }

  void offer(double rel) {
    const double key = order_key(rel, order_);
    if (full() && key <= threshold()) return;
    Found f{key, rel, path_};
    if (full()) heap_.pop();
    heap_.push(std::move(f));
  }

  struct Child {
    int64_t node;
    double bound;
    bool tc;
    size_t offset;
  };

  void expand(int64_t l, int64_t i, const double* c, bool tc) {
    GNNX_CHECK(++expansions_ <= max_expansions_, "GNNLRP::top_walks: more than max_expansions = ", max_expansions_,
               " search steps; raise it or lower k");
    const auto& Ly = layers_[static_cast<size_t>(l - 1)];
    // u = M_i^T c (and the W_root path for GraphConv).
    std::vector<double> cur(c, c + Ly.out), nxt, root;
    for (auto it = Ly.steps.rbegin(); it != Ly.steps.rend(); ++it) {
      const double* r = &it->ratio[static_cast<size_t>(i * it->out)];
      for (int64_t o = 0; o < it->out; ++o) cur[o] *= r[o];
      if (Ly.kind == LayerKind::kGraphConv) {
        root.assign(static_cast<size_t>(it->in), 0.0);
        for (int64_t o = 0; o < it->out; ++o) {
          const double co = cur[o];
          if (co == 0) continue;
          const double* w = &Ly.root[static_cast<size_t>(o * it->in)];
          for (int64_t d = 0; d < it->in; ++d) root[d] += co * w[d];
        }
      }
      nxt.assign(static_cast<size_t>(it->in), 0.0);
      for (int64_t o = 0; o < it->out; ++o) {
        const double co = cur[o];
        if (co == 0) continue;
        const double* w = &it->weight[static_cast<size_t>(o * it->in)];
        for (int64_t d = 0; d < it->in; ++d) nxt[d] += co * w[d];
      }
      cur.swap(nxt);
    }
    const int64_t in = Ly.in;
    const int64_t b = Ly.ptr[i], e = Ly.ptr[i + 1];
    auto& buf = buf_[static_cast<size_t>(l)];
    buf.assign(static_cast<size_t>((e - b) * in), 0.0);
    std::vector<Child> kids;
    kids.reserve(static_cast<size_t>(e - b));
    for (int64_t s = b; s < e; ++s) {
      const int64_t j = Ly.src[s];
      double* cj = &buf[static_cast<size_t>((s - b) * in)];
      const double a = Ly.ca[s], bb = Ly.cb[s];
      for (int64_t d = 0; d < in; ++d) cj[d] = a * cur[d];
      if (bb != 0 && !root.empty())
        for (int64_t d = 0; d < in; ++d) cj[d] += bb * root[d];
      const bool tcj = tc && j == i;
      if (l - 1 == 0) {
        ++scored_;
        double rel = 0;
        const double* xj = &x_[static_cast<size_t>(j * F_)];
        for (int64_t d = 0; d < F_; ++d) rel += xj[d] * cj[d];
        path_[0] = j;
        offer(rel);
        continue;
      }
      if (tcj) {
        const auto& gm = g_[static_cast<size_t>(l - 2)];
        for (int64_t d = 0; d < in; ++d) cj[d] += gm[static_cast<size_t>(j * in + d)];
      }
      kids.push_back({j, bound(l - 1, j, cj, tcj), tcj, static_cast<size_t>((s - b) * in)});
    }
    if (l - 1 == 0) return;
    std::stable_sort(kids.begin(), kids.end(), [](const Child& a, const Child& c2) { return a.bound > c2.bound; });
    const auto frame = static_cast<int64_t>(buf.capacity() * sizeof(double) + kids.capacity() * sizeof(Child));
    stack_bytes_ += frame;
    max_stack_bytes_ = std::max(max_stack_bytes_, stack_bytes_);
    struct Pop {
      int64_t& s;
      int64_t f;
      ~Pop() { s -= f; }
    } pop{stack_bytes_, frame};
    for (const auto& k : kids) {
      if (full() && k.bound <= threshold()) break;
      path_[l - 1] = k.node;
      const double* cj = &buf[k.offset];  // buf_[l] is not touched by deeper calls
      if (l - 1 == m_)
        score_prefixes(k.node, cj, k.tc);
      else
        expand(l - 1, k.node, cj, k.tc);
    }
  }

  const Prepared& P_;
  int64_t k_;
  WalkOrder order_;
  int64_t max_expansions_;
  int64_t L_ = 0, N_ = 0, F_ = 0;
  std::vector<CpuLayer> layers_;
  std::vector<std::vector<double>> g_;
  std::vector<double> x_;
  std::vector<std::vector<double>> U_;
  std::vector<std::vector<double>> HB_;
  std::vector<int64_t> path_;
  std::vector<std::vector<double>> buf_;
  std::priority_queue<Found, std::vector<Found>, FoundGreater> heap_;
  int64_t expansions_ = 0;
  int64_t table_bytes_ = 0, stack_bytes_ = 0, max_stack_bytes_ = 0;
  int64_t scored_ = 0;
  // Prefix tables at the meet layer m_ (0: none): CSR by end node.
  int64_t m_ = 0, pH_ = 0;
  std::vector<int64_t> pptr_, pids_;
  std::vector<double> pvec_, pext_;

  // Scores every prefix of node j against the suffix vector c at the meet layer.
  void score_prefixes(int64_t j, const double* c, bool tc) {
    const int64_t b = pptr_[static_cast<size_t>(j)], e = pptr_[static_cast<size_t>(j + 1)];
    scored_ += e - b;
    for (int64_t p = b; p < e; ++p) {
      const double* v = &pvec_[static_cast<size_t>(p * pH_)];
      double rel = tc ? pext_[static_cast<size_t>(p)] : 0.0;
      for (int64_t d = 0; d < pH_; ++d) rel += v[d] * c[d];
      const double key = order_key(rel, order_);
      if (full() && key <= threshold()) continue;
      const int64_t* ids = &pids_[static_cast<size_t>(p * (m_ + 1))];
      for (int64_t l = 0; l <= m_; ++l) path_[static_cast<size_t>(l)] = ids[l];
      offer(rel);
    }
  }
};

}  // namespace

WalkExplanation GNNLRP::top_walks(const Graph& graph, const Target& target, int64_t k) const {
  GNNX_CHECK(k > 0, "GNNLRP::top_walks: k must be positive, got ", k);
  const auto t0 = Clock::now();
  Engine eng(model_, options_, graph);
  auto P = eng.prepare(target);
  TopKSearch search(P, k, options_.order(), options_.max_expansions(), options_.prefix_budget(), eng.graph_task());
  search.run(eng.graph_task(), P.target.index);
  auto found = search.results();
  WalkExplanation W;
  W.target = P.target;
  W.num_layers = P.L;
  W.order = options_.order();
  const auto n = static_cast<int64_t>(found.size());
  W.walks = torch::zeros({n, P.L + 1}, torch::kLong);
  W.relevance = torch::zeros({n}, torch::kDouble);
  auto wa = W.walks.accessor<int64_t, 2>();
  auto ra = W.relevance.accessor<double, 1>();
  for (int64_t r = 0; r < n; ++r) {
    for (int64_t l = 0; l <= P.L; ++l) wa[r][l] = found[static_cast<size_t>(r)].walk[static_cast<size_t>(l)];
    ra[r] = found[static_cast<size_t>(r)].rel;
  }
  W.num_walks = static_cast<int64_t>(std::llround(count_walks_prepared(P, eng.graph_task())));
  W.complete = n == W.num_walks;
  W.output = P.output;
  W.sum_relevance = (graph.x.detach().to(torch::kDouble) * P.input_grad.to(torch::kDouble)).sum().item<double>();
  W.residual = W.output - W.sum_relevance;
  W.expansions = search.expansions();
  W.memory_bytes = search.memory_bytes();
  W.walks_scored = search.scored();
  W.meet_layer = search.meet_layer();
  W.seconds = seconds_since(t0);
  return W;
}

at::Tensor GNNLRP::edge_relevance(const Graph& graph, const Target& target) const {
  Engine eng(model_, options_, graph);
  auto P = eng.prepare(target);
  // Forward messages P_l (Σ over prefixes) and backward messages B_l (Σ over suffixes).
  std::vector<at::Tensor> fwd{P.x};
  for (int64_t l = 1; l <= P.L; ++l) {
    const auto& tr = P.trans[static_cast<size_t>(l - 1)];
    const auto& rec = P.rec[static_cast<size_t>(l - 1)];
    const auto& prev = fwd.back();
    auto agg = torch::zeros({P.N, prev.size(1)}, prev.options())
                   .index_add(0, tr.dst, tr.ca.unsqueeze(1) * prev.index_select(0, tr.src));
    at::Tensor v = agg;
    if (P.kinds[static_cast<size_t>(l - 1)] == LayerKind::kGraphConv) {
      auto aggr = torch::zeros_like(agg).index_add(0, tr.dst, tr.cb.unsqueeze(1) * prev.index_select(0, tr.src));
      v = (agg.matmul(rec.steps[0].weight.t()) + aggr.matmul(rec.root_weight.t())) * rec.steps[0].ratio;
    } else {
      for (const auto& s : rec.steps) v = v.matmul(s.weight.t()) * s.ratio;
    }
    fwd.push_back(v);
  }
  const auto E = graph.num_edges();
  auto er = torch::zeros({E}, P.x.options());
  // B_L = g_L on the walks' end nodes.
  auto B = P.g.back().clone();
  if (!eng.graph_task()) {
    auto keep = torch::zeros({P.N, 1}, B.options());
    keep[P.target.index] = 1;
    B = B * keep;
  }
  const int64_t N = P.N;
  auto ekey = graph.edge_index[1] * N + graph.edge_index[0];
  for (int64_t l = P.L; l >= 1; --l) {
    const auto& tr = P.trans[static_cast<size_t>(l - 1)];
    auto [u, root] = backward_maps(P.rec[static_cast<size_t>(l - 1)], P.kinds[static_cast<size_t>(l - 1)], B,
                                   torch::arange(N, tr.dst.options()));
    auto per_slot = tr.ca.unsqueeze(1) * u.index_select(0, tr.dst);
    if (root.defined()) per_slot = per_slot + tr.cb.unsqueeze(1) * root.index_select(0, tr.dst);
    // Relevance through each transition at this layer: P_{l-1}[j] · (J^T B_l[i]).
    auto through = (fwd[static_cast<size_t>(l - 1)].index_select(0, tr.src) * per_slot).sum(1);
    auto skey = tr.dst * N + tr.src;  // sorted ascending (slots grouped by target, then source)
    auto pos = torch::searchsorted(skey, ekey).clamp_max(skey.size(0) - 1);
    auto hit = skey.index_select(0, pos) == ekey;
    auto nonself = graph.edge_index[0] != graph.edge_index[1];
    er = er + torch::where(hit.logical_and(nonself), through.index_select(0, pos), torch::zeros_like(er));
    B = torch::zeros({N, per_slot.size(1)}, per_slot.options()).index_add(0, tr.src, per_slot);
    if (l - 1 >= 1) {
      auto gm = P.g[static_cast<size_t>(l - 2)];
      if (!eng.graph_task()) {
        auto keep = torch::zeros({N, 1}, gm.options());
        keep[P.target.index] = 1;
        gm = gm * keep;
      }
      B = B + gm;
    }
  }
  return er.cpu();
}

at::Tensor GNNLRP::naive_walk_relevance(const Graph& graph, const Target& target, const at::Tensor& walks) const {
  Engine eng(model_, options_, graph);
  const auto t = eng.resolve_only(target);
  GNNX_CHECK(walks.defined() && walks.dim() == 2 && walks.size(1) == eng.L() + 1 && walks.scalar_type() == at::kLong,
             "GNNLRP::naive_walk_relevance: walks must be int64 [W, ", eng.L() + 1, "], got ",
             walks.defined() ? walks.sizes() : at::IntArrayRef{});
  auto wc = walks.cpu().contiguous();
  GNNX_CHECK(wc.numel() == 0 || (wc.min().item<int64_t>() >= 0 && wc.max().item<int64_t>() < graph.num_nodes),
             "GNNLRP::naive_walk_relevance: walks hold node ids outside [0, ", graph.num_nodes, ")");
  const int64_t W = wc.size(0);
  auto out = torch::zeros({W}, torch::kDouble);
  auto wa = wc.accessor<int64_t, 2>();
  for (int64_t w = 0; w < W; ++w) {
    std::vector<int64_t> walk(static_cast<size_t>(eng.L() + 1));
    for (int64_t l = 0; l <= eng.L(); ++l) walk[static_cast<size_t>(l)] = wa[w][l];
    if (!eng.graph_task()) {
      if (walk.back() != t.index) continue;  // walks not ending at the target carry no relevance
    }
    out[w] = eng.naive_one(t, walk);
  }
  return out;
}

// ---- WalkExplanation -------------------------------------------------------------------

at::Tensor WalkExplanation::node_relevance(int64_t num_nodes) const {
  GNNX_CHECK(num_nodes > 0, "WalkExplanation::node_relevance: num_nodes must be positive, got ", num_nodes);
  auto out = torch::zeros({num_nodes}, torch::kDouble);
  if (size() == 0) return out;
  GNNX_CHECK(walks.max().item<int64_t>() < num_nodes, "WalkExplanation::node_relevance: walks hold node id ",
             walks.max().item<int64_t>(), " >= num_nodes = ", num_nodes);
  return out.index_add(0, walks.select(1, 0), relevance);
}

at::Tensor WalkExplanation::edge_relevance(const Graph& graph) const {
  graph.validate("WalkExplanation::edge_relevance");
  const int64_t E = graph.num_edges();
  const int64_t N = graph.num_nodes;
  auto out = torch::zeros({E}, torch::kDouble);
  if (size() == 0) return out;
  auto ei = graph.edge_index.cpu().contiguous();
  auto ea = ei.accessor<int64_t, 2>();
  std::unordered_map<int64_t, double> per_pair;
  auto wa = walks.accessor<int64_t, 2>();
  auto ra = relevance.accessor<double, 1>();
  for (int64_t w = 0; w < walks.size(0); ++w)
    for (int64_t l = 1; l <= num_layers; ++l) {
      const int64_t a = wa[w][l - 1], b = wa[w][l];
      if (a != b) per_pair[b * N + a] += ra[w];
    }
  auto oa = out.accessor<double, 1>();
  for (int64_t e = 0; e < E; ++e) {
    if (ea[0][e] == ea[1][e]) continue;
    auto it = per_pair.find(ea[1][e] * N + ea[0][e]);
    if (it != per_pair.end()) oa[e] = it->second;
  }
  return out;
}

Explanation WalkExplanation::to_explanation(const Graph& graph) const {
  Explanation e;
  e.method = "gnn-lrp";
  e.target = target;
  auto er = edge_relevance(graph);
  // Masks rank importance: |relevance| (evidence for and against); the signed values stay in
  // edge_relevance() / node_relevance().
  e.edge_mask = er.abs().to(torch::kFloat);
  e.node_mask = node_relevance(graph.num_nodes).abs().to(torch::kFloat);
  // Edges and nodes the held walks touch.
  std::vector<int64_t> eids;
  auto ei = graph.edge_index.cpu();
  {
    std::unordered_map<int64_t, bool> used;
    const int64_t N = graph.num_nodes;
    auto wa = walks.accessor<int64_t, 2>();
    for (int64_t w = 0; w < size(); ++w)
      for (int64_t l = 1; l <= num_layers; ++l)
        if (wa[w][l - 1] != wa[w][l]) used[wa[w][l] * N + wa[w][l - 1]] = true;
    auto ea = ei.accessor<int64_t, 2>();
    for (int64_t k = 0; k < graph.num_edges(); ++k)
      if (ea[0][k] != ea[1][k] && used.count(ea[1][k] * N + ea[0][k])) eids.push_back(k);
  }
  e.edge_ids = torch::tensor(eids, torch::kLong);
  e.node_ids = size() > 0 ? std::get<0>(at::_unique2(walks.flatten(), true, false, false)) : torch::zeros({0}, torch::kLong);
  e.diagnostics["output"] = output;
  e.diagnostics["sum_relevance"] = sum_relevance;
  e.diagnostics["residual"] = residual;
  e.diagnostics["num_walks"] = static_cast<double>(num_walks);
  e.diagnostics["walks_held"] = static_cast<double>(size());
  e.diagnostics["seconds"] = seconds;
  return e;
}

// ---- Explainer -------------------------------------------------------------------------

std::vector<Explanation> GNNLRPExplainer::explain(nn::GNNModel& model, const Graph& graph,
                                                  const std::vector<Target>& targets) {
  GNNX_CHECK(!targets.empty(), "GNNLRPExplainer: no targets given");
  GNNLRP lrp(model, options_);
  std::vector<Explanation> out;
  for (const auto& t : targets) {
    const auto t0 = Clock::now();
    auto first = lrp.first_order(graph, t);
    Explanation e;
    e.method = "gnn-lrp";
    e.target = first.target;
    e.edge_mask = lrp.edge_relevance(graph, first.target).abs().to(torch::kFloat);
    e.node_mask = first.node_relevance.detach().abs().to(torch::kFloat).cpu();
    e.feature_mask = first.relevance.detach().to(torch::kFloat).cpu();
    if (model.task() == nn::Task::kNode) {
      auto sub = k_hop_subgraph(graph, first.target.index, model.num_hops());
      e.edge_ids = sub.edge_ids.cpu();
      e.node_ids = sub.node_ids.cpu();
    } else {
      e.edge_ids = torch::arange(graph.num_edges(), torch::kLong);
      e.node_ids = torch::arange(graph.num_nodes, torch::kLong);
    }
    e.diagnostics["output"] = first.output;
    e.diagnostics["sum_relevance"] = first.sum_relevance;
    e.diagnostics["residual"] = first.output - first.sum_relevance;
    e.diagnostics["num_walks"] = lrp.count_walks(graph, first.target);
    e.diagnostics["seconds"] = seconds_since(t0);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace gnnx::explain
