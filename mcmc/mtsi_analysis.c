/* Reading and Gamma-method analysis of phi^4 ensembles (see
 * mtsi_analysis.h; SPEC.md sections 3 and 5). Each chain of an MCMC
 * ensemble is one replicum; derived quantities (Binder cumulant,
 * susceptibility, second-moment correlation length) go through the
 * method's linearised error propagation with analytic gradients. */
#include "config.h"
#include "mtsi_analysis.h"
#include "mtsi_cli.h"
#include "mtsi_err.h"
#include "mtsi_h5.h"
#include "mtsi_phi4.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    P_M = MTSI_ENS_M,
    P_ABS_M = MTSI_ENS_ABS_M,
    P_M2 = MTSI_ENS_M2,
    P_M4 = MTSI_ENS_M4,
    P_G0 = MTSI_ENS_GHAT0,
    P_G1 = MTSI_ENS_GHAT1,
    NPRIM = MTSI_ENS_NPRIM
};
const char *const mtsi_analysis_prim_names[MTSI_ENS_NPRIM] = {"m",      "abs_m", "m2",   "m4",
                                                              "energy", "ghat0", "ghat1"};
const char *const mtsi_analysis_row_names[MTSI_ENS_NROWS] = {"m",      "abs_m",  "m2",  "m4",
                                                             "energy", "binder", "chi", "xi2"};

typedef struct {
    double V;      /* sites */
    double xi_c;   /* 1 / (2 sin(pi / L)) */
} derived_ctx;

/* U4 = 1 - <M^4> / (3 <M^2>^2) */
static double f_binder(const double *a, void *ctx)
{
    (void)ctx;
    return 1 - a[P_M4] / (3 * a[P_M2] * a[P_M2]);
}
static void g_binder(const double *a, double *g, void *ctx)
{
    (void)ctx;
    memset(g, 0, NPRIM * sizeof *g);
    g[P_M4] = -1 / (3 * a[P_M2] * a[P_M2]);
    g[P_M2] = 2 * a[P_M4] / (3 * a[P_M2] * a[P_M2] * a[P_M2]);
}

/* chi_M = V (<M^2> - <|M|>^2) */
static double f_chi(const double *a, void *ctx)
{
    const derived_ctx *c = ctx;
    return c->V * (a[P_M2] - a[P_ABS_M] * a[P_ABS_M]);
}
static void g_chi(const double *a, double *g, void *ctx)
{
    const derived_ctx *c = ctx;
    memset(g, 0, NPRIM * sizeof *g);
    g[P_M2] = c->V;
    g[P_ABS_M] = -2 * c->V * a[P_ABS_M];
}

/* xi2 = (2 sin(pi/L))^-1 sqrt(<ghat0>/<ghat1> - 1) */
static double f_xi2(const double *a, void *ctx)
{
    const derived_ctx *c = ctx;
    return c->xi_c * sqrt(a[P_G0] / a[P_G1] - 1);
}
static void g_xi2(const double *a, double *g, void *ctx)
{
    const derived_ctx *c = ctx;
    memset(g, 0, NPRIM * sizeof *g);
    double s = sqrt(a[P_G0] / a[P_G1] - 1);
    double k = c->xi_c / (2 * s);
    g[P_G0] = k / a[P_G1];
    g[P_G1] = -k * a[P_G0] / (a[P_G1] * a[P_G1]);
}

void mtsi_analysis_free(mtsi_analysis_ens *e)
{
    if (!e)
        return;
    free(e->replen);
    free(e->obs);
    free(e->G);
    e->replen = NULL;
    e->obs = NULL;
    e->G = NULL;
}

/* Re-raise the last error with the file name in front (the message buffer
 * is copied first: it is also the destination). */
static int prefix_error(const char *path, const char *what)
{
    char msg[512];
    snprintf(msg, sizeof msg, "%s", mtsi_error_msg());
    int code = mtsi_error_code() ? mtsi_error_code() : MTSI_EINVAL;
    return mtsi_error_set(code, "%s: %s%s", path, what, msg);
}

static int read_attrs(hid_t f, const char *path, mtsi_analysis_ens *e)
{
    int rc;
    if (!mtsi_h5_has_attr(f, "kind"))
        return mtsi_error_set(MTSI_EINVAL, "%s: not an mtsi ensemble (no 'kind' attribute)", path);
    if ((rc = mtsi_h5_attr_get_string(f, "kind", e->kind, sizeof e->kind, path)))
        return rc;
    if (strcmp(e->kind, "mcmc") && strcmp(e->kind, "generated") && strcmp(e->kind, "data"))
        return mtsi_error_set(MTSI_EINVAL,
                              "%s: attribute 'kind' is '%s', expected mcmc, generated or data",
                              path, e->kind);
    /* images, paths and other shapes (interp/mtsi_shape.h) carry data_kind;
     * phi^4 observables are defined on phi4 lattices only */
    if (mtsi_h5_has_attr(f, "data_kind")) {
        char dk[64];
        if ((rc = mtsi_h5_attr_get_string(f, "data_kind", dk, sizeof dk, path)))
            return rc;
        if (strcmp(dk, "phi4"))
            return mtsi_error_set(MTSI_EINVAL,
                                  "%s holds %s data (data_kind '%s'); phi^4 observables need a "
                                  "phi4 lattice ensemble",
                                  path, dk, dk);
    }
    if ((rc = mtsi_h5_attr_get_long(f, "L", &e->L, path)) ||
        (rc = mtsi_h5_attr_get_long(f, "dim", &e->dim, path)) ||
        (rc = mtsi_h5_attr_get_finite(f, "chi", &e->chi, path)) ||
        (rc = mtsi_h5_attr_get_finite(f, "kappa", &e->kappa, path)) ||
        (rc = mtsi_h5_attr_get_finite(f, "gamma", &e->gamma, path)))
        return rc;
    if (e->dim < 1 || e->dim > MTSI_PHI4_MAXDIM)
        return mtsi_error_set(MTSI_EINVAL, "%s: attribute 'dim' = %ld is not 1, 2 or 3", path,
                              e->dim);
    if (e->L < 2 || e->L > (1L << 20))
        return mtsi_error_set(MTSI_EINVAL, "%s: attribute 'L' = %ld is out of range (need L >= 2)",
                              path, e->L);
    /* The tilt is optional (absent = 0): it does not enter the untilted
     * observables, only the header. */
    e->field_h = e->quad_a = 0;
    if (mtsi_h5_has_attr(f, "field_h") &&
        (rc = mtsi_h5_attr_get_finite(f, "field_h", &e->field_h, path)))
        return rc;
    if (mtsi_h5_has_attr(f, "quad_a") &&
        (rc = mtsi_h5_attr_get_finite(f, "quad_a", &e->quad_a, path)))
        return rc;
    e->has_sampler = mtsi_h5_has_attr(f, "sampler") &&
                     !mtsi_h5_attr_get_string(f, "sampler", e->sampler, sizeof e->sampler, path);
    e->has_seed = mtsi_h5_has_attr(f, "seed") && !mtsi_h5_attr_get_long(f, "seed", &e->seed, path);
    e->has_nchains = mtsi_h5_has_attr(f, "n_chains") &&
                     !mtsi_h5_attr_get_long(f, "n_chains", &e->n_chains_attr, path);
    mtsi_error_clear();
    return MTSI_OK;
}

/* /configs must be a float dataset of shape [N, L, ..., L] (dim axes). */
static int check_configs(hid_t f, const char *path, mtsi_analysis_ens *e)
{
    hsize_t dims[8];
    int r = mtsi_h5_shape(f, "configs", dims, 8, path);
    if (r < 0)
        return mtsi_error_code();
    if (r != e->dim + 1)
        return mtsi_error_set(MTSI_EINVAL, "%s: /configs has rank %d, expected %ld (N and dim = %ld "
                              "lattice axes)", path, r, e->dim + 1, e->dim);
    for (int d = 1; d < r; d++)
        if (dims[d] != (hsize_t)e->L)
            return mtsi_error_set(MTSI_EINVAL, "%s: /configs axis %d has length %llu, expected L = "
                                  "%ld", path, d, (unsigned long long)dims[d], e->L);
    size_t count;
    if (mtsi_checked_count(r, dims, sizeof(double), &count, path, "/configs"))
        return MTSI_EINVAL;
    hid_t ds = H5Dopen2(f, "configs", H5P_DEFAULT);
    if (ds < 0)
        return mtsi_error_set(MTSI_EINVAL, "%s: cannot open /configs", path);
    hid_t t = H5Dget_type(ds);
    int isfloat = t >= 0 && H5Tget_class(t) == H5T_FLOAT;
    if (t >= 0)
        H5Tclose(t);
    H5Dclose(ds);
    if (!isfloat)
        return mtsi_error_set(MTSI_EINVAL, "%s: /configs is not a floating-point dataset", path);
    e->n = (long)dims[0];
    if (e->n < 2)
        return mtsi_error_set(MTSI_EINVAL, "%s: %ld configuration%s; need at least 2 for an error "
                              "estimate", path, e->n, e->n == 1 ? "" : "s");
    e->V = 1;
    for (long d = 0; d < e->dim; d++)
        e->V *= e->L;
    return MTSI_OK;
}

/* Replica from /chain: runs of equal chain index, stored chain-major. */
static int read_chains(hid_t f, const char *path, mtsi_analysis_ens *e)
{
    if (!mtsi_h5_has(f, "chain")) {
        e->nrep = 1;
        e->replen = mtsi_malloc(sizeof *e->replen);
        if (!e->replen)
            return MTSI_ENOMEM;
        e->replen[0] = e->n;
        return MTSI_OK;
    }
    hsize_t dims[2];
    int r = mtsi_h5_shape(f, "chain", dims, 2, path);
    if (r < 0)
        return mtsi_error_code();
    if (r != 1 || dims[0] != (hsize_t)e->n)
        return mtsi_error_set(MTSI_EINVAL, "%s: /chain must have shape [%ld] like /configs", path,
                              e->n);
    long *c = mtsi_malloc((size_t)e->n * sizeof *c);
    if (!c)
        return MTSI_ENOMEM;
    int rc = mtsi_h5_read_long(f, "chain", c, (size_t)e->n, path);
    if (rc) {
        free(c);
        return rc;
    }
    int nrep = 1;
    for (long i = 1; i < e->n; i++) {
        if (c[i] < c[i - 1]) {
            rc = mtsi_error_set(MTSI_EINVAL, "%s: /chain decreases at configuration %ld (%ld after "
                                "%ld): configurations must be stored chain by chain", path, i,
                                c[i], c[i - 1]);
            free(c);
            return rc;
        }
        if (c[i] != c[i - 1])
            nrep++;
    }
    e->replen = mtsi_calloc((size_t)nrep, sizeof *e->replen);
    if (!e->replen) {
        free(c);
        return MTSI_ENOMEM;
    }
    int k = 0;
    e->replen[0] = 1;
    for (long i = 1; i < e->n; i++) {
        if (c[i] != c[i - 1])
            k++;
        e->replen[k]++;
    }
    e->nrep = nrep;
    free(c);
    return MTSI_OK;
}

static int read_observables(hid_t f, const char *path, int flags, mtsi_analysis_ens *e)
{
    char name[64];
    for (int a = 0; a < NPRIM; a++) {
        snprintf(name, sizeof name, "observables/%s", mtsi_analysis_prim_names[a]);
        hsize_t dims[2];
        int r = mtsi_h5_shape(f, name, dims, 2, path);
        if (r < 0)
            return mtsi_error_code();
        if (r != 1 || dims[0] != (hsize_t)e->n)
            return mtsi_error_set(MTSI_EINVAL, "%s: /%s must have shape [%ld] (one value per "
                                  "configuration)", path, name, e->n);
        double *x = e->obs + (size_t)a * (size_t)e->n;
        int rc = mtsi_h5_read_double(f, name, x, (size_t)e->n, path);
        if (rc)
            return rc;
        for (long i = 0; i < e->n; i++)
            if (!isfinite(x[i]))
                return mtsi_error_set(MTSI_EINVAL, "%s: /%s has a non-finite value (%g) at "
                                      "configuration %ld", path, name, x[i], i);
    }
    if (mtsi_h5_has(f, "observables/G")) {
        hsize_t dims[3];
        int r = mtsi_h5_shape(f, "observables/G", dims, 3, path);
        if (r < 0)
            return mtsi_error_code();
        if (r != 2 || dims[0] != (hsize_t)e->n || dims[1] != (hsize_t)e->L)
            return mtsi_error_set(MTSI_EINVAL, "%s: /observables/G must have shape [%ld, %ld]",
                                  path, e->n, e->L);
        if (flags & MTSI_ENS_LOAD_G) {
            size_t nG = (size_t)e->n * (size_t)e->L;
            e->G = mtsi_malloc(nG * sizeof *e->G);
            if (!e->G)
                return MTSI_ENOMEM;
            int rc = mtsi_h5_read_double(f, "observables/G", e->G, nG, path);
            if (rc)
                return rc;
            for (size_t i = 0; i < nG; i++)
                if (!isfinite(e->G[i]))
                    return mtsi_error_set(MTSI_EINVAL, "%s: /observables/G has a non-finite value "
                                          "(%g) at configuration %ld, r = %ld", path, e->G[i],
                                          (long)(i / (size_t)e->L), (long)(i % (size_t)e->L));
        }
    }
    return MTSI_OK;
}

/* Reads /configs one configuration at a time (memory O(V)), checking that
 * every value is finite. cfg_close is safe after a failed cfg_open. */
typedef struct {
    hid_t ds, fs, ms;
    hsize_t start[MTSI_PHI4_MAXDIM + 1], count[MTSI_PHI4_MAXDIM + 1];
    long V;
} cfg_reader;

static void cfg_close(cfg_reader *r)
{
    if (r->ms >= 0)
        H5Sclose(r->ms);
    if (r->fs >= 0)
        H5Sclose(r->fs);
    if (r->ds >= 0)
        H5Dclose(r->ds);
    r->ds = r->fs = r->ms = -1;
}

static int cfg_open(hid_t f, const char *path, const mtsi_analysis_ens *e, cfg_reader *r)
{
    memset(r, 0, sizeof *r);
    r->V = e->V;
    r->count[0] = 1;
    for (long d = 1; d <= e->dim; d++)
        r->count[d] = (hsize_t)e->L;
    hsize_t vlen = (hsize_t)e->V;
    r->ds = H5Dopen2(f, "configs", H5P_DEFAULT);
    r->fs = r->ds >= 0 ? H5Dget_space(r->ds) : -1;
    r->ms = H5Screate_simple(1, &vlen, NULL);
    if (r->ds < 0 || r->fs < 0 || r->ms < 0) {
        cfg_close(r);
        return mtsi_error_set(MTSI_EINVAL, "%s: cannot open /configs", path);
    }
    return MTSI_OK;
}

static int cfg_read(cfg_reader *r, const char *path, long i, double *phi)
{
    r->start[0] = (hsize_t)i;
    if (H5Sselect_hyperslab(r->fs, H5S_SELECT_SET, r->start, NULL, r->count, NULL) < 0 ||
        H5Dread(r->ds, H5T_NATIVE_DOUBLE, r->ms, r->fs, H5P_DEFAULT, phi) < 0)
        return mtsi_error_set(MTSI_EINVAL, "%s: cannot read configuration %ld of /configs "
                              "(corrupt or truncated file?)", path, i);
    for (long a = 0; a < r->V; a++)
        if (!isfinite(phi[a]))
            return mtsi_error_set(MTSI_EINVAL, "%s: configuration %ld has a non-finite value at "
                                  "site %ld", path, i, a);
    return MTSI_OK;
}

static int check_configs_finite(hid_t f, const char *path, const mtsi_analysis_ens *e)
{
    double *phi = mtsi_malloc((size_t)e->V * sizeof *phi);
    if (!phi)
        return MTSI_ENOMEM;
    cfg_reader rd;
    int rc = cfg_open(f, path, e, &rd);
    for (long i = 0; i < e->n && !rc; i++)
        rc = cfg_read(&rd, path, i, phi);
    cfg_close(&rd);
    free(phi);
    return rc;
}

/* No /observables (a "data" file): measure every configuration, reading
 * one at a time so that memory stays O(V). */
static int compute_observables(hid_t f, const char *path, int flags, mtsi_analysis_ens *e)
{
    mtsi_phi4_params p;
    memset(&p, 0, sizeof p);
    int rc = mtsi_phi4_set_lattice(&p, (int)e->dim, e->L);
    if (rc)
        return prefix_error(path, "");
    mtsi_phi4_set_direct(&p, e->chi, e->kappa, e->gamma);
    if (flags & MTSI_ENS_LOAD_G) {
        e->G = mtsi_malloc((size_t)e->n * (size_t)e->L * sizeof *e->G);
        if (!e->G)
            return MTSI_ENOMEM;
    }
    double *phi = mtsi_malloc((size_t)e->V * sizeof *phi);
    mtsi_phi4_meas *m = phi ? mtsi_phi4_meas_new(&p) : NULL;
    if (!m) {
        free(phi);
        return mtsi_error_code() ? mtsi_error_code() : MTSI_ENOMEM;
    }
    cfg_reader rd;
    rc = cfg_open(f, path, e, &rd);
    for (long i = 0; i < e->n && !rc; i++) {
        rc = cfg_read(&rd, path, i, phi);
        if (rc)
            break;
        mtsi_phi4_obs o;
        mtsi_phi4_meas_run(m, phi, &o, e->G ? e->G + (size_t)i * (size_t)e->L : NULL);
        const double v[NPRIM] = {o.m, o.abs_m, o.m2, o.m4, o.energy, o.ghat0, o.ghat1};
        for (int a = 0; a < NPRIM; a++)
            e->obs[(size_t)a * (size_t)e->n + (size_t)i] = v[a];
    }
    cfg_close(&rd);
    mtsi_phi4_meas_free(m);
    free(phi);
    e->computed = 1;
    return rc;
}

int mtsi_analysis_load(const char *path, int flags, mtsi_analysis_ens *e)
{
    memset(e, 0, sizeof *e);
    int rc = mtsi_in_check(path);
    if (rc)
        return rc;
    hid_t f = mtsi_h5_open(path);
    if (f < 0)
        return mtsi_error_code();
    if ((rc = read_attrs(f, path, e)) || (rc = check_configs(f, path, e)) ||
        (rc = read_chains(f, path, e)))
        goto done;
    e->obs = mtsi_malloc((size_t)NPRIM * (size_t)e->n * sizeof *e->obs);
    if (!e->obs) {
        rc = MTSI_ENOMEM;
        goto done;
    }
    if (mtsi_h5_has(f, "observables")) {
        rc = read_observables(f, path, flags, e);
        /* stored observables do not vouch for /configs: every value is
         * still checked (one configuration at a time) */
        if (!rc)
            rc = check_configs_finite(f, path, e);
    } else {
        rc = compute_observables(f, path, flags, e);
    }
done:
    H5Fclose(f);
    return rc;
}

/* Fill the eight rows of SPEC section 5. */
int mtsi_analysis_run(const mtsi_analysis_ens *e, double stau, const char *path,
                          mtsi_analysis_row rows[MTSI_ENS_NROWS])
{
    mtsi_gamma *g = mtsi_gamma_new(NPRIM, e->nrep, e->replen);
    if (!g)
        return mtsi_error_code();
    int rc = mtsi_gamma_set_stau(g, stau);
    for (int a = 0; a < NPRIM && !rc; a++) {
        rc = mtsi_gamma_set_obs(g, a, e->obs + (size_t)a * (size_t)e->n);
        if (rc) {
            char what[64];
            snprintf(what, sizeof what, "observable '%s': ", mtsi_analysis_prim_names[a]);
            rc = prefix_error(path, what);
        }
    }
    if (rc) {
        mtsi_gamma_free(g);
        return rc;
    }
    derived_ctx ctx = {(double)e->V, 1 / (2 * sin(M_PI / (double)e->L))};
    for (int k = 0; k < MTSI_ENS_NROWS; k++) {
        mtsi_analysis_row *w = &rows[k];
        w->name = mtsi_analysis_row_names[k];
        w->ok = 1;
        w->note[0] = '\0';
        if (k < 5) {
            rc = mtsi_gamma_primary(g, k, &w->r);
        } else if (k == 5) {
            if (mtsi_gamma_mean(g, P_M2) == 0) {
                w->ok = 0;
                snprintf(w->note, sizeof w->note, "undefined: <m2> = 0");
                continue;
            }
            rc = mtsi_gamma_derived(g, f_binder, g_binder, &ctx, &w->r);
        } else if (k == 6) {
            rc = mtsi_gamma_derived(g, f_chi, g_chi, &ctx, &w->r);
        } else {
            double g0 = mtsi_gamma_mean(g, P_G0), g1 = mtsi_gamma_mean(g, P_G1);
            if (!(g1 > 0)) {
                w->ok = 0;
                snprintf(w->note, sizeof w->note, "undefined: <ghat1> = %.6g is not positive", g1);
                continue;
            }
            if (!(g0 / g1 - 1 > 0)) {
                w->ok = 0;
                snprintf(w->note, sizeof w->note,
                         "undefined: <ghat0>/<ghat1> - 1 = %.6g is not positive", g0 / g1 - 1);
                continue;
            }
            rc = mtsi_gamma_derived(g, f_xi2, g_xi2, &ctx, &w->r);
        }
        if (rc) {
            /* Only a non-finite f or gradient can fail here: report it as an
             * undefined estimate rather than abort the whole summary. */
            w->ok = 0;
            snprintf(w->note, sizeof w->note, "undefined (not finite at the means)");
            mtsi_error_clear();
            rc = MTSI_OK;
            continue;
        }
        if (w->r.flags)
            snprintf(w->note, sizeof w->note, "%s", mtsi_gamma_flag_str(w->r.flags));
    }
    mtsi_gamma_free(g);
    return MTSI_OK;
}


int mtsi_analysis_read_configs(const char *path, const mtsi_analysis_ens *e, const long *idx, int k,
                               double *out)
{
    for (int j = 0; j < k; j++)
        if (idx[j] < 0 || idx[j] >= e->n)
            return mtsi_error_set(MTSI_EINVAL, "%s: configuration index %ld out of range [0, %ld)",
                                  path, idx[j], e->n);
    hid_t f = mtsi_h5_open(path);
    if (f < 0)
        return mtsi_error_code();
    cfg_reader rd;
    int rc = cfg_open(f, path, e, &rd);
    for (int j = 0; j < k && !rc; j++)
        rc = cfg_read(&rd, path, idx[j], out + (size_t)j * (size_t)e->V);
    cfg_close(&rd);
    H5Fclose(f);
    return rc;
}
