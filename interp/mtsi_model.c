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

int mtsi_model_read_info(hid_t f, const char *what, mtsi_model_info *info)
{
    memset(info, 0, sizeof *info);
    char kind[32] = "";
    long dim = 0, L = 0;
    int rc = mtsi_h5_attr_get_string(f, "kind", kind, sizeof kind, what);
    if (!rc && strcmp(kind, "model"))
        rc = mtsi_error_set(MTSI_EINVAL, "%s is a '%s' file, not a model", what, kind);
    rc = rc ? rc : mtsi_h5_attr_get_string(f, "model_type", info->model_type,
                                           sizeof info->model_type, what);
    rc = rc ? rc : mtsi_h5_attr_get_long(f, "dim", &dim, what);
    rc = rc ? rc : mtsi_h5_attr_get_long(f, "L", &L, what);
    if (!rc && (dim < 1 || dim > MTSI_PHI4_MAXDIM || L < 2 || L > 1 << 20))
        rc = mtsi_error_set(MTSI_EINVAL, "%s: bad lattice dim=%ld L=%ld", what, dim, L);
    if (rc)
        return rc;
    info->dim = (int)dim;
    info->L = L;
    info->V = 1;
    for (int d = 0; d < dim; d++)
        info->V *= L;
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
    rc |= mtsi_h5_attr_set_long(f, "dim", info->dim);
    rc |= mtsi_h5_attr_set_long(f, "L", info->L);
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
        int r = mtsi_h5_shape(f, "gmm/weights", dims, 4, what);
        if (r < 0)
            return MTSI_EINVAL;
        J = (long)dims[0];
        if (r != 1 || J < 1 || J > 1000)
            return mtsi_error_set(MTSI_EINVAL, "%s: bad /gmm/weights shape", what);
    }
    double *w = malloc((size_t)J * sizeof(double));
    double *means = malloc((size_t)(J * V) * sizeof(double));
    double *ck = malloc((size_t)nh * sizeof(double));
    if (!w || !means || !ck)
        rc = mtsi_error_set(MTSI_ENOMEM, "out of memory loading %s", what);
    if (!rc && mixture) {
        rc = mtsi_h5_read_double(f, "gmm/weights", w, (size_t)J, what);
        rc = rc ? rc : mtsi_h5_read_double(f, "gmm/means", means, (size_t)(J * V), what);
        rc = rc ? rc : mtsi_h5_read_double(f, "gmm/ck", ck, (size_t)nh, what);
    } else if (!rc) {
        w[0] = 1;
        rc = mtsi_h5_read_double(f, "gaussian/mean", means, (size_t)V, what);
        rc = rc ? rc : mtsi_h5_read_double(f, "gaussian/ck", ck, (size_t)nh, what);
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
        if (!strcmp(info->model_type, "gaussian"))
            rc = load_gmm(f, what, info, 0, d);
        else if (!strcmp(info->model_type, "gmm"))
            rc = load_gmm(f, what, info, 1, d);
        else if (!strcmp(info->model_type, "neural"))
            rc = mtsi_drift_neural_load(f, what, info, d);
        else
            rc = mtsi_error_set(MTSI_EINVAL, "%s: unknown model_type '%s'", what, info->model_type);
    }
    H5Fclose(f);
    return rc;
}
