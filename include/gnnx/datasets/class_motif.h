#pragma once
/// The motif that makes a class of a synthetic benchmark, as one undirected graph: what a
/// class-level explanation (a prototype, explain/prototype.h) should find.

#include <cstdint>
#include <optional>
#include <string>

#include "gnnx/graph/generators.h"

namespace gnnx::datasets {

/// The motif of class `label` of the default instance of `dataset` (a name of dataset_names()):
/// the house for BA-Shapes' classes 1–3 and BA-Community's 1–3 and 5–7 (each role sees the whole
/// house), the 6-cycle for Tree-Cycles' class 1, the 3×3 grid for Tree-Grid's class 1, the house
/// (class 0) and the five-cycle (class 1) for BA-2Motifs. std::nullopt for the base classes and
/// BA-growth, whose classes have no motif. Throws gnnx::Error for an unknown dataset or a label
/// outside its classes.
std::optional<EdgeList> class_motif(const std::string& dataset, int64_t label);

}  // namespace gnnx::datasets
