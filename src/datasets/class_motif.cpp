#include "gnnx/datasets/class_motif.h"

#include "gnnx/core/check.h"
#include "gnnx/datasets/synthetic.h"

namespace gnnx::datasets {

std::optional<EdgeList> class_motif(const std::string& dataset, int64_t label) {
  struct Row {
    const char* name;
    int64_t classes;
  };
  // The class counts of the default instances (ba-community: 4 roles in each of 2 communities).
  static const Row rows[] = {{"ba-shapes", 4},  {"ba-community", 8}, {"tree-cycles", 2},    {"tree-grid", 2},
                             {"ba-2motifs", 2}, {"ba-growth", 2},    {"ba-multishapes", 2}, {"infection", 5}};
  const Row* row = nullptr;
  for (const auto& r : rows)
    if (dataset == r.name) row = &r;
  if (row == nullptr) {
    std::string known;
    for (const auto& n : dataset_names()) known += (known.empty() ? "" : ", ") + n;
    GNNX_CHECK(false, "class_motif: unknown dataset \"", dataset, "\"; known: ", known);
  }
  GNNX_CHECK(label >= 0 && label < row->classes, "class_motif: ", dataset, " has classes 0..", row->classes - 1,
             ", got ", label);
  const std::string d = dataset;
  if (d == "ba-shapes" && label >= 1) return house_motif();
  if (d == "ba-community" && label % 4 != 0) return house_motif();
  if (d == "tree-cycles" && label == 1) return cycle_motif(6);
  if (d == "tree-grid" && label == 1) return grid_motif(3);
  if (d == "ba-2motifs") return label == 0 ? house_motif() : cycle_motif(5);
  return std::nullopt;
}

}  // namespace gnnx::datasets
