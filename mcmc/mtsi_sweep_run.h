/* Running a parameter sweep, as `mtsi sweep` does (SPEC.md sections 3-5).
 *
 * A sweep is a grid of points: lattice sizes L x couplings (in one of
 * three conventions) x fields h x quadratic tilts A, in that axis order,
 * the point index row-major. Each point is one MCMC ensemble file
 * DIR/NAME.h5 (NAME from the point, e.g. L16_m2-4_lambda4.6_h0), made
 * exactly as its equivalent `mtsi mcmc` command would (the command is
 * stored in the file and printed by --list), with a seed derived from the
 * sweep seed and NAME (mtsi_sweep_point_seed). With a trained model, the
 * points the model answers also get DIR/NAME_generated.h5.
 *
 * How a point runs (mtsi_sweep_run): the directory is created and scanned
 * first, so a rerun keeps finished files, resumes checkpointed runs and
 * refuses files of other settings; the pending points are ordered largest
 * lattice first and dealt round-robin over the ranks of the communicator;
 * SIGINT/SIGTERM checkpoint the running point. Rank 0 then analyses every
 * finished file (Gamma-method errors, mcmc/mtsi_analysis.h), estimates
 * the Binder crossing of consecutive lattice sizes along the first varied
 * coupling (mtsi_sweep_binder_crossing), prints the table on stdout and
 * writes DIR/summary.json and DIR/summary.txt. Every file is bitwise the
 * same whatever the number of ranks.
 *
 * Ranks: mtsi_sweep_comm is the small interface the run needs (rank,
 * size, broadcast from rank 0, element-wise maximum). The serial one is
 * mtsi_sweep_comm_serial(); mtsi_sweep_mpi_start() gives the MPI one when
 * the process was started by an MPI launcher in a build configured
 * --with-mpi, and the serial one otherwise, so code using it builds and
 * runs without MPI. */
#ifndef MTSI_SWEEP_RUN_H
#define MTSI_SWEEP_RUN_H

#include "mtsi_sweep.h"

#include <stddef.h>
#include <stdint.h>

/* ---- ranks ------------------------------------------------------------------ */

typedef struct mtsi_sweep_comm mtsi_sweep_comm;
struct mtsi_sweep_comm {
    int rank, size;
    /* bytes at buf on rank 0 copied to every rank */
    void (*bcast)(const mtsi_sweep_comm *c, void *buf, size_t bytes);
    /* wait for every rank (without spinning), then v[i] = max over ranks */
    void (*max)(const mtsi_sweep_comm *c, int *v, int n);
};

/* Rank 0 of 1; bcast and max do nothing. */
mtsi_sweep_comm mtsi_sweep_comm_serial(void);
/* Nonzero when an MPI launcher started several copies of a program built
 * without MPI (each would run every point into the same files). */
int mtsi_sweep_mpi_unsupported(void);
/* MPI_Init when started by a launcher in an MPI build (MPI_COMM_WORLD),
 * else the serial communicator. mtsi_sweep_mpi_end() finalises. */
void mtsi_sweep_mpi_start(mtsi_sweep_comm *c);
void mtsi_sweep_mpi_end(mtsi_sweep_comm *c);

/* ---- the description of a sweep --------------------------------------------- */

/* Coupling conventions (as in `mtsi mcmc`): chi, kappa, gamma; m2,
 * lambda; kappa_hop, lambda_hop. */
enum { MTSI_SWEEP_DIRECT, MTSI_SWEEP_ML, MTSI_SWEEP_HOP };
/* Option name (without "--") of coupling c of convention conv, NULL past
 * its last coupling; the convention's name in summary.json. */
const char *mtsi_sweep_coupling_option(int conv, int c);
const char *mtsi_sweep_convention_name(int conv);

/* Axes in grid order, outermost first. */
enum {
    MTSI_SWEEP_AX_L,
    MTSI_SWEEP_AX_C0,
    MTSI_SWEEP_AX_C1,
    MTSI_SWEEP_AX_C2,
    MTSI_SWEEP_AX_H,
    MTSI_SWEEP_AX_A,
    MTSI_SWEEP_NAX
};

typedef struct {
    /* the axes: n[a] >= 1 values v[a] (malloc'd; an unused coupling of a
     * two-coupling convention has the single value NaN); spec[a] as
     * given, or NULL for the default */
    const char *spec[MTSI_SWEEP_NAX];
    double *v[MTSI_SWEEP_NAX];
    int n[MTSI_SWEEP_NAX];
    int conv, nc; /* convention, number of its couplings (3 or 2) */
    long dim, n_cfg, chains, therm, thin, threads;
    uint64_t seed;
    double ckpt_every;
    /* sampler options as given (echoed into each point's mcmc command;
     * NULL: not given) and their values */
    const char *sampler, *s_dt, *s_eps, *s_nleap, *s_m0, *s_clusters, *s_target;
    double dt, eps, m0, target;
    long nleap, clusters;
    int tune; /* -1: the sampler's default */
    /* output directory; --generate model (NULL: none) and its integrator */
    const char *dir, *model, *gen_int;
    long gen_n, gen_steps, gen_batch, gen_refine;
    /* list the points and stop; summarise only; ignore
     * SLURM_ARRAY_TASK_ID; no progress lines */
    int list, collect, all, quiet;
    long task; /* one point (index), or -1: the whole grid */
} mtsi_sweep_opts;

/* The defaults of `mtsi sweep` (dim 2, 1 chain, therm 1000, thin 10, seed
 * 1, checkpoints every 60 s, sampler fahmc, no n, no axes). */
void mtsi_sweep_opts_init(mtsi_sweep_opts *so);
/* Frees the axis values. */
void mtsi_sweep_opts_free(mtsi_sweep_opts *so);

/* ---- running ---------------------------------------------------------------- */

typedef struct {
    /* MTSI_OK, or the error (message set; nothing printed): with usage
     * set, a mistake in the request (print it with a pointer to --help) */
    int status, usage;
    /* points interrupted by a signal / failed (each reported on stderr
     * as it happened); the finished ones are kept and summarised */
    int interrupted, failed;
} mtsi_sweep_result;

/* Runs the sweep on every rank of comm (each calls it with the same so).
 * A SLURM array task (SLURM_ARRAY_TASK_ID set, and none of task, all and
 * collect given) runs the one point of that index. Prints the table (rank 0) and
 * progress lines (unless quiet) as `mtsi sweep` does; with so->list,
 * prints the points and their commands instead and runs nothing. */
void mtsi_sweep_run(mtsi_sweep_opts *so, const mtsi_sweep_comm *comm, mtsi_sweep_result *res);

#endif
