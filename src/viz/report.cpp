#include "gnnx/viz/report.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <functional>
#include <iomanip>
#include <sstream>

#include <torch/torch.h>

#include "gnnx/core/check.h"
#include "gnnx/core/version.h"
#include "gnnx/io/file.h"
#include "gnnx/viz/graphviz.h"

namespace gnnx::viz {
namespace {

std::string escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

/// "—" for a value that is not there (NaN), else fixed with `digits` decimals.
std::string number(double v, int digits) {
  if (!std::isfinite(v)) return "—";
  std::ostringstream s;
  s << std::fixed << std::setprecision(digits) << v;
  return s.str();
}

/// Mean and (population) standard deviation of the finite values; NaN when there are none.
std::pair<double, double> mean_std(const std::vector<double>& values) {
  double n = 0, sum = 0;
  for (double v : values)
    if (std::isfinite(v)) sum += v, n += 1;
  if (n == 0) return {std::nan(""), std::nan("")};
  const double mean = sum / n;
  double var = 0;
  for (double v : values)
    if (std::isfinite(v)) var += (v - mean) * (v - mean) / n;
  return {mean, std::sqrt(var)};
}

/// A table cell with a number. bar: draw the value (in [0, 1]) as a bar behind it.
std::string cell(double v, int digits, bool bar = false) {
  std::ostringstream s;
  s << "<td class=\"num";
  if (!std::isfinite(v)) return s.str() + " na\" title=\"not known\">—</td>";
  if (bar) s << " bar\" style=\"--v:" << std::fixed << std::setprecision(4) << std::clamp(v, 0.0, 1.0);
  s << "\">" << number(v, digits) << "</td>";
  return s.str();
}

/// A summary cell: mean ± std of values.
std::string summary_cell(const std::vector<double>& values, int digits, bool bar = false) {
  const auto [mean, sd] = mean_std(values);
  std::ostringstream s;
  s << "<td class=\"num";
  if (!std::isfinite(mean)) return s.str() + " na\" title=\"not known\">—</td>";
  if (bar) s << " bar\" style=\"--v:" << std::fixed << std::setprecision(4) << std::clamp(mean, 0.0, 1.0);
  s << "\">" << number(mean, digits) << "<span class=\"sd\"> ± " << number(sd, digits) << "</span></td>";
  return s.str();
}

std::vector<double> column(const ReportMethod& m, const std::function<double(const ReportSeed&)>& field) {
  std::vector<double> out;
  for (const auto& s : m.seeds) out.push_back(field(s));
  return out;
}

/// GraphViz's SVG made fit to sit inside the page: the XML prolog and DOCTYPE dropped (HTML
/// parses the <svg> element itself), every id and reference to one prefixed so that pictures do
/// not share ids, and a label for screen readers.
std::string inline_svg(const std::string& svg, const std::string& prefix, const std::string& label,
                       const std::string& where) {
  const auto begin = svg.find("<svg");
  const auto end = svg.rfind("</svg>");
  GNNX_CHECK(begin != std::string::npos && end != std::string::npos && end > begin, "report_html: ", where,
             ": expected SVG text with an <svg> element, got ", svg.size(), " bytes starting \"",
             svg.substr(0, std::min<size_t>(svg.size(), 40)), "\"");
  std::string body = svg.substr(begin, end + 6 - begin);
  GNNX_CHECK(lower(body).find("<script") == std::string::npos, "report_html: ", where,
             ": expected a static SVG picture, got one holding a <script>");
  std::string out;
  out.reserve(body.size() + 256);
  for (size_t i = 0; i < body.size();) {
    if (body.compare(i, 5, " id=\"") == 0) {
      out += " id=\"" + prefix;
      i += 5;
    } else if (body.compare(i, 7, "href=\"#") == 0) {
      out += "href=\"#" + prefix;
      i += 7;
    } else if (body.compare(i, 5, "url(#") == 0) {
      out += "url(#" + prefix;
      i += 5;
    } else {
      out += body[i++];
    }
  }
  return "<svg role=\"img\" aria-label=\"" + escape(label) + "\"" + out.substr(4);
}

std::string figure_html(const ReportFigure& f, const std::string& kind, const std::string& prefix,
                        const std::string& where) {
  return "<figure class=\"picture " + kind + "\" data-kind=\"" + kind + "\">\n" +
         inline_svg(f.svg, prefix, f.caption, where) + "\n<figcaption>" + escape(f.caption) +
         "</figcaption>\n</figure>\n";
}

std::string unavailable(const std::string& note, const std::string& fallback) {
  return "<p class=\"unavailable\">" + escape(note.empty() ? fallback : note) + "</p>\n";
}

const char* const kStyle = R"css(
:root { color-scheme: light; --ink: #1f2933; --muted: #616e7c; --line: #d9e2ec; --accent: #b42318;
        --bar: #c7ddfb; --paper: #ffffff; --band: #f5f7fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: var(--ink); background: var(--band); }
header { background: var(--paper); border-bottom: 1px solid var(--line); padding: 1.5rem 2rem 1rem; }
h1 { margin: 0 0 .25rem; font-size: 1.6rem; }
h2 { margin: 0 0 .5rem; font-size: 1.25rem; }
h3 { margin: 1.25rem 0 .5rem; font-size: 1.05rem; }
.lede, .note, figcaption, footer { color: var(--muted); }
nav { margin-top: .75rem; font-size: .9rem; }
nav a { color: var(--accent); margin-right: 1rem; text-decoration: none; }
main { max-width: 1200px; margin: 0 auto; padding: 1rem 2rem 2rem; }
section { background: var(--paper); border: 1px solid var(--line); border-radius: 8px; padding: 1.25rem 1.5rem;
          margin: 1rem 0; }
.cards { display: flex; flex-wrap: wrap; gap: 1rem; margin-top: 1rem; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: .75rem 1rem; min-width: 14rem; }
.card .name { font-weight: 600; }
.card .value { font-size: 1.8rem; font-variant-numeric: tabular-nums; }
.card .value small { font-size: 1rem; color: var(--muted); }
.card .label { color: var(--muted); font-size: .85rem; }
.meter { height: 6px; background: var(--band); border-radius: 3px; overflow: hidden; margin-top: .4rem; }
.meter span { display: block; height: 100%; background: var(--accent); }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: .35rem .7rem; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
thead th { border-bottom: 2px solid var(--ink); font-size: .85rem; white-space: nowrap; }
td.num { text-align: right; white-space: nowrap; }
td.na { color: var(--muted); }
td.bar { background: linear-gradient(90deg, var(--bar) calc(var(--v) * 100%), transparent 0); }
tr.summary { background: var(--band); font-weight: 600; }
.sd { font-weight: 400; color: var(--muted); }
#metrics-table .sd { display: block; font-size: .85em; }
#metrics-table thead th { white-space: normal; min-width: 4.5rem; }
tr.summary td:first-of-type { white-space: nowrap; }
#settings-table th { font-weight: 600; white-space: nowrap; }
#settings-table td { word-break: break-word; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: .85rem; }
dl.legend { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; font-size: .9rem; margin: 1rem 0 0; }
dl.legend dt { font-weight: 600; }
dl.legend dd { margin: 0; color: var(--muted); }
.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(240px, 1fr)); gap: 1rem; }
figure { margin: 0; border: 1px solid var(--line); border-radius: 8px; padding: .5rem; background: var(--paper); }
figure svg { display: block; width: 100%; height: auto; max-height: 460px; }
figure.prototype svg { max-height: 600px; }
figcaption { font-size: .85rem; margin-top: .35rem; }
.unavailable { border-left: 4px solid #f0b429; background: #fffbea; padding: .5rem .75rem; margin: .5rem 0; }
footer { text-align: center; font-size: .8rem; padding: 1rem; }
@media print { body { background: none; } section { break-inside: avoid; border: none; } nav { display: none; } }
)css";

void validate(const EvaluationReport& r) {
  GNNX_CHECK(!r.methods.empty(), "report_html: expected at least one method, got none");
  GNNX_CHECK(r.metrics_top_k >= 0 && r.stability_runs >= 0,
             "report_html: expected metrics_top_k >= 0 and stability_runs >= 0, got ", r.metrics_top_k, " and ",
             r.stability_runs);
  for (size_t i = 0; i < r.methods.size(); ++i) {
    GNNX_CHECK(!r.methods[i].name.empty(), "report_html: method ", i, " has no name; expected e.g. \"gnnexplainer\"");
    GNNX_CHECK(!r.methods[i].seeds.empty(), "report_html: method \"", r.methods[i].name,
               "\" has no seeds; expected at least one");
  }
}

void settings_section(std::ostringstream& h, const EvaluationReport& r) {
  h << "<section id=\"settings\">\n<h2>Settings</h2>\n";
  if (r.settings.empty()) {
    h << unavailable("", "No settings were given for this run.");
  } else {
    h << "<table id=\"settings-table\">\n<tbody>\n";
    for (const auto& [name, value] : r.settings) {
      const bool code = name == "command";
      h << "<tr><th scope=\"row\">" << escape(name) << "</th><td>" << (code ? "<code>" : "") << escape(value)
        << (code ? "</code>" : "") << "</td></tr>\n";
    }
    h << "</tbody>\n</table>\n";
  }
  h << "</section>\n";
}

void accuracy_section(std::ostringstream& h, const EvaluationReport& r) {
  h << "<section id=\"accuracy\">\n<h2>Explanation accuracy</h2>\n"
    << "<p class=\"note\">ROC AUC of the explainer's edge scores against the ground-truth motif edges, pooled over the "
       "explained instances of each seed; the test accuracy is that of the model explained. The last row of each "
       "method gives the mean ± standard deviation over its seeds.</p>\n"
    << "<div class=\"scroll\"><table id=\"accuracy-table\">\n<thead><tr><th scope=\"col\">method</th>"
       "<th scope=\"col\">seed</th><th scope=\"col\">test accuracy</th><th scope=\"col\">explained</th>"
       "<th scope=\"col\">ROC AUC</th><th scope=\"col\">seconds</th></tr></thead>\n<tbody>\n";
  for (const auto& m : r.methods) {
    for (const auto& s : m.seeds)
      h << "<tr class=\"seed\"><td>" << escape(m.name) << "</td><td class=\"num\">" << s.seed << "</td>"
        << cell(s.test_accuracy, 3, true) << "<td class=\"num\">" << s.explained << "</td>" << cell(s.auc, 4, true)
        << cell(s.seconds, 2) << "</tr>\n";
    h << "<tr class=\"summary\"><th scope=\"row\">" << escape(m.name) << "</th><td>mean ± std</td>"
      << summary_cell(column(m, [](const ReportSeed& s) { return s.test_accuracy; }), 3, true)
      << summary_cell(column(m, [](const ReportSeed& s) { return static_cast<double>(s.explained); }), 0)
      << summary_cell(column(m, [](const ReportSeed& s) { return s.auc; }), 4, true)
      << summary_cell(column(m, [](const ReportSeed& s) { return s.seconds; }), 2) << "</tr>\n";
  }
  h << "</tbody>\n</table></div>\n</section>\n";
}

struct MetricColumn {
  const char* name;
  const char* help;
  int digits;
  std::function<double(const eval::BenchmarkMetrics&)> field;
};

void metrics_section(std::ostringstream& h, const EvaluationReport& r) {
  using M = eval::BenchmarkMetrics;
  std::vector<MetricColumn> cols = {
      {"fid+ ↑", "fidelity+: how often the prediction changes when the explanation's edges are removed (model form)", 3,
       [](const M& m) { return m.fid_plus; }},
      {"fid− ↓", "fidelity−: how often the prediction changes when only the explanation's edges are kept (model form)",
       3, [](const M& m) { return m.fid_minus; }},
      {"fid+ (labels)", "fidelity+ against the true labels (phenomenon form)", 3,
       [](const M& m) { return m.fid_plus_phen; }},
      {"fid− (labels)", "fidelity− against the true labels (phenomenon form)", 3,
       [](const M& m) { return m.fid_minus_phen; }},
      {"characterization ↑", "characterization score: the harmonic mean of fid+ and 1 − fid−", 3,
       [](const M& m) { return m.characterization; }},
      {"GEF ↓", "unfaithfulness: 1 − exp(−KL) between the predictions on the graph and on the explanation", 4,
       [](const M& m) { return m.unfaithfulness; }},
      {"GEA ↑", "explanation accuracy: Jaccard index of the top-k edges with the ground truth", 3,
       [](const M& m) { return m.gea; }},
      {"precision@k ↑", "share of the top-k edges that are ground-truth edges", 3,
       [](const M& m) { return m.precision; }},
      {"sparsity", "1 − k / (edges the explanation could score)", 3, [](const M& m) { return m.sparsity; }},
  };
  if (r.stability_runs > 0)
    cols.push_back({"GES ↓",
                    "stability: the largest cosine distance between the edge scores of an instance and of its copies "
                    "with one edge rewired",
                    3, [](const M& m) { return m.stability; }});
  h << "<section id=\"metrics\">\n<h2>Graph metrics</h2>\n<p class=\"note\">Means over the explained instances of "
    << "each seed, each explanation cut to its top-k edges ("
    << (r.metrics_top_k > 0 ? "k = " + std::to_string(r.metrics_top_k)
                            : std::string("k = the instance's number of ground-truth edges"))
    << "). ↑: higher is better; ↓: lower is better.</p>\n"
    << "<div class=\"scroll\"><table id=\"metrics-table\">\n<thead><tr><th scope=\"col\">method</th>"
       "<th scope=\"col\">seed</th>";
  for (const auto& c : cols) h << "<th scope=\"col\" title=\"" << escape(c.help) << "\">" << escape(c.name) << "</th>";
  h << "</tr></thead>\n<tbody>\n";
  for (const auto& m : r.methods) {
    for (const auto& s : m.seeds) {
      h << "<tr class=\"seed\"><td>" << escape(m.name) << "</td><td class=\"num\">" << s.seed << "</td>";
      for (const auto& c : cols) h << cell(c.field(s.metrics), c.digits);
      h << "</tr>\n";
    }
    h << "<tr class=\"summary\"><th scope=\"row\">" << escape(m.name) << "</th><td>mean ± std</td>";
    for (const auto& c : cols)
      h << summary_cell(column(m, [&c](const ReportSeed& s) { return c.field(s.metrics); }), c.digits);
    h << "</tr>\n";
  }
  h << "</tbody>\n</table></div>\n<dl class=\"legend\">\n";
  for (const auto& c : cols) h << "<dt>" << escape(c.name) << "</dt><dd>" << escape(c.help) << "</dd>\n";
  h << "</dl>\n";
  if (r.stability_runs == 0)
    h << "<p class=\"note\">Stability (GES) was not measured: it explains every instance again on rewired "
         "copies.</p>\n";
  h << "</section>\n";
}

void explanations_section(std::ostringstream& h, const EvaluationReport& r) {
  h << "<section id=\"explanations\">\n<h2>Explanations</h2>\n<p class=\"note\">A few explained instances of the "
       "first seed. Edge width and red: the explainer's score (the larger of an edge's two directions); light grey: "
       "edges far below the instance's top score. A black line beside the red one marks a ground-truth edge. The "
       "explained node is the double circle; node colours are classes. Hover over an edge for its score.</p>\n";
  for (size_t i = 0; i < r.methods.size(); ++i) {
    const auto& m = r.methods[i];
    h << "<h3>" << escape(m.name) << "</h3>\n";
    if (m.explanations.empty()) {
      h << unavailable(m.explanations_note, "No pictures of " + m.name + "'s explanations were made.");
      continue;
    }
    h << "<div class=\"figures\">\n";
    for (size_t j = 0; j < m.explanations.size(); ++j)
      h << figure_html(m.explanations[j], "explanation", "m" + std::to_string(i) + "e" + std::to_string(j) + "-",
                       "explanation picture " + std::to_string(j) + " of \"" + m.name + "\"");
    h << "</div>\n";
  }
  h << "</section>\n";
}

void prototype_section(std::ostringstream& h, const EvaluationReport& r) {
  h << "<section id=\"prototype\">\n<h2>Class prototype</h2>\n<p class=\"note\">One explanation for a whole class: "
       "many instances of the class explained, each cut to its explanation subgraph, aligned to one another and "
       "averaged. An edge's weight is the share of instances that have it; solid edges reach the threshold and form "
       "the prototype graph, dashed ones do not. Beside it, a few of the aligned instances, each node coloured as the "
       "prototype node it is aligned to.</p>\n";
  for (size_t i = 0; i < r.methods.size(); ++i) {
    const auto& m = r.methods[i];
    h << "<h3>" << escape(m.name) << "</h3>\n";
    if (m.prototype)
      h << figure_html(*m.prototype, "prototype", "m" + std::to_string(i) + "p-",
                       "prototype picture of \"" + m.name + "\"");
    else
      h << unavailable(m.prototype_note, "No class prototype was computed for " + m.name + ".");
  }
  h << "</section>\n";
}

void summary_cards(std::ostringstream& h, const EvaluationReport& r) {
  h << "<div class=\"cards\">\n";
  for (const auto& m : r.methods) {
    const auto [mean, sd] = mean_std(column(m, [](const ReportSeed& s) { return s.auc; }));
    h << "<div class=\"card\"><div class=\"name\">" << escape(m.name) << "</div><div class=\"value\">"
      << number(mean, 3) << "<small> ± " << number(sd, 3) << "</small></div><div class=\"label\">explanation ROC AUC, "
      << m.seeds.size() << (m.seeds.size() == 1 ? " seed" : " seeds")
      << "</div><div class=\"meter\"><span style=\"width:"
      << number(std::isfinite(mean) ? 100 * std::clamp(mean, 0.0, 1.0) : 0.0, 1) << "%\"></span></div></div>\n";
  }
  h << "</div>\n";
}

}  // namespace

std::vector<ReportFigure> explanation_figures(const datasets::Dataset& ds, const eval::BenchmarkRun& run,
                                              const FigureOptions& o) {
  ds.validate("explanation_figures");
  GNNX_CHECK(o.instances() >= 0 && o.max_edges() >= 1,
             "explanation_figures: expected instances >= 0 and max_edges >= 1, got ", o.instances(), " and ",
             o.max_edges());
  GNNX_CHECK(run.items.size() == run.explanations.size(),
             "explanation_figures: expected one explanation per item, got ", run.explanations.size(), " for ",
             run.items.size(), " items");
  const bool node_task = ds.task == nn::Task::kNode;
  const auto n = static_cast<int64_t>(run.items.size());
  const int64_t count = std::min(o.instances(), n);
  std::vector<ReportFigure> out;
  for (int64_t j = 0; j < count; ++j) {
    const auto i = static_cast<size_t>(j * n / count);  // spread over the run: the first, then evenly
    const auto& e = run.explanations[i];
    const int64_t item = run.items[i];
    GNNX_CHECK(item >= 0 && item < (node_task ? ds.graphs.front().num_nodes : static_cast<int64_t>(ds.graphs.size())),
               "explanation_figures: item ", item, " of the run is outside the ", node_task ? "nodes" : "graphs",
               " of ", ds.name);
    const Graph& g = node_task ? ds.graphs.front() : ds.graphs[static_cast<size_t>(item)];
    at::Tensor truth = node_task ? eval::node_ground_truth(ds, item, run.ground_truth)
                                 : ds.edge_mask_gt[static_cast<size_t>(item)].to(torch::kCPU);
    if (node_task && e.edge_ids.defined()) {
      // The ground truth the run scored: that of the edges the explanation could score (kAnyMotif
      // marks every motif of the graph).
      const auto ids = e.edge_ids.to(torch::kCPU);
      truth = torch::zeros_like(truth).index_copy(0, ids, truth.index_select(0, ids));
    }
    const std::string what = to_string(node_task ? Target::node(item, e.target.label)
                                                 : Target::graph(item, e.target.label));
    GNNX_CHECK(e.edge_mask.defined() && e.edge_mask.numel() == g.num_edges() && truth.numel() == g.num_edges(),
               "explanation_figures: the explanation of ", what, " needs an edge mask of ", g.num_edges(),
               " entries, got ", e.edge_mask.defined() ? e.edge_mask.numel() : 0);
    // The edges drawn: those it scores, or when they are too many to read, its top ones and the
    // ground truth.
    explain::Explanation shown = e;
    shown.edge_ids = e.edge_ids.defined() ? e.edge_ids.to(torch::kCPU) : torch::arange(g.num_edges(), torch::kLong);
    if (shown.edge_ids.numel() > o.max_edges())
      shown.edge_ids = std::get<0>(torch::_unique(torch::cat({e.top_edges(o.max_edges()).to(torch::kCPU),
                                                              torch::nonzero(truth > 0.5).flatten()}),
                                                  /*sorted=*/true));
    auto draw = DrawOptions().edge_ground_truth(truth).min_fraction(o.min_fraction()).title(what);
    if (node_task) draw.node_labels(g.y);
    ReportFigure f;
    f.svg = render_svg(explanation_dot(g, shown, draw), RenderOptions().program(o.dot_program()));
    // How many of the instance's top-k edges are ground truth, k its number of ground-truth edges.
    const auto k = static_cast<int64_t>(truth.sum().item<double>());
    if (k == 0) {
      f.caption = what + ": no ground-truth edges";
    } else {
      const auto top = e.top_edges(k).to(torch::kCPU);
      const auto hits = static_cast<int64_t>(truth.index_select(0, top).sum().item<double>());
      f.caption = what + ": " + std::to_string(hits) + " of its top " + std::to_string(k) +
                  " edges are ground-truth edges";
    }
    out.push_back(std::move(f));
  }
  return out;
}

ReportFigure prototype_figure(const explain::PrototypeResult& prototype, const std::string& caption,
                              const PrototypeSvgOptions& options) {
  return {caption, render_svg(prototype_dot(prototype, options), RenderOptions().program(options.dot_program()))};
}

std::string report_html(const EvaluationReport& r) {
  validate(r);
  std::ostringstream h;
  const std::string title = r.title.empty() ? "gnnx evaluation" : r.title;
  h << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    << "<meta name=\"generator\" content=\"gnnx " << escape(version()) << "\">\n"
    << "<title>" << escape(title) << "</title>\n<style>" << kStyle << "</style>\n</head>\n<body>\n"
    << "<header>\n<h1>" << escape(title) << "</h1>\n";
  std::string lede;
  for (const auto& [name, value] : r.settings)
    if (name == "dataset") lede = "Dataset " + value + ". ";
  lede += std::to_string(r.methods.size()) + (r.methods.size() == 1 ? " explainer" : " explainers") + ": ";
  for (size_t i = 0; i < r.methods.size(); ++i) lede += (i ? ", " : "") + r.methods[i].name;
  h << "<p class=\"lede\">" << escape(lede) << ".</p>\n";
  summary_cards(h, r);
  h << "<nav><a href=\"#settings\">Settings</a><a href=\"#accuracy\">Accuracy</a><a href=\"#metrics\">Graph "
       "metrics</a><a href=\"#explanations\">Explanations</a><a href=\"#prototype\">Prototype</a></nav>\n"
    << "</header>\n<main>\n";
  settings_section(h, r);
  accuracy_section(h, r);
  metrics_section(h, r);
  explanations_section(h, r);
  prototype_section(h, r);
  h << "</main>\n<footer>Written by gnnx " << escape(version()) << ".</footer>\n</body>\n</html>\n";
  return h.str();
}

void write_report_html(const EvaluationReport& report, const std::string& path) {
  GNNX_CHECK(!path.empty(), "write_report_html: expected a file path, got an empty one");
  const std::filesystem::path p(path);
  GNNX_CHECK(!std::filesystem::is_directory(p), "write_report_html: expected a file path, got '", path, "', a folder");
  const auto parent = p.has_parent_path() ? p.parent_path() : std::filesystem::path(".");
  GNNX_CHECK(std::filesystem::is_directory(parent), "write_report_html: expected a file in an existing folder, got '",
             path, "' (no folder '", parent.string(), "')");
  io::write_file_atomic(path, report_html(report));
}

}  // namespace gnnx::viz
