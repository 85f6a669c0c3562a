#pragma once
// Catch2 v2 (Debian 12) or v3, whichever CMake found.
#if defined(GNNX_CATCH3)
#include <catch2/catch_all.hpp>
#else
#include <catch2/catch.hpp>
#endif
