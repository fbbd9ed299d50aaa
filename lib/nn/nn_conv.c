/* Convolution kh×kw (odd), stride 1, "same" output, circular padding (the
 * lattice is periodic, so the layer commutes with translations) or zero
 * padding (images, paths). Parameters: W[cout][cin][kh][kw], then b[cout].
 * 3×3 kernels on grids of at least 2×2 use Winograd F(4×4,3×3) (below);
 * other kernels im2col:
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


/* ---- Winograd F(4×4, 3×3) -------------------------------------------
 *
 * A 3×3 correlation on a 4×4 output tile from its 6×6 input tile d is
 *   Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A        (Lavin & Gray 2016)
 * with the interpolation points 0, ±1, ±2, ∞: 36 multiplications instead
 * of 144. Over channels, for each of the 36 transformed positions ξ,
 *   M[ξ] (cout × tiles) = U[ξ] (cout × cin) · V[ξ] (cin × tiles),
 * one GEMM per ξ on a chunk of tiles. Padding (circular or zero) is
 * applied when the input tiles are gathered; output tiles are cropped at
 * the grid's edge, so any h×w works. Backward:
 *   dx = the same convolution of dy with W'[ci][co][2−i][2−j] (the adjoint
 *        of a centred same-size correlation, for either padding),
 *   dU[ξ] += dM[ξ] · V[ξ]ᵀ with dM = A dY Aᵀ (cropped 4×4 tiles of dy),
 *   dW += Gᵀ dU G
 * which is the exact gradient of the forward formula. The tiles of the
 * whole batch are cut into fixed chunks of nd->wino; threads take whole
 * chunks (a fixed split, reproducible for a fixed thread count). */

#define WINO_MAXB 64
/* Row stride of the transform scratch: not a multiple of 1 KB, so the 36
 * rows a tile is scattered over do not collide in the cache sets. */
#define WINO_DS (WINO_MAXB + 16)

#define WINO_SIMD NN_SIMD

/* Bᵀ z for 6-vectors z, r over n tiles (rows at the given pointers). */
static inline void wino_bt(nn_real *const r[6], const nn_real *const z[6], int n)
{
    const nn_real *z0 = z[0], *z1 = z[1], *z2 = z[2], *z3 = z[3], *z4 = z[4], *z5 = z[5];
    nn_real *r0 = r[0], *r1 = r[1], *r2 = r[2], *r3 = r[3], *r4 = r[4], *r5 = r[5];
#pragma omp simd
    for (int k = 0; k < n; k++) {
        nn_real a0 = z0[k], a1 = z1[k], a2 = z2[k], a3 = z3[k], a4 = z4[k], a5 = z5[k];
        nn_real p = a4 - 4 * a2, q = a3 - 4 * a1, u = a4 - a2, v = 2 * (a3 - a1);
        r0[k] = 4 * a0 - 5 * a2 + a4;
        r1[k] = p + q;
        r2[k] = p - q;
        r3[k] = u + v;
        r4[k] = u - v;
        r5[k] = 4 * a1 - 5 * a3 + a5;
    }
}

/* Aᵀ m: 6 → 4. */
static inline void wino_at(nn_real *const r[4], const nn_real *const m[6], int n)
{
    const nn_real *m0 = m[0], *m1 = m[1], *m2 = m[2], *m3 = m[3], *m4 = m[4], *m5 = m[5];
    nn_real *r0 = r[0], *r1 = r[1], *r2 = r[2], *r3 = r[3];
#pragma omp simd
    for (int k = 0; k < n; k++) {
        nn_real s1 = m1[k] + m2[k], d1 = m1[k] - m2[k], s2 = m3[k] + m4[k], d2 = m3[k] - m4[k];
        r0[k] = m0[k] + s1 + s2;
        r1[k] = d1 + 2 * d2;
        r2[k] = s1 + 4 * s2;
        r3[k] = d1 + 8 * d2 + m5[k];
    }
}

/* A e: 4 → 6 (the adjoint of Aᵀ). */
static inline void wino_a(nn_real *const r[6], const nn_real *const e[4], int n)
{
    const nn_real *e0 = e[0], *e1 = e[1], *e2 = e[2], *e3 = e[3];
    nn_real *r0 = r[0], *r1 = r[1], *r2 = r[2], *r3 = r[3], *r4 = r[4], *r5 = r[5];
#pragma omp simd
    for (int k = 0; k < n; k++) {
        nn_real a0 = e0[k], a1 = e1[k], a2 = e2[k], a3 = e3[k];
        nn_real s = a0 + a2, d = a1 + a3, s4 = a0 + 4 * a2, d8 = 2 * a1 + 8 * a3;
        r0[k] = a0;
        r1[k] = s + d;
        r2[k] = s - d;
        r3[k] = s4 + d8;
        r4[k] = s4 - d8;
        r5[k] = a3;
    }
}

/* G g: 3 → 6, and Gᵀ u: 6 → 3 (its adjoint), on single values. */
static inline void wino_g(nn_real r[6], nn_real g0, nn_real g1, nn_real g2)
{
    const nn_real q = (nn_real)0.25, s = (nn_real)(1.0 / 6), t = (nn_real)(1.0 / 24);
    nn_real a = (g0 + g2) * s, b = g1 * s, u = g0 * t + g2 * s, v = g1 * (2 * t);
    r[0] = g0 * q;
    r[1] = -a - b;
    r[2] = b - a;
    r[3] = u + v;
    r[4] = u - v;
    r[5] = g2;
}
static inline void wino_gt(nn_real r[3], const nn_real u[6])
{
    const nn_real q = (nn_real)0.25, s = (nn_real)(1.0 / 6), t = (nn_real)(1.0 / 24);
    r[0] = u[0] * q - (u[1] + u[2]) * s + (u[3] + u[4]) * t;
    r[1] = (u[2] - u[1]) * s + (u[3] - u[4]) * (2 * t);
    r[2] = (u[3] + u[4] - u[1] - u[2]) * s + u[5];
}

/* U[ξ][o][i] = (G w Gᵀ)[ξ] for w = W[o][i] (flip = 0) or, for the
 * backward-data weights, U[ξ][i][o] from W[o][i] rotated by 180°. Rows of
 * U are written in runs of 32 (the 36 planes are far apart). */
static void wino_weights(const nn_real *W, int cout, int cin, int flip, nn_real *U, int t, int nt)
{
    long plane = (long)cout * cin;
    int np = flip ? cin : cout, nq = flip ? cout : cin; /* U row p, column q */
    int lo, hi;
    nn_split(np, t, nt, &lo, &hi); /* this thread's rows */
    for (int p = lo; p < hi; p++)
        for (int q0 = 0; q0 < nq; q0 += 32) {
            int nb = nq - q0 < 32 ? nq - q0 : 32;
            nn_real buf[36][32];
            for (int qq = 0; qq < nb; qq++) {
                int o = flip ? q0 + qq : p, i = flip ? p : q0 + qq;
                const nn_real *w = W + ((long)o * cin + i) * 9;
                nn_real k[9], t[6][3], r[6];
                for (int a = 0; a < 9; a++)
                    k[a] = flip ? w[8 - a] : w[a];
                for (int c = 0; c < 3; c++) {
                    wino_g(r, k[c], k[3 + c], k[6 + c]);
                    for (int a = 0; a < 6; a++)
                        t[a][c] = r[a];
                }
                for (int a = 0; a < 6; a++) {
                    wino_g(r, t[a][0], t[a][1], t[a][2]);
                    for (int b = 0; b < 6; b++)
                        buf[a * 6 + b][qq] = r[b];
                }
            }
            for (int xi = 0; xi < 36; xi++)
                memcpy(U + xi * plane + (long)p * nq + q0, buf[xi], (size_t)nb * sizeof(nn_real));
        }
}

/* dW[o][i] += Gᵀ dU[·][o][i] G. */
static void wino_weights_grad(const nn_real *dU, int cout, int cin, nn_real *dW)
{
    long plane = (long)cout * cin;
    for (long b0 = 0; b0 < plane; b0 += 32) {
        int nb = plane - b0 < 32 ? (int)(plane - b0) : 32;
        nn_real buf[36][32];
        for (int xi = 0; xi < 36; xi++)
            memcpy(buf[xi], dU + xi * plane + b0, (size_t)nb * sizeof(nn_real));
        for (int bb = 0; bb < nb; bb++) {
            nn_real t[6][3], u[6], r[3];
            for (int a = 0; a < 6; a++) {
                for (int b = 0; b < 6; b++)
                    u[b] = buf[a * 6 + b][bb];
                wino_gt(t[a], u);
            }
            for (int c = 0; c < 3; c++) {
                for (int a = 0; a < 6; a++)
                    u[a] = t[a][c];
                wino_gt(r, u);
                for (int a = 0; a < 3; a++)
                    dW[(b0 + bb) * 9 + a * 3 + c] += r[a];
            }
        }
    }
}

/* Where the tiles [t0, t0+n) of the batch read and write: sample index,
 * tile row and column, and the 16 output offsets in a channel plane (-1:
 * outside the grid). */
typedef struct {
    int n, h, w, th, tw, circ;
    int *map;              /* the padded plane, (4 th + 2) × (4 tw + 2): source
                            * offsets in a channel plane, -1 for zero */
    int samp[WINO_MAXB];
    int ty[WINO_MAXB], tx[WINO_MAXB];
    int corner[WINO_MAXB]; /* offset of the input tile's top-left corner */
    int inner[WINO_MAXB];  /* 1: the input tile needs no padding */
    int full[WINO_MAXB];   /* 1: the 4×4 output tile is inside the grid */
    int out[16][WINO_MAXB];
} wino_tiles;

static void wino_locate(wino_tiles *tl, int h, int w, int circ, long t0, int n)
{
    int th = (h + 3) / 4, tw = (w + 3) / 4;
    long tps = (long)th * tw;
    tl->n = n;
    tl->h = h;
    tl->w = w;
    tl->th = th;
    tl->tw = tw;
    tl->circ = circ;
    for (int k = 0; k < n; k++) {
        long t = t0 + k, r = t % tps;
        int ty = (int)(r / tw), tx = (int)(r % tw);
        tl->samp[k] = (int)(t / tps);
        tl->ty[k] = ty;
        tl->tx[k] = tx;
        tl->corner[k] = (4 * ty - 1) * w + 4 * tx - 1;
        tl->inner[k] = ty > 0 && tx > 0 && 4 * ty + 5 <= h && 4 * tx + 5 <= w;
        tl->full[k] = 4 * ty + 4 <= h && 4 * tx + 4 <= w;
        for (int a = 0; a < 4; a++)
            for (int b = 0; b < 4; b++) {
                int y = 4 * ty + a, x = 4 * tx + b;
                tl->out[a * 4 + b][k] = y < h && x < w ? y * w + x : -1;
            }
    }
}

/* The padded plane: padded (r, c) holds the input at (r − 1, c − 1),
 * wrapped or zero outside the grid. */
static void wino_map(wino_tiles *tl, int h, int w, int th, int tw, int circ)
{
    int pw = 4 * tw + 2, ph = 4 * th + 2;
    for (int r = 0; r < ph; r++) {
        int y = r - 1;
        y = (y >= 0 && y < h) ? y : circ ? wrap(y, h) : -1;
        for (int c = 0; c < pw; c++) {
            int x = c - 1;
            x = (x >= 0 && x < w) ? x : circ ? wrap(x, w) : -1;
            tl->map[r * pw + c] = y < 0 || x < 0 ? -1 : y * w + x;
        }
    }
}

/* V[ξ][c][k] = (Bᵀ d B)[ξ] for the 6×6 input tile d of tile k, channel c
 * of the C-channel tensor x. tmp: 72·WINO_DS. Row stride of V: ld. */
WINO_SIMD static void wino_input(const wino_tiles *tl, const nn_real *x, int C, long hw,
                                 nn_real *V, long ld, nn_real *tmp)
{
    int n = tl->n, w = tl->w, pw = 4 * tl->tw + 2;
    nn_real *d = tmp, *e = tmp + 36 * WINO_DS;
    for (int c = 0; c < C; c++) {
        /* inner tiles read the plane directly, the others through the
         * map of the padded plane (wrapped or zero) */
        for (int k = 0; k < n; k++) {
            const nn_real *xc = x + ((long)tl->samp[k] * C + c) * hw;
            if (tl->inner[k]) {
                const nn_real *p = xc + tl->corner[k];
                for (int i = 0; i < 6; i++)
                    for (int j = 0; j < 6; j++)
                        d[(i * 6 + j) * WINO_DS + k] = p[i * w + j];
            } else {
                const int *mp = tl->map + 4 * tl->ty[k] * pw + 4 * tl->tx[k];
                for (int i = 0; i < 6; i++)
                    for (int j = 0; j < 6; j++) {
                        int o = mp[i * pw + j];
                        d[(i * 6 + j) * WINO_DS + k] = o < 0 ? 0 : xc[o < 0 ? 0 : o];
                    }
            }
        }
        for (int j = 0; j < 6; j++) {
            const nn_real *z[6];
            nn_real *r[6];
            for (int i = 0; i < 6; i++) {
                z[i] = d + (i * 6 + j) * WINO_DS;
                r[i] = e + (i * 6 + j) * WINO_DS;
            }
            wino_bt(r, z, n);
        }
        for (int i = 0; i < 6; i++) {
            const nn_real *z[6];
            nn_real *r[6];
            for (int j = 0; j < 6; j++) {
                z[j] = e + (i * 6 + j) * WINO_DS;
                r[j] = V + (i * 6 + j) * C * ld + c * ld;
            }
            wino_bt(r, z, n);
        }
    }
}

/* y (C channels) = Aᵀ M[·][c] A on the output tiles, plus bias[c] (when
 * bias is not NULL) or added to y (bias NULL). */
WINO_SIMD static void wino_output(const wino_tiles *tl, const nn_real *M, long ld, int C, long hw,
                        const nn_real *bias, nn_real *y, nn_real *tmp)
{
    int n = tl->n, w = tl->w;
    nn_real *e = tmp, *o = tmp + 24 * WINO_DS;
    for (int c = 0; c < C; c++) {
        for (int i = 0; i < 6; i++) {
            const nn_real *m[6];
            nn_real *r[4];
            for (int j = 0; j < 6; j++)
                m[j] = M + (i * 6 + j) * C * ld + c * ld;
            for (int j = 0; j < 4; j++)
                r[j] = e + (i * 4 + j) * WINO_DS;
            wino_at(r, m, n);
        }
        for (int j = 0; j < 4; j++) {
            const nn_real *m[6];
            nn_real *r[4];
            for (int i = 0; i < 6; i++)
                m[i] = e + (i * 4 + j) * WINO_DS;
            for (int i = 0; i < 4; i++)
                r[i] = o + (i * 4 + j) * WINO_DS;
            wino_at(r, m, n);
        }
        nn_real b = bias ? bias[c] : 0;
        for (int k = 0; k < n; k++) {
            nn_real *yc = y + ((long)tl->samp[k] * C + c) * hw;
            if (tl->full[k]) {
                nn_real *p = yc + tl->corner[k] + w + 1;
                if (bias)
                    for (int a = 0; a < 4; a++)
                        for (int e2 = 0; e2 < 4; e2++)
                            p[a * w + e2] = o[(a * 4 + e2) * WINO_DS + k] + b;
                else
                    for (int a = 0; a < 4; a++)
                        for (int e2 = 0; e2 < 4; e2++)
                            p[a * w + e2] += o[(a * 4 + e2) * WINO_DS + k];
                continue;
            }
            for (int ab = 0; ab < 16; ab++) {
                int off = tl->out[ab][k];
                if (off < 0)
                    continue;
                yc[off] = bias ? o[ab * WINO_DS + k] + b : yc[off] + o[ab * WINO_DS + k];
            }
        }
    }
}

/* dM[ξ][c][k] = (A dY Aᵀ)[ξ] for the cropped 4×4 tiles of dy; db[c] += Σ dy. */
WINO_SIMD static void wino_dout(const wino_tiles *tl, const nn_real *dy, int C, long hw, nn_real *dM,
                      long ld, nn_real *db, nn_real *tmp)
{
    int n = tl->n;
    nn_real *d = tmp, *e = tmp + 16 * WINO_DS;
    int w = tl->w;
    for (int c = 0; c < C; c++) {
        nn_real s = 0;
        for (int k = 0; k < n; k++) {
            const nn_real *dc = dy + ((long)tl->samp[k] * C + c) * hw;
            if (tl->full[k]) {
                const nn_real *p = dc + tl->corner[k] + w + 1;
                for (int a = 0; a < 4; a++)
                    for (int b = 0; b < 4; b++)
                        d[(a * 4 + b) * WINO_DS + k] = p[a * w + b];
            } else
                for (int ab = 0; ab < 16; ab++) {
                    int o = tl->out[ab][k];
                    d[ab * WINO_DS + k] = o < 0 ? 0 : dc[o];
                }
        }
        for (int ab = 0; ab < 16; ab++)
            for (int k = 0; k < n; k++)
                s += d[ab * WINO_DS + k];
        db[c] += s;
        for (int b = 0; b < 4; b++) {
            const nn_real *z[4];
            nn_real *r[6];
            for (int a = 0; a < 4; a++)
                z[a] = d + (a * 4 + b) * WINO_DS;
            for (int a = 0; a < 6; a++)
                r[a] = e + (a * 4 + b) * WINO_DS;
            wino_a(r, z, n);
        }
        for (int a = 0; a < 6; a++) {
            const nn_real *z[4];
            nn_real *r[6];
            for (int b = 0; b < 4; b++)
                z[b] = e + (a * 4 + b) * WINO_DS;
            for (int b = 0; b < 6; b++)
                r[b] = dM + (a * 6 + b) * C * ld + c * ld;
            wino_a(r, z, n);
        }
    }
}

/* Per-thread workspace of a Winograd node: P, Q (36·max(cin,cout)·B
 * each), the transform scratch, the tile table, the padding map, then
 * (backward) dU and db. Offsets in elements. */
typedef struct {
    long q, tmp, tiles, map, dU, total;
} wino_layout;

static wino_layout wino_ws(const nn_node *nd)
{
    wino_layout L;
    long cm = nd->cin > nd->c ? nd->cin : nd->c, B = nd->wino;
    long th = (nd->h + 3) / 4, tw = (nd->w + 3) / 4;
    L.q = 36 * cm * B;
    L.tmp = 2 * L.q;
    L.tiles = L.tmp + 72 * WINO_DS;
    L.map = L.tiles + (long)((sizeof(wino_tiles) + sizeof(nn_real) - 1) / sizeof(nn_real));
    L.map = (L.map + 15) & ~15L;
    L.dU = L.map + ((4 * th + 2) * (4 * tw + 2) + 15) / 16 * 16;
    L.total = L.dU + 36L * nd->c * nd->cin + nd->c;
    return L;
}

/* Chunk geometry of a Winograd node. */
static long wino_ntiles(const nn_graph *g, const nn_node *nd)
{
    return (long)g->batch * ((nd->h + 3) / 4) * ((nd->w + 3) / 4);
}

static void wino_forward(nn_graph *g, nn_node *nd)
{
    const nn_node *xn = nn_in(g, nd, 0);
    const nn_real *W = g->param + nd->poff, *bias = W + nd->nw;
    int cout = nd->c, cin = nd->cin, B = nd->wino, circ = nd->pad == MTSI_NN_PAD_CIRCULAR;
    long hw = (long)nd->h * nd->w, T = wino_ntiles(g, nd), nch = (T + B - 1) / B;
    nn_real *U = nd->aux, *Wseen = nd->aux + 2 * 36L * cout * cin;
    /* U depends on the weights only: repeated forwards with unchanged
     * weights (sampling) skip the transform. */
    int fresh = nd->wvalid && !memcmp(Wseen, W, (size_t)nd->nw * sizeof(nn_real));
    int nt = g->nthreads < nch ? g->nthreads : (int)nch;
#pragma omp parallel num_threads(nt)
    {
        int t = omp_get_thread_num(), lo, hi;
        if (!fresh)
            wino_weights(W, cout, cin, 0, U, t, omp_get_num_threads());
        nn_split((int)nch, t, omp_get_num_threads(), &lo, &hi);
        nn_real *ws = g->work + (long)t * g->wsize;
        wino_layout L = wino_ws(nd);
#pragma omp barrier
        nn_real *V = ws, *M = ws + L.q, *tmp = ws + L.tmp;
        wino_tiles *tl = (wino_tiles *)(ws + L.tiles);
        tl->map = (int *)(ws + L.map);
        wino_map(tl, nd->h, nd->w, (nd->h + 3) / 4, (nd->w + 3) / 4, circ);
        for (int ch = lo; ch < hi; ch++) {
            long t0 = (long)ch * B;
            int n = (int)(T - t0 < B ? T - t0 : B);
            wino_locate(tl, nd->h, nd->w, circ, t0, n);
            wino_input(tl, xn->y, cin, hw, V, B, tmp);
            for (int xi = 0; xi < 36; xi++)
                NN_GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, cout, n, cin, 1,
                        U + (long)xi * cout * cin, cin, V + (long)xi * cin * B, B, 0,
                        M + (long)xi * cout * B, B);
            wino_output(tl, M, B, cout, hw, bias, nd->y, tmp);
        }
    }
    if (!fresh) {
        memcpy(Wseen, W, (size_t)nd->nw * sizeof(nn_real));
        nd->wvalid = 1;
    }
}

static void wino_backward(nn_graph *g, nn_node *nd)
{
    nn_node *xn = nn_in(g, nd, 0);
    const nn_real *W = g->param + nd->poff;
    int cout = nd->c, cin = nd->cin, B = nd->wino, circ = nd->pad == MTSI_NN_PAD_CIRCULAR;
    long hw = (long)nd->h * nd->w, T = wino_ntiles(g, nd), nch = (T + B - 1) / B;
    long nu = 36L * cout * cin;
    nn_real *U2 = nd->aux + nu;
    int nt = g->nthreads < nch ? g->nthreads : (int)nch, used = 1;
    wino_layout L = wino_ws(nd);
    long dUoff = L.dU;
#pragma omp parallel num_threads(nt)
    {
        int t = omp_get_thread_num(), lo, hi;
        if (t == 0)
            used = omp_get_num_threads();
        wino_weights(W, cout, cin, 1, U2, t, omp_get_num_threads());
        nn_split((int)nch, t, omp_get_num_threads(), &lo, &hi);
        nn_real *ws = g->work + (long)t * g->wsize;
        nn_real *P = ws, *Q = ws + L.q, *tmp = ws + L.tmp;
        wino_tiles *tl = (wino_tiles *)(ws + L.tiles);
        tl->map = (int *)(ws + L.map);
        wino_map(tl, nd->h, nd->w, (nd->h + 3) / 4, (nd->w + 3) / 4, circ);
        nn_real *dU = ws + dUoff, *db = dU + nu;
        memset(dU, 0, (size_t)(nu + cout) * sizeof(nn_real));
#pragma omp barrier
        for (int ch = lo; ch < hi; ch++) {
            long t0 = (long)ch * B;
            int n = (int)(T - t0 < B ? T - t0 : B);
            wino_locate(tl, nd->h, nd->w, circ, t0, n);
            /* weights: dU[ξ] += dM[ξ] V[ξ]ᵀ */
            wino_input(tl, xn->y, cin, hw, P, B, tmp);
            wino_dout(tl, nd->dy, cout, hw, Q, B, db, tmp);
            for (int xi = 0; xi < 36; xi++)
                NN_GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, cout, cin, n, 1,
                        Q + (long)xi * cout * B, B, P + (long)xi * cin * B, B, 1,
                        dU + (long)xi * cout * cin, cin);
            /* data: dx += conv(dy, W') */
            wino_input(tl, nd->dy, cout, hw, Q, B, tmp);
            for (int xi = 0; xi < 36; xi++)
                NN_GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, cin, n, cout, 1,
                        U2 + (long)xi * cout * cin, cout, Q + (long)xi * cout * B, B, 0,
                        P + (long)xi * cin * B, B);
            wino_output(tl, P, B, cin, hw, NULL, xn->dy, tmp);
        }
    }
    nn_real *dU0 = g->work + dUoff;
    for (int t = 1; t < used; t++) {
        const nn_real *dUt = g->work + (long)t * g->wsize + dUoff;
        for (long i = 0; i < nu + cout; i++)
            dU0[i] += dUt[i];
    }
    nn_real *gw = g->grad + nd->poff;
    wino_weights_grad(dU0, cout, cin, gw);
    for (int c = 0; c < cout; c++)
        gw[nd->nw + c] += dU0[nu + c];
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
    nd->wino = 0;
    if (nd->kh == 3 && nd->kw == 3 && (g->wino > 0 || (g->wino == 0 && nd->h >= 2 && nd->w >= 2))) {
        /* Chunks of tiles: enough to feed the GEMMs, few enough that every
         * thread gets work. */
        long T = wino_ntiles(g, nd), per = (T + g->nthreads - 1) / g->nthreads;
        int B = WINO_MAXB;
        while (B > 16 && B / 2 >= per)
            B /= 2;
        nd->wino = B;
        nd->naux = 2 * 36L * nd->c * nd->cin + nd->nw; /* U, U', the weights U is of */
        nd->wvalid = 0;
        nd->ws = wino_ws(nd).total;
    }
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
    if (nd->wino) {
        wino_forward(g, nd);
        return;
    }
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
    if (nd->wino) {
        wino_backward(g, nd);
        return;
    }
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
