/* The process's MPI ranks (mtsi_mpi.h): serial, or MPI_COMM_WORLD when the
 * build has MPI and a launcher started the process. */
#include "config.h"
#include "mtsi_mpi.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef MTSI_HAVE_MPI
#include <mpi.h>
#endif

static int g_mpi = 0, g_rank = 0, g_size = 1;

int mtsi_mpi_rank(void) { return g_rank; }
int mtsi_mpi_size(void) { return g_size; }

int mtsi_mpi_unsupported(void)
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

#ifdef MTSI_HAVE_MPI
/* Only a process started by an MPI launcher initialises MPI, so the same
 * binary runs as a plain serial program (or one SLURM array task) without
 * any MPI runtime around it. */
static int mpi_launched(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_RANK");
}
#endif

int mtsi_mpi_start(void)
{
#ifdef MTSI_HAVE_MPI
    if (!g_mpi && mpi_launched()) {
        int provided;
        /* only the main thread calls MPI; OpenMP threads do the work */
        if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) == MPI_SUCCESS) {
            g_mpi = 1;
            MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
            MPI_Comm_size(MPI_COMM_WORLD, &g_size);
        }
    }
#endif
    return g_size;
}

void mtsi_mpi_end(void)
{
#ifdef MTSI_HAVE_MPI
    if (g_mpi)
        MPI_Finalize();
#endif
    g_mpi = 0;
    g_rank = 0;
    g_size = 1;
}

void mtsi_mpi_bcast(void *buf, size_t bytes)
{
#ifdef MTSI_HAVE_MPI
    if (g_mpi && bytes)
        MPI_Bcast(buf, (int)bytes, MPI_BYTE, 0, MPI_COMM_WORLD);
#else
    (void)buf;
    (void)bytes;
#endif
}

void mtsi_mpi_wait_all(void)
{
#ifdef MTSI_HAVE_MPI
    if (!g_mpi)
        return;
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
#endif
}

void mtsi_mpi_max_int(int *v, int n)
{
#ifdef MTSI_HAVE_MPI
    if (!g_mpi)
        return;
    mtsi_mpi_wait_all();
    MPI_Allreduce(MPI_IN_PLACE, v, n, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
#else
    (void)v;
    (void)n;
#endif
}

void mtsi_mpi_sum(void *v, long n, int elem_size)
{
#ifdef MTSI_HAVE_MPI
    if (!g_mpi)
        return;
    MPI_Datatype ty = elem_size == 8 ? MPI_DOUBLE : MPI_FLOAT;
    char *p = v;
    /* counts are int: large vectors in chunks (element-wise sums, so the
     * chunking does not change the bits) */
    while (n > 0) {
        int m = n > INT_MAX / 2 ? INT_MAX / 2 : (int)n;
        MPI_Allreduce(MPI_IN_PLACE, p, m, ty, MPI_SUM, MPI_COMM_WORLD);
        p += (size_t)m * (size_t)elem_size;
        n -= m;
    }
#else
    (void)v;
    (void)n;
    (void)elem_size;
#endif
}

void mtsi_mpi_gather(const void *mine, size_t bytes, void *all)
{
#ifdef MTSI_HAVE_MPI
    if (g_mpi) {
        mtsi_mpi_wait_all();
        /* point to point, in chunks: counts are int */
        const size_t step = INT_MAX / 2;
        if (g_rank == 0) {
            if (bytes)
                memcpy(all, mine, bytes);
            for (int r = 1; r < g_size; r++)
                for (size_t off = 0; off < bytes; off += step) {
                    size_t m = bytes - off < step ? bytes - off : step;
                    MPI_Recv((char *)all + (size_t)r * bytes + off, (int)m, MPI_BYTE, r, 0,
                             MPI_COMM_WORLD, MPI_STATUS_IGNORE);
                }
        } else {
            for (size_t off = 0; off < bytes; off += step) {
                size_t m = bytes - off < step ? bytes - off : step;
                MPI_Send((const char *)mine + off, (int)m, MPI_BYTE, 0, 0, MPI_COMM_WORLD);
            }
        }
        return;
    }
#endif
    if (bytes)
        memcpy(all, mine, bytes);
}
