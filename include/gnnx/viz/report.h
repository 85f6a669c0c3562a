#pragma once
/// The HTML report of an evaluation (`gnnx evaluate --html`): one self-contained page with the
/// run's settings, the accuracy table (per seed, then mean ± std), the graph-metric table,
/// pictures of a few explained instances with their ground-truth edges, and the class prototype,
/// for one or more explainers. The CSS and the pictures (inline SVG) are part of the page: it
/// loads nothing, runs no script and links nowhere, so it can be mailed or archived as one file.
/// A part the caller could not provide (no pictures, no prototype, an unknown test accuracy) is
/// replaced by a line saying so. Every text is HTML-escaped.
///
///   viz::EvaluationReport report;
///   report.settings = {{"dataset", "ba-shapes"}, {"method", "gnnexplainer"}};
///   viz::ReportMethod& m = report.methods.emplace_back();
///   m.name = "gnnexplainer";
///   m.seeds.push_back({/*seed=*/0, test_acc, explained, run.auc, run.seconds, metrics});
///   m.explanations = viz::explanation_figures(dataset, run);
///   viz::write_report_html(report, "report.html");
///
/// examples/23_evaluation_report.cpp writes a page comparing two explainers.

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gnnx/core/arg.h"
#include "gnnx/datasets/synthetic.h"
#include "gnnx/eval/benchmark.h"
#include "gnnx/eval/graph_metrics.h"
#include "gnnx/explain/prototype.h"
#include "gnnx/viz/prototype_svg.h"

namespace gnnx::viz {

/// One seed of one explainer: what eval::run_benchmark and eval::benchmark_metrics measured.
struct ReportSeed {
  uint64_t seed = 0;
  /// Test accuracy of the model explained; NaN when unknown (a model loaded from a file).
  double test_accuracy = std::numeric_limits<double>::quiet_NaN();
  int64_t explained = 0;  ///< instances explained (BenchmarkRun::items)
  double auc = 0;         ///< pooled ROC AUC (BenchmarkRun::auc)
  double seconds = 0;     ///< explaining (BenchmarkRun::seconds)
  eval::BenchmarkMetrics metrics;
};

/// A picture on the page: SVG text as GraphViz writes it (render_svg) and a caption. The SVG
/// goes into the page as it is, after its XML prolog, with its element ids made unique: give
/// GraphViz output, not text from elsewhere (a <script> in it is refused).
struct ReportFigure {
  std::string caption;
  std::string svg;
};

/// One explainer's results.
struct ReportMethod {
  std::string name;                        ///< e.g. "gnnexplainer"; not empty
  std::vector<ReportSeed> seeds;           ///< at least one
  std::vector<ReportFigure> explanations;  ///< pictures of explained instances (explanation_figures)
  std::string explanations_note;           ///< shown instead when there are none: why
  std::optional<ReportFigure> prototype;   ///< the class prototype (prototype_figure)
  std::string prototype_note;              ///< shown instead when there is none: why
};

struct EvaluationReport {
  std::string title = "gnnx evaluation";
  /// The run's settings, shown in this order: {"dataset", "ba-shapes"}, {"command", "gnnx evaluate ..."}.
  std::vector<std::pair<std::string, std::string>> settings;
  /// BenchmarkMetricsOptions::top_k the metrics were computed with (0: each instance's number of
  /// ground-truth edges).
  int64_t metrics_top_k = 0;
  /// Stability copies per instance; 0: stability was not measured (its column is left out and
  /// the page says so).
  int64_t stability_runs = 0;
  std::vector<ReportMethod> methods;  ///< at least one
};

/// Which explanations explanation_figures draws, and how.
struct FigureOptions {
  /// Instances drawn, spread evenly over the run's items (item i * items / instances). Default 4.
  GNNX_ARG(int64_t, instances) = 4;
  /// Most directed edges drawn: an instance that scores more edges (a hub in a node's
  /// computation subgraph brings hundreds) is drawn with its top max_edges edges and its
  /// ground-truth edges only. Default 40.
  GNNX_ARG(int64_t, max_edges) = 40;
  /// Edges scoring below this fraction of the instance's top score are drawn light grey. Default 0.1.
  GNNX_ARG(double, min_fraction) = 0.1;
  /// GraphViz program; "" searches `dot` on PATH. Default "".
  GNNX_ARG(std::string, dot_program) = "";
};

/// Pictures of options.instances() explanations of `run` (eval::run_benchmark on `dataset`):
/// explanation_dot of the edges the explanation scores (at most max_edges of them, see there),
/// with the edges run's ground truth counts drawn doubled (node tasks: eval::node_ground_truth
/// with run.ground_truth, on the explanation's edge_ids when it has them; graph tasks: the
/// graph's edge_mask_gt) and node tasks' nodes coloured by class. Each caption names the instance and how many of its top-k edges (k = its number of
/// ground-truth edges) are ground truth. Throws gnnx::Error for instances < 0 or max_edges < 1,
/// a run whose items and explanations differ in number or do not fit the dataset, and as
/// render_dot does (e.g. no GraphViz).
std::vector<ReportFigure> explanation_figures(const datasets::Dataset& dataset, const eval::BenchmarkRun& run,
                                              const FigureOptions& options = {});

/// The picture of a class prototype (prototype_dot) with a caption.
ReportFigure prototype_figure(const explain::PrototypeResult& prototype, const std::string& caption,
                              const PrototypeSvgOptions& options = {});

/// The page. Throws gnnx::Error naming "report_html" for a report without methods, a method
/// without a name or seeds, metrics_top_k or stability_runs < 0, or a figure whose svg holds no
/// <svg> element or holds a <script>.
std::string report_html(const EvaluationReport& report);

/// report_html written to path atomically (io::write_file_atomic): a reader sees the old file or
/// the whole page. Throws gnnx::Error naming "write_report_html" for an empty path, a path that
/// is a folder or lies in no folder, before writing anything, and as report_html does.
void write_report_html(const EvaluationReport& report, const std::string& path);

}  // namespace gnnx::viz
