#include "gnnx/nn/models/model_file.h"

#include <filesystem>

#include "gnnx/core/check.h"
#include "gnnx/nn/models/pyg_import.h"
#include "gnnx/nn/models/script_gnn.h"
#include "core/error_text.h"
#include "io/zip_check.h"

namespace gnnx::nn {

std::shared_ptr<GNNModel> load_model(const std::string& path, const ModelFileOptions& options) {
  GNNX_CHECK(std::filesystem::is_regular_file(path), "load_model: no model file at \"", path, "\"");
  io::check_zip_file_crc(path, "load_model");
  std::string as_gnnx, as_pyg;
  try {
    auto model = load_gnn_classifier(path);
    model->eval();
    return model.ptr();
  } catch (const Error& e) {
    as_gnnx = e.what();
  }
  try {
    auto model = import_pyg_state_dict(path, infer_pyg_model_options(path, options.readout()).mode(options.mode()));
    model->eval();
    return model.ptr();
  } catch (const Error& e) {
    as_pyg = e.what();
  }
  std::string as_script;
  try {
    torch::jit::Module module = torch::jit::load(path, torch::kCPU);
    GNNX_CHECK(options.in_channels() > 0 && options.num_classes() > 0, "load_model: \"", path,
               "\" is a TorchScript model; give its in_channels and num_classes (gnnx explain: --classes C)");
    auto model = ScriptGnn(std::move(module), ScriptGnnOptions(options.in_channels(), options.num_classes())
                                                  .task(options.task())
                                                  .mode(options.mode())
                                                  .receptive_field(options.receptive_field()));
    model->eval();
    return model.ptr();
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {  // c10::Error, or torch::jit::ErrorReport from a corrupt archive
    as_script = gnnx::detail::message_line(e.what());
  }
  GNNX_CHECK(false, "load_model: \"", path,
             "\" is not a gnnx model, a PyG state dict or a TorchScript model. As a gnnx model: ", as_gnnx,
             " As a PyG state dict: ", as_pyg, " As TorchScript: ", as_script);
  return nullptr;
}

}  // namespace gnnx::nn
