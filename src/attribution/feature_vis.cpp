#include "gnnx/attribution/feature_vis.h"

#include <algorithm>
#include <array>
#include <vector>

#include <Eigen/Dense>
#include <torch/script.h>
#include <torch/torch.h>

#include "attribution/layer_geometry.h"
#include "gnnx/core/check.h"

namespace gnnx::attribution {
namespace {

void check_layered(const ImageModel& model, const std::string& op) {
  GNNX_CHECK(model.defined(), op, ": the model is empty");
  GNNX_CHECK(model.has_layers(), op, ": needs a model with layers (ImageModel::sequential or a TorchScript module ",
             "whose children run in order); ", model.description(), " has none");
}

void check_images(const at::Tensor& images, const std::string& op, const char* what = "images") {
  GNNX_CHECK(images.defined() && images.dim() >= 2 && images.size(0) > 0, op, ": expected ", what,
             " [N, ...] with N > 0, got ", images.defined() ? images.sizes() : c10::IntArrayRef{});
  GNNX_CHECK(images.is_floating_point(), op, ": expected floating ", what, ", got ", images.dtype());
}

// The output of the sub-model's last real layer (up_to appends a flatten: its input is that
// output), for x; hook (may be null) sees every layer below.
at::Tensor layer_output(const ImageModel& sub, const at::Tensor& x, const LayerHook& hook = nullptr) {
  at::Tensor out;
  const auto last = static_cast<int64_t>(sub.layers().size()) - 1;
  sub.forward_layers(x, [&](int64_t i, const Layer& l, const at::Tensor& in) -> at::Tensor {
    if (i == last) {
      out = in;
      return in.flatten(1);
    }
    return hook ? hook(i, l, in) : at::Tensor();
  });
  return out;
}

// `layer`'s output as [B, K, h, w] ([B, K] outputs as [B, K, 1, 1]).
at::Tensor as_grid(const at::Tensor& a, const std::string& op, const std::string& layer) {
  GNNX_CHECK(a.dim() == 4 || a.dim() == 2, op, ": layer \"", layer, "\" gives ", a.sizes(),
             "; expected a feature map [B, K, h, w] or units [B, K]");
  return a.dim() == 4 ? a : a.view({a.size(0), a.size(1), 1, 1});
}

ImageModel checked_sub(const ImageModel& model, const std::string& layer, const at::Tensor& first,
                       const std::string& op) {
  check_layered(model, op);
  GNNX_CHECK(!layer.empty(), op, ": no layer given");
  auto sub = model.up_to(layer);  // throws, listing the names, for an unknown layer
  model.check_layers(first);
  return sub;
}

}  // namespace

at::Tensor conv_filters(const ImageModel& model, const std::string& layer) {
  const std::string op = "conv_filters";
  check_layered(model, op);
  const Layer* l = nullptr;
  if (layer.empty()) {
    for (const auto& c : model.layers())
      if (c.kind == LayerKind::kConv && l == nullptr) l = &c;
    GNNX_CHECK(l != nullptr, op, ": ", model.description(), " has no convolution layer");
  } else {
    l = &model.layers()[static_cast<size_t>(model.layer_index(layer))];
  }
  return detail::conv_geometry(*l, op).weight.detach().to(torch::kCPU, torch::kFloat).clone();
}

ReceptiveField receptive_field(const ImageModel& model, const std::string& layer) {
  const std::string op = "receptive_field";
  check_layered(model, op);
  const auto last = model.layer_index(layer);
  ReceptiveField f;
  for (int64_t i = 0; i <= last; ++i) {
    const auto& l = model.layers()[static_cast<size_t>(i)];
    // One window per axis: (kernel, stride, padding, dilation); an int given once stands for both.
    std::array<std::array<int64_t, 4>, 2> window{};
    auto set = [&](const std::vector<int64_t>& k, const std::vector<int64_t>& s, const std::vector<int64_t>& p,
                   const std::vector<int64_t>& d) {
      for (const auto* v : {&k, &s, &p, &d})
        GNNX_CHECK(v->size() == 1 || v->size() == 2, op, ": layer \"", l.name, "\" is not two-dimensional");
      for (size_t a = 0; a < 2; ++a) {
        const size_t i = std::min<size_t>(a, k.size() - 1), j = std::min<size_t>(a, s.size() - 1);
        const size_t m = std::min<size_t>(a, p.size() - 1), n = std::min<size_t>(a, d.size() - 1);
        window[a] = {k[i], s[j], p[m], d[n]};
      }
    };
    switch (l.kind) {
      case LayerKind::kReLU:
      case LayerKind::kBatchNorm:
      case LayerKind::kDropout: continue;
      case LayerKind::kFlatten:
      case LayerKind::kLinear: f.global = true; continue;
      case LayerKind::kConv: {
        auto g = detail::conv_geometry(l, op);
        GNNX_CHECK(g.weight.dim() == 4, op, ": layer \"", l.name, "\" is not a 2-D convolution");
        set({g.weight.size(2), g.weight.size(3)}, g.stride, g.padding, g.dilation);
        break;
      }
      case LayerKind::kMaxPool:
      case LayerKind::kAvgPool: {
        auto g = detail::pool_geometry(l, op);
        if (g.adaptive) {
          f.global = true;
          continue;
        }
        set(g.kernel, g.stride, g.padding, g.dilation);
        break;
      }
      default:
        GNNX_CHECK(false, op, ": layer \"", l.name, "\" (", l.type,
                   ") has no known geometry; receptive fields follow convolutions, poolings, ReLU, batch norm, "
                   "dropout, flatten and linear layers");
    }
    if (f.global) continue;  // a window over a global layer's output still sees everything
    for (size_t a = 0; a < 2; ++a) {
      const auto [kernel, stride, padding, dilation] = window[a];
      f.offset[a] -= padding * f.jump[a];
      f.size[a] += (kernel - 1) * dilation * f.jump[a];
      f.jump[a] *= stride;
    }
  }
  return f;
}

at::Tensor layer_features(const ImageModel& model, const std::string& layer, const at::Tensor& images,
                          int64_t batch_size) {
  const std::string op = "layer_features";
  check_images(images, op);
  GNNX_CHECK(batch_size > 0, op, ": batch_size must be positive, got ", batch_size);
  auto sub = checked_sub(model, layer, images.slice(0, 0, std::min<int64_t>(batch_size, images.size(0))), op);
  torch::NoGradGuard no_grad;
  std::vector<at::Tensor> parts;
  for (int64_t s = 0; s < images.size(0); s += batch_size)
    parts.push_back(sub.forward(images.slice(0, s, std::min(s + batch_size, images.size(0)))));
  return torch::cat(parts, 0);
}

TopPatches top_activating_patches(const ImageModel& model, const at::Tensor& images, const TopPatchesOptions& options) {
  const std::string op = "top_activating_patches";
  check_images(images, op);
  GNNX_CHECK(images.dim() == 4, op, ": expected images [N, C, H, W], got ", images.sizes());
  GNNX_CHECK(options.top_k() > 0, op, ": top_k must be positive, got ", options.top_k());
  GNNX_CHECK(options.batch_size() > 0, op, ": batch_size must be positive, got ", options.batch_size());
  const int64_t n = images.size(0), bs = options.batch_size();
  auto sub = checked_sub(model, options.layer(), images.slice(0, 0, std::min(bs, n)), op);
  const auto field = receptive_field(model, options.layer());

  // Candidates (activation, image, row, column), kept to the best top_k after every batch.
  at::Tensor best_v, best_i, best_p;  // [m] float64, [m] int64 image, [m] int64 flat position
  int64_t grid_w = 1;
  {
    torch::NoGradGuard no_grad;
    for (int64_t s = 0; s < n; s += bs) {
      auto a = as_grid(layer_output(sub, images.slice(0, s, std::min(s + bs, n))), op, options.layer());
      GNNX_CHECK(options.channel() >= 0 && options.channel() < a.size(1), op, ": channel ", options.channel(),
                 " does not exist; layer \"", options.layer(), "\" has ", a.size(1), " channels");
      grid_w = a.size(3);
      auto c = a.select(1, options.channel()).reshape({a.size(0), -1}).to(torch::kCPU, torch::kDouble);  // [b, hw]
      at::Tensor v, img, pos;
      const auto long_cpu = torch::TensorOptions().dtype(torch::kLong);
      if (options.one_per_image()) {
        // The first maximum of each row: argmax over a stable descending sort.
        auto sorted = std::get<1>(c.sort(/*stable=*/true, /*dim=*/1, /*descending=*/true));
        pos = sorted.select(1, 0).contiguous();
        v = c.gather(1, pos.unsqueeze(1)).squeeze(1);
        img = torch::arange(s, s + a.size(0), long_cpu);
      } else {
        v = c.reshape({-1});
        img = torch::arange(s, s + a.size(0), long_cpu).repeat_interleave(c.size(1));
        pos = torch::arange(c.size(1), long_cpu).repeat({a.size(0)});
      }
      if (best_v.defined())
        v = torch::cat({best_v, v}), img = torch::cat({best_i, img}), pos = torch::cat({best_p, pos});
      // Candidates are in (image, position) order; a stable sort keeps that order among ties.
      auto order = std::get<1>(v.sort(/*stable=*/true, /*dim=*/0, /*descending=*/true));
      order = order.slice(0, 0, std::min<int64_t>(options.top_k(), order.size(0)));
      // Restore (image, position) order of the kept ones so that later ties stay behind them.
      auto keep = std::get<0>(order.sort());
      best_v = v.index_select(0, keep), best_i = img.index_select(0, keep), best_p = pos.index_select(0, keep);
    }
  }
  auto order = std::get<1>(best_v.sort(/*stable=*/true, /*dim=*/0, /*descending=*/true));
  TopPatches r;
  r.field = field;
  r.activation = best_v.index_select(0, order).to(torch::kFloat);
  r.image = best_i.index_select(0, order);
  auto flat = best_p.index_select(0, order);
  r.position = torch::stack({flat.div(grid_w, "floor"), flat.remainder(grid_w)}, 1);
  const int64_t k = r.image.size(0), C = images.size(1), H = images.size(2), W = images.size(3);
  const int64_t ph = field.global ? H : field.size[0], pw = field.global ? W : field.size[1];
  r.box = torch::empty({k, 4}, torch::kLong);
  r.patches = torch::zeros({k, C, ph, pw}, images.options());
  auto box = r.box.accessor<int64_t, 2>();
  auto position = r.position.accessor<int64_t, 2>();
  auto image = r.image.accessor<int64_t, 1>();
  for (int64_t j = 0; j < k; ++j) {
    const int64_t y0 = field.global ? 0 : field.offset[0] + position[j][0] * field.jump[0];
    const int64_t x0 = field.global ? 0 : field.offset[1] + position[j][1] * field.jump[1];
    const int64_t cy0 = std::clamp<int64_t>(y0, 0, H), cy1 = std::clamp<int64_t>(y0 + ph, 0, H);
    const int64_t cx0 = std::clamp<int64_t>(x0, 0, W), cx1 = std::clamp<int64_t>(x0 + pw, 0, W);
    box[j][0] = cy0, box[j][1] = cx0, box[j][2] = cy1, box[j][3] = cx1;
    if (cy1 > cy0 && cx1 > cx0) {
      r.patches[j]
          .slice(1, cy0 - y0, cy1 - y0)
          .slice(2, cx0 - x0, cx1 - x0)
          .copy_(images[image[j]].slice(1, cy0, cy1).slice(2, cx0, cx1));
    }
  }
  return r;
}

Neighbours nearest_neighbours(const ImageModel& model, const at::Tensor& queries, const at::Tensor& images,
                              const NeighboursOptions& options) {
  const std::string op = "nearest_neighbours";
  check_images(queries, op, "queries");
  check_images(images, op);
  GNNX_CHECK(queries.sizes().slice(1) == images.sizes().slice(1), op, ": queries ", queries.sizes(), " and images ",
             images.sizes(), " differ in shape");
  GNNX_CHECK(options.k() > 0, op, ": k must be positive, got ", options.k());
  auto fq = layer_features(model, options.layer(), queries, options.batch_size()).to(torch::kCPU, torch::kDouble);
  auto fi = layer_features(model, options.layer(), images, options.batch_size()).to(torch::kCPU, torch::kDouble);
  at::Tensor d;
  if (options.distance() == FeatureDistance::kCosine) {
    auto nq = fq / fq.norm(2, 1, true).clamp_min(1e-12), ni = fi / fi.norm(2, 1, true).clamp_min(1e-12);
    d = (1.0 - nq.mm(ni.t())).clamp_min(0);
  } else {
    // |q|² + |x|² − 2 q·x loses the small distances to cancellation; differences do not.
    d = torch::empty({fq.size(0), fi.size(0)}, torch::kDouble);
    for (int64_t q = 0; q < fq.size(0); ++q) d[q] = (fi - fq[q]).norm(2, 1);
  }
  const int64_t k = std::min(options.k(), fi.size(0));
  auto sorted = d.sort(/*stable=*/true, /*dim=*/1, /*descending=*/false);
  return {std::get<1>(sorted).slice(1, 0, k).contiguous(), std::get<0>(sorted).slice(1, 0, k).contiguous()};
}

FeatureMap pca_map(const at::Tensor& features) {
  const std::string op = "pca_map";
  GNNX_CHECK(features.defined() && features.dim() == 2 && features.size(0) >= 2 && features.size(1) >= 1, op,
             ": expected features [N, M] with N >= 2 and M >= 1, got ",
             features.defined() ? features.sizes() : c10::IntArrayRef{});
  auto f = features.detach().to(torch::kCPU, torch::kDouble).contiguous();
  GNNX_CHECK(torch::isfinite(f).all().item<bool>(), op, ": the features contain NaN or infinity");
  const auto n = f.size(0), m = f.size(1);
  using Matrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  Matrix x = Eigen::Map<const Matrix>(f.data_ptr<double>(), n, m);
  x.rowwise() -= x.colwise().mean();
  Eigen::MatrixXd coords = Eigen::MatrixXd::Zero(n, 2);
  Eigen::VectorXd values;
  if (n <= m) {  // Gram matrix X Xᵀ = U Λ Uᵀ: coordinates U √Λ
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(x * x.transpose());
    values = es.eigenvalues().reverse();
    for (int64_t c = 0; c < std::min<int64_t>(2, n); ++c)
      coords.col(c) = es.eigenvectors().col(n - 1 - c) * std::sqrt(std::max(values(c), 0.0));
  } else {  // covariance XᵀX = V Λ Vᵀ: coordinates X V
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(x.transpose() * x);
    values = es.eigenvalues().reverse();
    for (int64_t c = 0; c < std::min<int64_t>(2, m); ++c) coords.col(c) = x * es.eigenvectors().col(m - 1 - c);
  }
  const double total = values.cwiseMax(0.0).sum();
  FeatureMap r;
  r.coords = torch::zeros({n, 2}, torch::kDouble);
  r.explained_variance = torch::zeros({2}, torch::kDouble);
  for (int64_t c = 0; c < std::min<int64_t>(2, values.size()); ++c) {
    const double lambda = std::max(values(c), 0.0);
    if (total <= 0 || lambda <= total * 1e-12) continue;  // no variance along this axis
    Eigen::Index at = 0;
    coords.col(c).cwiseAbs().maxCoeff(&at);
    const double sign = coords(at, c) < 0 ? -1.0 : 1.0;
    for (int64_t i = 0; i < n; ++i) r.coords[i][c] = sign * coords(i, c);
    r.explained_variance[c] = lambda / total;
  }
  return r;
}

NeuronBackprop neuron_backprop(const ImageModel& model, const at::Tensor& images,
                               const NeuronBackpropOptions& options) {
  const std::string op = "neuron_backprop";
  check_images(images, op);
  auto sub = checked_sub(model, options.layer(), images, op);
  const auto rule = options.rule();
  LayerHook hook = [rule](int64_t, const Layer& l, const at::Tensor& in) -> at::Tensor {
    if (l.kind != LayerKind::kReLU || rule == NeuronRule::kGradient) return {};
    return modified_relu(in, rule == NeuronRule::kGuided ? ReluRule::kGuided : ReluRule::kDeconv);
  };
  torch::AutoGradMode grad_mode(true);
  auto x = images.detach().clone().requires_grad_(true);
  auto a = as_grid(layer_output(sub, x, hook), op, options.layer());
  GNNX_CHECK(options.channel() >= 0 && options.channel() < a.size(1), op, ": channel ", options.channel(),
             " does not exist; layer \"", options.layer(), "\" has ", a.size(1), " channels");
  const int64_t b = a.size(0), h = a.size(2), w = a.size(3);
  auto channel = a.select(1, options.channel()).reshape({b, -1});  // [B, hw]
  at::Tensor flat;
  if (options.row() < 0 && options.column() < 0) {
    flat = std::get<1>(channel.detach().sort(/*stable=*/true, /*dim=*/1, /*descending=*/true)).select(1, 0);
  } else {
    GNNX_CHECK(options.row() >= 0 && options.row() < h && options.column() >= 0 && options.column() < w, op,
               ": position (", options.row(), ", ", options.column(), ") is outside layer \"", options.layer(), "\"'s ",
               h, " x ", w, " grid (give both, or -1 for both)");
    flat = torch::full({b}, options.row() * w + options.column(), torch::TensorOptions().dtype(torch::kLong));
  }
  flat = flat.to(channel.device());
  auto unit = channel.gather(1, flat.unsqueeze(1)).squeeze(1);  // [B]
  // Rows are independent (eval mode): the gradient of the sum is each image's own unit's.
  auto grad = torch::autograd::grad({unit.sum()}, {x}, {}, /*retain_graph=*/false, /*create_graph=*/false,
                                    /*allow_unused=*/true)[0];
  NeuronBackprop r;
  r.values = grad.defined() ? grad : torch::zeros_like(x);
  flat = flat.cpu();
  r.position = torch::stack({flat.div(w, "floor"), flat.remainder(w)}, 1);
  r.activation = unit.detach();
  return r;
}

}  // namespace gnnx::attribution
