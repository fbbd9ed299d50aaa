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

static void gnorm_forward(nn_graph *g, nn_node *nd)
{
    const nn_node *xn = nn_in(g, nd, 0);
    const nn_node *cn = nd->in[1] >= 0 ? nn_in(g, nd, 1) : NULL;
    const nn_real *gamma = g->param + nd->poff, *beta = gamma + nd->c;
    int C = nd->c, G = nd->groups, cg = C / G;
    long hw = (long)nd->h * nd->w, m = cg * hw;
    long ng = (long)g->batch * G;
#pragma omp parallel for num_threads(nn_threads(g, ng * m)) schedule(static)
    for (long k = 0; k < ng; k++) {
        int n = (int)(k / G), gi = (int)(k % G);
        const nn_real *x = xn->y + ((long)n * C + (long)gi * cg) * hw;
        nn_real *y = nd->y + ((long)n * C + (long)gi * cg) * hw;
        double s1 = 0, s2 = 0;
        for (long i = 0; i < m; i++)
            s1 += x[i];
        double mu = s1 / m;
        for (long i = 0; i < m; i++) {
            double d = x[i] - mu;
            s2 += d * d;
        }
        double rs = 1 / sqrt(s2 / m + GN_EPS);
        nd->aux[2 * k] = (nn_real)mu;
        nd->aux[2 * k + 1] = (nn_real)rs;
        for (int j = 0; j < cg; j++) {
            int c = gi * cg + j;
            nn_real sc = 1, sh = 0;
            if (cn) {
                sc = 1 + cn->y[(long)n * 2 * C + c];
                sh = cn->y[(long)n * 2 * C + C + c];
            }
            /* y = a x + b folded per channel */
            nn_real a = (nn_real)rs * gamma[c] * sc;
            nn_real b = (beta[c] - (nn_real)(mu * rs) * gamma[c]) * sc + sh;
            const nn_real *xc = x + j * hw;
            nn_real *yc = y + j * hw;
            for (long i = 0; i < hw; i++)
                yc[i] = a * xc[i] + b;
        }
    }
}

static void gnorm_backward(nn_graph *g, nn_node *nd)
{
    nn_node *xn = nn_in(g, nd, 0);
    nn_node *cn = nd->in[1] >= 0 ? nn_in(g, nd, 1) : NULL;
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
                double m1 = 0, m2 = 0;
                for (int j = 0; j < cg; j++) {
                    int c = gi * cg + j;
                    const nn_real *xc = x + j * hw, *dc = dy + j * hw;
                    double A = 0, B = 0;
                    for (long i = 0; i < hw; i++) {
                        double xh = (xc[i] - mu) * rs;
                        A += dc[i];
                        B += dc[i] * xh;
                    }
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
                    const nn_real *xc = x + j * hw, *dc = dy + j * hw;
                    nn_real *dxc = dx + j * hw;
                    for (long i = 0; i < hw; i++)
                        dxc[i] += a * dc[i] - b1 - (xc[i] - mf) * b2;
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
