#include "gnnx/core/target.h"

#include <string>

namespace gnnx {

std::string to_string(const Target& t) {
  std::string s;
  switch (t.kind) {
    case Target::Kind::kNode: s = "node " + std::to_string(t.index); break;
    case Target::Kind::kGraph: s = "graph " + std::to_string(t.index); break;
    case Target::Kind::kLink: s = "link " + std::to_string(t.index) + " -> " + std::to_string(t.other); break;
    case Target::Kind::kOutput:
      s = t.index < 0 ? std::string("every output") : "output " + std::to_string(t.index);
      break;
  }
  return s + (t.label >= 0 ? " (class " + std::to_string(t.label) + ")" : " (predicted class)");
}

}  // namespace gnnx
