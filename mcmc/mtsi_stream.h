/* A stream of phi^4 configurations from a pool of independent chains, for
 * training on configurations that are never reused (mtsi train
 * --stream-mcmc).
 *
 * n chains of one sampler on one law; chain i runs on random stream
 * first + i of the seed (lib/mtsi_rng.h) from the hot start of
 * mtsi_chain_new, exactly as chain first + i of an mcmc run, and is
 * thermalised by `therm` updates (step and clusters per update tuned as
 * mtsi mcmc tunes them). Then configuration k of the stream is the field of
 * chain k mod n after `thin` more updates of that chain. Every chain's
 * history depends only on (seed, stream), so the configurations are the
 * same whatever the number of OpenMP threads. Chains are not interruptible
 * (mtsi_chain_set_interruptible): a draw always completes.
 *
 * Invariant between draws, checked on restore: chain i has made
 * therm + drawn_i * thin updates, and drawn_i = k / n + (i < k % n) after
 * k configurations. */
#ifndef MTSI_STREAM_H
#define MTSI_STREAM_H

#include <stdint.h>

#include "mtsi_mcmc.h"
#include "mtsi_run.h"

typedef struct mtsi_stream mtsi_stream;

/* NULL with an error set on bad settings or no memory. */
mtsi_stream *mtsi_stream_new(const mtsi_phi4_params *p, const mtsi_sampler_opts *o,
                             uint64_t seed, uint64_t first, long n, long therm, long thin);
/* As mtsi_stream_new, chain i on the law of p tilted by the uniform field
 * h[i] and quadratic term A[i] (as mtsi mcmc --field, --quad; either array
 * may be NULL: p's own), with the sampler's defaults for that law. */
mtsi_stream *mtsi_stream_new_tilted(const mtsi_phi4_params *p, const mtsi_sampler_opts *o,
                                    uint64_t seed, uint64_t first, long n, long therm, long thin,
                                    const double *h, const double *A);
void mtsi_stream_free(mtsi_stream *s);

long mtsi_stream_chains(const mtsi_stream *s);
/* Configurations drawn so far. */
long mtsi_stream_drawn(const mtsi_stream *s);

/* Brings every chain to `therm` updates, chains in parallel. MTSI_EINTR
 * when a signal arrives first (the stream is then unusable), MTSI_EINVAL
 * when a chain becomes non-finite. */
int mtsi_stream_thermalize(mtsi_stream *s);

/* The next m configurations into x [m][V]: chains in parallel, each
 * chain's share in stream order; chain (may be NULL) receives the index
 * (0 .. n - 1) of the chain of each. MTSI_EINVAL when a chain becomes
 * non-finite. */
int mtsi_stream_draw(mtsi_stream *s, long m, double *x, long *chain);

/* Checkpoints: the chains as rows row0 .. row0 + n - 1 of a chain table
 * (mtsi_run.h; column "saved" = configurations drawn from the chain), and
 * back. Restore validates the invariant above against therm and thin
 * (MTSI_EINVAL naming `what` and the chain). */
void mtsi_stream_save(mtsi_stream *s, mtsi_chain_table *t, long row0);
int mtsi_stream_restore(mtsi_stream *s, const mtsi_chain_table *t, long row0, const char *what);

#endif
