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

NN_SIMD static void silu_fwd(const nn_real *x, nn_real *y, long n)
{
#pragma omp simd
    for (long i = 0; i < n; i++)
        y[i] = x[i] * nn_sigmoid(x[i]);
}

NN_SIMD static void silu_bwd(const nn_real *x, const nn_real *dy, nn_real *dx, long n)
{
#pragma omp simd
    for (long i = 0; i < n; i++) {
        nn_real s = nn_sigmoid(x[i]);
        dx[i] += dy[i] * s * (1 + x[i] * (1 - s));
    }
}

/* Pieces of 4096 values, split over threads. A SiLU fused into the group
 * norm before it (nd->fused) is done there, forward and backward. */
#define SILU_PIECE 4096L

static void silu_forward(nn_graph *g, nn_node *nd)
{
    if (nd->fused)
        return;
    const nn_real *x = nn_in(g, nd, 0)->y;
    nn_real *y = nd->y;
    long n = (long)g->batch * nn_size(nd), np = (n + SILU_PIECE - 1) / SILU_PIECE;
#pragma omp parallel for num_threads(nn_threads(g, n)) schedule(static)
    for (long p = 0; p < np; p++) {
        long i = p * SILU_PIECE, k = n - i < SILU_PIECE ? n - i : SILU_PIECE;
        silu_fwd(x + i, y + i, k);
    }
}

static void silu_backward(nn_graph *g, nn_node *nd)
{
    if (nd->fused)
        return;
    nn_node *xn = nn_in(g, nd, 0);
    long n = (long)g->batch * nn_size(nd), np = (n + SILU_PIECE - 1) / SILU_PIECE;
#pragma omp parallel for num_threads(nn_threads(g, n)) schedule(static)
    for (long p = 0; p < np; p++) {
        long i = p * SILU_PIECE, k = n - i < SILU_PIECE ? n - i : SILU_PIECE;
        silu_bwd(xn->y + i, nd->dy + i, xn->dy + i, k);
    }
}

const nn_op nn_op_silu = {"silu", silu_shape, NULL, silu_forward, silu_backward};
