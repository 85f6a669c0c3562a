// PyG-style .pt dicts and gnnx dataset .pt files (io/graph_file.h), read as graph 0 and graph 1 of the file.
#include "fuzz/fuzz_target.h"
#include "gnnx/core/check.h"
#include "gnnx/io/graph_file.h"

GNNX_FUZZ_TARGET(graph_pt) {
  const std::string path = gnnx::fuzz::scratch_file(".pt", gnnx::fuzz::bytes(data, size));
  for (int64_t index : {0, 1}) {
    try {
      gnnx::io::load_graph(path, gnnx::io::GraphFileOptions().format(gnnx::io::GraphFormat::kPt).graph_index(index));
    } catch (const gnnx::Error& e) {
      gnnx::fuzz::rejected(e);
    }
  }
}
