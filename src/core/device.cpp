#include "gnnx/core/device.h"

#include <dlfcn.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <fstream>
#include <string>

#include <ATen/Parallel.h>
#include <torch/cuda.h>

#include "gnnx/core/check.h"

namespace gnnx {

bool cuda_available() { return torch::cuda::is_available(); }

c10::Device parse_device(const std::string& name) {
  GNNX_CHECK(name == "cpu" || name.rfind("cuda", 0) == 0,
             "parse_device: expected \"cpu\", \"cuda\" or \"cuda:N\", got \"", name, "\"");
  c10::Device device(c10::kCPU);
  try {
    device = c10::Device(name);
  } catch (const std::exception&) {
    GNNX_CHECK(false, "parse_device: expected \"cpu\", \"cuda\" or \"cuda:N\", got \"", name, "\"");
  }
  if (device.is_cuda()) {
    GNNX_CHECK(cuda_available(), "parse_device: device \"", name,
               "\" asked for, but this LibTorch has no CUDA or no GPU is visible");
  }
  return device;
}

std::string blas_name() {
  // LibTorch (Debian's) calls the system libblas.so.3 whose target the alternatives system
  // chooses; /proc/self/maps names the file actually mapped.
  std::ifstream maps("/proc/self/maps");
  std::string line;
  std::string found;
  while (std::getline(maps, line)) {
    auto pos = line.find('/');
    if (pos == std::string::npos) continue;
    std::string path = line.substr(pos);
    if (path.find("openblas") != std::string::npos) {
      found = path.find("pthread") != std::string::npos  ? "openblas-pthread"
              : path.find("openmp") != std::string::npos ? "openblas-openmp"
                                                         : "openblas";
      break;
    }
    if (path.find("libmkl") != std::string::npos) return "mkl";
    if (path.find("blis") != std::string::npos) found = "blis";
    if (path.find("atlas") != std::string::npos) found = "atlas";
    if (found.empty() && path.find("/blas/libblas.so") != std::string::npos) found = "reference";
  }
  return found.empty() ? "unknown" : found;
}

int set_blas_threads(int threads) {
  GNNX_CHECK(threads >= 1, "set_blas_threads: expected a thread count >= 1, got ", threads);
  using Get = int (*)();
  using Set = void (*)(int);
  auto get = reinterpret_cast<Get>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  auto set = reinterpret_cast<Set>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  if (!get || !set) return -1;
  const int previous = get();
  if (previous != threads) set(threads);
  return previous;
}

int blas_threads() {
  using Get = int (*)();
  auto get = reinterpret_cast<Get>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  return get ? get() : -1;
}

int torch_threads() { return at::get_num_threads(); }

bool tune_malloc() {
#if defined(__GLIBC__)
  constexpr int kMmapThreshold = 32 << 20, kTrimThreshold = 1 << 30;
  return mallopt(M_MMAP_THRESHOLD, kMmapThreshold) == 1 && mallopt(M_TRIM_THRESHOLD, kTrimThreshold) == 1;
#else
  return false;
#endif
}

}  // namespace gnnx
