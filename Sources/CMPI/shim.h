// Open MPI's C API (Debian libopenmpi-dev). Its handles are macros Swift cannot import; these
// inline functions return them.
#include <mpi.h>

static inline MPI_Comm zoo_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype zoo_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype zoo_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype zoo_mpi_uint64(void) { return MPI_UINT64_T; }
static inline MPI_Datatype zoo_mpi_char(void) { return MPI_CHAR; }
static inline MPI_Op zoo_mpi_sum(void) { return MPI_SUM; }
static inline MPI_Errhandler zoo_mpi_errors_return(void) { return MPI_ERRORS_RETURN; }
static inline void *zoo_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Status *zoo_mpi_statuses_ignore(void) { return MPI_STATUSES_IGNORE; }
