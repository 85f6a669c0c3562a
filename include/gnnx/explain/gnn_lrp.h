#pragma once
/// GNN-LRP, relevant walks: the public headers of gnnx/explain/gnn_lrp/ (the method is documented in
/// gnn_lrp/gnn_lrp.h).
#include "gnnx/explain/gnn_lrp/gnn_lrp.h"
#include "gnnx/explain/gnn_lrp/gnn_lrp_explainer.h"
#include "gnnx/explain/gnn_lrp/walk_explanation.h"
