/* The Hadamard interpolant I_alpha = alpha (.) x0 + (1 - alpha) (.) x1 and
 * everything that transports with it (SPEC.md section 1): drifts, alpha
 * paths and ODE/SDE integrators.
 *
 * Conventions. A sample is a field of any shape (mtsi_shape.h): V = C * P
 * values, channel-major, last grid axis fastest (for a phi^4 lattice
 * V = L^dim sites in the row-major order of phi4/). Batches are
 * [batch][V]. Drifts and integrators take alpha per value ([batch][V]); a
 * path gives one alpha per grid point, repeated over its C channels, so
 * that a point is observed, noised or generated as a whole. alpha is in
 * [0, 1]; alpha = 0 marks a value that is known (observed or already
 * generated) and is held exactly fixed by every integrator.
 *
 * One field is learned: b(alpha, x) = E[x0 - x1 | I_alpha = x]; then
 * eta0 = x + (1 - alpha) b and eta1 = x - alpha b. */
#ifndef MTSI_INTERP_H
#define MTSI_INTERP_H

#include <stdint.h>

#include "mtsi_rng.h"
#include "mtsi_shape.h"

/* ---- drifts -------------------------------------------------------- */

typedef struct mtsi_drift mtsi_drift;

/* A back end: eval writes b(alpha, x) for a batch. It may be called with
 * any batch size; it allocates nothing after its first call with a batch
 * no larger than the largest seen so far. */
typedef struct {
    int (*eval)(void *self, long batch, const double *alpha, const double *x, double *b);
    void (*free)(void *self);
} mtsi_drift_ops;

/* Wrap a back end (takes ownership of self) for data of the given shape.
 * kind names it in messages and files ("gaussian", "gmm", "dense",
 * "neural", "posterior", ...). */
mtsi_drift *mtsi_drift_wrap(const mtsi_drift_ops *ops, void *self, const mtsi_shape *shape,
                            const char *kind);
void mtsi_drift_free(mtsi_drift *d);
int mtsi_drift_eval(mtsi_drift *d, long batch, const double *alpha, const double *x, double *b);
const mtsi_shape *mtsi_drift_shape(const mtsi_drift *d);
/* Number of grid axes and the size of the first (dim and L of a lattice). */
int mtsi_drift_dim(const mtsi_drift *d);
long mtsi_drift_L(const mtsi_drift *d);
/* Values per sample, V = C * P. */
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

/* Dense Gaussian back end (SPEC 1.2 with a full covariance) for data of any
 * shape: x1 ~ N(mean, cov), V = C * P values, cov V x V symmetric positive
 * definite (row-major). A uniform alpha is solved in the eigenbasis of cov,
 * a per-value alpha by a Cholesky factorisation of S. Copies its inputs. */
mtsi_drift *mtsi_drift_dense_new(const mtsi_shape *s, const double *mean, const double *cov);
/* The maximum-likelihood Gaussian of n samples [n][V]: mean and population
 * covariance, plus ridge * (mean variance) on the diagonal (ridge >= 0) so
 * that constant values (an image's border) keep cov positive definite. */
int mtsi_dense_fit(long V, long n, const double *x, double ridge, double *mean, double *cov);
/* Exact Gaussian conditioning: the law of x ~ N(mean, cov) given
 * y_a = x_a + N(0, noise_var) on the values with obs[a] != 0 (noise_var = 0:
 * exact observations). Writes the posterior mean [V] and, when pcov is not
 * NULL, covariance [V][V]. */
int mtsi_dense_condition(long V, const double *mean, const double *cov, const unsigned char *obs,
                         const double *y, double noise_var, double *pmean, double *pcov);
/* LAPACK helpers: eigen-decomposition of a symmetric matrix (A gets the
 * eigenvectors as rows, w the eigenvalues ascending), and Cholesky solve of
 * nrhs right-hand sides (B [nrhs][V]; A overwritten). */
int mtsi_dense_eigen(long V, double *A, double *w);
int mtsi_dense_solve(long V, double *A, int nrhs, double *B);

/* ---- alpha paths ----------------------------------------------------- */

/* A path gives alpha_t and d alpha_t / dt per site and sample, t in [0, 1].
 * Time is split into nseg equal segments (stages); integrators take their
 * steps per segment, so a kink of the path always falls on a step boundary. */
typedef struct mtsi_path mtsi_path;

/* Every path is for one data shape; masks, stages and tables give one
 * entry per grid point (P = mtsi_shape_points), and the path repeats it over
 * the C channels of the point.
 *
 * Generation: alpha_t = 1 - t everywhere. */
mtsi_path *mtsi_path_generate(const mtsi_shape *s);
/* Inpainting: alpha = 0 on observed points (mask 1), 1 - t elsewhere.
 * mask: [nmask][P]; sample i uses mask i % nmask. Copied. Mask values
 * must be 0 or 1. */
mtsi_path *mtsi_path_inpaint(const mtsi_shape *s, long nmask, const unsigned char *mask);
/* Inpainting from noisy observations y = x1 + sigma n (SPEC 6.1). An
 * observed point starts at alpha_s = sigma / (1 + sigma) (its value is
 * then y / (1 + sigma), the interpolant at alpha_s) and is held there
 * while the missing points go from 1 to alpha_s (stage 0: exact on every
 * fibre of the observed values, since they do not move); in stage 1 every
 * point goes from alpha_s to 0 together. Stage 1 is a uniform alpha, for
 * which the time reversal of the noising process is exact: the SDE with
 * eps = |alpha'| / (1 - alpha) (MTSI_EPS_REVERSAL). sigma = 0 is plain
 * inpainting. */
mtsi_path *mtsi_path_inpaint_noisy(const mtsi_shape *s, long nmask, const unsigned char *mask,
                                   double sigma);
/* Sequential: stage[a] in 0..nstage-1 gives the stage in which point a goes
 * from 1 to 0 (earlier stages' points stay at 0, later ones at 1). mask
 * (may be NULL) marks observed points, held at 0 throughout. */
mtsi_path *mtsi_path_sequential(const mtsi_shape *s, int nstage, const int *stage, long nmask,
                                const unsigned char *mask);
/* User path: alpha tabulated at t_j = j / (nt - 1), j = 0..nt-1 ([nt][P]),
 * linear in between (nt - 1 segments). Values must lie in [0, 1]. */
mtsi_path *mtsi_path_table(const mtsi_shape *s, long nt, const double *alpha);
void mtsi_path_free(mtsi_path *p);
/* Values per sample (C * P) and grid points (P). */
long mtsi_path_sites(const mtsi_path *p);
long mtsi_path_points(const mtsi_path *p);
/* The alpha at which observed points start (0 unless noisy). */
double mtsi_path_obs_alpha(const mtsi_path *p);
int mtsi_path_nseg(const mtsi_path *p);
/* alpha and dalpha/dt per value (V = C * P entries; either may be NULL) at
 * time t for sample i. Inside
 * segment k the derivative is the segment's; pass the segment explicitly
 * so that the value at a boundary belongs to the right side. */
void mtsi_path_eval(const mtsi_path *p, long sample, int seg, double t, double *alpha,
                    double *dalpha);
/* 1 if value a (0 <= a < V) of sample i belongs to an observed point
 * (alpha = 0 for all t, or held at the noisy start alpha). */
int mtsi_path_observed(const mtsi_path *p, long sample, long a);
/* 1 if value a of sample i is held fixed in segment seg although its alpha
 * is not 0 (a noisy observation waiting at alpha_s). */
int mtsi_path_held(const mtsi_path *p, long sample, int seg, long a);
/* 1 if segment seg must be integrated as the exact time reversal (the SDE
 * with MTSI_EPS_REVERSAL, whatever the integrator chosen): the last stage
 * of a noisy inpainting path. */
int mtsi_path_seg_reversal(const mtsi_path *p, int seg);

/* Point orders for sequential paths: fills stage[P] for an order on the
 * grid of `s` and returns the number of stages, or a negative mtsi_status
 * with a message. spec:
 *   "raster"   one point per stage, row-major (points in order on 1-D grids)
 *   "column"   points sharing the last coordinate, one column per stage
 *   "row"      points sharing the first coordinate, one row per stage
 *   "block:S"  S x S blocks (S points on 1-D grids) in raster order of blocks;
 *              S must divide every side
 *   "strips:S" bands of S rows (S points on 1-D grids), top to bottom
 *   "quadrants" the four quadrants in raster order (2-D, even sides)
 *   "morton"   Z-order (of the smallest power-of-two cube holding the grid,
 *              points outside it skipped), one point per stage
 *   "random"   a permutation drawn from seed
 * each optionally ":G" grouped into G stages of equal size, e.g.
 * "raster:16". */
int mtsi_order_stages(const char *spec, const mtsi_shape *s, uint64_t seed, int *stage);

/* ---- integrators ----------------------------------------------------- */

typedef enum {
    MTSI_INTEGRATOR_EULER = 0, /* ODE, order 1 */
    MTSI_INTEGRATOR_HEUN,      /* ODE, order 2 */
    MTSI_INTEGRATOR_RK4,       /* ODE, order 4 */
    MTSI_INTEGRATOR_EM         /* SDE, Euler-Maruyama */
} mtsi_integrator_kind;

typedef enum {
    MTSI_EPS_CONSTANT = 0,     /* eps(t) = eps */
    MTSI_EPS_LINEAR,           /* eps(t) = eps (1 - t): noise switched off toward the data */
    MTSI_EPS_RISE,             /* eps(t) = eps t: no noise at the start, most toward the
                                  data (with the sqrt(2 eps alpha) noise of SPEC 1: the
                                  noise peaks mid-path) */
    MTSI_EPS_REVERSAL          /* per value eps = |alpha'| / (1 - alpha): the exact time
                                  reversal of the noising process (finite for alpha < 1) */
} mtsi_eps_schedule;

typedef struct {
    mtsi_integrator_kind kind;
    long steps;                /* steps per path segment */
    double eps;                /* SDE noise level (EM only) */
    mtsi_eps_schedule schedule;
    double t0, t1;             /* integrate from t0 to t1 (default 0, 1) */
} mtsi_integrate_opts;

void mtsi_integrate_defaults(mtsi_integrate_opts *o);
/* "euler", "heun", "rk4" or "em" (the names mtsi_integrator_parse reads
 * and sample files record). */
const char *mtsi_integrator_name(mtsi_integrator_kind k);
/* "const", "linear" or "rise" (as mtsi sample --sde EPS:NAME takes it). */
const char *mtsi_eps_schedule_name(mtsi_eps_schedule s);
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
 * from rng; x1 (batch x V) is needed at observed sites (and on user paths
 * where alpha < 1) and may be NULL when the path observes nothing
 * (generation). Sites still to be sampled that start at 0 < alpha < 1
 * (t0 > 0) take alpha x0 + (1 - alpha) m0, m0 (V values, NULL: 0) the
 * mean of the law being sampled: see mtsi_generate_start_mean. */
int mtsi_path_init(const mtsi_path *p, double t0, long batch, long sample0, const double *x1,
                   const double *m0, mtsi_rng *rng, double *x);

#endif
