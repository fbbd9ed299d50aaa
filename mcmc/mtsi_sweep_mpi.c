/* The ranks of a sweep (mtsi_sweep_comm, see mtsi_sweep_run.h): serial,
 * or MPI_COMM_WORLD when the build has MPI and a launcher started the
 * process. Only this file includes mpi.h. */
#include "config.h"
#include "mtsi_sweep_run.h"

#include <stdlib.h>
#include <time.h>

#ifdef MTSI_HAVE_MPI
#include <mpi.h>
#endif

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

#ifdef MTSI_HAVE_MPI
static int g_mpi = 0;

/* Only a process started by an MPI launcher initialises MPI, so the same
 * binary runs as a plain serial program (or one SLURM array task) without
 * any MPI runtime around it. */
static int mpi_launched(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_RANK");
}

static void mpi_bcast(const mtsi_sweep_comm *c, void *buf, size_t bytes)
{
    (void)c;
    if (bytes)
        MPI_Bcast(buf, (int)bytes, MPI_BYTE, 0, MPI_COMM_WORLD);
}

/* Wait for every rank without spinning: a rank that finished its points
 * early must not steal the cores of the ranks still sampling (OpenMPI's
 * blocking collectives busy-poll). Then combine with MAX. */
static void mpi_max(const mtsi_sweep_comm *c, int *v, int n)
{
    (void)c;
    MPI_Request rq;
    MPI_Ibarrier(MPI_COMM_WORLD, &rq);
    int done = 0;
    while (!done) {
        MPI_Test(&rq, &done, MPI_STATUS_IGNORE);
        if (!done) {
            struct timespec ts = {0, 20000000};
            nanosleep(&ts, NULL);
        }
    }
    MPI_Allreduce(MPI_IN_PLACE, v, n, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
}
#endif

/* Several copies started by a launcher in a build without MPI would all
 * run every point into the same files. */
int mtsi_sweep_mpi_unsupported(void)
{
#ifdef MTSI_HAVE_MPI
    return 0;
#else
    const char *v[3] = {getenv("OMPI_COMM_WORLD_SIZE"), getenv("PMI_SIZE"), getenv("PMIX_SIZE")};
    for (int i = 0; i < 3; i++)
        if (v[i] && atol(v[i]) > 1)
            return 1;
    return 0;
#endif
}

void mtsi_sweep_mpi_start(mtsi_sweep_comm *c)
{
    *c = mtsi_sweep_comm_serial();
#ifdef MTSI_HAVE_MPI
    if (mpi_launched()) {
        int provided;
        /* only the main thread calls MPI; OpenMP threads run the chains */
        if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) == MPI_SUCCESS) {
            g_mpi = 1;
            MPI_Comm_rank(MPI_COMM_WORLD, &c->rank);
            MPI_Comm_size(MPI_COMM_WORLD, &c->size);
            c->bcast = mpi_bcast;
            c->max = mpi_max;
        }
    }
#endif
}

void mtsi_sweep_mpi_end(mtsi_sweep_comm *c)
{
#ifdef MTSI_HAVE_MPI
    if (g_mpi)
        MPI_Finalize();
    g_mpi = 0;
#endif
    *c = mtsi_sweep_comm_serial();
}
