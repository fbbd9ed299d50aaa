/* An MCMC run to an ensemble file (SPEC.md section 5), with checkpoints.
 *
 * Files during a run with --out F.h5:
 *   F.h5.part  raw records (config, observables, G) at fixed offsets,
 *              chain-major: chain c's j-th saved config is record
 *              base_c + j, so every chain writes independently;
 *   F.h5.ckpt  HDF5 checkpoint (settings, per-chain field, random stream,
 *              step size and counters), replaced atomically by rename.
 * A record beyond the checkpointed count is ignored on resume, so a run
 * killed at any instant (kill -9 included) resumes from the last checkpoint
 * and produces bitwise the file of an uninterrupted run. The ensemble is
 * assembled into F.h5.tmp-PID and renamed to F.h5 only when complete. */
#ifndef MTSI_RUN_H
#define MTSI_RUN_H

#include <stdint.h>

#include "mtsi_mcmc.h"

typedef struct {
    mtsi_phi4_params p;
    mtsi_sampler_opts o;
    long n;             /* configurations to save in total */
    long chains;
    long therm;         /* updates per chain before saving */
    long thin;          /* updates between saved configurations */
    uint64_t seed;
    const char *out;
    int force;
    double ckpt_every;  /* seconds between checkpoints (0: every round) */
    const char *command_line;
} mtsi_run_cfg;

/* Runs cfg to completion. Returns MTSI_OK, MTSI_EINTR (SIGINT/SIGTERM:
 * checkpoint written) or an error code with a message. */
int mtsi_run_mcmc(const mtsi_run_cfg *cfg);
/* Continues the run whose checkpoint is "<out>.ckpt". */
int mtsi_run_resume(const char *out, double ckpt_every);

/* Number of configurations chain c of `chains` saves (n split evenly, the
 * first n % chains chains save one more). */
long mtsi_run_chain_share(long n, long chains, long c);

#endif
