// Integrated gradients with Captum 0.7's quadrature rules (see the header).
#include "gnnx/attribution/integrated_gradients.h"

#include <algorithm>
#include <cmath>

#include <torch/torch.h>

#include "attribution/items.h"
#include "attribution/option_text.h"
#include "gnnx/attribution/gradient.h"
#include "gnnx/core/check.h"

namespace gnnx::attribution {
namespace {

// [k] values reshaped to broadcast against [k, B, *item] (dims extra trailing ones).
at::Tensor column(const std::vector<double>& v, size_t begin, size_t count, const at::Tensor& like, int64_t trailing) {
  std::vector<double> part(v.begin() + static_cast<long>(begin), v.begin() + static_cast<long>(begin + count));
  auto t = torch::tensor(part, torch::kDouble).to(like.options());
  std::vector<int64_t> shape{static_cast<int64_t>(count)};
  for (int64_t i = 0; i < trailing; ++i) shape.push_back(1);
  return t.view(shape);
}

}  // namespace

std::pair<std::vector<double>, std::vector<double>> integration_rule(IntegrationMethod method, int64_t n) {
  GNNX_CHECK(n >= 1, "integration_rule: expected at least 1 step, got ", n);
  std::vector<double> alpha(static_cast<size_t>(n)), weight(static_cast<size_t>(n));
  const double dn = static_cast<double>(n);
  switch (method) {
    case IntegrationMethod::kRiemannLeft:
    case IntegrationMethod::kRiemannRight:
    case IntegrationMethod::kRiemannMiddle: {
      const double shift = method == IntegrationMethod::kRiemannLeft    ? 0.0
                           : method == IntegrationMethod::kRiemannRight ? 1.0
                                                                        : 0.5;
      for (int64_t k = 0; k < n; ++k) {
        alpha[static_cast<size_t>(k)] = (static_cast<double>(k) + shift) / dn;
        weight[static_cast<size_t>(k)] = 1.0 / dn;
      }
      break;
    }
    case IntegrationMethod::kRiemannTrapezoid:
    case IntegrationMethod::kTrapezoid: {
      GNNX_CHECK(n >= 2, "integration_rule: ", to_string(method), " needs at least 2 steps, got ", n);
      // Captum's riemann_trapezoid keeps the step 1/n of its other Riemann rules on the n − 1
      // intervals of linspace(0, 1, n); the trapezoid rule proper steps 1/(n − 1).
      const double step = method == IntegrationMethod::kTrapezoid ? 1.0 / (dn - 1.0) : 1.0 / dn;
      for (int64_t k = 0; k < n; ++k) {
        alpha[static_cast<size_t>(k)] = static_cast<double>(k) / (dn - 1.0);
        weight[static_cast<size_t>(k)] = step;
      }
      weight.front() = weight.back() = 0.5 * step;
      break;
    }
    case IntegrationMethod::kGaussLegendre: {
      // Roots of P_n by Newton's method from the Tricomi-style initial guesses; weights
      // 2 / ((1 - t²) P_n'(t)²); then mapped from [-1, 1] to [0, 1] as Captum does.
      const double pi = std::acos(-1.0);
      for (int64_t i = 0; i < n; ++i) {
        double t = std::cos(pi * (static_cast<double>(i) + 0.75) / (dn + 0.5));
        // P_n(t) and P_n'(t) by the three-term recurrence.
        auto legendre = [n, dn](double x) {
          double p0 = 1.0, p1 = x;
          for (int64_t k = 2; k <= n; ++k) {
            const double p2 = ((2.0 * static_cast<double>(k) - 1.0) * x * p1 - (static_cast<double>(k) - 1.0) * p0) /
                              static_cast<double>(k);
            p0 = p1;
            p1 = p2;
          }
          if (n == 1) p0 = 1.0;
          return std::make_pair(p1, dn * (x * p1 - p0) / (x * x - 1.0));
        };
        for (int iter = 0; iter < 100; ++iter) {
          const auto [p, d] = legendre(t);
          const double step = p / d;
          t -= step;
          if (std::abs(step) < 1e-16) break;
        }
        const double dp = legendre(t).second;  // at the converged root, for the weight
        // i ascending gives t descending: store mirrored so that alpha is ascending.
        const size_t slot = static_cast<size_t>(n - 1 - i);
        alpha[slot] = 0.5 * (1.0 + t);
        weight[slot] = 0.5 * 2.0 / ((1.0 - t * t) * dp * dp);
      }
      break;
    }
  }
  return {alpha, weight};
}

IntegratedGradients::IntegratedGradients(IntegratedGradientsOptions options) : options_(std::move(options)) {
  GNNX_CHECK(options_.steps() >= 1, "IntegratedGradients: steps must be >= 1, got ", options_.steps());
  GNNX_CHECK((options_.method() != IntegrationMethod::kRiemannTrapezoid &&
              options_.method() != IntegrationMethod::kTrapezoid) ||
                 options_.steps() >= 2,
             "IntegratedGradients: ", to_string(options_.method()), " needs steps >= 2, got ", options_.steps());
  GNNX_CHECK(options_.internal_batch_size() >= -1,
             "IntegratedGradients: internal_batch_size must be -1 (all steps at once), 0 (by device) or >= 1, "
             "got ",
             options_.internal_batch_size());
}

std::map<std::string, std::string> IntegratedGradients::options() const {
  return {{"steps", std::to_string(options_.steps())},
          {"method", to_string(options_.method())},
          {"baseline", options_.baseline().defined() ? "tensor" : detail::number_text(options_.baseline_value())},
          {"internal_batch_size", std::to_string(options_.internal_batch_size())}};
}

Attribution IntegratedGradients::compute(Objective& objective) {
  auto x = objective.input();
  const int64_t b = x.size(0), n = options_.steps();
  at::Tensor base;
  if (options_.baseline().defined()) {
    const auto& given = options_.baseline();
    GNNX_CHECK(given.dim() <= x.dim(), "IntegratedGradients: baseline ", given.sizes(),
               " does not broadcast to the input ", x.sizes());
    for (int64_t d = 1; d <= given.dim(); ++d) {
      auto gs = given.size(given.dim() - d), xs = x.size(x.dim() - d);
      GNNX_CHECK(gs == xs || gs == 1, "IntegratedGradients: baseline ", given.sizes(),
                 " does not broadcast to the input ", x.sizes());
    }
    base = given.to(x.options()).expand_as(x);
  } else {
    base = torch::full_like(x, options_.baseline_value());
  }
  const auto rule = integration_rule(options_.method(), n);
  // Rows per pass when chosen by device (see the option's comment): all steps on CUDA; on the
  // CPU as many as keep a pass's input under kCpuPassValues values.
  constexpr int64_t kCpuPassValues = int64_t{1} << 20;
  const int64_t row_values = std::max<int64_t>(1, x.numel() / std::max<int64_t>(b, 1));
  const int64_t rows = options_.internal_batch_size() == 0
                           ? (x.is_cuda() ? -1 : std::max<int64_t>(1, kCpuPassValues / row_values))
                           : options_.internal_batch_size();
  const int64_t per_pass = rows < 0 ? n : std::max<int64_t>(1, rows / b);
  const int64_t trailing = x.dim();
  auto diff = x - base;
  auto items = detail::all_items(x);
  auto total = torch::zeros_like(x);
  for (int64_t start = 0; start < n; start += per_pass) {
    const int64_t k = std::min(per_pass, n - start);
    auto alphas = column(rule.first, static_cast<size_t>(start), static_cast<size_t>(k), x, trailing);
    auto weights = column(rule.second, static_cast<size_t>(start), static_cast<size_t>(k), x, trailing);
    std::vector<int64_t> stacked{k * b};
    for (int64_t d = 1; d < x.dim(); ++d) stacked.push_back(x.size(d));
    auto points = (base.unsqueeze(0) + alphas * diff.unsqueeze(0)).reshape(stacked);
    std::vector<int64_t> split{k};
    for (auto s : x.sizes()) split.push_back(s);
    auto g = gradient(objective, points, items.repeat({k})).view(split);
    total += (g * weights).sum(0);
  }
  Attribution a;
  a.values = diff * total;
  {
    torch::NoGradGuard no_grad;
    auto ends = objective.scores(torch::cat({x, base}, 0), torch::cat({items, items}, 0));
    auto f_x = ends.narrow(0, 0, b), f_base = ends.narrow(0, b, b);
    a.diagnostics["delta"] = a.values.reshape({b, -1}).sum(1) - (f_x - f_base);
  }
  return a;
}

}  // namespace gnnx::attribution
