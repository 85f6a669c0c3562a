#pragma once
/// Graph alignment: the node correspondence P between an instance graph (A_v, X_v) and a
/// reference (A*, X*) that minimises
///
///   cost(P) = ½ ‖Pᵀ A_v P − A*‖²_F  +  feature_weight · ‖Pᵀ X_v − X*‖²_F
///
/// over permutation matrices P (P_ij = 1 when instance node i takes reference node j). For 0/1
/// adjacencies the first term counts the undirected edges present in one graph and not the other.
/// Graphs of different sizes are padded with isolated, featureless dummy nodes to one size n
/// before aligning (pad_adjacency / pad_features), so an unmatched node pays for its edges.
///
/// Two solvers (AlignmentMethod):
///   kSinkhorn  graduated assignment (Gold & Rangarajan 1996): P relaxed to a doubly stochastic
///              matrix, P ← Sinkhorn(exp(β (2 A_v P A* − feature_weight · C))) with β growing,
///              C_ij = ‖x_i − y_j‖²; rounded to a permutation by the Hungarian method, then
///              improved by swapping pairs of assignments while the cost falls. A second start
///              from the Hungarian assignment of C alone is refined the same way; the cheaper wins.
///              O(n³) per step; no optimality guarantee.
///   kExact     the minimum: Boost.Graph's VF2 (vf2_graph_iso) first looks for an isomorphism of
///              the 0/1 graphs (cost 0 in the first term), then a branch and bound over all
///              assignments proves or improves the best cost found. For n <= max_exact_nodes.
/// The dense matrices (similarities, Sinkhorn iterations) use Eigen inside the library.

#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>

#include "gnnx/core/arg.h"
#include "gnnx/core/enum_names.h"

namespace gnnx::explain {

enum class AlignmentMethod {
  kSinkhorn,  ///< graduated assignment + Hungarian rounding + pair swaps (any size)
  kExact,     ///< VF2 isomorphism, then branch and bound (small graphs)
};
GNNX_ENUM_NAMES(AlignmentMethod, "alignment method", {AlignmentMethod::kSinkhorn, "sinkhorn"},
                {AlignmentMethod::kExact, "exact"});

struct AlignmentOptions {
  /// Solver. Default sinkhorn.
  GNNX_ARG(AlignmentMethod, method) = AlignmentMethod::kSinkhorn;
  /// Weight of the feature term. Default 0.25.
  GNNX_ARG(double, feature_weight) = 0.25;
  /// Node 0 of the instance must take node 0 of the reference (the explained node of a node
  /// task). Default false.
  GNNX_ARG(bool, anchored) = false;
  /// Graduated assignment: annealing steps, β multiplied by beta_growth after each. Default 12.
  GNNX_ARG(int64_t, annealing_steps) = 12;
  /// Initial β. Default 0.5.
  GNNX_ARG(double, beta) = 0.5;
  /// Factor on β per annealing step. Default 1.5.
  GNNX_ARG(double, beta_growth) = 1.5;
  /// Sinkhorn row/column normalisations per annealing step. Default 20.
  GNNX_ARG(int64_t, sinkhorn_iterations) = 20;
  /// Largest n the exact solver accepts (its work grows as n!). Default 10.
  GNNX_ARG(int64_t, max_exact_nodes) = 10;
};

/// A node correspondence and its cost.
struct Alignment {
  /// [n]: permutation[i] = the reference node instance node i takes.
  std::vector<int64_t> permutation;
  double cost = 0;            ///< structure_cost + feature_weight · feature_cost
  double structure_cost = 0;  ///< ½ ‖Pᵀ A P − A*‖²_F
  double feature_cost = 0;    ///< ‖Pᵀ X − X*‖²_F
};

/// Aligns instance (a, x) to reference (b, y). a, b: [n, n] symmetric, floating, zero diagonal;
/// x, y: [n, F] floating (F may be 0). Throws gnnx::Error naming "align" for shapes that differ,
/// asymmetric adjacencies, n = 0, or kExact with n > max_exact_nodes.
Alignment align(const at::Tensor& a, const at::Tensor& x, const at::Tensor& b, const at::Tensor& y,
                const AlignmentOptions& options = {});

/// cost(P) of a given permutation (permutation[i] = reference node of instance node i), under
/// the same definitions as align. Throws gnnx::Error for shapes that differ or a permutation
/// that is not one of 0..n-1.
Alignment alignment_cost(const at::Tensor& a, const at::Tensor& x, const at::Tensor& b, const at::Tensor& y,
                         const std::vector<int64_t>& permutation, double feature_weight);

/// Pᵀ M P for a square M (a [n, n] adjacency in reference order: out[p[i], p[j]] = m[i, j]), or
/// Pᵀ M for features ([n, F]: out[p[i]] = m[i]). Throws gnnx::Error for a size mismatch.
at::Tensor permute_adjacency(const at::Tensor& m, const std::vector<int64_t>& permutation);
at::Tensor permute_rows(const at::Tensor& m, const std::vector<int64_t>& permutation);

/// [n, n] with m in the top-left corner and zeros elsewhere (dummy nodes); [n, F] likewise.
/// Throws gnnx::Error when m is larger than n.
at::Tensor pad_adjacency(const at::Tensor& m, int64_t n);
at::Tensor pad_features(const at::Tensor& m, int64_t n);

/// The Hungarian method (Kuhn–Munkres, O(n³)): the assignment (row i → column out[i]) of least
/// total cost of a square [n, n] cost matrix; entries +inf are forbidden. Throws gnnx::Error
/// for a non-square or non-finite-everywhere-in-a-row matrix.
std::vector<int64_t> hungarian(const at::Tensor& cost);

}  // namespace gnnx::explain
