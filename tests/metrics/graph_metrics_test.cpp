// Graph explanation metrics against closed forms and brute-force set computations.
#include <cmath>
#include <set>

#include <torch/torch.h>

#include "gnnx/core/check.h"
#include "gnnx/core/random.h"
#include "gnnx/metrics/graph_metrics.h"
#include "support/catch.h"

using namespace gnnx;
using namespace gnnx::metrics;

namespace {
at::Tensor classes(std::vector<int64_t> v) { return torch::tensor(v, torch::kLong); }
at::Tensor values(std::vector<double> v) { return torch::tensor(v, torch::kDouble); }
}  // namespace

TEST_CASE("threshold_mask follows PyG's hard, topk and topk_hard, ties by lower index", "[graph_metrics]") {
  const auto m = values({0.2, 0.9, 0.5, 0.9, 0.1});
  CHECK(torch::equal(threshold_mask(m, ThresholdOptions()), m));
  CHECK(torch::equal(threshold_mask(m, ThresholdOptions().type(MaskThreshold::kHard).value(0.5)),
                     values({0, 1, 0, 1, 0})));
  CHECK(torch::equal(threshold_mask(m, ThresholdOptions().type(MaskThreshold::kTopK).value(2)),
                     values({0, 0.9, 0, 0.9, 0})));
  // The 0.9 tie is inside the top 2; at k = 1 the lower index wins.
  CHECK(torch::equal(threshold_mask(m, ThresholdOptions().type(MaskThreshold::kTopKHard).value(1)),
                     values({0, 1, 0, 0, 0})));
  CHECK(torch::equal(threshold_mask(m, ThresholdOptions().type(MaskThreshold::kTopKHard).value(3)),
                     values({0, 1, 1, 1, 0})));
  CHECK(torch::equal(threshold_mask(m, ThresholdOptions().type(MaskThreshold::kTopK).value(9)), m));
  CHECK(
      torch::equal(threshold_mask(m, ThresholdOptions().type(MaskThreshold::kTopKHard).value(5)), torch::ones_like(m)));
  CHECK_THROWS_AS(threshold_mask(m, ThresholdOptions().type(MaskThreshold::kTopK).value(1.5)), gnnx::Error);
  CHECK_THROWS_AS(threshold_mask(m, ThresholdOptions().type(MaskThreshold::kTopK).value(0)), gnnx::Error);
  CHECK_THROWS_AS(threshold_mask(classes({1, 2}), ThresholdOptions()), gnnx::Error);
}

TEST_CASE("explanation_edge_mask thresholds only the edges the explanation could score", "[graph_metrics]") {
  explain::Explanation e;
  e.method = "test";
  e.target = Target::node(0, 1);
  e.edge_mask = torch::tensor({0.0f, 0.7f, 0.0f, 0.3f, 0.9f});
  e.edge_ids = classes({1, 2, 3});
  const auto out = explanation_edge_mask(e, ThresholdOptions().type(MaskThreshold::kTopKHard).value(2));
  CHECK(torch::equal(out, torch::tensor({0.0f, 1.0f, 0.0f, 1.0f, 0.0f})));
  explain::Explanation none;
  CHECK_THROWS_AS(explanation_edge_mask(none, ThresholdOptions()), gnnx::Error);
}

TEST_CASE("fidelity: the model and the phenomenon forms on hand-counted predictions", "[graph_metrics]") {
  const auto pred = classes({0, 1, 2, 1});
  const auto expl = classes({0, 1, 0, 0});  // 2 of 4 keep the prediction
  const auto comp = classes({1, 1, 2, 2});  // 2 of 4 keep it
  const auto f = fidelity(pred, expl, comp);
  CHECK(f.plus == Approx(0.5));
  CHECK(f.minus == Approx(0.5));
  CHECK(torch::equal(f.plus_items, values({1, 0, 0, 1})));
  const auto y = classes({0, 0, 2, 1});  // right: 1, 0, 1, 1
  const auto g = fidelity(pred, expl, comp, FidelityForm::kPhenomenon, y);
  // complement right: 0, 0, 1, 0 -> |diff| 1, 0, 0, 1; explained right: 1, 0, 0, 0 -> 0, 0, 1, 1
  CHECK(torch::equal(g.plus_items, values({1, 0, 0, 1})));
  CHECK(torch::equal(g.minus_items, values({0, 0, 1, 1})));
  CHECK_THROWS_AS(fidelity(pred, expl, comp, FidelityForm::kPhenomenon), gnnx::Error);
  CHECK_THROWS_AS(fidelity(pred, classes({0}), comp), gnnx::Error);
  CHECK_THROWS_AS(fidelity(classes({}), classes({}), classes({})), gnnx::Error);
}

TEST_CASE("characterization_score is the weighted harmonic mean of fid+ and 1 - fid-", "[graph_metrics]") {
  CHECK(characterization_score(0.8, 0.2) == Approx(0.8));
  const double fp = 0.6, fm = 0.3, wp = 0.3, wm = 0.7;
  CHECK(characterization_score(fp, fm, wp, wm) == Approx(1.0 / (wp / fp + wm / (1 - fm))).epsilon(1e-14));
  CHECK(characterization_score(0.0, 0.1) == 0.0);
  CHECK(characterization_score(0.5, 1.0) == 0.0);
  CHECK_THROWS_AS(characterization_score(0.5, 0.5, 0.6, 0.6), gnnx::Error);
  CHECK_THROWS_AS(characterization_score(1.5, 0.5), gnnx::Error);
}

TEST_CASE("fidelity_curve_auc is the trapezoid area of fid+ / (1 - fid-)", "[graph_metrics]") {
  const auto p = values({0.2, 0.4, 0.8}), m = values({0.5, 0.2, 0.0}), x = values({0.0, 0.5, 2.0});
  // f = 0.4, 0.5, 0.8: 0.5 * (0.4 + 0.5) / 2 + 1.5 * (0.5 + 0.8) / 2
  CHECK(fidelity_curve_auc(p, m, x) == Approx(0.225 + 0.975).epsilon(1e-14));
  CHECK(fidelity_curve_auc(values({0.3}), values({0.1}), values({1.0})) == 0.0);
  CHECK_THROWS_AS(fidelity_curve_auc(p, values({0.5, 1.0, 0.0}), x), gnnx::Error);
  CHECK_THROWS_AS(fidelity_curve_auc(p, m, values({0.0, 2.0, 1.0})), gnnx::Error);
  CHECK_THROWS_AS(fidelity_curve_auc(p, m, values({0.0, 1.0})), gnnx::Error);
}

TEST_CASE("unfaithfulness is 1 - exp(-KL(p_masked || p_full))", "[graph_metrics]") {
  const auto q = torch::tensor({{0.7, 0.2, 0.1}, {0.5, 0.5, 0.0}}, torch::kDouble);
  const auto p = torch::tensor({{0.1, 0.6, 0.3}, {1.0, 0.0, 0.0}}, torch::kDouble);
  const auto u = unfaithfulness(q, p);
  const double kl0 = 0.1 * std::log(0.1 / 0.7) + 0.6 * std::log(0.6 / 0.2) + 0.3 * std::log(0.3 / 0.1);
  const double kl1 = 1.0 * std::log(1.0 / 0.5);  // 0 log 0 = 0; q's zero meets p's zero
  CHECK(u[0].item<double>() == Approx(1 - std::exp(-kl0)).epsilon(1e-14));
  CHECK(u[1].item<double>() == Approx(1 - std::exp(-kl1)).epsilon(1e-14));
  CHECK(unfaithfulness(q, q).abs().max().item<double>() < 1e-15);
  CHECK_THROWS_AS(unfaithfulness(q, q.slice(1, 0, 2)), gnnx::Error);
  CHECK_THROWS_AS(unfaithfulness(q, q * 2), gnnx::Error);
}

TEST_CASE("groundtruth_metrics counts like torchmetrics' binary metrics", "[graph_metrics]") {
  const auto pred = values({0.9, 0.6, 0.4, 0.2, 0.7, 0.5});
  const auto target = values({1, 0, 1, 0, 1, 0});
  // positives pred > 0.5: 0, 1, 4 -> TP 2 (0, 4), FP 1 (1), FN 1 (2), TN 2 (3, 5)
  const auto s = groundtruth_metrics(pred, target);
  CHECK(s.accuracy == Approx(4.0 / 6));
  CHECK(s.precision == Approx(2.0 / 3));
  CHECK(s.recall == Approx(2.0 / 3));
  CHECK(s.f1 == Approx(2.0 / 3));
  // AUC by pairs: positives 0.9, 0.4, 0.7 against negatives 0.6, 0.2, 0.5: 7 of 9 pairs.
  CHECK(s.auroc == Approx(7.0 / 9));
  // Outside [0, 1]: read as logits, sigmoid first (so 0.1 > 0 counts as a positive at 0.5).
  const auto logits = groundtruth_metrics(values({2.0, 0.1, -3.0}), values({1, 0, 0}));
  CHECK(logits.precision == Approx(0.5));
  CHECK(logits.recall == Approx(1.0));
  const auto none = groundtruth_metrics(values({0.1, 0.2}), values({0, 0}));
  CHECK(none.precision == 0.0);
  CHECK(none.recall == 0.0);
  CHECK(std::isnan(none.auroc));
  CHECK_THROWS_AS(groundtruth_metrics(values({0.1}), values({0, 1})), gnnx::Error);
}

TEST_CASE("jaccard and GEA equal set computations on random masks", "[graph_metrics]") {
  Rng rng(7);
  for (int trial = 0; trial < 50; ++trial) {
    const int64_t n = uniform_int(rng, 1, 40);
    std::vector<double> a(static_cast<size_t>(n)), b(a.size()), c(a.size());
    std::set<int64_t> sa, sb, sc;
    for (int64_t i = 0; i < n; ++i) {
      a[static_cast<size_t>(i)] = uniform_real(rng) < 0.3;
      b[static_cast<size_t>(i)] = uniform_real(rng) < 0.3;
      c[static_cast<size_t>(i)] = uniform_real(rng) < 0.5;
      if (a[static_cast<size_t>(i)] > 0) sa.insert(i);
      if (b[static_cast<size_t>(i)] > 0) sb.insert(i);
      if (c[static_cast<size_t>(i)] > 0) sc.insert(i);
    }
    auto jac = [](const std::set<int64_t>& x, const std::set<int64_t>& y) {
      std::set<int64_t> u = x;
      u.insert(y.begin(), y.end());
      int64_t inter = 0;
      for (auto v : x) inter += y.count(v);
      return u.empty() ? 0.0 : static_cast<double>(inter) / static_cast<double>(u.size());
    };
    CHECK(jaccard(values(a), values(b)) == Approx(jac(sa, sb)).epsilon(1e-14));
    CHECK(graph_explanation_accuracy(values(a), {values(b), values(c)}) ==
          Approx(std::max(jac(sa, sb), jac(sa, sc))).epsilon(1e-14));
  }
  CHECK(jaccard(values({0, 0}), values({0, 0})) == 0.0);
  CHECK_THROWS_AS(graph_explanation_accuracy(values({1}), {}), gnnx::Error);
  CHECK_THROWS_AS(jaccard(values({1, 0}), values({1})), gnnx::Error);
}

TEST_CASE("sparsity and cosine_distance", "[graph_metrics]") {
  CHECK(sparsity(values({1, 0, 0, 1, 0})) == Approx(0.6));
  CHECK(sparsity(values({0.5, 0.25})) == Approx(0.625));
  CHECK_THROWS_AS(sparsity(values({1.5, 0})), gnnx::Error);
  CHECK_THROWS_AS(sparsity(values({})), gnnx::Error);
  CHECK(cosine_distance(values({1, 2, 0}), values({2, 4, 0})) == Approx(0.0).margin(1e-15));
  CHECK(cosine_distance(values({1, 0}), values({0, 3})) == Approx(1.0));
  CHECK(cosine_distance(values({1, 1}), values({1, 0})) == Approx(1 - 1 / std::sqrt(2.0)));
  CHECK(cosine_distance(values({0, 0}), values({0, 0})) == 0.0);
  CHECK(cosine_distance(values({0, 0}), values({0, 1})) == 1.0);
}
