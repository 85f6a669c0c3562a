// CSV edge lists with a features and a labels file (io/graph_file.h): the input's NUL bytes
// separate the three files; each input is read as directed and as undirected.
#include "fuzz/fuzz_target.h"
#include "gnnx/core/check.h"
#include "gnnx/io/graph_file.h"

GNNX_FUZZ_TARGET(graph_csv) {
  const auto parts = gnnx::fuzz::split_parts(gnnx::fuzz::bytes(data, size), /*parts=*/3);
  auto options = gnnx::io::GraphFileOptions().format(gnnx::io::GraphFormat::kCsv);
  if (parts.size() > 1) options.features(gnnx::fuzz::scratch_file(".features.csv", parts[1]));
  if (parts.size() > 2) options.labels(gnnx::fuzz::scratch_file(".labels.csv", parts[2]));
  const std::string path = gnnx::fuzz::scratch_file(".csv", parts[0]);
  for (bool undirected : {false, true}) {
    try {
      gnnx::io::load_graph(path, gnnx::io::GraphFileOptions(options).undirected(undirected));
    } catch (const gnnx::Error& e) {
      gnnx::fuzz::rejected(e);
    }
  }
}
