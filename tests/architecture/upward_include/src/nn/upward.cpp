// A fixture for the layer check: nn sits below viz, so this include must be reported.
#include "gnnx/viz/graphviz.h"
