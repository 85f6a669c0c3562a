// GNN-LRP's linearisation: the rule transform, the rule-modified GCN / GIN / GraphConv layers and their transitions.
#include "explain/gnn_lrp/linearise.h"

#include <torch/torch.h>

#include "gnnx/core/check.h"
#include "gnnx/nn/conv/gcn_conv.h"
#include "gnnx/nn/conv/gin_conv.h"
#include "gnnx/nn/conv/graph_conv.h"

namespace gnnx::explain::gnn_lrp_detail {

using attribution::LrpRule;
using attribution::LrpRuleKind;

RuleTransform RuleTransform::from(const LrpRule& rule, const char* which) {
  rule.validate("GNNLRP");
  GNNX_CHECK(rule.kind == LrpRuleKind::kEpsilon || rule.kind == LrpRuleKind::kGamma, "GNNLRP: the ", which,
             " rule must be epsilon or gamma (a walk decomposition needs a rule that is one parameter transform), got ",
             attribution::to_string(rule.kind));
  return RuleTransform(rule.kind == LrpRuleKind::kGamma ? rule.gamma : 0.0, rule.epsilon);
}

std::pair<at::Tensor, at::Tensor> LayerMaps::backward(const at::Tensor& c, const at::Tensor& nodes) const {
  at::Tensor u = c;
  at::Tensor root;
  for (auto it = steps.rbegin(); it != steps.rend(); ++it) {
    auto cr = u * it->ratio.index_select(0, nodes);
    if (has_root()) root = cr.matmul(root_weight);
    u = cr.matmul(it->weight);
  }
  return {u, root};
}

at::Tensor LayerMaps::forward(const at::Tensor& main, const at::Tensor& root, const at::Tensor& nodes) const {
  auto rows = [&](const at::Tensor& ratio) { return nodes.defined() ? ratio.index_select(0, nodes) : ratio; };
  // GraphConv: one step, W_rel and W_root share its ratio.
  if (has_root()) return (main.matmul(steps[0].weight.t()) + root.matmul(root_weight.t())) * rows(steps[0].ratio);
  at::Tensor v = main;
  for (const auto& st : steps) v = v.matmul(st.weight.t()) * rows(st.ratio);
  return v;
}

Transitions build_transitions(const Coefficients& c, int64_t num_nodes) {
  const int64_t N = num_nodes;
  const auto dopt = c.main.options();
  auto ar = torch::arange(N, c.src.options());
  auto src = torch::cat({c.src, ar});
  auto dst = torch::cat({c.dst, ar});
  auto ca_all = torch::cat({c.main, torch::zeros({N}, dopt)});
  auto cb_all = torch::cat({torch::zeros({c.main.size(0)}, dopt), c.root_self});
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
  return tr;
}

at::Tensor LrpLayer::finish(const at::Tensor& z) const {
  // LRP treats the normalisation's 1 / ||z_i|| as a constant of node i (as for LayerNorm in Ali
  // et al. 2022), so it enters the walk relevance only through the ratio act(z / ||z||) / p of
  // the step it follows.
  auto y = normalize_ ? torch::nn::functional::normalize(z, torch::nn::functional::NormalizeFuncOptions().p(2).dim(1))
                      : z;
  return act_ ? torch::relu(y) : y;
}

namespace {

void freeze(torch::nn::Module& m) {
  for (auto& p : m.parameters()) p.set_requires_grad(false);
}

// The graph's messages j → i with their edge weights (1 without), before a layer adds its own.
Coefficients edge_coefficients(const Graph& g) {
  const int64_t N = g.num_nodes;
  const auto dopt = torch::TensorOptions().dtype(torch::kDouble).device(g.edge_index.device());
  const int64_t E = g.edge_index.size(1);
  Coefficients c;
  c.src = g.edge_index[0];
  c.dst = g.edge_index[1];
  c.main = g.edge_weight.defined() ? g.edge_weight.to(torch::kDouble) : torch::ones({E}, dopt);
  c.root_self = torch::zeros({N}, dopt);
  return c;
}

// GCN: Â_ij (the normalised adjacency, self loops included); M_i = diag(r) W'.
class GcnLrpLayer : public LrpLayer {
 public:
  GcnLrpLayer(std::shared_ptr<nn::GCNConvImpl> conv, bool act, bool normalize, const RuleTransform& rule)
      : LrpLayer(act, normalize), conv_(std::move(conv)) {
    torch::NoGradGuard no_grad;
    auto mod = nn::GCNConv(conv_->options);
    mod->to(conv_->lin->weight.device(), conv_->lin->weight.scalar_type());
    mod->lin->weight.copy_(rule.weight(conv_->lin->weight));
    if (conv_->bias.defined()) mod->bias.copy_(rule.bias(conv_->bias));
    freeze(*mod);
    modified_ = mod.ptr();
  }

  at::Tensor forward(const at::Tensor& h, const at::Tensor& ei, const at::Tensor& ew, double eps,
                     LayerMaps* maps) const override {
    at::Tensor a;
    {
      torch::NoGradGuard no_grad;
      a = finish(conv_->forward(h.detach(), ei, ew));
    }
    auto p = modified_->forward(h, ei, ew);
    if (maps) maps->steps = {{attribution::lrp_ratio(a, p.detach(), eps), modified_->lin->weight.detach()}};
    return attribution::lrp_detach_trick(p, a, eps);
  }

  Coefficients coefficients(const Graph& g) const override {
    auto c = edge_coefficients(g);
    const int64_t N = g.num_nodes;
    const auto dopt = c.main.options();
    const auto& o = conv_->options;
    if (o.add_self_loops()) {
      auto ar = torch::arange(N, g.edge_index.options());
      c.src = torch::cat({c.src, ar});
      c.dst = torch::cat({c.dst, ar});
      c.main = torch::cat({c.main, torch::ones({N}, dopt)});
    }
    if (o.normalize()) {
      auto deg = torch::zeros({N}, dopt).index_add(0, c.dst, c.main);
      auto dinv = torch::where(deg > 0, deg.pow(-0.5), torch::zeros_like(deg));
      c.main = dinv.index_select(0, c.src) * c.main * dinv.index_select(0, c.dst);
    }
    return c;
  }

 private:
  std::shared_ptr<nn::GCNConvImpl> conv_, modified_;
};

// GraphConv (sum or mean): edge weights (÷ in-degree for mean) for W_rel, 1 on the diagonal for
// W_root; M_i = diag(r) W'_rel, R_i = diag(r) W'_root.
class GraphConvLrpLayer : public LrpLayer {
 public:
  GraphConvLrpLayer(std::shared_ptr<nn::GraphConvImpl> conv, bool act, bool normalize, const RuleTransform& rule)
      : LrpLayer(act, normalize), conv_(std::move(conv)) {
    torch::NoGradGuard no_grad;
    auto mod = nn::GraphConv(conv_->options);
    mod->to(conv_->lin_rel->weight.device(), conv_->lin_rel->weight.scalar_type());
    mod->lin_rel->weight.copy_(rule.weight(conv_->lin_rel->weight));
    if (conv_->lin_rel->bias.defined()) mod->lin_rel->bias.copy_(rule.bias(conv_->lin_rel->bias));
    if (conv_->lin_root) mod->lin_root->weight.copy_(rule.weight(conv_->lin_root->weight));
    freeze(*mod);
    modified_ = mod.ptr();
  }

  at::Tensor forward(const at::Tensor& h, const at::Tensor& ei, const at::Tensor& ew, double eps,
                     LayerMaps* maps) const override {
    at::Tensor a;
    {
      torch::NoGradGuard no_grad;
      a = finish(conv_->forward(h.detach(), ei, ew));
    }
    auto p = modified_->forward(h, ei, ew);
    if (maps) {
      maps->steps = {{attribution::lrp_ratio(a, p.detach(), eps), modified_->lin_rel->weight.detach()}};
      maps->root_weight = modified_->lin_root ? modified_->lin_root->weight.detach()
                                              : torch::zeros_like(modified_->lin_rel->weight);
    }
    return attribution::lrp_detach_trick(p, a, eps);
  }

  Coefficients coefficients(const Graph& g) const override {
    auto c = edge_coefficients(g);
    const int64_t N = g.num_nodes;
    const auto dopt = c.main.options();
    if (conv_->options.aggr() == nn::Aggregation::kMean) {
      auto cnt = torch::zeros({N}, dopt).index_add(0, c.dst, torch::ones({c.dst.size(0)}, dopt));
      c.main = c.main / cnt.index_select(0, c.dst);
    }
    c.root_self = torch::ones({N}, dopt);
    return c;
  }

 private:
  std::shared_ptr<nn::GraphConvImpl> conv_, modified_;
};

// GIN: edge weights and 1 + ε on the diagonal; M_i the product through the MLP's Linear layers,
// M_i = diag(r_K) W'_K ⋯ diag(r_1) W'_1.
class GinLrpLayer : public LrpLayer {
 public:
  GinLrpLayer(std::shared_ptr<nn::GINConvImpl> conv, bool act, bool normalize, const RuleTransform& rule, int64_t index)
      : LrpLayer(act, normalize), conv_(std::move(conv)) {
    torch::NoGradGuard no_grad;
    // The aggregation (1 + eps) x_i + Σ w_ji x_j, by the layer's own code with an identity MLP.
    auto agg = nn::GINConv(conv_->options);
    agg->to(conv_->eps.device(), conv_->eps.scalar_type());
    agg->mlp = torch::nn::Sequential(torch::nn::Identity());
    agg->eps = conv_->eps.detach().clone();
    freeze(*agg);
    aggregate_ = agg.ptr();
    const auto n = conv_->mlp->size();
    for (size_t k = 0; k < n; ++k) {
      auto mod = conv_->mlp->ptr(k);
      if (auto lin = std::dynamic_pointer_cast<torch::nn::LinearImpl>(mod)) {
        mlp_.emplace_back(lin);
        relu_after_.push_back(false);
        mlp_w_.push_back(rule.weight(lin->weight).detach().clone());
        mlp_b_.push_back(lin->bias.defined() ? rule.bias(lin->bias).detach().clone() : at::Tensor());
      } else if (std::dynamic_pointer_cast<torch::nn::ReLUImpl>(mod)) {
        GNNX_CHECK(!mlp_.empty(), "GNNLRP: layer ", index, " (GINConv) has an MLP that starts with ReLU");
        relu_after_.back() = true;
      } else {
        GNNX_CHECK(std::dynamic_pointer_cast<torch::nn::IdentityImpl>(mod), "GNNLRP: layer ", index,
                   " (GINConv) has an MLP module ", mod->name(), "; supported: Linear, ReLU, Identity");
      }
    }
    GNNX_CHECK(!mlp_.empty(), "GNNLRP: layer ", index, " (GINConv) has no Linear in its MLP");
  }

  at::Tensor forward(const at::Tensor& h, const at::Tensor& ei, const at::Tensor& ew, double eps,
                     LayerMaps* maps) const override {
    auto cur = aggregate_->forward(h, ei, ew);
    if (maps) maps->steps.clear();
    for (size_t k = 0; k < mlp_.size(); ++k) {
      const bool last = k + 1 == mlp_.size();
      at::Tensor a;
      {
        torch::NoGradGuard no_grad;
        a = mlp_[k]->forward(cur.detach());
        if (relu_after_[k]) a = torch::relu(a);
        if (last) a = finish(a);
      }
      auto p = mlp_b_[k].defined() ? torch::nn::functional::linear(cur, mlp_w_[k], mlp_b_[k])
                                   : torch::nn::functional::linear(cur, mlp_w_[k]);
      if (maps) maps->steps.push_back({attribution::lrp_ratio(a, p.detach(), eps), mlp_w_[k]});
      cur = attribution::lrp_detach_trick(p, a, eps);
    }
    return cur;
  }

  Coefficients coefficients(const Graph& g) const override {
    auto c = edge_coefficients(g);
    const int64_t N = g.num_nodes;
    const double one_plus_eps = 1.0 + conv_->eps.item<double>();
    auto ar = torch::arange(N, g.edge_index.options());
    c.src = torch::cat({c.src, ar});
    c.dst = torch::cat({c.dst, ar});
    c.main = torch::cat({c.main, torch::full({N}, one_plus_eps, c.main.options())});
    return c;
  }

 private:
  std::shared_ptr<nn::GINConvImpl> conv_, aggregate_;
  std::vector<std::shared_ptr<torch::nn::LinearImpl>> mlp_;
  std::vector<bool> relu_after_;
  std::vector<at::Tensor> mlp_w_, mlp_b_;  // transformed
};

}  // namespace

std::unique_ptr<LrpLayer> make_lrp_layer(const std::shared_ptr<nn::MessagePassing>& m, bool act, bool normalize,
                                         const RuleTransform& rule, int64_t index) {
  if (auto c = std::dynamic_pointer_cast<nn::GCNConvImpl>(m))
    return std::make_unique<GcnLrpLayer>(c, act, normalize, rule);
  if (auto c = std::dynamic_pointer_cast<nn::GraphConvImpl>(m)) {
    GNNX_CHECK(c->options.aggr() != nn::Aggregation::kMax, "GNNLRP: layer ", index,
               " is a GraphConv with max aggregation, which has no walk decomposition; use sum or mean");
    return std::make_unique<GraphConvLrpLayer>(c, act, normalize, rule);
  }
  if (auto c = std::dynamic_pointer_cast<nn::GINConvImpl>(m))
    return std::make_unique<GinLrpLayer>(c, act, normalize, rule, index);
  GNNX_CHECK(false, "GNNLRP: unsupported layer type ", m->name(), " (layer ", index,
             "); GNN-LRP supports GCNConv, GINConv and GraphConv");
  return nullptr;
}

}  // namespace gnnx::explain::gnn_lrp_detail
