#pragma once
namespace gnnx {
/// The library's version, "MAJOR.MINOR.PATCH".
const char* version();
}  // namespace gnnx
