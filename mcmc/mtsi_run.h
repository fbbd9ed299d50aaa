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

#include <hdf5.h>
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

/* One update of chain ch (number idx in messages) as an mcmc run makes it:
 * ++*updates, then the step (and the clusters per update) tuned while
 * *updates <= therm. backup: V doubles where the state is saved first, so
 * that an update cut short by a signal is undone (NULL for a chain that is
 * not interruptible, mtsi_chain_set_interruptible). Returns MTSI_OK,
 * MTSI_EINTR (cut short: chain and count as before) or MTSI_EINVAL when
 * the field became non-finite. */
int mtsi_chain_advance(mtsi_chain *ch, long idx, long *updates, long therm, double *backup);

/* ---- chain states in checkpoints -----------------------------------------
 * The states of n chains as checkpoints store them (mtsi mcmc's OUT.ckpt,
 * mtsi train --stream-mcmc's /train/chains), datasets of one HDF5 group:
 *   fields   float64 [n, V]  the fields
 *   rng      uint64 [n, 4]   xoshiro256++ states
 *   state_d  float64 [n, 6]  rng spare, step, cluster sites, cluster count,
 *                            clusters per update, 0
 *   state_l  int64 [n, 7]    rng has_spare, acc, prop, tune_acc, tune_prop,
 *                            updates done, configurations saved
 * and the attribute chains_checksum: FNV-1a 64 of the four tables (hex;
 * absent in checkpoints that predate it). */
#define MTSI_CHAIN_ND 6
#define MTSI_CHAIN_NL 7
typedef struct {
    long n, V;
    double *fields;           /* [n][V] */
    unsigned long long *rng;  /* [n][4] */
    double *dv;               /* [n][MTSI_CHAIN_ND] */
    long *lv;                 /* [n][MTSI_CHAIN_NL] */
} mtsi_chain_table;

int mtsi_chain_table_alloc(mtsi_chain_table *t, long n, long V);
void mtsi_chain_table_free(mtsi_chain_table *t);
/* Row i from a chain (updates, saved: the caller's counters) and back. */
void mtsi_chain_table_put(mtsi_chain_table *t, long i, mtsi_chain *c, long updates, long saved);
void mtsi_chain_table_get(const mtsi_chain_table *t, long i, mtsi_chain_state *s, long *updates,
                          long *saved);
int mtsi_chain_table_write(hid_t loc, const mtsi_chain_table *t);
/* Reads the n x V table t was allocated for and validates it: every dataset
 * of its shape and type class (float or 64-bit integer), fields and
 * state_d finite, every row a state a chain can be in (rng not all zero,
 * has_spare 0 or 1, step > 0, 0 <= acc <= prop, counts >= 0), and the
 * checksum (when present, or always with need_checksum). One MTSI_EINVAL
 * naming `what` and the dataset or the chain. */
int mtsi_chain_table_read(hid_t loc, mtsi_chain_table *t, int need_checksum, const char *what);

#endif
