#pragma once
/// Dataset files: JSON (readable anywhere) and .pt (torch.load in Python returns a dict).
///
/// JSON (UTF-8, one object; canonical: the same dataset always gives the same bytes):
///   {"format": "gnnx-dataset", "version": 1, "name": "ba-shapes", "task": "node" | "graph",
///    "num_classes": 4, "params": {generator parameters and seed},
///    "split": {"train": [ids], "val": [ids], "test": [ids]},
///    "graphs": [{"num_nodes": N, "edge_index": [[sources], [targets]], "x": [[F numbers] * N],
///                "y": [N labels] or [graph label], "edge_mask_gt": [E 0/1],
///                "node_mask_gt": [N 0/1], "motif_id": [N ints, -1 = base]}, ...]}
/// Floats are written in the shortest form that reads back to the same float32 (1.0 as `1`).
/// In Python:
///   d = json.load(open("ba-shapes.json")); g = d["graphs"][0]
///   edge_index = torch.tensor(g["edge_index"]); x = torch.tensor(g["x"], dtype=torch.float)
///
/// .pt (torch::pickle_save of a dict; the graphs collated as in PyG):
///   "format", "name", "task", "params" (the JSON text above): str; "version", "num_classes": int;
///   "x" [sum N, F] float32; "edge_index" [2, sum E] int64 with node ids local to each graph;
///   "y" [sum N] (node task) or [B] (graph task) int64; "edge_mask_gt" [sum E], "node_mask_gt"
///   [sum N] float32; "motif_id" [sum N] int64; "node_ptr", "edge_ptr" [B + 1] int64 offsets of
///   graph b's nodes / edges; "train", "val", "test" int64 split ids.
///   d = torch.load("ba-shapes.pt"); d["edge_index"], d["y"], d["train"]

#include <string>

#include "gnnx/datasets/synthetic.h"

namespace gnnx::datasets {

/// The canonical JSON text of a dataset.
std::string to_json(const Dataset& dataset);
/// Parses and validates JSON text; `source` names the input in errors. Throws gnnx::Error
/// naming the field for malformed or truncated input.
Dataset from_json(const std::string& text, const std::string& source = "<json>");

/// The bytes of the .pt file (torch::pickle_save of the dict described above).
std::string to_pt(const Dataset& dataset);
/// Parses and validates .pt bytes. Throws gnnx::Error naming the field.
Dataset from_pt(const std::string& bytes, const std::string& source = "<pt>");

/// Writes by extension (.json or .pt), atomically (temporary file, then rename).
void save_dataset(const Dataset& dataset, const std::string& path);
/// Reads by extension (.json or .pt) and validates.
Dataset load_dataset(const std::string& path);

}  // namespace gnnx::datasets
