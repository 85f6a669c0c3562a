#pragma once
/// A cap on the CPU memory gnnx's tensors may hold. LibTorch allocates every CPU tensor through
/// one process-wide allocator; set_memory_limit puts a counting allocator in front of it, so that
/// an allocation that would take the tensors allocated since then past the limit throws
/// gnnx::Error before any memory is taken ("memory limit: allocating 1.2 GiB would exceed the
/// limit of 512 MiB, with 300 MiB in use; ..."). An explanation too large for the limit thus fails
/// cleanly at its first oversized step, with nothing written, and the memory it held is freed as
/// the error unwinds. Batches that fit are not affected. CUDA memory is not counted.
///
/// The `gnnx` command reads the limit from the environment: GNNX_MEMORY_LIMIT=512M (bytes, or a
/// number with K, M, G or T, powers of 1024).

#include <cstdint>
#include <string>

namespace gnnx {

/// Caps the bytes held by CPU tensors allocated after the first call; 0 removes the cap (the
/// counting allocator stays in place). Throws gnnx::Error for a negative limit.
void set_memory_limit(int64_t bytes);
/// The cap in force (0: none).
int64_t memory_limit();
/// Bytes held by live CPU tensors allocated since set_memory_limit was first called.
int64_t memory_in_use();
/// Parses "4096", "512K", "64M", "4G" or "1T" (powers of 1024; case-insensitive; an optional
/// trailing "B" or "iB"); throws gnnx::Error naming `what` for anything else.
int64_t parse_byte_size(const std::string& text, const std::string& what = "memory size");

}  // namespace gnnx
