#pragma once
// The integrity of a torch.save / TorchScript archive, checked before LibTorch reads it.
//
// Both formats are zip archives, and LibTorch reads them with miniz built without its CRC-32
// checks. A changed byte inside an entry then reaches LibTorch's unpickler or its TorchScript
// parser, which may crash on it (a segmentation fault in ScriptTypeParser on a model file with one
// changed byte of its code/ sources). check_zip_crc walks the whole central directory (the zip64
// record where there is one, as LibTorch's reader does), compares every entry with the CRC-32 it
// records (stored entries directly, deflated ones inflated with zlib) and its name with its local
// header's, and throws gnnx::Error naming the first that differs. It checks integrity, not intent:
// an archive written to crash LibTorch, with matching checksums, still reaches it (load only files
// you trust, as with torch.load). Bytes that are not a zip archive at all pass through; LibTorch
// names the problem.
#include <string>

namespace gnnx::io {

/// Throws gnnx::Error ("<op>: \"<source>\" is corrupt: ...") when an entry of the zip archive in
/// `bytes` does not match its recorded CRC-32 or size, or the directory is inconsistent or lies
/// outside the bytes; and when an entry uses a compression method other than store or deflate.
void check_zip_crc(const std::string& bytes, const std::string& op, const std::string& source);

/// The same for the file at `path`, read whole (model files: megabytes).
void check_zip_file_crc(const std::string& path, const std::string& op);

}  // namespace gnnx::io
