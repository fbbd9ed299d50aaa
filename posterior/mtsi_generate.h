/* Generation from noise with a model's drift, optionally tilted by a
 * reward (SPEC.md sections 1.1 and 2): the generation path
 * alpha_t = (1 - t) 1, integrated in batches. Batch k (samples
 * k*batch .. k*batch + batch - 1) draws its noise from random stream k of
 * `seed`, the scheme of `mtsi sample --path generate`, so the two give the
 * same configurations for the same drift, reward, options and seed. */
#ifndef MTSI_GENERATE_H
#define MTSI_GENERATE_H

#include <stdint.h>

#include "mtsi_interp.h"
#include "mtsi_posterior.h"

/* t_min that `mtsi sample` uses by default for a reward: 0 unless some
 * site has A = 0 and h != 0 (x_r = x + alpha^2 h/(1 - alpha) diverges at
 * alpha = 1). Then 1e-3 for analytic drifts, which are exact at any x, and
 * 0.05 for a network (model_type "neural"), which is trusted only near its
 * training range: there |x_r - x| <= h/t_min stays O(1) for the fields of
 * interest, at the price of an O(t_min) error from the start. */
double mtsi_generate_default_t0(const mtsi_reward *r, long V, const char *model_type);

/* Draws n samples of V sites into x[n][V]. r = NULL (or a zero reward)
 * samples the model's own law; otherwise the posterior drift is used after
 * mtsi_posterior_check (an infeasible reward, e.g. A > 0 from noise, is
 * an MTSI_EINVAL error stating the admissible alpha range, before any
 * sampling). io->t0 is the path's start. max_xr (may be NULL) receives the
 * largest |x_r| fed to the drift (0 without a reward). Polls
 * mtsi_signal_pending() between batches: MTSI_EINTR, x incomplete. A
 * non-finite sample is MTSI_EFAIL. */
int mtsi_generate(mtsi_drift *drift, long V, const mtsi_reward *r, const mtsi_integrate_opts *io,
                  long n, long batch, uint64_t seed, double *x, double *max_xr);

/* The integrator a model samples with unless told otherwise (kind, eps,
 * schedule, steps; other fields untouched): a neural drift of phi^4
 * lattices, the Euler-Maruyama SDE with eps rising from 0 to 1 along the
 * path (eps t) in 60 steps (docs/STUDY_FIDELITY.md section 7: the learned
 * drift's short-distance error is relaxed by the noise); any other model,
 * mtsi_integrate_defaults (Heun, 50 steps). */
void mtsi_generate_default_integrator(mtsi_integrate_opts *io, const mtsi_shape *s,
                                      const char *model_type);

/* Pilot passes of the start mean (mtsi_generate_start_mean) by default,
 * and the seed family they draw from: stream k of seed ^ this constant,
 * apart from the samples' own streams of seed. */
#define MTSI_START_PILOT_PASSES 2
#define MTSI_START_PILOT_SEED 0x5354415254504c54ULL

/* A path that starts at t0 > 0 with sites still to be sampled (a field with
 * A = 0 starts at t_min) begins at X = alpha x0 + (1 - alpha) m (see
 * mtsi_path_init), where m should be the mean of the law being sampled:
 * for a posterior, m_r, unknown. Leaving m = 0 is an O(t0) error in the
 * start's mean that the path's soft modes amplify; with m_r it is
 * O(t0^2). The estimate is self-consistent: `passes` pilot passes of one
 * batch of bs samples along the same path and drift (x1: that batch's
 * observed values or NULL), the first started from m = 0 and each from the
 * previous pass's sample mean. m0 (V values) receives the last pass's mean
 * per site, averaged over the sites when `uniform` (a translation-invariant
 * law); change (may be NULL) the largest change of m0 in the last pass. The
 * pilot pass k draws from stream k of seed ^ MTSI_START_PILOT_SEED. t0 = 0 or
 * passes = 0: m0 = 0 and nothing is sampled. */
int mtsi_generate_start_mean(mtsi_drift *use, const mtsi_path *p, const mtsi_integrate_opts *io,
                             long V, long bs, const double *x1, int passes, int uniform,
                             uint64_t seed, double *m0, double *change);

/* mtsi_generate with `passes` pilot passes for the start mean (mtsi_generate
 * uses MTSI_START_PILOT_PASSES). */
int mtsi_generate_pilot(mtsi_drift *drift, long V, const mtsi_reward *r,
                        const mtsi_integrate_opts *io, long n, long batch, uint64_t seed,
                        int passes, double *x, double *max_xr);

#endif
