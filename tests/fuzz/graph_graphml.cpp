// GraphML graphs (io/graph_file.h), read as directed and as undirected.
#include "fuzz/fuzz_target.h"
#include "gnnx/core/check.h"
#include "gnnx/io/graph_file.h"

GNNX_FUZZ_TARGET(graph_graphml) {
  const std::string path = gnnx::fuzz::scratch_file(".graphml", gnnx::fuzz::bytes(data, size));
  for (bool undirected : {false, true}) {
    try {
      gnnx::io::load_graph(path,
                           gnnx::io::GraphFileOptions().format(gnnx::io::GraphFormat::kGraphML).undirected(undirected));
    } catch (const gnnx::Error& e) {
      gnnx::fuzz::rejected(e);
    }
  }
}
