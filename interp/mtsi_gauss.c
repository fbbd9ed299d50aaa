/* Analytic drifts for Gaussian and Gaussian-mixture data (SPEC 1.2).
 *
 * x1 ~ N(m, C), C circulant with eigenvalues C_k. With D_a = diag(alpha),
 * D_b = diag(1 - alpha), S = D_a^2 + D_b C D_b and r = x - D_b m:
 *   eta0 = D_a S^-1 r,   eta1 = m + C D_b S^-1 r,   b = eta0 - eta1.
 * A uniform alpha = a makes S diagonal in Fourier space,
 * S_k = a^2 + (1 - a)^2 C_k; otherwise S y = r is solved by conjugate
 * gradients with a Jacobi preconditioner (S is symmetric positive definite
 * when C is). */
#include "config.h"
#include "mtsi_err.h"
#include "mtsi_interp.h"
#include "mtsi_phi4.h"

#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    mtsi_phi4_params lat;
    long V, nh;
    int ncomp;
    double *logw;   /* [ncomp] */
    double *means;  /* [ncomp][V] */
    double *ck;     /* [nh] eigenvalues of C */
    double c00;     /* diagonal of C */
    double *buf, *r, *y, *z, *p, *q, *t, *beta, *acc0, *acc1, *logp, *ys;
    fftw_complex *F;
    fftw_plan r2c, c2r;
    long ncg_max;
} gauss;

static void gauss_free(void *vp)
{
    gauss *g = vp;
    if (!g)
        return;
#pragma omp critical(mtsi_fftw_planner)
    {
        if (g->r2c)
            fftw_destroy_plan(g->r2c);
        if (g->c2r)
            fftw_destroy_plan(g->c2r);
    }
    double *bufs[] = {g->buf, g->r, g->y, g->z, g->p, g->q, g->t, g->beta, g->acc0, g->acc1};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        fftw_free(bufs[i]);
    fftw_free(g->F);
    free(g->logw);
    free(g->means);
    free(g->ck);
    free(g->logp);
    free(g->ys);
    free(g);
}

/* out = IFFT(k FFT(in)) / V: the circulant operator with eigenvalues k. */
static void apply_circ(gauss *g, const double *in, const double *k, double *out)
{
    memcpy(g->buf, in, (size_t)g->V * sizeof(double));
    fftw_execute_dft_r2c(g->r2c, g->buf, g->F);
    const double s = 1.0 / (double)g->V;
    for (long i = 0; i < g->nh; i++) {
        g->F[i][0] *= k[i] * s;
        g->F[i][1] *= k[i] * s;
    }
    fftw_execute_dft_c2r(g->c2r, g->F, out);
}

/* y = S^-1 r for a uniform alpha a: y_k = r_k / (a^2 + (1-a)^2 C_k). */
static void solve_uniform(gauss *g, double a, const double *r, double *y)
{
    memcpy(g->buf, r, (size_t)g->V * sizeof(double));
    fftw_execute_dft_r2c(g->r2c, g->buf, g->F);
    const double s = 1.0 / (double)g->V, b2 = (1 - a) * (1 - a);
    for (long i = 0; i < g->nh; i++) {
        double f = s / (a * a + b2 * g->ck[i]);
        g->F[i][0] *= f;
        g->F[i][1] *= f;
    }
    fftw_execute_dft_c2r(g->c2r, g->F, y);
}

/* out = S v = alpha^2 v + beta (C (beta v)) */
static void apply_S(gauss *g, const double *alpha, const double *v, double *out)
{
    for (long a = 0; a < g->V; a++)
        g->t[a] = g->beta[a] * v[a];
    apply_circ(g, g->t, g->ck, out);
    for (long a = 0; a < g->V; a++)
        out[a] = alpha[a] * alpha[a] * v[a] + g->beta[a] * out[a];
}

static double dotv(const double *x, const double *y, long n)
{
    double s = 0;
    for (long i = 0; i < n; i++)
        s += x[i] * y[i];
    return s;
}

/* Preconditioned CG for S y = r; y starts at 0. */
static int solve_cg(gauss *g, const double *alpha, const double *r, double *y)
{
    const long V = g->V;
    double *res = g->z, *p = g->p, *q = g->q;
    double *zz = g->acc1; /* preconditioned residual (acc1 is free during solves) */
    memset(y, 0, (size_t)V * sizeof(double));
    memcpy(res, r, (size_t)V * sizeof(double));
    double rr0 = dotv(r, r, V);
    if (rr0 == 0)
        return MTSI_OK;
    for (long a = 0; a < V; a++)
        zz[a] = res[a] / (alpha[a] * alpha[a] + g->beta[a] * g->beta[a] * g->c00);
    memcpy(p, zz, (size_t)V * sizeof(double));
    double rz = dotv(res, zz, V);
    for (long it = 0; it < g->ncg_max; it++) {
        apply_S(g, alpha, p, q);
        double pq = dotv(p, q, V);
        if (!(pq > 0))
            return mtsi_error_set(MTSI_EFAIL, "Gaussian drift: S is not positive definite");
        double step = rz / pq;
        for (long a = 0; a < V; a++) {
            y[a] += step * p[a];
            res[a] -= step * q[a];
        }
        double rr = dotv(res, res, V);
        if (rr <= 1e-24 * rr0)
            return MTSI_OK;
        for (long a = 0; a < V; a++)
            zz[a] = res[a] / (alpha[a] * alpha[a] + g->beta[a] * g->beta[a] * g->c00);
        double rz_new = dotv(res, zz, V);
        double bet = rz_new / rz;
        rz = rz_new;
        for (long a = 0; a < V; a++)
            p[a] = zz[a] + bet * p[a];
    }
    return mtsi_error_set(MTSI_EFAIL, "Gaussian drift: conjugate gradients did not converge");
}

static int is_uniform(const double *alpha, long V)
{
    for (long a = 1; a < V; a++)
        if (alpha[a] != alpha[0])
            return 0;
    return 1;
}

static int gauss_eval(void *vp, long batch, const double *alpha, const double *x, double *b)
{
    gauss *g = vp;
    const long V = g->V;
    const int J = g->ncomp;
    for (long i = 0; i < batch; i++) {
        const double *al = alpha + i * V, *xi = x + i * V;
        double *bi = b + i * V;
        int uni = is_uniform(al, V);
        for (long a = 0; a < V; a++) {
            if (!(al[a] >= 0 && al[a] <= 1))
                return mtsi_error_set(MTSI_EINVAL, "alpha = %g outside [0, 1]", al[a]);
            g->beta[a] = 1.0 - al[a];
        }
        memset(g->acc0, 0, (size_t)V * sizeof(double));
        /* per component: y_j = S^-1 r_j and log pi_j = log w_j - r_j.y_j / 2 */
        double lmax = -INFINITY;
        for (int j = 0; j < J; j++) {
            const double *m = g->means + (long)j * V;
            double *yj = g->ys + (long)j * V;
            for (long a = 0; a < V; a++)
                g->r[a] = xi[a] - g->beta[a] * m[a];
            int rc = uni ? (solve_uniform(g, al[0], g->r, yj), MTSI_OK) : solve_cg(g, al, g->r, yj);
            if (rc)
                return rc;
            g->logp[j] = g->logw[j] - 0.5 * dotv(g->r, yj, V);
            if (g->logp[j] > lmax)
                lmax = g->logp[j];
        }
        double zs = 0;
        for (int j = 0; j < J; j++) {
            g->logp[j] = exp(g->logp[j] - lmax);
            zs += g->logp[j];
        }
        /* eta1 = sum_j pi_j (m_j + C D_b y_j); eta0 = D_a sum_j pi_j y_j */
        memset(g->y, 0, (size_t)V * sizeof(double));
        for (int j = 0; j < J; j++) {
            double pj = g->logp[j] / zs;
            const double *yj = g->ys + (long)j * V, *m = g->means + (long)j * V;
            for (long a = 0; a < V; a++) {
                g->y[a] += pj * yj[a];
                g->acc0[a] += pj * m[a];
            }
        }
        for (long a = 0; a < V; a++)
            g->t[a] = g->beta[a] * g->y[a];
        apply_circ(g, g->t, g->ck, g->q);
        for (long a = 0; a < V; a++) {
            double eta0 = al[a] * g->y[a];
            double eta1 = g->acc0[a] + g->q[a];
            bi[a] = eta0 - eta1;
        }
    }
    return MTSI_OK;
}

static const mtsi_drift_ops gauss_ops = {gauss_eval, gauss_free};

mtsi_drift *mtsi_drift_gmm_new(int dim, long L, int ncomp, const double *weights,
                               const double *means, const double *ck)
{
    gauss *g = mtsi_calloc(1, sizeof *g);
    if (!g)
        return NULL;
    if (mtsi_phi4_set_lattice(&g->lat, dim, L)) {
        free(g);
        return NULL;
    }
    if (ncomp < 1) {
        free(g);
        mtsi_error_set(MTSI_EINVAL, "a mixture needs at least one component, got %d", ncomp);
        return NULL;
    }
    const long V = g->lat.V, nh = mtsi_phi4_nhalf(&g->lat);
    g->V = V;
    g->nh = nh;
    g->ncomp = ncomp;
    g->ncg_max = 20 * V + 1000;
    g->logw = malloc((size_t)ncomp * sizeof(double));
    g->logp = malloc((size_t)ncomp * sizeof(double));
    g->means = malloc((size_t)(ncomp * V) * sizeof(double));
    g->ys = malloc((size_t)(ncomp * V) * sizeof(double));
    g->ck = malloc((size_t)nh * sizeof(double));
    double **bufs[] = {&g->buf, &g->r, &g->y, &g->z, &g->p, &g->q, &g->t, &g->beta, &g->acc0, &g->acc1};
    int fail = !g->logw || !g->logp || !g->means || !g->ys || !g->ck;
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        if (!(*bufs[i] = fftw_alloc_real((size_t)V)))
            fail = 1;
    g->F = fftw_alloc_complex((size_t)nh);
    if (fail || !g->F) {
        gauss_free(g);
        mtsi_error_set(MTSI_ENOMEM, "out of memory for a Gaussian drift, V = %ld", V);
        return NULL;
    }
    double wsum = 0;
    for (int j = 0; j < ncomp; j++) {
        if (!(weights[j] > 0) || !isfinite(weights[j])) {
            gauss_free(g);
            mtsi_error_set(MTSI_EINVAL, "mixture weight %d is %g; weights must be > 0", j,
                           weights[j]);
            return NULL;
        }
        wsum += weights[j];
    }
    for (int j = 0; j < ncomp; j++)
        g->logw[j] = log(weights[j] / wsum);
    memcpy(g->means, means, (size_t)(ncomp * V) * sizeof(double));
    double c = 0;
    double *w = malloc((size_t)nh * sizeof(double));
    if (!w) {
        gauss_free(g);
        mtsi_error_set(MTSI_ENOMEM, "out of memory");
        return NULL;
    }
    mtsi_phi4_half_weights(&g->lat, w);
    for (long k = 0; k < nh; k++) {
        if (!(ck[k] > 0) || !isfinite(ck[k])) {
            free(w);
            gauss_free(g);
            mtsi_error_set(MTSI_EINVAL, "covariance eigenvalue %ld is %g; must be > 0", k, ck[k]);
            return NULL;
        }
        g->ck[k] = ck[k];
        c += w[k] * ck[k];
    }
    free(w);
    g->c00 = c / (double)V;
    int n[MTSI_PHI4_MAXDIM];
    for (int d = 0; d < dim; d++)
        n[d] = (int)L;
#pragma omp critical(mtsi_fftw_planner)
    {
        g->r2c = fftw_plan_dft_r2c(dim, n, g->buf, g->F, FFTW_ESTIMATE);
        g->c2r = fftw_plan_dft_c2r(dim, n, g->F, g->buf, FFTW_ESTIMATE);
    }
    if (!g->r2c || !g->c2r) {
        gauss_free(g);
        mtsi_error_set(MTSI_EFAIL, "cannot plan FFTs for L = %ld", L);
        return NULL;
    }
    mtsi_shape sh;
    mtsi_shape_lattice(&sh, dim, L);
    return mtsi_drift_wrap(&gauss_ops, g, &sh, ncomp == 1 ? "gaussian" : "gmm");
}

mtsi_drift *mtsi_drift_gaussian_new(int dim, long L, const double *mean, const double *ck)
{
    const double w = 1.0;
    return mtsi_drift_gmm_new(dim, L, 1, &w, mean, ck);
}

int mtsi_gauss_fit(int dim, long L, long n, const double *configs, int zero_mean, double *mean,
                   double *ck)
{
    mtsi_phi4_params lat;
    memset(&lat, 0, sizeof lat);
    int rc = mtsi_phi4_set_lattice(&lat, dim, L);
    if (rc)
        return rc;
    if (n < 2)
        return mtsi_error_set(MTSI_EINVAL, "need at least 2 configurations to fit, got %ld", n);
    const long V = lat.V, nh = mtsi_phi4_nhalf(&lat);
    double m = 0;
    if (!zero_mean) {
        for (long i = 0; i < n * V; i++)
            m += configs[i];
        m /= (double)(n * V);
    }
    double *buf = fftw_alloc_real((size_t)V);
    fftw_complex *F = fftw_alloc_complex((size_t)nh);
    fftw_plan pl = NULL;
    int n_[MTSI_PHI4_MAXDIM];
    for (int d = 0; d < dim; d++)
        n_[d] = (int)L;
    if (buf && F) {
#pragma omp critical(mtsi_fftw_planner)
        pl = fftw_plan_dft_r2c(dim, n_, buf, F, FFTW_ESTIMATE);
    }
    if (!pl) {
        fftw_free(buf);
        fftw_free(F);
        return mtsi_error_set(MTSI_ENOMEM, "out of memory fitting a Gaussian");
    }
    for (long k = 0; k < nh; k++)
        ck[k] = 0;
    for (long i = 0; i < n; i++) {
        for (long a = 0; a < V; a++)
            buf[a] = configs[i * V + a] - m;
        fftw_execute(pl);
        for (long k = 0; k < nh; k++)
            ck[k] += F[k][0] * F[k][0] + F[k][1] * F[k][1];
    }
    double mx = 0;
    for (long k = 0; k < nh; k++) {
        ck[k] /= (double)n * (double)V;
        if (ck[k] > mx)
            mx = ck[k];
    }
    for (long k = 0; k < nh; k++)
        if (ck[k] < 1e-12 * mx || !(ck[k] > 0))
            ck[k] = mx > 0 ? 1e-12 * mx : 1e-12;
    for (long a = 0; a < V; a++)
        mean[a] = m;
#pragma omp critical(mtsi_fftw_planner)
    fftw_destroy_plan(pl);
    fftw_free(buf);
    fftw_free(F);
    return MTSI_OK;
}
