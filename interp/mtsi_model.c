/* Model files (layout in mtsi_model.h): reading any model as a drift. */
#include "config.h"
#include "mtsi_err.h"
#include "mtsi_h5.h"
#include "mtsi_model.h"
#include "mtsi_phi4.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mtsi_model_info_set_shape(mtsi_model_info *info, const mtsi_shape *s)
{
    info->shape = *s;
    info->dim = s->naxes;
    info->L = s->n[0];
    info->V = mtsi_shape_size(s);
}

static void std_apply(const mtsi_model_info *info, long n, double *x, int inverse)
{
    if (!info->standardized)
        return;
    const long P = mtsi_shape_points(&info->shape);
    const int C = info->shape.channels;
    for (long i = 0; i < n; i++)
        for (int c = 0; c < C; c++) {
            double *v = x + (i * C + c) * P, s0 = info->std_shift[c], sc = info->std_scale[c];
            for (long a = 0; a < P; a++)
                v[a] = inverse ? v[a] * sc + s0 : (v[a] - s0) / sc;
        }
}

void mtsi_model_standardize(const mtsi_model_info *info, long n, double *x)
{
    std_apply(info, n, x, 0);
}

void mtsi_model_unstandardize(const mtsi_model_info *info, long n, double *x)
{
    std_apply(info, n, x, 1);
}

int mtsi_model_read_info(hid_t f, const char *what, mtsi_model_info *info)
{
    memset(info, 0, sizeof *info);
    char kind[32] = "";
    int rc = mtsi_h5_attr_get_string(f, "kind", kind, sizeof kind, what);
    if (!rc && strcmp(kind, "model"))
        rc = mtsi_error_set(MTSI_EINVAL, "%s is a '%s' file, not a model", what, kind);
    rc = rc ? rc : mtsi_h5_attr_get_string(f, "model_type", info->model_type,
                                           sizeof info->model_type, what);
    mtsi_shape sh;
    rc = rc ? rc : mtsi_shape_read_attrs(f, what, &sh);
    if (rc)
        return rc;
    mtsi_model_info_set_shape(info, &sh);
    if (mtsi_h5_has_attr(f, "std_shift") || mtsi_h5_has_attr(f, "std_scale")) {
        const int C = sh.channels;
        if (C > MTSI_MODEL_MAXSTD)
            return mtsi_error_set(MTSI_EINVAL, "%s: standardisation of %d channels (at most %d)",
                                  what, C, MTSI_MODEL_MAXSTD);
        rc = mtsi_h5_attr_get_doubles(f, "std_shift", info->std_shift, C, what);
        rc = rc ? rc : mtsi_h5_attr_get_doubles(f, "std_scale", info->std_scale, C, what);
        for (int c = 0; !rc && c < C; c++)
            if (!isfinite(info->std_shift[c]) || !(info->std_scale[c] > 0) ||
                !isfinite(info->std_scale[c]))
                rc = mtsi_error_set(MTSI_EINVAL, "%s: bad standardisation of channel %d (shift %g, "
                                                 "scale %g)",
                                    what, c, info->std_shift[c], info->std_scale[c]);
        if (rc)
            return rc;
        info->standardized = 1;
    }
    double *dst[5] = {&info->chi, &info->kappa, &info->gamma, &info->field_h, &info->quad_a};
    const char *names[5] = {"chi", "kappa", "gamma", "field_h", "quad_a"};
    for (int i = 0; i < 5; i++) {
        *dst[i] = NAN;
        if (mtsi_h5_has_attr(f, names[i]) &&
            (rc = mtsi_h5_attr_get_double(f, names[i], dst[i], what)))
            return rc;
    }
    if (mtsi_h5_has_attr(f, "data"))
        mtsi_h5_attr_get_string(f, "data", info->data, sizeof info->data, what);
    return MTSI_OK;
}

int mtsi_model_write_info(hid_t f, const mtsi_model_info *info, const char *command_line)
{
    int rc = mtsi_h5_attr_set_string(f, "kind", "model");
    rc |= mtsi_h5_attr_set_string(f, "model_type", info->model_type);
    if (mtsi_shape_is_lattice(&info->shape, NULL, NULL)) { /* the phi^4 layout */
        rc |= mtsi_h5_attr_set_long(f, "dim", info->dim);
        rc |= mtsi_h5_attr_set_long(f, "L", info->L);
    } else {
        rc |= mtsi_shape_write_attrs(f, &info->shape);
    }
    if (info->standardized) {
        rc |= mtsi_h5_attr_set_doubles(f, "std_shift", info->std_shift, info->shape.channels);
        rc |= mtsi_h5_attr_set_doubles(f, "std_scale", info->std_scale, info->shape.channels);
    }
    rc |= mtsi_h5_attr_set_double(f, "chi", info->chi);
    rc |= mtsi_h5_attr_set_double(f, "kappa", info->kappa);
    rc |= mtsi_h5_attr_set_double(f, "gamma", info->gamma);
    rc |= mtsi_h5_attr_set_double(f, "field_h", info->field_h);
    rc |= mtsi_h5_attr_set_double(f, "quad_a", info->quad_a);
    rc |= mtsi_h5_attr_set_string(f, "data", info->data);
    rc |= mtsi_h5_attr_set_string(f, "mtsi_version", PACKAGE_VERSION);
    rc |= mtsi_h5_attr_set_string(f, "command_line", command_line ? command_line : "");
    return rc ? mtsi_error_set(MTSI_EIO, "cannot write model attributes") : MTSI_OK;
}

/* Dataset `name` of a model: floating-point with exactly n values (the
 * declared shape, checked before anything is allocated for it). */
static int check_values(hid_t f, const char *name, size_t n, const char *what)
{
    hsize_t dims[8];
    size_t cnt = 0;
    if (mtsi_h5_is_float(f, name, what))
        return MTSI_EINVAL;
    if (mtsi_h5_shape_checked(f, name, dims, 8, sizeof(double), &cnt, what) < 0)
        return MTSI_EINVAL;
    if (cnt != n)
        return mtsi_error_set(MTSI_EINVAL, "%s: /%s has %zu values, expected %zu", what, name, cnt,
                              n);
    return MTSI_OK;
}

/* check_values, then the values, which must be finite. */
static int read_values(hid_t f, const char *name, double *x, size_t n, const char *what)
{
    int rc = check_values(f, name, n, what);
    rc = rc ? rc : mtsi_h5_read_double(f, name, x, n, what);
    if (!rc) {
        char full[64];
        snprintf(full, sizeof full, "/%s", name);
        rc = mtsi_check_finite(x, n, what, full);
    }
    return rc;
}

static int load_gmm(hid_t f, const char *what, const mtsi_model_info *info, int mixture,
                    mtsi_drift **d)
{
    mtsi_phi4_params lat;
    memset(&lat, 0, sizeof lat);
    int rc = mtsi_phi4_set_lattice(&lat, info->dim, info->L);
    if (rc)
        return rc;
    const long V = lat.V, nh = mtsi_phi4_nhalf(&lat);
    long J = 1;
    hsize_t dims[4];
    if (mixture) {
        size_t cnt;
        int r = mtsi_h5_shape_checked(f, "gmm/weights", dims, 4, sizeof(double), &cnt, what);
        if (r < 0)
            return MTSI_EINVAL;
        J = (long)dims[0];
        if (r != 1 || J < 1 || J > 1000)
            return mtsi_error_set(MTSI_EINVAL, "%s: bad /gmm/weights shape", what);
    }
    const char *mname = mixture ? "gmm/means" : "gaussian/mean";
    const char *cname = mixture ? "gmm/ck" : "gaussian/ck";
    if ((rc = check_values(f, mname, (size_t)(J * V), what)) ||
        (rc = check_values(f, cname, (size_t)nh, what)))
        return rc;
    double *w = malloc((size_t)J * sizeof(double));
    double *means = malloc((size_t)(J * V) * sizeof(double));
    double *ck = malloc((size_t)nh * sizeof(double));
    if (!w || !means || !ck)
        rc = mtsi_error_set(MTSI_ENOMEM, "out of memory loading %s", what);
    if (!rc && mixture) {
        rc = read_values(f, "gmm/weights", w, (size_t)J, what);
        rc = rc ? rc : read_values(f, "gmm/means", means, (size_t)(J * V), what);
        rc = rc ? rc : read_values(f, "gmm/ck", ck, (size_t)nh, what);
    } else if (!rc) {
        w[0] = 1;
        rc = read_values(f, "gaussian/mean", means, (size_t)V, what);
        rc = rc ? rc : read_values(f, "gaussian/ck", ck, (size_t)nh, what);
    }
    if (!rc) {
        *d = mtsi_drift_gmm_new(info->dim, info->L, (int)J, w, means, ck);
        if (!*d) {
            char msg[512];
            snprintf(msg, sizeof msg, "%s", mtsi_error_msg());
            rc = mtsi_error_set(MTSI_EINVAL, "%s: %s", what, msg);
        }
    }
    free(w);
    free(means);
    free(ck);
    return rc;
}

static int load_dense(hid_t f, const char *what, const mtsi_model_info *info, mtsi_drift **d)
{
    const long V = info->V;
    if (V > 20000)
        return mtsi_error_set(MTSI_EINVAL, "%s: a dense model of %ld values (at most 20000)", what,
                              V);
    /* the declared shapes first: a wrong file allocates nothing */
    int rc = check_values(f, "dense/mean", (size_t)V, what);
    if (rc || (rc = check_values(f, "dense/cov", (size_t)(V * V), what)))
        return rc;
    double *mean = malloc((size_t)V * sizeof(double));
    double *cov = malloc((size_t)(V * V) * sizeof(double));
    rc = mean && cov ? MTSI_OK : mtsi_error_set(MTSI_ENOMEM, "out of memory loading %s", what);
    rc = rc ? rc : read_values(f, "dense/mean", mean, (size_t)V, what);
    rc = rc ? rc : read_values(f, "dense/cov", cov, (size_t)(V * V), what);
    if (!rc && !(*d = mtsi_drift_dense_new(&info->shape, mean, cov))) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", mtsi_error_msg());
        rc = mtsi_error_set(MTSI_EINVAL, "%s: %s", what, msg);
    }
    free(mean);
    free(cov);
    return rc;
}

int mtsi_model_load(const char *path, mtsi_drift **d, mtsi_model_info *info)
{
    *d = NULL;
    hid_t f = mtsi_h5_open(path);
    if (f < 0)
        return MTSI_EINVAL;
    char what[600];
    snprintf(what, sizeof what, "model '%s'", path);
    int rc = mtsi_model_read_info(f, what, info);
    if (!rc) {
        int lattice = mtsi_shape_is_lattice(&info->shape, NULL, NULL);
        if (!lattice && (!strcmp(info->model_type, "gaussian") || !strcmp(info->model_type, "gmm")))
            rc = mtsi_error_set(MTSI_EINVAL, "%s: a %s model needs phi4 lattice data, the file has "
                                             "%s data",
                                what, info->model_type, info->shape.kind);
        else if (!strcmp(info->model_type, "gaussian"))
            rc = load_gmm(f, what, info, 0, d);
        else if (!strcmp(info->model_type, "gmm"))
            rc = load_gmm(f, what, info, 1, d);
        else if (!strcmp(info->model_type, "dense"))
            rc = load_dense(f, what, info, d);
        else if (!strcmp(info->model_type, "neural"))
            rc = mtsi_drift_neural_load(f, what, info, d);
        else
            rc = mtsi_error_set(MTSI_EINVAL, "%s: unknown model_type '%s'", what, info->model_type);
    }
    H5Fclose(f);
    return rc;
}
