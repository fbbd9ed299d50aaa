/* The samplers of SPEC.md section 4.
 *
 * Notation: S = E - r is the tilted action; with a preconditioner mass m0,
 * S = E_G + E_N where E_G = (1/2) phi^T (-chi Lap + m0) phi and
 * grad E_N = (kappa - A - m0) phi + gamma phi^3 - h (site-local).
 * M = (-chi Lap + m0)^-1 is diagonal in Fourier space, M_k = 1/(chi lambda_k + m0).
 * A "filter" with kernel f_k computes IFFT(f_k FFT(x)), i.e. applies the
 * operator with eigenvalues f_k; FFTW is unnormalised, hence the 1/V. */
#include "config.h"
#include "mtsi_mcmc.h"
#include "mtsi_err.h"
#include "mtsi_out.h"

#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *names[MTSI_SAMPLER_COUNT] = {"langevin", "langevin-exp", "mala",
                                                "hmc",      "fahmc",        "cluster"};

const char *mtsi_sampler_name(mtsi_sampler_kind k)
{
    return (k >= 0 && k < MTSI_SAMPLER_COUNT) ? names[k] : "?";
}

int mtsi_sampler_parse(const char *s, mtsi_sampler_kind *k)
{
    for (int i = 0; i < MTSI_SAMPLER_COUNT; i++)
        if (!strcmp(s, names[i])) {
            *k = (mtsi_sampler_kind)i;
            return MTSI_OK;
        }
    return mtsi_error_set(MTSI_EINVAL,
                          "--sampler: unknown sampler '%s' (langevin, langevin-exp, mala, hmc, "
                          "fahmc, cluster)",
                          s);
}

int mtsi_sampler_is_exact(mtsi_sampler_kind k)
{
    return k == MTSI_SAMPLER_MALA || k == MTSI_SAMPLER_HMC || k == MTSI_SAMPLER_FAHMC ||
           k == MTSI_SAMPLER_CLUSTER;
}

void mtsi_sampler_defaults(mtsi_sampler_opts *o, mtsi_sampler_kind kind, const mtsi_phi4_params *p)
{
    memset(o, 0, sizeof *o);
    o->kind = kind;
    o->m0 = p->kappa - p->A > 0 ? p->kappa - p->A : 1.0;
    o->dt = 0.01;
    o->eps = 0.07;
    o->nleap = 10;
    o->clusters = 0;
    o->tune = 0;
    o->target_acc = 0.8;
    switch (kind) {
    case MTSI_SAMPLER_LANGEVIN:
    case MTSI_SAMPLER_LANGEVIN_EXP:
        break;
    case MTSI_SAMPLER_MALA:
        o->dt = 0.1;
        o->tune = 1;
        o->target_acc = 0.65;
        break;
    case MTSI_SAMPLER_HMC:
        break; /* the paper's settings, untuned */
    case MTSI_SAMPLER_FAHMC:
        o->eps = 0.25;
        o->nleap = 10;
        o->tune = 1;
        break;
    case MTSI_SAMPLER_CLUSTER:
        o->eps = 0.25;
        o->nleap = 6;
        o->tune = 1;
        break;
    default:
        break;
    }
}

int mtsi_sampler_validate(const mtsi_sampler_opts *o, const mtsi_phi4_params *p)
{
    (void)p;
    if (!(o->m0 > 0) || !isfinite(o->m0))
        return mtsi_error_set(MTSI_EINVAL, "--m0: the preconditioner mass must be > 0, got %g",
                              o->m0);
    switch (o->kind) {
    case MTSI_SAMPLER_LANGEVIN:
        if (!(o->dt > 0 && o->dt < 2))
            return mtsi_error_set(MTSI_EINVAL,
                                  "--dt: the Euler Langevin step must be in (0, 2), got %g", o->dt);
        break;
    case MTSI_SAMPLER_LANGEVIN_EXP:
    case MTSI_SAMPLER_MALA:
        if (!(o->dt > 0) || !isfinite(o->dt))
            return mtsi_error_set(MTSI_EINVAL, "--dt: the time step must be > 0, got %g", o->dt);
        break;
    default:
        if (!(o->eps > 0) || !isfinite(o->eps))
            return mtsi_error_set(MTSI_EINVAL, "--eps: the leapfrog step must be > 0, got %g",
                                  o->eps);
        if (o->nleap < 1 || o->nleap > 100000)
            return mtsi_error_set(MTSI_EINVAL, "--nleap: need 1..100000 leapfrog steps, got %d",
                                  o->nleap);
    }
    if (o->tune && !(o->target_acc > 0 && o->target_acc < 1))
        return mtsi_error_set(MTSI_EINVAL, "--target-acc: must be in (0, 1), got %g",
                              o->target_acc);
    if (o->clusters < 0)
        return mtsi_error_set(MTSI_EINVAL, "--clusters: must be >= 0, got %ld", o->clusters);
    return MTSI_OK;
}

struct mtsi_chain {
    mtsi_phi4_params p;
    double *h_site, *A_site; /* owned copies of per-site tilts */
    mtsi_sampler_opts o;
    mtsi_rng rng;
    long V, nh;
    double step;
    double *phi, *grad, *phi0, *grad0, *mom, *vel, *xi, *tmp, *mu, *mu_new;
    fftw_complex *F1, *F2;
    double *Mk, *sqrtM, *sqrtMinv; /* half-spectrum kernels, already divided by V where used */
    fftw_plan r2c, c2r;
    double S;         /* action of the current state (HMC, MALA) */
    int cache_ok;     /* grad / mu / S valid for phi */
    long acc, prop, tune_acc, tune_prop;
    /* cluster */
    int *nb;          /* [V][2 dim] neighbours */
    long *list;
    unsigned *mark;
    unsigned gen;
    double cluster_sites, cluster_count; /* totals over Wolff clusters grown */
    long ncl;                            /* clusters per update in auto mode */
    int no_signal;                       /* 1: updates are never cut short by a signal */
};

/* out = IFFT(k FFT(in)) with k a half-spectrum kernel (unnormalised FFTs:
 * the kernel carries 1/V). `in` is preserved. */
static void filter(mtsi_chain *c, const double *in, const double *k, double *out)
{
    fftw_execute_dft_r2c(c->r2c, (double *)in, c->F1);
    for (long i = 0; i < c->nh; i++) {
        c->F1[i][0] *= k[i];
        c->F1[i][1] *= k[i];
    }
    fftw_execute_dft_c2r(c->c2r, c->F1, out);
}

/* out = IFFT(ka FFT(a) * sa + kb FFT(b) * sb): two filtered inputs, one inverse. */
static void filter2(mtsi_chain *c, const double *a, const double *ka, double sa, const double *b,
                    const double *kb, double sb, double *out)
{
    fftw_execute_dft_r2c(c->r2c, (double *)a, c->F1);
    fftw_execute_dft_r2c(c->r2c, (double *)b, c->F2);
    for (long i = 0; i < c->nh; i++) {
        double fa = sa * ka[i], fb = sb * kb[i];
        c->F1[i][0] = fa * c->F1[i][0] + fb * c->F2[i][0];
        c->F1[i][1] = fa * c->F1[i][1] + fb * c->F2[i][1];
    }
    fftw_execute_dft_c2r(c->c2r, c->F1, out);
}

/* grad E_N: the site-local remainder after splitting off E_G (SPEC section 4). */
static void grad_local(const mtsi_chain *c, const double *phi, double *g)
{
    const mtsi_phi4_params *p = &c->p;
    const double base = p->kappa - c->o.m0;
    for (long a = 0; a < c->V; a++) {
        double f = phi[a];
        g[a] = (base - mtsi_phi4_A_at(p, a) + p->gamma * f * f) * f - mtsi_phi4_h_at(p, a);
    }
}

static double dot(const double *x, const double *y, long n)
{
    double s = 0;
    for (long i = 0; i < n; i++)
        s += x[i] * y[i];
    return s;
}

/* x^T M^-1 x = x^T (-chi Lap + m0) x, computed in real space. */
static double quad_Minv(const mtsi_chain *c, const double *x)
{
    return 2.0 * mtsi_phi4_kinetic(&c->p, x) + c->o.m0 * dot(x, x, c->V);
}

void mtsi_chain_free(mtsi_chain *c)
{
    if (!c)
        return;
#pragma omp critical(mtsi_fftw_planner)
    {
        if (c->r2c)
            fftw_destroy_plan(c->r2c);
        if (c->c2r)
            fftw_destroy_plan(c->c2r);
    }
    double *bufs[] = {c->phi, c->grad, c->phi0, c->grad0, c->mom, c->vel,
                      c->xi,  c->tmp,  c->mu,   c->mu_new, c->Mk, c->sqrtM, c->sqrtMinv};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        fftw_free(bufs[i]);
    fftw_free(c->F1);
    fftw_free(c->F2);
    free(c->h_site);
    free(c->A_site);
    free(c->nb);
    free(c->list);
    free(c->mark);
    free(c);
}

mtsi_chain *mtsi_chain_new(const mtsi_phi4_params *p, const mtsi_sampler_opts *o, uint64_t seed,
                           uint64_t stream, const double *init)
{
    if (mtsi_phi4_validate(p) || mtsi_sampler_validate(o, p))
        return NULL;
    mtsi_chain *c = mtsi_calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->p = *p;
    c->o = *o;
    c->V = p->V;
    c->nh = mtsi_phi4_nhalf(p);
    const long V = c->V, nh = c->nh;
    if (p->h_site) {
        c->h_site = malloc((size_t)V * sizeof(double));
        if (c->h_site)
            memcpy(c->h_site, p->h_site, (size_t)V * sizeof(double));
        c->p.h_site = c->h_site;
    }
    if (p->A_site) {
        c->A_site = malloc((size_t)V * sizeof(double));
        if (c->A_site)
            memcpy(c->A_site, p->A_site, (size_t)V * sizeof(double));
        c->p.A_site = c->A_site;
    }
    double **bufs[] = {&c->phi, &c->grad, &c->phi0, &c->grad0, &c->mom,
                       &c->vel, &c->xi,   &c->tmp,  &c->mu,    &c->mu_new};
    int fail = (p->h_site && !c->h_site) || (p->A_site && !c->A_site);
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        if (!(*bufs[i] = fftw_alloc_real((size_t)V)))
            fail = 1;
    c->Mk = fftw_alloc_real((size_t)nh);
    c->sqrtM = fftw_alloc_real((size_t)nh);
    c->sqrtMinv = fftw_alloc_real((size_t)nh);
    c->F1 = fftw_alloc_complex((size_t)nh);
    c->F2 = fftw_alloc_complex((size_t)nh);
    if (fail || !c->Mk || !c->sqrtM || !c->sqrtMinv || !c->F1 || !c->F2) {
        mtsi_chain_free(c);
        mtsi_error_set(MTSI_ENOMEM, "out of memory for a chain with V = %ld", V);
        return NULL;
    }
    int n[MTSI_PHI4_MAXDIM];
    for (int d = 0; d < p->dim; d++)
        n[d] = (int)p->L;
    /* FFTW_ESTIMATE: the algorithm choice is deterministic, so the same seed
     * gives bitwise the same chain on every run. FFTW's planner is not
     * thread-safe: plans are made one at a time. */
#pragma omp critical(mtsi_fftw_planner)
    {
        c->r2c = fftw_plan_dft_r2c(p->dim, n, c->phi, c->F1, FFTW_ESTIMATE);
        c->c2r = fftw_plan_dft_c2r(p->dim, n, c->F1, c->phi, FFTW_ESTIMATE);
    }
    if (!c->r2c || !c->c2r) {
        mtsi_chain_free(c);
        mtsi_error_set(MTSI_EFAIL, "cannot plan FFTs for L = %ld", p->L);
        return NULL;
    }
    mtsi_phi4_lambda_half(p, c->Mk);
    for (long i = 0; i < nh; i++) {
        double Mk = 1.0 / (p->chi * c->Mk[i] + o->m0);
        c->Mk[i] = Mk / (double)V;
        c->sqrtM[i] = sqrt(Mk) / (double)V;
        c->sqrtMinv[i] = 1.0 / sqrt(Mk) / (double)V;
    }
    if (o->kind == MTSI_SAMPLER_CLUSTER) {
        int nn = 2 * p->dim;
        c->nb = malloc((size_t)V * nn * sizeof(int));
        c->list = malloc((size_t)V * sizeof(long));
        c->mark = calloc((size_t)V, sizeof(unsigned));
        if (!c->nb || !c->list || !c->mark) {
            mtsi_chain_free(c);
            mtsi_error_set(MTSI_ENOMEM, "out of memory for cluster tables, V = %ld", V);
            return NULL;
        }
        for (long a = 0; a < V; a++)
            for (int mu = 0; mu < p->dim; mu++) {
                c->nb[a * nn + 2 * mu] = (int)mtsi_phi4_neighbour(p, a, mu, +1);
                c->nb[a * nn + 2 * mu + 1] = (int)mtsi_phi4_neighbour(p, a, mu, -1);
            }
    }
    mtsi_rng_seed(&c->rng, seed, stream);
    if (init) {
        memcpy(c->phi, init, (size_t)V * sizeof(double));
    } else {
        /* A hot start with the width of the lattice's local fluctuations,
         * 1/sqrt(|kappa| + 2 dim chi): a unit-width start puts sites far up
         * the quartic wall, where a fixed leapfrog step is unstable and a
         * chain can reject every trajectory. */
        double sd = 1.0 / sqrt(fmax(1.0, fabs(p->kappa) + 2.0 * p->dim * p->chi));
        mtsi_rng_normal_fill(&c->rng, c->phi, V);
        for (long a = 0; a < V; a++)
            c->phi[a] *= sd;
    }
    c->step = (o->kind == MTSI_SAMPLER_LANGEVIN || o->kind == MTSI_SAMPLER_LANGEVIN_EXP ||
               o->kind == MTSI_SAMPLER_MALA)
                  ? o->dt
                  : o->eps;
    c->ncl = 1;
    c->cache_ok = 0;
    return c;
}

double *mtsi_chain_field(mtsi_chain *c) { return c->phi; }
long mtsi_chain_field_size(const mtsi_chain *c) { return c->V; }
void mtsi_chain_set_interruptible(mtsi_chain *c, int on) { c->no_signal = !on; }
const mtsi_sampler_opts *mtsi_chain_opts(const mtsi_chain *c) { return &c->o; }
double mtsi_chain_step_size(const mtsi_chain *c) { return c->step; }

void mtsi_chain_acceptance(const mtsi_chain *c, long *acc, long *prop)
{
    *acc = c->acc;
    *prop = c->prop;
}

double mtsi_chain_cluster_fraction(const mtsi_chain *c)
{
    return c->cluster_count > 0 ? c->cluster_sites / (c->cluster_count * (double)c->V) : 0.0;
}

/* ---- unadjusted Fourier Langevin ---------------------------------------- */

static void langevin_euler(mtsi_chain *c)
{
    const double dt = c->step;
    grad_local(c, c->phi, c->grad);
    mtsi_rng_normal_fill(&c->rng, c->xi, c->V);
    /* phi' = (1 - dt) phi - dt M gradE_N + sqrt(2 dt M) xi */
    filter2(c, c->grad, c->Mk, -dt, c->xi, c->sqrtM, sqrt(2.0 * dt), c->tmp);
    for (long a = 0; a < c->V; a++)
        c->phi[a] = (1.0 - dt) * c->phi[a] + c->tmp[a];
}

static void langevin_exp(mtsi_chain *c)
{
    const double dt = c->step, e = exp(-dt);
    grad_local(c, c->phi, c->grad);
    mtsi_rng_normal_fill(&c->rng, c->xi, c->V);
    /* phi' = e^-dt phi - (1 - e^-dt) M gradE_N + sqrt((1 - e^-2dt) M) xi */
    filter2(c, c->grad, c->Mk, -(1.0 - e), c->xi, c->sqrtM, sqrt(1.0 - e * e), c->tmp);
    for (long a = 0; a < c->V; a++)
        c->phi[a] = e * c->phi[a] + c->tmp[a];
}

/* ---- FA-MALA: exponential-integrator proposal + Metropolis-Hastings ---- */

/* mu(x) = e^-dt x - (1 - e^-dt) M gradE_N(x); also returns S(x). */
static double mala_mean(mtsi_chain *c, const double *x, double *mu)
{
    const double e = exp(-c->step);
    grad_local(c, x, c->grad);
    filter(c, c->grad, c->Mk, mu);
    for (long a = 0; a < c->V; a++)
        mu[a] = e * x[a] - (1.0 - e) * mu[a];
    return mtsi_phi4_action(&c->p, x);
}

static int mala(mtsi_chain *c)
{
    const long V = c->V;
    const double e = exp(-c->step), var = 1.0 - e * e;
    if (!c->cache_ok) {
        c->S = mala_mean(c, c->phi, c->mu);
        c->cache_ok = 1;
    }
    /* y = mu(x) + sqrt(var M) xi; forward density exponent is -|xi|^2/2. */
    mtsi_rng_normal_fill(&c->rng, c->xi, V);
    filter(c, c->xi, c->sqrtM, c->tmp);
    double *y = c->phi0;
    for (long a = 0; a < V; a++)
        y[a] = c->mu[a] + sqrt(var) * c->tmp[a];
    double log_fwd = -0.5 * dot(c->xi, c->xi, V);
    double Sy = mala_mean(c, y, c->mu_new);
    for (long a = 0; a < V; a++)
        c->tmp[a] = c->phi[a] - c->mu_new[a];
    double log_rev = -0.5 * quad_Minv(c, c->tmp) / var;
    double log_a = -Sy + c->S + log_rev - log_fwd;
    c->prop++;
    c->tune_prop++;
    if (log_a >= 0 || mtsi_rng_uniform(&c->rng) < exp(log_a)) {
        /* swap buffers: y becomes the state, mu_new its mean */
        double *t = c->phi;
        c->phi = c->phi0;
        c->phi0 = t;
        t = c->mu;
        c->mu = c->mu_new;
        c->mu_new = t;
        c->S = Sy;
        c->acc++;
        c->tune_acc++;
        return 1;
    }
    return 0;
}

/* ---- HMC and Fourier-accelerated HMC --------------------------------- */

static int hmc(mtsi_chain *c, int fourier)
{
    const long V = c->V;
    double eps = c->step;
    if (fourier) /* jitter the step by +-10% to avoid resonant trajectories */
        eps *= 0.9 + 0.2 * mtsi_rng_uniform(&c->rng);
    if (!c->cache_ok) {
        c->S = mtsi_phi4_force(&c->p, c->phi, c->grad);
        c->cache_ok = 1;
    }
    memcpy(c->phi0, c->phi, (size_t)V * sizeof(double));
    memcpy(c->grad0, c->grad, (size_t)V * sizeof(double));
    double S0 = c->S;
    mtsi_rng_normal_fill(&c->rng, c->xi, V);
    double K0 = 0.5 * dot(c->xi, c->xi, V);
    if (fourier) /* p ~ N(0, M^-1), kinetic p^T M p / 2 = |xi|^2 / 2 */
        filter(c, c->xi, c->sqrtMinv, c->mom);
    else
        memcpy(c->mom, c->xi, (size_t)V * sizeof(double));
    double S = S0;
    for (long a = 0; a < V; a++)
        c->mom[a] -= 0.5 * eps * c->grad[a];
    for (int s = 0; s < c->o.nleap; s++) {
        if ((s & 255) == 255 && !c->no_signal && mtsi_signal_pending()) {
            /* a very long trajectory: give up this update, field intact */
            memcpy(c->phi, c->phi0, (size_t)V * sizeof(double));
            memcpy(c->grad, c->grad0, (size_t)V * sizeof(double));
            c->S = S0;
            return -1;
        }
        const double *v = c->mom;
        if (fourier) {
            filter(c, c->mom, c->Mk, c->vel);
            v = c->vel;
        }
        for (long a = 0; a < V; a++)
            c->phi[a] += eps * v[a];
        if (s == c->o.nleap - 1)
            S = mtsi_phi4_force(&c->p, c->phi, c->grad);
        else
            mtsi_phi4_grad(&c->p, c->phi, c->grad);
        double h = (s == c->o.nleap - 1) ? 0.5 * eps : eps;
        for (long a = 0; a < V; a++)
            c->mom[a] -= h * c->grad[a];
    }
    double K1;
    if (fourier) {
        filter(c, c->mom, c->Mk, c->vel);
        K1 = 0.5 * dot(c->mom, c->vel, V);
    } else {
        K1 = 0.5 * dot(c->mom, c->mom, V);
    }
    double dH = (S + K1) - (S0 + K0);
    c->prop++;
    c->tune_prop++;
    if (isfinite(dH) && (dH <= 0 || mtsi_rng_uniform(&c->rng) < exp(-dH))) {
        c->S = S;
        c->acc++;
        c->tune_acc++;
        return 1;
    }
    memcpy(c->phi, c->phi0, (size_t)V * sizeof(double));
    memcpy(c->grad, c->grad0, (size_t)V * sizeof(double));
    c->S = S0;
    return 0;
}

/* ---- embedded Wolff clusters (Brower-Tamayo) --------------------------- */

/* Grows one cluster from a random seed with bond probability
 * 1 - exp(-2 chi phi_a phi_b) for phi_a phi_b > 0, then flips it with
 * probability min(1, exp(-2 sum_C h_a phi_a)). Returns the cluster size. */
static long wolff(mtsi_chain *c)
{
    const int nn = 2 * c->p.dim;
    const double two_chi = 2.0 * c->p.chi;
    double *phi = c->phi;
    if (++c->gen == 0) { /* generation counter wrapped: clear marks */
        memset(c->mark, 0, (size_t)c->V * sizeof(unsigned));
        c->gen = 1;
    }
    const unsigned g = c->gen;
    long s = (long)mtsi_rng_below(&c->rng, (uint64_t)c->V);
    long head = 0, n = 0;
    c->list[n++] = s;
    c->mark[s] = g;
    while (head < n) {
        long a = c->list[head++];
        double fa = phi[a];
        for (int j = 0; j < nn; j++) {
            long b = c->nb[a * nn + j];
            if (c->mark[b] == g)
                continue;
            double prod = fa * phi[b];
            if (prod <= 0)
                continue;
            if (mtsi_rng_uniform(&c->rng) < -expm1(-two_chi * prod)) {
                c->mark[b] = g;
                c->list[n++] = b;
            }
        }
    }
    int flip = 1;
    if (c->p.h_site || c->p.h != 0) {
        double hs = 0;
        for (long i = 0; i < n; i++)
            hs += mtsi_phi4_h_at(&c->p, c->list[i]) * phi[c->list[i]];
        double la = -2.0 * hs;
        flip = la >= 0 || mtsi_rng_uniform(&c->rng) < exp(la);
    }
    if (flip)
        for (long i = 0; i < n; i++)
            phi[c->list[i]] = -phi[c->list[i]];
    return n;
}

/* A fixed number of Wolff clusters, then one FA-HMC trajectory. The number
 * must not depend on the clusters grown in this update (stopping "when V
 * sites have flipped" would bias the law); in auto mode it is re-estimated
 * as V / (mean cluster size) during thermalisation only. */
static int cluster(mtsi_chain *c)
{
    long n = c->o.clusters > 0 ? c->o.clusters : c->ncl;
    for (long i = 0; i < n; i++) {
        /* Many clusters per update: a signal must still be seen promptly.
         * The caller restores the state it saved before the update. */
        if ((i & 1023) == 1023 && !c->no_signal && mtsi_signal_pending())
            return -1;
        c->cluster_sites += (double)wolff(c);
    }
    c->cluster_count += (double)n;
    c->cache_ok = 0; /* the field changed outside the HMC cache */
    return hmc(c, 1);
}

int mtsi_chain_update(mtsi_chain *c)
{
    switch (c->o.kind) {
    case MTSI_SAMPLER_LANGEVIN:
        langevin_euler(c);
        c->prop++;
        c->acc++;
        return 1;
    case MTSI_SAMPLER_LANGEVIN_EXP:
        langevin_exp(c);
        c->prop++;
        c->acc++;
        return 1;
    case MTSI_SAMPLER_MALA:
        return mala(c);
    case MTSI_SAMPLER_HMC:
        return hmc(c, 0);
    case MTSI_SAMPLER_FAHMC:
        return hmc(c, 1);
    case MTSI_SAMPLER_CLUSTER:
        return cluster(c);
    default:
        return 0;
    }
}

void mtsi_chain_tune(mtsi_chain *c, long n_updates)
{
    const long window = 20;
    if (n_updates % window != 0)
        return;
    if (c->o.kind == MTSI_SAMPLER_CLUSTER && c->o.clusters == 0 && c->cluster_sites > 0) {
        double mean = c->cluster_sites / c->cluster_count;
        c->ncl = (long)ceil((double)c->V / mean);
    }
    if (!c->o.tune || c->tune_prop == 0)
        return;
    double rate = (double)c->tune_acc / (double)c->tune_prop;
    /* Multiplicative Robbins-Monro step in log(step). */
    c->step *= exp(1.5 * (rate - c->o.target_acc));
    c->tune_acc = c->tune_prop = 0;
    c->cache_ok = 0; /* MALA's cached mean depends on the step */
}

void mtsi_chain_get_state(const mtsi_chain *c, mtsi_chain_state *s)
{
    memset(s, 0, sizeof *s);
    s->rng = c->rng;
    s->step = c->step;
    s->acc = c->acc;
    s->prop = c->prop;
    s->tune_acc = c->tune_acc;
    s->tune_prop = c->tune_prop;
    s->cluster_sites = c->cluster_sites;
    s->cluster_count = c->cluster_count;
    s->ncl = c->ncl;
}

void mtsi_chain_set_state(mtsi_chain *c, const mtsi_chain_state *s, const double *field)
{
    c->rng = s->rng;
    c->step = s->step;
    c->acc = s->acc;
    c->prop = s->prop;
    c->tune_acc = s->tune_acc;
    c->tune_prop = s->tune_prop;
    c->cluster_sites = s->cluster_sites;
    c->cluster_count = s->cluster_count;
    c->ncl = s->ncl > 0 ? s->ncl : 1;
    memcpy(c->phi, field, (size_t)c->V * sizeof(double));
    c->cache_ok = 0;
}
