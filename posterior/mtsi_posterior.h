/* Posterior sampling with the prior's drift (SPEC.md section 2).
 *
 * Reward r(x) = sum_a (A_a x_a^2 / 2 + h_a x_a), posterior mu_r ~ e^r mu.
 * Per site, with rho = (1 - alpha)/alpha:
 *   rho_r^2 = rho^2 - A,  alpha_r = 1/(1 + rho_r),  beta_r = rho_r/(1 + rho_r),
 *   x_r = (alpha_r^2 / beta_r) ((1 - alpha)/alpha^2 x + h),
 *   eta1_r = x_r - alpha_r b(alpha_r, x_r),  b_r = (x - eta1_r) / alpha.
 * A > 0 needs rho^2 >= A, i.e. alpha <= 1/(1 + sqrt(A)); A = 0 with h != 0
 * makes x_r diverge as alpha -> 1 (paths then start at t_min > 0). */
#ifndef MTSI_POSTERIOR_H
#define MTSI_POSTERIOR_H

#include "mtsi_interp.h"

typedef struct {
    double h, A;           /* uniform field and quadratic tilt */
    const double *h_site;  /* per-site values (length V) override h / A */
    const double *A_site;
} mtsi_reward;

/* Per-site closed form: writes alpha_r and the coefficients of
 *   x_r = c x + d h,   b_r = k1 x + k2 h + q b(alpha_r, x_r)
 * for 0 < alpha <= 1 (alpha = 0 is an observed site: alpha_r = 0, x_r = x,
 * b_r = b(0, x)). Returns MTSI_EINVAL when (alpha, A) is infeasible
 * (rho^2 < A) or when A = 0, h != 0 and alpha = 1 (x_r infinite). */
typedef struct {
    double alpha_r, beta_r, c, d, k1, k2, q;
} mtsi_posterior_coef;
int mtsi_posterior_coef_at(double alpha, double A, double h, mtsi_posterior_coef *co);

/* One site of a training sample drawn from a tilted law (x1 ~ p1 e^{r},
 * mtsi train --stream-tilt): with I = alpha x0 + (1 - alpha) x1 and the
 * coefficients above, the prior's drift at (alpha_r, x_r = c I + d h) is the
 * conditional mean of (x0 - x1 - k1 I - k2 h) / q given that input, since
 * b_r(alpha, I) = E[x0 - x1 | I] under the tilted law. Writes alpha_r, the
 * input x_r and that target; the same errors as mtsi_posterior_coef_at. */
int mtsi_posterior_train_site(double alpha, double A, double h, double x0, double x1,
                              double *alpha_r, double *x_r, double *target);

/* The largest alpha at which A is feasible: 1/(1 + sqrt(A)) for A > 0, 1 else. */
double mtsi_posterior_alpha_max(double A);

/* Checks, before any sampling, that the reward is feasible along the whole
 * path from t0 for the first nsample samples (all masks): every site that is
 * not observed must keep alpha <= alpha_max(A) (checked at every path knot,
 * where alpha is largest on each linear piece), and alpha < 1 where A = 0
 * and h != 0. The message states the admissible alpha range and the
 * smallest t_min that would do. */
int mtsi_posterior_check(const mtsi_path *p, long nsample, const mtsi_reward *r, double t0);

/* A drift for the posterior: wraps base (not owned; it must outlive the
 * result). Works with every integrator and path. */
mtsi_drift *mtsi_drift_posterior_new(mtsi_drift *base, const mtsi_reward *r);
/* Largest |x_r| fed to the base drift so far (a network is only trusted
 * near its training range). */
double mtsi_posterior_max_xr(mtsi_drift *post);

#endif
