/* Average pooling by fh×fw (non-overlapping): y = mean of each block,
 * dx = dy / (fh·fw) spread over the block. Factors 0 mean "2 on every
 * axis longer than 1", so 1-D paths (H = 1) pool along W only. */
#include "config.h"
#include "nn_internal.h"
#include "mtsi_err.h"

static int pool_shape(nn_graph *g, nn_node *nd)
{
    nn_node *x = nn_in(g, nd, 0);
    int fh = nd->fh ? nd->fh : (x->h > 1 ? 2 : 1), fw = nd->fw ? nd->fw : (x->w > 1 ? 2 : 1);
    if (x->h % fh || x->w % fw)
        return mtsi_error_set(MTSI_EINVAL,
                              "nn: a %dx%d grid cannot be pooled by %dx%d (the grid must be "
                              "divisible by 2 at every level)",
                              x->h, x->w, fh, fw);
    nd->h = x->h / fh;
    nd->w = x->w / fw;
    return MTSI_OK;
}

static void factors(nn_graph *g, nn_node *nd, int *fh, int *fw)
{
    nn_node *x = nn_in(g, nd, 0);
    *fh = x->h / nd->h;
    *fw = x->w / nd->w;
}

static void pool_forward(nn_graph *g, nn_node *nd)
{
    nn_node *xn = nn_in(g, nd, 0);
    int fh, fw, h = nd->h, w = nd->w, W = xn->w;
    factors(g, nd, &fh, &fw);
    nn_real s = (nn_real)1 / (fh * fw);
    long planes = (long)g->batch * nd->c;
#pragma omp parallel for num_threads(nn_threads(g, planes * xn->h * W)) schedule(static)
    for (long p = 0; p < planes; p++) {
        const nn_real *x = xn->y + p * xn->h * W;
        nn_real *y = nd->y + p * h * w;
        if (fh == 2 && fw == 2) {
            for (int r = 0; r < h; r++) {
                const nn_real *x0 = x + (long)2 * r * W, *x1 = x0 + W;
                for (int c = 0; c < w; c++)
                    y[r * w + c] = (((x0[2 * c] + x0[2 * c + 1]) + x1[2 * c]) + x1[2 * c + 1]) * s;
            }
            continue;
        }
        for (int r = 0; r < h; r++)
            for (int c = 0; c < w; c++) {
                nn_real a = 0;
                for (int i = 0; i < fh; i++)
                    for (int j = 0; j < fw; j++)
                        a += x[(long)(r * fh + i) * W + c * fw + j];
                y[r * w + c] = a * s;
            }
    }
}

static void pool_backward(nn_graph *g, nn_node *nd)
{
    nn_node *xn = nn_in(g, nd, 0);
    int fh, fw, h = nd->h, w = nd->w, W = xn->w;
    factors(g, nd, &fh, &fw);
    nn_real s = (nn_real)1 / (fh * fw);
    long planes = (long)g->batch * nd->c;
#pragma omp parallel for num_threads(nn_threads(g, planes * xn->h * W)) schedule(static)
    for (long p = 0; p < planes; p++) {
        nn_real *dx = xn->dy + p * xn->h * W;
        const nn_real *dy = nd->dy + p * h * w;
        for (int r = 0; r < h; r++)
            for (int c = 0; c < w; c++) {
                nn_real d = dy[r * w + c] * s;
                for (int i = 0; i < fh; i++)
                    for (int j = 0; j < fw; j++)
                        dx[(long)(r * fh + i) * W + c * fw + j] += d;
            }
    }
}

const nn_op nn_op_pool = {"avgpool", pool_shape, NULL, pool_forward, pool_backward};
