/* Convolution kh×kw (odd), stride 1, "same" output, circular padding (the
 * lattice is periodic, so the layer commutes with translations) or zero
 * padding (images, paths). Parameters: W[cout][cin][kh][kw], then b[cout].
 *
 * Per sample, y = W · col(x) + b where col(x) is the (cin·kh·kw) × (h·w)
 * im2col matrix: one GEMM with K = cin·kh·kw. A 1×1 convolution multiplies
 * x itself. Backward, per sample:
 *   dW += dy · col(x)ᵀ,  db += Σ_hw dy,  dx += col⁻¹(Wᵀ · dy)
 * with col⁻¹ the adjoint of im2col (scatter-add). The batch is split over
 * threads; each thread sums dW for its samples in its own buffer and the
 * buffers are added in thread order (reproducible for a fixed count). */
#include "config.h"
#include "nn_internal.h"
#include "mtsi_err.h"

#include <omp.h>
#include <string.h>

static inline int wrap(int i, int n)
{
    i %= n;
    return i < 0 ? i + n : i;
}

/* d[x] = s[x + dx], out-of-range read as 0 (zero padding) or wrapped. */
static void row_gather(nn_real *restrict d, const nn_real *restrict s, int w, int dx, int circ)
{
    if (dx <= -w || dx >= w) {
        for (int x = 0; x < w; x++) {
            int sx = x + dx;
            d[x] = (sx >= 0 && sx < w) ? s[sx] : circ ? s[wrap(sx, w)] : 0;
        }
        return;
    }
    int x0 = dx < 0 ? -dx : 0, x1 = dx > 0 ? w - dx : w;
    for (int x = 0; x < x0; x++)
        d[x] = circ ? s[x + dx + w] : 0;
    memcpy(d + x0, s + x0 + dx, (size_t)(x1 - x0) * sizeof(nn_real));
    for (int x = x1; x < w; x++)
        d[x] = circ ? s[x + dx - w] : 0;
}

/* The adjoint: s[x + dx] += d[x] (wrapped, or dropped when outside). */
static void row_scatter(const nn_real *restrict d, nn_real *restrict s, int w, int dx, int circ)
{
    if (dx <= -w || dx >= w) {
        for (int x = 0; x < w; x++) {
            int sx = x + dx;
            if (sx >= 0 && sx < w)
                s[sx] += d[x];
            else if (circ)
                s[wrap(sx, w)] += d[x];
        }
        return;
    }
    int x0 = dx < 0 ? -dx : 0, x1 = dx > 0 ? w - dx : w;
    if (circ)
        for (int x = 0; x < x0; x++)
            s[x + dx + w] += d[x];
    for (int x = x0; x < x1; x++)
        s[x + dx] += d[x];
    if (circ)
        for (int x = x1; x < w; x++)
            s[x + dx - w] += d[x];
}

static void im2col(const nn_node *nd, int h, int w, const nn_real *x, nn_real *col)
{
    int ph = nd->kh / 2, pw = nd->kw / 2, circ = nd->pad == MTSI_NN_PAD_CIRCULAR;
    long hw = (long)h * w;
    for (int ci = 0; ci < nd->cin; ci++)
        for (int ki = 0; ki < nd->kh; ki++)
            for (int kj = 0; kj < nd->kw; kj++) {
                nn_real *d = col + ((long)(ci * nd->kh + ki) * nd->kw + kj) * hw;
                const nn_real *xc = x + ci * hw;
                for (int r = 0; r < h; r++) {
                    int sr = r + ki - ph;
                    if (sr < 0 || sr >= h) {
                        if (!circ) {
                            memset(d + (long)r * w, 0, (size_t)w * sizeof(nn_real));
                            continue;
                        }
                        sr = wrap(sr, h);
                    }
                    row_gather(d + (long)r * w, xc + (long)sr * w, w, kj - pw, circ);
                }
            }
}

static void col2im(const nn_node *nd, int h, int w, const nn_real *col, nn_real *x)
{
    int ph = nd->kh / 2, pw = nd->kw / 2, circ = nd->pad == MTSI_NN_PAD_CIRCULAR;
    long hw = (long)h * w;
    for (int ci = 0; ci < nd->cin; ci++)
        for (int ki = 0; ki < nd->kh; ki++)
            for (int kj = 0; kj < nd->kw; kj++) {
                const nn_real *d = col + ((long)(ci * nd->kh + ki) * nd->kw + kj) * hw;
                nn_real *xc = x + ci * hw;
                for (int r = 0; r < h; r++) {
                    int sr = r + ki - ph;
                    if (sr < 0 || sr >= h) {
                        if (!circ)
                            continue;
                        sr = wrap(sr, h);
                    }
                    row_scatter(d + (long)r * w, xc + (long)sr * w, w, kj - pw, circ);
                }
            }
}

static int is_1x1(const nn_node *nd) { return nd->kh == 1 && nd->kw == 1; }

static int conv_shape(nn_graph *g, nn_node *nd)
{
    nn_node *x = nn_in(g, nd, 0);
    nd->h = x->h;
    nd->w = x->w;
    long K = (long)nd->cin * nd->kh * nd->kw, hw = (long)nd->h * nd->w;
    long dw = (long)nd->c * K + nd->c;
    nd->ws = is_1x1(nd) ? dw : 2 * K * hw + dw;
    return MTSI_OK;
}

static void conv_init(nn_graph *g, nn_node *nd, mtsi_rng *r)
{
    /* Variance 1/fan_in (uniform on ±√(3/fan_in)); bias 0. */
    double fan = (double)nd->cin * nd->kh * nd->kw;
    double b = sqrt(3.0 / fan);
    nn_real *W = g->param + nd->poff;
    for (long i = 0; i < nd->nw; i++)
        W[i] = (nn_real)(b * (2.0 * mtsi_rng_uniform(r) - 1.0));
}

static void conv_forward(nn_graph *g, nn_node *nd)
{
    const nn_node *xn = nn_in(g, nd, 0);
    const nn_real *W = g->param + nd->poff, *bias = W + nd->nw;
    int cout = nd->c, K = nd->cin * nd->kh * nd->kw, hw = nd->h * nd->w;
    long xs = (long)nd->cin * hw, ys = (long)cout * hw;
    int nt = nn_threads(g, (long)g->batch * cout * K * hw);
#pragma omp parallel num_threads(nt)
    {
        int t = omp_get_thread_num(), lo, hi;
        nn_split(g->batch, t, omp_get_num_threads(), &lo, &hi);
        nn_real *col = g->work + (long)t * g->wsize;
        for (int n = lo; n < hi; n++) {
            const nn_real *x = xn->y + n * xs;
            nn_real *y = nd->y + n * ys;
            for (int co = 0; co < cout; co++)
                for (int i = 0; i < hw; i++)
                    y[(long)co * hw + i] = bias[co];
            const nn_real *B = x;
            if (!is_1x1(nd)) {
                im2col(nd, nd->h, nd->w, x, col);
                B = col;
            }
            NN_GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, cout, hw, K, 1, W, K, B, hw, 1, y,
                    hw);
        }
    }
}

static void conv_backward(nn_graph *g, nn_node *nd)
{
    nn_node *xn = nn_in(g, nd, 0);
    const nn_real *W = g->param + nd->poff;
    int cout = nd->c, K = nd->cin * nd->kh * nd->kw, hw = nd->h * nd->w;
    long xs = (long)nd->cin * hw, ys = (long)cout * hw, ndw = (long)cout * K;
    int one = is_1x1(nd);
    int nt = nn_threads(g, (long)g->batch * cout * K * hw), used = 1;
#pragma omp parallel num_threads(nt)
    {
        int t = omp_get_thread_num(), lo, hi;
        if (t == 0)
            used = omp_get_num_threads();
        nn_split(g->batch, t, omp_get_num_threads(), &lo, &hi);
        nn_real *ws = g->work + (long)t * g->wsize;
        nn_real *col = ws, *dcol = ws + (long)K * hw;
        nn_real *dW = one ? ws : ws + 2L * K * hw, *db = dW + ndw;
        memset(dW, 0, (size_t)(ndw + cout) * sizeof(nn_real));
        for (int n = lo; n < hi; n++) {
            const nn_real *x = xn->y + n * xs, *dy = nd->dy + n * ys;
            nn_real *dx = xn->dy + n * xs;
            for (int co = 0; co < cout; co++) {
                nn_real s = 0;
                for (int i = 0; i < hw; i++)
                    s += dy[(long)co * hw + i];
                db[co] += s;
            }
            if (one) {
                NN_GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, cout, K, hw, 1, dy, hw, x, hw, 1,
                        dW, K);
                NN_GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, K, hw, cout, 1, W, K, dy, hw, 1,
                        dx, hw);
            } else {
                im2col(nd, nd->h, nd->w, x, col);
                NN_GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, cout, K, hw, 1, dy, hw, col, hw,
                        1, dW, K);
                NN_GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, K, hw, cout, 1, W, K, dy, hw, 0,
                        dcol, hw);
                col2im(nd, nd->h, nd->w, dcol, dx);
            }
        }
    }
    nn_real *gw = g->grad + nd->poff;
    for (int t = 0; t < used; t++) {
        const nn_real *dW = g->work + (long)t * g->wsize + (one ? 0 : 2L * K * hw);
        for (long i = 0; i < ndw + cout; i++)
            gw[i] += dW[i];
    }
}

const nn_op nn_op_conv = {"conv", conv_shape, conv_init, conv_forward, conv_backward};
