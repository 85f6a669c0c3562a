// DOT graphs (io/graph_file.h), read as directed and as undirected.
#include "fuzz/fuzz_target.h"
#include "gnnx/core/check.h"
#include "gnnx/io/graph_file.h"

GNNX_FUZZ_TARGET(graph_dot) {
  const std::string path = gnnx::fuzz::scratch_file(".dot", gnnx::fuzz::bytes(data, size));
  for (bool undirected : {false, true}) {
    try {
      gnnx::io::load_graph(path,
                           gnnx::io::GraphFileOptions().format(gnnx::io::GraphFormat::kDot).undirected(undirected));
    } catch (const gnnx::Error& e) {
      gnnx::fuzz::rejected(e);
    }
  }
}
