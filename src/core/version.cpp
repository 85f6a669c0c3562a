#include "gnnx/core/version.h"

namespace gnnx {

const char* version() { return GNNX_VERSION_STRING; }

}  // namespace gnnx
