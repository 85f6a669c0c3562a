#include "gnnx/explain/gnn_explainer.h"

#include <cmath>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <torch/torch.h>

#include "explain/instances.h"
#include "gnnx/core/check.h"
#include "gnnx/core/random.h"
#include "gnnx/explain/explanation_file.h"
#include "gnnx/nn/message_passing.h"

namespace gnnx::explain {

at::Tensor RegularizerTerms::total() const { return edge_size + edge_ent + feat_size + feat_ent + laplacian; }

namespace {

at::Tensor entropy(const at::Tensor& p, double eps) {
  return -p * torch::log(p + eps) - (1 - p) * torch::log(1 - p + eps);
}

// Σ of v per segment, [S].
at::Tensor segment_sum(const at::Tensor& v, const at::Tensor& seg, int64_t S) {
  return torch::zeros({S}, v.options()).index_add(0, seg, v);
}
at::Tensor segment_mean(const at::Tensor& v, const at::Tensor& seg, int64_t S) {
  return segment_sum(v, seg, S) / segment_sum(torch::ones_like(v), seg, S).clamp_min(1);
}

}  // namespace

RegularizerTerms gnn_explainer_regularizers(const GNNExplainerOptions& o, const at::Tensor& edge_prob,
                                            const at::Tensor& feat_prob, int64_t S, const at::Tensor& edge_segment,
                                            const at::Tensor& feat_segment, const at::Tensor& edge_index,
                                            const at::Tensor& node_pred, const at::Tensor& num_nodes) {
  GNNX_CHECK(edge_prob.defined() && edge_prob.dim() == 1, "gnn_explainer_regularizers: edge_prob must be [E]");
  GNNX_CHECK(S >= 1, "gnn_explainer_regularizers: num_segments must be >= 1, got ", S);
  const auto lopt = torch::TensorOptions().dtype(torch::kLong).device(edge_prob.device());
  auto eseg = edge_segment.defined() ? edge_segment : torch::zeros({edge_prob.size(0)}, lopt);
  GNNX_CHECK(eseg.numel() == edge_prob.numel(), "gnn_explainer_regularizers: edge_segment has ", eseg.numel(),
             " entries for ", edge_prob.numel(), " edges");
  RegularizerTerms r;
  auto zero = torch::zeros({S}, edge_prob.options());
  r.edge_size = o.edge_size() * segment_sum(edge_prob, eseg, S);
  r.edge_ent = o.edge_ent() * segment_mean(entropy(edge_prob, o.eps()), eseg, S);
  if (feat_prob.defined()) {
    auto fp = feat_prob.reshape({-1});
    auto fseg = feat_segment.defined() ? feat_segment : torch::zeros({fp.size(0)}, lopt);
    GNNX_CHECK(fseg.numel() == fp.numel(), "gnn_explainer_regularizers: feat_segment has ", fseg.numel(),
               " entries for ", fp.numel(), " feature-mask entries");
    r.feat_size = o.feat_size() * segment_mean(fp, fseg, S);
    r.feat_ent = o.feat_ent() * segment_mean(entropy(fp, o.eps()), fseg, S);
  } else {
    r.feat_size = zero;
    r.feat_ent = zero;
  }
  if (o.laplacian() != 0 && edge_index.defined() && node_pred.defined()) {
    GNNX_CHECK(num_nodes.defined() && num_nodes.numel() == S,
               "gnn_explainer_regularizers: the Laplacian term needs num_nodes [S]");
    auto d = node_pred.index_select(0, edge_index[0]) - node_pred.index_select(0, edge_index[1]);
    auto n = num_nodes.to(edge_prob.options());
    r.laplacian = o.laplacian() * 0.5 * segment_sum(edge_prob * d * d, eseg, S) / (n * n);
  } else {
    r.laplacian = zero;
  }
  return r;
}

namespace {

struct Result {
  at::Tensor edge_prob;  // [e], 0 off the hard mask
  at::Tensor feat_prob;  // [F], [n] or [n, F], 0 off the hard mask; undefined for none
  double prediction_loss = 0, final_loss = 0;
};

void check_options(const GNNExplainerOptions& o) {
  GNNX_CHECK(o.epochs() >= 1, "GNNExplainer: epochs must be >= 1, got ", o.epochs());
  GNNX_CHECK(o.lr() > 0, "GNNExplainer: lr must be positive, got ", o.lr());
  GNNX_CHECK(o.edge_init_gain() >= 0 && o.feat_init_std() >= 0, "GNNExplainer: initial std must be >= 0");
  GNNX_CHECK(o.eps() >= 0, "GNNExplainer: eps must be >= 0, got ", o.eps());
  GNNX_CHECK(!o.edge_init_means().empty(), "GNNExplainer: edge_init_means must hold at least one mean, got none");
  for (double m : o.edge_init_means())
    GNNX_CHECK(std::isfinite(m), "GNNExplainer: edge_init_means must be finite, got ", m);
}

// PyG's draws over the whole graph (torch's generator after manual_seed(seed)), cut to inst.
InitialMasks draw_initial_pyg(const GNNExplainerOptions& o, const detail::Instance& inst, size_t run) {
  auto gen = torch_generator(o.seed());
  const int64_t N = inst.full_num_nodes, E = inst.full_num_edges, F = inst.graph.x.size(1);
  InitialMasks m;
  const auto std_f = o.feat_init_std();
  switch (o.feature_mask()) {
    case FeatureMaskType::kNone: break;
    case FeatureMaskType::kFeature: m.feature = torch::randn({1, F}, gen) * std_f; break;
    case FeatureMaskType::kNode: m.feature = torch::randn({N, 1}, gen) * std_f; break;
    case FeatureMaskType::kNodeFeature: m.feature = torch::randn({N, F}, gen) * std_f; break;
  }
  if (m.feature.defined())
    m.feature = o.feature_mask() == FeatureMaskType::kFeature ? m.feature.view({F})
                : o.feature_mask() == FeatureMaskType::kNode  ? m.feature.view({N}).index_select(0, inst.node_ids)
                                                              : m.feature.index_select(0, inst.node_ids);
  const double sd = o.edge_init_gain() * std::sqrt(2.0 / (2.0 * static_cast<double>(std::max<int64_t>(N, 1))));
  m.edge = (torch::randn({E}, gen) * sd + o.edge_init_means()[run]).index_select(0, inst.edge_ids);
  return m;
}

InitialMasks draw_initial(const GNNExplainerOptions& o, const detail::Instance& inst, size_t run = 0) {
  if (o.initial_draw() == InitialDraw::kPyG) return draw_initial_pyg(o, inst, run);
  Rng rng(detail::mix_seed(o.seed(), static_cast<uint64_t>(inst.key)));
  const int64_t e = inst.graph.num_edges(), n = inst.graph.num_nodes, F = inst.graph.x.size(1);
  const double sd = o.edge_init_gain() * std::sqrt(2.0 / (2.0 * static_cast<double>(std::max<int64_t>(n, 1))));
  std::vector<float> ev(static_cast<size_t>(e));
  for (auto& v : ev) v = static_cast<float>(normal(rng, o.edge_init_means()[run], sd));
  InitialMasks m;
  m.edge = torch::tensor(ev, torch::kFloat);
  std::vector<int64_t> shape;
  switch (o.feature_mask()) {
    case FeatureMaskType::kNone: return m;
    case FeatureMaskType::kFeature: shape = {F}; break;
    case FeatureMaskType::kNode: shape = {n}; break;
    case FeatureMaskType::kNodeFeature: shape = {n, F}; break;
  }
  int64_t count = 1;
  for (auto s : shape) count *= s;
  std::vector<float> fv(static_cast<size_t>(count));
  for (auto& v : fv) v = static_cast<float>(normal(rng, 0.0, o.feat_init_std()));
  m.feature = torch::tensor(fv, torch::kFloat).view(shape);
  return m;
}

// Element-wise Adam (PyTorch's formula, no weight decay): each entry's update depends on its own
// gradient history only, which is what keeps batched instances independent.
struct Adam {
  at::Tensor m, v;
  int64_t t = 0;
  void step(at::Tensor& p, const at::Tensor& g, double lr) {
    constexpr double b1 = 0.9, b2 = 0.999, eps = 1e-8;
    if (!m.defined()) {
      m = torch::zeros_like(p);
      v = torch::zeros_like(p);
    }
    ++t;
    m.mul_(b1).add_(g, 1 - b1);
    v.mul_(b2).addcmul_(g, g, 1 - b2);
    const double bc1 = 1 - std::pow(b1, static_cast<double>(t)), bc2 = 1 - std::pow(b2, static_cast<double>(t));
    auto denom = (v.sqrt() / std::sqrt(bc2)).add_(eps);
    p.addcdiv_(m, denom, -lr / bc1);
  }
};

// A 32-bit integer hash (a bijection of [0, 2^32), Mueller's constants), elementwise on int64
// tensors holding values in [0, 2^32): every product stays below 2^59.
at::Tensor hash32(at::Tensor x) {
  constexpr int64_t kMul = 0x45d9f3b, kMask = 0xffffffff;
  x = x.bitwise_xor(x.bitwise_right_shift(16)).mul(kMul).bitwise_and(kMask);
  x = x.bitwise_xor(x.bitwise_right_shift(16)).mul(kMul).bitwise_and(kMask);
  return x.bitwise_xor(x.bitwise_right_shift(16));
}

// The learnable masks of one union: M holds one logit per mask entry, per undirected pair
// (symmetric_mask) or per edge, and pair[e] says which entry edge e reads; Fm the feature-mask
// logits, fseg each feature entry's instance.
struct Masks {
  at::Tensor M, pair, Fm, fseg;
};

Masks initial_logits(const GNNExplainerOptions& o, const detail::Union& u,
                     const std::vector<const detail::Instance*>& part, const std::vector<InitialMasks>& init,
                     int64_t first, int64_t last) {
  const int64_t B = u.size(), F = u.graph.x.size(1);
  const auto fopt = u.graph.x.options();
  const auto lopt = torch::TensorOptions().dtype(torch::kLong).device(u.graph.device());
  std::vector<at::Tensor> e0, f0;
  for (int64_t i = first; i < last; ++i) {
    const auto& m = init[static_cast<size_t>(i)];
    e0.push_back(m.edge);
    if (o.feature_mask() != FeatureMaskType::kNone) f0.push_back(m.feature);
  }
  // A pair starts at the mean of its edges' initial logits.
  Masks m;
  const int64_t E = u.graph.num_edges();
  int64_t P = E;
  m.pair = torch::arange(E, lopt);
  if (o.symmetric_mask()) m.pair = detail::union_pairs(part, P);
  auto e_init = torch::cat(e0).to(fopt);
  m.M = o.symmetric_mask() ? torch::zeros({P}, fopt).index_add(0, m.pair, e_init) /
                                 torch::zeros({P}, fopt).index_add(0, m.pair, torch::ones_like(e_init))
                           : e_init;
  m.M = m.M.detach().requires_grad_(true);
  switch (o.feature_mask()) {
    case FeatureMaskType::kNone: break;
    case FeatureMaskType::kFeature:
      m.Fm = torch::stack(f0).to(fopt);  // [B, F]
      m.fseg = torch::arange(B, lopt).repeat_interleave(F);
      break;
    case FeatureMaskType::kNode:
      m.Fm = torch::cat(f0).to(fopt);  // [N]
      m.fseg = u.node_seg;
      break;
    case FeatureMaskType::kNodeFeature:
      m.Fm = torch::cat(f0).to(fopt);  // [N, F]
      m.fseg = u.node_seg.repeat_interleave(F);
      break;
  }
  if (m.Fm.defined()) m.Fm = m.Fm.detach().requires_grad_(true);
  return m;
}

// The node features each epoch sees: X ⊙ σ(F), or with reparametrize Z + (X − Z) ⊙ σ(F) where
// Z[r, f] = X[idx, f], idx uniform over the rows of r's instance, drawn from a counter-based hash
// of (seed, instance key, row within the instance, feature, epoch). A union thus draws what single
// runs would, on any device, and nothing is copied from the host in the epoch loop.
// x0 = hash(counter ^ instance salt) is fixed; each epoch hashes it again with the epoch's salt.
// Values stay below 2^32 in int64 and products below 2^63 (h · n with n < 2^31).
class MaskedFeatures {
 public:
  MaskedFeatures(const GNNExplainerOptions& o, const detail::Union& u, const std::vector<detail::Instance>& insts,
                 int64_t first, const at::Tensor& Fm)
      : o_(o), u_(u), draws_(o.reparametrize() && Fm.defined()) {
    if (!draws_) return;
    const int64_t B = u.size(), N = u.graph.num_nodes, F = u.graph.x.size(1);
    const auto dev = u.graph.device();
    GNNX_CHECK(N * F < (int64_t{1} << 31),
               "GNNExplainer: reparametrize draws for fewer than 2^31 feature entries per batch, got ", N * F,
               "; use a smaller chunk_size");
    std::vector<int64_t> salt(static_cast<size_t>(N)), lo(static_cast<size_t>(N)), cnt(static_cast<size_t>(N)),
        row(static_cast<size_t>(N));
    for (int64_t b = 0; b < B; ++b) {
      const int64_t a = u.node_off[static_cast<size_t>(b)], z = u.node_off[static_cast<size_t>(b) + 1];
      const uint64_t key = detail::mix_seed(o.seed() ^ 0x5eed5eedULL,
                                            static_cast<uint64_t>(insts[static_cast<size_t>(first + b)].key));
      for (int64_t r = a; r < z; ++r) {
        const auto rs = static_cast<size_t>(r);
        salt[rs] = static_cast<int64_t>(key & 0xffffffffULL);
        lo[rs] = a;
        cnt[rs] = z - a;
        row[rs] = r - a;
      }
    }
    auto col = [&](const std::vector<int64_t>& v) { return torch::tensor(v, torch::kLong).view({N, 1}).to(dev); };
    auto ctr = col(row) * F + torch::arange(F, torch::TensorOptions().dtype(torch::kLong).device(dev)).view({1, F});
    x0_ = hash32(ctr.bitwise_xor(col(salt)));
    lo_ = col(lo);
    n_ = col(cnt);
  }

  /// The features of the next epoch under feature-mask logits Fm (undefined: X itself).
  at::Tensor next(const at::Tensor& Fm) {
    const auto& X = u_.graph.x;
    if (!Fm.defined()) return X;
    at::Tensor s;
    switch (o_.feature_mask()) {
      case FeatureMaskType::kFeature: s = torch::sigmoid(Fm).index_select(0, u_.node_seg); break;
      case FeatureMaskType::kNode: s = torch::sigmoid(Fm).unsqueeze(1); break;
      default: s = torch::sigmoid(Fm); break;
    }
    if (!draws_) return X * s;
    const auto epoch_salt = static_cast<int64_t>(
        detail::mix_seed(o_.seed() ^ 0xe90c5a17ULL, static_cast<uint64_t>(epoch_++)) & 0xffffffffULL);
    auto h = hash32(x0_.bitwise_xor(epoch_salt));       // uniform over [0, 2^32)
    auto idx = lo_ + (h * n_).bitwise_right_shift(32);  // uniform over [lo, lo + n)
    auto Z = X.gather(0, idx);
    return Z + (X - Z) * s;
  }

 private:
  const GNNExplainerOptions& o_;
  const detail::Union& u_;
  bool draws_;
  at::Tensor x0_, lo_, n_;
  int64_t epoch_ = 0;
};

// The regularisers of gnn_explainer_regularizers over PyG's hard masks (the entries the
// prediction depends on at all, found from epoch 0's gradients), with what is constant over the
// epochs folded into per-entry coefficients: per instance, Σ p·a + H(p)·c over its hard edges with
// a = edge_size (+ laplacian / 2 · d² / n²) and c = edge_ent / (its number of hard edges), and
// likewise over its feature entries. One index_add instead of a dozen reductions per epoch.
class HardRegularizer {
 public:
  /// node_pred: the full-graph class of every union node (the Laplacian's), or undefined.
  void fit(const GNNExplainerOptions& o, const detail::Union& u, const Masks& m, const at::Tensor& ge,
           const at::Tensor& gf, const at::Tensor& node_pred) {
    const int64_t B = u.size();
    const auto fopt = u.graph.x.options();
    hard_e = (ge != 0).index_select(0, m.pair);
    hard_e_idx_ = torch::nonzero(hard_e).flatten();
    hard_seg_ = u.edge_seg.index_select(0, hard_e_idx_);
    if (m.Fm.defined()) {
      hard_f = (gf != 0).reshape({-1});
      hard_f_idx_ = torch::nonzero(hard_f).flatten();
    }
    // Mean = sum / count over an instance's hard entries (count >= 1 wherever there are any).
    auto per_entry_count = [&](const at::Tensor& seg) {
      auto c = torch::zeros({B}, fopt).index_add(0, seg, torch::ones({seg.size(0)}, fopt)).clamp_min(1);
      return c.index_select(0, seg);
    };
    e_a_ = torch::full({hard_seg_.size(0)}, o.edge_size(), fopt);
    if (node_pred.defined()) {  // the Laplacian term
      auto hard_ei = u.graph.edge_index.index_select(1, hard_e_idx_);
      auto d = node_pred.index_select(0, hard_ei[0]) - node_pred.index_select(0, hard_ei[1]);
      auto n = u.num_nodes.to(fopt).index_select(0, hard_seg_);
      e_a_ = e_a_ + o.laplacian() * 0.5 * d * d / (n * n);
    }
    e_c_ = per_entry_count(hard_seg_).reciprocal() * o.edge_ent();
    if (m.Fm.defined()) {
      hard_fseg_ = m.fseg.index_select(0, hard_f_idx_);
      auto inv = per_entry_count(hard_fseg_).reciprocal();
      f_a_ = inv * o.feat_size();
      f_c_ = inv * o.feat_ent();
    }
  }

  /// [B]: each instance's regulariser at edge probabilities pe and feature logits Fm.
  at::Tensor operator()(const GNNExplainerOptions& o, int64_t B, const at::Tensor& pe, const at::Tensor& Fm) const {
    auto p = pe.index_select(0, hard_e_idx_);
    auto reg = torch::zeros({B}, pe.options()).index_add(0, hard_seg_, p * e_a_ + entropy(p, o.eps()) * e_c_);
    if (Fm.defined()) {
      auto fp = torch::sigmoid(Fm).reshape({-1}).index_select(0, hard_f_idx_);
      reg = reg.index_add(0, hard_fseg_, fp * f_a_ + entropy(fp, o.eps()) * f_c_);
    }
    return reg;
  }

  at::Tensor hard_e, hard_f;  ///< the hard masks: [E] per union edge, and the feature entries

 private:
  at::Tensor hard_e_idx_, hard_seg_, hard_f_idx_, hard_fseg_, e_a_, e_c_, f_a_, f_c_;
};

// One union of instances, optimised together; results written to out[first..last).
void optimise(nn::GNNModel& model, const GNNExplainerOptions& o, const std::vector<detail::Instance>& insts,
              const std::vector<InitialMasks>& init, int64_t first, int64_t last, std::vector<Result>& out) {
  std::vector<const detail::Instance*> part;
  for (int64_t i = first; i < last; ++i) part.push_back(&insts[static_cast<size_t>(i)]);
  auto u = detail::make_union(part, model.task() == nn::Task::kGraph);
  nn::IndexRangeScope ranges;  // each index's id range measured once, not per layer and epoch
  detail::add_index_ranges(u, ranges);
  const int64_t B = u.size();
  const auto fopt = u.graph.x.options();
  torch::AutoGradMode grad_on(true);

  auto m = initial_logits(o, u, part, init, first, last);
  // The Laplacian reads each subgraph node's class as predicted on the full graph (the original
  // code's pred_label): on the subgraph, nodes near its border see a cut neighbourhood. Graph
  // tasks have no node classes: the term is 0 there, as in the original code.
  at::Tensor node_pred;
  if (o.laplacian() != 0 && !u.graph_task && !u.link) {
    std::vector<at::Tensor> preds;
    for (const auto* inst : part) preds.push_back(inst->node_pred);
    node_pred = torch::cat(preds).to(u.graph.device(), fopt.dtype().toScalarType());
  }
  MaskedFeatures features(o, u, insts, first, m.Fm);
  HardRegularizer regularizer;
  Adam adam_e, adam_f;
  at::Tensor last_pred, last_reg;
  for (int64_t epoch = 0; epoch < o.epochs(); ++epoch) {
    auto pe = torch::sigmoid(m.M).index_select(0, m.pair);
    auto logits = detail::union_logits(model, u, features.next(m.Fm), pe, o.mask_placement());
    auto pred_loss = detail::prediction_loss(u, logits);  // [B]
    at::Tensor loss = pred_loss.sum();
    if (epoch > 0) {
      last_reg = regularizer(o, B, pe, m.Fm);
      loss = loss + last_reg.sum();
    }
    last_pred = pred_loss.detach();
    std::vector<at::Tensor> inputs{m.M};
    if (m.Fm.defined()) inputs.push_back(m.Fm);
    auto grads = torch::autograd::grad({loss}, inputs, /*grad_outputs=*/{}, /*retain_graph=*/false,
                                       /*create_graph=*/false, /*allow_unused=*/true);
    torch::NoGradGuard ng;
    auto ge = grads[0].defined() ? grads[0] : torch::zeros_like(m.M);
    at::Tensor gf;
    if (m.Fm.defined()) gf = grads[1].defined() ? grads[1] : torch::zeros_like(m.Fm);
    if (epoch == 0) regularizer.fit(o, u, m, ge, gf, node_pred);
    adam_e.step(m.M, ge, o.lr());
    if (m.Fm.defined()) adam_f.step(m.Fm, gf, o.lr());
  }

  torch::NoGradGuard ng;
  auto pe = (torch::sigmoid(m.M).index_select(0, m.pair) * regularizer.hard_e).to(torch::kCPU);
  at::Tensor pf;
  if (m.Fm.defined()) pf = (torch::sigmoid(m.Fm) * regularizer.hard_f.view(m.Fm.sizes())).to(torch::kCPU);
  auto lp = last_pred.to(torch::kCPU);
  auto lr = last_reg.defined() ? last_reg.to(torch::kCPU) : torch::zeros({B});
  for (int64_t b = 0; b < B; ++b) {
    Result r;
    const auto bs = static_cast<size_t>(b);
    r.edge_prob = pe.slice(0, u.edge_off[bs], u.edge_off[bs + 1]).clone();
    if (m.Fm.defined()) {
      if (o.feature_mask() == FeatureMaskType::kFeature)
        r.feat_prob = pf[b].clone();
      else
        r.feat_prob = pf.slice(0, u.node_off[bs], u.node_off[bs + 1]).clone();
    }
    r.prediction_loss = lp[b].item<double>();
    r.final_loss = r.prediction_loss + lr[b].item<double>();
    out[static_cast<size_t>(first + b)] = std::move(r);
  }
}

// The mean of p over each edge and its reverse (parallel copies of an edge included): p [E] on
// the host, one entry per edge of the instance's subgraph.
at::Tensor average_directions(const detail::Instance& inst, const at::Tensor& p) {
  int64_t P = 0;
  const std::vector<const detail::Instance*> one{&inst};
  auto pair = detail::union_pairs(one, P).to(torch::kCPU);
  auto sum = torch::zeros({P}, p.options()).index_add(0, pair, p);
  auto count = torch::zeros({P}, p.options()).index_add(0, pair, torch::ones_like(p));
  return (sum / count).index_select(0, pair);
}

// The seeded initial masks of every run, run-major.
// Each draw is seeded by its instance alone, so drawing them in parallel changes nothing.
std::vector<InitialMasks> draw_all(const GNNExplainerOptions& o, const std::vector<detail::Instance>& insts) {
  const size_t n = insts.size();
  std::vector<InitialMasks> init(o.edge_init_means().size() * n);
  tbb::parallel_for(tbb::blocked_range<size_t>(0, init.size()), [&](const tbb::blocked_range<size_t>& r) {
    for (size_t k = r.begin(); k != r.end(); ++k) init[k] = draw_initial(o, insts[k % n], k / n);
  });
  return init;
}

// Optimises every instance once per set of initial masks (init holds R sets of insts.size(),
// run-major) and averages the R runs' probabilities per instance.
std::vector<Explanation> run(nn::GNNModel& model, const GNNExplainerOptions& o,
                             const std::vector<detail::Instance>& insts, const std::vector<InitialMasks>& init,
                             bool compact = false) {
  GNNX_CHECK(!insts.empty() && init.size() % insts.size() == 0 && !init.empty(),
             "GNNExplainer: expected one set of initial masks per target (", insts.size(), "), got ", init.size());
  const size_t n = insts.size(), R = init.size() / n;
  for (size_t k = 0; k < init.size(); ++k) {
    const size_t i = k % n;
    const auto& g = insts[i].graph;
    GNNX_CHECK(init[k].edge.defined() && init[k].edge.dim() == 1 && init[k].edge.size(0) == g.num_edges(),
               "GNNExplainer: initial edge logits of ", gnnx::to_string(insts[i].target), " must have shape [",
               g.num_edges(), "]");
    GNNX_CHECK((o.feature_mask() == FeatureMaskType::kNone) || init[k].feature.defined(),
               "GNNExplainer: initial feature logits of ", gnnx::to_string(insts[i].target), " are missing");
  }
  detail::EvalGuard eg(model);
  // The runs are further independent instances of the same batched optimisation.
  std::vector<detail::Instance> all;
  all.reserve(init.size());
  for (size_t k = 0; k < init.size(); ++k) all.push_back(insts[k % n]);
  std::vector<Result> res(all.size());
  const bool cuda = insts.front().graph.device().is_cuda();
  detail::for_each_chunk(cuda, static_cast<int64_t>(all.size()), o.chunk_size(),
                         [&](int64_t a, int64_t b) { optimise(model, o, all, init, a, b, res); });
  std::vector<Explanation> out;
  for (size_t i = 0; i < n; ++i) {
    const auto& inst = insts[i];
    Result r = res[i];
    for (size_t k = 1; k < R; ++k) {
      const auto& q = res[k * n + i];
      r.edge_prob = r.edge_prob + q.edge_prob;
      if (r.feat_prob.defined()) r.feat_prob = r.feat_prob + q.feat_prob;
      r.prediction_loss += q.prediction_loss;
      r.final_loss += q.final_loss;
    }
    const double inv = 1.0 / static_cast<double>(R);  // exact for R = 1
    r.edge_prob = r.edge_prob * inv;
    if (r.feat_prob.defined()) r.feat_prob = r.feat_prob * inv;
    r.prediction_loss *= inv;
    r.final_loss *= inv;
    if (o.average_directions() && !o.symmetric_mask()) r.edge_prob = average_directions(inst, r.edge_prob);
    // The masks are put together on the CPU (results and ids are there) and moved once each.
    at::Tensor node_scores, feature_mask;  // rows as inst.node_ids ([F]: one row for all nodes)
    if (r.feat_prob.defined()) {
      const auto fp = r.feat_prob.to(torch::kCPU, torch::kFloat);
      if (o.feature_mask() == FeatureMaskType::kFeature) {
        feature_mask = fp;
      } else {
        node_scores = o.feature_mask() == FeatureMaskType::kNode ? fp : fp.mean(1);
        if (o.feature_mask() == FeatureMaskType::kNodeFeature) feature_mask = fp;
      }
    }
    auto e = detail::make_compact_explanation(inst, "gnnexplainer", r.edge_prob, node_scores);
    e.feature_mask = feature_mask;
    if (!compact) e = expand_explanation(e, inst.full_num_nodes, inst.full_num_edges, inst.graph.device());
    e.diagnostics["final_loss"] = r.final_loss;
    e.diagnostics["prediction_loss"] = r.prediction_loss;
    e.diagnostics["epochs"] = static_cast<double>(o.epochs());
    e.diagnostics["runs"] = static_cast<double>(R);
    e.diagnostics["subgraph_edges"] = static_cast<double>(inst.graph.num_edges());
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

GNNExplainer::GNNExplainer(GNNExplainerOptions options_) : options(std::move(options_)) { check_options(options); }

std::vector<InitialMasks> GNNExplainer::initial_masks(nn::GNNModel& model, const Graph& graph,
                                                      const std::vector<Target>& targets) const {
  auto insts = detail::make_instances(model, graph, targets, options.explanation_type() == ExplanationType::kPhenomenon,
                                      "GNNExplainer");
  std::vector<InitialMasks> out;
  for (const auto& i : insts) out.push_back(draw_initial(options, i));
  return out;
}

std::vector<Explanation> GNNExplainer::explain(nn::GNNModel& model, const Graph& graph,
                                               const std::vector<Target>& targets) {
  check_options(options);
  auto insts = detail::make_instances(model, graph, targets, options.explanation_type() == ExplanationType::kPhenomenon,
                                      "GNNExplainer");
  return run(model, options, insts, draw_all(options, insts));
}

std::vector<Explanation> GNNExplainer::explain_compact(nn::GNNModel& model, const Graph& graph,
                                                       const std::vector<Target>& targets) {
  check_options(options);
  auto insts = detail::make_instances(model, graph, targets, options.explanation_type() == ExplanationType::kPhenomenon,
                                      "GNNExplainer");
  return run(model, options, insts, draw_all(options, insts), /*compact=*/true);
}

std::vector<Explanation> GNNExplainer::explain_from(nn::GNNModel& model, const Graph& graph,
                                                    const std::vector<Target>& targets,
                                                    const std::vector<InitialMasks>& init) {
  check_options(options);
  auto insts = detail::make_instances(model, graph, targets, options.explanation_type() == ExplanationType::kPhenomenon,
                                      "GNNExplainer");
  return run(model, options, insts, init);
}

std::vector<Explanation> GNNExplainer::explain_graphs(nn::GNNModel& model, const std::vector<Graph>& graphs,
                                                      const std::vector<int64_t>& labels) {
  check_options(options);
  auto insts = detail::make_graph_instances(model, graphs, labels,
                                            options.explanation_type() == ExplanationType::kPhenomenon, "GNNExplainer");
  return run(model, options, insts, draw_all(options, insts));
}

}  // namespace gnnx::explain
