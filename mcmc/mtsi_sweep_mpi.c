/* The ranks of a sweep (mtsi_sweep_comm, see mtsi_sweep_run.h): serial,
 * or MPI_COMM_WORLD when the build has MPI and a launcher started the
 * process. The MPI layer itself is lib/mtsi_mpi.c, shared with training. */
#include "config.h"
#include "mtsi_sweep_run.h"
#include "mtsi_mpi.h"

static void serial_bcast(const mtsi_sweep_comm *c, void *buf, size_t bytes)
{
    (void)c;
    (void)buf;
    (void)bytes;
}

static void serial_max(const mtsi_sweep_comm *c, int *v, int n)
{
    (void)c;
    (void)v;
    (void)n;
}

mtsi_sweep_comm mtsi_sweep_comm_serial(void)
{
    mtsi_sweep_comm c = {0, 1, serial_bcast, serial_max};
    return c;
}

static void mpi_bcast(const mtsi_sweep_comm *c, void *buf, size_t bytes)
{
    (void)c;
    mtsi_mpi_bcast(buf, bytes);
}

/* Waits for every rank without spinning: a rank that finished its points
 * early must not steal the cores of the ranks still sampling. */
static void mpi_max(const mtsi_sweep_comm *c, int *v, int n)
{
    (void)c;
    mtsi_mpi_max_int(v, n);
}

int mtsi_sweep_mpi_unsupported(void) { return mtsi_mpi_unsupported(); }

void mtsi_sweep_mpi_start(mtsi_sweep_comm *c)
{
    *c = mtsi_sweep_comm_serial();
    if (mtsi_mpi_start() > 1) {
        c->rank = mtsi_mpi_rank();
        c->size = mtsi_mpi_size();
        c->bcast = mpi_bcast;
        c->max = mpi_max;
    }
}

void mtsi_sweep_mpi_end(mtsi_sweep_comm *c)
{
    mtsi_mpi_end();
    *c = mtsi_sweep_comm_serial();
}
