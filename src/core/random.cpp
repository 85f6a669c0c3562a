#include "gnnx/core/random.h"

#include <numeric>

#include <ATen/CPUGeneratorImpl.h>
#include <boost/random/normal_distribution.hpp>
#include <boost/random/uniform_01.hpp>
#include <boost/random/uniform_int_distribution.hpp>

namespace gnnx {

int64_t uniform_int(Rng& rng, int64_t lo, int64_t hi) {
  boost::random::uniform_int_distribution<int64_t> dist(lo, hi);
  return dist(rng);
}

double uniform_real(Rng& rng) {
  boost::random::uniform_01<double> dist;
  return dist(rng);
}

double normal(Rng& rng, double mean, double stddev) {
  boost::random::normal_distribution<double> dist(mean, stddev);
  return dist(rng);
}

std::vector<int64_t> permutation(int64_t n, Rng& rng) {
  std::vector<int64_t> p(static_cast<size_t>(n));
  std::iota(p.begin(), p.end(), int64_t{0});
  shuffle(p, rng);
  return p;
}

at::Generator torch_generator(uint64_t seed) { return at::detail::createCPUGenerator(seed); }

}  // namespace gnnx
