// gnnx's graph explanation metrics on the model and masks that tests/peers/pyg_metrics.py
// writes, printed as one JSON object for that script to compare with PyG's own values.
//
//   gnnx_pyg_metrics_check DIR
//
// DIR holds graph.pt (x, edge_index, y), model.pt (a PyG GCN(in, 20, 3, out, jk="cat") state
// dict), setup.json ({"in_channels", "num_classes", "hops", "thresholds": ["none", "topk:12",
// ...], "curve_k": [...]}), and per form F in {model, phenomenon}: nodes_F.pt [B] and
// masks_F.pt [B, E] (raw explanation masks), truth.pt [E] (the ground-truth edges).
#include <cstdio>
#include <fstream>
#include <map>
#include <string>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "gnnx/core/check.h"
#include "gnnx/eval/graph_metrics.h"
#include "gnnx/graph/ops.h"
#include "gnnx/io/tensor_file.h"
#include "gnnx/metrics/graph_metrics.h"
#include "gnnx/nn/models/pyg_import.h"

namespace {

using gnnx::explain::Explanation;
namespace metrics = gnnx::metrics;

std::vector<double> to_vector(const at::Tensor& t) {
  const auto c = t.to(torch::kCPU, torch::kDouble).contiguous();
  return {c.data_ptr<double>(), c.data_ptr<double>() + c.numel()};
}

// "none", "hard:0.5", "topk:12", "topk_hard:12".
metrics::ThresholdOptions parse_threshold(const std::string& s) {
  const auto colon = s.find(':');
  auto o = metrics::ThresholdOptions().type(gnnx::from_name<metrics::MaskThreshold>(s.substr(0, colon)));
  if (colon != std::string::npos) o.value(std::stod(s.substr(colon + 1)));
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR  (DIR from tests/peers/pyg_metrics.py)\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  torch::set_num_threads(1);
  try {
    nlohmann::json setup;
    std::ifstream(dir + "/setup.json") >> setup;
    std::map<std::string, at::Tensor> gd;
    for (auto& [k, v] : gnnx::io::load_tensor_dict(dir + "/graph.pt")) gd[k] = v;
    const gnnx::Graph graph(gd.at("edge_index"), gd.at("x").size(0), gd.at("x"), {}, gd.at("y"));
    auto model = gnnx::nn::import_pyg_state_dict(dir + "/model.pt",
                                                 gnnx::nn::PygModelOptions(setup.at("in_channels").get<int64_t>(), 20,
                                                                           3, setup.at("num_classes").get<int64_t>())
                                                     .jk(gnnx::nn::PygJK::kCat));
    const auto truth = gnnx::io::load_tensor(dir + "/truth.pt");
    nlohmann::json out;
    for (const std::string form : {"model", "phenomenon"}) {
      const auto nodes = gnnx::io::load_tensor(dir + "/nodes_" + form + ".pt").to(torch::kLong);
      const auto masks = gnnx::io::load_tensor(dir + "/masks_" + form + ".pt").to(torch::kFloat);
      std::vector<Explanation> ex;
      for (int64_t i = 0; i < nodes.numel(); ++i) {
        Explanation e;
        e.method = "pyg";
        const int64_t v = nodes[i].item<int64_t>();
        // The label explained: the model's class (model) or the true one (phenomenon).
        e.target = gnnx::Target::node(v, form == "model" ? -1 : graph.y[v].item<int64_t>());
        e.edge_mask = masks[i];
        e.edge_ids = gnnx::k_hop_subgraph(graph, v, model->receptive_field()).edge_ids;
        ex.push_back(e);
      }
      const auto kind = form == "model" ? metrics::FidelityForm::kModel : metrics::FidelityForm::kPhenomenon;
      auto score = [&](const metrics::ThresholdOptions& t) {
        std::vector<at::Tensor> m;
        for (const auto& e : ex) m.push_back(metrics::explanation_edge_mask(e, t));
        const auto p = gnnx::eval::masked_predictions(*model, graph, ex, m);
        return std::make_pair(gnnx::eval::fidelity(p, kind), gnnx::eval::unfaithfulness(p));
      };
      for (const auto& name : setup.at("thresholds")) {
        const auto [f, gef] = score(parse_threshold(name.get<std::string>()));
        out[form][name.get<std::string>()] = {{"fid_plus", to_vector(f.plus_items)},
                                              {"fid_minus", to_vector(f.minus_items)},
                                              {"gef", to_vector(gef)}};
      }
      // The fidelity curve over top-k hard masks, and the characterization score at each k.
      std::vector<double> xs, plus, minus, chars;
      for (const auto& k : setup.at("curve_k")) {
        const auto [f, gef] = score(
            metrics::ThresholdOptions().type(metrics::MaskThreshold::kTopKHard).value(k.get<double>()));
        xs.push_back(k.get<double>());
        plus.push_back(f.plus);
        minus.push_back(f.minus);
        chars.push_back(metrics::characterization_score(f.plus, f.minus));
      }
      out[form]["curve"] = {{"x", xs}, {"fid_plus", plus}, {"fid_minus", minus}, {"characterization", chars}};
      bool finite = true;
      for (double m : minus) finite = finite && m < 1;
      if (finite)
        out[form]["curve"]["auc"] = metrics::fidelity_curve_auc(torch::tensor(plus, torch::kDouble),
                                                                torch::tensor(minus, torch::kDouble),
                                                                torch::tensor(xs, torch::kDouble));
      std::vector<std::vector<double>> gts;
      for (const auto& e : ex) {
        const auto s = metrics::groundtruth_metrics(e.edge_mask, truth);
        gts.push_back({s.accuracy, s.recall, s.precision, s.f1, s.auroc});
      }
      out[form]["groundtruth"] = gts;
    }
    std::printf("%s\n", out.dump().c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gnnx_pyg_metrics_check: %s\n", e.what());
    return 1;
  }
}
