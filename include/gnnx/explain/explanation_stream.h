#pragma once
/// Many targets of one large graph through an explainer, a batch at a time, so that memory stays
/// bounded whatever the number of targets, and a directory of chunk files that a restarted run
/// resumes (docs/methods/large-graphs.md).
///
/// An Explanation holds [E] and [N] masks on full-graph ids, so B explanations of a graph of E
/// edges hold about 4 B (E + N) bytes (more with a [N, F] feature mask); in compact form
/// (Explainer::explain_compact) it holds masks on its computation subgraph only. explain_stream
/// calls the explainer on one batch of targets at a time, hands the batch to a callback and
/// drops it before the next, so the high-water mark is one batch's masks plus the explainer's
/// own work, not the whole list's. Targets are explained in their given order; the batches
/// depend only on the options, the model, the graph and the targets (not on the thread count,
/// the rank or where an earlier run stopped), so explaining a list in one call, in chunks,
/// resumed or sharded gives the same explanations.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "gnnx/core/arg.h"
#include "gnnx/explain/explainer.h"

namespace gnnx::explain {

struct StreamOptions {
  /// Targets per explainer call; 0 = as many as keep one batch under batch_bytes (at least 1, at
  /// most 256). Default 0.
  GNNX_ARG(int64_t, batch_size) = 0;
  /// Bytes one batch may hold when batch_size is 0: its full-graph masks, or with compact, the
  /// estimate of compact_target_bytes for each target. Default 256 MiB.
  GNNX_ARG(int64_t, batch_bytes) = int64_t{256} << 20;
  /// Batches of compact explanations (Explainer::explain_compact): masks on each target's
  /// computation subgraph, never [E] or [N]. Batches are then bounded by the targets' subgraphs,
  /// not by the graph: on a graph of 10^7 edges, a batch holds hundreds of targets instead of two.
  /// Default false.
  GNNX_ARG(bool, compact) = false;
};

/// The batch size explain_stream uses without compact for a graph of num_nodes nodes and
/// num_edges edges with features of width num_features (the feature mask is counted as [N, F]).
int64_t stream_batch_size(const StreamOptions& options, int64_t num_nodes, int64_t num_edges, int64_t num_features);

/// What a compact batch is charged for one target whose computation subgraph has `nodes` nodes
/// and `edges` edges with features of width num_features: its masks and the explainer's work on
/// the subgraph (activations, gradients, optimiser state), estimated as 256 bytes per edge and
/// 64 + 8 F per node (docs/methods/large-graphs.md gives the measurements behind it).
int64_t compact_target_bytes(int64_t nodes, int64_t edges, int64_t num_features);

/// The sizes of the batches explain_stream makes of `targets` with `explainer`, in order. Without
/// compact, or with batch_size > 0, all but the last are equal. With compact and batch_size 0,
/// each batch takes the next targets while their explainer.compact_target_cost (node targets: of
/// their model.receptive_field()-hop subgraphs, from k_hop_sizes; otherwise of the whole graph)
/// add up to at most batch_bytes, and at most 256 targets; a target above the budget alone makes
/// a batch.
std::vector<int64_t> stream_batches(const StreamOptions& options, const Explainer& explainer, const nn::GNNModel& model,
                                    const Graph& graph, const std::vector<Target>& targets);
/// stream_batches for an explainer charged compact_target_bytes per target (the default).
std::vector<int64_t> stream_batches(const StreamOptions& options, const nn::GNNModel& model, const Graph& graph,
                                    const std::vector<Target>& targets);

/// How the work of explaining targets[0..) in order is spread over them, for progress lines and
/// their ETA: on a power-law graph a hub's computation subgraph can be a thousand times a leaf's,
/// so a run that starts with the hubs would otherwise extrapolate its slowest targets to the whole
/// list. Each target's work is estimated as explainer.compact_target_cost of its computation
/// subgraph (as stream_batches sizes it), measured on `samples` targets spread evenly over the
/// list (all of them when there are fewer), each standing for the targets up to the next.
class WorkEstimate {
 public:
  /// Throws gnnx::Error for an empty target list or samples < 1.
  WorkEstimate(const Explainer& explainer, const nn::GNNModel& model, const Graph& graph,
               const std::vector<Target>& targets, int64_t samples = 4096);
  /// The estimated share of the list's work in targets [0, done): 0 at 0, 1 at targets.size(),
  /// never decreasing. Throws gnnx::Error for done outside [0, targets.size()].
  double fraction(int64_t done) const;

 private:
  int64_t num_targets_, stride_;
  std::vector<double> cumulative_;  // entry j: the work of targets [0, j · stride)
};

/// Called once per batch, in order: `first` is the position in `targets` of batch[0].
using BatchCallback = std::function<void(int64_t first, std::vector<Explanation>& batch)>;

/// Explains targets[0..) in batches (stream_batches) and hands each batch to on_batch, in
/// compact form with options.compact. Throws
/// gnnx::Error for an empty target list or a negative batch size, and whatever the explainer
/// throws for a target (ids out of range, a model that does not fit the graph).
void explain_stream(Explainer& explainer, nn::GNNModel& model, const Graph& graph, const std::vector<Target>& targets,
                    const BatchCallback& on_batch, const StreamOptions& options = {});

/// What a chunk directory explains; written to DIR/manifest.json and compared on every reopen.
struct ChunkManifest {
  /// The command's inputs as the caller states them (JSON text: file checksums, method, options,
  /// seed, ...). Two runs resume each other only when these are equal byte for byte.
  std::string inputs;
  /// The explained targets, in order.
  std::vector<Target> targets;
  /// Targets per chunk file. Default 256.
  int64_t chunk_size = 256;
  /// Each explanation keeps its keep_top highest-scoring edges and nodes in the files (keep_top());
  /// 0 keeps every scored entry. Default 0.
  int64_t keep_top = 0;
  int64_t num_nodes = 0, num_edges = 0;
};

/// A directory of explanation chunks: DIR/manifest.json (format "gnnx.ExplanationChunks") and
/// DIR/chunk-000000.pt, ... , chunk c holding targets [c · chunk_size, (c + 1) · chunk_size) in
/// save_explanations' format (each readable with torch.load). A chunk file is written atomically
/// once complete, so a chunk is done exactly when its file exists; a run killed at any point
/// leaves whole chunks and no partial one, and the same command continues with the first missing
/// chunk. The manifest records "complete": true once every chunk is there.
class ExplanationChunks {
 public:
  /// Opens dir for `manifest`: creates the directory and writes the manifest when it holds none
  /// (create = true; with false, a missing manifest is an error: ranks other than the first open
  /// after the first has created it), or checks that the existing manifest states the same
  /// inputs, targets, chunk size and graph size and throws gnnx::Error naming what differs.
  /// Leftover temporary files of killed writes are removed when create is true.
  ExplanationChunks(std::string dir, ChunkManifest manifest, bool create = true);

  int64_t num_chunks() const;
  /// Positions [first, last) in the targets of chunk c.
  std::pair<int64_t, int64_t> chunk_range(int64_t c) const;
  std::string chunk_path(int64_t c) const;
  /// True when chunk c's file exists (it is then whole).
  bool done(int64_t c) const;
  /// Chunks not done yet among those of `rank` of `num_ranks` (chunk c belongs to rank c mod
  /// num_ranks).
  std::vector<int64_t> pending(int64_t rank = 0, int64_t num_ranks = 1) const;
  /// Writes chunk c atomically; `compact` (compact_explanation's form) must be its targets, in
  /// order (checked).
  void write(int64_t c, const std::vector<Explanation>& compact) const;
  /// Marks the directory complete in its manifest; throws gnnx::Error naming the first missing
  /// chunk when one is.
  void finish() const;
  bool complete() const;
  const ChunkManifest& manifest() const { return manifest_; }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  ChunkManifest manifest_;
};

/// Explains every pending chunk of `rank` (of num_ranks) into chunks, a compact batch at a time
/// (explain_stream with options.compact set), each explanation cut to the manifest's keep_top; after
/// each chunk is written, on_chunk(c, targets done so far in this call) is called when given.
void explain_chunks(Explainer& explainer, nn::GNNModel& model, const Graph& graph, const ExplanationChunks& chunks,
                    const StreamOptions& options = {}, int64_t rank = 0, int64_t num_ranks = 1,
                    const std::function<void(int64_t chunk, int64_t targets_done)>& on_chunk = {});

/// Reads every chunk of a complete directory back, in target order (masks on full-graph ids, as
/// load_explanations gives them). Throws gnnx::Error when the directory is not complete.
std::vector<Explanation> load_explanation_chunks(const std::string& dir);

}  // namespace gnnx::explain
