#include "config.h"
#include "mtsi_ensemble.h"
#include "mtsi_err.h"
#include "mtsi_h5.h"
#include "mtsi_phi4.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void opt_double(hid_t f, const char *name, double *v)
{
    *v = NAN;
    if (mtsi_h5_has_attr(f, name))
        mtsi_h5_attr_get_double(f, name, v, "");
}

int mtsi_ensemble_read(const char *path, mtsi_ensemble *e)
{
    memset(e, 0, sizeof *e);
    hid_t f = mtsi_h5_open(path);
    if (f < 0)
        return MTSI_EINVAL;
    char what[600];
    snprintf(what, sizeof what, "ensemble '%s'", path);
    long dim = 0, L = 0;
    int rc = mtsi_h5_attr_get_long(f, "L", &L, what);
    rc = rc ? rc : mtsi_h5_attr_get_long(f, "dim", &dim, what);
    if (!rc && (dim < 1 || dim > MTSI_PHI4_MAXDIM || L < 2))
        rc = mtsi_error_set(MTSI_EINVAL, "%s: bad lattice attributes dim=%ld L=%ld", what, dim, L);
    hsize_t dims[8];
    int rank = rc ? -1 : mtsi_h5_shape(f, "configs", dims, 8, what);
    if (!rc && rank < 0)
        rc = MTSI_EINVAL;
    if (!rc && rank != 1 + dim)
        rc = mtsi_error_set(MTSI_EINVAL, "%s: /configs has rank %d, expected %ld", what, rank,
                            1 + dim);
    for (int d = 0; !rc && d < dim; d++)
        if ((long)dims[1 + d] != L)
            rc = mtsi_error_set(MTSI_EINVAL, "%s: /configs axis %d has %llu sites, expected L=%ld",
                                what, d + 1, (unsigned long long)dims[1 + d], L);
    if (!rc && dims[0] < 1)
        rc = mtsi_error_set(MTSI_EINVAL, "%s: /configs is empty", what);
    if (!rc) {
        e->dim = (int)dim;
        e->L = L;
        e->V = 1;
        for (int d = 0; d < dim; d++)
            e->V *= L;
        e->n = (long)dims[0];
        e->configs = malloc((size_t)(e->n * e->V) * sizeof(double));
        if (!e->configs)
            rc = mtsi_error_set(MTSI_ENOMEM, "%s: out of memory for %ld configurations", what,
                                e->n);
        else
            rc = mtsi_h5_read_double(f, "configs", e->configs, (size_t)(e->n * e->V), what);
    }
    if (!rc) {
        opt_double(f, "chi", &e->chi);
        opt_double(f, "kappa", &e->kappa);
        opt_double(f, "gamma", &e->gamma);
        opt_double(f, "field_h", &e->field_h);
        opt_double(f, "quad_a", &e->quad_a);
        if (mtsi_h5_has_attr(f, "kind"))
            mtsi_h5_attr_get_string(f, "kind", e->kind, sizeof e->kind, what);
        for (long i = 0; i < e->n * e->V; i++)
            if (!isfinite(e->configs[i])) {
                rc = mtsi_error_set(MTSI_EINVAL, "%s: configuration %ld has a non-finite value",
                                    what, i / e->V);
                break;
            }
    }
    H5Fclose(f);
    if (rc)
        mtsi_ensemble_free(e);
    return rc;
}

void mtsi_ensemble_free(mtsi_ensemble *e)
{
    free(e->configs);
    e->configs = NULL;
}

hid_t mtsi_ensemble_write(const char *path, const mtsi_ensemble *e, long seed,
                          const char *command_line)
{
    hid_t f = mtsi_h5_create(path);
    if (f < 0)
        return f;
    const long N = e->n, V = e->V, L = e->L;
    int rc = mtsi_h5_attr_set_string(f, "kind", e->kind[0] ? e->kind : "generated");
    rc |= mtsi_h5_attr_set_long(f, "L", L);
    rc |= mtsi_h5_attr_set_long(f, "dim", e->dim);
    rc |= mtsi_h5_attr_set_double(f, "chi", e->chi);
    rc |= mtsi_h5_attr_set_double(f, "kappa", e->kappa);
    rc |= mtsi_h5_attr_set_double(f, "gamma", e->gamma);
    rc |= mtsi_h5_attr_set_double(f, "field_h", e->field_h);
    rc |= mtsi_h5_attr_set_double(f, "quad_a", e->quad_a);
    rc |= mtsi_h5_attr_set_long(f, "seed", seed);
    rc |= mtsi_h5_attr_set_string(f, "mtsi_version", PACKAGE_VERSION);
    rc |= mtsi_h5_attr_set_string(f, "command_line", command_line ? command_line : "");
    hsize_t dims[1 + MTSI_PHI4_MAXDIM], chunk[1 + MTSI_PHI4_MAXDIM];
    dims[0] = (hsize_t)N;
    chunk[0] = 1;
    for (int d = 0; d < e->dim; d++)
        dims[1 + d] = chunk[1 + d] = (hsize_t)L;
    hid_t sp = H5Screate_simple(1 + e->dim, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 1 + e->dim, chunk);
    H5Pset_obj_track_times(dcpl, 0);
    hid_t ds = H5Dcreate2(f, "configs", H5T_IEEE_F64LE, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (ds < 0 || H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, e->configs) < 0)
        rc = 1;
    if (ds >= 0)
        H5Dclose(ds);
    H5Pclose(dcpl);
    H5Sclose(sp);
    /* Observables with the couplings of the law the samples should follow. */
    mtsi_phi4_params p;
    memset(&p, 0, sizeof p);
    if (!rc && mtsi_phi4_set_lattice(&p, e->dim, L) == MTSI_OK) {
        mtsi_phi4_set_direct(&p, isfinite(e->chi) ? e->chi : 0, isfinite(e->kappa) ? e->kappa : 0,
                             isfinite(e->gamma) ? e->gamma : 0);
        mtsi_phi4_meas *m = mtsi_phi4_meas_new(&p);
        double *obs = malloc((size_t)N * 7 * sizeof(double));
        double *G = malloc((size_t)(N * L) * sizeof(double));
        if (!m || !obs || !G) {
            rc = 1;
        } else {
            for (long i = 0; i < N; i++) {
                mtsi_phi4_obs o;
                mtsi_phi4_meas_run(m, e->configs + i * V, &o, G + i * L);
                double v[7] = {o.m, o.abs_m, o.m2, o.m4, o.energy, o.ghat0, o.ghat1};
                for (int k = 0; k < 7; k++)
                    obs[k * N + i] = v[k];
            }
            static const char *names[7] = {"observables/m",      "observables/abs_m",
                                           "observables/m2",     "observables/m4",
                                           "observables/energy", "observables/ghat0",
                                           "observables/ghat1"};
            rc |= mtsi_h5_group(f, "observables");
            hsize_t n1 = (hsize_t)N;
            for (int k = 0; k < 7 && !rc; k++)
                rc |= mtsi_h5_write_double(f, names[k], 1, &n1, obs + k * N);
            hsize_t dG[2] = {(hsize_t)N, (hsize_t)L};
            if (!rc)
                rc |= mtsi_h5_write_double(f, "observables/G", 2, dG, G);
        }
        mtsi_phi4_meas_free(m);
        free(obs);
        free(G);
    }
    if (rc) {
        H5Fclose(f);
        if (!mtsi_error_code())
            mtsi_error_set(MTSI_EIO, "cannot write ensemble '%s'", path);
        return -1;
    }
    return f;
}
