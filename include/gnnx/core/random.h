#pragma once
/// Seeded randomness whose output is fixed by the standard or by Boost, so that the same seed
/// gives the same bytes with any compiler and standard library.
///
/// Use gnnx::Rng (std::mt19937_64, specified by the standard) with the functions below, which
/// are built on boost::random distributions; never std::uniform_int_distribution or
/// std::shuffle, whose output differs between standard libraries.

#include <cstdint>
#include <random>
#include <vector>

#include <ATen/core/Generator.h>

namespace gnnx {

using Rng = std::mt19937_64;

/// Uniform integer in [lo, hi] (inclusive), portable across standard libraries.
int64_t uniform_int(Rng& rng, int64_t lo, int64_t hi);
/// Uniform real in [0, 1), portable.
double uniform_real(Rng& rng);
/// Standard normal draw (boost::random::normal_distribution), portable.
double normal(Rng& rng, double mean = 0.0, double stddev = 1.0);
/// Fisher-Yates shuffle of v driven by uniform_int.
template <typename T>
void shuffle(std::vector<T>& v, Rng& rng) {
  for (int64_t i = static_cast<int64_t>(v.size()) - 1; i > 0; --i) {
    auto j = static_cast<size_t>(uniform_int(rng, 0, i));
    std::swap(v[static_cast<size_t>(i)], v[j]);
  }
}
/// A random permutation of 0..n-1.
std::vector<int64_t> permutation(int64_t n, Rng& rng);

/// A CPU torch generator seeded with seed, for torch::randn(..., generator) and friends.
at::Generator torch_generator(uint64_t seed);

}  // namespace gnnx
