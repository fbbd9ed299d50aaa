/* Tests of the Gamma-method (mcmc/mtsi_gamma.h) against series whose
 * autocorrelations are known exactly.
 *
 * AR(1): x_{t+1} = rho x_t + sqrt(1 - rho^2) xi_t, x_0 ~ N(0, 1), so the
 * series is stationary from the start with unit variance,
 * Gamma(t) = rho^|t|, tau_int = (1/2)(1 + rho)/(1 - rho), and the variance
 * of the mean is asymptotically 2 tau_int / N.
 *
 * Tolerances are in the standard errors the method itself reports; each
 * check is one fixed-seed draw, so 3 sigma (0.3% two-sided for a Gaussian
 * estimate) keeps the suite stable without hiding a real bias: the window
 * is chosen so that its truncation bias stays below one sigma. */
#include "config.h"
#include "mtsi_err.h"
#include "mtsi_gamma.h"
#include "mtsi_rng.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static double *ar1(long n, double rho, uint64_t seed, uint64_t stream)
{
    mtsi_rng r;
    mtsi_rng_seed(&r, seed, stream);
    double *x = malloc((size_t)n * sizeof *x);
    ck_assert_ptr_nonnull(x);
    double s = sqrt(1 - rho * rho);
    x[0] = mtsi_rng_normal(&r);
    for (long i = 1; i < n; i++)
        x[i] = rho * x[i - 1] + s * mtsi_rng_normal(&r);
    return x;
}

static double tau_exact(double rho) { return 0.5 * (1 + rho) / (1 - rho); }

static void check_finite(const mtsi_gamma_result *r)
{
    ck_assert(isfinite(r->value));
    ck_assert(isfinite(r->err));
    ck_assert(isfinite(r->err_err));
    ck_assert(isfinite(r->tau_int));
    ck_assert(isfinite(r->tau_int_err));
    ck_assert(isfinite(r->bias));
    ck_assert(isfinite(r->gamma0));
}

static void check_ar1_tau(double rho, long n, uint64_t seed)
{
    double *x = ar1(n, rho, seed, 0);
    mtsi_gamma_result r;
    ck_assert_int_eq(mtsi_gamma_series(x, n, &r), MTSI_OK);
    check_finite(&r);
    ck_assert_int_eq(r.flags, 0);
    double te = tau_exact(rho);
    ck_assert_msg(fabs(r.tau_int - te) < 3 * r.tau_int_err,
                  "rho=%g: tau_int %g +- %g, exact %g", rho, r.tau_int, r.tau_int_err, te);
    /* The stated error of tau_int is meaningful, not vacuous: well below
     * tau_int itself at this N. */
    ck_assert(r.tau_int_err < 0.1 * te);
    /* Error of the mean vs the exact asymptotic sqrt(2 tau / N) (unit
     * variance); err_err is the method's own error of the error. */
    double se = sqrt(2 * te / (double)n);
    ck_assert_msg(fabs(r.err - se) < 3 * r.err_err, "rho=%g: err %g +- %g, exact %g", rho, r.err,
                  r.err_err, se);
    /* The mean itself is compatible with 0 within its error. */
    ck_assert_msg(fabs(r.value) < 4 * r.err, "mean %g err %g", r.value, r.err);
    free(x);
}

START_TEST(ar1_rho0)
{
    /* White noise: tau_int = 1/2. */
    check_ar1_tau(0.0, 100000, 11);
}
END_TEST

START_TEST(ar1_rho05)
{
    check_ar1_tau(0.5, 200000, 12);
}
END_TEST

START_TEST(ar1_rho09)
{
    check_ar1_tau(0.9, 400000, 13);
}
END_TEST

START_TEST(ar1_rho099)
{
    /* tau_int = 99.5: the window (~ 600) lies far beyond the direct-sum
     * lags, so this exercises the FFT path on a long series. */
    check_ar1_tau(0.99, 1000000, 14);
}
END_TEST

/* The FFT path gives the same Gamma as the direct sums, replica included. */
START_TEST(fft_matches_direct)
{
    const long len[2] = {7000, 13000};
    double *x = malloc(20000 * sizeof *x);
    ck_assert_ptr_nonnull(x);
    double *a = ar1(7000, 0.95, 81, 0), *b = ar1(13000, 0.95, 81, 1);
    memcpy(x, a, 7000 * sizeof *x);
    memcpy(x + 7000, b, 13000 * sizeof *x);
    mtsi_gamma_result rd, rf;
    mtsi_gamma *g = mtsi_gamma_new(1, 2, len);
    ck_assert_int_eq(mtsi_gamma_set_obs(g, 0, x), MTSI_OK);
    ck_assert_int_eq(mtsi_gamma_set_fft_lag(g, 100000), MTSI_OK);
    ck_assert_int_eq(mtsi_gamma_primary(g, 0, &rd), MTSI_OK);
    ck_assert_int_eq(mtsi_gamma_set_fft_lag(g, 0), MTSI_OK);
    ck_assert_int_eq(mtsi_gamma_primary(g, 0, &rf), MTSI_OK);
    /* twice: the FFT buffers are reused */
    ck_assert_int_eq(mtsi_gamma_primary(g, 0, &rf), MTSI_OK);
    ck_assert_int_eq(mtsi_gamma_set_fft_lag(g, -1), MTSI_EINVAL);
    mtsi_gamma_free(g);
    ck_assert_int_eq(rd.window, rf.window);
    ck_assert_int_gt(rd.window, 20);
    ck_assert_double_eq_tol(rd.tau_int, rf.tau_int, 1e-9 * rd.tau_int);
    ck_assert_double_eq_tol(rd.err, rf.err, 1e-9 * rd.err);
    free(a);
    free(b);
    free(x);
}
END_TEST

/* The reported error is honest: over many independent short series, the
 * spread of the means matches the mean reported variance. With K = 200
 * series the sample variance of the means has relative error sqrt(2/(K-1))
 * ~ 10%; 4 of those (40%) is the tolerance. */
START_TEST(ar1_error_coverage)
{
    const int K = 200;
    const long n = 2000;
    const double rho = 0.7;
    double s1 = 0, s2 = 0, v = 0;
    for (int k = 0; k < K; k++) {
        double *x = ar1(n, rho, 21, (uint64_t)k);
        mtsi_gamma_result r;
        ck_assert_int_eq(mtsi_gamma_series(x, n, &r), MTSI_OK);
        s1 += r.value;
        s2 += r.value * r.value;
        v += r.err * r.err;
        free(x);
    }
    double m = s1 / K;
    double var_emp = (s2 - K * m * m) / (K - 1);
    double var_rep = v / K;
    double rel = sqrt(2.0 / (K - 1));
    ck_assert_msg(fabs(var_emp / var_rep - 1) < 4 * rel, "empirical %g reported %g", var_emp,
                  var_rep);
}
END_TEST

/* Ratio of two AR(1) series sharing rho with correlated innovations:
 *   a = A + sa u, b = B + sb v, corr(u, v) = c.
 * The linearised fluctuation of a/b is delta = (a - A)/B - A (b - B)/B^2,
 * itself AR(1) with the same rho and variance
 *   s2 = sa^2/B^2 + A^2 sb^2/B^4 - 2 A sa sb c / B^3,
 * so the exact error of a/b is sqrt(2 tau s2 / N). */
struct ratio_ctx {
    int calls;
};

static double ratio(const double *ab, void *ctx)
{
    struct ratio_ctx *c = ctx;
    if (c)
        c->calls++;
    return ab[0] / ab[1];
}

static void ratio_grad(const double *ab, double *g, void *ctx)
{
    (void)ctx;
    g[0] = 1 / ab[1];
    g[1] = -ab[0] / (ab[1] * ab[1]);
}

START_TEST(derived_ratio)
{
    const long n = 200000;
    const double rho = 0.5, A = 2, B = 4, sa = 0.3, sb = 0.2, cc = 0.6;
    double *u = ar1(n, rho, 31, 0);
    double *w = ar1(n, rho, 31, 1);
    double *ab = malloc(2 * (size_t)n * sizeof *ab);
    ck_assert_ptr_nonnull(ab);
    for (long i = 0; i < n; i++) {
        /* v = c u + sqrt(1 - c^2) w is again AR(1) with the same rho. */
        double v = cc * u[i] + sqrt(1 - cc * cc) * w[i];
        ab[i] = A + sa * u[i];
        ab[n + i] = B + sb * v;
    }
    mtsi_gamma *g = mtsi_gamma_new(2, 1, &n);
    ck_assert_ptr_nonnull(g);
    ck_assert_int_eq(mtsi_gamma_set_obs(g, 0, ab), MTSI_OK);
    ck_assert_int_eq(mtsi_gamma_set_obs(g, 1, ab + n), MTSI_OK);

    struct ratio_ctx ctx = {0};
    mtsi_gamma_result rn, ra;
    ck_assert_int_eq(mtsi_gamma_derived(g, ratio, NULL, &ctx, &rn), MTSI_OK);
    ck_assert_int_gt(ctx.calls, 4); /* central differences were used */
    ck_assert_int_eq(mtsi_gamma_derived(g, ratio, ratio_grad, NULL, &ra), MTSI_OK);
    check_finite(&rn);
    ck_assert_int_eq(rn.flags, 0);

    /* f is smooth on the scale of the step (half an error bar): the
     * numerical and analytic gradients agree to O(h^2) ~ 1e-6 relative. */
    ck_assert_double_eq_tol(rn.err, ra.err, 1e-6 * ra.err);
    ck_assert_double_eq_tol(rn.tau_int, ra.tau_int, 1e-6);

    double s2 = sa * sa / (B * B) + A * A * sb * sb / (B * B * B * B) -
                2 * A * sa * sb * cc / (B * B * B);
    double exact = sqrt(2 * tau_exact(rho) * s2 / (double)n);
    ck_assert_msg(fabs(rn.err - exact) < 3 * rn.err_err, "ratio err %g +- %g, exact %g", rn.err,
                  rn.err_err, exact);
    ck_assert_msg(fabs(rn.tau_int - tau_exact(rho)) < 3 * rn.tau_int_err, "tau %g +- %g",
                  rn.tau_int, rn.tau_int_err);
    ck_assert_msg(fabs(rn.value - A / B) < 4 * rn.err, "ratio %g err %g", rn.value, rn.err);
    /* One replicum: no bias estimate. */
    ck_assert(rn.bias == 0);

    /* A primary is the derived quantity f(a) = a_0. */
    mtsi_gamma_result rp;
    ck_assert_int_eq(mtsi_gamma_primary(g, 0, &rp), MTSI_OK);
    ck_assert_double_eq_tol(rp.value, mtsi_gamma_mean(g, 0), 1e-15);
    mtsi_gamma_free(g);
    free(u);
    free(w);
    free(ab);
}
END_TEST

/* Several replica of different lengths give the same answer as one long
 * chain of the same total length (independent draws: compared within the
 * combined errors, 3 sigma), and both agree with the exact values. */
START_TEST(replica_vs_long)
{
    const double rho = 0.8;
    const long len[4] = {30000, 50000, 20000, 100000};
    long n = 0;
    for (int r = 0; r < 4; r++)
        n += len[r];
    double *all = malloc((size_t)n * sizeof *all);
    ck_assert_ptr_nonnull(all);
    long o = 0;
    for (int r = 0; r < 4; r++) {
        double *x = ar1(len[r], rho, 41, (uint64_t)r);
        for (long i = 0; i < len[r]; i++)
            all[o + i] = x[i];
        o += len[r];
        free(x);
    }
    mtsi_gamma *g = mtsi_gamma_new(1, 4, len);
    ck_assert_ptr_nonnull(g);
    ck_assert_int_eq(mtsi_gamma_nrep(g), 4);
    ck_assert_int_eq(mtsi_gamma_n(g), n);
    ck_assert_int_eq(mtsi_gamma_set_obs(g, 0, all), MTSI_OK);
    mtsi_gamma_result rr;
    ck_assert_int_eq(mtsi_gamma_primary(g, 0, &rr), MTSI_OK);
    mtsi_gamma_free(g);

    double *one = ar1(n, rho, 42, 0);
    mtsi_gamma_result r1;
    ck_assert_int_eq(mtsi_gamma_series(one, n, &r1), MTSI_OK);

    check_finite(&rr);
    ck_assert_int_eq(rr.flags, 0);
    double te = tau_exact(rho);
    ck_assert_msg(fabs(rr.tau_int - te) < 3 * rr.tau_int_err, "replica tau %g +- %g exact %g",
                  rr.tau_int, rr.tau_int_err, te);
    ck_assert_msg(fabs(rr.tau_int - r1.tau_int) <
                      3 * hypot(rr.tau_int_err, r1.tau_int_err),
                  "replica tau %g, long chain %g", rr.tau_int, r1.tau_int);
    ck_assert_msg(fabs(rr.err - r1.err) < 3 * hypot(rr.err_err, r1.err_err),
                  "replica err %g, long chain %g", rr.err, r1.err);

    /* Cutting the same data into replica (ignoring the links at the cuts)
     * hardly changes the estimate: Gamma(0) is identical and the lost
     * pairs are a fraction 3 W / N. */
    mtsi_gamma_result rj;
    ck_assert_int_eq(mtsi_gamma_series(all, n, &rj), MTSI_OK);
    ck_assert_double_eq_tol(rj.value, rr.value, 1e-12);
    ck_assert_double_eq_tol(rj.tau_int, rr.tau_int, 0.5 * rr.tau_int_err);
    free(all);
    free(one);
}
END_TEST

/* With several replica the bias of f(abar) is estimated from the replica
 * means: zero for a linear f; for f = a^2 it is of order Var(abar) ~ 1/N,
 * far below the error of f ~ 2 |abar| / sqrt(N). */
static double square(const double *a, void *ctx)
{
    (void)ctx;
    return a[0] * a[0];
}
static double twice(const double *a, void *ctx)
{
    (void)ctx;
    return 2 * a[0] + 1;
}

START_TEST(replica_bias)
{
    const long len[3] = {500, 700, 900};
    double *x = malloc(2100 * sizeof *x);
    ck_assert_ptr_nonnull(x);
    mtsi_rng rng;
    mtsi_rng_seed(&rng, 51, 0);
    for (int i = 0; i < 2100; i++)
        x[i] = 1 + mtsi_rng_normal(&rng);
    mtsi_gamma *g = mtsi_gamma_new(1, 3, len);
    ck_assert_ptr_nonnull(g);
    ck_assert_int_eq(mtsi_gamma_set_obs(g, 0, x), MTSI_OK);
    mtsi_gamma_result r;
    ck_assert_int_eq(mtsi_gamma_derived(g, twice, NULL, NULL, &r), MTSI_OK);
    /* Linear f: sum_r N_r f(abar_r)/N = f(abar) up to rounding. */
    ck_assert_double_eq_tol(r.bias, 0, 1e-12);
    ck_assert_int_eq(mtsi_gamma_derived(g, square, NULL, NULL, &r), MTSI_OK);
    check_finite(&r);
    /* The bias of abar^2 is Var(abar) ~ 1/N: far below the error ~ 2/sqrt(N). */
    ck_assert(fabs(r.bias) < r.err);
    mtsi_gamma_free(g);
    free(x);
}
END_TEST

/* Degenerate inputs: flags, never NaN. */
START_TEST(degenerate_constant)
{
    double x[1000];
    for (int i = 0; i < 1000; i++)
        x[i] = 1e6 + 0.1; /* an offset that a naive mean would not round-trip */
    mtsi_gamma_result r;
    ck_assert_int_eq(mtsi_gamma_series(x, 1000, &r), MTSI_OK);
    check_finite(&r);
    ck_assert(r.flags & MTSI_GAMMA_CONSTANT);
    ck_assert(r.value == 1e6 + 0.1);
    ck_assert(r.err == 0);
    ck_assert(r.tau_int == 0.5);
    ck_assert_str_eq(mtsi_gamma_flag_str(r.flags), "constant");

    /* A derived quantity of constants is constant too, with either gradient. */
    long n = 1000;
    mtsi_gamma *g = mtsi_gamma_new(2, 1, &n);
    ck_assert_int_eq(mtsi_gamma_set_obs(g, 0, x), MTSI_OK);
    ck_assert_int_eq(mtsi_gamma_set_obs(g, 1, x), MTSI_OK);
    ck_assert_int_eq(mtsi_gamma_derived(g, ratio, NULL, NULL, &r), MTSI_OK);
    check_finite(&r);
    ck_assert(r.flags & MTSI_GAMMA_CONSTANT);
    ck_assert(r.value == 1.0 && r.err == 0);
    ck_assert_int_eq(mtsi_gamma_derived(g, ratio, ratio_grad, NULL, &r), MTSI_OK);
    ck_assert(r.flags & MTSI_GAMMA_CONSTANT);
    mtsi_gamma_free(g);
}
END_TEST

START_TEST(degenerate_short)
{
    double x[3] = {1.0, 2.0, 4.0};
    mtsi_gamma_result r;
    ck_assert_int_eq(mtsi_gamma_series(x, 1, &r), MTSI_OK);
    check_finite(&r);
    ck_assert(r.flags & MTSI_GAMMA_TOO_SHORT);
    ck_assert(r.value == 1.0 && r.err == 0);
    for (long n = 2; n <= 3; n++) {
        ck_assert_int_eq(mtsi_gamma_series(x, n, &r), MTSI_OK);
        check_finite(&r);
        ck_assert(r.err > 0);
    }
    /* Many replica of length 1 (independent samples): no lag exists, W = 0. */
    long len[3] = {1, 1, 1};
    mtsi_gamma *g = mtsi_gamma_new(1, 3, len);
    ck_assert_ptr_nonnull(g);
    ck_assert_int_eq(mtsi_gamma_set_obs(g, 0, x), MTSI_OK);
    ck_assert_int_eq(mtsi_gamma_primary(g, 0, &r), MTSI_OK);
    check_finite(&r);
    ck_assert_int_eq(r.window, 0);
    ck_assert(r.err > 0);
    mtsi_gamma_free(g);
}
END_TEST

START_TEST(degenerate_pathological)
{
    /* Perfect anticorrelation: Gamma(1) = -Gamma(0), C_F(W) < 0. The naive
     * error is reported with a flag. */
    double x[64];
    for (int i = 0; i < 64; i++)
        x[i] = (i % 2) ? 1.0 : -1.0;
    mtsi_gamma_result r;
    ck_assert_int_eq(mtsi_gamma_series(x, 64, &r), MTSI_OK);
    check_finite(&r);
    ck_assert(r.flags & MTSI_GAMMA_NEGATIVE);
    ck_assert_double_eq_tol(r.err, sqrt(1.0 / 64), 1e-12);
    ck_assert(r.tau_int == 0.5);

    /* Replica much shorter than their autocorrelation (each one frozen at
     * its own value): rho(t) = 1 up to the largest lag, half a replicum, so
     * no window is found there, and the flag says so. */
    long len[100];
    double y[400];
    mtsi_rng rng;
    mtsi_rng_seed(&rng, 71, 0);
    for (int k = 0; k < 100; k++) {
        len[k] = 4;
        double v = mtsi_rng_normal(&rng);
        for (int i = 0; i < 4; i++)
            y[4 * k + i] = v;
    }
    mtsi_gamma *g = mtsi_gamma_new(1, 100, len);
    ck_assert_ptr_nonnull(g);
    ck_assert_int_eq(mtsi_gamma_set_obs(g, 0, y), MTSI_OK);
    ck_assert_int_eq(mtsi_gamma_primary(g, 0, &r), MTSI_OK);
    check_finite(&r);
    ck_assert(r.flags & MTSI_GAMMA_NO_WINDOW);
    ck_assert_int_eq(r.window, 2);
    ck_assert(r.err > 0);
    mtsi_gamma_free(g);
}
END_TEST

static double bad_sqrt(const double *a, void *ctx)
{
    (void)ctx;
    return sqrt(a[0]);
}

START_TEST(bad_input)
{
    long n = 4, zero = 0;
    ck_assert_ptr_null(mtsi_gamma_new(0, 1, &n));
    ck_assert_int_eq(mtsi_error_code(), MTSI_EINVAL);
    ck_assert_ptr_null(mtsi_gamma_new(1, 1, &zero));
    ck_assert_ptr_null(mtsi_gamma_new(1, 0, &n));

    mtsi_gamma *g = mtsi_gamma_new(1, 1, &n);
    ck_assert_ptr_nonnull(g);
    double x[4] = {1, 2, NAN, 3};
    ck_assert_int_eq(mtsi_gamma_set_obs(g, 0, x), MTSI_EINVAL);
    ck_assert_ptr_nonnull(strstr(mtsi_error_msg(), "measurement 2"));
    mtsi_gamma_result r;
    /* Unset data is refused, not analysed. */
    ck_assert_int_eq(mtsi_gamma_primary(g, 0, &r), MTSI_EINVAL);
    ck_assert_int_eq(mtsi_gamma_primary(g, 1, &r), MTSI_EINVAL);
    ck_assert_int_eq(mtsi_gamma_set_obs(g, 3, x), MTSI_EINVAL);
    ck_assert_int_eq(mtsi_gamma_set_stau(g, -1), MTSI_EINVAL);

    /* sqrt of a negative mean: refused, flagged, value 0, no NaN. */
    double y[4] = {-1, -2, -3, -4.5};
    ck_assert_int_eq(mtsi_gamma_set_obs(g, 0, y), MTSI_OK);
    ck_assert_int_eq(mtsi_gamma_derived(g, bad_sqrt, NULL, NULL, &r), MTSI_EINVAL);
    ck_assert(r.flags & MTSI_GAMMA_UNDEFINED);
    check_finite(&r);
    ck_assert(r.value == 0);

    /* S_tau = 0: no window, tau_int = 1/2 exactly. */
    ck_assert_int_eq(mtsi_gamma_set_stau(g, 0), MTSI_OK);
    ck_assert_int_eq(mtsi_gamma_primary(g, 0, &r), MTSI_OK);
    ck_assert_int_eq(r.window, 0);
    ck_assert_double_eq_tol(r.tau_int, 0.5, 1e-15);
    mtsi_gamma_free(g);
    mtsi_gamma_free(NULL);
}
END_TEST

/* Bootstrap of the mean of independent normals: the resampling error is
 * s sqrt((n-1)/n) / sqrt(n) up to the Monte Carlo error of nboot resamples,
 * relative sqrt(1/(2 nboot)) ~ 1.1%; tolerance 4 of those. */
START_TEST(bootstrap_mean)
{
    const long n = 1000, nboot = 4000;
    double *x = malloc(2 * (size_t)n * sizeof *x);
    ck_assert_ptr_nonnull(x);
    mtsi_rng rng;
    mtsi_rng_seed(&rng, 61, 0);
    for (long i = 0; i < 2 * n; i++)
        x[i] = 3 + 2 * mtsi_rng_normal(&rng);
    double m = 0, s = 0;
    for (long i = 0; i < n; i++)
        m += x[i];
    m /= (double)n;
    for (long i = 0; i < n; i++)
        s += (x[i] - m) * (x[i] - m);
    double se = sqrt(s / (double)n) / sqrt((double)n);
    double v, e;
    ck_assert_int_eq(mtsi_gamma_bootstrap(x, n, 1, NULL, NULL, nboot, 7, &v, &e), MTSI_OK);
    ck_assert_double_eq_tol(v, m, 1e-12);
    double rel = sqrt(1.0 / (2.0 * (double)nboot));
    ck_assert_msg(fabs(e / se - 1) < 4 * rel, "bootstrap %g vs %g", e, se);

    /* Same seed, same answer. */
    double v2, e2;
    ck_assert_int_eq(mtsi_gamma_bootstrap(x, n, 1, NULL, NULL, nboot, 7, &v2, &e2), MTSI_OK);
    ck_assert(e2 == e && v2 == v);

    /* Ratio of two independent means: agrees with the Gamma-method's
     * linearised error (independent data, W ~ 0) within the bootstrap's
     * Monte Carlo error plus the O(1/sqrt(n)) nonlinearity; 4 rel + 3%. */
    ck_assert_int_eq(mtsi_gamma_bootstrap(x, n, 2, ratio, NULL, nboot, 8, &v, &e), MTSI_OK);
    mtsi_gamma *g = mtsi_gamma_new(2, 1, &n);
    ck_assert_int_eq(mtsi_gamma_set_obs(g, 0, x), MTSI_OK);
    ck_assert_int_eq(mtsi_gamma_set_obs(g, 1, x + n), MTSI_OK);
    mtsi_gamma_result r;
    ck_assert_int_eq(mtsi_gamma_set_stau(g, 0), MTSI_OK);
    ck_assert_int_eq(mtsi_gamma_derived(g, ratio, ratio_grad, NULL, &r), MTSI_OK);
    ck_assert_double_eq_tol(v, r.value, 1e-12);
    ck_assert_msg(fabs(e / r.err - 1) < 4 * rel + 0.03, "bootstrap %g gamma %g", e, r.err);
    mtsi_gamma_free(g);

    ck_assert_int_eq(mtsi_gamma_bootstrap(x, n, 2, NULL, NULL, nboot, 7, &v, &e), MTSI_EINVAL);
    ck_assert_int_eq(mtsi_gamma_bootstrap(x, n, 1, NULL, NULL, 1, 7, &v, &e), MTSI_EINVAL);
    free(x);
}
END_TEST

static Suite *gamma_suite(void)
{
    Suite *s = suite_create("gamma");
    TCase *tc = tcase_create("ar1");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, ar1_rho0);
    tcase_add_test(tc, ar1_rho05);
    tcase_add_test(tc, ar1_rho09);
    tcase_add_test(tc, ar1_rho099);
    tcase_add_test(tc, fft_matches_direct);
    tcase_add_test(tc, ar1_error_coverage);
    tcase_add_test(tc, derived_ratio);
    tcase_add_test(tc, replica_vs_long);
    tcase_add_test(tc, replica_bias);
    suite_add_tcase(s, tc);
    TCase *td = tcase_create("degenerate");
    tcase_add_test(td, degenerate_constant);
    tcase_add_test(td, degenerate_short);
    tcase_add_test(td, degenerate_pathological);
    tcase_add_test(td, bad_input);
    tcase_add_test(td, bootstrap_mean);
    suite_add_tcase(s, td);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(gamma_suite());
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
