// bench_graph_file: how fast load_graph reads a large CSV edge list.
//
//   bench_graph_file [--edges E]   (default 1000000)
//
// Writes E random edges among E / 10 nodes (std::mt19937_64, seed 0) into a temporary
// directory as three CSV files: integer ids, integer ids with a weight column, and named nodes
// ("n<id>"). Loads each 3 times and prints the median time per file; ends with one JSON line
// for the integer-id file (the common case): {"bench":"graph_file","edges":E,"seconds":...,
// "edges_per_s":...}.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

#include "gnnx/io/graph_file.h"

using Clock = std::chrono::steady_clock;

namespace {

double median_seconds(const std::string& path, int64_t want_edges, int runs) {
  std::vector<double> t;
  for (int r = 0; r < runs; ++r) {
    const auto t0 = Clock::now();
    auto g = gnnx::io::load_graph(path);
    t.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    if (g.graph.num_edges() != want_edges) {
      std::fprintf(stderr, "bench_graph_file: %s loaded %lld edges, expected %lld\n", path.c_str(),
                   static_cast<long long>(g.graph.num_edges()), static_cast<long long>(want_edges));
      std::exit(1);
    }
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int64_t num_edges = 1000000;
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--edges") == 0) num_edges = std::stoll(argv[i + 1]);
  const int64_t num_nodes = std::max<int64_t>(2, num_edges / 10);
  const auto dir = std::filesystem::temp_directory_path() / ("gnnx_bench_graph_file_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);

  std::mt19937_64 rng(0);
  std::string ints = "source,target\n", weighted = "source,target,weight\n", named = "source,target\n";
  char buf[96];
  for (int64_t e = 0; e < num_edges; ++e) {
    const auto s = static_cast<long long>(rng() % static_cast<uint64_t>(num_nodes));
    const auto d = static_cast<long long>(rng() % static_cast<uint64_t>(num_nodes));
    const double w = static_cast<double>(rng() >> 11) * 0x1.0p-53;
    ints.append(buf, static_cast<size_t>(std::snprintf(buf, sizeof(buf), "%lld,%lld\n", s, d)));
    weighted.append(buf, static_cast<size_t>(std::snprintf(buf, sizeof(buf), "%lld,%lld,%.6f\n", s, d, w)));
    named.append(buf, static_cast<size_t>(std::snprintf(buf, sizeof(buf), "n%lld,n%lld\n", s, d)));
  }
  struct File {
    const char* name;
    const std::string* text;
  };
  const File files[] = {{"ints.csv", &ints}, {"weighted.csv", &weighted}, {"named.csv", &named}};

  std::printf("bench_graph_file  %lld edges, %lld nodes, median of 3 loads\n", static_cast<long long>(num_edges),
              static_cast<long long>(num_nodes));
  std::printf("%-14s %10s %10s %14s\n", "file", "MB", "seconds", "edges/s");
  double seconds_ints = 0;
  for (const auto& f : files) {
    const auto path = (dir / f.name).string();
    std::ofstream(path, std::ios::binary).write(f.text->data(), static_cast<std::streamsize>(f.text->size()));
    const double s = median_seconds(path, num_edges, 3);
    if (f.text == &ints) seconds_ints = s;
    std::printf("%-14s %10.1f %10.3f %14.3g\n", f.name, static_cast<double>(f.text->size()) / 1e6, s,
                static_cast<double>(num_edges) / s);
  }
  std::filesystem::remove_all(dir);
  std::printf("{\"bench\":\"graph_file\",\"edges\":%lld,\"seconds\":%.4f,\"edges_per_s\":%.4g}\n",
              static_cast<long long>(num_edges), seconds_ints, static_cast<double>(num_edges) / seconds_ints);
  return 0;
}
