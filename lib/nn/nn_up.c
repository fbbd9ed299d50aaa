/* Nearest-neighbour upsampling by fh×fw: each value fills its block;
 * backward sums the block. With a reference node the factors are the
 * ratio of its grid to the input's (the U-Net undoes its own pooling). */
#include "config.h"
#include "nn_internal.h"
#include "mtsi_err.h"

#include <string.h>

static int up_shape(nn_graph *g, nn_node *nd)
{
    nn_node *x = nn_in(g, nd, 0);
    if (nd->ref >= 0) {
        nn_node *r = &g->nodes[nd->ref];
        if (r->h % x->h || r->w % x->w)
            return mtsi_error_set(MTSI_EFAIL, "nn: cannot upsample %dx%d to %dx%d", x->h, x->w,
                                  r->h, r->w);
        nd->h = r->h;
        nd->w = r->w;
    } else {
        nd->h = x->h * nd->fh;
        nd->w = x->w * nd->fw;
    }
    return MTSI_OK;
}

static void up_forward(nn_graph *g, nn_node *nd)
{
    nn_node *xn = nn_in(g, nd, 0);
    int h = xn->h, w = xn->w, fh = nd->h / h, fw = nd->w / w, W = nd->w;
    long planes = (long)g->batch * nd->c;
#pragma omp parallel for num_threads(nn_threads(g, planes * nd->h * W)) schedule(static)
    for (long p = 0; p < planes; p++) {
        const nn_real *x = xn->y + p * h * w;
        nn_real *y = nd->y + p * nd->h * W;
        for (int r = 0; r < h; r++) {
            nn_real *yr = y + (long)r * fh * W;
            const nn_real *xr = x + (long)r * w;
            if (fw == 2)
                for (int c = 0; c < w; c++)
                    yr[2 * c] = yr[2 * c + 1] = xr[c];
            else
                for (int c = 0; c < W; c++)
                    yr[c] = xr[c / fw];
            for (int i = 1; i < fh; i++)
                memcpy(yr + (long)i * W, yr, (size_t)W * sizeof(nn_real));
        }
    }
}

static void up_backward(nn_graph *g, nn_node *nd)
{
    nn_node *xn = nn_in(g, nd, 0);
    int h = xn->h, w = xn->w, fh = nd->h / h, fw = nd->w / w, W = nd->w;
    long planes = (long)g->batch * nd->c;
#pragma omp parallel for num_threads(nn_threads(g, planes * nd->h * W)) schedule(static)
    for (long p = 0; p < planes; p++) {
        nn_real *dx = xn->dy + p * h * w;
        const nn_real *dy = nd->dy + p * nd->h * W;
        for (int r = 0; r < h; r++)
            for (int i = 0; i < fh; i++) {
                const nn_real *dr = dy + ((long)r * fh + i) * W;
                nn_real *xr = dx + (long)r * w;
                if (fw == 2)
                    for (int c = 0; c < w; c++)
                        xr[c] += dr[2 * c] + dr[2 * c + 1];
                else
                    for (int c = 0; c < W; c++)
                        xr[c / fw] += dr[c];
            }
    }
}

const nn_op nn_op_up = {"upsample", up_shape, NULL, up_forward, up_backward};
