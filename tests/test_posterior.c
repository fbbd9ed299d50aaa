/* Posterior sampling with the prior's drift (SPEC.md section 2).
 * Statistical checks: fixed seeds, 4 standard errors (independent samples). */
#include "config.h"
#include "test_shape.h"

#include <check.h>
#include <fftw3.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtsi_err.h"
#include "mtsi_generate.h"
#include "mtsi_interp.h"
#include "mtsi_phi4.h"
#include "mtsi_posterior.h"
#include "mtsi_rng.h"

#define NSIGMA 4.0

static double rel(double a, double b)
{
    return fabs(a - b) / fmax(1.0, fabs(b));
}

/* (alpha_r, beta_r, x_r) put back into SPEC 2's equations. */
START_TEST(solver_round_trip)
{
    const double alphas[] = {1e-8, 1e-5, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.999, 1.0};
    const double As[] = {-3.0, -0.5, 0.0, 0.2, 1.5};
    const double hs[] = {-1.0, 0.0, 0.7};
    const double xs[] = {-2.0, 0.3, 5.0};
    long checked = 0;
    for (size_t i = 0; i < sizeof alphas / sizeof *alphas; i++)
        for (size_t j = 0; j < sizeof As / sizeof *As; j++)
            for (size_t k = 0; k < sizeof hs / sizeof *hs; k++) {
                double al = alphas[i], A = As[j], h = hs[k];
                mtsi_posterior_coef co;
                int rc = mtsi_posterior_coef_at(al, A, h, &co);
                int feasible = al <= mtsi_posterior_alpha_max(A) && !(A == 0 && h != 0 && al == 1) &&
                               !(A > 0 && al == mtsi_posterior_alpha_max(A));
                if (!feasible) {
                    ck_assert_int_eq(rc, MTSI_EINVAL);
                    continue;
                }
                ck_assert_msg(rc == 0, "alpha=%g A=%g h=%g: %s", al, A, h, mtsi_error_msg());
                if (al < 1e-9)
                    continue; /* the alpha -> 0 limit is handled separately below */
                double rho = (1 - al) / al, ar = co.alpha_r, br = co.beta_r;
                /* beta_r = 1 - alpha_r and rho_r^2 = rho^2 - A */
                ck_assert_msg(rel(ar + br, 1.0) < 1e-12, "alpha_r + beta_r");
                double rr = br / ar;
                ck_assert_msg(rel(rr * rr, rho * rho - A) < 1e-12 * fmax(1, rho * rho),
                              "alpha=%g A=%g: rho_r^2 = %.17g, rho^2 - A = %.17g", al, A, rr * rr,
                              rho * rho - A);
                for (size_t m = 0; m < sizeof xs / sizeof *xs; m++) {
                    double x = xs[m];
                    double xr = co.c * x + co.d * h;
                    double want = ar * ar / br * ((1 - al) / (al * al) * x + h);
                    if (A == 0 && al == 1)
                        want = x; /* h = 0 here: x_r = x */
                    ck_assert_msg(rel(xr, want) < 1e-12 * fmax(1, fabs(want)),
                                  "alpha=%g A=%g h=%g x=%g: x_r %.17g vs %.17g", al, A, h, x, xr,
                                  want);
                    /* b_r from the coefficients equals (x - eta1_r)/alpha for any prior b */
                    double bprior = 0.37 * x - 0.2;
                    double eta1 = xr - ar * bprior;
                    double br_direct = (x - eta1) / al;
                    double br_coef = co.k1 * x + co.k2 * h + co.q * bprior;
                    ck_assert_msg(rel(br_coef, br_direct) < 1e-9 * fmax(1, fabs(xr) / al),
                                  "alpha=%g A=%g h=%g: b_r %.17g vs %.17g", al, A, h, br_coef,
                                  br_direct);
                    checked++;
                }
            }
    ck_assert_int_gt(checked, 200);
    /* alpha -> 0: b_r -> b(0, x), continuous from above */
    mtsi_posterior_coef c0, c1;
    ck_assert_int_eq(mtsi_posterior_coef_at(0.0, -1.0, 0.5, &c0), 0);
    ck_assert_int_eq(mtsi_posterior_coef_at(1e-7, -1.0, 0.5, &c1), 0);
    ck_assert_double_eq_tol(c0.q, c1.q, 1e-6);
    ck_assert_double_eq_tol(c0.k1, c1.k1, 1e-6);
    ck_assert_double_eq_tol(c0.k2 * 0.5, c1.k2 * 0.5, 1e-6);
}
END_TEST

/* ---- Gaussian prior: exact posterior ---------------------------------- */

typedef struct {
    mtsi_phi4_params lat;
    double ck[64], m[16];
} gprior;

static void make_prior(gprior *g)
{
    memset(&g->lat, 0, sizeof g->lat);
    ck_assert_int_eq(mtsi_phi4_set_lattice(&g->lat, 2, 4), 0);
    mtsi_phi4_lambda_half(&g->lat, g->ck);
    for (long k = 0; k < mtsi_phi4_nhalf(&g->lat); k++)
        g->ck[k] = 1.0 / (1.0 * g->ck[k] + 0.6);
    for (int a = 0; a < 16; a++)
        g->m[a] = 0.1;
}

/* The dense 16 x 16 covariance of a translation-invariant law on the 4 x 4
 * lattice from its half spectrum ck (index kx * 3 + ky, ky <= 2). */
static void dense_cov(const double *ck, double *C)
{
    const long V = 16;
    for (long a = 0; a < V; a++)
        for (long b = 0; b < V; b++) {
            long dx = (a / 4 - b / 4 + 4) % 4, dy = (a % 4 - b % 4 + 4) % 4;
            double s = 0;
            for (int kx = 0; kx < 4; kx++)
                for (int ky = 0; ky < 4; ky++) {
                    int hx = kx, hy = ky;
                    if (hy > 2) {
                        hy = (4 - ky) % 4;
                        hx = (4 - kx) % 4;
                    }
                    s += ck[hx * 3 + hy] * cos(2 * M_PI * (kx * dx + ky * dy) / 4.0);
                }
            C[a * V + b] = s / V;
        }
}

static double *sample_post(mtsi_drift *post, const mtsi_path *p, double tmin, long n, uint64_t seed)
{
    const long V = mtsi_drift_sites(post);
    double *x = malloc(n * V * sizeof(double));
    mtsi_integrate_opts o;
    mtsi_integrate_defaults(&o);
    o.kind = MTSI_INTEGRATOR_RK4;
    o.steps = 40;
    o.t0 = tmin;
    mtsi_rng r;
    mtsi_rng_seed(&r, seed, 0);
    for (long i0 = 0; i0 < n; i0 += 100) {
        ck_assert_int_eq(mtsi_path_init(p, tmin, 100, i0, NULL, NULL, &r, x + i0 * V), 0);
        ck_assert_msg(mtsi_integrate(post, p, &o, 100, i0, x + i0 * V, &r) == 0, "%s",
                      mtsi_error_msg());
    }
    return x;
}

/* Uniform reward: C_r,k = 1/(1/C_k - A), m_r = C_r,0 (m/C_0 + h) (uniform). */
static void uniform_case(double h, double A, double tmin, uint64_t seed)
{
    gprior g;
    make_prior(&g);
    const long V = 16, nh = mtsi_phi4_nhalf(&g.lat), n = 6000;
    mtsi_drift *prior = mtsi_drift_gaussian_new(2, 4, g.m, g.ck);
    mtsi_reward rw = {h, A, NULL, NULL};
    mtsi_drift *post = mtsi_drift_posterior_new(prior, &rw);
    mtsi_path *p = mtsi_path_generate(shp_flat(V));
    ck_assert_int_eq(mtsi_posterior_check(p, 1, &rw, tmin), 0);
    double *x = sample_post(post, p, tmin, n, seed);
    double cr[64];
    for (long k = 0; k < nh; k++)
        cr[k] = 1.0 / (1.0 / g.ck[k] - A);
    double mr = cr[0] * (g.m[0] / g.ck[0] + h);
    /* per-mode second moments and the site mean */
    double *in = fftw_alloc_real(V);
    fftw_complex *F = fftw_alloc_complex(nh);
    int dims[2] = {4, 4};
    fftw_plan pl = fftw_plan_dft_r2c(2, dims, in, F, FFTW_ESTIMATE);
    double s1[64] = {0}, s2[64] = {0}, msum = 0, msum2 = 0;
    for (long i = 0; i < n; i++) {
        memcpy(in, x + i * V, V * sizeof(double));
        double M = 0;
        for (long a = 0; a < V; a++)
            M += in[a] / V;
        msum += M;
        msum2 += M * M;
        fftw_execute(pl);
        for (long k = 0; k < nh; k++) {
            double v = (F[k][0] * F[k][0] + F[k][1] * F[k][1]) / V;
            s1[k] += v;
            s2[k] += v * v;
        }
    }
    double Mm = msum / n, Mse = sqrt((msum2 / n - Mm * Mm) / (n - 1));
    ck_assert_msg(fabs(Mm - mr) < NSIGMA * Mse, "h=%g A=%g: <M> = %.5f +- %.5f, exact %.5f", h, A,
                  Mm, Mse, mr);
    for (long k = 0; k < nh; k++) {
        double mu = s1[k] / n, se = sqrt((s2[k] / n - mu * mu) / (n - 1));
        double want = cr[k] + (k == 0 ? V * mr * mr : 0.0);
        ck_assert_msg(fabs(mu - want) < NSIGMA * se,
                      "h=%g A=%g: mode %ld <|phi_k|^2> = %.5f +- %.5f, exact %.5f", h, A, k, mu, se,
                      want);
    }
    fprintf(stderr, "posterior h=%g A=%g: <M> = %.5f +- %.5f (exact %.5f), max |x_r| = %.3g\n", h, A,
            Mm, Mse, mr, mtsi_posterior_max_xr(post));
    fftw_destroy_plan(pl);
    fftw_free(in);
    fftw_free(F);
    free(x);
    mtsi_path_free(p);
    mtsi_drift_free(post);
    mtsi_drift_free(prior);
}

START_TEST(gaussian_field)
{
    uniform_case(0.3, 0.0, 1e-4, 11);
}
END_TEST

START_TEST(gaussian_quad)
{
    uniform_case(0.0, -0.8, 0.0, 12);
}
END_TEST

START_TEST(gaussian_field_and_quad)
{
    uniform_case(-0.25, -0.4, 0.0, 13);
}
END_TEST

/* A field with A = 0 starts at t_min > 0. Started at alpha x0 + (1 - alpha) m
 * with m the posterior mean from the pilot passes (mtsi_generate), the
 * error is O(t_min^2); with m = 0 (no pilot) the start's mean is short by
 * (1 - alpha) m_r, which the soft zero mode carries to the end. At
 * t_min = 0.05, h = 0.6 (m_r = 1.1 per site), n = 6000: the pilot's <M> and
 * mode variances are within 4 standard errors of the exact posterior, and
 * m = 0's <M> is more than 4 away (the check discriminates). */
static double tmin_case(int passes, int check_modes)
{
    gprior g;
    make_prior(&g);
    const long V = 16, nh = mtsi_phi4_nhalf(&g.lat), n = 6000;
    const double h = 0.6;
    mtsi_drift *prior = mtsi_drift_gaussian_new(2, 4, g.m, g.ck);
    mtsi_reward rw = {h, 0, NULL, NULL};
    mtsi_integrate_opts o;
    mtsi_integrate_defaults(&o);
    o.kind = MTSI_INTEGRATOR_RK4;
    o.steps = 40;
    o.t0 = 0.05;
    double *x = malloc(n * V * sizeof(double));
    ck_assert_msg(mtsi_generate_pilot(prior, V, &rw, &o, n, 100, 31, passes, x, NULL) == 0, "%s",
                  mtsi_error_msg());
    double mr = g.m[0] + g.ck[0] * h, msum = 0, msum2 = 0;
    for (long i = 0; i < n; i++) {
        double M = 0;
        for (long a = 0; a < V; a++)
            M += x[i * V + a] / V;
        msum += M;
        msum2 += M * M;
    }
    double Mm = msum / n, Mse = sqrt((msum2 / n - Mm * Mm) / (n - 1)), z = (Mm - mr) / Mse;
    fprintf(stderr, "t_min 0.05, %d pilot passes: <M> = %.5f +- %.5f (exact %.5f), z = %.2f\n",
            passes, Mm, Mse, mr, z);
    if (check_modes) {
        double *in = fftw_alloc_real(V);
        fftw_complex *F = fftw_alloc_complex(nh);
        int dims[2] = {4, 4};
        fftw_plan pl = fftw_plan_dft_r2c(2, dims, in, F, FFTW_ESTIMATE);
        double s1[64] = {0}, s2[64] = {0};
        for (long i = 0; i < n; i++) {
            for (long a = 0; a < V; a++)
                in[a] = x[i * V + a] - mr;
            fftw_execute(pl);
            for (long k = 0; k < nh; k++) {
                double v = (F[k][0] * F[k][0] + F[k][1] * F[k][1]) / V;
                s1[k] += v;
                s2[k] += v * v;
            }
        }
        for (long k = 0; k < nh; k++) {
            double mu = s1[k] / n, se = sqrt((s2[k] / n - mu * mu) / (n - 1));
            ck_assert_msg(fabs(mu - g.ck[k]) < NSIGMA * se,
                          "t_min 0.05: mode %ld <|phi_k - m_r|^2> = %.5f +- %.5f, exact %.5f", k,
                          mu, se, g.ck[k]);
        }
        fftw_destroy_plan(pl);
        fftw_free(in);
        fftw_free(F);
    }
    free(x);
    mtsi_drift_free(prior);
    return z;
}

START_TEST(tmin_start_mean)
{
    double z = tmin_case(2, 1);
    ck_assert_msg(fabs(z) < NSIGMA, "with the pilot's start mean: z(<M>) = %.2f", z);
    z = tmin_case(0, 0);
    ck_assert_msg(fabs(z) > NSIGMA, "start mean 0 should be off at t_min 0.05: z(<M>) = %.2f", z);
}
END_TEST

/* Training on a tilted law (mtsi train --stream-tilt): for a Gaussian prior
 * N(m, C) the posterior N(m_r, C_r) is sampled exactly (Cholesky), each
 * site mapped by mtsi_posterior_train_site, and the residual target -
 * b(alpha_r, x_r) of the prior's exact drift must have mean 0 and no
 * correlation with the input x_r (it is x0 - x1 minus its conditional mean)
 * within 4 standard errors. Dropping the k2 h term or feeding I instead of x_r
 * breaks one of the two. */
static void tilt_pair_case(double h, double A, double alpha, uint64_t seed)
{
    gprior g;
    make_prior(&g);
    const long V = 16, n = 20000;
    double cr[64], Cr[256], Lc[256];
    for (long k = 0; k < mtsi_phi4_nhalf(&g.lat); k++)
        cr[k] = 1.0 / (1.0 / g.ck[k] - A);
    const double mr = cr[0] * (g.m[0] / g.ck[0] + h);
    dense_cov(cr, Cr); /* dense C_r from its spectrum */
    for (long i = 0; i < V; i++) /* Cholesky C_r = Lc Lc^T */
        for (long j = 0; j <= i; j++) {
            double s = Cr[i * V + j];
            for (long k = 0; k < j; k++)
                s -= Lc[i * V + k] * Lc[j * V + k];
            Lc[i * V + j] = i == j ? sqrt(s) : s / Lc[j * V + j];
        }
    mtsi_drift *prior = mtsi_drift_gaussian_new(2, 4, g.m, g.ck);
    mtsi_rng r;
    mtsi_rng_seed(&r, seed, 0);
    double xi[16], x1[16], ar[16], xr[16], y[16], b[16];
    double s1 = 0, s2 = 0, sxy = 0, sx = 0, sxx = 0;
    for (long i = 0; i < n; i++) {
        for (long a = 0; a < V; a++)
            xi[a] = mtsi_rng_normal(&r);
        for (long a = 0; a < V; a++) {
            x1[a] = mr;
            for (long k = 0; k <= a; k++)
                x1[a] += Lc[a * V + k] * xi[k];
        }
        for (long a = 0; a < V; a++)
            ck_assert_int_eq(mtsi_posterior_train_site(alpha, A, h, mtsi_rng_normal(&r), x1[a],
                                                       &ar[a], &xr[a], &y[a]),
                             0);
        ck_assert_int_eq(mtsi_drift_eval(prior, 1, ar, xr, b), 0);
        for (long a = 0; a < V; a++) {
            double e = y[a] - b[a];
            s1 += e;
            s2 += e * e;
            sx += xr[a];
            sxx += xr[a] * xr[a];
            sxy += e * xr[a];
        }
    }
    const double N = (double)(n * V), me = s1 / N, ve = s2 / N - me * me;
    const double mx = sx / N, vx = sxx / N - mx * mx, cov = sxy / N - me * mx;
    /* sites of one sample are correlated: standard errors from n, not N */
    const double se_m = sqrt(ve / n), se_c = sqrt(ve * vx / n);
    fprintf(stderr, "tilted training pair h=%g A=%g alpha=%g: residual mean %.2e +- %.1e, "
                    "cov with x_r %.2e +- %.1e\n",
            h, A, alpha, me, se_m, cov, se_c);
    ck_assert_msg(fabs(me) < NSIGMA * se_m, "residual mean %.3e +- %.1e", me, se_m);
    ck_assert_msg(fabs(cov) < NSIGMA * se_c, "residual-input covariance %.3e +- %.1e", cov, se_c);
    mtsi_drift_free(prior);
}

START_TEST(tilted_training_pairs)
{
    tilt_pair_case(0.4, 0.0, 0.9, 41);
    tilt_pair_case(0.0, -0.8, 0.6, 42);
    tilt_pair_case(-0.3, -0.5, 0.97, 43);
}
END_TEST

/* Per-site field: m_r = m + C h (A = 0), per site. */
START_TEST(gaussian_site_field)
{
    gprior g;
    make_prior(&g);
    const long V = 16, n = 6000;
    double hs[16], C[256];
    for (int a = 0; a < 16; a++)
        hs[a] = (a % 4 == 0) ? 0.6 : (a == 5 ? -0.4 : 0.0);
    dense_cov(g.ck, C);
    mtsi_drift *prior = mtsi_drift_gaussian_new(2, 4, g.m, g.ck);
    mtsi_reward rw = {0, 0, hs, NULL};
    mtsi_drift *post = mtsi_drift_posterior_new(prior, &rw);
    mtsi_path *p = mtsi_path_generate(shp_flat(V));
    double *x = sample_post(post, p, 1e-4, n, 21);
    for (long a = 0; a < V; a++) {
        double want = g.m[a];
        for (long b = 0; b < V; b++)
            want += C[a * V + b] * hs[b];
        double s = 0, s2 = 0;
        for (long i = 0; i < n; i++) {
            s += x[i * V + a];
            s2 += x[i * V + a] * x[i * V + a];
        }
        double mu = s / n, se = sqrt((s2 / n - mu * mu) / (n - 1));
        ck_assert_msg(fabs(mu - want) < NSIGMA * se, "site %ld: mean %.5f +- %.5f, exact %.5f", a,
                      mu, se, want);
        double var = (s2 / n - mu * mu) * n / (n - 1), sev = C[a * V + a] * sqrt(2.0 / (n - 1));
        ck_assert_msg(fabs(var - C[a * V + a]) < NSIGMA * sev, "site %ld: var %.5f, exact %.5f", a,
                      var, C[a * V + a]);
    }
    free(x);
    mtsi_path_free(p);
    mtsi_drift_free(post);
    mtsi_drift_free(prior);
}
END_TEST

/* Mixture w+ N(+mu, C) + w- N(-mu, C) under a field h: components shift by
 * C h and reweight by exp(h . m_j), so w+/w- becomes (w+/w-) exp(2 h V mu). */
START_TEST(mixture_posterior_weights)
{
    mtsi_phi4_params lat;
    memset(&lat, 0, sizeof lat);
    ck_assert_int_eq(mtsi_phi4_set_lattice(&lat, 2, 4), 0);
    double ck[64], means[32];
    const long V = 16, n = 6000;
    mtsi_phi4_lambda_half(&lat, ck);
    for (long k = 0; k < mtsi_phi4_nhalf(&lat); k++)
        ck[k] = 1.0 / (ck[k] + 2.0);
    for (long a = 0; a < V; a++) {
        means[a] = 0.35;
        means[V + a] = -0.35;
    }
    const double w[2] = {0.5, 0.5}, h = 0.05;
    mtsi_drift *prior = mtsi_drift_gmm_new(2, 4, 2, w, means, ck);
    mtsi_reward rw = {h, 0, NULL, NULL};
    mtsi_drift *post = mtsi_drift_posterior_new(prior, &rw);
    mtsi_path *p = mtsi_path_generate(shp_flat(V));
    double *x = sample_post(post, p, 1e-4, n, 31);
    /* exact: w+' = 1/(1 + exp(-2 h V mu)); M | j ~ N(+-mu + C_0 h, C_0/V) */
    double wp = 1.0 / (1.0 + exp(-2 * h * V * 0.35));
    double shift = ck[0] * h, sd = sqrt(ck[0] / V);
    double pexact = wp * 0.5 * erfc(-(0.35 + shift) / (sqrt(2) * sd)) +
                    (1 - wp) * 0.5 * erfc(-(-0.35 + shift) / (sqrt(2) * sd));
    long pos = 0;
    for (long i = 0; i < n; i++) {
        double s = 0;
        for (long a = 0; a < V; a++)
            s += x[i * V + a];
        pos += s > 0;
    }
    double f = (double)pos / n, se = sqrt(pexact * (1 - pexact) / n);
    fprintf(stderr, "mixture posterior: P(M > 0) = %.4f, exact %.4f (w+ %.4f)\n", f, pexact, wp);
    ck_assert_msg(fabs(f - pexact) < NSIGMA * se, "P(M > 0) = %.4f, exact %.4f", f, pexact);
    free(x);
    mtsi_path_free(p);
    mtsi_drift_free(post);
    mtsi_drift_free(prior);
}
END_TEST

START_TEST(infeasible_refused)
{
    mtsi_path *p = mtsi_path_generate(shp_flat(16));
    mtsi_reward rw = {0, 0.5, NULL, NULL};
    ck_assert_int_eq(mtsi_posterior_check(p, 1, &rw, 0.0), MTSI_EINVAL);
    ck_assert_ptr_nonnull(strstr(mtsi_error_msg(), "alpha <="));
    /* from t >= 1 - 1/(1 + sqrt(A)) the generation path is feasible */
    double t = 1 - mtsi_posterior_alpha_max(0.5);
    ck_assert_int_eq(mtsi_posterior_check(p, 1, &rw, t + 1e-9), 0);
    mtsi_reward rh = {0.2, 0, NULL, NULL};
    ck_assert_int_eq(mtsi_posterior_check(p, 1, &rh, 0.0), MTSI_EINVAL);
    ck_assert_ptr_nonnull(strstr(mtsi_error_msg(), "t-min"));
    ck_assert_int_eq(mtsi_posterior_check(p, 1, &rh, 1e-3), 0);
    mtsi_reward rq = {0.2, -1.0, NULL, NULL};
    ck_assert_int_eq(mtsi_posterior_check(p, 1, &rq, 0.0), 0);
    mtsi_path_free(p);
    /* inpainting: observed sites need nothing, missing sites start at alpha = 1 */
    unsigned char mask[16];
    for (int a = 0; a < 16; a++)
        mask[a] = a < 8;
    p = mtsi_path_inpaint(shp_flat(16), 1, mask);
    ck_assert_int_eq(mtsi_posterior_check(p, 1, &rw, 0.0), MTSI_EINVAL);
    mtsi_path_free(p);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("posterior");
    TCase *t = tcase_create("posterior");
    tcase_set_timeout(t, 600);
    tcase_add_test(t, solver_round_trip);
    tcase_add_test(t, infeasible_refused);
    tcase_add_test(t, gaussian_field);
    tcase_add_test(t, gaussian_quad);
    tcase_add_test(t, gaussian_field_and_quad);
    tcase_add_test(t, gaussian_site_field);
    tcase_add_test(t, tmin_start_mean);
    tcase_add_test(t, tilted_training_pairs);
    tcase_add_test(t, mixture_posterior_weights);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
