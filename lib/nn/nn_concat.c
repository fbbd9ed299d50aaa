/* Channel concatenation [a; b] per sample: the U-Net's skip connections. */
#include "config.h"
#include "nn_internal.h"
#include "mtsi_err.h"

#include <string.h>

static int concat_shape(nn_graph *g, nn_node *nd)
{
    nn_node *a = nn_in(g, nd, 0), *b = nn_in(g, nd, 1);
    if (a->h != b->h || a->w != b->w)
        return mtsi_error_set(MTSI_EFAIL, "nn: concatenating %dx%d with %dx%d grids", a->h, a->w,
                              b->h, b->w);
    nd->h = a->h;
    nd->w = a->w;
    return MTSI_OK;
}

static void concat_forward(nn_graph *g, nn_node *nd)
{
    nn_node *a = nn_in(g, nd, 0), *b = nn_in(g, nd, 1);
    long sa = nn_size(a), sb = nn_size(b);
#pragma omp parallel for num_threads(nn_threads(g, (long)g->batch * (sa + sb))) schedule(static)
    for (int n = 0; n < g->batch; n++) {
        memcpy(nd->y + n * (sa + sb), a->y + n * sa, (size_t)sa * sizeof(nn_real));
        memcpy(nd->y + n * (sa + sb) + sa, b->y + n * sb, (size_t)sb * sizeof(nn_real));
    }
}

static void concat_backward(nn_graph *g, nn_node *nd)
{
    nn_node *a = nn_in(g, nd, 0), *b = nn_in(g, nd, 1);
    long sa = nn_size(a), sb = nn_size(b);
#pragma omp parallel for num_threads(nn_threads(g, (long)g->batch * (sa + sb))) schedule(static)
    for (int n = 0; n < g->batch; n++) {
        const nn_real *d = nd->dy + n * (sa + sb);
        nn_real *da = a->dy + n * sa, *db = b->dy + n * sb;
        for (long i = 0; i < sa; i++)
            da[i] += d[i];
        for (long i = 0; i < sb; i++)
            db[i] += d[sa + i];
    }
}

const nn_op nn_op_concat = {"concat", concat_shape, NULL, concat_forward, concat_backward};
