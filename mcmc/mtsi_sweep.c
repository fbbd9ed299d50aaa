/* Grid axes, point seeds and the Binder crossing of `mtsi sweep`
 * (mtsi_sweep.h). */
#include "config.h"
#include "mtsi_sweep.h"

#include "mtsi_cli.h"
#include "mtsi_err.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double mtsi_sweep_round(double v)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%.10g", v);
    double r = strtod(buf, NULL);
    return r == 0 ? 0.0 : r; /* -0 prints as "-0" in names: make it 0 */
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int parse_range(const char *opt, const char *spec, double *lo, double *hi, long *count)
{
    const char *c1 = strchr(spec, ':');
    const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c1 || !c2 || strchr(c2 + 1, ':') || strchr(spec, ','))
        return mtsi_error_set(MTSI_EINVAL, "%s: bad range '%s' (expected lo:hi:count)", opt, spec);
    char a[64], b[64];
    size_t la = (size_t)(c1 - spec), lb = (size_t)(c2 - c1 - 1);
    if (la == 0 || lb == 0 || !c2[1] || la >= sizeof a || lb >= sizeof b)
        return mtsi_error_set(MTSI_EINVAL, "%s: bad range '%s' (expected lo:hi:count)", opt, spec);
    memcpy(a, spec, la);
    a[la] = '\0';
    memcpy(b, c1 + 1, lb);
    b[lb] = '\0';
    if (mtsi_parse_finite(opt, a, lo) || mtsi_parse_finite(opt, b, hi))
        return MTSI_EINVAL;
    if (mtsi_parse_long(opt, c2 + 1, count))
        return MTSI_EINVAL;
    if (*count < 1)
        return mtsi_error_set(MTSI_EINVAL, "%s: range '%s' needs a count >= 1, got %ld", opt, spec,
                              *count);
    if (*count > MTSI_SWEEP_AXIS_MAX)
        return mtsi_error_set(MTSI_EINVAL, "%s: range '%s' has more than %d values", opt, spec,
                              MTSI_SWEEP_AXIS_MAX);
    return MTSI_OK;
}

int mtsi_sweep_axis_parse(const char *opt, const char *spec, int integer, double **vals, int *n)
{
    *vals = NULL;
    *n = 0;
    if (!spec || !*spec)
        return mtsi_error_set(MTSI_EINVAL, "%s: empty value", opt);
    double *v = NULL;
    long cnt = 0;
    if (strchr(spec, ':')) {
        double lo, hi;
        if (parse_range(opt, spec, &lo, &hi, &cnt))
            return MTSI_EINVAL;
        v = mtsi_malloc((size_t)cnt * sizeof(double));
        if (!v)
            return MTSI_ENOMEM;
        for (long i = 0; i < cnt; i++) /* hi exactly at the end, no drift */
            v[i] = cnt == 1 ? lo : (i == cnt - 1 ? hi : lo + (hi - lo) * (double)i / (double)(cnt - 1));
    } else {
        cnt = 1;
        for (const char *p = spec; *p; p++)
            cnt += *p == ',';
        if (cnt > MTSI_SWEEP_AXIS_MAX)
            return mtsi_error_set(MTSI_EINVAL, "%s: more than %d values", opt, MTSI_SWEEP_AXIS_MAX);
        v = mtsi_malloc((size_t)cnt * sizeof(double));
        if (!v)
            return MTSI_ENOMEM;
        const char *p = spec;
        for (long i = 0; i < cnt; i++) {
            const char *e = strchr(p, ',');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            char item[64];
            if (len == 0 || len >= sizeof item) {
                free(v);
                return mtsi_error_set(MTSI_EINVAL, "%s: bad list '%s' (%s item %ld)", opt, spec,
                                      len ? "overlong" : "empty", i + 1);
            }
            memcpy(item, p, len);
            item[len] = '\0';
            if (mtsi_parse_finite(opt, item, &v[i])) {
                free(v);
                return MTSI_EINVAL;
            }
            p = e ? e + 1 : p + len;
        }
    }
    for (long i = 0; i < cnt; i++) {
        v[i] = mtsi_sweep_round(v[i]);
        if (integer && (v[i] != floor(v[i]) || fabs(v[i]) > 1e15)) {
            int rc = mtsi_error_set(MTSI_EINVAL, "%s: expected whole numbers, got %.10g in '%s'",
                                    opt, v[i], spec);
            free(v);
            return rc;
        }
    }
    double *s = mtsi_malloc((size_t)cnt * sizeof(double));
    if (!s) {
        free(v);
        return MTSI_ENOMEM;
    }
    memcpy(s, v, (size_t)cnt * sizeof(double));
    qsort(s, (size_t)cnt, sizeof(double), cmp_double);
    for (long i = 1; i < cnt; i++)
        if (s[i] == s[i - 1]) {
            int rc = mtsi_error_set(MTSI_EINVAL, "%s: value %.10g appears twice in '%s'", opt, s[i],
                                    spec);
            free(s);
            free(v);
            return rc;
        }
    free(s);
    *vals = v;
    *n = (int)cnt;
    return MTSI_OK;
}

static uint64_t mix64(uint64_t z)
{
    /* splitmix64 finaliser */
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t mtsi_sweep_point_seed(uint64_t seed, const char *name)
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a of the name */
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * 0x100000001b3ULL;
    /* 63 bits: seeds are stored as signed longs in the files */
    return mix64(mix64(seed + 0x9e3779b97f4a7c15ULL) ^ h) >> 1;
}

int mtsi_sweep_binder_crossing(int n, const double *x, const double *u1, const double *e1,
                               const double *u2, const double *e2, mtsi_sweep_crossing *res)
{
    memset(res, 0, sizeof *res);
    res->interval = -1;
    if (n < 2) {
        snprintf(res->reason, sizeof res->reason, "need at least 2 coupling values, have %d", n);
        return MTSI_OK;
    }
    for (int i = 0; i < n; i++)
        if (!isfinite(x[i]) || !isfinite(u1[i]) || !isfinite(u2[i]) || !isfinite(e1[i]) ||
            !isfinite(e2[i]))
            return mtsi_error_set(MTSI_EINVAL, "binder crossing: non-finite input at point %d", i);
    for (int i = 1; i < n; i++)
        if (!(x[i] > x[i - 1]))
            return mtsi_error_set(MTSI_EINVAL, "binder crossing: couplings not ascending at %d", i);
    int first = -1;
    for (int i = 0; i < n; i++) {
        double d0 = u2[i] - u1[i];
        int at_point = d0 == 0 && (i == 0 || u2[i - 1] - u1[i - 1] != 0);
        int inside = i + 1 < n && d0 * (u2[i + 1] - u1[i + 1]) < 0;
        if (at_point || inside) {
            res->ncross++;
            if (first < 0)
                first = i;
        }
    }
    if (first < 0) {
        double da = u2[0] - u1[0], db = u2[n - 1] - u1[n - 1];
        snprintf(res->reason, sizeof res->reason,
                 "U4(L2) - U4(L1) does not change sign on [%.10g, %.10g] (%+.3g at the first "
                 "value, %+.3g at the last)",
                 x[0], x[n - 1], da, db);
        return MTSI_OK;
    }
    int i = first;
    res->found = 1;
    res->interval = i;
    double Di = u2[i] - u1[i];
    if (Di == 0 || i + 1 >= n) {
        /* on a grid point: x has no interpolation error, U4 the mean of both */
        res->x = x[i];
        res->x_err = 0;
        res->u4 = 0.5 * (u1[i] + u2[i]);
        res->u4_err = 0.5 * sqrt(e1[i] * e1[i] + e2[i] * e2[i]);
        return MTSI_OK;
    }
    double Dj = u2[i + 1] - u1[i + 1];
    double dx = x[i + 1] - x[i], s = Di - Dj, f = Di / s;
    double dfi = -Dj / (s * s), dfj = Di / (s * s); /* df/dD_i, df/dD_{i+1} */
    res->x = x[i] + dx * f;
    /* d x* / d (u1_i, u1_j, u2_i, u2_j); D = u2 - u1 */
    double gx[4] = {-dx * dfi, -dx * dfj, dx * dfi, dx * dfj};
    double dU = u1[i + 1] - u1[i];
    res->u4 = u1[i] + dU * f;
    double gu[4] = {1 - f - dU * dfi, f - dU * dfj, dU * dfi, dU * dfj};
    double err[4] = {e1[i], e1[i + 1], e2[i], e2[i + 1]};
    double vx = 0, vu = 0;
    for (int k = 0; k < 4; k++) {
        vx += gx[k] * gx[k] * err[k] * err[k];
        vu += gu[k] * gu[k] * err[k] * err[k];
    }
    res->x_err = sqrt(vx);
    res->u4_err = sqrt(vu);
    return MTSI_OK;
}
