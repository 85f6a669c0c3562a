// `gnnx explain`: explain predictions with any registered method, either of a user's model on a
// user's graph (--model M --graph G: PyG state dicts or gnnx models; .pt, CSV, GraphML, DOT or
// JSON graphs), written in torch's format with --out, or of a synthetic benchmark's model
// (--dataset), shown as the most relevant edges (or, for gnn-lrp, walks), a JSON line and an SVG.
// With --chunk-size, --out is a directory of chunk files that a restarted run resumes, and the
// targets are shared out over the ranks of an MPI job (docs/methods/large-graphs.md).
#include <sys/resource.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "cli/commands.h"
#include "cli/progress.h"
#include "cli/ranks.h"
#include "gnnx/core/check.h"
#include "gnnx/datasets/reference.h"
#include "gnnx/datasets/synthetic.h"
#include "gnnx/explain/explainer.h"
#include "gnnx/explain/explanation_file.h"
#include "gnnx/explain/explanation_stream.h"
#include "gnnx/io/file.h"
#include "gnnx/io/graph_file.h"
#include "gnnx/nn/models/model_file.h"
#include "gnnx/viz/graphviz.h"

namespace gnnx::cli {
namespace {

struct ExplainArgs {
  std::string method = "gnnexplainer", seed = "0";
  GNNLRPCliArgs lrp;  // dataset, model, graph index, top-k, svg, json, and gnn-lrp's own rule options
  std::vector<int64_t> nodes;
  std::vector<std::string> links;  // "u,v": a link predictor's links
  std::string graph_path, nodes_file, out, readout = "mean", task = "node", mode = "classification";
  std::string features, labels;  // a CSV graph's node-feature and label files
  bool undirected = false;
  int64_t classes = -1, receptive_field = -1;  // what a TorchScript model cannot say about itself
  std::vector<std::string> options;            // key=value for the method
  std::vector<int64_t> graph_indices;
  bool all_nodes = false, progress = false;
  int64_t chunk_size = 0, batch_size = 0;  // chunked output (0: one file), targets per explainer call
  int64_t keep_top = 0;                    // edges and nodes kept per explanation in chunk files (0: all)
};

// "key=value" pairs into the method's options, the --seed unless an option gives one.
OptionMap parse_options(const std::vector<std::string>& pairs, const std::string& seed) {
  OptionMap o = parse_option_pairs("explain", pairs);
  if (!o.count("seed")) o["seed"] = seed;
  return o;
}

// Node ids from a file: integers separated by white space, commas or new lines; '#' starts a comment.
std::vector<int64_t> read_nodes_file(const std::string& path) {
  std::ifstream in(path);
  GNNX_CHECK(in.good(), "explain: cannot open --nodes file \"", path, "\"");
  std::vector<int64_t> ids;
  std::string line;
  for (int64_t line_no = 1; std::getline(in, line); ++line_no) {
    line = line.substr(0, line.find('#'));
    for (auto& c : line)
      if (c == ',') c = ' ';
    std::istringstream words(line);
    std::string w;
    while (words >> w) {
      size_t used = 0;
      int64_t v = -1;
      try {
        v = std::stoll(w, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      GNNX_CHECK(used == w.size(), "explain: ", path, ":", line_no, ": expected a node id, got \"", w, "\"");
      ids.push_back(v);
    }
  }
  GNNX_CHECK(!ids.empty(), "explain: --nodes file \"", path, "\" holds no node ids");
  return ids;
}

// An explanation of a batch item in the file's ids (masks [N] / [E] of the whole file).
explain::Explanation to_file_ids(explain::Explanation e, const BatchItem& item, const Graph& file) {
  const int64_t n = item.graph.num_nodes;
  const auto node_ids = torch::arange(item.first_node, item.first_node + n, torch::kLong);
  auto widen = [&](const at::Tensor& m, const at::Tensor& ids, int64_t size) {
    if (!m.defined()) return m;
    auto shape = m.sizes().vec();
    shape[0] = size;
    return torch::zeros(shape, m.options().device(torch::kCPU)).index_put_({ids}, m.to(torch::kCPU));
  };
  e.edge_mask = widen(e.edge_mask, item.edge_ids, file.num_edges());
  e.node_mask = widen(e.node_mask, node_ids, file.num_nodes);
  if (e.feature_mask.defined() && e.feature_mask.dim() == 2)
    e.feature_mask = widen(e.feature_mask, node_ids, file.num_nodes);
  e.edge_ids = e.edge_ids.defined() ? item.edge_ids.index_select(0, e.edge_ids.to(torch::kCPU)) : item.edge_ids;
  e.node_ids = e.node_ids.defined() ? e.node_ids.to(torch::kCPU) + item.first_node : node_ids;
  return e;
}

UserFiles user_files(const ExplainArgs& a) {
  UserFiles f;
  f.graph_path = a.graph_path;
  f.model_path = a.lrp.model_path;
  f.features = a.features;
  f.labels = a.labels;
  f.readout = a.readout;
  f.task = a.task;
  f.mode = a.mode;
  f.undirected = a.undirected;
  f.classes = a.classes;
  f.receptive_field = a.receptive_field;
  return f;
}

std::vector<int64_t> target_nodes(const ExplainArgs& a) {
  std::vector<int64_t> nodes = a.nodes;
  if (!a.nodes_file.empty()) {
    auto more = read_nodes_file(a.nodes_file);
    nodes.insert(nodes.end(), more.begin(), more.end());
  }
  return nodes;
}

// What a chunk directory's run depends on: the files by checksum (so that moving them keeps the
// directory resumable), the method and every option, seed included.
std::string run_inputs(const ExplainArgs& a, const OptionMap& options) {
  auto sha = [](const std::string& path) { return path.empty() ? std::string() : io::sha256_hex(io::read_file(path)); };
  nlohmann::json j = {{"graph_sha256", sha(a.graph_path)},
                      {"model_sha256", sha(a.lrp.model_path)},
                      {"method", a.method},
                      {"options", options},
                      {"readout", a.readout},
                      {"task", a.task},
                      {"classes", a.classes},
                      {"receptive_field", a.receptive_field},
                      {"undirected", a.undirected}};
  if (a.mode != "classification") j["mode"] = a.mode;
  if (!a.features.empty()) j["features_sha256"] = sha(a.features);
  if (!a.labels.empty()) j["labels_sha256"] = sha(a.labels);
  return j.dump();
}

// --chunk-size: every target into a directory of chunk files, resumed where a killed run stopped,
// shared out over the ranks of an MPI job (chunk c on rank c mod R); rank 0 marks it complete.
void run_explain_chunked(const ExplainArgs& a) {
  const auto t0 = std::chrono::steady_clock::now();
  Ranks ranks;
  try {
    GNNX_CHECK(!a.lrp.model_path.empty(), "explain: --graph needs --model (a PyG state dict or a gnnx model)");
    GNNX_CHECK(a.lrp.dataset.empty(), "explain: give --dataset or --graph, not both");
    GNNX_CHECK(a.chunk_size > 0,
               "explain: --all-nodes, --batch-size and --keep-top go with --chunk-size N (N > 0 targets per ",
               "chunk file), got --chunk-size ", a.chunk_size);
    GNNX_CHECK(!a.out.empty(), "explain: --chunk-size needs --out DIR (the directory of chunk files)");
    GNNX_CHECK(a.batch_size >= 0, "explain: --batch-size must be >= 0 (0: from the subgraphs' size), got ",
               a.batch_size);
    GNNX_CHECK(a.keep_top >= 0, "explain: --keep-top must be >= 0 (0: keep every scored edge and node), got ",
               a.keep_top);
    GNNX_CHECK(
        a.lrp.svg.empty() && a.graph_indices.empty(),
        "explain: --chunk-size explains the nodes of a node classifier; --svg and --graph-index do not go with it");
    const auto options = parse_options(a.options, std::to_string(parse_seed(a.seed)));
    auto explainer = explain::make_explainer(a.method, options);
    auto in = load_user_inputs("explain", user_files(a));
    const Graph& g = in.loaded.graph;
    GNNX_CHECK(in.model->task() == nn::Task::kNode,
               "explain: --chunk-size explains nodes; this model classifies graphs");
    const auto nodes = target_nodes(a);
    GNNX_CHECK(a.all_nodes != !nodes.empty(), "explain: give --all-nodes, or the nodes with --node I or --nodes FILE",
               a.all_nodes ? " (not both)" : "");
    explain::ChunkManifest m;
    for (int64_t v = 0; a.all_nodes && v < g.num_nodes; ++v) m.targets.push_back(Target::node(v));
    for (auto v : nodes) {
      GNNX_CHECK(v >= 0 && v < g.num_nodes, "explain: node ", v, " is outside the graph's [0, ", g.num_nodes, ")");
      m.targets.push_back(Target::node(v));
    }
    m.inputs = run_inputs(a, options);
    m.chunk_size = a.chunk_size;
    m.keep_top = a.keep_top;
    m.num_nodes = g.num_nodes;
    m.num_edges = g.num_edges();
    // Rank 0 creates (or checks) the directory before any other rank looks at it.
    std::unique_ptr<explain::ExplanationChunks> chunks;
    if (ranks.rank() == 0) chunks = std::make_unique<explain::ExplanationChunks>(a.out, m, true);
    ranks.barrier();
    if (ranks.rank() != 0) chunks = std::make_unique<explain::ExplanationChunks>(a.out, m, false);
    // This rank's targets: chunk c belongs to rank c mod R; the pending ones in the order
    // explain_chunks takes them.
    int64_t mine = 0, mine_pending = 0;
    std::vector<std::pair<int64_t, int64_t>> todo_ranges;
    for (int64_t c = ranks.rank(); c < chunks->num_chunks(); c += ranks.size()) {
      const auto range = chunks->chunk_range(c);
      mine += range.second - range.first;
      if (chunks->done(c)) continue;
      mine_pending += range.second - range.first;
      todo_ranges.push_back(range);
    }
    const int64_t pending = ranks.sum(mine_pending);
    const std::string what = ranks.size() > 1 ? "explain (rank 0 of " + std::to_string(ranks.size()) + ")" : "explain";
    Progress progress(what, mine, mine - mine_pending, a.progress && ranks.rank() == 0);
    if (progress.shown() && mine_pending > 0) {
      // The ETA follows the targets' subgraph sizes (on a power-law graph the first ids are hubs).
      std::vector<Target> todo;
      for (const auto& [first, last] : todo_ranges)
        todo.insert(todo.end(), m.targets.begin() + first, m.targets.begin() + last);
      auto work = std::make_shared<explain::WorkEstimate>(*explainer, *in.model, g, todo);
      progress.weigh([work](int64_t done) { return work->fraction(done); });
    }
    const auto stream = explain::StreamOptions().batch_size(a.batch_size);
    explain::explain_chunks(*explainer, *in.model, g, *chunks, stream, ranks.rank(), ranks.size(),
                            [&](int64_t, int64_t done) {
                              if (ranks.rank() == 0) progress.update(done);
                            });
    progress.finish();
    ranks.barrier();
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    const int64_t max_rss_kib = ranks.max(usage.ru_maxrss);
    if (ranks.rank() != 0) return;
    chunks->finish();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const auto total = static_cast<int64_t>(m.targets.size());
    nlohmann::json j = {{"out", a.out},
                        {"method", a.method},
                        {"targets", total},
                        {"chunks", chunks->num_chunks()},
                        {"explained", pending},
                        {"resumed", total - pending},
                        {"ranks", ranks.size()},
                        {"seconds", seconds},
                        {"targets_per_second", pending / seconds},
                        {"max_rss_mib", max_rss_kib / 1024.0}};
    if (a.lrp.json) {
      std::cout << j.dump() << "\n";
      return;
    }
    std::cout << a.method << ": " << total << " targets in " << chunks->num_chunks() << " chunks, " << pending
              << " explained now (" << total - pending << " resumed) in " << std::setprecision(3) << seconds << " s on "
              << ranks.size() << (ranks.size() == 1 ? " process" : " ranks") << ", peak memory " << std::setprecision(4)
              << max_rss_kib / 1024.0 << " MiB per process\nwrote " << a.out << "\n";
  } catch (const Error& e) {
    // One rank's error ends the job, so that the others do not wait at a barrier forever.
    if (ranks.size() > 1) {
      fail(e.what());
      ranks.abort(1);
    }
    throw;
  }
}

// A user's model on a user's graph: every target explained in one call, written with --out.
void run_explain_file(const ExplainArgs& a) {
  if (a.chunk_size != 0 || a.all_nodes || a.batch_size != 0 || a.keep_top != 0) return run_explain_chunked(a);
  const auto t0 = std::chrono::steady_clock::now();
  const auto& o = a.lrp;
  GNNX_CHECK(!o.model_path.empty(), "explain: --graph needs --model (a PyG state dict or a gnnx model)");
  GNNX_CHECK(o.dataset.empty(), "explain: give --dataset or --graph, not both");
  GNNX_CHECK(o.top_k > 0, "explain: --top-k must be positive, got ", o.top_k);
  const auto options = parse_options(a.options, std::to_string(parse_seed(a.seed)));
  auto explainer = explain::make_explainer(a.method, options);  // unknown methods and options fail first
  if (!a.out.empty()) {
    // Where the result goes is checked before the work, not after it.
    const std::filesystem::path out(a.out);
    GNNX_CHECK(!std::filesystem::is_directory(out), "explain: --out ", a.out, " is a directory, expected a file name");
    const auto parent = out.has_parent_path() ? out.parent_path() : std::filesystem::path(".");
    GNNX_CHECK(std::filesystem::is_directory(parent), "explain: --out ", a.out, ": cannot write there, no folder ",
               parent.string());
  }
  auto in = load_user_inputs("explain", user_files(a));
  const auto& loaded = in.loaded;
  const Graph& full = loaded.graph;
  auto& model = in.model;
  const std::vector<int64_t> nodes = target_nodes(a);
  const Graph& g = full;
  std::vector<explain::Explanation> ex;
  Graph first_graph = full;          // what --svg draws: the graph of the first explanation
  explain::Explanation first_local;  // the first explanation in that graph's ids
  GNNX_CHECK(a.links.empty() || model->task() == nn::Task::kLink, "explain: --link is for link predictors; this model ",
             "predicts ", nn::to_string(model->task()), "s");
  if (model->task() == nn::Task::kLink) {
    GNNX_CHECK(!a.links.empty() && nodes.empty() && a.graph_indices.empty(),
               "explain: the model predicts links; give --link U,V (repeatable)");
    std::vector<Target> targets;
    for (const auto& text : a.links) {
      const auto comma = text.find(',');
      int64_t u = -1, v = -1;
      try {
        GNNX_CHECK(comma != std::string::npos, "");
        size_t used_u = 0, used_v = 0;
        u = std::stoll(text.substr(0, comma), &used_u);
        v = std::stoll(text.substr(comma + 1), &used_v);
        GNNX_CHECK(used_u == comma && used_v == text.size() - comma - 1, "");
      } catch (const std::exception&) {
        GNNX_CHECK(false, "explain: --link expects two node ids U,V, got \"", text, "\"");
      }
      GNNX_CHECK(u >= 0 && u < full.num_nodes && v >= 0 && v < full.num_nodes, "explain: --link ", text,
                 " has a node outside the graph's [0, ", full.num_nodes, ")");
      targets.push_back(Target::link(u, v));
    }
    ex = explainer->explain(*model, full, targets);
    first_local = ex.front();
  } else if (model->task() == nn::Task::kNode) {
    GNNX_CHECK(!nodes.empty(), "explain: the model classifies nodes; give --node I (repeatable) or --nodes FILE");
    GNNX_CHECK(a.graph_indices.empty(), "explain: --graph-index is for graph classifiers; this model classifies nodes");
    std::vector<Target> targets;
    for (auto v : nodes) {
      GNNX_CHECK(v >= 0 && v < full.num_nodes, "explain: node ", v, " is outside the graph's [0, ", full.num_nodes,
                 ")");
      targets.push_back(Target::node(v));
    }
    ex = explainer->explain(*model, full, targets);
    first_local = ex.front();
  } else {
    GNNX_CHECK(nodes.empty(), "explain: the model classifies graphs; give --graph-index J, not node ids");
    std::vector<int64_t> js = a.graph_indices.empty() ? std::vector<int64_t>{0} : a.graph_indices;
    const int64_t B = loaded.batch.defined() && loaded.batch.numel() ? loaded.batch.max().item<int64_t>() + 1 : 1;
    std::vector<BatchItem> items;
    std::vector<Graph> graphs;
    for (auto j : js) {
      GNNX_CHECK(j >= 0 && j < B, "explain: --graph-index ", j, " is outside the file's ", B,
                 B == 1 ? " graph" : " graphs");
      items.push_back(loaded.batch.defined() ? batch_item("explain", full, loaded.batch, j)
                                             : BatchItem{full, 0, torch::arange(full.num_edges(), torch::kLong)});
      graphs.push_back(items.back().graph);
    }
    first_graph = graphs.front();
    ex = explainer->explain_graphs(*model, graphs);
    first_local = ex.front();
    for (size_t i = 0; i < ex.size(); ++i) {
      ex[i] = to_file_ids(std::move(ex[i]), items[i], full);
      ex[i].target = Target::graph(js[i], ex[i].target.label);
    }
  }
  if (!a.out.empty()) explain::save_explanations(a.out, ex, g.num_nodes, g.num_edges());
  if (!o.svg.empty()) {
    GNNX_CHECK(first_local.edge_mask.defined(), "explain: method ", a.method, " gives no edge mask to draw");
    viz::write_explanation_svg(first_graph, first_local, o.svg, viz::DrawOptions());
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const auto ei = g.edge_index.to(torch::kCPU);
  nlohmann::json items = nlohmann::json::array();
  for (const auto& e : ex) {
    nlohmann::json top = nlohmann::json::array();
    if (e.edge_mask.defined()) {
      const auto ids = e.top_edges(o.top_k).to(torch::kCPU);
      const auto mask = e.edge_mask.detach().to(torch::kCPU, torch::kDouble);
      for (int64_t i = 0; i < ids.numel(); ++i) {
        const int64_t id = ids[i].item<int64_t>();
        top.push_back({{"edge", id},
                       {"source", ei[0][id].item<int64_t>()},
                       {"target", ei[1][id].item<int64_t>()},
                       {"score", mask[id].item<double>()}});
      }
    }
    if (e.target.kind == Target::Kind::kLink)
      items.push_back({{"link", nlohmann::json::array({e.target.index, e.target.other})},
                       {"label", e.target.label},
                       {"top_edges", top}});
    else
      items.push_back({{e.target.kind == Target::Kind::kNode ? "node" : "graph", e.target.index},
                       {"label", e.target.label},
                       {"top_edges", top}});
    if (!e.diagnostics.empty()) items.back()["diagnostics"] = e.diagnostics;
  }
  if (o.json) {
    nlohmann::json j = {{"model", o.model_path},
                        {"graph", a.graph_path},
                        {"method", a.method},
                        {"explanations", items},
                        {"seconds", seconds}};
    if (!a.out.empty()) j["out"] = a.out;
    std::cout << j.dump() << "\n";
    return;
  }
  std::cout << a.method << ": " << ex.size() << (ex.size() == 1 ? " explanation" : " explanations") << " in "
            << std::setprecision(3) << seconds << " s\n";
  for (const auto& it : items) {
    if (it.contains("link"))
      std::cout << "link " << it["link"][0].get<int64_t>() << " -> " << it["link"][1].get<int64_t>();
    else if (it.contains("node"))
      std::cout << "node " << it["node"].get<int64_t>();
    else
      std::cout << "graph " << it["graph"].get<int64_t>();
    std::cout << " (class " << it["label"].get<int64_t>() << "): top edges\n";
    for (const auto& edge : it["top_edges"])
      std::cout << "  " << std::setw(8) << edge["source"].get<int64_t>() << " -> " << std::setw(8)
                << edge["target"].get<int64_t>() << "   " << std::setprecision(4) << edge["score"].get<double>()
                << "\n";
  }
  if (!a.out.empty()) std::cout << "wrote " << a.out << "\n";
  if (!o.svg.empty()) std::cout << "wrote " << o.svg << "\n";
}

void run_explain(const ExplainArgs& a) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto& o = a.lrp;
  GNNX_CHECK(!o.dataset.empty(), "explain: give --dataset NAME (a synthetic benchmark) or --model M --graph G");
  GNNX_CHECK(a.options.empty() && a.out.empty() && a.nodes_file.empty(),
             "explain: --option, --out and --nodes go with --model M --graph G");
  GNNX_CHECK(a.chunk_size == 0 && a.batch_size == 0 && a.keep_top == 0 && !a.all_nodes,
             "explain: --chunk-size, --batch-size, --keep-top and --all-nodes go with --model M --graph G");
  GNNX_CHECK(a.nodes.size() <= 1 && a.graph_indices.size() <= 1,
             "explain: --dataset explains one prediction; give --node or --graph-index once");
  GNNX_CHECK(o.top_k > 0, "explain: --top-k must be positive, got ", o.top_k);
  const uint64_t seed = parse_seed(a.seed);
  auto explainer = explain::make_explainer(
      a.method, {{"seed", std::to_string(seed)}});  // an unknown method fails before any training
  auto ds = datasets::make_dataset(o.dataset, seed);
  nn::GNNClassifier model = o.model_path.empty() ? datasets::train_reference_model(ds, seed).model
                                                 : nn::load_gnn_classifier(o.model_path);
  model->eval();
  explain::Explanation e;
  Graph g;
  int64_t item = 0;
  at::Tensor ground_truth;
  if (ds.task == nn::Task::kNode) {
    g = ds.graphs.front();
    GNNX_CHECK(o.node >= 0, "explain: dataset ", o.dataset, " is a node task; give --node I");
    GNNX_CHECK(o.node < g.num_nodes, "explain: --node ", o.node, " outside [0, ", g.num_nodes, ")");
    item = o.node;
    e = explainer->explain(*model, g, {Target::node(item)}).front();
    ground_truth = ds.edge_mask_gt.front();
  } else {
    item = o.graph >= 0 ? o.graph : ds.split.test[0].item<int64_t>();
    GNNX_CHECK(item < static_cast<int64_t>(ds.graphs.size()), "explain: --graph-index ", item, " outside [0, ",
               ds.graphs.size(), ")");
    g = ds.graphs[static_cast<size_t>(item)];
    e = explainer->explain(*model, g, {Target::graph(0)}).front();
    ground_truth = ds.edge_mask_gt[static_cast<size_t>(item)];
  }
  GNNX_CHECK(e.edge_mask.defined(), "explain: method ", a.method, " gives no edge mask");
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!o.svg.empty()) {
    auto draw = viz::DrawOptions().edge_ground_truth(ground_truth);
    if (ds.task == nn::Task::kNode) draw.node_labels(g.y);
    viz::write_explanation_svg(g, e, o.svg, draw);
  }
  const auto top = e.top_edges(o.top_k).to(torch::kCPU);
  const auto ei = g.edge_index.to(torch::kCPU);
  const auto mask = e.edge_mask.detach().to(torch::kCPU).to(torch::kDouble);
  nlohmann::json edges = nlohmann::json::array();
  for (int64_t i = 0; i < top.numel(); ++i) {
    const int64_t id = top[i].item<int64_t>();
    edges.push_back({{"edge", id},
                     {"source", ei[0][id].item<int64_t>()},
                     {"target", ei[1][id].item<int64_t>()},
                     {"score", mask[id].item<double>()},
                     {"ground_truth", ground_truth[id].item<double>() > 0}});
  }
  if (o.json) {
    nlohmann::json j = {
        {"dataset", o.dataset},    {"method", a.method}, {ds.task == nn::Task::kNode ? "node" : "graph", item},
        {"label", e.target.label}, {"top_edges", edges}, {"seconds", seconds}};
    std::cout << j.dump() << "\n";
    return;
  }
  std::cout << a.method << " on " << o.dataset << (ds.task == nn::Task::kNode ? ", node " : ", graph ") << item
            << " (class " << e.target.label << "), " << std::setprecision(3) << seconds << " s; top " << edges.size()
            << " edges (* = ground-truth motif edge):\n";
  for (const auto& edge : edges)
    std::cout << "  " << std::setw(6) << edge["source"].get<int64_t>() << " -> " << std::setw(6)
              << edge["target"].get<int64_t>() << "   " << std::setprecision(4) << edge["score"].get<double>()
              << (edge["ground_truth"].get<bool>() ? "  *" : "") << "\n";
  if (!o.svg.empty()) std::cout << "wrote " << o.svg << "\n";
}

}  // namespace

void register_explain(CLI::App& app) {
  auto a = std::make_shared<ExplainArgs>();
  auto* cmd = app.add_subcommand(
      "explain", "Explain predictions: of your model on your graph (--model, --graph), or on a synthetic benchmark");
  auto& o = a->lrp;
  cmd->add_option("--model", o.model_path,
                  "a PyG state dict (torch.save(dict(model.state_dict()))) or a gnnx model; with --dataset, "
                  "replaces the trained reference model");
  cmd->add_option("--graph", a->graph_path, "your graph: .pt (PyG Data.to_dict()), .csv, .graphml, .dot or .json");
  cmd->add_option("--features", a->features, "a CSV graph's node features: a CSV id,f1,...,fk");
  cmd->add_option("--labels", a->labels, "a CSV graph's node labels: a CSV id,label");
  cmd->add_flag("--undirected", a->undirected, "a CSV, GraphML or DOT graph: add the reverse of every edge");
  cmd->add_option("--dataset", o.dataset,
                  "or a synthetic benchmark: ba-shapes, ba-community, tree-cycles, "
                  "tree-grid, ba-2motifs, ba-growth, ba-multishapes, infection");
  cmd->add_option("--method", a->method, "any registered explainer (gnnexplainer, grad, saliency, ig, gnn-lrp, ...)")
      ->capture_default_str();
  cmd->add_option("--node", a->nodes, "node to explain (repeatable)");
  cmd->add_option("--link", a->links, "a link predictor's link U,V to explain (repeatable)");
  cmd->add_option("--nodes", a->nodes_file, "file of node ids to explain (white space or comma separated)");
  cmd->add_option("--graph-index", a->graph_indices,
                  "graph to explain (repeatable): a graph classifier's graph in the file or dataset");
  cmd->add_option("--option", a->options, "method option key=value (repeatable), e.g. epochs=200")->take_all();
  cmd->add_option("--readout", a->readout, "graph pooling of an imported PyG graph classifier: sum, mean or max")
      ->capture_default_str();
  cmd->add_option("--classes", a->classes, "a TorchScript model's number of classes");
  cmd->add_option("--task", a->task, "a TorchScript model's task: node, graph or link")->capture_default_str();
  cmd->add_option("--mode", a->mode,
                  "a PyG or TorchScript model's outputs: classification (logits) or regression (values)")
      ->capture_default_str();
  cmd->add_option("--receptive-field", a->receptive_field,
                  "the hops a TorchScript model reads around a node (-1: unknown, explain on the whole graph)")
      ->capture_default_str();
  cmd->add_option("--out", a->out,
                  "write the explanations in torch's format (torch.load reads them); with --chunk-size, a directory");
  cmd->add_flag("--all-nodes", a->all_nodes, "explain every node of the graph (with --chunk-size)");
  cmd->add_option("--chunk-size", a->chunk_size,
                  "targets per chunk file: --out DIR gets chunk files and a manifest, and the same command run "
                  "again resumes where a killed run stopped (under mpirun, the ranks share the chunks)");
  cmd->add_option("--batch-size", a->batch_size,
                  "targets per explainer call within a chunk (0: as many as keep a batch's computation subgraphs "
                  "under 256 MiB of estimated work)")
      ->capture_default_str();
  cmd->add_option("--keep-top", a->keep_top,
                  "with --chunk-size: keep each explanation's K highest-scoring edges and nodes in the chunk files "
                  "(0: every scored edge and node)")
      ->capture_default_str();
  cmd->add_flag(
      "--progress", a->progress,
      "print progress (targets/s, an ETA weighed by the targets' subgraph sizes) on stderr even when it is not a "
      "terminal (with --chunk-size)");
  cmd->add_option("--seed", a->seed, "seed of the explainer (and of a --dataset's graph and reference model)")
      ->capture_default_str();
  cmd->add_option("--top-k", o.top_k, "edges (or gnn-lrp walks) reported")->capture_default_str();
  cmd->add_option("--svg", o.svg, "write a picture of the (first) explanation (GraphViz dot)");
  cmd->add_flag("--json", o.json, "print one JSON line instead of the table");
  cmd->add_option("--gamma", o.gamma, "gnn-lrp: gamma of the LRP-gamma rule on the layers (0: LRP-epsilon)")
      ->capture_default_str();
  cmd->add_option("--order", o.order, "gnn-lrp: rank walks by abs, positive or negative relevance")
      ->capture_default_str();
  cmd->callback([a] {
    a->lrp.node = a->nodes.empty() ? -1 : a->nodes.front();
    a->lrp.graph = a->graph_indices.empty() ? -1 : a->graph_indices.front();
    if (!a->graph_path.empty()) {
      run_explain_file(*a);
    } else if (a->method == "gnn-lrp") {
      GNNX_CHECK(a->nodes.size() <= 1, "explain: --dataset explains one node; give --node once");
      a->lrp.seed = parse_seed(a->seed);
      run_gnn_lrp_cli(a->lrp);
    } else {
      run_explain(*a);
    }
  });
}

}  // namespace gnnx::cli
