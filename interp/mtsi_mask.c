/* Observation masks (mtsi_mask.h): built-in patterns and masks from
 * HDF5 arrays or PNG images. */
#include "config.h"
#include "mtsi_cli.h"
#include "mtsi_err.h"
#include "mtsi_h5.h"
#include "mtsi_mask.h"
#include "mtsi_rng.h"

#include <cairo.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Grid coordinates of point a (last axis fastest). */
static void coords(const mtsi_shape *s, long a, long *x)
{
    for (int d = s->naxes - 1; d >= 0; d--) {
        x[d] = a % s->n[d];
        a /= s->n[d];
    }
}

static int alloc_masks(long n, long P, unsigned char **mask)
{
    *mask = malloc((size_t)(n * P));
    return *mask ? MTSI_OK : mtsi_error_set(MTSI_ENOMEM, "out of memory for %ld masks", n);
}

static int random_masks(const char *spec, const mtsi_shape *s, long n, uint64_t seed,
                        long *nmask, unsigned char **mask)
{
    double frac;
    if (mtsi_parse_double("--mask random", spec + 7, &frac))
        return MTSI_EINVAL;
    if (!(frac >= 0 && frac <= 1))
        return mtsi_error_set(MTSI_EINVAL, "--mask random:%g: the missing fraction must be in [0, 1]",
                              frac);
    const long P = mtsi_shape_points(s);
    long nmiss = lround(frac * (double)P);
    long *perm = malloc((size_t)P * sizeof(long));
    if (!perm || alloc_masks(n, P, mask)) {
        free(perm);
        return mtsi_error_set(MTSI_ENOMEM, "out of memory");
    }
    for (long i = 0; i < n; i++) {
        mtsi_rng r; /* mask i from stream i: independent of n */
        mtsi_rng_seed(&r, seed ^ 0x6d61736bULL, (uint64_t)i + 1);
        for (long a = 0; a < P; a++)
            perm[a] = a;
        unsigned char *m = *mask + i * P;
        memset(m, 1, (size_t)P);
        for (long k = 0; k < nmiss; k++) { /* partial Fisher-Yates */
            long j = k + (long)mtsi_rng_below(&r, (uint64_t)(P - k));
            long t = perm[k];
            perm[k] = perm[j];
            perm[j] = t;
            m[perm[k]] = 0;
        }
    }
    free(perm);
    *nmask = n;
    return MTSI_OK;
}

/* One mask for all samples from a rule missing(x). */
enum { PAT_BOX, PAT_ROWS_EVEN, PAT_ROWS_ODD, PAT_BLOCKS };

static int pattern_mask(const mtsi_shape *s, int pat, long S, long *nmask, unsigned char **mask)
{
    const long P = mtsi_shape_points(s);
    if (alloc_masks(1, P, mask))
        return MTSI_ENOMEM;
    long x[MTSI_SHAPE_MAXAXES];
    for (long a = 0; a < P; a++) {
        coords(s, a, x);
        int miss = 0;
        switch (pat) {
        case PAT_BOX:
            miss = 1;
            for (int d = 0; d < s->naxes; d++) {
                long lo = (s->n[d] - S) / 2;
                miss &= x[d] >= lo && x[d] < lo + S;
            }
            break;
        case PAT_ROWS_EVEN:
        case PAT_ROWS_ODD:
            miss = (x[0] % 2 == 0) == (pat == PAT_ROWS_EVEN);
            break;
        case PAT_BLOCKS: {
            long par = 0;
            for (int d = 0; d < s->naxes; d++)
                par += x[d] / S;
            miss = par % 2 == 1;
            break;
        }
        }
        (*mask)[a] = miss ? 0 : 1;
    }
    *nmask = 1;
    return MTSI_OK;
}

/* The values of /mask: an integer type is read as nonzero = observed (as
 * a PNG); a floating-point one must hold exactly 0 or 1 (a fraction is most
 * likely an alpha map, not a mask). */
static int mask_values(hid_t f, const char *what, long n, long P, unsigned char *mask)
{
    hid_t ds = H5Dopen2(f, "mask", H5P_DEFAULT);
    hid_t t = ds >= 0 ? H5Dget_type(ds) : -1;
    H5T_class_t c = t >= 0 ? H5Tget_class(t) : H5T_NO_CLASS;
    if (t >= 0)
        H5Tclose(t);
    if (ds >= 0)
        H5Dclose(ds);
    if (c != H5T_INTEGER && c != H5T_FLOAT)
        return mtsi_error_set(MTSI_EINVAL, "%s: /mask is not numeric (integers, or floats 0/1)",
                              what);
    const size_t cnt = (size_t)(n * P);
    int rc;
    if (c == H5T_INTEGER) {
        /* read as integers: no value is rounded on the way */
        long *iv = malloc(cnt * sizeof *iv);
        rc = iv ? mtsi_h5_read_long(f, "mask", iv, cnt, what)
                : mtsi_error_set(MTSI_ENOMEM, "%s: out of memory for %ld masks", what, n);
        for (size_t i = 0; !rc && i < cnt; i++)
            mask[i] = iv[i] != 0;
        free(iv);
        return rc;
    }
    double *v = malloc(cnt * sizeof *v);
    rc = v ? mtsi_h5_read_double(f, "mask", v, cnt, what)
           : mtsi_error_set(MTSI_ENOMEM, "%s: out of memory for %ld masks", what, n);
    for (size_t i = 0; !rc && i < cnt; i++) {
        if (v[i] != 0 && v[i] != 1)
            rc = mtsi_error_set(MTSI_EINVAL, "%s: mask %ld has the value %g at point %ld (0 or 1; "
                                             "a fraction would be an alpha path, --path file:)",
                                what, (long)(i / (size_t)P), v[i], (long)(i % (size_t)P));
        mask[i] = v[i] != 0;
    }
    free(v);
    return rc;
}

int mtsi_mask_read_h5(const char *path, const mtsi_shape *s, long *nmask, unsigned char **mask)
{
    *mask = NULL;
    if (mtsi_in_check(path))
        return MTSI_EINVAL;
    hid_t f = mtsi_h5_open(path);
    if (f < 0)
        return MTSI_EINVAL;
    char what[600], shs[200];
    snprintf(what, sizeof what, "mask file '%s'", path);
    mtsi_shape_format(s, shs, sizeof shs);
    const long P = mtsi_shape_points(s);
    hsize_t dims[8];
    size_t count = 0;
    int r = mtsi_h5_shape_checked(f, "mask", dims, 8, sizeof(double), &count, what);
    int rc = r < 0 ? MTSI_EINVAL : MTSI_OK;
    long n = 1;
    if (!rc) {
        int lead = r - s->naxes;
        int ok = lead == 0 || lead == 1;
        for (int d = 0; ok && d < s->naxes; d++)
            ok = (long)dims[lead + d] == s->n[d];
        if (!ok) {
            char got[200] = "";
            int len = 0;
            for (int d = 0; d < r && len < 150; d++)
                len += snprintf(got + len, sizeof got - (size_t)len, "%s%llu", d ? "x" : "",
                                (unsigned long long)dims[d]);
            rc = mtsi_error_set(MTSI_EINVAL, "%s: /mask has shape %s but the model's data are a %s",
                                what, r ? got : "(scalar)", shs);
        } else if (lead == 1) {
            n = (long)dims[0];
            if (n < 1 || n > (1L << 24))
                rc = mtsi_error_set(MTSI_EINVAL, "%s: /mask holds %ld masks (1 to 2^24)", what, n);
        }
    }
    if (!rc && !(rc = alloc_masks(n, P, mask)))
        rc = mask_values(f, what, n, P, *mask);
    H5Fclose(f);
    if (rc) {
        free(*mask);
        *mask = NULL;
    } else {
        *nmask = n;
    }
    return rc;
}

static int read_png(const char *path, const mtsi_shape *s, long *nmask, unsigned char **mask)
{
    *mask = NULL;
    if (mtsi_in_check(path))
        return MTSI_EINVAL;
    char shs[200];
    mtsi_shape_format(s, shs, sizeof shs);
    cairo_surface_t *img = cairo_image_surface_create_from_png(path);
    int rc = MTSI_OK;
    if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
        rc = mtsi_error_set(MTSI_EINVAL, "mask file '%s': not a readable PNG (%s)", path,
                            cairo_status_to_string(cairo_surface_status(img)));
    } else {
        int w = cairo_image_surface_get_width(img), h = cairo_image_surface_get_height(img);
        long H = s->naxes == 2 ? s->n[0] : 1, W = s->n[s->naxes - 1];
        if (s->naxes > 2 || w != W || h != H)
            rc = mtsi_error_set(MTSI_EINVAL, "mask file '%s': a %dx%d image but the model's data "
                                             "are a %s",
                                path, w, h, shs);
        if (!rc && !(rc = alloc_masks(1, (long)w * h, mask))) {
            cairo_surface_flush(img);
            const unsigned char *px = cairo_image_surface_get_data(img);
            int stride = cairo_image_surface_get_stride(img);
            cairo_format_t fmt = cairo_image_surface_get_format(img);
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) {
                    const unsigned char *p = px + (size_t)y * (size_t)stride;
                    unsigned v;
                    if (fmt == CAIRO_FORMAT_A8)
                        v = p[x];
                    else if (fmt == CAIRO_FORMAT_A1)
                        v = (p[x / 8] >> (x % 8)) & 1;
                    else /* ARGB32 / RGB24: any nonzero colour channel */
                        v = ((const uint32_t *)(const void *)p)[x] & 0xffffffu;
                    (*mask)[(long)y * w + x] = v ? 1 : 0;
                }
            *nmask = 1;
        }
    }
    cairo_surface_destroy(img);
    return rc;
}

static int parse_size(const char *spec, const char *num, long lo, long hi, long *v)
{
    char *end;
    long x = strtol(num, &end, 10);
    if (end == num || *end || x < lo || x > hi)
        return mtsi_error_set(MTSI_EINVAL, "--mask %s: the size must be an integer in [%ld, %ld]",
                              spec, lo, hi);
    *v = x;
    return MTSI_OK;
}

int mtsi_mask_make(const char *spec, const mtsi_shape *s, long n, uint64_t seed, long *nmask,
                   unsigned char **mask)
{
    *mask = NULL;
    long minside = s->n[0];
    for (int d = 1; d < s->naxes; d++)
        if (s->n[d] < minside)
            minside = s->n[d];
    long S;
    if (!strncmp(spec, "random:", 7))
        return random_masks(spec, s, n, seed, nmask, mask);
    if (!strncmp(spec, "square:", 7) || !strncmp(spec, "box:", 4)) {
        const char *num = strchr(spec, ':') + 1;
        if (parse_size(spec, num, 0, minside, &S))
            return MTSI_EINVAL;
        return pattern_mask(s, PAT_BOX, S, nmask, mask);
    }
    if (!strcmp(spec, "rows:even"))
        return pattern_mask(s, PAT_ROWS_EVEN, 0, nmask, mask);
    if (!strcmp(spec, "rows:odd"))
        return pattern_mask(s, PAT_ROWS_ODD, 0, nmask, mask);
    if (!strncmp(spec, "blocks:", 7)) {
        if (parse_size(spec, spec + 7, 1, minside, &S))
            return MTSI_EINVAL;
        return pattern_mask(s, PAT_BLOCKS, S, nmask, mask);
    }
    size_t len = strlen(spec);
    if (len > 4 && !strcasecmp(spec + len - 4, ".png"))
        return read_png(spec, s, nmask, mask);
    if (strchr(spec, ':') && access(spec, F_OK) != 0)
        return mtsi_error_set(MTSI_EINVAL,
                              "--mask: unknown mask '%s' (random:F, box:S, square:S, rows:even, "
                              "rows:odd, blocks:S, FILE.h5 or FILE.png)",
                              spec);
    return mtsi_mask_read_h5(spec, s, nmask, mask);
}
