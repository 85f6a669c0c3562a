// 20: explain every node of a larger BA-Shapes graph with bounded memory. explain_stream hands the
// explanations over a batch at a time (a batch's full-graph masks are the memory that grows with
// the graph); explain_chunks writes them to a directory of chunk files that a killed run resumes.
// Run it again with the same arguments and it finds every chunk done.
#include <sys/resource.h>

#include <filesystem>
#include <iostream>

#include <gnnx/datasets/reference.h>
#include <gnnx/datasets/synthetic.h>
#include <gnnx/eval/benchmark.h>
#include <gnnx/explain/explainer.h>
#include <gnnx/explain/explanation_file.h>
#include <gnnx/explain/explanation_stream.h>
#include <gnnx/gnnx.h>
#include <gnnx/metrics/ground_truth.h>
#include <torch/torch.h>

int main(int argc, char** argv) {
  gnnx::set_runtime_settings(gnnx::RuntimeSettings().explainer_blas_threads(1));
  // The reference model learns the house roles on the standard 700-node graph; the larger graph
  // has the same construction (BA base, houses, 1 % random edges), 3.3 times the size.
  const auto small = gnnx::datasets::make_dataset("ba-shapes", /*seed=*/0);
  auto model = gnnx::datasets::train_reference_model(small, /*seed=*/0).model;
  const auto ds = gnnx::datasets::ba_shapes(
      gnnx::datasets::BaShapesOptions().base_nodes(/*base_nodes=*/1000).num_motifs(/*num_motifs=*/266), /*seed=*/1);
  const auto& graph = ds.graphs.front();

  // Every house node, explained by saliency a batch of 64 at a time; each batch is reduced to
  // its computation subgraph's scores (compact_explanation) before the next one runs.
  std::vector<gnnx::Target> targets;
  for (int64_t v = 1000; v < graph.num_nodes; ++v) targets.push_back(gnnx::Target::node(v));
  auto explainer = gnnx::explain::make_explainer("saliency");
  std::vector<torch::Tensor> scores, labels;
  gnnx::explain::explain_stream(
      *explainer, *model, graph, targets,
      [&](int64_t, std::vector<gnnx::explain::Explanation>& batch) {
        for (const auto& e : batch) {
          const auto c = gnnx::explain::compact_explanation(e, graph.num_nodes, graph.num_edges());
          scores.push_back(c.edge_mask);
          labels.push_back(gnnx::eval::node_ground_truth(ds, e.target.index).index_select(0, c.edge_ids));
        }
      },
      gnnx::explain::StreamOptions().batch_size(/*batch_size=*/64));
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::cout << targets.size() << " house nodes of a " << graph.num_nodes << "-node, " << graph.num_edges()
            << "-edge graph: pooled ROC AUC " << gnnx::metrics::roc_auc(torch::cat(scores), torch::cat(labels))
            << ", peak memory " << usage.ru_maxrss / 1024 << " MiB\n";

  // The same into a resumable directory (the first 256 targets, 64 per chunk file).
  const std::string dir = argc > 1 ? argv[1] : "20_large_graph_chunks";
  gnnx::explain::ChunkManifest manifest;
  manifest.inputs = R"({"dataset": "ba-shapes", "base_nodes": 1000, "seed": 1, "method": "saliency"})";
  manifest.targets.assign(targets.begin(), targets.begin() + 256);
  manifest.chunk_size = 64;
  manifest.num_nodes = graph.num_nodes;
  manifest.num_edges = graph.num_edges();
  gnnx::explain::ExplanationChunks chunks(dir, manifest);
  const auto pending = chunks.pending().size();
  gnnx::explain::explain_chunks(*explainer, *model, graph, chunks);
  chunks.finish();
  const auto back = gnnx::explain::load_explanation_chunks(dir);
  std::cout << dir << ": " << chunks.num_chunks() << " chunks, " << pending << " written now, " << back.size()
            << " explanations read back; node " << back.front().target.index << "'s top edge "
            << back.front().top_edges(1).item<int64_t>() << "\n";
  return 0;
}
