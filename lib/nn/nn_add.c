/* Sum of two tensors of one shape: the residual connection. */
#include "config.h"
#include "nn_internal.h"
#include "mtsi_err.h"

static int add_shape(nn_graph *g, nn_node *nd)
{
    nn_node *a = nn_in(g, nd, 0), *b = nn_in(g, nd, 1);
    if (a->c != b->c || a->h != b->h || a->w != b->w)
        return mtsi_error_set(MTSI_EFAIL, "nn: adding %dx%dx%d to %dx%dx%d", a->c, a->h, a->w, b->c,
                              b->h, b->w);
    nd->h = a->h;
    nd->w = a->w;
    return MTSI_OK;
}

static void add_forward(nn_graph *g, nn_node *nd)
{
    const nn_real *a = nn_in(g, nd, 0)->y, *b = nn_in(g, nd, 1)->y;
    nn_real *y = nd->y;
    long n = (long)g->batch * nn_size(nd);
#pragma omp parallel for simd num_threads(nn_threads(g, n)) schedule(static)
    for (long i = 0; i < n; i++)
        y[i] = a[i] + b[i];
}

static void add_backward(nn_graph *g, nn_node *nd)
{
    nn_real *da = nn_in(g, nd, 0)->dy, *db = nn_in(g, nd, 1)->dy;
    const nn_real *dy = nd->dy;
    long n = (long)g->batch * nn_size(nd);
#pragma omp parallel for simd num_threads(nn_threads(g, n)) schedule(static)
    for (long i = 0; i < n; i++) {
        da[i] += dy[i];
        db[i] += dy[i];
    }
}

const nn_op nn_op_add = {"add", add_shape, NULL, add_forward, add_backward};
