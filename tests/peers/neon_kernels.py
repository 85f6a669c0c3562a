"""Kernel models against scikit-learn: a OneClassSVM and a Gaussian KernelDensity fitted by
scikit-learn on seeded 2-D data, their parameters and outputs saved with torch.save, then
gnnx_neon_check rebuilds them as gnnx's neuralised networks and compares the outputs (1e-6).

    neon_kernels.py CHECKER
"""
import subprocess
import sys
import tempfile

import numpy as np
import torch
from sklearn.neighbors import KernelDensity
from sklearn.svm import OneClassSVM


def main():
    checker = sys.argv[1]
    rng = np.random.default_rng(0)
    data = np.concatenate([rng.normal(0.0, 0.6, (60, 2)), rng.normal((3.0, 1.0), 0.4, (40, 2))])
    points = rng.uniform(-2.0, 5.0, (50, 2))
    gamma, nu, bandwidth = 0.5, 0.2, 0.45
    svm = OneClassSVM(kernel="rbf", gamma=gamma, nu=nu).fit(data)
    kde = KernelDensity(kernel="gaussian", bandwidth=bandwidth).fit(data)
    t = lambda a: torch.tensor(np.asarray(a, dtype=np.float64))
    blob = {
        "data": t(data),
        "points": t(points),
        "svm_support_vectors": t(svm.support_vectors_),
        "svm_dual_coef": t(svm.dual_coef_[0]),
        "svm_gamma": t([gamma]),
        "svm_offset": t(np.ravel(svm.offset_)),
        "svm_score_samples": t(svm.score_samples(points)),
        "svm_decision_function": t(svm.decision_function(points)),
        "kde_bandwidth": t([bandwidth]),
        "kde_log_density": t(kde.score_samples(points)),
    }
    with tempfile.TemporaryDirectory() as d:
        path = d + "/kernels.pt"
        torch.save(blob, path)
        print(f"scikit-learn OneClassSVM: {len(svm.support_vectors_)} support vectors; KernelDensity h = {bandwidth}")
        sys.exit(subprocess.call([checker, path]))


if __name__ == "__main__":
    main()
