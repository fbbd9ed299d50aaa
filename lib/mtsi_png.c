/* Raster canvas, plot axes and PNG encoder (mtsi_png.h).
 *
 * The encoder writes the PNG of the W3C recommendation (signature, IHDR,
 * one IDAT, IEND; every chunk with its CRC-32) and the zlib stream of
 * RFC 1950 around a deflate stream of RFC 1951. Deflate is either stored
 * blocks or a single block with the fixed Huffman code and greedy LZ77 on
 * a hash chain: plots are mostly runs of one colour and repeated rows,
 * which such matches (distance 3 or one row) shrink by a factor of ~50
 * without the complexity of dynamic Huffman tables. */
#include "config.h"
#include <errno.h>
#include "mtsi_err.h"
#include "mtsi_out.h"
#include "mtsi_png.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mtsi_png_canvas {
    int w, h;
    int cx0, cy0, cx1, cy1; /* clip rectangle, half-open */
    unsigned char *px;      /* [h][w][3] */
};

mtsi_png_canvas *mtsi_png_canvas_new(int w, int h, uint32_t bg)
{
    if (w < 1 || h < 1 || w > 16384 || h > 16384) {
        mtsi_error_set(MTSI_EINVAL, "canvas size %d x %d: need 1 ... 16384 pixels per side", w, h);
        return NULL;
    }
    mtsi_png_canvas *c = mtsi_calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->px = mtsi_malloc((size_t)w * (size_t)h * 3);
    if (!c->px) {
        free(c);
        return NULL;
    }
    c->w = w;
    c->h = h;
    mtsi_png_canvas_clip_reset(c);
    for (size_t i = 0; i < (size_t)w * (size_t)h; i++) {
        c->px[3 * i] = (unsigned char)(bg >> 16);
        c->px[3 * i + 1] = (unsigned char)(bg >> 8);
        c->px[3 * i + 2] = (unsigned char)bg;
    }
    return c;
}

void mtsi_png_canvas_free(mtsi_png_canvas *c)
{
    if (!c)
        return;
    free(c->px);
    free(c);
}

int mtsi_png_canvas_width(const mtsi_png_canvas *c) { return c->w; }
int mtsi_png_canvas_height(const mtsi_png_canvas *c) { return c->h; }
const unsigned char *mtsi_png_canvas_pixels(const mtsi_png_canvas *c) { return c->px; }

void mtsi_png_canvas_clip(mtsi_png_canvas *c, int x0, int y0, int x1, int y1)
{
    c->cx0 = x0 < 0 ? 0 : x0;
    c->cy0 = y0 < 0 ? 0 : y0;
    c->cx1 = x1 > c->w ? c->w : x1;
    c->cy1 = y1 > c->h ? c->h : y1;
}

void mtsi_png_canvas_clip_reset(mtsi_png_canvas *c)
{
    mtsi_png_canvas_clip(c, 0, 0, c->w, c->h);
}

void mtsi_png_canvas_blend(mtsi_png_canvas *c, int x, int y, uint32_t rgb, double alpha)
{
    if (x < c->cx0 || x >= c->cx1 || y < c->cy0 || y >= c->cy1 || !(alpha > 0))
        return;
    if (alpha > 1)
        alpha = 1;
    unsigned char *p = c->px + 3 * ((size_t)y * (size_t)c->w + (size_t)x);
    for (int k = 0; k < 3; k++) {
        double v = (double)((rgb >> (16 - 8 * k)) & 0xff);
        p[k] = (unsigned char)lround(p[k] + alpha * (v - p[k]));
    }
}

/* *a <= *b afterwards */
static void order(int *a, int *b)
{
    if (*a > *b) {
        int t = *a;
        *a = *b;
        *b = t;
    }
}

void mtsi_png_canvas_fill_rect(mtsi_png_canvas *c, int x0, int y0, int x1, int y1, uint32_t rgb,
                               double alpha)
{
    order(&x0, &x1);
    order(&y0, &y1);
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++)
            mtsi_png_canvas_blend(c, x, y, rgb, alpha);
}

void mtsi_png_canvas_rect(mtsi_png_canvas *c, int x0, int y0, int x1, int y1, uint32_t rgb,
                          int width)
{
    order(&x0, &x1);
    order(&y0, &y1);
    mtsi_png_canvas_fill_rect(c, x0, y0, x1, y0 + width, rgb, 1);
    mtsi_png_canvas_fill_rect(c, x0, y1 - width, x1, y1, rgb, 1);
    mtsi_png_canvas_fill_rect(c, x0, y0, x0 + width, y1, rgb, 1);
    mtsi_png_canvas_fill_rect(c, x1 - width, y0, x1, y1, rgb, 1);
}

/* Coverage of a pixel whose centre is at distance d from the ideal shape's
 * centre line, for a shape of half-width hw: a one-pixel linear ramp. */
static double coverage(double d, double hw)
{
    double a = hw + 0.5 - d;
    return a < 0 ? 0 : a > 1 ? 1 : a;
}

void mtsi_png_canvas_line(mtsi_png_canvas *c, double x0, double y0, double x1, double y1,
                          uint32_t rgb, double width)
{
    if (!isfinite(x0) || !isfinite(y0) || !isfinite(x1) || !isfinite(y1))
        return;
    double hw = width / 2, dx = x1 - x0, dy = y1 - y0, len2 = dx * dx + dy * dy;
    int xa = (int)floor(fmin(x0, x1) - hw - 1), xb = (int)ceil(fmax(x0, x1) + hw + 1);
    int ya = (int)floor(fmin(y0, y1) - hw - 1), yb = (int)ceil(fmax(y0, y1) + hw + 1);
    if (xa < c->cx0)
        xa = c->cx0;
    if (ya < c->cy0)
        ya = c->cy0;
    if (xb > c->cx1)
        xb = c->cx1;
    if (yb > c->cy1)
        yb = c->cy1;
    for (int y = ya; y < yb; y++)
        for (int x = xa; x < xb; x++) {
            double px = x + 0.5 - x0, py = y + 0.5 - y0;
            double t = len2 > 0 ? (px * dx + py * dy) / len2 : 0;
            t = t < 0 ? 0 : t > 1 ? 1 : t;
            double ex = px - t * dx, ey = py - t * dy;
            mtsi_png_canvas_blend(c, x, y, rgb, coverage(sqrt(ex * ex + ey * ey), hw));
        }
}

void mtsi_png_canvas_dashed(mtsi_png_canvas *c, double x0, double y0, double x1, double y1,
                            uint32_t rgb, double width, double dash, double gap)
{
    double dx = x1 - x0, dy = y1 - y0, len = sqrt(dx * dx + dy * dy);
    if (!(len > 0) || !(dash > 0) || gap < 0)
        return;
    for (double s = 0; s < len; s += dash + gap) {
        double e = s + dash < len ? s + dash : len;
        mtsi_png_canvas_line(c, x0 + dx * s / len, y0 + dy * s / len, x0 + dx * e / len,
                             y0 + dy * e / len, rgb, width);
    }
}

void mtsi_png_canvas_disc(mtsi_png_canvas *c, double cx, double cy, double r, uint32_t rgb)
{
    if (!isfinite(cx) || !isfinite(cy))
        return;
    for (int y = (int)floor(cy - r - 1); y <= (int)ceil(cy + r + 1); y++)
        for (int x = (int)floor(cx - r - 1); x <= (int)ceil(cx + r + 1); x++) {
            double ex = x + 0.5 - cx, ey = y + 0.5 - cy;
            mtsi_png_canvas_blend(c, x, y, rgb, coverage(sqrt(ex * ex + ey * ey), r));
        }
}

void mtsi_png_canvas_errorbar(mtsi_png_canvas *c, double x, double y0, double y1, double cap,
                              uint32_t rgb, double width)
{
    mtsi_png_canvas_line(c, x, y0, x, y1, rgb, width);
    mtsi_png_canvas_line(c, x - cap, y0, x + cap, y0, rgb, width);
    mtsi_png_canvas_line(c, x - cap, y1, x + cap, y1, rgb, width);
}

/* ---- text ------------------------------------------------------------ */

int mtsi_png_text_width(const char *s, int scale)
{
    size_t n = strlen(s);
    return n ? (int)n * MTSI_PNG_FONT_W * scale - scale : 0;
}

void mtsi_png_canvas_text(mtsi_png_canvas *c, int x, int y, const char *s, int scale,
                          uint32_t rgb, int halign)
{
    int w = mtsi_png_text_width(s, scale);
    if (halign == 0)
        x -= w / 2;
    else if (halign > 0)
        x -= w;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++, x += MTSI_PNG_FONT_W * scale) {
        unsigned char rows[9];
        mtsi_png_font_glyph(*p, rows);
        for (int r = 0; r < 9; r++)
            for (int k = 0; k < 5; k++)
                if (rows[r] >> (4 - k) & 1)
                    mtsi_png_canvas_fill_rect(c, x + k * scale, y + r * scale,
                                              x + (k + 1) * scale, y + (r + 1) * scale, rgb, 1);
    }
}

void mtsi_png_canvas_text_up(mtsi_png_canvas *c, int x, int y, const char *s, int scale,
                             uint32_t rgb)
{
    /* Font pixel (column u along the string, row v) goes to
     * (x + v, bottom - u): the tops of the glyphs face left. */
    int bottom = y + mtsi_png_text_width(s, scale) / 2;
    int u0 = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++, u0 += MTSI_PNG_FONT_W) {
        unsigned char rows[9];
        mtsi_png_font_glyph(*p, rows);
        for (int r = 0; r < 9; r++)
            for (int k = 0; k < 5; k++)
                if (rows[r] >> (4 - k) & 1) {
                    int px = x + r * scale, py = bottom - (u0 + k + 1) * scale;
                    mtsi_png_canvas_fill_rect(c, px, py, px + scale, py + scale, rgb, 1);
                }
    }
}

/* ---- axes ------------------------------------------------------------ */

double mtsi_png_axes_px(const mtsi_png_axes *a, double x)
{
    return a->x0 + (x - a->xmin) / (a->xmax - a->xmin) * (a->x1 - a->x0);
}

double mtsi_png_axes_py(const mtsi_png_axes *a, double y)
{
    return a->y1 - (y - a->ymin) / (a->ymax - a->ymin) * (a->y1 - a->y0);
}

double mtsi_png_nice_step(double lo, double hi, int n)
{
    double span = hi - lo;
    if (!(span > 0) || !isfinite(span))
        return 1;
    if (n < 1)
        n = 1;
    double raw = span / n, mag = pow(10, floor(log10(raw))), f = raw / mag;
    return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
}

void mtsi_png_nice_range(double *lo, double *hi, int n)
{
    if (!isfinite(*lo) || !isfinite(*hi)) {
        *lo = 0;
        *hi = 1;
        return;
    }
    if (!(*hi > *lo)) {
        double m = *lo;
        *lo = m - 0.5;
        *hi = m + 0.5;
    }
    double s = mtsi_png_nice_step(*lo, *hi, n);
    *lo = floor(*lo / s + 1e-9) * s;
    *hi = ceil(*hi / s - 1e-9) * s;
}

/* A tick label with as many decimals as the step needs, never "-0". */
static void tick_label(char *buf, size_t n, double v, double step)
{
    int dec = (int)ceil(-log10(step) - 1e-9);
    if (dec < 0)
        dec = 0;
    if (fabs(v) < step * 1e-6)
        v = 0;
    if (fabs(v) >= 1e5 || (v != 0 && fabs(v) < 1e-4))
        snprintf(buf, n, "%.2g", v);
    else
        snprintf(buf, n, "%.*f", dec, v);
}

#define AXES_SCALE 2
#define FRAME_RGB 0x333333
#define GRID_RGB 0xe6e6e6
#define TEXT_RGB 0x202020

void mtsi_png_axes_draw(mtsi_png_canvas *c, const mtsi_png_axes *a, int nx, int ny,
                        const char *title, const char *xlabel, const char *ylabel)
{
    const int s = AXES_SCALE, th = 7 * s; /* height of digits */
    char buf[64];
    double xs = mtsi_png_nice_step(a->xmin, a->xmax, nx), ys = mtsi_png_nice_step(a->ymin, a->ymax, ny);
    double eps_x = 1e-9 * (a->xmax - a->xmin), eps_y = 1e-9 * (a->ymax - a->ymin);
    int maxw = 0;
    /* Grid first, so that data and frame go over it. */
    for (double t = ceil((a->xmin - eps_x) / xs) * xs; t <= a->xmax + eps_x; t += xs) {
        int px = (int)lround(mtsi_png_axes_px(a, t));
        mtsi_png_canvas_fill_rect(c, px, a->y0, px + 1, a->y1, GRID_RGB, 1);
        mtsi_png_canvas_fill_rect(c, px, a->y1 - 6, px + 1, a->y1, FRAME_RGB, 1);
        mtsi_png_canvas_fill_rect(c, px, a->y0, px + 1, a->y0 + 6, FRAME_RGB, 1);
        tick_label(buf, sizeof buf, t, xs);
        mtsi_png_canvas_text(c, px, a->y1 + 8, buf, s, TEXT_RGB, 0);
    }
    for (double t = ceil((a->ymin - eps_y) / ys) * ys; t <= a->ymax + eps_y; t += ys) {
        int py = (int)lround(mtsi_png_axes_py(a, t));
        mtsi_png_canvas_fill_rect(c, a->x0, py, a->x1, py + 1, GRID_RGB, 1);
        mtsi_png_canvas_fill_rect(c, a->x0, py, a->x0 + 6, py + 1, FRAME_RGB, 1);
        mtsi_png_canvas_fill_rect(c, a->x1 - 6, py, a->x1, py + 1, FRAME_RGB, 1);
        tick_label(buf, sizeof buf, t, ys);
        int w = mtsi_png_text_width(buf, s);
        if (w > maxw)
            maxw = w;
        mtsi_png_canvas_text(c, a->x0 - 8, py - th / 2, buf, s, TEXT_RGB, 1);
    }
    mtsi_png_canvas_rect(c, a->x0, a->y0, a->x1 + 1, a->y1 + 1, FRAME_RGB, 1);
    if (title)
        mtsi_png_canvas_text(c, (a->x0 + a->x1) / 2, a->y0 - 11 * s - 4, title, s, TEXT_RGB, 0);
    if (xlabel)
        mtsi_png_canvas_text(c, (a->x0 + a->x1) / 2, a->y1 + 8 + th + 12, xlabel, s, TEXT_RGB, 0);
    if (ylabel)
        mtsi_png_canvas_text_up(c, a->x0 - 8 - maxw - 12 - 9 * s, (a->y0 + a->y1) / 2, ylabel, s,
                                TEXT_RGB);
}

uint32_t mtsi_png_colormap_bwr(double t)
{
    /* Five stops of a blue-white-red diverging map (light grey at 0 so that
     * white cells stay visible against the background). */
    static const double stop[5][3] = {{33, 102, 172},
                                      {103, 169, 207},
                                      {247, 247, 247},
                                      {239, 138, 98},
                                      {178, 24, 43}};
    if (!isfinite(t))
        t = 0;
    t = t < -1 ? -1 : t > 1 ? 1 : t;
    double u = (t + 1) * 2; /* 0 .. 4 */
    int i = (int)floor(u);
    if (i > 3)
        i = 3;
    double f = u - i;
    uint32_t rgb = 0;
    for (int k = 0; k < 3; k++) {
        long v = lround(stop[i][k] + f * (stop[i + 1][k] - stop[i][k]));
        rgb = rgb << 8 | (uint32_t)v;
    }
    return rgb;
}

/* ---- checksums ------------------------------------------------------- */

uint32_t mtsi_png_crc32(uint32_t crc, const unsigned char *p, size_t n)
{
    /* Reflected CRC-32, polynomial 0xedb88320, bitwise: chunks are written
     * once per figure, speed does not matter here. A table would be
     * 8 times faster. */
    crc = ~crc;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

uint32_t mtsi_png_adler32(uint32_t adler, const unsigned char *p, size_t n)
{
    uint32_t a = adler & 0xffff, b = adler >> 16;
    while (n > 0) {
        /* 5552 is the largest block for which b cannot overflow 32 bits. */
        size_t k = n < 5552 ? n : 5552;
        n -= k;
        while (k--) {
            a += *p++;
            b += a;
        }
        a %= 65521;
        b %= 65521;
    }
    return b << 16 | a;
}

/* ---- deflate --------------------------------------------------------- */

typedef struct {
    unsigned char *buf;
    size_t len, cap;
    uint64_t bits;
    int nbits;
    int failed;
} bitout;

static void out_byte(bitout *o, unsigned char b)
{
    if (o->failed)
        return;
    if (o->len == o->cap) {
        size_t cap = o->cap ? 2 * o->cap : 4096;
        unsigned char *nb = realloc(o->buf, cap);
        if (!nb) {
            o->failed = 1;
            return;
        }
        o->buf = nb;
        o->cap = cap;
    }
    o->buf[o->len++] = b;
}

/* Deflate packs bits starting with the least significant bit. */
static void put_bits(bitout *o, uint32_t v, int n)
{
    o->bits |= (uint64_t)v << o->nbits;
    o->nbits += n;
    while (o->nbits >= 8) {
        out_byte(o, (unsigned char)o->bits);
        o->bits >>= 8;
        o->nbits -= 8;
    }
}

static void flush_bits(bitout *o)
{
    if (o->nbits > 0)
        out_byte(o, (unsigned char)o->bits);
    o->bits = 0;
    o->nbits = 0;
}

/* Huffman codes are defined most significant bit first. */
static void put_code(bitout *o, uint32_t code, int n)
{
    uint32_t r = 0;
    for (int k = 0; k < n; k++)
        r |= ((code >> k) & 1u) << (n - 1 - k);
    put_bits(o, r, n);
}

/* The fixed literal/length code of RFC 1951 section 3.2.6. */
static void put_litlen(bitout *o, int v)
{
    if (v < 144)
        put_code(o, 0x30u + (uint32_t)v, 8);
    else if (v < 256)
        put_code(o, 0x190u + (uint32_t)(v - 144), 9);
    else if (v < 280)
        put_code(o, (uint32_t)(v - 256), 7);
    else
        put_code(o, 0xc0u + (uint32_t)(v - 280), 8);
}

static const unsigned short len_base[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,
                                            15, 17, 19, 23, 27, 31, 35, 43, 51,  59,
                                            67, 83, 99, 115, 131, 163, 195, 227, 258};
static const unsigned char len_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                            2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const unsigned short dist_base[30] = {1,    2,    3,    4,    5,    7,     9,     13,
                                             17,   25,   33,   49,   65,   97,    129,   193,
                                             257,  385,  513,  769,  1025, 1537,  2049,  3073,
                                             4097, 6145, 8193, 12289, 16385, 24577};
static const unsigned char dist_extra[30] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                             6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

static void put_match(bitout *o, int len, int dist)
{
    int i = 28;
    while (len_base[i] > len)
        i--;
    put_litlen(o, 257 + i);
    put_bits(o, (uint32_t)(len - len_base[i]), len_extra[i]);
    int j = 29;
    while (dist_base[j] > dist)
        j--;
    put_code(o, (uint32_t)j, 5);
    put_bits(o, (uint32_t)(dist - dist_base[j]), dist_extra[j]);
}

#define WSIZE 32768
#define HBITS 15
#define MAXCHAIN 48

static int deflate_fixed(bitout *o, const unsigned char *in, size_t n)
{
    int32_t *head = mtsi_malloc(sizeof(int32_t) << HBITS);
    int32_t *prev = mtsi_malloc(sizeof(int32_t) * WSIZE);
    if (!head || !prev) {
        free(head);
        free(prev);
        return MTSI_ENOMEM;
    }
    for (size_t i = 0; i < (size_t)1 << HBITS; i++)
        head[i] = -1;
    put_bits(o, 1, 1); /* BFINAL */
    put_bits(o, 1, 2); /* BTYPE = 01, fixed Huffman */
    size_t pos = 0;
#define HASH(p) ((((uint32_t)in[p] << 10) ^ ((uint32_t)in[(p) + 1] << 5) ^ in[(p) + 2]) & \
                 ((1u << HBITS) - 1))
#define INSERT(p)                                      \
    do {                                               \
        if ((p) + 3 <= n) {                            \
            uint32_t h_ = HASH(p);                     \
            prev[(p) & (WSIZE - 1)] = head[h_];        \
            head[h_] = (int32_t)(p);                   \
        }                                              \
    } while (0)
    while (pos < n) {
        int best = 0, bestd = 0;
        if (pos + 3 <= n) {
            size_t maxlen = n - pos < 258 ? n - pos : 258;
            int32_t cand = head[HASH(pos)];
            for (int chain = 0; cand >= 0 && chain < MAXCHAIN; chain++) {
                size_t d = pos - (size_t)cand;
                if (d > WSIZE - 1 || d == 0)
                    break;
                size_t l = 0;
                while (l < maxlen && in[(size_t)cand + l] == in[pos + l])
                    l++;
                if ((int)l > best) {
                    best = (int)l;
                    bestd = (int)d;
                    if (l == maxlen)
                        break;
                }
                int32_t next = prev[cand & (WSIZE - 1)];
                if (next >= cand) /* overwritten slot: the chain ends here */
                    break;
                cand = next;
            }
        }
        if (best >= 3) {
            put_match(o, best, bestd);
            for (int k = 0; k < best; k++)
                INSERT(pos + (size_t)k);
            pos += (size_t)best;
        } else {
            put_litlen(o, in[pos]);
            INSERT(pos);
            pos++;
        }
    }
#undef INSERT
#undef HASH
    put_litlen(o, 256);
    flush_bits(o);
    free(head);
    free(prev);
    return MTSI_OK;
}

static void deflate_stored(bitout *o, const unsigned char *in, size_t n)
{
    size_t pos = 0;
    do {
        size_t k = n - pos < 65535 ? n - pos : 65535;
        put_bits(o, pos + k == n, 1);
        put_bits(o, 0, 2);
        flush_bits(o);
        out_byte(o, (unsigned char)k);
        out_byte(o, (unsigned char)(k >> 8));
        out_byte(o, (unsigned char)~k);
        out_byte(o, (unsigned char)(~k >> 8));
        for (size_t i = 0; i < k; i++)
            out_byte(o, in[pos + i]);
        pos += k;
    } while (pos < n);
}

int mtsi_png_zlib(const unsigned char *in, size_t n, int compress, unsigned char **out,
                  size_t *outlen)
{
    bitout o = {0};
    /* CMF 0x78: deflate with a 32 KiB window; FLG 0x01 makes CMF*256+FLG a
     * multiple of 31 (RFC 1950). */
    out_byte(&o, 0x78);
    out_byte(&o, 0x01);
    if (compress) {
        int rc = deflate_fixed(&o, in, n);
        if (rc) {
            free(o.buf);
            return rc;
        }
    } else {
        deflate_stored(&o, in, n);
    }
    uint32_t ad = mtsi_png_adler32(1, in, n);
    for (int k = 3; k >= 0; k--)
        out_byte(&o, (unsigned char)(ad >> (8 * k)));
    if (o.failed) {
        free(o.buf);
        return mtsi_error_set(MTSI_ENOMEM, "out of memory while compressing %zu bytes", n);
    }
    *out = o.buf;
    *outlen = o.len;
    return MTSI_OK;
}

static void put_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* length, type, data, CRC of type and data */
static size_t put_chunk(unsigned char *p, const char *type, const unsigned char *data, size_t n)
{
    put_u32(p, (uint32_t)n);
    memcpy(p + 4, type, 4);
    if (n)
        memcpy(p + 8, data, n);
    put_u32(p + 8 + n, mtsi_png_crc32(0, p + 4, n + 4));
    return n + 12;
}

int mtsi_png_encode(const unsigned char *rgb, int w, int h, int compress, unsigned char **out,
                    size_t *outlen)
{
    if (w < 1 || h < 1)
        return mtsi_error_set(MTSI_EINVAL, "PNG size %d x %d: need at least one pixel", w, h);
    size_t stride = 3 * (size_t)w, rawn = (stride + 1) * (size_t)h;
    unsigned char *raw = mtsi_malloc(rawn);
    if (!raw)
        return MTSI_ENOMEM;
    for (int y = 0; y < h; y++) {
        raw[(size_t)y * (stride + 1)] = 0; /* filter type None */
        memcpy(raw + (size_t)y * (stride + 1) + 1, rgb + (size_t)y * stride, stride);
    }
    unsigned char *z;
    size_t zn;
    int rc = mtsi_png_zlib(raw, rawn, compress, &z, &zn);
    free(raw);
    if (rc)
        return rc;
    if (zn > 0x7fffffffu) {
        free(z);
        return mtsi_error_set(MTSI_EINVAL, "PNG data of %zu bytes exceeds one chunk", zn);
    }
    size_t total = 8 + (12 + 13) + (12 + zn) + 12;
    unsigned char *p = mtsi_malloc(total);
    if (!p) {
        free(z);
        return MTSI_ENOMEM;
    }
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    memcpy(p, sig, 8);
    unsigned char ihdr[13];
    put_u32(ihdr, (uint32_t)w);
    put_u32(ihdr + 4, (uint32_t)h);
    ihdr[8] = 8;  /* bits per sample */
    ihdr[9] = 2;  /* colour type: RGB */
    ihdr[10] = 0; /* compression: deflate */
    ihdr[11] = 0; /* filter method 0 */
    ihdr[12] = 0; /* no interlace */
    size_t at = 8;
    at += put_chunk(p + at, "IHDR", ihdr, 13);
    at += put_chunk(p + at, "IDAT", z, zn);
    at += put_chunk(p + at, "IEND", NULL, 0);
    free(z);
    *out = p;
    *outlen = at;
    return MTSI_OK;
}

int mtsi_png_canvas_write(const mtsi_png_canvas *c, const char *path)
{
    unsigned char *png;
    size_t n;
    int rc = mtsi_png_encode(c->px, c->w, c->h, 1, &png, &n);
    if (rc)
        return rc;
    char user[4096];
    const char *name = mtsi_out_user_path(path, user, sizeof user); /* OUT, not OUT.tmp-PID */
    FILE *f = fopen(path, "wb");
    if (!f) {
        int err = errno;
        free(png);
        return mtsi_error_errno(MTSI_EIO, err, "cannot create the figure '%s'", name);
    }
    errno = 0;
    size_t wr = fwrite(png, 1, n, f);
    int err = wr != n ? (errno ? errno : ENOSPC) : 0;
    free(png);
    if (fclose(f) != 0 && !err)
        err = errno ? errno : EIO;
    if (err)
        return mtsi_error_errno(MTSI_EIO, err, "cannot write the figure '%s'", name);
    return MTSI_OK;
}
