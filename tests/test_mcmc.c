/* Exactness of the samplers (SPEC.md sections 3-4).
 *
 * Every statistical check fixes its seed and uses a tolerance of 4 standard
 * errors (Gamma-method errors, so autocorrelations are accounted for): for
 * a correct sampler a single check fails with probability ~6e-5, and the
 * fixed seeds make the outcome reproducible. */
#include "config.h"

#include <check.h>
#include <fftw3.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtsi_err.h"
#include "mtsi_gamma.h"
#include "mtsi_mcmc.h"
#include "mtsi_phi4.h"

#define NSIGMA 4.0

static const mtsi_sampler_kind exact[] = {MTSI_SAMPLER_MALA, MTSI_SAMPLER_HMC, MTSI_SAMPLER_FAHMC,
                                          MTSI_SAMPLER_CLUSTER};
#define NEXACT (int)(sizeof exact / sizeof exact[0])

/* Runs one chain and records, per saved configuration, |F_k|^2 / V for every
 * half-spectrum mode (the unitary |phi_hat_k|^2) and M. */
typedef struct {
    long n, nh;
    double *pk; /* [n][nh] */
    double *m;  /* [n] */
    double acc;
} spectrum_run;

static void run_spectrum(const mtsi_phi4_params *p, const mtsi_sampler_opts *o, uint64_t seed,
                         long therm, long n, long thin, spectrum_run *out)
{
    mtsi_chain *c = mtsi_chain_new(p, o, seed, 0, NULL);
    ck_assert_msg(c != NULL, "chain: %s", mtsi_error_msg());
    long nh = mtsi_phi4_nhalf(p);
    out->n = n;
    out->nh = nh;
    out->pk = malloc((size_t)(n * nh) * sizeof(double));
    out->m = malloc((size_t)n * sizeof(double));
    double *in = fftw_alloc_real((size_t)p->V);
    fftw_complex *F = fftw_alloc_complex((size_t)nh);
    int dims[3] = {(int)p->L, (int)p->L, (int)p->L};
    fftw_plan pl = fftw_plan_dft_r2c(p->dim, dims, in, F, FFTW_ESTIMATE);
    for (long u = 1; u <= therm; u++) {
        mtsi_chain_update(c);
        mtsi_chain_tune(c, u);
    }
    long a0, p0;
    mtsi_chain_acceptance(c, &a0, &p0);
    for (long i = 0; i < n; i++) {
        for (long t = 0; t < thin; t++)
            mtsi_chain_update(c);
        const double *phi = mtsi_chain_field(c);
        memcpy(in, phi, (size_t)p->V * sizeof(double));
        fftw_execute(pl);
        double s = 0;
        for (long a = 0; a < p->V; a++)
            s += phi[a];
        out->m[i] = s / (double)p->V;
        for (long k = 0; k < nh; k++)
            out->pk[i * nh + k] = (F[k][0] * F[k][0] + F[k][1] * F[k][1]) / (double)p->V;
    }
    long a1, p1;
    mtsi_chain_acceptance(c, &a1, &p1);
    out->acc = p1 > p0 ? (double)(a1 - a0) / (double)(p1 - p0) : 1.0;
    fftw_destroy_plan(pl);
    fftw_free(in);
    fftw_free(F);
    mtsi_chain_free(c);
}

static void spectrum_free(spectrum_run *r)
{
    free(r->pk);
    free(r->m);
}

static void gamma_of(const double *x, long n, long stride, mtsi_gamma_result *res)
{
    double *tmp = malloc((size_t)n * sizeof(double));
    for (long i = 0; i < n; i++)
        tmp[i] = x[i * stride];
    ck_assert_int_eq(mtsi_gamma_series(tmp, n, res), 0);
    free(tmp);
}

/* Exact free-field spectrum: <|phi_hat_k|^2> = 1/(chi lambda_k + kappa - A),
 * plus V (h/(kappa - A))^2 on the zero mode under a uniform field. */
static void check_free_spectrum(const mtsi_phi4_params *p, const spectrum_run *r, const char *who)
{
    double *lam = malloc((size_t)r->nh * sizeof(double));
    mtsi_phi4_lambda_half(p, lam);
    const double k2 = p->kappa - p->A, mean = p->h / k2;
    for (long k = 0; k < r->nh; k++) {
        double expect = 1.0 / (p->chi * lam[k] + k2) + (k == 0 ? (double)p->V * mean * mean : 0.0);
        mtsi_gamma_result g;
        gamma_of(r->pk + k, r->n, r->nh, &g);
        double z = (g.value - expect) / g.err;
        ck_assert_msg(fabs(z) < NSIGMA, "%s: mode %ld <|phi_k|^2> = %.5f +- %.5f, exact %.5f (z=%.2f)",
                      who, k, g.value, g.err, expect, z);
    }
    mtsi_gamma_result g;
    gamma_of(r->m, r->n, 1, &g);
    double z = (g.value - mean) / g.err;
    ck_assert_msg(fabs(z) < NSIGMA, "%s: <M> = %.5f +- %.5f, exact h/kappa = %.5f (z=%.2f)", who,
                  g.value, g.err, mean, z);
    free(lam);
}

static void free_params(mtsi_phi4_params *p, double h, double A)
{
    memset(p, 0, sizeof *p);
    ck_assert_int_eq(mtsi_phi4_set_lattice(p, 2, 4), 0);
    mtsi_phi4_set_direct(p, 1.0, 0.5, 0.0);
    p->h = h;
    p->A = A;
}

static void free_field_case(double h, double A, uint64_t seed)
{
    mtsi_phi4_params p;
    free_params(&p, h, A);
    for (int s = 0; s < NEXACT; s++) {
        mtsi_sampler_opts o;
        mtsi_sampler_defaults(&o, exact[s], &p);
        if (exact[s] == MTSI_SAMPLER_HMC) {
            o.eps = 0.3; /* the paper's 0.07 x 10 is too short a trajectory for a test budget */
            o.nleap = 5;
        }
        spectrum_run r;
        run_spectrum(&p, &o, seed + (uint64_t)s, 2000, 50000, 2, &r);
        char who[64];
        snprintf(who, sizeof who, "%s h=%g A=%g", mtsi_sampler_name(exact[s]), h, A);
        ck_assert_msg(r.acc > 0.2, "%s: acceptance %.3f too low", who, r.acc);
        check_free_spectrum(&p, &r, who);
        spectrum_free(&r);
    }
}

START_TEST(free_field_exact)
{
    free_field_case(0.0, 0.0, 11);
}
END_TEST

START_TEST(free_field_with_field)
{
    free_field_case(0.3, 0.0, 21);
}
END_TEST

START_TEST(free_field_with_quad)
{
    free_field_case(0.2, -0.5, 31);
}
END_TEST

/* The exponential integrator with m0 = kappa solves the free field exactly:
 * it must reproduce the spectrum too, although unadjusted. */
START_TEST(langevin_exp_free_field_exact)
{
    mtsi_phi4_params p;
    free_params(&p, 0.3, 0.0);
    mtsi_sampler_opts o;
    mtsi_sampler_defaults(&o, MTSI_SAMPLER_LANGEVIN_EXP, &p);
    o.dt = 0.5;
    spectrum_run r;
    run_spectrum(&p, &o, 41, 200, 20000, 2, &r);
    check_free_spectrum(&p, &r, "langevin-exp");
    spectrum_free(&r);
}
END_TEST

/* Euler Langevin: per mode, phi_k' = a_k phi_k + sqrt(2 dt M_k) xi with
 * a_k = 1 - dt M_k (chi lambda_k + kappa); its stationary variance is
 * exactly 2 dt M_k / (1 - a_k^2). The run must match that biased value
 * (within 4 sigma), differ from the true one, and the bias of <phi^2> must
 * shrink about twofold as dt halves (O(dt)). */
START_TEST(langevin_euler_bias)
{
    mtsi_phi4_params p;
    free_params(&p, 0.0, 0.0);
    double bias[2];
    double *lam = malloc((size_t)mtsi_phi4_nhalf(&p) * sizeof(double));
    double *w = malloc((size_t)mtsi_phi4_nhalf(&p) * sizeof(double));
    mtsi_phi4_lambda_half(&p, lam);
    mtsi_phi4_half_weights(&p, w);
    for (int j = 0; j < 2; j++) {
        double dt = j == 0 ? 0.4 : 0.2;
        mtsi_sampler_opts o;
        mtsi_sampler_defaults(&o, MTSI_SAMPLER_LANGEVIN, &p);
        o.dt = dt;
        o.m0 = 1.0; /* a preconditioner different from kappa: the bias is mode dependent */
        spectrum_run r;
        run_spectrum(&p, &o, 51 + j, 500, 40000, 2, &r);
        /* <phi^2> per site = (1/V) sum_k <|phi_k|^2>; build that series. */
        double *s = malloc((size_t)r.n * sizeof(double));
        double exact_euler = 0, exact_true = 0;
        for (long k = 0; k < r.nh; k++) {
            double M = 1.0 / (p.chi * lam[k] + o.m0);
            double a = 1.0 - dt * M * (p.chi * lam[k] + p.kappa);
            exact_euler += w[k] * 2.0 * dt * M / (1.0 - a * a);
            exact_true += w[k] / (p.chi * lam[k] + p.kappa);
        }
        exact_euler /= (double)p.V;
        exact_true /= (double)p.V;
        for (long i = 0; i < r.n; i++) {
            double t = 0;
            for (long k = 0; k < r.nh; k++)
                t += w[k] * r.pk[i * r.nh + k];
            s[i] = t / (double)p.V;
        }
        mtsi_gamma_result g;
        ck_assert_int_eq(mtsi_gamma_series(s, r.n, &g), 0);
        ck_assert_msg(fabs(g.value - exact_euler) < NSIGMA * g.err,
                      "dt=%g: <phi^2> = %.5f +- %.5f, Euler-exact %.5f", dt, g.value, g.err,
                      exact_euler);
        ck_assert_msg(fabs(g.value - exact_true) > NSIGMA * g.err,
                      "dt=%g: the O(dt) bias should be visible: %.5f vs %.5f +- %.5f", dt,
                      exact_true, g.value, g.err);
        bias[j] = (g.value - exact_true) / exact_true;
        fprintf(stderr, "langevin dt=%.2f: <phi^2> = %.5f +- %.5f (exact %.5f, relative bias %.4f)\n",
                dt, g.value, g.err, exact_true, bias[j]);
        free(s);
        spectrum_free(&r);
    }
    double ratio = bias[0] / bias[1];
    ck_assert_msg(ratio > 1.6 && ratio < 2.6, "bias ratio %.3f for dt halved is not ~2", ratio);
    free(lam);
    free(w);
}
END_TEST

/* ---- two-site lattice against quadrature ---------------------------- */

typedef struct {
    mtsi_phi4_params p;
    int power;       /* weight M^power */
    double x1;       /* outer variable */
} quad_ctx;

static double two_site_weight(const mtsi_phi4_params *p, double a, double b)
{
    double phi[2] = {a, b};
    return exp(-mtsi_phi4_action(p, phi));
}

static double inner_f(double b, void *vp)
{
    quad_ctx *q = vp;
    double m = 0.5 * (q->x1 + b);
    return pow(m, q->power) * two_site_weight(&q->p, q->x1, b);
}

static double outer_f(double a, void *vp)
{
    quad_ctx *q = vp;
    q->x1 = a;
    gsl_integration_workspace *w = gsl_integration_workspace_alloc(200);
    gsl_function F = {inner_f, q};
    double r, e;
    gsl_integration_qags(&F, -8, 8, 1e-13, 1e-9, 200, w, &r, &e);
    gsl_integration_workspace_free(w);
    return r;
}

static double two_site_moment(const mtsi_phi4_params *p, int power)
{
    quad_ctx q = {*p, power, 0};
    gsl_integration_workspace *w = gsl_integration_workspace_alloc(200);
    gsl_function F = {outer_f, &q};
    double r, e;
    gsl_integration_qags(&F, -8, 8, 1e-13, 1e-8, 200, w, &r, &e);
    gsl_integration_workspace_free(w);
    return r;
}

static void two_site_case(double h, double A, uint64_t seed)
{
    mtsi_phi4_params p;
    memset(&p, 0, sizeof p);
    ck_assert_int_eq(mtsi_phi4_set_lattice(&p, 1, 2), 0);
    mtsi_phi4_set_direct(&p, 0.5, -1.0, 1.0);
    p.h = h;
    p.A = A;
    double z = two_site_moment(&p, 0);
    double m2 = two_site_moment(&p, 2) / z, m4 = two_site_moment(&p, 4) / z;
    for (int s = 0; s < NEXACT; s++) {
        mtsi_sampler_opts o;
        mtsi_sampler_defaults(&o, exact[s], &p);
        if (exact[s] == MTSI_SAMPLER_HMC) {
            o.eps = 0.2;
            o.nleap = 5;
        }
        mtsi_chain *c = mtsi_chain_new(&p, &o, seed + (uint64_t)s, 0, NULL);
        ck_assert_ptr_nonnull(c);
        const long n = 100000;
        double *x2 = malloc(n * sizeof(double)), *x4 = malloc(n * sizeof(double));
        for (long u = 1; u <= 2000; u++) {
            mtsi_chain_update(c);
            mtsi_chain_tune(c, u);
        }
        for (long i = 0; i < n; i++) {
            mtsi_chain_update(c);
            const double *f = mtsi_chain_field(c);
            double m = 0.5 * (f[0] + f[1]);
            x2[i] = m * m;
            x4[i] = m * m * m * m;
        }
        mtsi_gamma_result g2, g4;
        ck_assert_int_eq(mtsi_gamma_series(x2, n, &g2), 0);
        ck_assert_int_eq(mtsi_gamma_series(x4, n, &g4), 0);
        const char *nm = mtsi_sampler_name(exact[s]);
        ck_assert_msg(fabs(g2.value - m2) < NSIGMA * g2.err,
                      "%s h=%g A=%g: <M^2> = %.5f +- %.5f, quadrature %.6f", nm, h, A, g2.value,
                      g2.err, m2);
        ck_assert_msg(fabs(g4.value - m4) < NSIGMA * g4.err,
                      "%s h=%g A=%g: <M^4> = %.5f +- %.5f, quadrature %.6f", nm, h, A, g4.value,
                      g4.err, m4);
        free(x2);
        free(x4);
        mtsi_chain_free(c);
    }
}

START_TEST(two_site_plain)
{
    two_site_case(0.0, 0.0, 101);
}
END_TEST

START_TEST(two_site_field)
{
    two_site_case(0.4, 0.0, 201);
}
END_TEST

START_TEST(two_site_quad)
{
    two_site_case(0.0, -0.6, 301);
    two_site_case(0.25, 0.5, 401);
}
END_TEST


/* ---- near the transition: the exact samplers agree pairwise ---------- */

enum { OBS_ABSM, OBS_M2, OBS_M4, OBS_E, NOBS_T };

static double binder_fn(const double *a, void *ctx)
{
    (void)ctx;
    return 1.0 - a[OBS_M4] / (3.0 * a[OBS_M2] * a[OBS_M2]);
}

/* value/err of <|M|>, <M^2>, U4, e from `chains` replica of n configs each */
static void critical_run(const mtsi_phi4_params *p, mtsi_sampler_kind k, long chains, long n,
                         long thin, uint64_t seed, double val[4], double err[4])
{
    mtsi_sampler_opts o;
    mtsi_sampler_defaults(&o, k, p);
    long *len = malloc((size_t)chains * sizeof(long));
    double *x = malloc((size_t)(NOBS_T * chains * n) * sizeof(double));
    for (long c = 0; c < chains; c++) {
        len[c] = n;
        mtsi_chain *ch = mtsi_chain_new(p, &o, seed, (uint64_t)c, NULL);
        ck_assert_ptr_nonnull(ch);
        for (long u = 1; u <= 1000; u++) {
            mtsi_chain_update(ch);
            mtsi_chain_tune(ch, u);
        }
        for (long i = 0; i < n; i++) {
            for (long t = 0; t < thin; t++)
                mtsi_chain_update(ch);
            const double *f = mtsi_chain_field(ch);
            double s = 0;
            for (long a = 0; a < p->V; a++)
                s += f[a];
            double m = s / (double)p->V, m2 = m * m;
            long row = c * n + i;
            x[OBS_ABSM * chains * n + row] = fabs(m);
            x[OBS_M2 * chains * n + row] = m2;
            x[OBS_M4 * chains * n + row] = m2 * m2;
            x[OBS_E * chains * n + row] = mtsi_phi4_energy(p, f) / (double)p->V;
        }
        mtsi_chain_free(ch);
    }
    mtsi_gamma *g = mtsi_gamma_new(NOBS_T, (int)chains, len);
    ck_assert_ptr_nonnull(g);
    for (int ob = 0; ob < NOBS_T; ob++)
        ck_assert_int_eq(mtsi_gamma_set_obs(g, ob, x + ob * chains * n), 0);
    mtsi_gamma_result r;
    const int prim[3] = {OBS_ABSM, OBS_M2, OBS_E};
    const int slot[3] = {0, 1, 3};
    for (int j = 0; j < 3; j++) {
        ck_assert_int_eq(mtsi_gamma_primary(g, prim[j], &r), 0);
        val[slot[j]] = r.value;
        err[slot[j]] = r.err;
    }
    ck_assert_int_eq(mtsi_gamma_derived(g, binder_fn, NULL, NULL, &r), 0);
    val[2] = r.value;
    err[2] = r.err;
    mtsi_gamma_free(g);
    free(x);
    free(len);
}

static void critical_case(long L, long n)
{
    static const char *names[4] = {"<|M|>", "<M^2>", "U4", "e"};
    const mtsi_sampler_kind ks[3] = {MTSI_SAMPLER_HMC, MTSI_SAMPLER_FAHMC, MTSI_SAMPLER_CLUSTER};
    mtsi_phi4_params p;
    memset(&p, 0, sizeof p);
    ck_assert_int_eq(mtsi_phi4_set_lattice(&p, 2, L), 0);
    mtsi_phi4_set_m2_lambda(&p, -4.0, 4.7);
    double val[3][4], err[3][4];
    for (int s = 0; s < 3; s++) {
        critical_run(&p, ks[s], 4, n, ks[s] == MTSI_SAMPLER_CLUSTER ? 1 : 4, 1000 + 10 * s, val[s],
                     err[s]);
        fprintf(stderr, "L=%ld %-8s |M| %.5f(%.5f) M2 %.5f(%.5f) U4 %.4f(%.4f) e %.5f(%.5f)\n", L,
                mtsi_sampler_name(ks[s]), val[s][0], err[s][0], val[s][1], err[s][1], val[s][2],
                err[s][2], val[s][3], err[s][3]);
    }
    for (int a = 0; a < 3; a++)
        for (int b = a + 1; b < 3; b++)
            for (int q = 0; q < 4; q++) {
                double z = (val[a][q] - val[b][q]) / hypot(err[a][q], err[b][q]);
                ck_assert_msg(fabs(z) < NSIGMA, "L=%ld %s: %s %.5f(%.5f) vs %s %.5f(%.5f), z=%.2f",
                              L, names[q], mtsi_sampler_name(ks[a]), val[a][q], err[a][q],
                              mtsi_sampler_name(ks[b]), val[b][q], err[b][q], z);
            }
}

START_TEST(critical_agree_L8)
{
    critical_case(8, 10000);
}
END_TEST

START_TEST(critical_agree_L16)
{
    critical_case(16, 10000);
}
END_TEST

/* ---- model basics -------------------------------------------------- */

START_TEST(force_matches_energy)
{
    mtsi_phi4_params p;
    memset(&p, 0, sizeof p);
    for (int dim = 1; dim <= 3; dim++) {
        ck_assert_int_eq(mtsi_phi4_set_lattice(&p, dim, dim == 3 ? 3 : 5), 0);
        mtsi_phi4_set_direct(&p, 0.7, -0.3, 0.9);
        p.h = 0.2;
        p.A = -0.1;
        mtsi_rng r;
        mtsi_rng_seed(&r, 7, 0);
        double *phi = malloc((size_t)p.V * sizeof(double)), *g = malloc((size_t)p.V * sizeof(double));
        mtsi_rng_normal_fill(&r, phi, p.V);
        double S = mtsi_phi4_force(&p, phi, g);
        ck_assert_double_eq_tol(S, mtsi_phi4_action(&p, phi), 1e-10 * fabs(S));
        for (long a = 0; a < p.V; a++) {
            const double hstep = 1e-5;
            double keep = phi[a];
            phi[a] = keep + hstep;
            double sp = mtsi_phi4_action(&p, phi);
            phi[a] = keep - hstep;
            double sm = mtsi_phi4_action(&p, phi);
            phi[a] = keep;
            ck_assert_double_eq_tol(g[a], (sp - sm) / (2 * hstep), 1e-6);
        }
        free(phi);
        free(g);
    }
}
END_TEST

START_TEST(conventions)
{
    mtsi_phi4_params p;
    memset(&p, 0, sizeof p);
    ck_assert_int_eq(mtsi_phi4_set_lattice(&p, 2, 4), 0);
    mtsi_phi4_set_m2_lambda(&p, -4.0, 4.7);
    ck_assert_double_eq(p.chi, 2.0);
    ck_assert_double_eq(p.kappa, -8.0);
    ck_assert_double_eq_tol(p.gamma, 18.8, 1e-12);
    /* Hopping form: S = sum[-2 k sum_mu phi phi' + phi^2 + l (phi^2 - 1)^2] equals
     * E(chi, kappa, gamma) up to a constant; check on a random field. */
    mtsi_phi4_set_hopping(&p, 0.18, 1.3);
    mtsi_rng r;
    mtsi_rng_seed(&r, 3, 0);
    double phi[16], phi2[16];
    mtsi_rng_normal_fill(&r, phi, 16);
    mtsi_rng_normal_fill(&r, phi2, 16);
    double d[2];
    for (int t = 0; t < 2; t++) {
        const double *f = t ? phi2 : phi;
        double s = 0;
        for (long a = 0; a < 16; a++) {
            for (int mu = 0; mu < 2; mu++)
                s += -2 * 0.18 * f[a] * f[mtsi_phi4_neighbour(&p, a, mu, 1)];
            s += f[a] * f[a] + 1.3 * (f[a] * f[a] - 1) * (f[a] * f[a] - 1);
        }
        d[t] = s - mtsi_phi4_energy(&p, f);
    }
    ck_assert_double_eq_tol(d[0], d[1], 1e-9);
    /* gamma = 0 with kappa <= 0 is unstable and refused */
    mtsi_phi4_set_direct(&p, 1.0, 0.0, 0.0);
    ck_assert_int_eq(mtsi_phi4_validate(&p), MTSI_EINVAL);
    ck_assert_ptr_nonnull(strstr(mtsi_error_msg(), "kappa"));
    mtsi_phi4_set_direct(&p, 1.0, 0.5, 0.0);
    p.A = 0.6;
    ck_assert_int_eq(mtsi_phi4_validate(&p), MTSI_EINVAL);
}
END_TEST

/* G(x) by FFT equals the direct sum; ghat0 = V M^2. */
START_TEST(observables_direct)
{
    mtsi_phi4_params p;
    memset(&p, 0, sizeof p);
    ck_assert_int_eq(mtsi_phi4_set_lattice(&p, 2, 6), 0);
    mtsi_phi4_set_direct(&p, 1, 1, 1);
    mtsi_rng r;
    mtsi_rng_seed(&r, 5, 0);
    double phi[36], G[6];
    mtsi_rng_normal_fill(&r, phi, 36);
    mtsi_phi4_meas *m = mtsi_phi4_meas_new(&p);
    mtsi_phi4_obs o;
    mtsi_phi4_meas_run(m, phi, &o, G);
    double s = 0;
    for (int a = 0; a < 36; a++)
        s += phi[a];
    ck_assert_double_eq_tol(o.m, s / 36, 1e-12);
    ck_assert_double_eq_tol(o.ghat0, 36 * o.m2, 1e-10);
    for (int x = 0; x < 6; x++) {
        double g = 0;
        for (int i = 0; i < 6; i++)
            for (int j = 0; j < 6; j++)
                g += phi[i * 6 + j] * (phi[((i + x) % 6) * 6 + j] + phi[i * 6 + (j + x) % 6]);
        ck_assert_double_eq_tol(G[x], g / 72.0, 1e-10);
    }
    /* ghat1: |phi_hat(2 pi/L e_mu)|^2 averaged over mu, by a direct sum */
    double g1 = 0;
    for (int mu = 0; mu < 2; mu++) {
        double re = 0, im = 0;
        for (int i = 0; i < 6; i++)
            for (int j = 0; j < 6; j++) {
                double ph = 2 * M_PI * (mu == 0 ? i : j) / 6.0;
                re += phi[i * 6 + j] * cos(ph);
                im -= phi[i * 6 + j] * sin(ph);
            }
        g1 += (re * re + im * im) / 36.0;
    }
    ck_assert_double_eq_tol(o.ghat1, g1 / 2, 1e-10);
    mtsi_phi4_meas_free(m);
}
END_TEST


/* Refinement: configurations that start far from the target (all zero)
 * reach the exact tilted free field after enough exact updates; each kind
 * is tuned on its pilot chain, then runs with a frozen step. */
START_TEST(refine_reaches_free_field)
{
    mtsi_phi4_params p;
    free_params(&p, 0.3, -0.2);
    const long n = 4000, V = p.V, nh = mtsi_phi4_nhalf(&p);
    double *x = malloc((size_t)(n * V) * sizeof(double));
    double *pk = malloc((size_t)(n * nh) * sizeof(double));
    double *m = malloc((size_t)n * sizeof(double));
    double *in = fftw_alloc_real((size_t)V);
    fftw_complex *F = fftw_alloc_complex((size_t)nh);
    int dims[2] = {(int)p.L, (int)p.L};
    fftw_plan pl = fftw_plan_dft_r2c(2, dims, in, F, FFTW_ESTIMATE);
    for (int s = 0; s < NEXACT; s++) {
        mtsi_sampler_opts o;
        mtsi_sampler_defaults(&o, exact[s], &p);
        if (exact[s] == MTSI_SAMPLER_HMC) { /* trajectory 0.75: omega T in [0.6, 2.2], no
                                               mode near the omega T = pi resonance */
            o.eps = 0.25;
            o.nleap = 3;
        }
        memset(x, 0, (size_t)(n * V) * sizeof(double));
        mtsi_refine_stats st;
        ck_assert_int_eq(mtsi_refine(&p, &o, n, x, 40, 200, 91 + (uint64_t)s, &st), 0);
        ck_assert_msg(st.prop > 0 && (double)st.acc / (double)st.prop > 0.2,
                      "%s: refine acceptance %ld/%ld", mtsi_sampler_name(exact[s]), st.acc,
                      st.prop);
        for (long i = 0; i < n; i++) {
            memcpy(in, x + i * V, (size_t)V * sizeof(double));
            fftw_execute(pl);
            double sum = 0;
            for (long a = 0; a < V; a++)
                sum += x[i * V + a];
            m[i] = sum / (double)V;
            for (long k = 0; k < nh; k++)
                pk[i * nh + k] = (F[k][0] * F[k][0] + F[k][1] * F[k][1]) / (double)V;
        }
        /* the configurations are independent: plain standard errors */
        spectrum_run r = {n, nh, pk, m, 1.0};
        char who[64];
        snprintf(who, sizeof who, "refine %s", mtsi_sampler_name(exact[s]));
        check_free_spectrum(&p, &r, who);
    }
    fftw_destroy_plan(pl);
    fftw_free(in);
    fftw_free(F);
    free(x);
    free(pk);
    free(m);
}
END_TEST

/* Configuration i uses stream i: the result does not depend on the thread
 * count or on how configurations are scheduled. Inexact kinds are refused. */
START_TEST(refine_thread_independent)
{
    mtsi_phi4_params p;
    memset(&p, 0, sizeof p);
    ck_assert_int_eq(mtsi_phi4_set_lattice(&p, 2, 8), 0);
    mtsi_phi4_set_m2_lambda(&p, -4, 4.7);
    p.h = 0.05;
    const long n = 37, V = p.V;
    double *a = malloc((size_t)(n * V) * sizeof(double));
    double *b = malloc((size_t)(n * V) * sizeof(double));
    mtsi_rng r;
    mtsi_rng_seed(&r, 5, 0);
    for (long i = 0; i < n * V; i++)
        a[i] = 0.5 * mtsi_rng_normal(&r);
    memcpy(b, a, (size_t)(n * V) * sizeof(double));
    mtsi_sampler_opts o;
    mtsi_sampler_defaults(&o, MTSI_SAMPLER_HMC, &p);
    o.tune = 1;
    mtsi_refine_stats s1, s2;
    omp_set_num_threads(1);
    ck_assert_int_eq(mtsi_refine(&p, &o, n, a, 7, 50, 3, &s1), 0);
    omp_set_num_threads(2);
    ck_assert_int_eq(mtsi_refine(&p, &o, n, b, 7, 50, 3, &s2), 0);
    ck_assert(memcmp(a, b, (size_t)(n * V) * sizeof(double)) == 0);
    ck_assert_int_eq(s1.acc, s2.acc);
    ck_assert_int_eq(s1.prop, n * 7);
    mtsi_sampler_defaults(&o, MTSI_SAMPLER_LANGEVIN, &p);
    ck_assert_int_eq(mtsi_refine(&p, &o, n, a, 1, 0, 3, &s1), MTSI_EINVAL);
    ck_assert_ptr_nonnull(strstr(mtsi_error_msg(), "langevin"));
    free(a);
    free(b);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("mcmc");
    TCase *basic = tcase_create("model");
    tcase_add_test(basic, force_matches_energy);
    tcase_add_test(basic, conventions);
    tcase_add_test(basic, observables_direct);
    suite_add_tcase(s, basic);
    TCase *t = tcase_create("exactness");
    tcase_set_timeout(t, 600);
    tcase_add_test(t, free_field_exact);
    tcase_add_test(t, free_field_with_field);
    tcase_add_test(t, free_field_with_quad);
    tcase_add_test(t, langevin_exp_free_field_exact);
    tcase_add_test(t, langevin_euler_bias);
    tcase_add_test(t, two_site_plain);
    tcase_add_test(t, two_site_field);
    tcase_add_test(t, two_site_quad);
    tcase_add_test(t, refine_reaches_free_field);
    tcase_add_test(t, refine_thread_independent);
    suite_add_tcase(s, t);
    TCase *crit = tcase_create("critical");
    tcase_set_timeout(crit, 600);
    tcase_add_test(crit, critical_agree_L8);
    tcase_add_test(crit, critical_agree_L16);
    suite_add_tcase(s, crit);
    return s;
}

int main(void)
{
    gsl_set_error_handler_off();
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
