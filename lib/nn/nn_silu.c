/* SiLU (swish): y = x σ(x), dy/dx = σ(x) (1 + x (1 − σ(x))). */
#include "config.h"
#include "nn_internal.h"
#include "mtsi_err.h"

static int silu_shape(nn_graph *g, nn_node *nd)
{
    nn_node *x = nn_in(g, nd, 0);
    nd->h = x->h;
    nd->w = x->w;
    return MTSI_OK;
}

static void silu_forward(nn_graph *g, nn_node *nd)
{
    const nn_real *x = nn_in(g, nd, 0)->y;
    nn_real *y = nd->y;
    long n = (long)g->batch * nn_size(nd);
#pragma omp parallel for simd num_threads(nn_threads(g, n)) schedule(static)
    for (long i = 0; i < n; i++)
        y[i] = x[i] / (1 + NN_EXP(-x[i]));
}

static void silu_backward(nn_graph *g, nn_node *nd)
{
    nn_node *xn = nn_in(g, nd, 0);
    const nn_real *x = xn->y, *dy = nd->dy;
    nn_real *dx = xn->dy;
    long n = (long)g->batch * nn_size(nd);
#pragma omp parallel for simd num_threads(nn_threads(g, n)) schedule(static)
    for (long i = 0; i < n; i++) {
        nn_real s = 1 / (1 + NN_EXP(-x[i]));
        dx[i] += dy[i] * s * (1 + x[i] * (1 - s));
    }
}

const nn_op nn_op_silu = {"silu", silu_shape, NULL, silu_forward, silu_backward};
