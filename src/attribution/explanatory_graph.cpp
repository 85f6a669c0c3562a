#include "gnnx/attribution/explanatory_graph.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numeric>

#include <torch/torch.h>

#include "gnnx/core/check.h"

namespace gnnx::attribution {
namespace {

const char* kOp = "explanatory graph";

// Candidate parts of one layer: per image and filter, the strongest local maxima.
struct Peaks {
  at::Tensor pos;  // [N, K, P, 2] float64, image pixels (row, column)
  at::Tensor val;  // [N, K, P] float64, 0 where there is no peak
};

// The centre of unit (row, col)'s receptive field, clipped to the image.
at::Tensor centres(const at::Tensor& row, const at::Tensor& col, const ReceptiveField& f, int64_t H, int64_t W) {
  if (f.global) {
    auto y = torch::full_like(row, (H - 1) / 2.0, torch::kDouble),
         x = torch::full_like(col, (W - 1) / 2.0, torch::kDouble);
    return torch::stack({y, x}, -1);
  }
  auto y = (row.to(torch::kDouble) * f.jump[0] + f.offset[0] + (f.size[0] - 1) / 2.0).clamp(0, H - 1);
  auto x = (col.to(torch::kDouble) * f.jump[1] + f.offset[1] + (f.size[1] - 1) / 2.0).clamp(0, W - 1);
  return torch::stack({y, x}, -1);
}

Peaks find_peaks(const at::Tensor& acts, const ReceptiveField& f, int64_t peaks, int64_t H, int64_t W) {
  const int64_t n = acts.size(0), k = acts.size(1), h = acts.size(2), w = acts.size(3);
  auto a = acts.to(torch::kDouble);
  auto m = torch::max_pool2d(a, {3, 3}, {1, 1}, {1, 1});
  auto v = torch::where((a == m) & (a > 0), a, torch::zeros_like(a)).reshape({n, k, h * w});
  const int64_t p = std::min(peaks, h * w);
  auto sorted = v.sort(/*stable=*/true, /*dim=*/-1, /*descending=*/true);
  auto val = std::get<0>(sorted).slice(-1, 0, p).contiguous();
  auto idx = std::get<1>(sorted).slice(-1, 0, p);
  return {centres(idx.div(w, "floor"), idx.remainder(w), f, H, W), val};
}

// Outputs of `layers` (indices into the model's layers, ascending) for x.
std::vector<at::Tensor> capture(const ImageModel& sub, const std::vector<int64_t>& index, const at::Tensor& x) {
  std::vector<at::Tensor> out(index.size());
  sub.forward_layers(x, [&](int64_t i, const Layer& l, const at::Tensor& in) -> at::Tensor {
    auto it = std::find(index.begin(), index.end(), i);
    if (it == index.end()) return {};
    auto o = l.forward(in);
    out[static_cast<size_t>(it - index.begin())] = o;
    return o;
  });
  return out;
}

struct LayerData {
  std::vector<Peaks> peaks;  // per chosen layer
  std::vector<ReceptiveField> fields;
  std::vector<int64_t> filters;
};

LayerData collect(const ImageModel& model, const std::vector<std::string>& layers, const at::Tensor& images,
                  int64_t peaks, int64_t batch_size) {
  GNNX_CHECK(model.has_layers(), kOp, ": needs a model with layers; ", model.description(), " has none");
  GNNX_CHECK(images.defined() && images.dim() == 4 && images.size(0) > 0 && images.is_floating_point(), kOp,
             ": expected floating images [N, C, H, W] with N > 0, got ",
             images.defined() ? images.sizes() : c10::IntArrayRef{});
  GNNX_CHECK(batch_size > 0, kOp, ": batch_size must be positive, got ", batch_size);
  std::vector<int64_t> index;
  for (const auto& name : layers) index.push_back(model.layer_index(name));
  for (size_t i = 1; i < index.size(); ++i)
    GNNX_CHECK(index[i] > index[i - 1], kOp, ": layers must be given bottom to top, without repeats; \"", layers[i],
               "\" does not come after \"", layers[i - 1], "\"");
  auto sub = model.up_to(layers.back());
  const int64_t n = images.size(0), H = images.size(2), W = images.size(3);
  model.check_layers(images.slice(0, 0, std::min(batch_size, n)));
  LayerData d;
  for (const auto& name : layers) d.fields.push_back(receptive_field(model, name));
  std::vector<std::vector<Peaks>> parts(layers.size());
  torch::NoGradGuard no_grad;
  for (int64_t s = 0; s < n; s += batch_size) {
    auto outs = capture(sub, index, images.slice(0, s, std::min(s + batch_size, n)));
    for (size_t l = 0; l < layers.size(); ++l) {
      GNNX_CHECK(outs[l].dim() == 4, kOp, ": layer \"", layers[l], "\" gives ", outs[l].sizes(),
                 "; expected a feature map [B, K, h, w]");
      parts[l].push_back(find_peaks(outs[l].cpu(), d.fields[l], peaks, H, W));
    }
  }
  for (size_t l = 0; l < layers.size(); ++l) {
    std::vector<at::Tensor> pos, val;
    for (const auto& p : parts[l]) pos.push_back(p.pos), val.push_back(p.val);
    d.peaks.push_back({torch::cat(pos), torch::cat(val)});
    d.filters.push_back(d.peaks.back().val.size(1));
  }
  return d;
}

// A node's positions over a set of images.
struct Placed {
  at::Tensor pos;    // [N, 2] float64
  at::Tensor found;  // [N] bool
  at::Tensor score;  // [N] float64
};

// The strongest peak: the baseline, and the top layer's patterns.
Placed strongest(const Peaks& p, int64_t filter) {
  auto val = p.val.select(1, filter);
  return {p.pos.select(1, filter).select(1, 0), val.select(1, 0) > 0, val.select(1, 0)};
}

// E-step: the peak of `filter` maximising a / scale + mean over found parents of
// exp(−‖p − (p_U + μ)‖² / 2σ²).
Placed e_step(const Peaks& p, int64_t filter, double scale, const std::vector<const Placed*>& parents,
              const std::vector<std::array<double, 3>>& offsets, double sigma_floor) {
  auto pos = p.pos.select(1, filter), val = p.val.select(1, filter);  // [N, P, 2], [N, P]
  const int64_t n = val.size(0);
  auto prox = torch::zeros_like(val);
  auto count = torch::zeros({n}, torch::kDouble);
  for (size_t u = 0; u < parents.size(); ++u) {
    const auto& [my, mx, sigma] = offsets[u];
    auto expect = parents[u]->pos + torch::tensor({my, mx}, torch::kDouble);
    auto d2 = (pos - expect.unsqueeze(1)).pow(2).sum(-1);
    const double s = std::max(sigma, sigma_floor);
    auto found = parents[u]->found.to(torch::kDouble);
    prox += torch::exp(-d2 / (2 * s * s)) * found.unsqueeze(1);
    count += found;
  }
  auto score = val / scale + prox / count.clamp_min(1).unsqueeze(1);
  score = torch::where(val > 0, score, torch::full_like(score, -std::numeric_limits<double>::infinity()));
  auto best = std::get<1>(score.sort(/*stable=*/true, /*dim=*/1, /*descending=*/true)).select(1, 0);
  Placed r;
  r.pos = pos.gather(1, best.view({n, 1, 1}).expand({n, 1, 2})).squeeze(1);
  r.found = (val.select(1, 0) > 0) & (parents.empty() ? torch::ones({n}, torch::kBool) : count > 0);
  r.score = torch::where(r.found, score.gather(1, best.unsqueeze(1)).squeeze(1), torch::zeros({n}, torch::kDouble));
  return r;
}

// Offset statistics of child positions relative to each upper node: μ (row, column) and σ (RMS
// deviation), over the images where both are found; count = that number of images.
struct Offset {
  double my = 0, mx = 0, sigma = 0;
  int64_t count = 0;
};

Offset offset_stats(const Placed& child, const Placed& parent) {
  auto both = child.found & parent.found;
  Offset o;
  o.count = both.sum().item<int64_t>();
  if (o.count == 0) return o;
  auto d = (child.pos - parent.pos).index({both});  // [m, 2]
  auto mu = d.mean(0);
  o.my = mu[0].item<double>(), o.mx = mu[1].item<double>();
  o.sigma = std::sqrt((d - mu).pow(2).sum(1).mean().item<double>());
  return o;
}

// Mean distance between two nodes' positions where both are found (infinity when never).
double mean_distance(const Placed& a, const Placed& b) {
  auto both = a.found & b.found;
  if (!both.any().item<bool>()) return std::numeric_limits<double>::infinity();
  return (a.pos - b.pos).index({both}).pow(2).sum(1).sqrt().mean().item<double>();
}

// M-step: the `parents` upper nodes whose offsets to child are least spread (support ≥ min_count).
void choose_parents(PatternNode& node, const Placed& child, const std::vector<Placed>& upper,
                    const std::vector<int64_t>& upper_ids, int64_t parents, int64_t min_count) {
  std::vector<std::pair<double, size_t>> order;
  std::vector<Offset> stats(upper.size());
  for (size_t u = 0; u < upper.size(); ++u) {
    stats[u] = offset_stats(child, upper[u]);
    if (stats[u].count >= min_count) order.emplace_back(stats[u].sigma, u);
  }
  std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  if (order.empty()) return;  // keep the previous parents
  node.parents.clear(), node.offset_y.clear(), node.offset_x.clear(), node.spread.clear();
  for (size_t i = 0; i < order.size() && static_cast<int64_t>(i) < parents; ++i) {
    const auto u = order[i].second;
    node.parents.push_back(upper_ids[u]);
    node.offset_y.push_back(stats[u].my), node.offset_x.push_back(stats[u].mx), node.spread.push_back(stats[u].sigma);
  }
}

// Places `node` given its parents' placements (ids into `placed`).
Placed place(const PatternNode& node, const Peaks& p, const std::vector<Placed>& placed, double sigma_floor) {
  std::vector<const Placed*> parents;
  std::vector<std::array<double, 3>> offsets;
  for (size_t i = 0; i < node.parents.size(); ++i) {
    parents.push_back(&placed[static_cast<size_t>(node.parents[i])]);
    offsets.push_back({node.offset_y[i], node.offset_x[i], node.spread[i]});
  }
  return e_step(p, node.filter, node.scale, parents, offsets, sigma_floor);
}

double sigma_floor(const ReceptiveField& f) { return std::max<double>(1.0, static_cast<double>(f.jump[0])); }

}  // namespace

std::vector<int64_t> ExplanatoryGraph::layer_nodes(int64_t layer) const {
  std::vector<int64_t> ids;
  for (size_t i = 0; i < nodes.size(); ++i)
    if (nodes[i].layer == layer) ids.push_back(static_cast<int64_t>(i));
  return ids;
}

int64_t ExplanatoryGraph::num_edges() const {
  int64_t e = 0;
  for (const auto& v : nodes) e += static_cast<int64_t>(v.parents.size());
  return e;
}

ExplanatoryGraph mine_explanatory_graph(const ImageModel& model, const at::Tensor& images,
                                        const ExplanatoryGraphOptions& options) {
  const auto& layers = options.layers();
  GNNX_CHECK(layers.size() >= 2, kOp, ": needs at least two layers, bottom to top, got ", layers.size());
  GNNX_CHECK(options.patterns_per_filter() >= 1 && options.parents() >= 1 && options.peaks() >= 1 &&
                 options.iterations() >= 1,
             kOp, ": patterns_per_filter, parents, peaks and iterations must be >= 1, got ",
             options.patterns_per_filter(), ", ", options.parents(), ", ", options.peaks(), ", ", options.iterations());
  GNNX_CHECK(options.min_support() > 0 && options.min_support() <= 1, kOp, ": min_support must lie in (0, 1], got ",
             options.min_support());
  GNNX_CHECK(images.defined() && images.dim() == 4 && images.size(0) >= 2, kOp,
             ": needs at least two images [N, C, H, W], got ", images.defined() ? images.sizes() : c10::IntArrayRef{});
  auto d = collect(model, layers, images, options.peaks(), options.batch_size());
  const int64_t n = images.size(0), H = images.size(2);
  const auto min_count = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(options.min_support() * n)));
  ExplanatoryGraph g;
  g.layers = layers, g.fields = d.fields, g.filters = d.filters, g.peaks = options.peaks();

  // Nodes are found top-down but stored bottom-up: mine into per-layer lists, then renumber.
  const auto top = static_cast<int64_t>(layers.size()) - 1;
  std::vector<std::vector<PatternNode>> per_layer(layers.size());
  std::vector<std::vector<Placed>> placed(layers.size());
  for (int64_t f = 0; f < d.filters[static_cast<size_t>(top)]; ++f) {
    auto p = strongest(d.peaks[static_cast<size_t>(top)], f);
    const auto support = p.found.sum().item<int64_t>();
    if (support < min_count) continue;
    PatternNode v;
    v.layer = top, v.filter = f, v.support = static_cast<double>(support) / static_cast<double>(n);
    v.scale = p.score.max().item<double>();
    per_layer[static_cast<size_t>(top)].push_back(v);
    placed[static_cast<size_t>(top)].push_back(p);
  }
  for (int64_t l = top - 1; l >= 0; --l) {
    const auto& upper = placed[static_cast<size_t>(l + 1)];
    std::vector<int64_t> upper_ids(upper.size());
    std::iota(upper_ids.begin(), upper_ids.end(), 0);  // local ids in the layer above
    const auto& peaks = d.peaks[static_cast<size_t>(l)];
    const auto& up_field = d.fields[static_cast<size_t>(l + 1)];
    const double tau = up_field.global ? H / 2.0 : up_field.size[0] / 2.0;
    const double floor = sigma_floor(d.fields[static_cast<size_t>(l)]);
    for (int64_t f = 0; f < d.filters[static_cast<size_t>(l)]; ++f) {
      auto val = peaks.val.select(1, f);
      if ((val.select(1, 0) > 0).sum().item<int64_t>() < min_count) continue;
      const double scale = val.max().item<double>();
      // Anchors: each upper pattern with its nearest strong peak of f, ranked by offset spread.
      std::vector<std::pair<double, size_t>> anchors;
      std::vector<Placed> near(upper.size());
      for (size_t u = 0; u < upper.size(); ++u) {
        PatternNode probe;
        probe.filter = f, probe.scale = scale;
        probe.parents = {static_cast<int64_t>(u)}, probe.offset_y = {0}, probe.offset_x = {0}, probe.spread = {tau};
        near[u] = place(probe, peaks, upper, tau);
        auto o = offset_stats(near[u], upper[u]);
        if (o.count >= min_count) anchors.emplace_back(o.sigma, u);
      }
      std::stable_sort(anchors.begin(), anchors.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
      std::vector<Placed> kept;
      for (const auto& [sigma, u] : anchors) {
        if (static_cast<int64_t>(kept.size()) >= options.patterns_per_filter()) break;
        PatternNode v;
        v.layer = l, v.filter = f, v.scale = scale;
        choose_parents(v, near[u], {upper[u]}, {static_cast<int64_t>(u)}, 1, min_count);
        Placed at = near[u];
        for (int64_t it = 0; it < options.iterations(); ++it) {
          at = place(v, peaks, upper, floor);
          choose_parents(v, at, upper, upper_ids, options.parents(), min_count);
        }
        bool distinct = true;
        for (const auto& k : kept) distinct = distinct && mean_distance(at, k) > floor;
        if (!distinct) continue;
        v.support = at.found.to(torch::kDouble).mean().item<double>();
        per_layer[static_cast<size_t>(l)].push_back(v);
        kept.push_back(at);
        placed[static_cast<size_t>(l)].push_back(at);
      }
    }
  }
  // Renumber: layer 0's nodes first; parents index the layer above's local ids.
  std::vector<int64_t> first(layers.size() + 1, 0);
  for (size_t l = 0; l < layers.size(); ++l) first[l + 1] = first[l] + static_cast<int64_t>(per_layer[l].size());
  for (size_t l = 0; l < layers.size(); ++l) {
    for (auto v : per_layer[l]) {
      for (auto& p : v.parents) p += first[l + 1];
      g.nodes.push_back(std::move(v));
    }
  }
  return g;
}

PatternPositions infer_patterns(const ExplanatoryGraph& graph, const ImageModel& model, const at::Tensor& images,
                                int64_t batch_size) {
  GNNX_CHECK(!graph.nodes.empty() && graph.layers.size() >= 2, kOp, ": the graph has no patterns");
  auto d = collect(model, graph.layers, images, graph.peaks, batch_size);
  for (size_t l = 0; l < graph.layers.size(); ++l)
    GNNX_CHECK(d.filters[l] == graph.filters[l], kOp, ": layer \"", graph.layers[l], "\" has ", d.filters[l],
               " filters in this model, ", graph.filters[l], " in the graph");
  const auto p = static_cast<int64_t>(graph.nodes.size());
  std::vector<Placed> placed(graph.nodes.size());
  // Parents always sit in the layer above, stored later: place from the last node down.
  for (int64_t i = p - 1; i >= 0; --i) {
    const auto& v = graph.nodes[static_cast<size_t>(i)];
    const auto& peaks = d.peaks[static_cast<size_t>(v.layer)];
    placed[static_cast<size_t>(i)] = v.parents.empty()
                                         ? strongest(peaks, v.filter)
                                         : place(v, peaks, placed, sigma_floor(d.fields[static_cast<size_t>(v.layer)]));
  }
  PatternPositions r;
  std::vector<at::Tensor> pos, found, score;
  for (const auto& q : placed) pos.push_back(q.pos), found.push_back(q.found), score.push_back(q.score);
  r.position = torch::stack(pos, 1), r.found = torch::stack(found, 1), r.score = torch::stack(score, 1);
  return r;
}

PatternPositions filter_peak_positions(const ImageModel& model, const std::string& layer, const at::Tensor& images,
                                       int64_t batch_size) {
  auto d = collect(model, {layer}, images, 1, batch_size);
  const auto& pk = d.peaks[0];
  return {pk.pos.select(2, 0), pk.val.select(2, 0) > 0, pk.val.select(2, 0)};
}

at::Tensor location_instability(const PatternPositions& positions, const at::Tensor& landmarks, double diagonal) {
  const auto& pos = positions.position;
  GNNX_CHECK(pos.defined() && pos.dim() == 3 && pos.size(2) == 2 && positions.found.defined() &&
                 positions.found.sizes() == pos.sizes().slice(0, 2),
             "location_instability: expected positions [B, P, 2] with found [B, P]");
  GNNX_CHECK(landmarks.defined() && landmarks.dim() == 3 && landmarks.size(0) == pos.size(0) &&
                 landmarks.size(2) == 2 && landmarks.size(1) > 0,
             "location_instability: expected landmarks [", pos.size(0), ", L, 2] with L > 0, got ",
             landmarks.defined() ? landmarks.sizes() : c10::IntArrayRef{});
  GNNX_CHECK(diagonal > 0, "location_instability: the diagonal must be positive, got ", diagonal);
  auto lm = landmarks.to(torch::kCPU, torch::kDouble);
  // [B, P, L]: distance of each pattern to each landmark, normalised.
  auto dist = (pos.to(torch::kDouble).unsqueeze(2) - lm.unsqueeze(1)).pow(2).sum(-1).sqrt() / diagonal;
  auto w = positions.found.to(torch::kDouble).unsqueeze(2);  // [B, P, 1]
  auto count = w.sum(0);                                     // [P, 1]
  auto mean = (dist * w).sum(0) / count.clamp_min(1);
  auto var = ((dist - mean.unsqueeze(0)).pow(2) * w).sum(0) / count.clamp_min(1);
  auto r = var.sqrt().mean(1);  // [P]
  return torch::where(count.squeeze(1) >= 2, r, torch::full_like(r, std::numeric_limits<double>::quiet_NaN()));
}

at::Tensor box_landmarks(const at::Tensor& boxes) {
  GNNX_CHECK(boxes.defined() && boxes.dim() == 2 && boxes.size(1) == 4, "box_landmarks: expected boxes [N, 4], got ",
             boxes.defined() ? boxes.sizes() : c10::IntArrayRef{});
  auto b = boxes.to(torch::kCPU, torch::kDouble);
  auto x0 = b.select(1, 0), y0 = b.select(1, 1), x1 = b.select(1, 2), y1 = b.select(1, 3);
  auto centre = torch::stack({(y0 + y1) / 2, (x0 + x1) / 2}, 1);
  return torch::stack({centre, torch::stack({y0, x0}, 1), torch::stack({y1, x1}, 1)}, 1);
}

}  // namespace gnnx::attribution
