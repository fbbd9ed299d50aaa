/* The interpolant library with analytic drifts (SPEC.md section 1).
 *
 * Statistical checks use fixed seeds and a tolerance of 4 standard errors
 * (a correct method fails one check with probability ~6e-5); samples from
 * the integrators are independent, so plain standard errors apply.
 * Deterministic checks compare with exact linear algebra. */
#include "config.h"
#include "test_shape.h"

#include <check.h>
#include <fftw3.h>
#include <gsl/gsl_linalg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtsi_err.h"
#include "mtsi_interp.h"
#include "mtsi_mcmc.h"
#include "mtsi_phi4.h"

#define NSIGMA 4.0

/* A free-field-like spectrum on a dim-2 lattice of side L. */
static void spectrum(long L, double chi, double kappa, double *ck, mtsi_phi4_params *lat)
{
    memset(lat, 0, sizeof *lat);
    ck_assert_int_eq(mtsi_phi4_set_lattice(lat, 2, L), 0);
    long nh = mtsi_phi4_nhalf(lat);
    mtsi_phi4_lambda_half(lat, ck);
    for (long k = 0; k < nh; k++)
        ck[k] = 1.0 / (chi * ck[k] + kappa);
}

/* Dense C_ab = V^-1 sum_k C_k cos(k.(a - b)) on the full spectrum. */
static void dense_cov(const mtsi_phi4_params *lat, const double *ck_half, double *C)
{
    const long L = lat->L, V = lat->V;
    for (long a = 0; a < V; a++)
        for (long b = 0; b < V; b++) {
            long dx = (a / L - b / L + L) % L, dy = (a % L - b % L + L) % L;
            double s = 0;
            for (long kx = 0; kx < L; kx++)
                for (long ky = 0; ky < L; ky++) {
                    long hx = kx, hy = ky;
                    if (hy > L / 2) { /* map to the half-spectrum by k -> -k */
                        hy = (L - ky) % L;
                        hx = (L - kx) % L;
                    }
                    double c = ck_half[hx * (L / 2 + 1) + hy];
                    s += c * cos(2 * M_PI * (double)(kx * dx + ky * dy) / (double)L);
                }
            C[a * V + b] = s / (double)V;
        }
}

/* eta0, eta1 of SPEC 1.2 by dense Cholesky. */
static void dense_eta(long V, const double *C, const double *m, const double *alpha,
                      const double *x, double *eta0, double *eta1)
{
    gsl_matrix *S = gsl_matrix_alloc(V, V);
    gsl_vector *r = gsl_vector_alloc(V), *y = gsl_vector_alloc(V);
    for (long a = 0; a < V; a++) {
        for (long b = 0; b < V; b++)
            gsl_matrix_set(S, a, b,
                           (a == b ? alpha[a] * alpha[a] : 0) + (1 - alpha[a]) * C[a * V + b] * (1 - alpha[b]));
        gsl_vector_set(r, a, x[a] - (1 - alpha[a]) * m[a]);
    }
    gsl_linalg_cholesky_decomp1(S);
    gsl_linalg_cholesky_solve(S, r, y);
    for (long a = 0; a < V; a++) {
        eta0[a] = alpha[a] * gsl_vector_get(y, a);
        double s = 0;
        for (long b = 0; b < V; b++)
            s += C[a * V + b] * (1 - alpha[b]) * gsl_vector_get(y, b);
        eta1[a] = m[a] + s;
    }
    gsl_matrix_free(S);
    gsl_vector_free(r);
    gsl_vector_free(y);
}

START_TEST(gaussian_drift_matches_dense)
{
    mtsi_phi4_params lat;
    double ck[64];
    spectrum(6, 1.0, 0.3, ck, &lat);
    const long V = lat.V;
    double *C = malloc(V * V * sizeof(double));
    dense_cov(&lat, ck, C);
    double m[36], alpha[36], x[36], b[36], e0[36], e1[36], d0[36], d1[36];
    mtsi_rng r;
    mtsi_rng_seed(&r, 9, 0);
    for (long a = 0; a < V; a++)
        m[a] = 0.4;
    mtsi_drift *d = mtsi_drift_gaussian_new(2, 6, m, ck);
    ck_assert_ptr_nonnull(d);
    for (int trial = 0; trial < 4; trial++) {
        for (long a = 0; a < V; a++) {
            x[a] = mtsi_rng_normal(&r);
            /* uniform, per-site, with observed sites, all observed */
            alpha[a] = trial == 0 ? 0.37
                     : trial == 1 ? mtsi_rng_uniform(&r)
                     : trial == 2 ? (a % 3 == 0 ? 0.0 : 0.6)
                                  : 0.0;
        }
        ck_assert_int_eq(mtsi_drift_eval(d, 1, alpha, x, b), 0);
        mtsi_drift_to_eta(V, alpha, x, b, e0, e1);
        dense_eta(V, C, m, alpha, x, d0, d1);
        for (long a = 0; a < V; a++) {
            ck_assert_msg(fabs(e0[a] - d0[a]) < 1e-9, "trial %d site %ld eta0 %.12f vs %.12f", trial,
                          a, e0[a], d0[a]);
            ck_assert_msg(fabs(e1[a] - d1[a]) < 1e-9, "trial %d site %ld eta1 %.12f vs %.12f", trial,
                          a, e1[a], d1[a]);
        }
        /* x = alpha eta0 + (1 - alpha) eta1 */
        for (long a = 0; a < V; a++)
            ck_assert_double_eq_tol(alpha[a] * e0[a] + (1 - alpha[a]) * e1[a], x[a], 1e-12);
    }
    mtsi_drift_free(d);
    free(C);
}
END_TEST

/* <|phi_hat_k|^2> of samples [n][V] per half-spectrum mode, with errors. */
static void mode_stats(const mtsi_phi4_params *lat, long n, const double *s, double *mean, double *err)
{
    const long V = lat->V, nh = mtsi_phi4_nhalf(lat);
    double *in = fftw_alloc_real(V);
    fftw_complex *F = fftw_alloc_complex(nh);
    int dims[2] = {(int)lat->L, (int)lat->L};
    fftw_plan p = fftw_plan_dft_r2c(2, dims, in, F, FFTW_ESTIMATE);
    double *s2 = calloc(nh, sizeof(double));
    for (long k = 0; k < nh; k++)
        mean[k] = 0;
    for (long i = 0; i < n; i++) {
        memcpy(in, s + i * V, V * sizeof(double));
        fftw_execute(p);
        for (long k = 0; k < nh; k++) {
            double v = (F[k][0] * F[k][0] + F[k][1] * F[k][1]) / (double)V;
            mean[k] += v;
            s2[k] += v * v;
        }
    }
    for (long k = 0; k < nh; k++) {
        mean[k] /= n;
        err[k] = sqrt((s2[k] / n - mean[k] * mean[k]) / (n - 1));
    }
    free(s2);
    fftw_destroy_plan(p);
    fftw_free(in);
    fftw_free(F);
}

static double *generate(mtsi_drift *d, const mtsi_path *p, const mtsi_integrate_opts *o, long n,
                        const double *x1, uint64_t seed)
{
    const long V = mtsi_drift_sites(d);
    double *x = malloc(n * V * sizeof(double));
    mtsi_rng r;
    mtsi_rng_seed(&r, seed, 0);
    const long B = 64;
    for (long i0 = 0; i0 < n; i0 += B) {
        long bsz = n - i0 < B ? n - i0 : B;
        ck_assert_int_eq(mtsi_path_init(p, o->t0, bsz, i0, x1 ? x1 + i0 * V : NULL, NULL, &r, x + i0 * V), 0);
        ck_assert_msg(mtsi_integrate(d, p, o, bsz, i0, x + i0 * V, &r) == 0, "%s", mtsi_error_msg());
    }
    return x;
}

static void check_spectrum(const mtsi_phi4_params *lat, long n, const double *x, const double *ck,
                           const char *who)
{
    long nh = mtsi_phi4_nhalf(lat);
    double *mean = malloc(nh * sizeof(double)), *err = malloc(nh * sizeof(double));
    mode_stats(lat, n, x, mean, err);
    for (long k = 0; k < nh; k++)
        ck_assert_msg(fabs(mean[k] - ck[k]) < NSIGMA * err[k],
                      "%s: mode %ld <|phi_k|^2> = %.5f +- %.5f, Gaussian %.5f", who, k, mean[k],
                      err[k], ck[k]);
    free(mean);
    free(err);
}

/* Fit to free-field MCMC data, then generate by ODE and by SDE. */
START_TEST(gaussian_fit_generate)
{
    mtsi_phi4_params p;
    memset(&p, 0, sizeof p);
    ck_assert_int_eq(mtsi_phi4_set_lattice(&p, 2, 8), 0);
    mtsi_phi4_set_direct(&p, 1.0, 0.5, 0.0);
    mtsi_sampler_opts o;
    mtsi_sampler_defaults(&o, MTSI_SAMPLER_LANGEVIN_EXP, &p);
    o.dt = 1.0; /* exact for the free field with m0 = kappa */
    mtsi_chain *c = mtsi_chain_new(&p, &o, 5, 0, NULL);
    const long n = 4000, V = p.V, nh = mtsi_phi4_nhalf(&p);
    double *data = malloc(n * V * sizeof(double));
    for (long i = 0; i < 50; i++)
        mtsi_chain_update(c);
    for (long i = 0; i < n; i++) {
        for (int t = 0; t < 3; t++)
            mtsi_chain_update(c);
        memcpy(data + i * V, mtsi_chain_field(c), V * sizeof(double));
    }
    mtsi_chain_free(c);
    double *mean = malloc(V * sizeof(double)), *ck = malloc(nh * sizeof(double));
    ck_assert_int_eq(mtsi_gauss_fit(2, 8, n, data, 0, mean, ck), 0);
    mtsi_drift *d = mtsi_drift_gaussian_new(2, 8, mean, ck);
    mtsi_path *path = mtsi_path_generate(shp_flat(V));
    mtsi_integrate_opts io;
    mtsi_integrate_defaults(&io);
    io.kind = MTSI_INTEGRATOR_RK4;
    io.steps = 20;
    double *x = generate(d, path, &io, 4000, NULL, 77);
    check_spectrum(&p, 4000, x, ck, "ODE rk4");
    free(x);
    io.kind = MTSI_INTEGRATOR_EM;
    io.eps = 1.0;
    io.steps = 400;
    x = generate(d, path, &io, 4000, NULL, 78);
    check_spectrum(&p, 4000, x, ck, "SDE eps=1");
    free(x);
    /* the schedules: any eps(t) >= 0 keeps the law */
    io.schedule = MTSI_EPS_LINEAR;
    x = generate(d, path, &io, 4000, NULL, 79);
    check_spectrum(&p, 4000, x, ck, "SDE eps=1 (1 - t)");
    free(x);
    io.schedule = MTSI_EPS_RISE;
    io.eps = 2.0;
    x = generate(d, path, &io, 4000, NULL, 80);
    check_spectrum(&p, 4000, x, ck, "SDE eps=2 t");
    free(x);
    mtsi_path_free(path);
    mtsi_drift_free(d);
    free(mean);
    free(ck);
    free(data);
}
END_TEST

/* Error of the ODE map against a fine reference falls as h^order. */
START_TEST(integrator_order)
{
    mtsi_phi4_params lat;
    double ck[64];
    spectrum(4, 1.0, 0.3, ck, &lat);
    const long V = lat.V;
    double m[16];
    for (long a = 0; a < V; a++)
        m[a] = 0.2;
    mtsi_drift *d = mtsi_drift_gaussian_new(2, 4, m, ck);
    mtsi_path *path = mtsi_path_generate(shp_flat(V));
    mtsi_rng r;
    mtsi_rng_seed(&r, 3, 0);
    double x0[16], ref[16], x[16];
    mtsi_rng_normal_fill(&r, x0, V);
    mtsi_integrate_opts o;
    mtsi_integrate_defaults(&o);
    o.kind = MTSI_INTEGRATOR_RK4;
    o.steps = 4096;
    memcpy(ref, x0, sizeof x0);
    ck_assert_int_eq(mtsi_integrate(d, path, &o, 1, 0, ref, &r), 0);
    const mtsi_integrator_kind kinds[3] = {MTSI_INTEGRATOR_EULER, MTSI_INTEGRATOR_HEUN,
                                           MTSI_INTEGRATOR_RK4};
    const double order[3] = {1, 2, 4};
    for (int k = 0; k < 3; k++) {
        double e[4];
        for (int j = 0; j < 4; j++) {
            o.kind = kinds[k];
            o.steps = 8L << j;
            memcpy(x, x0, sizeof x0);
            ck_assert_int_eq(mtsi_integrate(d, path, &o, 1, 0, x, &r), 0);
            double s = 0;
            for (long a = 0; a < V; a++)
                s += (x[a] - ref[a]) * (x[a] - ref[a]);
            e[j] = sqrt(s);
        }
        double slope = log2(e[2] / e[3]);
        fprintf(stderr, "integrator %d: errors %.3e %.3e %.3e %.3e, observed order %.2f\n", k, e[0],
                e[1], e[2], e[3], slope);
        ck_assert_msg(fabs(slope - order[k]) < 0.35, "integrator %d: order %.2f, expected %g", k,
                      slope, order[k]);
    }
    mtsi_path_free(path);
    mtsi_drift_free(d);
}
END_TEST

/* Inpainting reproduces the exact conditional law of the missing sites. */
START_TEST(inpaint_conditional)
{
    mtsi_phi4_params lat;
    double ck[64];
    spectrum(4, 1.0, 0.4, ck, &lat);
    const long V = lat.V;
    double m[16], C[256], obs[16];
    for (long a = 0; a < V; a++)
        m[a] = 0.3;
    dense_cov(&lat, ck, C);
    unsigned char mask[16];
    mtsi_rng r;
    mtsi_rng_seed(&r, 17, 0);
    for (long a = 0; a < V; a++) {
        mask[a] = (a % 2 == 0) || a < 4; /* observed */
        obs[a] = 0.3 + 1.2 * mtsi_rng_normal(&r);
    }
    /* exact conditional: mu_m = m_m + C_mo C_oo^-1 (x_o - m_o), Var = C_mm - C_mo C_oo^-1 C_om */
    long io[16], im[16], no = 0, nm = 0;
    for (long a = 0; a < V; a++)
        if (mask[a])
            io[no++] = a;
        else
            im[nm++] = a;
    gsl_matrix *Coo = gsl_matrix_alloc(no, no);
    gsl_vector *dv = gsl_vector_alloc(no), *w = gsl_vector_alloc(no);
    for (long i = 0; i < no; i++) {
        for (long j = 0; j < no; j++)
            gsl_matrix_set(Coo, i, j, C[io[i] * V + io[j]]);
        gsl_vector_set(dv, i, obs[io[i]] - m[io[i]]);
    }
    gsl_linalg_cholesky_decomp1(Coo);
    gsl_linalg_cholesky_solve(Coo, dv, w);
    double cmean[16], cvar[16];
    for (long i = 0; i < nm; i++) {
        long a = im[i];
        double s = m[a];
        for (long j = 0; j < no; j++)
            s += C[a * V + io[j]] * gsl_vector_get(w, j);
        cmean[a] = s;
        gsl_vector *col = gsl_vector_alloc(no), *z = gsl_vector_alloc(no);
        for (long j = 0; j < no; j++)
            gsl_vector_set(col, j, C[io[j] * V + a]);
        gsl_linalg_cholesky_solve(Coo, col, z);
        double q = 0;
        for (long j = 0; j < no; j++)
            q += C[a * V + io[j]] * gsl_vector_get(z, j);
        cvar[a] = C[a * V + a] - q;
        gsl_vector_free(col);
        gsl_vector_free(z);
    }
    mtsi_drift *d = mtsi_drift_gaussian_new(2, 4, m, ck);
    mtsi_path *path = mtsi_path_inpaint(shp_flat(V), 1, mask);
    const long n = 4000;
    double *x1 = malloc(n * V * sizeof(double));
    for (long i = 0; i < n; i++)
        memcpy(x1 + i * V, obs, sizeof obs);
    mtsi_integrate_opts o;
    mtsi_integrate_defaults(&o);
    o.kind = MTSI_INTEGRATOR_RK4;
    o.steps = 16;
    double *x = generate(d, path, &o, n, x1, 99);
    for (long i = 0; i < n; i++)
        for (long j = 0; j < no; j++)
            ck_assert_msg(memcmp(&x[i * V + io[j]], &obs[io[j]], sizeof(double)) == 0,
                          "observed site %ld of sample %ld changed", io[j], i);
    for (long i = 0; i < nm; i++) {
        long a = im[i];
        double s = 0, s2 = 0;
        for (long k = 0; k < n; k++) {
            s += x[k * V + a];
            s2 += x[k * V + a] * x[k * V + a];
        }
        double mu = s / n, var = (s2 / n - mu * mu) * n / (n - 1);
        double se_mu = sqrt(cvar[a] / n), se_var = cvar[a] * sqrt(2.0 / (n - 1));
        ck_assert_msg(fabs(mu - cmean[a]) < NSIGMA * se_mu, "site %ld mean %.4f vs exact %.4f", a,
                      mu, cmean[a]);
        ck_assert_msg(fabs(var - cvar[a]) < NSIGMA * se_var, "site %ld variance %.4f vs exact %.4f",
                      a, var, cvar[a]);
    }
    free(x);
    free(x1);
    mtsi_path_free(path);
    mtsi_drift_free(d);
    gsl_matrix_free(Coo);
    gsl_vector_free(dv);
    gsl_vector_free(w);
}
END_TEST

/* Mixture of N(+mu, C) and N(-mu, C): weights under generation and under
 * inpainting follow the exact (conditional) weights. */
START_TEST(mixture_weights)
{
    mtsi_phi4_params lat;
    double ck[64];
    spectrum(4, 1.0, 2.0, ck, &lat);
    const long V = lat.V;
    double means[32], C[256];
    for (long a = 0; a < V; a++) {
        means[a] = 0.35;
        means[V + a] = -0.35;
    }
    const double wts[2] = {0.3, 0.7};
    mtsi_drift *d = mtsi_drift_gmm_new(2, 4, 2, wts, means, ck);
    ck_assert_ptr_nonnull(d);
    mtsi_path *path = mtsi_path_generate(shp_flat(V));
    mtsi_integrate_opts o;
    mtsi_integrate_defaults(&o);
    o.kind = MTSI_INTEGRATOR_RK4;
    o.steps = 40;
    const long n = 4000;
    double *x = generate(d, path, &o, n, NULL, 123);
    /* P(M > 0) exactly: M | j ~ N(mu_j, C_0 / V), C_0 = ck[0] the zero mode */
    long pos = 0;
    for (long i = 0; i < n; i++) {
        double s = 0;
        for (long a = 0; a < V; a++)
            s += x[i * V + a];
        pos += s > 0;
    }
    double sdM = sqrt(ck[0] / V);
    double pM = 0.3 * 0.5 * erfc(-0.35 / (sqrt(2) * sdM)) + 0.7 * 0.5 * erfc(0.35 / (sqrt(2) * sdM));
    double f = (double)pos / n, se = sqrt(pM * (1 - pM) / n);
    fprintf(stderr, "mixture generation: P(M > 0) = %.4f, exact %.4f (weight of +mu 0.3)\n", f, pM);
    ck_assert_msg(fabs(f - pM) < NSIGMA * se, "generation: P(M > 0) = %.4f, exact %.4f", f, pM);
    free(x);
    mtsi_path_free(path);
    /* inpainting: half the sites observed near +mu... chosen so the exact
     * conditional weight is intermediate */
    dense_cov(&lat, ck, C);
    unsigned char mask[16];
    double obs[16];
    long io[16], no = 0;
    for (long a = 0; a < V; a++) {
        mask[a] = a < 8;
        obs[a] = mask[a] ? (a % 2 ? 0.25 : -0.2) : 0;
        if (mask[a])
            io[no++] = a;
    }
    /* pi_j ~ w_j N(x_o; mu_j,o, C_oo) */
    gsl_matrix *Coo = gsl_matrix_alloc(no, no);
    for (long i = 0; i < no; i++)
        for (long j = 0; j < no; j++)
            gsl_matrix_set(Coo, i, j, C[io[i] * V + io[j]]);
    gsl_linalg_cholesky_decomp1(Coo);
    double lp[2];
    for (int j = 0; j < 2; j++) {
        gsl_vector *r = gsl_vector_alloc(no), *y = gsl_vector_alloc(no);
        for (long i = 0; i < no; i++)
            gsl_vector_set(r, i, obs[io[i]] - means[j * V + io[i]]);
        gsl_linalg_cholesky_solve(Coo, r, y);
        double q = 0;
        for (long i = 0; i < no; i++)
            q += gsl_vector_get(r, i) * gsl_vector_get(y, i);
        lp[j] = log(wts[j]) - 0.5 * q;
        gsl_vector_free(r);
        gsl_vector_free(y);
    }
    double wplus = 1.0 / (1.0 + exp(lp[1] - lp[0]));
    ck_assert_msg(wplus > 0.2 && wplus < 0.8, "test design: conditional weight %.3f", wplus);
    /* The statistic: s = sum of the missing sites. Given component j it is
     * normal with mean 1^T (mu_j,m + C_mo C_oo^-1 (x_o - mu_j,o)) and
     * variance 1^T (C_mm - C_mo C_oo^-1 C_om) 1, so the exact
     * P(s > 0) = sum_j pi_j Phi(mean_j / sd). */
    long im[16], nm = 0;
    for (long a = 0; a < V; a++)
        if (!mask[a])
            im[nm++] = a;
    gsl_vector *u = gsl_vector_alloc(no), *cu = gsl_vector_alloc(no);
    for (long i = 0; i < no; i++) { /* u = C_om 1 */
        double t = 0;
        for (long k = 0; k < nm; k++)
            t += C[io[i] * V + im[k]];
        gsl_vector_set(u, i, t);
    }
    gsl_linalg_cholesky_solve(Coo, u, cu);
    double var = 0;
    for (long k = 0; k < nm; k++)
        for (long l = 0; l < nm; l++)
            var += C[im[k] * V + im[l]];
    for (long i = 0; i < no; i++)
        var -= gsl_vector_get(u, i) * gsl_vector_get(cu, i);
    double pexact = 0;
    for (int j = 0; j < 2; j++) {
        double mj = 0;
        for (long k = 0; k < nm; k++)
            mj += means[j * V + im[k]];
        for (long i = 0; i < no; i++)
            mj += gsl_vector_get(cu, i) * (obs[io[i]] - means[j * V + io[i]]);
        double pj = j == 0 ? wplus : 1 - wplus;
        pexact += pj * 0.5 * erfc(-mj / sqrt(2 * var));
    }
    gsl_vector_free(u);
    gsl_vector_free(cu);
    path = mtsi_path_inpaint(shp_flat(V), 1, mask);
    double *x1 = malloc(n * V * sizeof(double));
    for (long i = 0; i < n; i++)
        memcpy(x1 + i * V, obs, sizeof obs);
    x = generate(d, path, &o, n, x1, 321);
    pos = 0;
    for (long i = 0; i < n; i++) {
        double s = 0;
        for (long a = 8; a < V; a++)
            s += x[i * V + a];
        pos += s > 0;
    }
    f = (double)pos / n;
    se = sqrt(pexact * (1 - pexact) / n);
    fprintf(stderr, "mixture inpainting: P(sum of missing > 0) = %.4f, exact %.4f (weight of +mu %.4f)\n",
            f, pexact, wplus);
    ck_assert_msg(fabs(f - pexact) < NSIGMA * se,
                  "inpainting: P(sum of missing > 0) = %.4f, exact under the conditional mixture %.4f",
                  f, pexact);
    free(x);
    free(x1);
    gsl_matrix_free(Coo);
    mtsi_path_free(path);
    mtsi_drift_free(d);
}
END_TEST

/* Sequential generation in raster, block and Morton orders has the same law. */
START_TEST(any_order_same_law)
{
    mtsi_phi4_params lat;
    double ck[64];
    spectrum(4, 1.0, 0.5, ck, &lat);
    const long V = lat.V;
    double m[16] = {0};
    mtsi_drift *d = mtsi_drift_gaussian_new(2, 4, m, ck);
    const char *orders[3] = {"raster", "block:2", "morton"};
    int stage[16];
    for (int k = 0; k < 3; k++) {
        int ns = mtsi_order_stages(orders[k], shp_lat(2, 4), 1, stage);
        ck_assert_int_gt(ns, 0);
        mtsi_path *path = mtsi_path_sequential(shp_flat(V), ns, stage, 0, NULL);
        mtsi_integrate_opts o;
        mtsi_integrate_defaults(&o);
        o.kind = MTSI_INTEGRATOR_RK4;
        o.steps = 4;
        double *x = generate(d, path, &o, 3000, NULL, 500 + k);
        check_spectrum(&lat, 3000, x, ck, orders[k]);
        free(x);
        mtsi_path_free(path);
    }
    mtsi_drift_free(d);
}
END_TEST

START_TEST(orders_and_paths)
{
    int st[64];
    ck_assert_int_eq(mtsi_order_stages("raster", shp_lat(2, 4), 0, st), 16);
    ck_assert_int_eq(st[5], 5);
    ck_assert_int_eq(mtsi_order_stages("raster:4", shp_lat(2, 4), 0, st), 4);
    ck_assert_int_eq(st[5], 1);
    ck_assert_int_eq(mtsi_order_stages("block:2", shp_lat(2, 4), 0, st), 4);
    ck_assert_int_eq(st[0], 0);
    ck_assert_int_eq(st[1 * 4 + 1], 0);
    ck_assert_int_eq(st[2], 1);
    ck_assert_int_eq(st[2 * 4], 2);
    ck_assert_int_eq(mtsi_order_stages("morton", shp_lat(2, 4), 0, st), 16);
    ck_assert_int_eq(st[1], 1);    /* (0,1) */
    ck_assert_int_eq(st[4], 2);    /* (1,0) */
    ck_assert_int_eq(st[5], 3);    /* (1,1) */
    ck_assert_int_eq(st[2], 4);    /* (0,2) */
    ck_assert_int_eq(mtsi_order_stages("column", shp_lat(2, 4), 0, st), 4);
    ck_assert_int_eq(mtsi_order_stages("random", shp_lat(2, 4), 7, st), 16);
    int seen[16] = {0};
    for (int a = 0; a < 16; a++)
        seen[st[a]]++;
    for (int a = 0; a < 16; a++)
        ck_assert_int_eq(seen[a], 1);
    ck_assert_int_lt(mtsi_order_stages("zigzag", shp_lat(2, 4), 0, st), 0);
    /* a 3 x 3 grid in the Z-order of its 4 x 4 cover: (0,0) (0,1) (1,0)
     * (1,1) (0,2) (1,2) (2,0) (2,1) (2,2), the points outside skipped */
    ck_assert_int_eq(mtsi_order_stages("morton", shp_lat(2, 3), 0, st), 9);
    const int z3[9] = {0, 1, 4, 2, 3, 5, 6, 7, 8};
    for (int a = 0; a < 9; a++)
        ck_assert_int_eq(st[a], z3[a]);
    ck_assert_int_eq(mtsi_order_stages("morton:3", shp_lat(2, 3), 0, st), 3);
    ck_assert_int_eq(st[4], 1); /* (1,1) is the 4th point of 9: stage 3*3/9 = 1 */
    ck_assert_int_lt(mtsi_order_stages("block:3", shp_lat(2, 4), 0, st), 0);
    /* a sequential path: stage 1 of 3 at t = 0.5 */
    ck_assert_int_eq(mtsi_order_stages("raster:3", shp_lat(1, 3), 0, st), 3);
    mtsi_path *p = mtsi_path_sequential(shp_flat(3), 3, st, 0, NULL);
    double al[3], da[3];
    mtsi_path_eval(p, 0, 1, 0.5, al, da);
    ck_assert_double_eq(al[0], 0);
    ck_assert_double_eq_tol(al[1], 0.5, 1e-12);
    ck_assert_double_eq(al[2], 1);
    ck_assert_double_eq(da[1], -3);
    mtsi_path_free(p);
    double tab[6] = {1, 1, 1, 0, 0.5, 0};
    p = mtsi_path_table(shp_flat(3), 2, tab);
    mtsi_path_eval(p, 0, 0, 0.5, al, da);
    ck_assert_double_eq_tol(al[1], 0.75, 1e-12);
    ck_assert_double_eq(da[0], -1);
    mtsi_path_free(p);
    tab[2] = 1.5;
    ck_assert_ptr_null(mtsi_path_table(shp_flat(3), 2, tab));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("interp");
    TCase *t = tcase_create("analytic");
    tcase_set_timeout(t, 600);
    tcase_add_test(t, orders_and_paths);
    tcase_add_test(t, gaussian_drift_matches_dense);
    tcase_add_test(t, integrator_order);
    tcase_add_test(t, gaussian_fit_generate);
    tcase_add_test(t, inpaint_conditional);
    tcase_add_test(t, mixture_weights);
    tcase_add_test(t, any_order_same_law);
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
