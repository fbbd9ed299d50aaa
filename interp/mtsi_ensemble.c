#include "config.h"
#include "mtsi_ensemble.h"
#include "mtsi_err.h"
#include "mtsi_h5.h"
#include "mtsi_out.h"
#include "mtsi_phi4.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An optional coupling: NAN when absent, else a finite number (an error
 * naming the file and the attribute otherwise). */
/* A failed write of path (a temporary name): the error names the user's
 * output and says when the disk is full; an earlier out-of-memory error is
 * kept. */
static void write_failed(const char *path)
{
    if (mtsi_error_code() == MTSI_ENOMEM)
        return;
    char user[4096];
    mtsi_out_write_error(mtsi_out_user_path(path, user, sizeof user));
}

static int opt_finite(hid_t f, const char *name, double *v, const char *what)
{
    *v = NAN;
    if (!mtsi_h5_has_attr(f, name))
        return MTSI_OK;
    return mtsi_h5_attr_get_finite(f, name, v, what);
}

void mtsi_ensemble_set_shape(mtsi_ensemble *e, const mtsi_shape *s)
{
    e->shape = *s;
    e->dim = s->naxes;
    e->L = s->n[0];
    e->V = mtsi_shape_size(s);
}

int mtsi_ensemble_require_lattice(const mtsi_ensemble *e, const char *cmd, const char *path)
{
    if (mtsi_shape_is_lattice(&e->shape, NULL, NULL))
        return MTSI_OK;
    char sh[200];
    mtsi_shape_format(&e->shape, sh, sizeof sh);
    return mtsi_error_set(MTSI_EINVAL,
                          "'%s' holds %s data (%s); %s computes phi^4 observables and needs "
                          "phi4 lattices",
                          path, e->shape.kind, sh, cmd);
}

int mtsi_ensemble_read(const char *path, mtsi_ensemble *e)
{
    memset(e, 0, sizeof *e);
    hid_t f = mtsi_h5_open(path);
    if (f < 0)
        return MTSI_EINVAL;
    char what[600];
    snprintf(what, sizeof what, "ensemble '%s'", path);
    /* kind: what wrote the file (SPEC.md section 5) */
    int rc = mtsi_h5_attr_get_string(f, "kind", e->kind, sizeof e->kind, what);
    if (!rc && strcmp(e->kind, "mcmc") && strcmp(e->kind, "generated") && strcmp(e->kind, "data"))
        rc = mtsi_error_set(MTSI_EINVAL,
                            "%s: attribute 'kind' is '%s', expected mcmc, generated or data", what,
                            e->kind);
    mtsi_shape sh;
    rc = rc ? rc : mtsi_shape_read_attrs(f, what, &sh);
    /* a phi^4 lattice file (no data_kind, or "phi4") states the couplings
     * of its law; other data may carry them */
    char dk[64] = "phi4";
    if (!rc && mtsi_h5_has_attr(f, "data_kind"))
        rc = mtsi_h5_attr_get_string(f, "data_kind", dk, sizeof dk, what);
    const int phi4 = !rc && !strcmp(dk, "phi4");
    const char *cpl[3] = {"chi", "kappa", "gamma"};
    double *cv[3] = {&e->chi, &e->kappa, &e->gamma};
    for (int k = 0; k < 3 && !rc; k++)
        rc = phi4 ? mtsi_h5_attr_get_finite(f, cpl[k], cv[k], what)
                  : opt_finite(f, cpl[k], cv[k], what);
    rc = rc ? rc : opt_finite(f, "field_h", &e->field_h, what);
    rc = rc ? rc : opt_finite(f, "quad_a", &e->quad_a, what);
    /* /configs: floating-point, its declared shape checked before anything
     * is allocated */
    const int chax = !rc && mtsi_shape_has_channel_axis(f);
    rc = rc ? rc : mtsi_h5_is_float(f, "configs", what);
    hsize_t dims[8], want[8];
    size_t count = 0;
    int rank = rc ? -1 : mtsi_h5_shape_checked(f, "configs", dims, 8, sizeof(double), &count, what);
    if (!rc && rank < 0)
        rc = MTSI_EINVAL;
    int wrank = rc ? 0 : mtsi_shape_dims(&sh, chax, 0, want);
    if (!rc && rank != wrank)
        rc = mtsi_error_set(MTSI_EINVAL, "%s: /configs has rank %d, expected %d", what, rank, wrank);
    for (int d = 1; !rc && d < rank; d++)
        if (dims[d] != want[d]) {
            char s[200];
            mtsi_shape_format(&sh, s, sizeof s);
            rc = mtsi_error_set(MTSI_EINVAL, "%s: /configs axis %d has %llu entries, expected %llu "
                                             "for the file's %s",
                                what, d, (unsigned long long)dims[d],
                                (unsigned long long)want[d], s);
        }
    if (!rc && dims[0] < 1)
        rc = mtsi_error_set(MTSI_EINVAL, "%s: /configs is empty", what);
    if (!rc) {
        mtsi_ensemble_set_shape(e, &sh);
        /* V <= MTSI_SHAPE_MAXSIZE (checked), so the product below cannot wrap */
        if (dims[0] > (hsize_t)(MTSI_ENSEMBLE_MAXVALUES / e->V))
            rc = mtsi_error_set(MTSI_EINVAL, "%s: /configs declares %llu samples of %ld values, "
                                             "more than the %ld values an ensemble may hold",
                                what, (unsigned long long)dims[0], e->V,
                                (long)MTSI_ENSEMBLE_MAXVALUES);
    }
    if (!rc) {
        e->n = (long)dims[0];
        e->configs = malloc(count * sizeof(double));
        if (!e->configs)
            rc = mtsi_error_set(MTSI_ENOMEM, "%s: out of memory for %ld configurations", what,
                                e->n);
        else
            rc = mtsi_h5_read_double(f, "configs", e->configs, count, what);
    }
    rc = rc ? rc : mtsi_check_finite(e->configs, count, what, "/configs");
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

/* /configs, float64, chunked as given, without time stamps (the same seed
 * gives the same file); nonzero on failure. */
static int write_configs(hid_t f, int rank, const hsize_t *dims, const hsize_t *chunk,
                         const double *x)
{
    hid_t sp = H5Screate_simple(rank, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, rank, chunk);
    H5Pset_obj_track_times(dcpl, 0);
    hid_t ds = H5Dcreate2(f, "configs", H5T_IEEE_F64LE, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    int rc = ds < 0 || H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, x) < 0;
    if (ds >= 0)
        H5Dclose(ds);
    H5Pclose(dcpl);
    H5Sclose(sp);
    return rc;
}

/* Non-lattice data: /configs [n, C, grid...], one chunk per sample, and the
 * shape attributes. */
static hid_t write_data(const char *path, const mtsi_ensemble *e, long seed,
                        const char *command_line)
{
    hid_t f = mtsi_h5_create(path);
    if (f < 0)
        return f;
    int rc = mtsi_h5_attr_set_string(f, "kind", e->kind[0] ? e->kind : "generated");
    rc |= mtsi_shape_write_attrs(f, &e->shape);
    rc |= mtsi_h5_attr_set_long(f, "seed", seed);
    rc |= mtsi_h5_attr_set_string(f, "mtsi_version", PACKAGE_VERSION);
    rc |= mtsi_h5_attr_set_string(f, "command_line", command_line ? command_line : "");
    hsize_t dims[2 + MTSI_SHAPE_MAXAXES], chunk[2 + MTSI_SHAPE_MAXAXES];
    int r = mtsi_shape_dims(&e->shape, 1, (hsize_t)e->n, dims);
    mtsi_shape_dims(&e->shape, 1, 1, chunk);
    rc |= write_configs(f, r, dims, chunk, e->configs);
    if (rc) {
        H5Fclose(f);
        write_failed(path);
        return -1;
    }
    return f;
}

hid_t mtsi_ensemble_write(const char *path, const mtsi_ensemble *e, long seed,
                          const char *command_line)
{
    /* callers that fill only dim and L write a phi^4 lattice */
    if (e->shape.naxes > 0 && !mtsi_shape_is_lattice(&e->shape, NULL, NULL))
        return write_data(path, e, seed, command_line);
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
    rc |= write_configs(f, 1 + e->dim, dims, chunk, e->configs);
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
            rc = mtsi_error_set(MTSI_ENOMEM, "out of memory for the observables of %ld "
                                             "configurations", N);
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
        write_failed(path);
        return -1;
    }
    return f;
}
