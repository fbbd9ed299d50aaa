/* Data shapes (mtsi_shape.h): arithmetic, names and file attributes. */
#include "config.h"
#include "mtsi_err.h"
#include "mtsi_h5.h"
#include "mtsi_shape.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mtsi_shape_lattice(mtsi_shape *s, int dim, long L)
{
    memset(s, 0, sizeof *s);
    s->naxes = dim;
    for (int i = 0; i < dim && i < MTSI_SHAPE_MAXAXES; i++) {
        s->n[i] = L;
        s->periodic[i] = 1;
    }
    s->channels = 1;
    snprintf(s->kind, sizeof s->kind, "phi4");
}

long mtsi_shape_points(const mtsi_shape *s)
{
    long P = 1;
    for (int i = 0; i < s->naxes; i++)
        P *= s->n[i];
    return P;
}

long mtsi_shape_size(const mtsi_shape *s) { return mtsi_shape_points(s) * s->channels; }

int mtsi_shape_is_lattice(const mtsi_shape *s, int *dim, long *L)
{
    if (strcmp(s->kind, "phi4") || s->channels != 1 || s->naxes < 1)
        return 0;
    for (int i = 0; i < s->naxes; i++)
        if (!s->periodic[i] || s->n[i] != s->n[0])
            return 0;
    if (dim)
        *dim = s->naxes;
    if (L)
        *L = s->n[0];
    return 1;
}

int mtsi_shape_equal(const mtsi_shape *a, const mtsi_shape *b)
{
    if (a->naxes != b->naxes || a->channels != b->channels)
        return 0;
    for (int i = 0; i < a->naxes; i++)
        if (a->n[i] != b->n[i] || !a->periodic[i] != !b->periodic[i])
            return 0;
    return 1;
}

void mtsi_shape_format(const mtsi_shape *s, char *buf, int n)
{
    char grid[128] = "";
    int len = 0, allp = 1, nonep = 1;
    for (int i = 0; i < s->naxes && i < MTSI_SHAPE_MAXAXES; i++) {
        len += snprintf(grid + len, sizeof grid - (size_t)len, "%s%ld", i ? "x" : "", s->n[i]);
        if (len >= (int)sizeof grid)
            len = (int)sizeof grid - 1;
        allp &= s->periodic[i] != 0;
        nonep &= s->periodic[i] == 0;
    }
    const char *bc = allp ? "periodic" : nonep ? "zero-boundary" : "mixed-boundary";
    if (!strcmp(s->kind, "phi4") && allp && s->channels == 1)
        snprintf(buf, (size_t)n, "%s periodic lattice (phi4)", grid);
    else
        snprintf(buf, (size_t)n, "%s %s grid, %d channel%s (%s)", grid, bc, s->channels,
                 s->channels == 1 ? "" : "s", s->kind[0] ? s->kind : "data");
}

int mtsi_shape_check(const mtsi_shape *s, const char *what)
{
    if (s->naxes < 1 || s->naxes > MTSI_SHAPE_MAXAXES)
        return mtsi_error_set(MTSI_EINVAL, "%s: %d grid axes (1 to %d supported)", what, s->naxes,
                              MTSI_SHAPE_MAXAXES);
    if (s->channels < 1 || s->channels > 4096)
        return mtsi_error_set(MTSI_EINVAL, "%s: %d channels (1 to 4096 supported)", what,
                              s->channels);
    long total = s->channels;
    for (int i = 0; i < s->naxes; i++) {
        if (s->n[i] < 1 || s->n[i] > MTSI_SHAPE_MAXSIZE)
            return mtsi_error_set(MTSI_EINVAL, "%s: grid axis %d has size %ld (1 to %ld)", what,
                                  i + 1, s->n[i], MTSI_SHAPE_MAXSIZE);
        if (total > MTSI_SHAPE_MAXSIZE / s->n[i])
            return mtsi_error_set(MTSI_EINVAL,
                                  "%s: a sample of this shape has more than %ld values", what,
                                  MTSI_SHAPE_MAXSIZE);
        total *= s->n[i];
    }
    return MTSI_OK;
}

int mtsi_shape_require(const mtsi_shape *a, const char *what_a, const mtsi_shape *b,
                       const char *what_b)
{
    if (mtsi_shape_equal(a, b))
        return MTSI_OK;
    char sa[200], sb[200];
    mtsi_shape_format(a, sa, sizeof sa);
    mtsi_shape_format(b, sb, sizeof sb);
    return mtsi_error_set(MTSI_EINVAL, "%s is a %s but %s is a %s", what_a, sa, what_b, sb);
}

int mtsi_shape_parse(mtsi_shape *s, const char *opt, const char *spec, int channels,
                     const char *kind)
{
    memset(s, 0, sizeof *s);
    s->channels = channels;
    snprintf(s->kind, sizeof s->kind, "%s", kind ? kind : "data");
    const char *p = spec;
    int periodic = 0;
    const char *colon = strchr(spec, ':');
    if (colon) {
        if (!strcmp(colon + 1, "periodic"))
            periodic = 1;
        else if (strcmp(colon + 1, "zero"))
            return mtsi_error_set(MTSI_EINVAL, "%s: unknown boundary '%s' in '%s' (periodic or zero)",
                                  opt, colon + 1, spec);
    }
    while (*p && p != colon) {
        if (s->naxes == MTSI_SHAPE_MAXAXES)
            return mtsi_error_set(MTSI_EINVAL, "%s: too many axes in '%s'", opt, spec);
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v < 1 || (*end && *end != 'x' && end != colon))
            return mtsi_error_set(MTSI_EINVAL, "%s: bad grid '%s' (e.g. 28x28 or 50:zero)", opt,
                                  spec);
        s->n[s->naxes] = v;
        s->periodic[s->naxes] = periodic;
        s->naxes++;
        p = *end == 'x' ? end + 1 : end;
    }
    if (s->naxes == 0)
        return mtsi_error_set(MTSI_EINVAL, "%s: bad grid '%s' (e.g. 28x28 or 50:zero)", opt, spec);
    return mtsi_shape_check(s, opt);
}

static int attr_longs_set(hid_t loc, const char *name, const long *v, int n)
{
    hsize_t d = (hsize_t)n;
    hid_t sp = H5Screate_simple(1, &d, NULL);
    if (H5Aexists(loc, name) > 0)
        H5Adelete(loc, name);
    hid_t a = H5Acreate2(loc, name, H5T_STD_I64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
    int rc = a < 0 || H5Awrite(a, H5T_NATIVE_LONG, v) < 0;
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(sp);
    return rc;
}

/* An integer array attribute of 1..max entries; returns the count or -1. */
static int attr_longs_get(hid_t loc, const char *name, long *v, int max, const char *what)
{
    if (H5Aexists(loc, name) <= 0) {
        mtsi_error_set(MTSI_EINVAL, "%s: attribute '%s' is missing", what, name);
        return -1;
    }
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    if (a < 0) {
        mtsi_error_set(MTSI_EINVAL, "%s: cannot open attribute '%s'", what, name);
        return -1;
    }
    hid_t t = H5Aget_type(a), sp = H5Aget_space(a);
    int rank = H5Sget_simple_extent_ndims(sp);
    hssize_t np = H5Sget_simple_extent_npoints(sp);
    int cnt = -1;
    if (H5Tget_class(t) != H5T_INTEGER || rank > 1 || np < 1 || np > max)
        mtsi_error_set(MTSI_EINVAL, "%s: attribute '%s' must hold 1 to %d integers", what, name,
                       max);
    else if (H5Aread(a, H5T_NATIVE_LONG, v) < 0)
        mtsi_error_set(MTSI_EINVAL, "%s: cannot read attribute '%s'", what, name);
    else
        cnt = (int)np;
    H5Sclose(sp);
    H5Tclose(t);
    H5Aclose(a);
    return cnt;
}

int mtsi_shape_write_attrs(hid_t loc, const mtsi_shape *s)
{
    long grid[MTSI_SHAPE_MAXAXES], per[MTSI_SHAPE_MAXAXES];
    for (int i = 0; i < s->naxes; i++) {
        grid[i] = s->n[i];
        per[i] = s->periodic[i] ? 1 : 0;
    }
    int rc = mtsi_h5_attr_set_string(loc, "data_kind", s->kind[0] ? s->kind : "data");
    rc |= attr_longs_set(loc, "grid", grid, s->naxes);
    rc |= attr_longs_set(loc, "periodic", per, s->naxes);
    rc |= mtsi_h5_attr_set_long(loc, "channels", s->channels);
    int dim;
    long L;
    if (mtsi_shape_is_lattice(s, &dim, &L)) {
        rc |= mtsi_h5_attr_set_long(loc, "L", L);
        rc |= mtsi_h5_attr_set_long(loc, "dim", dim);
    }
    return rc ? mtsi_error_set(MTSI_EIO, "cannot write the shape attributes") : MTSI_OK;
}

int mtsi_shape_has_channel_axis(hid_t loc) { return H5Aexists(loc, "grid") > 0; }

int mtsi_shape_read_attrs(hid_t loc, const char *what, mtsi_shape *s)
{
    memset(s, 0, sizeof *s);
    if (!mtsi_shape_has_channel_axis(loc)) {
        long dim = 0, L = 0;
        int rc = mtsi_h5_attr_get_long_range(loc, "L", 2, 1L << 20, &L, what);
        rc = rc ? rc : mtsi_h5_attr_get_long_range(loc, "dim", 1, MTSI_SHAPE_MAXAXES, &dim, what);
        if (rc)
            return rc;
        mtsi_shape_lattice(s, (int)dim, L);
        return mtsi_shape_check(s, what);
    }
    long grid[MTSI_SHAPE_MAXAXES], per[MTSI_SHAPE_MAXAXES], C = 0;
    int na = attr_longs_get(loc, "grid", grid, MTSI_SHAPE_MAXAXES, what);
    if (na < 0)
        return MTSI_EINVAL;
    int np = attr_longs_get(loc, "periodic", per, MTSI_SHAPE_MAXAXES, what);
    if (np < 0)
        return MTSI_EINVAL;
    if (np != na)
        return mtsi_error_set(MTSI_EINVAL, "%s: 'periodic' has %d entries but 'grid' has %d", what,
                              np, na);
    int rc = mtsi_h5_attr_get_long_range(loc, "channels", 1, 4096, &C, what);
    if (rc)
        return rc;
    s->naxes = na;
    s->channels = (int)C;
    for (int i = 0; i < na; i++) {
        if (grid[i] < 1 || grid[i] > MTSI_SHAPE_MAXSIZE)
            return mtsi_error_set(MTSI_EINVAL, "%s: grid axis %d has size %ld", what, i + 1,
                                  grid[i]);
        if (per[i] != 0 && per[i] != 1)
            return mtsi_error_set(MTSI_EINVAL, "%s: periodic[%d] = %ld (0 or 1)", what, i, per[i]);
        s->n[i] = grid[i];
        s->periodic[i] = (int)per[i];
    }
    snprintf(s->kind, sizeof s->kind, "data");
    if (H5Aexists(loc, "data_kind") > 0 &&
        (rc = mtsi_h5_attr_get_string(loc, "data_kind", s->kind, sizeof s->kind, what)))
        return rc;
    return mtsi_shape_check(s, what);
}

int mtsi_shape_dims(const mtsi_shape *s, int channel_axis, hsize_t n, hsize_t *dims)
{
    int r = 0;
    dims[r++] = n;
    if (channel_axis)
        dims[r++] = (hsize_t)s->channels;
    for (int i = 0; i < s->naxes; i++)
        dims[r++] = (hsize_t)s->n[i];
    return r;
}
