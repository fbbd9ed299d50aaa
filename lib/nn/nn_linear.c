/* Dense layer on vectors (nodes of shape c×1×1): y = W x + b with
 * W[cout][cin] then b[cout] in the parameter vector. Used for the global
 * conditioning embedding and the per-block GroupNorm scale/shift. */
#include "config.h"
#include "nn_internal.h"
#include "mtsi_err.h"

static int linear_shape(nn_graph *g, nn_node *nd)
{
    nn_node *x = nn_in(g, nd, 0);
    if (x->h != 1 || x->w != 1)
        return mtsi_error_set(MTSI_EFAIL, "nn: linear layer on a %dx%d grid (needs a vector)", x->h,
                              x->w);
    nd->h = nd->w = 1;
    return MTSI_OK;
}

static void linear_init(nn_graph *g, nn_node *nd, mtsi_rng *r)
{
    double b = sqrt(3.0 / nd->cin);
    nn_real *W = g->param + nd->poff;
    for (long i = 0; i < nd->nw; i++)
        W[i] = (nn_real)(b * (2.0 * mtsi_rng_uniform(r) - 1.0));
}

static void linear_forward(nn_graph *g, nn_node *nd)
{
    const nn_real *W = g->param + nd->poff, *b = W + nd->nw, *x = nn_in(g, nd, 0)->y;
    int n = g->batch, co = nd->c, ci = nd->cin;
    for (int s = 0; s < n; s++)
        for (int o = 0; o < co; o++)
            nd->y[(long)s * co + o] = b[o];
    NN_GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, n, co, ci, 1, x, ci, W, ci, 1, nd->y, co);
}

static void linear_backward(nn_graph *g, nn_node *nd)
{
    nn_node *xn = nn_in(g, nd, 0);
    const nn_real *W = g->param + nd->poff;
    nn_real *dW = g->grad + nd->poff, *db = dW + nd->nw;
    int n = g->batch, co = nd->c, ci = nd->cin;
    for (int s = 0; s < n; s++)
        for (int o = 0; o < co; o++)
            db[o] += nd->dy[(long)s * co + o];
    NN_GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, co, ci, n, 1, nd->dy, co, xn->y, ci, 1, dW,
            ci);
    NN_GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, ci, co, 1, nd->dy, co, W, ci, 1, xn->dy,
            ci);
}

const nn_op nn_op_linear = {"linear", linear_shape, linear_init, linear_forward, linear_backward};
