// 17: one explanation for a whole class. Explain many BA-Shapes nodes of one role with
// GNNExplainer (one batched call), align their explanation subgraphs and average them into a
// prototype, then check it against the house every such node sits in.
#include <iostream>

#include <gnnx/datasets/class_motif.h>
#include <gnnx/datasets/reference.h>
#include <gnnx/datasets/synthetic.h>
#include <gnnx/eval/prototype.h>
#include <gnnx/explain/prototype.h>
#include <gnnx/gnnx.h>

int main() {
  gnnx::set_runtime_settings(gnnx::RuntimeSettings().explainer_blas_threads(1));
  auto ds = gnnx::datasets::make_dataset("ba-shapes", /*seed=*/0);
  auto model = gnnx::datasets::train_reference_model(ds, /*seed=*/0).model;
  model->eval();

  // Class 1: the two house nodes under the roof. Explain 20 of those the model gets right.
  const int64_t label = 1;
  const auto nodes = gnnx::eval::class_instances(ds, *model, label);
  gnnx::explain::Prototype prototype(gnnx::explain::PrototypeOptions()
                                         .explainer("gnnexplainer")
                                         .explainer_options({{"epochs", "50"}})  // quick; the default is 100
                                         .instances(20)
                                         .seed(0));
  const auto p = prototype.build(*model, ds.graphs.front(), nodes, label);

  std::cout << "prototype of class " << label << " from " << p.instances.size() << " nodes (reference: node "
            << p.instances[p.reference].target.index << ")\n";
  for (size_t k = 0; k < p.edges.size(); ++k)
    std::cout << "  " << p.edges[k].first << " -- " << p.edges[k].second << "  weight " << p.edge_weights[k] << "\n";
  const auto match = gnnx::eval::match_motif(p.edges, *gnnx::datasets::class_motif("ba-shapes", label));
  std::cout << "isomorphic to the house: " << (match.isomorphic ? "yes" : "no") << " (graph edit distance "
            << match.edit_distance << ")\n";
  return 0;
}
