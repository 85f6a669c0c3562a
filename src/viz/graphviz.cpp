#include "gnnx/viz/graphviz.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <sstream>
#include <vector>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <torch/torch.h>

#include "gnnx/core/check.h"
#include "gnnx/graph/ops.h"
#include "gnnx/io/file.h"

extern char** environ;

namespace gnnx::viz {
namespace {

/// The executable `program` names: itself when it holds a '/', else the first match on PATH;
/// "" when there is none.
std::string find_program(const std::string& program) {
  if (program.find('/') != std::string::npos) return ::access(program.c_str(), X_OK) == 0 ? program : "";
  const char* path = std::getenv("PATH");
  if (!path) return "";
  std::stringstream ss(path);
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    if (dir.empty()) continue;
    const auto candidate = (std::filesystem::path(dir) / program).string();
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

/// Runs argv[0] with argv, stdout and stderr to /dev/null; returns its exit status (-1 when it
/// did not exit normally), or throws when it cannot be started.
int run_quietly(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  ::posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  ::posix_spawn_file_actions_destroy(&actions);
  GNNX_CHECK(rc == 0, "render_dot: cannot run ", args[0], " (", std::strerror(rc), ")");
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

void render_dot(const std::string& dot_source, const std::string& path, const RenderOptions& o) {
  GNNX_CHECK(!path.empty(), "render_dot: empty output path");
  GNNX_CHECK(o.format() == "svg" || o.format() == "png" || o.format() == "pdf",
             "render_dot: format must be svg, png or pdf, got \"", o.format(), "\"");
  const std::string name = o.program().empty() ? "dot" : o.program();
  const std::string program = find_program(name);
  GNNX_CHECK(!program.empty(), "render_dot: GraphViz program \"", name,
             "\" not found (install the Debian package graphviz, or render the DOT source elsewhere)");
  const auto dir = std::filesystem::path(path).parent_path();
  GNNX_CHECK(dir.empty() || std::filesystem::is_directory(dir), "render_dot: directory ", dir.string(),
             " does not exist");
  const std::string tmp_dot = path + ".tmp" + std::to_string(::getpid()) + ".dot";
  const std::string tmp_out = path + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream f(tmp_dot);
    GNNX_CHECK(f.good(), "render_dot: cannot write ", tmp_dot);
    f << dot_source;
    GNNX_CHECK(f.good(), "render_dot: cannot write ", tmp_dot);
  }
  std::vector<std::string> args{program, "-T" + o.format()};
  if (!o.layout().empty()) args.push_back("-K" + o.layout());
  args.insert(args.end(), {tmp_dot, "-o", tmp_out});
  int status = -1;
  try {
    status = run_quietly(std::move(args));
  } catch (...) {
    std::filesystem::remove(tmp_dot);
    throw;
  }
  std::filesystem::remove(tmp_dot);
  if (status != 0 || !std::filesystem::exists(tmp_out)) {
    std::filesystem::remove(tmp_out);
    GNNX_CHECK(false, "render_dot: ", program, " failed (exit ", status, ") writing ", path);
  }
  std::error_code ec;
  std::filesystem::rename(tmp_out, path, ec);
  if (ec) {
    std::filesystem::remove(tmp_out);
    GNNX_CHECK(false, "render_dot: cannot write ", path, " (", ec.message(), ")");
  }
}

std::string render_svg(const std::string& dot_source, const RenderOptions& o) {
  // A private folder (mkdtemp, mode 0700) rather than a guessed name in /tmp: nobody else can
  // place a file or a link where GraphViz writes.
  std::string pattern = (std::filesystem::temp_directory_path() / "gnnx-svg-XXXXXX").string();
  GNNX_CHECK(::mkdtemp(pattern.data()) != nullptr, "render_svg: cannot make a temporary folder in ",
             std::filesystem::temp_directory_path().string(), " (", std::strerror(errno), ")");
  const auto dir = std::filesystem::path(pattern);
  std::string svg;
  try {
    render_dot(dot_source, (dir / "picture.svg").string(), RenderOptions(o).format("svg"));
    svg = io::read_file((dir / "picture.svg").string());
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    throw;
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return svg;
}

std::string explanation_dot(const Graph& g, const explain::Explanation& e, const DrawOptions& o) {
  g.validate("explanation_dot");
  const bool node_target = e.target.kind == Target::Kind::kNode;
  const bool link_target = e.target.kind == Target::Kind::kLink;
  GNNX_CHECK(node_target || link_target || e.target.kind == Target::Kind::kGraph,
             "explanation_dot: needs a node, link or graph target, got ", to_string(e.target));
  GNNX_CHECK(!node_target || (e.target.index >= 0 && e.target.index < g.num_nodes), "explanation_dot: target node ",
             e.target.index, " outside the graph of ", g.num_nodes, " nodes");
  GNNX_CHECK(!link_target || (e.target.index >= 0 && e.target.index < g.num_nodes && e.target.other >= 0 &&
                              e.target.other < g.num_nodes),
             "explanation_dot: ", to_string(e.target), " has a node outside the graph of ", g.num_nodes, " nodes");
  GNNX_CHECK(e.edge_mask.defined() && e.edge_mask.dim() == 1 && e.edge_mask.size(0) == g.num_edges(),
             "explanation_dot: the explanation needs an edge mask of shape [", g.num_edges(), "]");
  at::Tensor edges;
  if (node_target && o.hops() >= 0) {
    edges = k_hop_subgraph(g, e.target.index, o.hops()).edge_ids;
  } else {
    edges = e.edge_ids.defined() ? e.edge_ids : torch::arange(g.num_edges(), torch::kLong);
  }
  auto ei = g.edge_index.to(torch::kCPU).contiguous();
  auto mask = e.edge_mask.detach().to(torch::kCPU, torch::kDouble).contiguous();
  auto ids = edges.to(torch::kCPU).contiguous();
  at::Tensor gt = o.edge_ground_truth().defined() ? o.edge_ground_truth().to(torch::kCPU, torch::kDouble).contiguous()
                                                  : at::Tensor();
  GNNX_CHECK(!gt.defined() || gt.numel() == g.num_edges(), "explanation_dot: edge_ground_truth must have ",
             g.num_edges(), " entries");
  at::Tensor labels = o.node_labels().defined() ? o.node_labels().to(torch::kCPU, torch::kLong).contiguous()
                                                : at::Tensor();
  GNNX_CHECK(!labels.defined() || labels.numel() == g.num_nodes, "explanation_dot: node_labels must have ", g.num_nodes,
             " entries");
  // One drawn edge per unordered pair: the larger score of its two directions.
  std::map<std::pair<int64_t, int64_t>, std::pair<double, bool>> pairs;
  double top = 0;
  for (int64_t k = 0; k < ids.numel(); ++k) {
    const int64_t id = ids.data_ptr<int64_t>()[k];
    int64_t u = ei[0][id].item<int64_t>(), v = ei[1][id].item<int64_t>();
    if (u == v) continue;
    if (u > v) std::swap(u, v);
    const double s = std::abs(mask.data_ptr<double>()[id]);
    const bool truth = gt.defined() && gt.data_ptr<double>()[id] > 0.5;
    auto& slot = pairs[{u, v}];
    slot.first = std::max(slot.first, s);
    slot.second = slot.second || truth;
    top = std::max(top, s);
  }
  static const char* palette[] = {"#ffffff", "#fde68a", "#a7f3d0", "#bfdbfe",
                                  "#fbcfe8", "#ddd6fe", "#fed7aa", "#e5e7eb"};
  std::ostringstream out;
  out << std::fixed << std::setprecision(3);
  const std::string title = o.title().empty() ? e.method + " — " + to_string(e.target) : o.title();
  out << "graph explanation {\n  graph [layout=neato, overlap=false, splines=true, label=\"" << title
      << "\", labelloc=t];\n"
      << "  node [shape=circle, style=filled, fontsize=10, width=0.35, fixedsize=true];\n";
  std::map<int64_t, bool> nodes;
  for (const auto& [uv, s] : pairs) nodes[uv.first] = nodes[uv.second] = true;
  // The explained node, or both ends of the explained link, drawn doubled.
  auto is_target = [&](int64_t n) {
    return (node_target || link_target) && (n == e.target.index || (link_target && n == e.target.other));
  };
  if (node_target || link_target) nodes[e.target.index] = true;
  if (link_target) nodes[e.target.other] = true;
  for (const auto& [n, _] : nodes) {
    const char* fill = labels.defined() ? palette[labels.data_ptr<int64_t>()[n] % 8] : "#ffffff";
    out << "  " << n << " [fillcolor=\"" << fill << "\"" << (is_target(n) ? ", shape=doublecircle, penwidth=2" : "")
        << "];\n";
  }
  // The predicted link itself, dashed (it may or may not be an edge of the graph).
  if (link_target && e.target.index != e.target.other)
    out << "  " << e.target.index << " -- " << e.target.other
        << " [style=dashed, color=\"#2563eb\", penwidth=2, tooltip=\"explained link\"];\n";
  for (const auto& [uv, s] : pairs) {
    const double f = top > 0 ? s.first / top : 0.0;
    const int red = 255, gb = static_cast<int>(std::lround(220 * (1 - f)));
    std::ostringstream col;
    col << "#" << std::hex << std::setw(2) << std::setfill('0') << red << std::setw(2) << gb << std::setw(2) << gb;
    const bool faint = f < o.min_fraction();
    out << "  " << uv.first << " -- " << uv.second << " [penwidth=" << (faint ? 0.5 : 0.5 + 4.5 * f) << ", color=\""
        << (faint ? std::string("#d1d5db") : (s.second ? "black:" + col.str() : col.str())) << "\", tooltip=\""
        << s.first << "\"];\n";
  }
  out << "}\n";
  return out.str();
}

void write_explanation_svg(const Graph& g, const explain::Explanation& e, const std::string& path,
                           const DrawOptions& o) {
  render_dot(explanation_dot(g, e, o), path);
}

}  // namespace gnnx::viz
