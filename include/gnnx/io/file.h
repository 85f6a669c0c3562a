#pragma once
/// Whole-file reads and atomic writes, and SHA-256 checksums of bytes.

#include <string>

namespace gnnx::io {

/// Reads the whole file as bytes. Throws gnnx::Error naming the path when it cannot be read.
std::string read_file(const std::string& path);

/// Writes bytes to a temporary file next to `path`, then renames it over `path`, so that an
/// interrupted write never leaves a half-written file and an existing file is replaced
/// atomically. Throws gnnx::Error naming the path when the directory is not writable.
void write_file_atomic(const std::string& path, const std::string& bytes);

/// SHA-256 (FIPS 180-4) of bytes as 64 lowercase hex digits.
std::string sha256_hex(const std::string& bytes);

}  // namespace gnnx::io
