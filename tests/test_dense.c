/* The dense Gaussian drift on data that is not a periodic lattice: a 1-D
 * grid of 20 points x 2 correlated channels and a 12 x 12 zero-boundary
 * image (SPEC 1.2 with a full covariance, SPEC 6 and 6.1).
 *
 * A known Gaussian N(m, C) is sampled, the drift is fitted to the samples
 * (mtsi_dense_fit), and the fitted law N(mf, Cf) -- the law the drift
 * transports to, exactly -- is the reference:
 *   (a) generation: the mean and variance of every eigen-coordinate of Cf
 *       (which pins the whole covariance) and, on the 1-D grid, the
 *       covariance of the two channels at every point;
 *   (b) inpainting: observed values bit-identical; mean and variance of
 *       every missing value and of every eigen-coordinate of the exact
 *       conditional covariance;
 *   (c) noisy inpainting (y = x + sigma n on the observed points,
 *       SPEC 6.1): mean and variance of every value against the exact
 *       Gaussian posterior given y.
 * The exact answers are computed here with GSL, independently of
 * interp/mtsi_dense.c. Seeds are fixed; every statistical check has a
 * tolerance of 4 standard errors (the samples are independent). */
#include "config.h"

#include <check.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_linalg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtsi_err.h"
#include "mtsi_interp.h"
#include "mtsi_shape.h"

#define NSIGMA 4.0

typedef struct {
    mtsi_shape sh;
    long V, P;
    double *m, *C; /* the known law */
    double *mf, *Cf; /* fitted */
} problem;

/* 1-D grid, 20 points, 2 channels, zero boundary: squared-exponential
 * correlation along the path, channels correlated (rho = 0.6). */
static void problem_path(problem *pr)
{
    memset(pr, 0, sizeof *pr);
    ck_assert_int_eq(mtsi_shape_parse(&pr->sh, "test", "20:zero", 2, "path"), MTSI_OK);
    pr->P = 20;
    pr->V = 40;
    const long V = pr->V, P = pr->P;
    pr->m = malloc(V * sizeof(double));
    pr->C = calloc(V * V, sizeof(double));
    const double sd[2] = {1.0, 0.7}, rho = 0.6;
    for (int c = 0; c < 2; c++)
        for (long i = 0; i < P; i++) {
            pr->m[c * P + i] = 0.5 * sin(i / 3.0) + (c ? -0.3 : 0.2);
            for (int d = 0; d < 2; d++)
                for (long j = 0; j < P; j++) {
                    double k = exp(-(double)((i - j) * (i - j)) / (2 * 3.0 * 3.0));
                    pr->C[(c * P + i) * V + d * P + j] = sd[c] * sd[d] * (c == d ? 1 : rho) * k;
                }
        }
    for (long a = 0; a < V; a++)
        pr->C[a * V + a] += 0.05;
}

/* 12 x 12, one channel, zero boundary: a smooth field tapered toward the
 * border, as an image's background is. */
static void problem_image(problem *pr)
{
    memset(pr, 0, sizeof *pr);
    ck_assert_int_eq(mtsi_shape_parse(&pr->sh, "test", "12x12:zero", 1, "image"), MTSI_OK);
    pr->P = pr->V = 144;
    const long V = pr->V;
    pr->m = malloc(V * sizeof(double));
    pr->C = calloc(V * V, sizeof(double));
    for (long a = 0; a < V; a++) {
        long ia = a / 12, ja = a % 12;
        double wa = sin(M_PI * (ia + 1) / 13.0) * sin(M_PI * (ja + 1) / 13.0);
        pr->m[a] = -0.8 + 0.6 * wa;
        for (long b = 0; b < V; b++) {
            long ib = b / 12, jb = b % 12;
            double wb = sin(M_PI * (ib + 1) / 13.0) * sin(M_PI * (jb + 1) / 13.0);
            double r2 = (double)((ia - ib) * (ia - ib) + (ja - jb) * (ja - jb));
            pr->C[a * V + b] = wa * wb * exp(-r2 / (2 * 2.0 * 2.0));
        }
        pr->C[a * V + a] += 0.02;
    }
}

static void problem_free(problem *pr)
{
    free(pr->m);
    free(pr->C);
    free(pr->mf);
    free(pr->Cf);
}

/* n draws of N(m, C) with a GSL Cholesky factor, seed fixed. */
static double *draw(long V, const double *m, const double *C, long n, uint64_t seed)
{
    gsl_matrix *L = gsl_matrix_alloc(V, V);
    for (long a = 0; a < V; a++)
        for (long b = 0; b < V; b++)
            gsl_matrix_set(L, a, b, C[a * V + b]);
    ck_assert_int_eq(gsl_linalg_cholesky_decomp1(L), 0);
    mtsi_rng r;
    mtsi_rng_seed(&r, seed, 0);
    double *x = malloc(n * V * sizeof(double)), *z = malloc(V * sizeof(double));
    for (long i = 0; i < n; i++) {
        for (long a = 0; a < V; a++)
            z[a] = mtsi_rng_normal(&r);
        for (long a = 0; a < V; a++) {
            double s = m[a];
            for (long b = 0; b <= a; b++)
                s += gsl_matrix_get(L, a, b) * z[b];
            x[i * V + a] = s;
        }
    }
    free(z);
    gsl_matrix_free(L);
    return x;
}

/* Fit the drift's Gaussian to 20000 draws of the known law; the fit itself
 * must agree with the known variances (SE of a variance: sqrt(2/n) C_aa). */
static mtsi_drift *fit(problem *pr)
{
    const long V = pr->V, n = 20000;
    double *x = draw(V, pr->m, pr->C, n, 11);
    pr->mf = malloc(V * sizeof(double));
    pr->Cf = malloc(V * V * sizeof(double));
    ck_assert_int_eq(mtsi_dense_fit(V, n, x, 0.0, pr->mf, pr->Cf), MTSI_OK);
    free(x);
    for (long a = 0; a < V; a++) {
        double c = pr->C[a * V + a];
        ck_assert_msg(fabs(pr->mf[a] - pr->m[a]) < NSIGMA * sqrt(c / n),
                      "fit: mean %ld = %.4f, known %.4f", a, pr->mf[a], pr->m[a]);
        ck_assert_msg(fabs(pr->Cf[a * V + a] - c) < NSIGMA * c * sqrt(2.0 / n),
                      "fit: variance %ld = %.4f, known %.4f", a, pr->Cf[a * V + a], c);
    }
    mtsi_drift *d = mtsi_drift_dense_new(&pr->sh, pr->mf, pr->Cf);
    ck_assert_msg(d != NULL, "%s", mtsi_error_msg());
    return d;
}

/* n samples along a path (batches of 64, one rng stream). */
static double *run(mtsi_drift *d, const mtsi_path *p, const mtsi_integrate_opts *o, long n,
                   const double *x1, uint64_t seed)
{
    const long V = mtsi_drift_sites(d);
    double *x = malloc(n * V * sizeof(double));
    mtsi_rng r;
    mtsi_rng_seed(&r, seed, 0);
    for (long i0 = 0; i0 < n; i0 += 64) {
        long b = n - i0 < 64 ? n - i0 : 64;
        ck_assert_int_eq(mtsi_path_init(p, o->t0, b, i0, x1 ? x1 + i0 * V : NULL, NULL, &r, x + i0 * V),
                         0);
        ck_assert_msg(mtsi_integrate(d, p, o, b, i0, x + i0 * V, &r) == 0, "%s", mtsi_error_msg());
    }
    return x;
}

/* Checks the samples' law on the values sel[0..ns-1] against N(mu, S)
 * restricted there: the mean and variance of every value and of every
 * eigen-coordinate of S (u_k . x has variance lam_k). */
static void check_law(const char *who, long V, long n, const double *x, long ns, const long *sel,
                      const double *mu, const double *S)
{
    for (long i = 0; i < ns; i++) {
        long a = sel[i];
        double s = 0, s2 = 0;
        for (long k = 0; k < n; k++) {
            s += x[k * V + a];
            s2 += x[k * V + a] * x[k * V + a];
        }
        double mean = s / n, var = (s2 / n - mean * mean) * n / (n - 1), v = S[a * V + a];
        ck_assert_msg(fabs(mean - mu[a]) < NSIGMA * sqrt(v / n), "%s: value %ld mean %.4f, exact %.4f",
                      who, a, mean, mu[a]);
        ck_assert_msg(fabs(var - v) < NSIGMA * v * sqrt(2.0 / (n - 1)),
                      "%s: value %ld variance %.4f, exact %.4f", who, a, var, v);
    }
    gsl_matrix *A = gsl_matrix_alloc(ns, ns), *U = gsl_matrix_alloc(ns, ns);
    gsl_vector *lam = gsl_vector_alloc(ns);
    for (long i = 0; i < ns; i++)
        for (long j = 0; j < ns; j++)
            gsl_matrix_set(A, i, j, S[sel[i] * V + sel[j]]);
    gsl_eigen_symmv_workspace *w = gsl_eigen_symmv_alloc(ns);
    gsl_eigen_symmv(A, lam, U, w);
    gsl_eigen_symmv_free(w);
    for (long k = 0; k < ns; k++) {
        double l = gsl_vector_get(lam, k), pm = 0, s = 0, s2 = 0;
        for (long i = 0; i < ns; i++)
            pm += gsl_matrix_get(U, i, k) * mu[sel[i]];
        for (long j = 0; j < n; j++) {
            double q = 0;
            for (long i = 0; i < ns; i++)
                q += gsl_matrix_get(U, i, k) * x[j * V + sel[i]];
            s += q;
            s2 += q * q;
        }
        double mean = s / n, var = (s2 / n - mean * mean) * n / (n - 1);
        ck_assert_msg(fabs(mean - pm) < NSIGMA * sqrt(l / n),
                      "%s: eigen-coordinate %ld mean %.4f, exact %.4f", who, k, mean, pm);
        ck_assert_msg(fabs(var - l) < NSIGMA * l * sqrt(2.0 / (n - 1)),
                      "%s: eigen-coordinate %ld variance %.5f, exact %.5f", who, k, var, l);
    }
    gsl_matrix_free(A);
    gsl_matrix_free(U);
    gsl_vector_free(lam);
}

/* Exact law of x ~ N(m, C) given y_o = x_o + N(0, s2) (s2 = 0: exact), by
 * GSL: mean = m + C_.o (C_oo + s2)^-1 (y_o - m_o), cov = C - C_.o (...)^-1 C_o. */
static void condition(long V, const double *m, const double *C, const unsigned char *obs,
                      const double *y, double s2, double *pm, double *pc)
{
    long io[V], no = 0;
    for (long a = 0; a < V; a++)
        if (obs[a])
            io[no++] = a;
    gsl_matrix *A = gsl_matrix_alloc(no, no);
    gsl_vector *d = gsl_vector_alloc(no), *z = gsl_vector_alloc(no);
    for (long i = 0; i < no; i++) {
        for (long j = 0; j < no; j++)
            gsl_matrix_set(A, i, j, C[io[i] * V + io[j]] + (i == j ? s2 : 0));
        gsl_vector_set(d, i, y[io[i]] - m[io[i]]);
    }
    ck_assert_int_eq(gsl_linalg_cholesky_decomp1(A), 0);
    gsl_linalg_cholesky_solve(A, d, z);
    for (long a = 0; a < V; a++) {
        double s = m[a];
        for (long j = 0; j < no; j++)
            s += C[a * V + io[j]] * gsl_vector_get(z, j);
        pm[a] = s;
    }
    gsl_matrix *W = gsl_matrix_alloc(no, V); /* (C_oo + s2)^-1 C_o. */
    gsl_vector *col = gsl_vector_alloc(no);
    for (long b = 0; b < V; b++) {
        for (long j = 0; j < no; j++)
            gsl_vector_set(col, j, C[io[j] * V + b]);
        gsl_linalg_cholesky_svx(A, col);
        for (long j = 0; j < no; j++)
            gsl_matrix_set(W, j, b, gsl_vector_get(col, j));
    }
    for (long a = 0; a < V; a++)
        for (long b = 0; b < V; b++) {
            double s = 0;
            for (long j = 0; j < no; j++)
                s += C[a * V + io[j]] * gsl_matrix_get(W, j, b);
            pc[a * V + b] = C[a * V + b] - s;
        }
    gsl_matrix_free(A);
    gsl_matrix_free(W);
    gsl_vector_free(d);
    gsl_vector_free(z);
    gsl_vector_free(col);
}

static void all_values(long V, long *sel)
{
    for (long a = 0; a < V; a++)
        sel[a] = a;
}

/* (a) generation, ODE (RK4) and SDE. */
static void check_generation(problem *pr, long n)
{
    mtsi_drift *d = fit(pr);
    const long V = pr->V;
    long sel[V];
    all_values(V, sel);
    mtsi_path *p = mtsi_path_generate(&pr->sh);
    mtsi_integrate_opts o;
    mtsi_integrate_defaults(&o);
    o.kind = MTSI_INTEGRATOR_RK4;
    o.steps = 20;
    double *x = run(d, p, &o, n, NULL, 21);
    check_law("generation (rk4)", V, n, x, V, sel, pr->mf, pr->Cf);
    if (pr->sh.channels == 2) {
        /* the two channels at each point: Cov(x_c0, x_c1), SE^2 = (C01^2 + C00 C11) / n */
        for (long i = 0; i < pr->P; i++) {
            long a = i, b = pr->P + i;
            double sa = 0, sb = 0, sab = 0;
            for (long k = 0; k < n; k++) {
                sa += x[k * V + a];
                sb += x[k * V + b];
                sab += x[k * V + a] * x[k * V + b];
            }
            double c = (sab / n - sa / n * sb / n) * n / (n - 1), e = pr->Cf[a * V + b];
            double se = sqrt((e * e + pr->Cf[a * V + a] * pr->Cf[b * V + b]) / n);
            ck_assert_msg(fabs(c - e) < NSIGMA * se, "generation: channel covariance at %ld %.4f, exact %.4f",
                          i, c, e);
        }
    }
    free(x);
    o.kind = MTSI_INTEGRATOR_EM;
    o.eps = 1.0;
    o.steps = 400;
    x = run(d, p, &o, n, NULL, 22);
    check_law("generation (sde)", V, n, x, V, sel, pr->mf, pr->Cf);
    free(x);
    mtsi_path_free(p);
    mtsi_drift_free(d);
}

/* (b) inpainting with exact observations: mask per grid point. */
static void check_inpaint(problem *pr, const unsigned char *mask, long n)
{
    mtsi_drift *d = fit(pr);
    const long V = pr->V, P = pr->P, C = pr->sh.channels;
    unsigned char obs[V];
    for (long c = 0; c < C; c++)
        for (long i = 0; i < P; i++)
            obs[c * P + i] = mask[i];
    double *y = draw(V, pr->m, pr->C, 1, 31);
    double *pm = malloc(V * sizeof(double)), *pc = malloc(V * V * sizeof(double));
    condition(V, pr->mf, pr->Cf, obs, y, 0.0, pm, pc);
    double *x1 = malloc(n * V * sizeof(double));
    for (long i = 0; i < n; i++)
        memcpy(x1 + i * V, y, V * sizeof(double));
    mtsi_path *p = mtsi_path_inpaint(&pr->sh, 1, mask);
    mtsi_integrate_opts o;
    mtsi_integrate_defaults(&o);
    o.kind = MTSI_INTEGRATOR_RK4;
    o.steps = 16;
    double *x = run(d, p, &o, n, x1, 32);
    long sel[V], ns = 0;
    for (long a = 0; a < V; a++) {
        if (!obs[a]) {
            sel[ns++] = a;
            continue;
        }
        for (long k = 0; k < n; k++)
            ck_assert_msg(memcmp(&x[k * V + a], &y[a], sizeof(double)) == 0,
                          "inpainting: observed value %ld of sample %ld changed", a, k);
    }
    check_law("inpainting", V, n, x, ns, sel, pm, pc);
    free(x);
    free(x1);
    free(y);
    free(pm);
    free(pc);
    mtsi_path_free(p);
    mtsi_drift_free(d);
}

/* (c) noisy inpainting: y = x + sigma n on observed points, the posterior
 * of every value (observed ones are denoised) given y. */
static void check_noisy(problem *pr, const unsigned char *mask, double sigma, long n, long steps)
{
    mtsi_drift *d = fit(pr);
    const long V = pr->V, P = pr->P, C = pr->sh.channels;
    unsigned char obs[V];
    for (long c = 0; c < C; c++)
        for (long i = 0; i < P; i++)
            obs[c * P + i] = mask[i];
    double *y = draw(V, pr->m, pr->C, 1, 41);
    mtsi_rng r;
    mtsi_rng_seed(&r, 42, 0);
    for (long a = 0; a < V; a++)
        y[a] += sigma * mtsi_rng_normal(&r);
    double *pm = malloc(V * sizeof(double)), *pc = malloc(V * V * sizeof(double));
    condition(V, pr->mf, pr->Cf, obs, y, sigma * sigma, pm, pc);
    double *x1 = malloc(n * V * sizeof(double));
    for (long i = 0; i < n; i++)
        memcpy(x1 + i * V, y, V * sizeof(double));
    mtsi_path *p = mtsi_path_inpaint_noisy(&pr->sh, 1, mask, sigma);
    ck_assert_msg(p != NULL, "%s", mtsi_error_msg());
    mtsi_integrate_opts o;
    mtsi_integrate_defaults(&o);
    o.kind = MTSI_INTEGRATOR_RK4;
    o.steps = steps;
    double *x = run(d, p, &o, n, x1, 43);
    long sel[V];
    all_values(V, sel);
    /* per value: mean and variance within 4 SE of the exact posterior */
    for (long a = 0; a < V; a++) {
        double s = 0, s2 = 0;
        for (long k = 0; k < n; k++) {
            s += x[k * V + a];
            s2 += x[k * V + a] * x[k * V + a];
        }
        double mean = s / n, var = (s2 / n - mean * mean) * n / (n - 1), v = pc[a * V + a];
        ck_assert_msg(fabs(mean - pm[a]) < NSIGMA * sqrt(v / n),
                      "noisy inpainting: value %ld (%s) mean %.4f, posterior %.4f", a,
                      obs[a] ? "observed" : "missing", mean, pm[a]);
        ck_assert_msg(fabs(var - v) < NSIGMA * v * sqrt(2.0 / (n - 1)),
                      "noisy inpainting: value %ld (%s) variance %.5f, posterior %.5f", a,
                      obs[a] ? "observed" : "missing", var, v);
    }
    free(x);
    free(x1);
    free(y);
    free(pm);
    free(pc);
    mtsi_path_free(p);
    mtsi_drift_free(d);
}

/* The drift itself against the closed form at a per-value alpha: b =
 * eta0 - eta1 with eta0 = D_a S^-1 r, eta1 = m + C D_b S^-1 r (SPEC 1.2),
 * and the uniform-alpha eigenbasis path against the Cholesky path. */
START_TEST(dense_drift_closed_form)
{
    problem pr;
    problem_path(&pr);
    const long V = pr.V;
    mtsi_drift *d = mtsi_drift_dense_new(&pr.sh, pr.m, pr.C);
    ck_assert_ptr_nonnull(d);
    mtsi_rng r;
    mtsi_rng_seed(&r, 5, 0);
    double al[2 * V], x[2 * V], b[2 * V];
    for (long a = 0; a < V; a++) {
        al[a] = mtsi_rng_uniform(&r);
        al[V + a] = 0.37;
        x[a] = mtsi_rng_normal(&r);
        x[V + a] = mtsi_rng_normal(&r);
    }
    al[3] = 0;
    al[7] = 1;
    ck_assert_int_eq(mtsi_drift_eval(d, 2, al, x, b), 0);
    for (int s = 0; s < 2; s++) {
        const double *A = al + s * V, *X = x + s * V;
        gsl_matrix *S = gsl_matrix_alloc(V, V);
        gsl_vector *rv = gsl_vector_alloc(V), *y = gsl_vector_alloc(V);
        for (long p = 0; p < V; p++) {
            for (long q = 0; q < V; q++)
                gsl_matrix_set(S, p, q,
                               (1 - A[p]) * pr.C[p * V + q] * (1 - A[q]) + (p == q ? A[p] * A[p] : 0));
            gsl_vector_set(rv, p, X[p] - (1 - A[p]) * pr.m[p]);
        }
        ck_assert_int_eq(gsl_linalg_cholesky_decomp1(S), 0);
        gsl_linalg_cholesky_solve(S, rv, y);
        for (long p = 0; p < V; p++) {
            double e1 = pr.m[p];
            for (long q = 0; q < V; q++)
                e1 += pr.C[p * V + q] * (1 - A[q]) * gsl_vector_get(y, q);
            double want = A[p] * gsl_vector_get(y, p) - e1;
            ck_assert_msg(fabs(b[s * V + p] - want) < 1e-10 * (1 + fabs(want)),
                          "sample %d value %ld: b = %.14g, closed form %.14g", s, p, b[s * V + p], want);
        }
        gsl_matrix_free(S);
        gsl_vector_free(rv);
        gsl_vector_free(y);
    }
    mtsi_drift_free(d);
    problem_free(&pr);
}
END_TEST

START_TEST(path_generation)
{
    problem pr;
    problem_path(&pr);
    check_generation(&pr, 4000);
    problem_free(&pr);
}
END_TEST

START_TEST(image_generation)
{
    problem pr;
    problem_image(&pr);
    check_generation(&pr, 4000);
    problem_free(&pr);
}
END_TEST

/* the path's two ends and a middle point observed, the rest inpainted */
static void path_mask(unsigned char *mask)
{
    for (long i = 0; i < 20; i++)
        mask[i] = i < 3 || i >= 17 || i == 10;
}

/* the central 6 x 6 box missing */
static void image_mask(unsigned char *mask)
{
    for (long a = 0; a < 144; a++) {
        long i = a / 12, j = a % 12;
        mask[a] = !(i >= 3 && i < 9 && j >= 3 && j < 9);
    }
}

START_TEST(path_inpaint)
{
    problem pr;
    problem_path(&pr);
    unsigned char mask[20];
    path_mask(mask);
    check_inpaint(&pr, mask, 4000);
    problem_free(&pr);
}
END_TEST

START_TEST(image_inpaint)
{
    problem pr;
    problem_image(&pr);
    unsigned char mask[144];
    image_mask(mask);
    check_inpaint(&pr, mask, 4000);
    problem_free(&pr);
}
END_TEST

START_TEST(path_noisy)
{
    problem pr;
    problem_path(&pr);
    unsigned char mask[20];
    path_mask(mask);
    check_noisy(&pr, mask, 0.3, 4000, 200);
    problem_free(&pr);
}
END_TEST

START_TEST(image_noisy)
{
    problem pr;
    problem_image(&pr);
    unsigned char mask[144];
    image_mask(mask);
    check_noisy(&pr, mask, 0.3, 3000, 200);
    problem_free(&pr);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("dense");
    TCase *t = tcase_create("exact");
    tcase_set_timeout(t, 600);
    tcase_add_test(t, dense_drift_closed_form);
    tcase_add_test(t, path_generation);
    tcase_add_test(t, image_generation);
    tcase_add_test(t, path_inpaint);
    tcase_add_test(t, image_inpaint);
    tcase_add_test(t, path_noisy);
    tcase_add_test(t, image_noisy);
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
