/* The Hadamard interpolant I_alpha = alpha (.) x0 + (1 - alpha) (.) x1 and
 * everything that transports with it (SPEC.md section 1): drifts, alpha
 * paths and ODE/SDE integrators.
 *
 * Conventions. A sample is one lattice configuration of V = L^dim sites,
 * stored as V doubles in the row-major site order of phi4/ (last coordinate
 * fastest). Batches are [batch][V]. alpha is per site, in [0, 1]; alpha = 0
 * marks a site that is known (observed or already generated) and is held
 * exactly fixed by every integrator.
 *
 * One field is learned: b(alpha, x) = E[x0 - x1 | I_alpha = x]; then
 * eta0 = x + (1 - alpha) b and eta1 = x - alpha b. */
#ifndef MTSI_INTERP_H
#define MTSI_INTERP_H

#include <stdint.h>

#include "mtsi_rng.h"

/* ---- drifts -------------------------------------------------------- */

typedef struct mtsi_drift mtsi_drift;

/* A back end: eval writes b(alpha, x) for a batch. It may be called with
 * any batch size; it allocates nothing after its first call with a batch
 * no larger than the largest seen so far. */
typedef struct {
    int (*eval)(void *self, long batch, const double *alpha, const double *x, double *b);
    void (*free)(void *self);
} mtsi_drift_ops;

/* Wrap a back end (takes ownership of self). kind names it in messages and
 * files ("gaussian", "gmm", "neural", "posterior", ...). */
mtsi_drift *mtsi_drift_wrap(const mtsi_drift_ops *ops, void *self, int dim, long L,
                            const char *kind);
void mtsi_drift_free(mtsi_drift *d);
int mtsi_drift_eval(mtsi_drift *d, long batch, const double *alpha, const double *x, double *b);
int mtsi_drift_dim(const mtsi_drift *d);
long mtsi_drift_L(const mtsi_drift *d);
long mtsi_drift_sites(const mtsi_drift *d);
const char *mtsi_drift_kind(const mtsi_drift *d);
void *mtsi_drift_self(mtsi_drift *d);

/* b <-> (eta0, eta1) for n sites: eta0 = x + (1 - alpha) b, eta1 = x - alpha b;
 * and back, b = eta0 - eta1. */
void mtsi_drift_to_eta(long n, const double *alpha, const double *x, const double *b,
                       double *eta0, double *eta1);
void mtsi_drift_from_eta(long n, const double *eta0, const double *eta1, double *b);

/* Analytic Gaussian back end (SPEC 1.2): x1 ~ N(m, C) with C translation
 * invariant, given by its eigenvalues ck on the FFTW r2c half-spectrum
 * (mtsi_phi4_nhalf() entries, all > 0), and mean m (V values). A uniform
 * alpha is solved in Fourier space; a per-site alpha by conjugate gradients
 * on S = D_a^2 + D_b C D_b to a relative residual of 1e-12. */
mtsi_drift *mtsi_drift_gaussian_new(int dim, long L, const double *mean, const double *ck);
/* Fits a translation-invariant Gaussian to n configurations [n][V]: a
 * uniform mean (the site average; 0 when zero_mean) and the covariance
 * eigenvalues ck[k] = < |FFT(phi - mean)_k|^2 > / V on the half-spectrum,
 * floored at 1e-12 of their maximum so that C stays positive definite. */
int mtsi_gauss_fit(int dim, long L, long n, const double *configs, int zero_mean, double *mean,
                   double *ck);
/* Mixture sum_j w_j N(m_j, C) with a shared C (SPEC 1.2). means: [ncomp][V]. */
mtsi_drift *mtsi_drift_gmm_new(int dim, long L, int ncomp, const double *weights,
                               const double *means, const double *ck);

/* ---- alpha paths ----------------------------------------------------- */

/* A path gives alpha_t and d alpha_t / dt per site and sample, t in [0, 1].
 * Time is split into nseg equal segments (stages); integrators take their
 * steps per segment, so a kink of the path always falls on a step boundary. */
typedef struct mtsi_path mtsi_path;

/* Generation: alpha_t = 1 - t everywhere. */
mtsi_path *mtsi_path_generate(long V);
/* Inpainting: alpha = 0 on observed sites (mask 1), 1 - t elsewhere.
 * mask: [nmask][V]; sample i uses mask i % nmask. Copied. */
mtsi_path *mtsi_path_inpaint(long V, long nmask, const unsigned char *mask);
/* Sequential: stage[a] in 0..nstage-1 gives the stage in which site a goes
 * from 1 to 0 (earlier stages' sites stay at 0, later ones at 1). mask
 * (may be NULL) marks observed sites, held at 0 throughout. */
mtsi_path *mtsi_path_sequential(long V, int nstage, const int *stage, long nmask,
                                const unsigned char *mask);
/* User path: alpha tabulated at t_j = j / (nt - 1), j = 0..nt-1 ([nt][V]),
 * linear in between (nt - 1 segments). Values must lie in [0, 1]. */
mtsi_path *mtsi_path_table(long V, long nt, const double *alpha);
void mtsi_path_free(mtsi_path *p);
long mtsi_path_sites(const mtsi_path *p);
int mtsi_path_nseg(const mtsi_path *p);
/* alpha and dalpha/dt (either may be NULL) at time t for sample i. Inside
 * segment k the derivative is the segment's; pass the segment explicitly
 * so that the value at a boundary belongs to the right side. */
void mtsi_path_eval(const mtsi_path *p, long sample, int seg, double t, double *alpha,
                    double *dalpha);
/* 1 if site a of sample i is observed (alpha = 0 for all t). */
int mtsi_path_observed(const mtsi_path *p, long sample, long a);

/* Site orders for sequential paths: fills stage[V] for an order on a
 * dim-dimensional lattice of side L and returns the number of stages, or a
 * negative mtsi_status with a message. spec: "raster" (one site per stage,
 * row-major), "column" (one lattice column per stage... i.e. sites sharing
 * the last coordinate), "row" (sites sharing the first coordinate),
 * "block:S" (S^dim blocks in raster order of blocks), "morton" (Z-order,
 * L a power of two, one site per stage), "random" (a permutation drawn
 * from seed), each optionally ":G" grouped into G stages of equal size,
 * e.g. "raster:16". */
int mtsi_order_stages(const char *spec, int dim, long L, uint64_t seed, int *stage);

/* ---- integrators ----------------------------------------------------- */

typedef enum {
    MTSI_INTEGRATOR_EULER = 0, /* ODE, order 1 */
    MTSI_INTEGRATOR_HEUN,      /* ODE, order 2 */
    MTSI_INTEGRATOR_RK4,       /* ODE, order 4 */
    MTSI_INTEGRATOR_EM         /* SDE, Euler-Maruyama */
} mtsi_integrator_kind;

typedef enum {
    MTSI_EPS_CONSTANT = 0,     /* eps(t) = eps */
    MTSI_EPS_LINEAR            /* eps(t) = eps (1 - t): noise switched off toward the data */
} mtsi_eps_schedule;

typedef struct {
    mtsi_integrator_kind kind;
    long steps;                /* steps per path segment */
    double eps;                /* SDE noise level (EM only) */
    mtsi_eps_schedule schedule;
    double t0, t1;             /* integrate from t0 to t1 (default 0, 1) */
} mtsi_integrate_opts;

void mtsi_integrate_defaults(mtsi_integrate_opts *o);
int mtsi_integrator_parse(const char *s, mtsi_integrator_kind *k);

/* Transports x (batch x V, holding X_{t0}) to X_{t1} along the path for
 * samples sample0 .. sample0 + batch - 1:
 *   ODE  dX = alpha' (.) b(alpha, X) dt
 *   SDE  dX = [alpha' (.) b - eps (X + (1 - alpha) (.) b)] dt + sqrt(2 eps alpha) dW
 * Sites with alpha = 0 and alpha' = 0 are not touched. rng is used by the
 * SDE only. Workspace is allocated per call (a few batch x V buffers). */
int mtsi_integrate(mtsi_drift *d, const mtsi_path *p, const mtsi_integrate_opts *o, long batch,
                   long sample0, double *x, mtsi_rng *rng);

/* X_{t0} for a path: alpha (.) x0 + (1 - alpha) (.) x1 with x0 ~ N(0, 1)
 * from rng; x1 (batch x V) is needed where alpha < 1 and may be NULL when
 * alpha = 1 everywhere at t0 (generation). */
int mtsi_path_init(const mtsi_path *p, double t0, long batch, long sample0, const double *x1,
                   mtsi_rng *rng, double *x);

#endif
