#pragma once
/// Accuracy of explanations against ground truth.

#include <ATen/core/Tensor.h>

namespace gnnx::metrics {

/// Area under the ROC curve of `scores` ([n] floating) for binary `labels` ([n], 0/1, any
/// dtype): the probability that a random positive scores higher than a random negative, ties
/// counting one half (Mann-Whitney U with average ranks; equals sklearn's roc_auc_score).
/// Throws gnnx::Error when sizes differ, a label is not 0/1, or only one class is present.
double roc_auc(const at::Tensor& scores, const at::Tensor& labels);

/// Fraction of the k highest-scoring entries that are positive (ties broken by lower index).
double precision_at_k(const at::Tensor& scores, const at::Tensor& labels, int64_t k);

}  // namespace gnnx::metrics
