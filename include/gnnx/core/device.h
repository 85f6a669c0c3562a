#pragma once
/// Device selection. gnnx runs the same code on CPU and CUDA; CUDA is used only when LibTorch
/// was built with it and a GPU is present.

#include <string>

#include <c10/core/Device.h>

namespace gnnx {

/// True when LibTorch has CUDA and at least one GPU is visible.
bool cuda_available();

/// Parses "cpu", "cuda" or "cuda:N". Throws gnnx::Error for anything else, and for a CUDA
/// device when cuda_available() is false.
c10::Device parse_device(const std::string& name);

/// The BLAS library that LibTorch's CPU matmul resolves to at run time (e.g. "openblas-pthread"),
/// read from the loaded shared objects; "unknown" when it cannot be told.
std::string blas_name();

/// Sets the threads of OpenBLAS's own pool when LibTorch's BLAS is OpenBLAS (found at run
/// time; LibTorch's set_num_threads does not reach it) and returns the previous count; returns
/// -1 and does nothing for any other BLAS. Explanation workloads (many small products, already
/// parallel across instances) run fastest with 1: bench_gnnexplainer sets 1 at start, and the
/// gnnx command has the explainers set 1 around their chunks (gnnx/core/runtime.h).
int set_blas_threads(int threads);
/// The threads of OpenBLAS's own pool, or -1 when LibTorch's BLAS is not OpenBLAS.
int blas_threads();

/// Number of threads LibTorch uses inside one op.
int torch_threads();

/// Makes glibc's malloc keep large freed blocks for reuse instead of returning them to the
/// kernel: mmap threshold 32 MiB (glibc's largest) and trim threshold 1 GiB, via mallopt.
/// LibTorch allocates CPU tensors with malloc, and a batched explanation frees and allocates
/// multi-megabyte temporaries in every epoch. With glibc's defaults each one is a fresh mapping
/// whose pages fault in again; on a 2-core machine that doubled the time of
/// bench_gnnexplainer's batched mode. The setting is process-wide, so the library never calls
/// it by itself: the gnnx command and bench_gnnexplainer call it first thing. Call it in your own
/// programs, or set GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=1073741824.
/// The process then keeps up to 1 GiB of freed memory for reuse. Returns false, and does nothing,
/// where the C library is not glibc.
bool tune_malloc();

}  // namespace gnnx
