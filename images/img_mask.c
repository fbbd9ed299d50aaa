/* Inpainting masks of SPEC §7 (1 = observed), the degraded input and the
 * harmonic-fill baseline. */
#include "config.h"
#include "mtsi_images.h"
#include "mtsi_cli.h"
#include "mtsi_err.h"
#include "mtsi_h5.h"
#include "mtsi_rng.h"

#include <cairo.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The random numbers of image i come from the family seed ⊕ i·φ (φ the
 * 64-bit golden ratio; the family's splitmix64 seeding scrambles it):
 * stream 0 draws its mask, stream 1 its observation noise. A per-image
 * family, not stream i, since a stream costs i jumps to reach. */
static void image_rng(mtsi_rng *r, uint64_t seed, long image, int stream)
{
    mtsi_rng_seed(r, seed ^ ((uint64_t)image * 0x9E3779B97F4A7C15ULL), (uint64_t)stream);
}

static int parse_size(const char *opt, const char *s, int lim, long *v)
{
    if (mtsi_parse_long(opt, s, v))
        return MTSI_EINVAL;
    if (*v < 1 || *v > lim)
        return mtsi_error_set(MTSI_EINVAL, "%s: size %ld must be in [1, %d]", opt, *v, lim);
    return MTSI_OK;
}

int mtsi_img_mask_make(const char *spec, long n, int h, int w, uint64_t seed,
                       unsigned char **mask, long *nmask)
{
    long P = (long)h * w, S;
    *mask = NULL;
    *nmask = 0;
    if (!strncmp(spec, "random:", 7)) {
        double f;
        if (mtsi_parse_double("--mask random", spec + 7, &f))
            return MTSI_EINVAL;
        if (!(f >= 0 && f <= 1))
            return mtsi_error_set(MTSI_EINVAL, "--mask %s: the missing fraction must be in [0, 1]",
                                  spec);
        long miss = lround(f * (double)P);
        unsigned char *m = mtsi_malloc((size_t)(n * P));
        long *perm = mtsi_malloc((size_t)P * sizeof(long));
        if (!m || !perm) {
            free(m);
            free(perm);
            return MTSI_ENOMEM;
        }
        for (long i = 0; i < n; i++) {
            mtsi_rng r;
            image_rng(&r, seed, i, 0);
            for (long a = 0; a < P; a++)
                perm[a] = a;
            /* the first `miss` entries of a uniform random permutation */
            for (long a = 0; a < miss; a++) {
                long j = a + (long)mtsi_rng_below(&r, (uint64_t)(P - a));
                long t = perm[a];
                perm[a] = perm[j];
                perm[j] = t;
            }
            memset(m + i * P, 1, (size_t)P);
            for (long a = 0; a < miss; a++)
                m[i * P + perm[a]] = 0;
        }
        free(perm);
        *mask = m;
        *nmask = n;
        return MTSI_OK;
    }
    unsigned char *m = mtsi_malloc((size_t)P);
    if (!m)
        return MTSI_ENOMEM;
    int rc = MTSI_OK;
    if (!strncmp(spec, "box:", 4)) {
        rc = parse_size("--mask box", spec + 4, h < w ? h : w, &S);
        int r0 = (int)(h - S) / 2, c0 = (int)(w - S) / 2;
        for (int r = 0; !rc && r < h; r++)
            for (int c = 0; c < w; c++)
                m[r * w + c] = !(r >= r0 && r < r0 + S && c >= c0 && c < c0 + S);
    } else if (!strcmp(spec, "rows:even") || !strcmp(spec, "rows:odd")) {
        int odd = spec[5] == 'o';
        for (int r = 0; r < h; r++)
            memset(m + (long)r * w, (r % 2 == odd) ? 0 : 1, (size_t)w);
    } else if (!strncmp(spec, "blocks:", 7)) {
        rc = parse_size("--mask blocks", spec + 7, h > w ? h : w, &S);
        for (int r = 0; !rc && r < h; r++)
            for (int c = 0; c < w; c++)
                m[r * w + c] = ((r / S) + (c / S)) % 2;
    } else {
        rc = mtsi_error_set(MTSI_EINVAL,
                            "--mask: unknown mask '%s' (box:S, random:F, rows:even, rows:odd, "
                            "blocks:S, FILE.h5 or FILE.png)",
                            spec);
    }
    if (rc) {
        free(m);
        return rc;
    }
    *mask = m;
    *nmask = 1;
    return MTSI_OK;
}

int mtsi_img_mask_read(const char *path, long n, int h, int w, unsigned char **mask,
                       long *nmask)
{
    char what[4200];
    snprintf(what, sizeof what, "mask file '%s'", path);
    *mask = NULL;
    hid_t f = mtsi_h5_open(path);
    if (f < 0)
        return mtsi_error_code();
    hsize_t d[8];
    int r = mtsi_h5_shape(f, "mask", d, 8, what), rc = r < 0 ? mtsi_error_code() : MTSI_OK;
    long m = 0;
    if (!rc && r == 2 && (long)d[0] == h && (long)d[1] == w)
        m = 1;
    else if (!rc && r == 3 && (long)d[1] == h && (long)d[2] == w && (long)d[0] == n)
        m = n;
    else if (!rc)
        rc = mtsi_error_set(MTSI_EINVAL, "%s: /mask must be [%d, %d] or [%ld, %d, %d] (1 = observed)",
                            what, h, w, n, h, w);
    *mask = rc ? NULL : mtsi_malloc((size_t)(m * h * w));
    if (!rc && !*mask)
        rc = MTSI_ENOMEM;
    rc = rc ? rc : mtsi_h5_read_u8(f, "mask", *mask, (size_t)(m * h * w), what);
    for (long i = 0; !rc && i < m * h * w; i++)
        if ((*mask)[i] > 1)
            rc = mtsi_error_set(MTSI_EINVAL, "%s: /mask value %u at %ld (expected 0 or 1)", what,
                                (*mask)[i], i);
    H5Fclose(f);
    if (rc) {
        free(*mask);
        *mask = NULL;
        return rc;
    }
    *nmask = m;
    return MTSI_OK;
}

int mtsi_img_mask_read_png(const char *path, int h, int w, unsigned char **mask)
{
    *mask = NULL;
    cairo_surface_t *s = cairo_image_surface_create_from_png(path);
    int rc = MTSI_OK;
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS)
        rc = mtsi_error_set(MTSI_EINVAL, "mask file '%s': not a readable PNG (%s)", path,
                            cairo_status_to_string(cairo_surface_status(s)));
    else if (cairo_image_surface_get_width(s) != w || cairo_image_surface_get_height(s) != h)
        rc = mtsi_error_set(MTSI_EINVAL, "mask file '%s' is %dx%d pixels, the images %dx%d", path,
                            cairo_image_surface_get_width(s), cairo_image_surface_get_height(s), w,
                            h);
    unsigned char *m = rc ? NULL : mtsi_malloc((size_t)h * (size_t)w);
    if (!rc && !m)
        rc = MTSI_ENOMEM;
    if (!rc) {
        cairo_surface_flush(s);
        cairo_format_t fmt = cairo_image_surface_get_format(s);
        const unsigned char *d = cairo_image_surface_get_data(s);
        int stride = cairo_image_surface_get_stride(s);
        for (int r = 0; r < h; r++)
            for (int c = 0; c < w; c++) {
                double lum;
                if (fmt == CAIRO_FORMAT_A8) {
                    lum = d[(size_t)r * stride + c] / 255.0;
                } else {
                    /* ARGB32 / RGB24, native-endian 32-bit words; a
                     * transparent pixel counts as black */
                    uint32_t px;
                    memcpy(&px, d + (size_t)r * stride + 4 * (size_t)c, 4);
                    double R = (px >> 16) & 255, G = (px >> 8) & 255, B = px & 255;
                    lum = (0.299 * R + 0.587 * G + 0.114 * B) / 255.0;
                }
                m[r * w + c] = lum >= 0.5;
            }
    }
    cairo_surface_destroy(s);
    if (!rc)
        *mask = m;
    return rc;
}

void mtsi_img_degrade(const double *x, const unsigned char *mask, int h, int w, double sigma,
                      uint64_t seed, long image, double *out)
{
    long P = (long)h * w;
    mtsi_rng r;
    image_rng(&r, seed, image, 1);
    for (long a = 0; a < P; a++) {
        double xi = sigma > 0 ? mtsi_rng_normal(&r) : 0; /* drawn for every pixel: */
        out[a] = mask[a] ? x[a] + sigma * xi : 0;        /* the noise of a pixel  */
    }                                                    /* does not depend on the mask */
}

/* ---- harmonic fill ---------------------------------------------------- */

void dpbsv_(const char *uplo, const int *n, const int *kd, const int *nrhs, double *ab,
            const int *ldab, double *b, const int *ldb, int *info);

int mtsi_img_harmonic(const double *in, const unsigned char *mask, int h, int w, double *out)
{
    long P = (long)h * w;
    int *id = malloc((size_t)P * sizeof(int)), *stack = malloc((size_t)P * sizeof(int));
    unsigned char *seen = calloc((size_t)P, 1);
    if (!id || !stack || !seen) {
        free(id);
        free(stack);
        free(seen);
        return mtsi_error_set(MTSI_ENOMEM, "harmonic fill: out of memory");
    }
    static const int dr[4] = {-1, 1, 0, 0}, dc[4] = {0, 0, -1, 1};
    if (out != in)
        memcpy(out, in, (size_t)P * sizeof(double));
    /* Missing components touching no observed pixel have no data: 0. */
    for (long p = 0; p < P; p++) {
        id[p] = -1;
        if (mask[p] || seen[p])
            continue;
        long top = 0, start = 0, comp = 0;
        int touches = 0;
        stack[top++] = (int)p;
        seen[p] = 1;
        while (start < top) {
            int q = stack[start++], r = q / w, c = q % w;
            comp++;
            for (int k = 0; k < 4; k++) {
                int rr = r + dr[k], cc = c + dc[k];
                if (rr < 0 || rr >= h || cc < 0 || cc >= w)
                    continue;
                int nb = rr * w + cc;
                if (mask[nb])
                    touches = 1;
                else if (!seen[nb]) {
                    seen[nb] = 1;
                    stack[top++] = nb;
                }
            }
        }
        for (long k = 0; k < top; k++)
            if (!touches)
                out[stack[k]] = 0;
            else
                seen[stack[k]] = 2; /* an unknown of the system */
        (void)comp;
    }
    int n = 0;
    for (long p = 0; p < P; p++)
        if (!mask[p] && seen[p] == 2)
            id[p] = n++;
    int rc = MTSI_OK;
    if (n > 0) {
        /* Row-major numbering of the unknowns: a vertical neighbour is at
         * most w unknowns away, so the matrix is banded with kd = w. */
        int kd = w < n - 1 ? w : n - 1, ldab = kd + 1, one = 1, info = 0;
        double *ab = calloc((size_t)ldab * (size_t)n, sizeof(double));
        double *b = malloc((size_t)n * sizeof(double));
        if (!ab || !b)
            rc = mtsi_error_set(MTSI_ENOMEM, "harmonic fill: out of memory");
        for (long p = 0; !rc && p < P; p++) {
            int i = id[p];
            if (i < 0)
                continue;
            int r = (int)(p / w), c = (int)(p % w), deg = 0;
            b[i] = 0;
            for (int k = 0; k < 4; k++) {
                int rr = r + dr[k], cc = c + dc[k];
                if (rr < 0 || rr >= h || cc < 0 || cc >= w)
                    continue; /* Neumann: no edge leaves the image */
                deg++;
                int nb = rr * w + cc;
                if (mask[nb])
                    b[i] += in[nb];
                else if (id[nb] > i) /* upper triangle, column id[nb], row i */
                    ab[(size_t)(kd + i - id[nb]) + (size_t)id[nb] * ldab] = -1;
            }
            ab[(size_t)kd + (size_t)i * ldab] = deg;
        }
        if (!rc) {
            dpbsv_("U", &n, &kd, &one, ab, &ldab, b, &n, &info);
            if (info)
                rc = mtsi_error_set(MTSI_EFAIL, "harmonic fill: dpbsv failed (info %d)", info);
        }
        for (long p = 0; !rc && p < P; p++)
            if (id[p] >= 0)
                out[p] = b[id[p]];
        free(ab);
        free(b);
    }
    free(id);
    free(stack);
    free(seen);
    return rc;
}
