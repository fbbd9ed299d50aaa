/* Markov chains for the phi^4 model (SPEC.md section 4).
 *
 * One mtsi_chain owns a field, its random stream, its FFT plans and every
 * buffer: mtsi_chain_new() plans and allocates, mtsi_chain_update() only
 * computes (STYLE.md: two phases). Chains share nothing, so several run in
 * parallel under OpenMP and a chain's output depends only on (seed, stream). */
#ifndef MTSI_MCMC_H
#define MTSI_MCMC_H

#include <stdint.h>

#include "mtsi_phi4.h"
#include "mtsi_rng.h"

typedef enum {
    MTSI_SAMPLER_LANGEVIN = 0, /* Fourier-accelerated Langevin, Euler (biased O(dt)) */
    MTSI_SAMPLER_LANGEVIN_EXP, /* same, exponential integrator (exact for free field, m0 = kappa) */
    MTSI_SAMPLER_MALA,         /* FA Langevin proposal + Metropolis-Hastings: exact */
    MTSI_SAMPLER_HMC,          /* unit-mass HMC, leapfrog: exact */
    MTSI_SAMPLER_FAHMC,        /* Fourier-accelerated HMC (momenta ~ N(0, M^-1)): exact */
    MTSI_SAMPLER_CLUSTER,      /* embedded Wolff clusters + one FA-HMC trajectory: exact */
    MTSI_SAMPLER_COUNT
} mtsi_sampler_kind;

/* Name <-> kind ("langevin", "langevin-exp", "mala", "hmc", "fahmc", "cluster"). */
const char *mtsi_sampler_name(mtsi_sampler_kind k);
int mtsi_sampler_parse(const char *s, mtsi_sampler_kind *k);
/* Exact samplers have a Metropolis test (or are rejection-free and exact). */
int mtsi_sampler_is_exact(mtsi_sampler_kind k);

typedef struct {
    mtsi_sampler_kind kind;
    double dt;         /* Langevin / MALA time step */
    double eps;        /* leapfrog step (HMC, FA-HMC, cluster's FA-HMC) */
    int nleap;         /* leapfrog steps per trajectory */
    double m0;         /* preconditioner mass, M_k = 1/(chi lambda_k + m0) */
    long clusters;     /* Wolff clusters per update; 0: auto, V / (mean cluster size)
                          estimated during thermalisation, then fixed */
    int tune;          /* adapt dt/eps to target_acc during thermalisation */
    double target_acc;
} mtsi_sampler_opts;

/* Defaults for a sampler and model: HMC eps = 0.07, 10 steps (the paper's
 * settings); FA-HMC eps = 0.25 with 10 steps, cluster 0.25 with 6, tuned; MALA dt = 0.1 tuned;
 * Langevin dt = 0.01; m0 = kappa when kappa > 0, else 1. */
void mtsi_sampler_defaults(mtsi_sampler_opts *o, mtsi_sampler_kind kind, const mtsi_phi4_params *p);
/* Checks the options against the model; message names the bad value. */
int mtsi_sampler_validate(const mtsi_sampler_opts *o, const mtsi_phi4_params *p);

typedef struct mtsi_chain mtsi_chain;

/* The chain starts from `init` (V values) or, if NULL, from N(0, 1) noise
 * drawn from its own stream. */
mtsi_chain *mtsi_chain_new(const mtsi_phi4_params *p, const mtsi_sampler_opts *o, uint64_t seed,
                           uint64_t stream, const double *init);
void mtsi_chain_free(mtsi_chain *c);

/* One update: a Langevin/MALA step, an HMC trajectory, or a cluster sweep
 * followed by an FA-HMC trajectory. Returns 1 if the proposal was accepted
 * (always 1 for the unadjusted Langevin samplers). No allocation.
 * Returns -1 when a pending signal (mtsi_signal_pending) cut a long update
 * (many clusters, a very long trajectory) short: the chain's state is then
 * partial and the caller restores the state it saved before the update. */
int mtsi_chain_update(mtsi_chain *c);
/* on = 0: updates never look at pending signals (never return -1), for
 * callers that stop only between whole units of work (mtsi train
 * --stream-mcmc finishes its step). Chains start interruptible. */
void mtsi_chain_set_interruptible(mtsi_chain *c, int on);
/* Step-size adaptation during thermalisation: call after each update with
 * the update count so far; adjusts every `window` updates by a
 * Robbins-Monro step in log(step) toward the target acceptance. */
void mtsi_chain_tune(mtsi_chain *c, long n_updates);

double *mtsi_chain_field(mtsi_chain *c);
long mtsi_chain_field_size(const mtsi_chain *c); /* V */
const mtsi_sampler_opts *mtsi_chain_opts(const mtsi_chain *c);
/* Current step (dt or eps, whichever the sampler uses). */
double mtsi_chain_step_size(const mtsi_chain *c);
/* Accepted / proposed since creation (or restore). */
void mtsi_chain_acceptance(const mtsi_chain *c, long *acc, long *prop);
/* Mean cluster size relative to V (cluster sampler), else 0. */
double mtsi_chain_cluster_fraction(const mtsi_chain *c);

/* Checkpoint state: field, stream, step size and counters. */
typedef struct {
    mtsi_rng rng;
    double step;
    long acc, prop;
    long tune_acc, tune_prop;
    double cluster_sites, cluster_count;
    long ncl;
} mtsi_chain_state;
void mtsi_chain_get_state(const mtsi_chain *c, mtsi_chain_state *s);
/* Restores state and field (V values); recomputes cached derived data. */
void mtsi_chain_set_state(mtsi_chain *c, const mtsi_chain_state *s, const double *field);

/* Refinement ("corrector"): `updates` exact updates of kind o->kind on the
 * law p (tilt included) applied to each of the n configurations x[n][V] in
 * place. The step is tuned on a pilot chain of `pilot` updates started from
 * x[0] (when o->tune), then fixed. Configuration i uses stream i of `seed`:
 * the result is independent of the thread count. Rejects inexact kinds. */
typedef struct {
    long acc, prop; /* accepted / proposed over all configurations */
    double step;    /* the fixed step used */
    long ncl;       /* clusters per update (cluster kind) */
} mtsi_refine_stats;
int mtsi_refine(const mtsi_phi4_params *p, const mtsi_sampler_opts *o, long n, double *x,
                long updates, long pilot, uint64_t seed, mtsi_refine_stats *st);

#endif
