// GNN-LRP's linearisation: the rule-modified GCN / GIN / GraphConv layers and their transitions.
#include "explain/gnn_lrp/linearise.h"

#include <torch/torch.h>

#include "gnnx/core/check.h"

namespace gnnx::explain::gnn_lrp_detail {

using attribution::LrpRule;
using attribution::LrpRuleKind;
using attribution::ParamTransform;

namespace {

void freeze(torch::nn::Module& m) {
  for (auto& p : m.parameters()) p.set_requires_grad(false);
}

at::Tensor maybe_relu(const at::Tensor& z, bool act) { return act ? torch::relu(z) : z; }

// The classifier's per-node L2 normalisation. LRP treats 1 / ||z_i|| as a constant of node i (as
// for LayerNorm in Ali et al. 2022), so it enters the walk relevance only through the ratio
// act(z / ||z||) / p of the step it follows.
at::Tensor maybe_normalize(const at::Tensor& z, bool normalize) {
  return normalize ? torch::nn::functional::normalize(z, torch::nn::functional::NormalizeFuncOptions().p(2).dim(1)) : z;
}

}  // namespace

ParamTransform transform_of(const LrpRule& r) {
  return r.kind == LrpRuleKind::kGamma ? ParamTransform::gamma(r.gamma) : ParamTransform::identity();
}

void check_gnn_rule(const LrpRule& r, const char* which) {
  r.validate("GNNLRP");
  GNNX_CHECK(r.kind == LrpRuleKind::kEpsilon || r.kind == LrpRuleKind::kGamma, "GNNLRP: the ", which,
             " rule must be epsilon or gamma (a walk decomposition needs a rule that is one parameter transform), got ",
             attribution::to_string(r.kind));
}

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

}  // namespace gnnx::explain::gnn_lrp_detail
