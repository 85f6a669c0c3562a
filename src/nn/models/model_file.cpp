#include "gnnx/nn/models/model_file.h"

#include <filesystem>

#include "gnnx/core/check.h"
#include "gnnx/nn/models/pyg_import.h"
#include "gnnx/nn/models/script_gnn.h"

namespace gnnx::nn {

std::shared_ptr<GNNModel> load_model(const std::string& path, const ModelFileOptions& options) {
  GNNX_CHECK(std::filesystem::is_regular_file(path), "load_model: no model file at \"", path, "\"");
  std::string as_gnnx, as_pyg;
  try {
    auto model = load_gnn_classifier(path);
    model->eval();
    return model.ptr();
  } catch (const Error& e) {
    as_gnnx = e.what();
  }
  try {
    auto model = import_pyg_state_dict(path, infer_pyg_model_options(path, options.readout()));
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
                                                  .receptive_field(options.receptive_field()));
    model->eval();
    return model.ptr();
  } catch (const c10::Error& e) {
    as_script = e.what_without_backtrace();
    as_script = as_script.substr(0, as_script.find('\n'));
  }
  GNNX_CHECK(false, "load_model: \"", path,
             "\" is not a gnnx model, a PyG state dict or a TorchScript model. As a gnnx model: ", as_gnnx,
             " As a PyG state dict: ", as_pyg, " As TorchScript: ", as_script);
  return nullptr;
}

}  // namespace gnnx::nn
