/* GroupNorm (Wu & He 2018) with an optional per-sample modulation:
 *   x̂ = (x − μ_{n,g}) / √(σ²_{n,g} + ε),   u = γ_c x̂ + β_c,
 *   y = u (1 + s_{n,c}) + t_{n,c}
 * where (s, t) are the 2C channels of a conditioning vector node (absent:
 * s = t = 0). Statistics are over the C/G channels × H × W of each group.
 * Parameters: γ[C] (init 1), β[C] (init 0). Backward, with a = γ(1 + s):
 *   dx = (1/σ)(a·dy − mean_g(a·dy) − x̂ mean_g(a·dy·x̂)),
 *   dγ += Σ (1+s) dy x̂,  dβ += Σ (1+s) dy,  ds = Σ dy u,  dt = Σ dy. */
#include "config.h"
#include "nn_internal.h"
#include "mtsi_err.h"

#include <omp.h>
#include <string.h>

#define GN_EPS 1e-5

static int gnorm_shape(nn_graph *g, nn_node *nd)
{
    nn_node *x = nn_in(g, nd, 0);
    nd->h = x->h;
    nd->w = x->w;
    if (nd->in[1] >= 0) {
        nn_node *c = nn_in(g, nd, 1);
        if (c->h != 1 || c->w != 1)
            return mtsi_error_set(MTSI_EFAIL, "nn: group-norm conditioning is not a vector");
    }
    nd->naux = 2L * g->batch * nd->groups;
    nd->ws = 2L * nd->c;
    return MTSI_OK;
}

static void gnorm_init(nn_graph *g, nn_node *nd, mtsi_rng *r)
{
    nn_real *gamma = g->param + nd->poff;
    for (int c = 0; c < nd->c; c++)
        gamma[c] = 1;
}

/* Σ x and Σ (x − μ)² over n values, in double with eight running sums
 * (vectorisable, and the same bits for any vector width). */
static inline double sum8(const nn_real *x, long n)
{
    double a[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    long i = 0;
    for (; i + 8 <= n; i += 8)
        for (int l = 0; l < 8; l++)
            a[l] += x[i + l];
    for (; i < n; i++)
        a[i & 7] += x[i];
    return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
}

static inline double sqdev8(const nn_real *x, long n, double mu)
{
    double a[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    long i = 0;
    for (; i + 8 <= n; i += 8)
        for (int l = 0; l < 8; l++) {
            double d = x[i + l] - mu;
            a[l] += d * d;
        }
    for (; i < n; i++) {
        double d = x[i] - mu;
        a[i & 7] += d * d;
    }
    return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
}

/* Σ d and Σ d (x − μ) rs over n values (the backward sums). */
static inline void dsums8(const nn_real *x, const nn_real *d, long n, double mu, double rs,
                          double *A, double *B)
{
    double a[8] = {0, 0, 0, 0, 0, 0, 0, 0}, b[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    long i = 0;
    for (; i + 8 <= n; i += 8)
        for (int l = 0; l < 8; l++) {
            a[l] += d[i + l];
            b[l] += d[i + l] * ((x[i + l] - mu) * rs);
        }
    for (; i < n; i++) {
        a[i & 7] += d[i];
        b[i & 7] += d[i] * ((x[i] - mu) * rs);
    }
    *A = ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
    *B = ((b[0] + b[1]) + (b[2] + b[3])) + ((b[4] + b[5]) + (b[6] + b[7]));
}

/* One group of one sample: statistics, then y = a x + b per channel, and
 * with a fused SiLU after it also s = y σ(y). */
NN_SIMD static void gnorm_group(const nn_real *x, nn_real *y, nn_real *s, int cg, long hw,
                                const nn_real *a, const nn_real *b0, const nn_real *b1,
                                nn_real *aux)
{
    long m = cg * hw;
    double mu = sum8(x, m) / m;
    double rs = 1 / sqrt(sqdev8(x, m, mu) / m + GN_EPS);
    aux[0] = (nn_real)mu;
    aux[1] = (nn_real)rs;
    for (int j = 0; j < cg; j++) {
        /* y = a x + b folded per channel: a = rs γ (1+s), b = (β − μ rs γ)(1+s) + t */
        nn_real aa = (nn_real)rs * a[j];
        nn_real bb = (b0[j] - (nn_real)(mu * rs) * a[j]) + b1[j];
        const nn_real *xc = x + j * hw;
        nn_real *yc = y + j * hw;
        if (s) {
            nn_real *sc = s + j * hw;
#pragma omp simd
            for (long i = 0; i < hw; i++) {
                nn_real v = aa * xc[i] + bb;
                yc[i] = v;
                sc[i] = v * nn_sigmoid(v);
            }
        } else
#pragma omp simd
            for (long i = 0; i < hw; i++)
                yc[i] = aa * xc[i] + bb;
    }
}

static void gnorm_forward(nn_graph *g, nn_node *nd)
{
    const nn_node *xn = nn_in(g, nd, 0);
    const nn_node *cn = nd->in[1] >= 0 ? nn_in(g, nd, 1) : NULL;
    nn_node *sn = nd->fused ? &g->nodes[nd->fused - 1] : NULL;
    const nn_real *gamma = g->param + nd->poff, *beta = gamma + nd->c;
    int C = nd->c, G = nd->groups, cg = C / G;
    long hw = (long)nd->h * nd->w, m = cg * hw;
    long ng = (long)g->batch * G;
#pragma omp parallel for num_threads(nn_threads(g, ng * m)) schedule(static)
    for (long k = 0; k < ng; k++) {
        int n = (int)(k / G), gi = (int)(k % G);
        long off = ((long)n * C + (long)gi * cg) * hw;
        /* per channel of the group: a = γ(1+s), b0 = β(1+s), b1 = t */
        nn_real a[cg], b0[cg], b1[cg];
        for (int j = 0; j < cg; j++) {
            int c = gi * cg + j;
            nn_real sc = 1, sh = 0;
            if (cn) {
                sc = 1 + cn->y[(long)n * 2 * C + c];
                sh = cn->y[(long)n * 2 * C + C + c];
            }
            a[j] = gamma[c] * sc;
            b0[j] = beta[c] * sc;
            b1[j] = sh;
        }
        gnorm_group(xn->y + off, nd->y + off, sn ? sn->y + off : NULL, cg, hw, a, b0, b1,
                    nd->aux + 2 * k);
    }
}

/* The fused SiLU's backward: d = ds · σ(y)(1 + y(1 − σ(y))), written
 * (not added) to the group norm's dy, whose only consumer the SiLU is. */
NN_SIMD static void silu_grad(const nn_real *y, const nn_real *ds, nn_real *d, long n)
{
#pragma omp simd
    for (long i = 0; i < n; i++) {
        nn_real sg = nn_sigmoid(y[i]);
        d[i] = ds[i] * sg * (1 + y[i] * (1 - sg));
    }
}

NN_SIMD static void gnorm_dx(const nn_real *x, const nn_real *d, nn_real *dx, long n, nn_real a,
                             nn_real b1, nn_real b2, nn_real mu)
{
#pragma omp simd
    for (long i = 0; i < n; i++)
        dx[i] += a * d[i] - b1 - (x[i] - mu) * b2;
}

static void gnorm_backward(nn_graph *g, nn_node *nd)
{
    nn_node *xn = nn_in(g, nd, 0);
    nn_node *cn = nd->in[1] >= 0 ? nn_in(g, nd, 1) : NULL;
    const nn_node *sn = nd->fused ? &g->nodes[nd->fused - 1] : NULL;
    const nn_real *gamma = g->param + nd->poff, *beta = gamma + nd->c;
    int C = nd->c, G = nd->groups, cg = C / G;
    long hw = (long)nd->h * nd->w, m = cg * hw;
    int nt = nn_threads(g, (long)g->batch * C * hw), used = 1;
#pragma omp parallel num_threads(nt)
    {
        int t = omp_get_thread_num(), lo, hi;
        if (t == 0)
            used = omp_get_num_threads();
        nn_split(g->batch, t, omp_get_num_threads(), &lo, &hi);
        nn_real *acc = g->work + (long)t * g->wsize; /* dγ, dβ of this thread */
        memset(acc, 0, 2 * (size_t)C * sizeof(nn_real));
        for (int n = lo; n < hi; n++)
            for (int gi = 0; gi < G; gi++) {
                long k = (long)n * G + gi;
                double mu = nd->aux[2 * k], rs = nd->aux[2 * k + 1];
                long off = ((long)n * C + (long)gi * cg) * hw;
                const nn_real *x = xn->y + off, *dy = nd->dy + off;
                nn_real *dx = xn->dy + off;
                if (sn)
                    silu_grad(nd->y + off, sn->dy + off, nd->dy + off, m);
                double m1 = 0, m2 = 0;
                for (int j = 0; j < cg; j++) {
                    int c = gi * cg + j;
                    const nn_real *xc = x + j * hw, *dc = dy + j * hw;
                    double A, B;
                    dsums8(xc, dc, hw, mu, rs, &A, &B);
                    double sc = cn ? 1 + cn->y[(long)n * 2 * C + c] : 1;
                    if (cn) {
                        cn->dy[(long)n * 2 * C + c] += (nn_real)(gamma[c] * B + beta[c] * A);
                        cn->dy[(long)n * 2 * C + C + c] += (nn_real)A;
                    }
                    acc[c] += (nn_real)(sc * B);
                    acc[C + c] += (nn_real)(sc * A);
                    m1 += gamma[c] * sc * A;
                    m2 += gamma[c] * sc * B;
                }
                m1 /= m;
                m2 /= m;
                for (int j = 0; j < cg; j++) {
                    int c = gi * cg + j;
                    double sc = cn ? 1 + cn->y[(long)n * 2 * C + c] : 1;
                    nn_real a = (nn_real)(gamma[c] * sc * rs), b1 = (nn_real)(m1 * rs),
                            b2 = (nn_real)(m2 * rs * rs), mf = (nn_real)mu;
                    gnorm_dx(x + j * hw, dy + j * hw, dx + j * hw, hw, a, b1, b2, mf);
                }
            }
    }
    nn_real *gg = g->grad + nd->poff;
    for (int t = 0; t < used; t++) {
        const nn_real *acc = g->work + (long)t * g->wsize;
        for (int c = 0; c < 2 * C; c++)
            gg[c] += acc[c];
    }
}

const nn_op nn_op_gnorm = {"groupnorm", gnorm_shape, gnorm_init, gnorm_forward, gnorm_backward};
