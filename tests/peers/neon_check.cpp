// Compares gnnx's neuralised kernel models with scikit-learn's fitted ones: reads the file
// tests/peers/neon_kernels.py writes, rebuilds the one-class SVM and the KDE, and checks that
// the networks' outputs equal scikit-learn's (−log score_samples, −log density) and that NEON
// conserves them. Prints the largest differences; exits 1 when one exceeds 1e-6.
//
//   gnnx_neon_check FILE
#include <cstdio>
#include <map>
#include <string>

#include <torch/torch.h>

#include "gnnx/attribution/neon.h"
#include "gnnx/core/check.h"
#include "gnnx/io/tensor_file.h"
#include "gnnx/nn/models/kernel.h"

int main(int argc, char** argv) try {
  GNNX_CHECK(argc == 2, "usage: gnnx_neon_check FILE");
  std::map<std::string, at::Tensor> t;
  for (auto& [k, v] : gnnx::io::load_tensor_dict(argv[1])) t[k] = v;
  auto x = t.at("points");
  auto svm = gnnx::nn::KernelScoreModel::one_class_svm(t.at("svm_support_vectors"), t.at("svm_dual_coef"),
                                                       t.at("svm_gamma").item<double>());
  auto kde = gnnx::nn::KernelScoreModel::kde(t.at("data"), t.at("kde_bandwidth").item<double>());
  auto diff = [](const at::Tensor& a, const at::Tensor& b) { return (a - b).abs().max().item<double>(); };
  const double d_score = diff(svm.score(x), t.at("svm_score_samples"));
  const double d_decision = diff(svm.score(x) - t.at("svm_offset"), t.at("svm_decision_function"));
  const double d_svm_net = diff(svm.neuralised(x).output, -t.at("svm_score_samples").log());
  const double d_kde_net = diff(kde.neuralised(x).output, -t.at("kde_log_density"));
  auto e_svm = gnnx::attribution::neon(svm, x);
  auto e_kde = gnnx::attribution::neon(kde, x);
  const double c_svm = diff(e_svm.relevance.sum(1), e_svm.output);
  const double c_kde = diff(e_kde.relevance.sum(1), e_kde.output);
  std::printf("%-48s %12s\n", "quantity", "max |diff|");
  std::printf("%-48s %12.3g\n", "OC-SVM f(x) vs score_samples", d_score);
  std::printf("%-48s %12.3g\n", "OC-SVM f(x) - offset vs decision_function", d_decision);
  std::printf("%-48s %12.3g\n", "OC-SVM network vs -log score_samples", d_svm_net);
  std::printf("%-48s %12.3g\n", "KDE network vs -score_samples (log density)", d_kde_net);
  std::printf("%-48s %12.3g\n", "NEON conservation (OC-SVM)", c_svm);
  std::printf("%-48s %12.3g\n", "NEON conservation (KDE)", c_kde);
  for (double d : {d_score, d_decision, d_svm_net, d_kde_net, c_svm, c_kde}) {
    if (!(d <= 1e-6)) {
      std::printf("FAIL: a difference exceeds 1e-6\n");
      return 1;
    }
  }
  std::printf("ok\n");
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "gnnx_neon_check: error: %s\n", e.what());
  return 2;
}
