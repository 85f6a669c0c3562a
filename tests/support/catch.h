#pragma once
// Catch2 v2 (Debian 12) or v3 (Debian 13, LibTorch 2.x machines), whichever CMake found.
#if defined(GNNX_CATCH3)
#include <catch2/catch_all.hpp>
// v2 puts Approx in the global namespace; v3 only has Catch::Approx.
using Catch::Approx;
#else
#include <catch2/catch.hpp>
#endif
