// SHA-256 against the FIPS 180-4 examples and sha256sum; atomic writes; the CRC-32 check of
// torch.save and TorchScript archives before LibTorch reads them.
#include "gnnx/io/file.h"

#include <filesystem>

#include <torch/torch.h>

#include <unistd.h>

#include "support/catch.h"
#include "gnnx/io/tensor_file.h"
#include "gnnx/nn/models/gnn.h"
#include "gnnx/nn/models/model_file.h"
#include "support/tensor_match.h"

using gnnx::io::sha256_hex;

TEST_CASE("sha256_hex matches the FIPS 180-4 examples and sha256sum", "[datasets]") {
  REQUIRE(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  REQUIRE(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  REQUIRE(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  // Lengths around the padding boundaries (55 fits one block, 64 and 119 do not), from sha256sum.
  REQUIRE(sha256_hex(std::string(55, 'a')) == "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
  REQUIRE(sha256_hex(std::string(64, 'a')) == "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
  REQUIRE(sha256_hex(std::string(119, 'a')) == "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb");
  REQUIRE(sha256_hex(std::string(1000000, 'a')) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("write_file_atomic replaces a file and leaves no temporary behind", "[datasets]") {
  const auto dir = std::filesystem::temp_directory_path() / ("gnnx_io_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = (dir / "f.txt").string();
  gnnx::io::write_file_atomic(path, "first");
  gnnx::io::write_file_atomic(path, "second");
  REQUIRE(gnnx::io::read_file(path) == "second");
  int64_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) files += e.is_regular_file();
  REQUIRE(files == 1);
  GNNX_REQUIRE_ERROR("write_file_atomic", gnnx::io::write_file_atomic((dir / "missing" / "f.txt").string(), "x"));
  GNNX_REQUIRE_ERROR("read_file", gnnx::io::read_file((dir / "nope.txt").string()));
  std::filesystem::remove_all(dir);
}

TEST_CASE("a changed byte inside a torch.save or model archive is refused before LibTorch parses it", "[io]") {
  const auto dir = std::filesystem::temp_directory_path() / ("gnnx_zip_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  // A tensor file: flip one byte of the tensor's data (1000 floats of 1.0, 00 00 80 3f each).
  const auto tensor_path = (dir / "t.pt").string();
  gnnx::io::save_tensor(tensor_path, torch::ones({1000}));
  REQUIRE(gnnx::io::load_tensor(tensor_path).sum().item<double>() == 1000.0);
  std::string bytes = gnnx::io::read_file(tensor_path);
  const std::string one("\x00\x00\x80\x3f", 4);
  const size_t at = bytes.find(one + one + one + one);
  REQUIRE(at != std::string::npos);
  bytes[at + 2] = '\x81';
  gnnx::io::write_file_atomic(tensor_path, bytes);
  GNNX_REQUIRE_ERROR("does not match its CRC-32", gnnx::io::load_tensor(tensor_path));
  // Cut short: the central directory is gone, and LibTorch's own error comes through as gnnx::Error.
  gnnx::io::write_file_atomic(tensor_path, bytes.substr(0, bytes.size() / 2));
  GNNX_REQUIRE_ERROR("load_tensor", gnnx::io::load_tensor(tensor_path));

  // A model file: change one letter of its TorchScript sources (code/...), which LibTorch's parser
  // reads. Such files made LibTorch 1.13 crash inside ScriptTypeParser.
  const auto model_path = (dir / "m.pt").string();
  gnnx::nn::GNNClassifier model(gnnx::nn::GNNClassifierOptions(3, 2));
  gnnx::nn::save_gnn_classifier(model, model_path);
  REQUIRE(gnnx::nn::load_model(model_path) != nullptr);
  bytes = gnnx::io::read_file(model_path);
  const size_t code = bytes.find("__torch__.");
  REQUIRE(code != std::string::npos);
  bytes[code] = 'X';
  gnnx::io::write_file_atomic(model_path, bytes);
  GNNX_REQUIRE_ERROR("does not match its CRC-32", gnnx::nn::load_model(model_path));
  GNNX_REQUIRE_ERROR("does not match its CRC-32", gnnx::nn::load_gnn_classifier(model_path));
  std::filesystem::remove_all(dir);
}
