/* The process's MPI ranks, shared by every command that runs over several
 * processes (mtsi sweep, mtsi train). MPI is initialised only when the
 * build has it (configure --with-mpi, MTSI_HAVE_MPI) and an MPI launcher
 * started the process; otherwise, or before mtsi_mpi_start, the process is
 * rank 0 of 1 and every collective below does nothing, so callers need no
 * #ifdef. Only lib/mtsi_mpi.c includes mpi.h. Only the main thread calls
 * these (MPI_THREAD_FUNNELED). */
#ifndef MTSI_MPI_H
#define MTSI_MPI_H

#include <stddef.h>

/* Nonzero when an MPI launcher started several copies of a program built
 * without MPI (each would do all the work into the same files). */
int mtsi_mpi_unsupported(void);
/* MPI_Init when launched in an MPI build; returns the number of ranks (1
 * when serial). mtsi_mpi_end() finalises (a no-op when serial). */
int mtsi_mpi_start(void);
void mtsi_mpi_end(void);
int mtsi_mpi_rank(void);
int mtsi_mpi_size(void);
/* bytes at buf on rank 0 copied to every rank */
void mtsi_mpi_bcast(void *buf, size_t bytes);
/* Wait for every rank without spinning (OpenMPI's blocking collectives
 * busy-poll and would steal the cores of ranks still working). */
void mtsi_mpi_wait_all(void);
/* mtsi_mpi_wait_all, then v[i] = maximum over the ranks */
void mtsi_mpi_max_int(int *v, int n);
/* The `bytes` bytes at mine of every rank, rank after rank, into all on
 * rank 0 (size * bytes; all is not touched on the other ranks). Serial:
 * a copy. */
void mtsi_mpi_gather(const void *mine, size_t bytes, void *all);
/* v[i] = sum over the ranks, every rank receiving the same bits;
 * elem_size 4 (float) or 8 (double). */
void mtsi_mpi_sum(void *v, long n, int elem_size);

#endif
