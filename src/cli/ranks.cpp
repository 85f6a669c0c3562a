#include "cli/ranks.h"

#include <cstdlib>
#include <initializer_list>

#ifdef GNNX_WITH_MPI
#include <mpi.h>
#endif

namespace gnnx::cli {

#ifdef GNNX_WITH_MPI
namespace {
bool launched_by_mpi() {
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK"})
    if (std::getenv(var) != nullptr) return true;
  return false;
}
}  // namespace

Ranks::Ranks() {
  if (!launched_by_mpi()) return;
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    MPI_Init(nullptr, nullptr);
    joined_ = true;
  }
  int r = 0, s = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  MPI_Comm_size(MPI_COMM_WORLD, &s);
  rank_ = r;
  size_ = s;
}

Ranks::~Ranks() {
  if (joined_) MPI_Finalize();
}

void Ranks::barrier() const {
  if (size_ > 1) MPI_Barrier(MPI_COMM_WORLD);
}

int64_t Ranks::sum(int64_t value) const {
  if (size_ == 1) return value;
  long long in = value, out = 0;
  MPI_Allreduce(&in, &out, 1, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
  return out;
}

int64_t Ranks::max(int64_t value) const {
  if (size_ == 1) return value;
  long long in = value, out = 0;
  MPI_Allreduce(&in, &out, 1, MPI_LONG_LONG, MPI_MAX, MPI_COMM_WORLD);
  return out;
}

void Ranks::abort(int code) const {
  if (size_ > 1) MPI_Abort(MPI_COMM_WORLD, code);
}
#else
Ranks::Ranks() = default;
Ranks::~Ranks() = default;
void Ranks::barrier() const {}
int64_t Ranks::sum(int64_t value) const { return value; }
int64_t Ranks::max(int64_t value) const { return value; }
void Ranks::abort(int) const {}
#endif

}  // namespace gnnx::cli
