/* Unit tests of the two-sample statistics (mcmc/mtsi_compare.h) and the
 * figure code (lib/mtsi_png.h): Kolmogorov tail against its series summed
 * to machine precision, KS and W1 on samples with hand-computed answers,
 * CRC-32 / Adler-32 check values, and PNG files decoded by an independent
 * minimal inflater written here (stored and fixed-Huffman blocks). */
#include "config.h"
#include "mtsi_compare.h"
#include "mtsi_err.h"
#include "mtsi_png.h"

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- Kolmogorov distribution ------------------------------------------ */

START_TEST(kolmogorov_values)
{
    /* References: 2 sum_{j<200} (-1)^(j-1) exp(-2 j^2 l^2) in double. */
    static const double l[6] = {0.3, 0.5, 1.0, 1.18, 1.36, 2.0};
    static const double q[6] = {0.9999906941986655, 0.9639452436648751, 0.26999967167735456,
                                0.1234538094297657, 0.049485876755377876,
                                0.0006709252557796953};
    for (int i = 0; i < 6; i++)
        ck_assert_double_eq_tol(mtsi_compare_kolmogorov_q(l[i]), q[i], 1e-12);
    /* The textbook numbers: Q(1.0) = 0.27, Q(1.36) = 0.05 (the 5% point). */
    ck_assert_double_eq_tol(mtsi_compare_kolmogorov_q(1.0), 0.27, 1e-4);
    ck_assert_double_eq_tol(mtsi_compare_kolmogorov_q(1.36), 0.05, 1e-3);
    ck_assert_double_eq(mtsi_compare_kolmogorov_q(0), 1);
    ck_assert_double_eq(mtsi_compare_kolmogorov_q(-1), 1);
    ck_assert_double_eq_tol(mtsi_compare_kolmogorov_q(0.05), 1, 1e-15);
    ck_assert(mtsi_compare_kolmogorov_q(10) >= 0 && mtsi_compare_kolmogorov_q(10) < 1e-80);
    /* The two series meet continuously at the switch. */
    ck_assert_double_eq_tol(mtsi_compare_kolmogorov_q(1.18 - 1e-12),
                            mtsi_compare_kolmogorov_q(1.18 + 1e-12), 1e-11);
    /* Monotone decreasing. */
    double prev = 1;
    for (double x = 0.01; x < 3; x += 0.01) {
        double v = mtsi_compare_kolmogorov_q(x);
        ck_assert(v <= prev + 1e-15);
        prev = v;
    }
}
END_TEST

START_TEST(ks_statistic)
{
    double D;
    const double a[4] = {0, 1, 2, 3}, b[2] = {10, 11};
    ck_assert_int_eq(mtsi_compare_ks_stat(a, 4, b, 2, &D), MTSI_OK);
    ck_assert_double_eq(D, 1);
    ck_assert_int_eq(mtsi_compare_ks_stat(a, 4, a, 4, &D), MTSI_OK);
    ck_assert_double_eq(D, 0);
    /* Ties: F_x(1) = 2/3, F_y(1) = 1/3. */
    const double x[3] = {1, 2, 1}, y[3] = {2, 1, 2};
    ck_assert_int_eq(mtsi_compare_ks_stat(x, 3, y, 3, &D), MTSI_OK);
    ck_assert_double_eq_tol(D, 1.0 / 3, 1e-15);
    /* Interleaved: x = 1,3,5,7 and y = 2,4,6,8 -> D = 1/4. */
    const double u[4] = {7, 1, 5, 3}, v[4] = {2, 8, 4, 6};
    ck_assert_int_eq(mtsi_compare_ks_stat(u, 4, v, 4, &D), MTSI_OK);
    ck_assert_double_eq_tol(D, 0.25, 1e-15);
    ck_assert_int_eq(mtsi_compare_ks_stat(u, 0, v, 4, &D), MTSI_EINVAL);
    /* p-value: lambda = (sqrt(ne) + 0.12 + 0.11/sqrt(ne)) D with ne = 50. */
    double ne = 50, lam = (sqrt(ne) + 0.12 + 0.11 / sqrt(ne)) * 0.2;
    ck_assert_double_eq_tol(mtsi_compare_ks_p(0.2, 100, 100), mtsi_compare_kolmogorov_q(lam),
                            1e-15);
    ck_assert_double_eq(mtsi_compare_ks_p(0, 100, 100), 1);
    /* Fewer effective samples, larger p. */
    ck_assert(mtsi_compare_ks_p(0.2, 25, 25) > mtsi_compare_ks_p(0.2, 100, 100));
}
END_TEST

START_TEST(w1_distance)
{
    double w;
    const double a[1] = {0}, b[1] = {1};
    ck_assert_int_eq(mtsi_compare_w1(a, 1, b, 1, &w), MTSI_OK);
    ck_assert_double_eq_tol(w, 1, 1e-15);
    /* A shift by c moves every quantile by c. */
    const double x[3] = {2, 0, 1}, y[3] = {1.5, 2.5, 3.5};
    ck_assert_int_eq(mtsi_compare_w1(x, 3, y, 3, &w), MTSI_OK);
    ck_assert_double_eq_tol(w, 1.5, 1e-15);
    /* Same distribution, different sample sizes: 0. */
    const double p[4] = {0, 1, 0, 1}, q[2] = {1, 0};
    ck_assert_int_eq(mtsi_compare_w1(p, 4, q, 2, &w), MTSI_OK);
    ck_assert_double_eq_tol(w, 0, 1e-15);
    /* x = {0, 2}, y = {1}: |1/2 - 0| on [0,1] plus |1/2 - 1| on [1,2] = 1. */
    const double r[2] = {0, 2}, s[1] = {1};
    ck_assert_int_eq(mtsi_compare_w1(r, 2, s, 1, &w), MTSI_OK);
    ck_assert_double_eq_tol(w, 1, 1e-15);
    /* Symmetric in its arguments. */
    double w2;
    ck_assert_int_eq(mtsi_compare_w1(s, 1, r, 2, &w2), MTSI_OK);
    ck_assert_double_eq_tol(w, w2, 1e-15);
}
END_TEST

START_TEST(z_scores)
{
    ck_assert_double_eq_tol(mtsi_compare_z(1, 0.3, 0, 0.4), 2, 1e-15);
    ck_assert_double_eq_tol(mtsi_compare_z(0, 0.3, 1, 0.4), -2, 1e-15);
    ck_assert_double_eq(mtsi_compare_z(1, 0, 1, 0), 0);
    ck_assert(isnan(mtsi_compare_z(1, 0, 2, 0)));
}
END_TEST

/* ---- checksums ---------------------------------------------------------- */

START_TEST(checksums)
{
    const unsigned char *s = (const unsigned char *)"123456789";
    ck_assert_uint_eq(mtsi_png_crc32(0, s, 9), 0xcbf43926u);
    /* The CRC of an empty IEND chunk, as every PNG file ends. */
    ck_assert_uint_eq(mtsi_png_crc32(0, (const unsigned char *)"IEND", 4), 0xae426082u);
    /* Incremental = one go. */
    ck_assert_uint_eq(mtsi_png_crc32(mtsi_png_crc32(0, s, 4), s + 4, 5), 0xcbf43926u);
    ck_assert_uint_eq(mtsi_png_adler32(1, (const unsigned char *)"Wikipedia", 9), 0x11e60398u);
    ck_assert_uint_eq(mtsi_png_adler32(1, s, 0), 1);
    /* Long input: the modulo is taken before b can overflow. */
    size_t n = 100000;
    unsigned char *buf = malloc(n);
    memset(buf, 0xff, n);
    uint32_t a = 1, b = 0;
    for (size_t i = 0; i < n; i++) {
        a = (a + 0xff) % 65521;
        b = (b + a) % 65521;
    }
    ck_assert_uint_eq(mtsi_png_adler32(1, buf, n), b << 16 | a);
    free(buf);
}
END_TEST

/* ---- a minimal, independent inflater (RFC 1951, BTYPE 00 and 01) -------- */

typedef struct {
    const unsigned char *p;
    size_t n, pos; /* pos in bits */
} bitin;

static int getbit(bitin *b)
{
    if (b->pos >= 8 * b->n)
        return -1;
    int v = (b->p[b->pos / 8] >> (b->pos % 8)) & 1;
    b->pos++;
    return v;
}

static long getbits(bitin *b, int n)
{
    long v = 0;
    for (int k = 0; k < n; k++) {
        int x = getbit(b);
        if (x < 0)
            return -1;
        v |= (long)x << k;
    }
    return v;
}

/* Fixed code: read MSB-first bit by bit until the code is complete. */
static int fixed_litlen(bitin *b)
{
    int code = 0;
    for (int len = 1; len <= 9; len++) {
        int x = getbit(b);
        if (x < 0)
            return -1;
        code = code << 1 | x;
        if (len == 7 && code <= 0x17)
            return 256 + code;
        if (len == 8 && code >= 0x30 && code <= 0xbf)
            return code - 0x30;
        if (len == 8 && code >= 0xc0 && code <= 0xc7)
            return 280 + code - 0xc0;
        if (len == 9 && code >= 0x190)
            return 144 + code - 0x190;
    }
    return -1;
}

/* Returns the number of bytes inflated into out (at most cap), -1 on a
 * malformed stream. */
static long inflate_min(const unsigned char *in, size_t n, unsigned char *out, size_t cap)
{
    static const int lbase[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                  31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
    static const int lext[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
    bitin b = {in, n, 0};
    size_t o = 0;
    int final;
    do {
        final = getbit(&b);
        long type = getbits(&b, 2);
        if (final < 0 || type < 0)
            return -1;
        if (type == 0) {
            b.pos = (b.pos + 7) / 8 * 8;
            size_t at = b.pos / 8;
            if (at + 4 > n)
                return -1;
            size_t len = in[at] | (size_t)in[at + 1] << 8;
            size_t nlen = in[at + 2] | (size_t)in[at + 3] << 8;
            if ((len ^ 0xffff) != nlen || at + 4 + len > n || o + len > cap)
                return -1;
            memcpy(out + o, in + at + 4, len);
            o += len;
            b.pos = 8 * (at + 4 + len);
        } else if (type == 1) {
            for (;;) {
                int sym = fixed_litlen(&b);
                if (sym < 0)
                    return -1;
                if (sym < 256) {
                    if (o >= cap)
                        return -1;
                    out[o++] = (unsigned char)sym;
                    continue;
                }
                if (sym == 256)
                    break;
                if (sym > 285)
                    return -1;
                long len = lbase[sym - 257] + getbits(&b, lext[sym - 257]);
                int dcode = 0;
                for (int k = 0; k < 5; k++)
                    dcode = dcode << 1 | getbit(&b);
                if (dcode > 29)
                    return -1;
                /* dist_base(d) = 1 + (2 + (d & 1)) << (d/2 - 1) for d >= 4. */
                int ext = dcode < 4 ? 0 : dcode / 2 - 1;
                long dist = dcode < 4 ? dcode + 1 : 1 + ((2L + (dcode & 1)) << ext);
                dist += getbits(&b, ext);
                if (dist > (long)o || o + (size_t)len > cap)
                    return -1;
                for (long k = 0; k < len; k++, o++)
                    out[o] = out[o - (size_t)dist];
            }
        } else {
            return -1;
        }
    } while (!final);
    return (long)o;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Parse a PNG written by mtsi_png_encode: chunks and CRCs, IHDR, then
 * inflate IDAT and compare every pixel with rgb. */
static void check_png(const unsigned char *png, size_t n, const unsigned char *rgb, int w, int h)
{
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    ck_assert(n > 8 && !memcmp(png, sig, 8));
    size_t at = 8;
    int seen_ihdr = 0, seen_iend = 0;
    unsigned char *z = NULL;
    size_t zn = 0;
    while (at + 12 <= n && !seen_iend) {
        uint32_t len = be32(png + at);
        ck_assert(at + 12 + len <= n);
        const unsigned char *type = png + at + 4;
        ck_assert_uint_eq(be32(png + at + 8 + len), mtsi_png_crc32(0, type, len + 4));
        if (!memcmp(type, "IHDR", 4)) {
            ck_assert_uint_eq(len, 13);
            ck_assert_uint_eq(be32(type + 4), (uint32_t)w);
            ck_assert_uint_eq(be32(type + 8), (uint32_t)h);
            ck_assert_int_eq(type[12], 8);
            ck_assert_int_eq(type[13], 2);
            seen_ihdr = 1;
        } else if (!memcmp(type, "IDAT", 4)) {
            ck_assert(seen_ihdr);
            z = realloc(z, zn + len);
            memcpy(z + zn, type + 4, len);
            zn += len;
        } else if (!memcmp(type, "IEND", 4)) {
            ck_assert_uint_eq(len, 0);
            seen_iend = 1;
        }
        at += 12 + len;
    }
    ck_assert(seen_ihdr && seen_iend && at == n);
    /* zlib: header, deflate, Adler-32. */
    ck_assert(zn > 6);
    ck_assert_int_eq(z[0] & 0x0f, 8);
    ck_assert_int_eq((z[0] * 256 + z[1]) % 31, 0);
    size_t rawn = (size_t)h * (3 * (size_t)w + 1);
    unsigned char *raw = malloc(rawn + 1);
    long got = inflate_min(z + 2, zn - 6, raw, rawn + 1);
    ck_assert_int_eq(got, (long)rawn);
    ck_assert_uint_eq(be32(z + zn - 4), mtsi_png_adler32(1, raw, rawn));
    for (int y = 0; y < h; y++) {
        ck_assert_int_eq(raw[(size_t)y * (3 * (size_t)w + 1)], 0); /* filter None */
        ck_assert(!memcmp(raw + (size_t)y * (3 * (size_t)w + 1) + 1, rgb + (size_t)y * 3 * w,
                          3 * (size_t)w));
    }
    free(raw);
    free(z);
}

START_TEST(png_roundtrip_small)
{
    /* A 37 x 23 pattern with no long repeats plus a flat stripe. */
    int w = 37, h = 23;
    unsigned char *rgb = malloc(3 * (size_t)w * h);
    uint32_t s = 12345;
    for (int i = 0; i < 3 * w * h; i++) {
        s = s * 1103515245u + 12345u;
        rgb[i] = i / (3 * w) < 8 ? 200 : (unsigned char)(s >> 24);
    }
    for (int compress = 0; compress <= 1; compress++) {
        unsigned char *png;
        size_t n;
        ck_assert_int_eq(mtsi_png_encode(rgb, w, h, compress, &png, &n), MTSI_OK);
        check_png(png, n, rgb, w, h);
        if (!compress) {
            /* Stored: exactly signature + IHDR + IDAT(zlib 2 + block 5 + data + 4) + IEND. */
            size_t raw = (size_t)h * (3 * (size_t)w + 1);
            ck_assert_uint_eq(n, 8 + 25 + 12 + 2 + 5 + raw + 4 + 12);
        }
        free(png);
    }
    free(rgb);
    /* The smallest image and bad sizes. */
    unsigned char px[3] = {1, 2, 3}, *png;
    size_t n;
    ck_assert_int_eq(mtsi_png_encode(px, 1, 1, 1, &png, &n), MTSI_OK);
    check_png(png, n, px, 1, 1);
    free(png);
    ck_assert_int_eq(mtsi_png_encode(px, 0, 1, 1, &png, &n), MTSI_EINVAL);
}
END_TEST

START_TEST(png_roundtrip_canvas)
{
    /* A real drawing: long runs (matches of 258, distances up to a row and
     * beyond 32 KiB windows), text, lines, alpha; more than 65535 bytes so
     * that stored mode needs several blocks. */
    mtsi_png_canvas *c = mtsi_png_canvas_new(300, 200, 0xffffff);
    ck_assert_ptr_nonnull(c);
    mtsi_png_canvas_fill_rect(c, 10, 10, 120, 90, 0x1f77b4, 0.5);
    mtsi_png_canvas_line(c, 0, 0, 299, 199, 0xe6730a, 2.5);
    mtsi_png_canvas_disc(c, 200, 50, 12, 0x00aa00);
    mtsi_png_canvas_errorbar(c, 250, 20, 80, 5, 0x000000, 2);
    mtsi_png_canvas_text(c, 20, 150, "G(r) = 0.25 +- 0.01", 2, 0x202020, -1);
    mtsi_png_canvas_text_up(c, 5, 100, "density", 1, 0x202020);
    for (int x = 0; x < 300; x++)
        mtsi_png_canvas_fill_rect(c, x, 180, x + 1, 200, mtsi_png_colormap_bwr(x / 149.5 - 1), 1);
    const unsigned char *px = mtsi_png_canvas_pixels(c);
    size_t raw = 200 * (3 * 300 + 1);
    for (int compress = 0; compress <= 1; compress++) {
        unsigned char *png;
        size_t n;
        ck_assert_int_eq(mtsi_png_encode(px, 300, 200, compress, &png, &n), MTSI_OK);
        check_png(png, n, px, 300, 200);
        if (compress)
            ck_assert(n < raw / 8); /* a plot compresses well */
        free(png);
    }
    mtsi_png_canvas_free(c);
}
END_TEST

/* ---- canvas -------------------------------------------------------------- */

static const unsigned char *pixel(const mtsi_png_canvas *c, int x, int y)
{
    return mtsi_png_canvas_pixels(c) + 3 * ((size_t)y * (size_t)mtsi_png_canvas_width(c) + x);
}

START_TEST(canvas_drawing)
{
    mtsi_png_canvas *c = mtsi_png_canvas_new(64, 32, 0xffffff);
    ck_assert_int_eq(mtsi_png_canvas_width(c), 64);
    ck_assert_int_eq(mtsi_png_canvas_height(c), 32);
    /* Half-transparent red over white. */
    mtsi_png_canvas_fill_rect(c, 0, 0, 4, 4, 0xff0000, 0.5);
    ck_assert_int_eq(pixel(c, 1, 1)[0], 255);
    ck_assert_int_eq(pixel(c, 1, 1)[1], 128);
    ck_assert_int_eq(pixel(c, 4, 4)[1], 255); /* outside the half-open rectangle */
    /* Clipping. */
    mtsi_png_canvas_clip(c, 10, 10, 20, 20);
    mtsi_png_canvas_fill_rect(c, 0, 0, 64, 32, 0x000000, 1);
    ck_assert_int_eq(pixel(c, 9, 15)[0], 255);
    ck_assert_int_eq(pixel(c, 10, 10)[0], 0);
    ck_assert_int_eq(pixel(c, 19, 19)[0], 0);
    ck_assert_int_eq(pixel(c, 20, 19)[0], 255);
    mtsi_png_canvas_clip_reset(c);
    /* Off-canvas drawing is dropped, not a crash. */
    mtsi_png_canvas_line(c, -100, -100, 500, 300, 0x00ff00, 3);
    mtsi_png_canvas_disc(c, -5, 40, 8, 0x00ff00);
    mtsi_png_canvas_text(c, 60, 30, "clipped text", 3, 0, -1);
    mtsi_png_canvas_free(c);

    /* Text: '1' at scale 1 has its stem in column 2 of rows 0-6; 'g' has a
     * descender in row 8. */
    unsigned char rows[9];
    mtsi_png_font_glyph('1', rows);
    for (int r = 1; r < 7; r++)
        ck_assert_int_eq(rows[r] & 0x04, 0x04);
    mtsi_png_font_glyph('g', rows);
    ck_assert(rows[8] != 0);
    mtsi_png_font_glyph(200, rows); /* outside ASCII: '?' */
    unsigned char q[9];
    mtsi_png_font_glyph('?', q);
    ck_assert(!memcmp(rows, q, 9));
    ck_assert_int_eq(mtsi_png_text_width("ab", 2), 2 * 6 * 2 - 2);
    ck_assert_int_eq(mtsi_png_text_width("", 2), 0);
    c = mtsi_png_canvas_new(20, 12, 0xffffff);
    mtsi_png_canvas_text(c, 0, 0, "1", 1, 0x000000, -1);
    ck_assert_int_eq(pixel(c, 2, 3)[0], 0);
    ck_assert_int_eq(pixel(c, 4, 3)[0], 255);
    mtsi_png_canvas_free(c);
    ck_assert_ptr_null(mtsi_png_canvas_new(0, 10, 0));
}
END_TEST

START_TEST(ticks_and_colours)
{
    ck_assert_double_eq_tol(mtsi_png_nice_step(0, 1, 5), 0.2, 1e-15);
    ck_assert_double_eq_tol(mtsi_png_nice_step(-0.6, 0.8, 6), 0.2, 1e-15);
    ck_assert_double_eq_tol(mtsi_png_nice_step(0, 7, 5), 1, 1e-15);
    ck_assert_double_eq_tol(mtsi_png_nice_step(0, 3000, 4), 1000, 1e-12);
    double lo = -0.55, hi = 0.67;
    mtsi_png_nice_range(&lo, &hi, 6);
    ck_assert_double_eq_tol(lo, -0.6, 1e-12);
    ck_assert_double_eq_tol(hi, 0.8, 1e-12);
    lo = hi = 2;
    mtsi_png_nice_range(&lo, &hi, 5);
    ck_assert(lo < 2 && hi > 2);
    ck_assert_uint_eq(mtsi_png_colormap_bwr(-1), 0x2166acu);
    ck_assert_uint_eq(mtsi_png_colormap_bwr(0), 0xf7f7f7u);
    ck_assert_uint_eq(mtsi_png_colormap_bwr(1), 0xb2182bu);
    ck_assert_uint_eq(mtsi_png_colormap_bwr(7), 0xb2182bu); /* clamped */
    ck_assert_uint_eq(mtsi_png_colormap_bwr(NAN), 0xf7f7f7u);
}
END_TEST

static Suite *compare_suite(void)
{
    Suite *s = suite_create("compare");
    TCase *ts = tcase_create("statistics");
    tcase_add_test(ts, kolmogorov_values);
    tcase_add_test(ts, ks_statistic);
    tcase_add_test(ts, w1_distance);
    tcase_add_test(ts, z_scores);
    suite_add_tcase(s, ts);
    TCase *tp = tcase_create("png");
    tcase_add_test(tp, checksums);
    tcase_add_test(tp, png_roundtrip_small);
    tcase_add_test(tp, png_roundtrip_canvas);
    tcase_add_test(tp, canvas_drawing);
    tcase_add_test(tp, ticks_and_colours);
    suite_add_tcase(s, tp);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(compare_suite());
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
