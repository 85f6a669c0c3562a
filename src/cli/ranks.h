#pragma once
// The process's place among the ranks of an MPI job (mpirun -np R, srun -n R). Built without MPI
// (GNNX_WITH_MPI undefined), or started without a launcher, every process is rank 0 of 1.
#include <cstdint>

namespace gnnx::cli {

class Ranks {
 public:
  /// Joins the MPI job when the process was started by an MPI launcher (Open MPI's mpirun or a
  /// PMIx launcher such as Slurm's srun); otherwise stays rank 0 of 1 without touching MPI.
  Ranks();
  /// Leaves the job (MPI_Finalize) when it joined one.
  ~Ranks();
  Ranks(const Ranks&) = delete;
  Ranks& operator=(const Ranks&) = delete;

  int64_t rank() const { return rank_; }
  int64_t size() const { return size_; }
  /// Waits until every rank reaches this point.
  void barrier() const;
  /// The sum over the ranks of `value` (every rank gets it).
  int64_t sum(int64_t value) const;
  /// The largest of `value` over the ranks (every rank gets it).
  int64_t max(int64_t value) const;
  /// Ends the whole job after a rank failed, so that the others do not wait for it forever
  /// (MPI_Abort); does nothing for a single process.
  void abort(int code) const;

 private:
  int64_t rank_ = 0, size_ = 1;
  bool joined_ = false;
};

}  // namespace gnnx::cli
