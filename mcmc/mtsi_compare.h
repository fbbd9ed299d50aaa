/* Two-sample statistics for comparing ensembles (`mtsi compare`):
 * z-scores of two estimates with errors, the two-sample Kolmogorov-Smirnov
 * test and the Wasserstein-1 distance between empirical distributions.
 *
 * The KS p-value is asymptotic and assumes independent samples: for a
 * Markov chain the caller passes effective sizes (e.g. N / (2 tau_int)). */
#ifndef MTSI_COMPARE_H
#define MTSI_COMPARE_H

/* Kolmogorov distribution tail Q(lambda) = P(K > lambda)
 *   = 2 sum_{j>=1} (-1)^(j-1) exp(-2 j^2 lambda^2)
 *   = 1 - sqrt(2 pi)/lambda sum_{j>=1} exp(-(2j-1)^2 pi^2 / (8 lambda^2)),
 * the second form used for small lambda where the first converges slowly.
 * Q(lambda <= 0) = 1. Q(1.0) = 0.27, Q(1.36) = 0.049. */
double mtsi_compare_kolmogorov_q(double lambda);

/* KS statistic D = sup_x |F_x(t) - F_y(t)| of two samples of sizes n, m
 * (>= 1; values finite). Sorts copies: allocates, may fail (ENOMEM). */
int mtsi_compare_ks_stat(const double *x, long n, const double *y, long m, double *D);

/* Asymptotic p-value of D for sample sizes n, m (effective sizes may be
 * fractional): Q((sqrt(ne) + 0.12 + 0.11/sqrt(ne)) D), ne = n m / (n + m)
 * (Stephens' finite-size correction, as in Numerical Recipes). */
double mtsi_compare_ks_p(double D, double n, double m);

/* Wasserstein-1 distance between the empirical distributions of x and y,
 * W1 = integral |F_x(t) - F_y(t)| dt, exact (merged sorted samples).
 * Allocates. */
int mtsi_compare_w1(const double *x, long n, const double *y, long m, double *w1);

/* z = (a - b) / sqrt(ea^2 + eb^2). When both errors are 0 the answer is 0
 * for a == b and not finite (NAN) otherwise: the caller reports null. */
double mtsi_compare_z(double a, double ea, double b, double eb);

#endif
