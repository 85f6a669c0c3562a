#include "gnnx/explain/explanation_stream.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include <nlohmann/json.hpp>

#include "gnnx/core/check.h"
#include "gnnx/explain/explanation_file.h"
#include "gnnx/graph/ops.h"
#include "gnnx/io/file.h"

namespace gnnx::explain {
namespace {

namespace fs = std::filesystem;
constexpr const char* kFormat = "gnnx.ExplanationChunks";
constexpr const char* kManifest = "manifest.json";

// The targets as text, whose checksum the manifest keeps (a million ids would make it megabytes).
std::string targets_sha256(const std::vector<Target>& targets) {
  std::string text;
  text.reserve(targets.size() * 12);
  for (const auto& t : targets) {
    text += t.kind == Target::Kind::kNode    ? 'n'
            : t.kind == Target::Kind::kGraph ? 'g'
            : t.kind == Target::Kind::kLink  ? 'l'
                                             : 'o';
    text += std::to_string(t.index);
    if (t.kind == Target::Kind::kLink) text += '-' + std::to_string(t.other);
    text += ':' + std::to_string(t.label) + ',';
  }
  return io::sha256_hex(text);
}

nlohmann::json manifest_json(const ChunkManifest& m, int64_t num_chunks, bool complete) {
  nlohmann::json inputs;
  try {
    inputs = nlohmann::json::parse(m.inputs);
  } catch (const nlohmann::json::exception& e) {
    GNNX_CHECK(false, "ExplanationChunks: inputs must be JSON text, got \"", m.inputs.substr(0, 80), "\" (", e.what(),
               ")");
  }
  nlohmann::json j = {{"format", kFormat},
                      {"version", 1},
                      {"inputs", inputs},
                      {"num_targets", static_cast<int64_t>(m.targets.size())},
                      {"targets_sha256", targets_sha256(m.targets)},
                      {"chunk_size", m.chunk_size},
                      {"num_chunks", num_chunks},
                      {"num_nodes", m.num_nodes},
                      {"num_edges", m.num_edges},
                      {"complete", complete}};
  // Written only when set, so that directories of runs that keep everything read the same.
  if (m.keep_top > 0) j["keep_top"] = m.keep_top;
  return j;
}

nlohmann::json read_manifest(const std::string& path) {
  const auto text = io::read_file(path);
  try {
    auto j = nlohmann::json::parse(text);
    GNNX_CHECK(j.is_object() && j.value("format", "") == kFormat, "ExplanationChunks: ", path,
               " is not a gnnx chunk manifest (no \"format\": \"", kFormat, "\")");
    GNNX_CHECK(j.value("version", 0) == 1, "ExplanationChunks: ", path, ": expected version 1, got ",
               j.value("version", 0));
    return j;
  } catch (const nlohmann::json::exception& e) {
    GNNX_CHECK(false, "ExplanationChunks: ", path, " is not valid JSON (", e.what(), ")");
  }
  return {};
}

// "graph_sha256 (here \"ab\", in the directory \"cd\")" for each field where two inputs differ.
std::string differences(const nlohmann::json& here, const nlohmann::json& there) {
  std::ostringstream out;
  auto field = [&](const std::string& key, const nlohmann::json& a, const nlohmann::json& b) {
    if (a == b) return;
    out << (out.tellp() > 0 ? "; " : "") << key << " (this run: " << (a.is_null() ? "none" : a.dump())
        << ", the directory's: " << (b.is_null() ? "none" : b.dump()) << ")";
  };
  for (const char* key : {"num_targets", "targets_sha256", "chunk_size", "keep_top", "num_nodes", "num_edges"})
    field(key, here.value(key, nlohmann::json()), there.value(key, nlohmann::json()));
  const auto& a = here["inputs"];
  const auto b = there.value("inputs", nlohmann::json::object());
  if (a.is_object() && b.is_object()) {
    for (const auto& [k, v] : a.items()) field("inputs." + k, v, b.value(k, nlohmann::json()));
    for (const auto& [k, v] : b.items())
      if (!a.contains(k)) field("inputs." + k, nlohmann::json(), v);
  } else {
    field("inputs", a, b);
  }
  return out.str();
}

// Temporary files of writes that a kill interrupted (io::write_file_atomic's "<name>.tmp<pid>").
void remove_temporaries(const fs::path& d) {
  for (const auto& entry : fs::directory_iterator(d)) {
    const auto name = entry.path().filename().string();
    if (name.find(".tmp") != std::string::npos && (name.rfind("chunk-", 0) == 0 || name.rfind(kManifest, 0) == 0))
      fs::remove(entry.path());
  }
}

}  // namespace

int64_t stream_batch_size(const StreamOptions& options, int64_t num_nodes, int64_t num_edges, int64_t num_features) {
  GNNX_CHECK(options.batch_size() >= 0, "explain_stream: batch_size must be >= 0 (0: from batch_bytes), got ",
             options.batch_size());
  if (options.batch_size() > 0) return options.batch_size();
  GNNX_CHECK(options.batch_bytes() > 0, "explain_stream: batch_bytes must be positive, got ", options.batch_bytes());
  // Edge and node masks, and a [N, F] feature mask, in float32.
  const int64_t per_target =
      std::max<int64_t>(1, 4 * (num_edges + num_nodes + num_nodes * std::max<int64_t>(num_features, 0)));
  return std::clamp<int64_t>(options.batch_bytes() / per_target, 1, 256);
}

int64_t compact_target_bytes(int64_t nodes, int64_t edges, int64_t num_features) {
  GNNX_CHECK(nodes >= 0 && edges >= 0 && num_features >= 0, "compact_target_bytes: expected sizes >= 0, got ", nodes,
             " nodes, ", edges, " edges and ", num_features, " features");
  return 256 * edges + (64 + 8 * num_features) * nodes;
}

namespace {

// The (nodes, edges) of each target's computation subgraph, as the explainers cut it: the
// model.receptive_field()-hop subgraph of node targets, the whole graph for other targets and for
// ids outside it (which the explainer then refuses with its own error).
std::vector<std::pair<int64_t, int64_t>> computation_sizes(const nn::GNNModel& model, const Graph& graph,
                                                           const std::vector<Target>& targets) {
  const int64_t reach = model.receptive_field();
  bool nodes_only = reach >= 0 && model.task() == nn::Task::kNode;
  std::vector<int64_t> ids;
  for (const auto& t : targets) {
    nodes_only = nodes_only && t.kind == Target::Kind::kNode && t.index >= 0 && t.index < graph.num_nodes;
    ids.push_back(t.index);
  }
  if (nodes_only) return k_hop_sizes(graph, ids, reach);
  return std::vector<std::pair<int64_t, int64_t>>(targets.size(), {graph.num_nodes, graph.num_edges()});
}

// stream_batches with cost(nodes, edges, F) charged per compact target.
std::vector<int64_t> batches_by_cost(const StreamOptions& options, const nn::GNNModel& model, const Graph& graph,
                                     const std::vector<Target>& targets,
                                     const std::function<int64_t(int64_t, int64_t, int64_t)>& cost_of) {
  GNNX_CHECK(options.batch_size() >= 0, "explain_stream: batch_size must be >= 0 (0: from batch_bytes), got ",
             options.batch_size());
  const int64_t n = static_cast<int64_t>(targets.size());
  const int64_t F = graph.has_features() ? graph.x.size(1) : 0;
  std::vector<int64_t> out;
  if (!options.compact() || options.batch_size() > 0) {
    const int64_t b = stream_batch_size(options, graph.num_nodes, graph.num_edges(), F);
    for (int64_t first = 0; first < n; first += b) out.push_back(std::min(b, n - first));
    return out;
  }
  GNNX_CHECK(options.batch_bytes() > 0, "explain_stream: batch_bytes must be positive, got ", options.batch_bytes());
  int64_t bytes = 0;
  for (const auto& [nodes, edges] : computation_sizes(model, graph, targets)) {
    const int64_t cost = cost_of(nodes, edges, F);
    if (out.empty() || out.back() == 256 || bytes + cost > options.batch_bytes()) {
      out.push_back(0);
      bytes = 0;
    }
    ++out.back();
    bytes += cost;
  }
  return out;
}

}  // namespace

std::vector<int64_t> stream_batches(const StreamOptions& options, const Explainer& explainer, const nn::GNNModel& model,
                                    const Graph& graph, const std::vector<Target>& targets) {
  return batches_by_cost(options, model, graph, targets, [&](int64_t nodes, int64_t edges, int64_t F) {
    return explainer.compact_target_cost(nodes, edges, F);
  });
}

std::vector<int64_t> stream_batches(const StreamOptions& options, const nn::GNNModel& model, const Graph& graph,
                                    const std::vector<Target>& targets) {
  return batches_by_cost(options, model, graph, targets, compact_target_bytes);
}

WorkEstimate::WorkEstimate(const Explainer& explainer, const nn::GNNModel& model, const Graph& graph,
                           const std::vector<Target>& targets, int64_t samples)
    : num_targets_(static_cast<int64_t>(targets.size())) {
  GNNX_CHECK(!targets.empty(), "WorkEstimate: expected at least one target, got an empty list");
  GNNX_CHECK(samples >= 1, "WorkEstimate: samples must be >= 1, got ", samples);
  stride_ = (num_targets_ + samples - 1) / samples;
  // The middle target of each block of stride targets: where the cost falls with the position
  // (ids by age on a power-law graph), the first would stand for its block's heaviest.
  std::vector<Target> sampled;
  for (int64_t i = 0; i < num_targets_; i += stride_)
    sampled.push_back(targets[static_cast<size_t>(i + (std::min(stride_, num_targets_ - i) - 1) / 2)]);
  const int64_t F = graph.has_features() ? graph.x.size(1) : 0;
  cumulative_.push_back(0);
  int64_t first = 0;
  for (const auto& [nodes, edges] : computation_sizes(model, graph, sampled)) {
    // Each sample stands for the stride targets from it (fewer at the end); a free target counts
    // as one byte, so that the estimate never stalls.
    const int64_t stands_for = std::min(stride_, num_targets_ - first);
    const auto cost = std::max<int64_t>(1, explainer.compact_target_cost(nodes, edges, F));
    cumulative_.push_back(cumulative_.back() + static_cast<double>(cost) * static_cast<double>(stands_for));
    first += stands_for;
  }
}

double WorkEstimate::fraction(int64_t done) const {
  GNNX_CHECK(done >= 0 && done <= num_targets_, "WorkEstimate: expected done in [0, ", num_targets_, "], got ", done);
  if (done == num_targets_) return 1.0;
  // Within a sample's block the work is spread evenly.
  const auto j = static_cast<size_t>(done / stride_);
  const int64_t block = std::min(stride_, num_targets_ - static_cast<int64_t>(j) * stride_);
  const double within = static_cast<double>(done - static_cast<int64_t>(j) * stride_) / static_cast<double>(block);
  return (cumulative_[j] + within * (cumulative_[j + 1] - cumulative_[j])) / cumulative_.back();
}

void explain_stream(Explainer& explainer, nn::GNNModel& model, const Graph& graph, const std::vector<Target>& targets,
                    const BatchCallback& on_batch, const StreamOptions& options) {
  GNNX_CHECK(!targets.empty(), "explain_stream: expected at least one target, got an empty list");
  GNNX_CHECK(static_cast<bool>(on_batch), "explain_stream: expected a batch callback, got none");
  int64_t first = 0;
  for (const int64_t b : stream_batches(options, explainer, model, graph, targets)) {
    const std::vector<Target> batch(targets.begin() + first, targets.begin() + first + b);
    auto ex = options.compact() ? explainer.explain_compact(model, graph, batch)
                                : explainer.explain(model, graph, batch);
    GNNX_CHECK(ex.size() == batch.size(), "explain_stream: ", explainer.name(), " returned ", ex.size(),
               " explanations for ", batch.size(), " targets");
    on_batch(first, ex);
    first += b;
  }
}

ExplanationChunks::ExplanationChunks(std::string dir, ChunkManifest manifest, bool create)
    : dir_(std::move(dir)), manifest_(std::move(manifest)) {
  GNNX_CHECK(!dir_.empty(), "ExplanationChunks: expected a directory, got an empty path");
  GNNX_CHECK(!manifest_.targets.empty(), "ExplanationChunks: expected at least one target, got none");
  GNNX_CHECK(manifest_.chunk_size > 0, "ExplanationChunks: chunk_size must be positive, got ", manifest_.chunk_size);
  GNNX_CHECK(manifest_.keep_top >= 0, "ExplanationChunks: keep_top must be >= 0 (0: keep everything), got ",
             manifest_.keep_top);
  GNNX_CHECK(manifest_.num_nodes >= 0 && manifest_.num_edges >= 0,
             "ExplanationChunks: expected a graph size >= 0, got ", manifest_.num_nodes, " nodes and ",
             manifest_.num_edges, " edges");
  const fs::path d(dir_);
  GNNX_CHECK(!fs::exists(d) || fs::is_directory(d), "ExplanationChunks: ", dir_, " exists and is not a directory");
  const auto here = manifest_json(manifest_, num_chunks(), false);
  const auto path = (d / kManifest).string();
  if (!fs::exists(path)) {
    GNNX_CHECK(create, "ExplanationChunks: ", dir_, " holds no ", kManifest);
    std::error_code ec;
    fs::create_directories(d, ec);
    GNNX_CHECK(!ec && fs::is_directory(d), "ExplanationChunks: cannot create the directory ", dir_, ": ", ec.message());
    remove_temporaries(d);  // a run killed while writing its first manifest
    GNNX_CHECK(fs::is_empty(d), "ExplanationChunks: ", dir_,
               " is not empty and holds no manifest; give an empty or new directory");
    io::write_file_atomic(path, here.dump(2) + "\n");
    return;
  }
  const auto there = read_manifest(path);
  const auto diff = differences(here, there);
  GNNX_CHECK(diff.empty(), "ExplanationChunks: ", dir_,
             " holds the explanations of other inputs, so this run cannot resume it: ", diff,
             ". Give another directory, or remove this one to start again");
  if (create) remove_temporaries(d);
}

int64_t ExplanationChunks::num_chunks() const {
  const auto n = static_cast<int64_t>(manifest_.targets.size());
  return (n + manifest_.chunk_size - 1) / manifest_.chunk_size;
}

std::pair<int64_t, int64_t> ExplanationChunks::chunk_range(int64_t c) const {
  GNNX_CHECK(c >= 0 && c < num_chunks(), "ExplanationChunks: chunk ", c, " is outside [0, ", num_chunks(), ")");
  const auto n = static_cast<int64_t>(manifest_.targets.size());
  return {c * manifest_.chunk_size, std::min(n, (c + 1) * manifest_.chunk_size)};
}

std::string ExplanationChunks::chunk_path(int64_t c) const {
  char name[32];
  std::snprintf(name, sizeof(name), "chunk-%06lld.pt", static_cast<long long>(c));
  return (fs::path(dir_) / name).string();
}

bool ExplanationChunks::done(int64_t c) const { return fs::exists(chunk_path(c)); }

std::vector<int64_t> ExplanationChunks::pending(int64_t rank, int64_t num_ranks) const {
  GNNX_CHECK(num_ranks >= 1 && rank >= 0 && rank < num_ranks, "ExplanationChunks: rank ", rank, " is outside [0, ",
             num_ranks, ")");
  std::vector<int64_t> out;
  for (int64_t c = rank; c < num_chunks(); c += num_ranks)
    if (!done(c)) out.push_back(c);
  return out;
}

void ExplanationChunks::write(int64_t c, const std::vector<Explanation>& explanations) const {
  const auto [first, last] = chunk_range(c);
  GNNX_CHECK(static_cast<int64_t>(explanations.size()) == last - first, "ExplanationChunks: chunk ", c, " holds ",
             last - first, " targets, got ", explanations.size(), " explanations");
  for (int64_t i = first; i < last; ++i) {
    const auto& want = manifest_.targets[static_cast<size_t>(i)];
    const auto& got = explanations[static_cast<size_t>(i - first)].target;
    GNNX_CHECK(got.kind == want.kind && got.index == want.index, "ExplanationChunks: chunk ", c, " explanation ",
               i - first, " is of ", gnnx::to_string(got), ", expected ", gnnx::to_string(want));
  }
  save_compact_explanations(chunk_path(c), explanations, manifest_.num_nodes, manifest_.num_edges);
}

void ExplanationChunks::finish() const {
  for (int64_t c = 0; c < num_chunks(); ++c)
    GNNX_CHECK(done(c), "ExplanationChunks: ", dir_, " misses chunk ", c, " (", chunk_path(c), ") of ", num_chunks());
  io::write_file_atomic((fs::path(dir_) / kManifest).string(),
                        manifest_json(manifest_, num_chunks(), true).dump(2) + "\n");
}

bool ExplanationChunks::complete() const {
  return read_manifest((fs::path(dir_) / kManifest).string()).value("complete", false);
}

void explain_chunks(Explainer& explainer, nn::GNNModel& model, const Graph& graph, const ExplanationChunks& chunks,
                    const StreamOptions& options, int64_t rank, int64_t num_ranks,
                    const std::function<void(int64_t, int64_t)>& on_chunk) {
  GNNX_CHECK(graph.num_nodes == chunks.manifest().num_nodes && graph.num_edges() == chunks.manifest().num_edges,
             "explain_chunks: the graph has ", graph.num_nodes, " nodes and ", graph.num_edges(), " edges, the chunks ",
             chunks.manifest().num_nodes, " and ", chunks.manifest().num_edges);
  const auto compact = StreamOptions(options).compact(true);
  int64_t done = 0;
  for (const int64_t c : chunks.pending(rank, num_ranks)) {
    const auto [first, last] = chunks.chunk_range(c);
    const auto& all = chunks.manifest().targets;
    const std::vector<Target> targets(all.begin() + first, all.begin() + last);
    // Compact batches: only each target's computation subgraph is held, cut to keep_top.
    std::vector<Explanation> kept;
    kept.reserve(targets.size());
    explain_stream(
        explainer, model, graph, targets,
        [&](int64_t, std::vector<Explanation>& batch) {
          for (auto& e : batch) kept.push_back(keep_top(e, chunks.manifest().keep_top));
        },
        compact);
    chunks.write(c, kept);
    done += last - first;
    if (on_chunk) on_chunk(c, done);
  }
}

std::vector<Explanation> load_explanation_chunks(const std::string& dir) {
  const auto m = read_manifest((fs::path(dir) / kManifest).string());
  GNNX_CHECK(m.value("complete", false), "load_explanation_chunks: ", dir,
             " is not complete (run the same command again to finish it)");
  const int64_t n = m.at("num_nodes").get<int64_t>(), e = m.at("num_edges").get<int64_t>();
  const int64_t chunks = m.at("num_chunks").get<int64_t>();
  std::vector<Explanation> out;
  for (int64_t c = 0; c < chunks; ++c) {
    char name[32];
    std::snprintf(name, sizeof(name), "chunk-%06lld.pt", static_cast<long long>(c));
    for (auto& x : load_explanations((fs::path(dir) / name).string(), n, e)) out.push_back(std::move(x));
  }
  GNNX_CHECK(static_cast<int64_t>(out.size()) == m.at("num_targets").get<int64_t>(), "load_explanation_chunks: ", dir,
             " holds ", out.size(), " explanations, its manifest says ", m.at("num_targets").get<int64_t>());
  return out;
}

}  // namespace gnnx::explain
