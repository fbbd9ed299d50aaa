/* MCMC runs: chains in parallel, raw records, checkpoints, final assembly. */
#include "config.h"
#include "mtsi_run.h"
#include "mtsi_cli.h"
#include "mtsi_err.h"
#include "mtsi_h5.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NOBS 7
static const char *obs_names[NOBS] = {"m", "abs_m", "m2", "m4", "energy", "ghat0", "ghat1"};
static const char CKPT_MARK[] = "mtsi-mcmc-checkpoint-2";

long mtsi_run_chain_share(long n, long chains, long c)
{
    return n / chains + (c < n % chains ? 1 : 0);
}

typedef struct {
    mtsi_run_cfg cfg;
    char *out, *part, *ckpt, *cmdline;
    double *h_site, *A_site;
    long V, rec;          /* doubles per record */
    int fd;
    mtsi_chain **ch;
    mtsi_phi4_meas **meas;
    double **recbuf;
    double **backup;      /* field before the current update */
    long *updates, *saved, *base;
    uint64_t *hash;       /* per chain: hash of its records in OUT.part */
    int progress_ckpt;    /* a checkpoint with saved records exists */
    char sampler_name[32];
} run;

/* Hash of a chain's records, in order: a checkpoint stores it, --resume
 * recomputes it from OUT.part, so a truncated, edited or randomised
 * OUT.part is refused instead of being assembled. */
static uint64_t hash_update(uint64_t h, const double *x, long n)
{
    for (long i = 0; i < n; i++) {
        uint64_t w;
        memcpy(&w, &x[i], sizeof w);
        h ^= w;
        h *= 0x100000001b3ULL;
        h ^= h >> 29;
    }
    return h;
}
#define HASH0 0xcbf29ce484222325ULL

/* ---- chain states in checkpoints ------------------------------------- */

int mtsi_chain_table_alloc(mtsi_chain_table *t, long n, long V)
{
    memset(t, 0, sizeof *t);
    t->n = n;
    t->V = V;
    size_t m = (size_t)(n > 0 ? n : 1);
    t->fields = mtsi_malloc(m * (size_t)V * sizeof(double));
    t->rng = mtsi_malloc(m * 4 * sizeof *t->rng);
    t->dv = mtsi_malloc(m * MTSI_CHAIN_ND * sizeof(double));
    t->lv = mtsi_malloc(m * MTSI_CHAIN_NL * sizeof(long));
    if (!t->fields || !t->rng || !t->dv || !t->lv) {
        mtsi_chain_table_free(t);
        return mtsi_error_set(MTSI_ENOMEM, "out of memory for the states of %ld chains", n);
    }
    return MTSI_OK;
}

void mtsi_chain_table_free(mtsi_chain_table *t)
{
    free(t->fields);
    free(t->rng);
    free(t->dv);
    free(t->lv);
    t->fields = NULL;
    t->rng = NULL;
    t->dv = NULL;
    t->lv = NULL;
}

void mtsi_chain_table_put(mtsi_chain_table *t, long i, mtsi_chain *c, long updates, long saved)
{
    mtsi_chain_state s;
    mtsi_chain_get_state(c, &s);
    memcpy(t->fields + i * t->V, mtsi_chain_field(c), (size_t)t->V * sizeof(double));
    for (int k = 0; k < 4; k++)
        t->rng[i * 4 + k] = s.rng.s[k];
    double *d = t->dv + i * MTSI_CHAIN_ND;
    long *l = t->lv + i * MTSI_CHAIN_NL;
    d[0] = s.rng.spare;
    d[1] = s.step;
    d[2] = s.cluster_sites;
    d[3] = s.cluster_count;
    d[4] = (double)s.ncl;
    d[5] = 0;
    l[0] = s.rng.has_spare;
    l[1] = s.acc;
    l[2] = s.prop;
    l[3] = s.tune_acc;
    l[4] = s.tune_prop;
    l[5] = updates;
    l[6] = saved;
}

void mtsi_chain_table_get(const mtsi_chain_table *t, long i, mtsi_chain_state *s, long *updates,
                          long *saved)
{
    memset(s, 0, sizeof *s);
    const double *d = t->dv + i * MTSI_CHAIN_ND;
    const long *l = t->lv + i * MTSI_CHAIN_NL;
    for (int k = 0; k < 4; k++)
        s->rng.s[k] = t->rng[i * 4 + k];
    s->rng.spare = d[0];
    s->step = d[1];
    s->cluster_sites = d[2];
    s->cluster_count = d[3];
    s->ncl = (long)d[4];
    s->rng.has_spare = (int)l[0];
    s->acc = l[1];
    s->prop = l[2];
    s->tune_acc = l[3];
    s->tune_prop = l[4];
    *updates = l[5];
    *saved = l[6];
}

static uint64_t table_checksum(const mtsi_chain_table *t)
{
    const size_t n = (size_t)t->n;
    const struct {
        const void *p;
        size_t bytes;
    } part[4] = {{t->fields, n * (size_t)t->V * sizeof(double)},
                 {t->rng, n * 4 * sizeof *t->rng},
                 {t->dv, n * MTSI_CHAIN_ND * sizeof(double)},
                 {t->lv, n * MTSI_CHAIN_NL * sizeof(long)}};
    uint64_t h = 0xcbf29ce484222325ULL;
    for (int k = 0; k < 4; k++) {
        const unsigned char *b = part[k].p;
        for (size_t i = 0; i < part[k].bytes; i++) {
            h ^= b[i];
            h *= 0x100000001b3ULL;
        }
    }
    return h;
}

int mtsi_chain_table_write(hid_t loc, const mtsi_chain_table *t)
{
    hsize_t d2[2] = {(hsize_t)t->n, (hsize_t)t->V};
    int rc = mtsi_h5_write_double(loc, "fields", 2, d2, t->fields);
    d2[1] = 4;
    rc = rc ? rc : mtsi_h5_write_u64(loc, "rng", 2, d2, t->rng);
    d2[1] = MTSI_CHAIN_ND;
    rc = rc ? rc : mtsi_h5_write_double(loc, "state_d", 2, d2, t->dv);
    d2[1] = MTSI_CHAIN_NL;
    rc = rc ? rc : mtsi_h5_write_long(loc, "state_l", 2, d2, t->lv);
    char sum[32];
    snprintf(sum, sizeof sum, "%016llx", (unsigned long long)table_checksum(t));
    rc = rc ? rc : mtsi_h5_attr_set_string(loc, "chains_checksum", sum);
    return rc;
}

/* Dataset `name` of loc: shape [rows] (cols 0) or [rows, cols], of class
 * float or a 64-bit integer as `kind` asks, read into data. */
static int read_table(hid_t loc, const char *name, long rows, long cols, hid_t kind, void *data,
                      const char *what)
{
    hsize_t d[3];
    int rk = mtsi_h5_shape(loc, name, d, 3, what);
    if (rk < 0)
        return mtsi_error_code();
    if (rk != (cols ? 2 : 1) || d[0] != (hsize_t)rows || (cols && d[1] != (hsize_t)cols))
        return mtsi_error_set(MTSI_EINVAL, "%s: dataset '%s' has the wrong shape (expected [%ld%s])",
                              what, name, rows, cols ? ", ..." : "");
    hid_t ds = H5Dopen2(loc, name, H5P_DEFAULT);
    hid_t ty = ds >= 0 ? H5Dget_type(ds) : -1;
    int want_float = kind == H5T_NATIVE_DOUBLE;
    int good = ty >= 0 && (want_float ? H5Tget_class(ty) == H5T_FLOAT
                                      : H5Tget_class(ty) == H5T_INTEGER && H5Tget_size(ty) == 8);
    if (ty >= 0)
        H5Tclose(ty);
    if (ds >= 0)
        H5Dclose(ds);
    if (!good)
        return mtsi_error_set(MTSI_EINVAL, "%s: dataset '%s' is not of %s type", what, name,
                              want_float ? "a floating-point" : "a 64-bit integer");
    size_t n = (size_t)rows * (size_t)(cols ? cols : 1);
    if (kind == H5T_NATIVE_DOUBLE)
        return mtsi_h5_read_double(loc, name, data, n, what);
    if (kind == H5T_NATIVE_LONG)
        return mtsi_h5_read_long(loc, name, data, n, what);
    return mtsi_h5_read_u64(loc, name, data, n, what);
}

int mtsi_chain_table_read(hid_t loc, mtsi_chain_table *t, int need_checksum, const char *what)
{
    const long C = t->n, V = t->V;
    int rc = read_table(loc, "fields", C, V, H5T_NATIVE_DOUBLE, t->fields, what);
    rc = rc ? rc : mtsi_check_finite(t->fields, (size_t)C * (size_t)V, what, "fields");
    rc = rc ? rc : read_table(loc, "rng", C, 4, H5T_NATIVE_ULLONG, t->rng, what);
    rc = rc ? rc : read_table(loc, "state_d", C, MTSI_CHAIN_ND, H5T_NATIVE_DOUBLE, t->dv, what);
    rc = rc ? rc : mtsi_check_finite(t->dv, (size_t)C * MTSI_CHAIN_ND, what, "state_d");
    rc = rc ? rc : read_table(loc, "state_l", C, MTSI_CHAIN_NL, H5T_NATIVE_LONG, t->lv, what);
    if (rc)
        return rc;
    for (long c = 0; c < C; c++) {
        mtsi_chain_state s;
        long updates, saved;
        mtsi_chain_table_get(t, c, &s, &updates, &saved);
        const double ncl = t->dv[c * MTSI_CHAIN_ND + 4];
        const long has_spare = t->lv[c * MTSI_CHAIN_NL];
        if ((s.rng.s[0] | s.rng.s[1] | s.rng.s[2] | s.rng.s[3]) == 0 ||
            (has_spare != 0 && has_spare != 1) || !(s.step > 0) || s.acc < 0 ||
            s.prop < s.acc || s.tune_acc < 0 || s.tune_prop < s.tune_acc ||
            s.cluster_sites < 0 || s.cluster_count < 0 || ncl < 0 || ncl > 1e15 ||
            updates < 0 || saved < 0)
            return mtsi_error_set(MTSI_EINVAL, "%s: inconsistent state of chain %ld (corrupt "
                                               "checkpoint; start over with --force)",
                                  what, c);
    }
    if (need_checksum || mtsi_h5_has_attr(loc, "chains_checksum")) {
        char sum[32], want[32];
        if ((rc = mtsi_h5_attr_get_string(loc, "chains_checksum", sum, sizeof sum, what)))
            return rc;
        snprintf(want, sizeof want, "%016llx", (unsigned long long)table_checksum(t));
        if (strcmp(sum, want))
            return mtsi_error_set(MTSI_EINVAL, "%s: the chain states do not match their checksum "
                                               "(corrupt checkpoint; start over with --force)",
                                  what);
    }
    return MTSI_OK;
}

int mtsi_chain_advance(mtsi_chain *ch, long idx, long *updates, long therm, double *backup)
{
    const mtsi_sampler_opts *o = mtsi_chain_opts(ch);
    mtsi_chain_state s0;
    long V = 0;
    if (backup) {
        mtsi_chain_get_state(ch, &s0);
        V = mtsi_chain_field_size(ch);
        memcpy(backup, mtsi_chain_field(ch), (size_t)V * sizeof(double));
    }
    if (mtsi_chain_update(ch) < 0) {
        if (backup)
            mtsi_chain_set_state(ch, &s0, backup);
        return MTSI_EINTR;
    }
    long u = ++*updates;
    const double *phi = mtsi_chain_field(ch);
    V = mtsi_chain_field_size(ch);
    for (long a = 0; a < V; a++)
        if (!isfinite(phi[a]))
            return mtsi_error_set(MTSI_EINVAL,
                                  "chain %ld became non-finite at update %ld (sampler %s, "
                                  "step %g): the step is too large for this model",
                                  idx, u, mtsi_sampler_name(o->kind), mtsi_chain_step_size(ch));
    if (u <= therm)
        mtsi_chain_tune(ch, u);
    return MTSI_OK;
}

static void run_free(run *r)
{
    if (r->ch)
        for (long c = 0; c < r->cfg.chains; c++)
            mtsi_chain_free(r->ch[c]);
    if (r->meas)
        for (long c = 0; c < r->cfg.chains; c++)
            mtsi_phi4_meas_free(r->meas[c]);
    if (r->recbuf)
        for (long c = 0; c < r->cfg.chains; c++)
            free(r->recbuf[c]);
    if (r->backup)
        for (long c = 0; c < r->cfg.chains; c++)
            free(r->backup[c]);
    free(r->backup);
    free(r->hash);
    if (r->fd >= 0)
        close(r->fd);
    free(r->ch);
    free(r->meas);
    free(r->recbuf);
    free(r->updates);
    free(r->saved);
    free(r->base);
    free(r->out);
    free(r->part);
    free(r->ckpt);
    free(r->cmdline);
    free(r->h_site);
    free(r->A_site);
}

static char *strcat2(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 1;
    char *s = mtsi_malloc(n);
    if (s)
        snprintf(s, n, "%s%s", a, b);
    return s;
}

static int run_setup(run *r, const mtsi_run_cfg *cfg)
{
    memset(r, 0, sizeof *r);
    r->fd = -1;
    r->cfg = *cfg;
    r->out = strdup(cfg->out);
    r->part = strcat2(cfg->out, ".part");
    r->ckpt = strcat2(cfg->out, ".ckpt");
    r->cmdline = strdup(cfg->command_line ? cfg->command_line : "");
    if (!r->out || !r->part || !r->ckpt || !r->cmdline)
        return mtsi_error_set(MTSI_ENOMEM, "out of memory");
    r->cfg.out = r->out;
    r->cfg.command_line = r->cmdline;
    r->V = cfg->p.V;
    r->rec = r->V + NOBS + cfg->p.L;
    long C = cfg->chains;
    r->ch = calloc((size_t)C, sizeof *r->ch);
    r->meas = calloc((size_t)C, sizeof *r->meas);
    r->recbuf = calloc((size_t)C, sizeof *r->recbuf);
    r->updates = calloc((size_t)C, sizeof(long));
    r->saved = calloc((size_t)C, sizeof(long));
    r->base = calloc((size_t)C, sizeof(long));
    r->backup = calloc((size_t)C, sizeof *r->backup);
    r->hash = calloc((size_t)C, sizeof *r->hash);
    if (!r->ch || !r->meas || !r->recbuf || !r->updates || !r->saved || !r->base || !r->backup ||
        !r->hash)
        return mtsi_error_set(MTSI_ENOMEM, "out of memory for %ld chains", C);
    long b = 0;
    for (long c = 0; c < C; c++) {
        r->base[c] = b;
        b += mtsi_run_chain_share(cfg->n, C, c);
        r->ch[c] = mtsi_chain_new(&cfg->p, &cfg->o, cfg->seed, (uint64_t)c, NULL);
        if (!r->ch[c])
            return mtsi_error_code() ? mtsi_error_code() : MTSI_EFAIL;
        r->meas[c] = mtsi_phi4_meas_new(&cfg->p);
        r->recbuf[c] = malloc((size_t)r->rec * sizeof(double));
        r->backup[c] = malloc((size_t)r->V * sizeof(double));
        r->hash[c] = HASH0;
        if (!r->meas[c] || !r->recbuf[c] || !r->backup[c])
            return mtsi_error_set(MTSI_ENOMEM, "out of memory for chain %ld", c);
    }
    snprintf(r->sampler_name, sizeof r->sampler_name, "%s", mtsi_sampler_name(cfg->o.kind));
    return MTSI_OK;
}

/* ---- checkpoint ------------------------------------------------------ */

static int write_settings(hid_t f, const mtsi_run_cfg *cfg, const char *cmdline)
{
    const mtsi_phi4_params *p = &cfg->p;
    const mtsi_sampler_opts *o = &cfg->o;
    int rc = 0;
    rc |= mtsi_h5_attr_set_long(f, "L", p->L);
    rc |= mtsi_h5_attr_set_long(f, "dim", p->dim);
    rc |= mtsi_h5_attr_set_double(f, "chi", p->chi);
    rc |= mtsi_h5_attr_set_double(f, "kappa", p->kappa);
    rc |= mtsi_h5_attr_set_double(f, "gamma", p->gamma);
    rc |= mtsi_h5_attr_set_double(f, "field_h", p->h);
    rc |= mtsi_h5_attr_set_double(f, "quad_a", p->A);
    rc |= mtsi_h5_attr_set_string(f, "sampler", mtsi_sampler_name(o->kind));
    rc |= mtsi_h5_attr_set_long(f, "seed", (long)cfg->seed);
    rc |= mtsi_h5_attr_set_string(f, "mtsi_version", PACKAGE_VERSION);
    rc |= mtsi_h5_attr_set_string(f, "command_line", cmdline);
    rc |= mtsi_h5_attr_set_long(f, "n_chains", cfg->chains);
    rc |= mtsi_h5_attr_set_long(f, "therm", cfg->therm);
    rc |= mtsi_h5_attr_set_long(f, "thin", cfg->thin);
    rc |= mtsi_h5_attr_set_double(f, "m0", o->m0);
    rc |= mtsi_h5_attr_set_double(f, "dt", o->dt);
    rc |= mtsi_h5_attr_set_double(f, "eps", o->eps);
    rc |= mtsi_h5_attr_set_long(f, "nleap", o->nleap);
    rc |= mtsi_h5_attr_set_long(f, "clusters", o->clusters);
    rc |= mtsi_h5_attr_set_long(f, "tune", o->tune);
    rc |= mtsi_h5_attr_set_double(f, "target_acc", o->target_acc);
    if (p->h_site || p->A_site) {
        hsize_t d = (hsize_t)p->V;
        if (p->h_site)
            rc |= mtsi_h5_write_double(f, "field_site", 1, &d, p->h_site);
        if (p->A_site)
            rc |= mtsi_h5_write_double(f, "quad_site", 1, &d, p->A_site);
    }
    return rc ? MTSI_EIO : MTSI_OK;
}

static int checkpoint_write(run *r)
{
    const long C = r->cfg.chains, V = r->V;
    /* Records must be on disk before the checkpoint that counts them. */
    if (r->fd >= 0 && fdatasync(r->fd) != 0)
        return mtsi_error_errno(MTSI_EIO, errno, "cannot write '%s'", r->part);
    char *tmp = mtsi_out_tmpname(r->ckpt);
    if (!tmp)
        return MTSI_ENOMEM;
    hid_t f = mtsi_h5_create(tmp);
    if (f < 0) {
        free(tmp);
        return MTSI_EIO;
    }
    int rc = mtsi_h5_attr_set_string(f, "mtsi_checkpoint", CKPT_MARK);
    rc |= mtsi_h5_attr_set_string(f, "out", r->out);
    rc |= mtsi_h5_attr_set_long(f, "n", r->cfg.n);
    rc |= write_settings(f, &r->cfg, r->cmdline);
    mtsi_chain_table tab;
    if (mtsi_chain_table_alloc(&tab, C, V)) {
        rc = MTSI_ENOMEM;
    } else {
        for (long c = 0; c < C; c++)
            mtsi_chain_table_put(&tab, c, r->ch[c], r->updates[c], r->saved[c]);
        rc |= mtsi_chain_table_write(f, &tab);
        hsize_t dc = (hsize_t)C;
        rc |= mtsi_h5_write_u64(f, "part_hash", 1, &dc, (const unsigned long long *)r->hash);
        mtsi_chain_table_free(&tab);
    }
    if (H5Fclose(f) < 0 && !rc)
        rc = 1;
    if (rc) {
        if (rc != MTSI_ENOMEM)
            mtsi_out_write_error(r->ckpt);
        mtsi_out_abort(tmp);
        free(tmp);
        return mtsi_error_code() ? mtsi_error_code() : MTSI_EIO;
    }
    rc = mtsi_out_commit(tmp, r->ckpt);
    free(tmp);
    if (!rc) {
        long saved = 0;
        for (long c = 0; c < C; c++)
            saved += r->saved[c];
        if (saved > 0 && !r->progress_ckpt) {
            /* resumable from now on: no longer removed on failure */
            r->progress_ckpt = 1;
            mtsi_out_keep(r->part);
            mtsi_out_keep(r->ckpt);
        }
    }
    return rc;
}

/* ---- final assembly -------------------------------------------------- */

static hid_t make_ds(hid_t f, const char *name, int rank, const hsize_t *dims, const hsize_t *chunk)
{
    hid_t sp = H5Screate_simple(rank, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_obj_track_times(dcpl, 0); /* no timestamps: identical runs give identical files */
    if (chunk)
        H5Pset_chunk(dcpl, rank, chunk);
    hid_t ds = H5Dcreate2(f, name, H5T_IEEE_F64LE, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    H5Pclose(dcpl);
    H5Sclose(sp);
    return ds;
}

static int assemble(run *r)
{
    const mtsi_run_cfg *cfg = &r->cfg;
    const long N = cfg->n, V = r->V, L = cfg->p.L, C = cfg->chains, R = r->rec;
    const int dim = cfg->p.dim;
    char *tmp = mtsi_out_tmpname(r->out);
    if (!tmp)
        return mtsi_error_code();
    hid_t f = mtsi_h5_create(tmp);
    if (f < 0) {
        mtsi_out_abort(tmp);
        free(tmp);
        return mtsi_out_write_error(r->out);
    }
    /* HDF5's metadata cache (the chunk index of /configs grows with N)
     * is capped, so that memory does not depend on N. */
    H5AC_cache_config_t mdc;
    memset(&mdc, 0, sizeof mdc);
    mdc.version = H5AC__CURR_CACHE_CONFIG_VERSION;
    if (H5Fget_mdc_config(f, &mdc) >= 0) {
        mdc.set_initial_size = 1;
        mdc.initial_size = 1 << 20;
        mdc.max_size = 2 << 20;
        mdc.min_size = 1 << 20;
        H5Fset_mdc_config(f, &mdc);
    }
    /* Streamed in blocks of at most ~8 MB of records: memory does not grow
     * with N. */
    long B = (8L << 20) / (R * (long)sizeof(double));
    if (B < 1)
        B = 1;
    if (B > N)
        B = N;
    int rc = mtsi_h5_attr_set_string(f, "kind", "mcmc");
    rc |= write_settings(f, cfg, r->cmdline);
    hsize_t dims[1 + MTSI_PHI4_MAXDIM], chunk[1 + MTSI_PHI4_MAXDIM];
    dims[0] = (hsize_t)N;
    chunk[0] = 1;
    for (int d = 0; d < dim; d++)
        dims[1 + d] = chunk[1 + d] = (hsize_t)L;
    hid_t dcfg = make_ds(f, "configs", 1 + dim, dims, chunk);
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
    H5Pset_obj_track_times(gcpl, 0);
    hid_t gobs = H5Gcreate2(f, "observables", H5P_DEFAULT, gcpl, H5P_DEFAULT);
    H5Pclose(gcpl);
    hid_t dobs[NOBS];
    hsize_t n1 = (hsize_t)N;
    for (int i = 0; i < NOBS; i++)
        dobs[i] = gobs >= 0 ? make_ds(gobs, obs_names[i], 1, &n1, NULL) : -1;
    hsize_t dG[2] = {(hsize_t)N, (hsize_t)L}, cG[2] = {(hsize_t)(N < 1024 ? N : 1024), (hsize_t)L};
    hid_t dg = gobs >= 0 ? make_ds(gobs, "G", 2, dG, cG) : -1;
    hid_t dch = -1;
    {
        hid_t sp = H5Screate_simple(1, &n1, NULL);
        hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
        H5Pset_obj_track_times(dcpl, 0);
        dch = H5Dcreate2(f, "chain", H5T_STD_I64LE, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
        H5Pclose(dcpl);
        H5Sclose(sp);
    }
    double *buf = malloc((size_t)B * (size_t)R * sizeof(double));
    double *cb = malloc((size_t)B * (size_t)V * sizeof(double));
    double *obs = malloc((size_t)B * NOBS * sizeof(double));
    double *G = malloc((size_t)B * (size_t)L * sizeof(double));
    long *chain = malloc((size_t)B * sizeof(long));
    int bad = dcfg < 0 || gobs < 0 || dg < 0 || dch < 0 || rc;
    for (int i = 0; i < NOBS; i++)
        bad |= dobs[i] < 0;
    if (!buf || !cb || !obs || !G || !chain)
        rc = mtsi_error_set(MTSI_ENOMEM, "out of memory assembling '%s'", r->out);
    else if (bad)
        rc = mtsi_out_write_error(r->out);
    long c = 0;
    for (long i0 = 0; i0 < N && !rc; i0 += B) {
        long b = N - i0 < B ? N - i0 : B;
        if ((i0 / B) % 64 == 63 && mtsi_signal_pending()) {
            rc = mtsi_error_set(MTSI_EINTR, "interrupted while assembling '%s': nothing written; "
                                "'mtsi mcmc --resume --out %s' assembles it again", r->out,
                                r->out);
            break;
        }
        rc = mtsi_pread_all(r->fd, buf, (size_t)b * (size_t)R * sizeof(double),
                            (long long)i0 * R * (long long)sizeof(double), r->part);
        if (rc)
            break;
        for (long j = 0; j < b && !rc; j++) {
            const double *rec = buf + (size_t)j * (size_t)R;
            for (long k = 0; k < R; k++)
                if (!isfinite(rec[k])) {
                    rc = mtsi_error_set(MTSI_EINVAL, "'%s': record %ld has a non-finite value",
                                        r->part, i0 + j);
                    break;
                }
            memcpy(cb + (size_t)j * (size_t)V, rec, (size_t)V * sizeof(double));
            for (int k = 0; k < NOBS; k++)
                obs[(size_t)k * (size_t)b + (size_t)j] = rec[V + k];
            memcpy(G + (size_t)j * (size_t)L, rec + V + NOBS, (size_t)L * sizeof(double));
            while (c + 1 < C && i0 + j >= r->base[c + 1])
                c++;
            chain[j] = c;
        }
        if (rc)
            break;
        hsize_t start[1 + MTSI_PHI4_MAXDIM] = {(hsize_t)i0}, cnt[1 + MTSI_PHI4_MAXDIM];
        cnt[0] = (hsize_t)b;
        for (int d = 0; d < dim; d++)
            cnt[1 + d] = (hsize_t)L;
        herr_t e = 0;
        hid_t fs = H5Dget_space(dcfg), ms = H5Screate_simple(1 + dim, cnt, NULL);
        e |= H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, cnt, NULL);
        e |= H5Dwrite(dcfg, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, cb);
        H5Sclose(ms);
        H5Sclose(fs);
        hsize_t s1 = (hsize_t)i0, c1 = (hsize_t)b;
        ms = H5Screate_simple(1, &c1, NULL);
        for (int k = 0; k < NOBS; k++) {
            fs = H5Dget_space(dobs[k]);
            e |= H5Sselect_hyperslab(fs, H5S_SELECT_SET, &s1, NULL, &c1, NULL);
            e |= H5Dwrite(dobs[k], H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, obs + (size_t)k * (size_t)b);
            H5Sclose(fs);
        }
        fs = H5Dget_space(dch);
        e |= H5Sselect_hyperslab(fs, H5S_SELECT_SET, &s1, NULL, &c1, NULL);
        e |= H5Dwrite(dch, H5T_NATIVE_LONG, ms, fs, H5P_DEFAULT, chain);
        H5Sclose(fs);
        H5Sclose(ms);
        hsize_t s2[2] = {(hsize_t)i0, 0}, c2[2] = {(hsize_t)b, (hsize_t)L};
        fs = H5Dget_space(dg);
        ms = H5Screate_simple(2, c2, NULL);
        e |= H5Sselect_hyperslab(fs, H5S_SELECT_SET, s2, NULL, c2, NULL);
        e |= H5Dwrite(dg, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, G);
        H5Sclose(ms);
        H5Sclose(fs);
        if (e < 0)
            rc = mtsi_out_write_error(r->out);
    }
    if (!rc) {
        double *acc = malloc((size_t)C * sizeof(double)), *step = malloc((size_t)C * sizeof(double));
        if (acc && step) {
            for (long k = 0; k < C; k++) {
                long a, p;
                mtsi_chain_acceptance(r->ch[k], &a, &p);
                acc[k] = p ? (double)a / (double)p : 0.0;
                step[k] = mtsi_chain_step_size(r->ch[k]);
            }
            if (mtsi_h5_attr_set_doubles(f, "acceptance", acc, (int)C) ||
                mtsi_h5_attr_set_doubles(f, "step_final", step, (int)C))
                rc = mtsi_out_write_error(r->out);
        } else
            rc = mtsi_error_set(MTSI_ENOMEM, "out of memory");
        free(acc);
        free(step);
    }
    for (int i = 0; i < NOBS; i++)
        if (dobs[i] >= 0)
            H5Dclose(dobs[i]);
    if (dg >= 0)
        H5Dclose(dg);
    if (dch >= 0)
        H5Dclose(dch);
    if (dcfg >= 0)
        H5Dclose(dcfg);
    if (gobs >= 0)
        H5Gclose(gobs);
    free(buf);
    free(cb);
    free(obs);
    free(G);
    free(chain);
    if (H5Fclose(f) < 0 && !rc)
        rc = mtsi_out_write_error(r->out);
    if (rc) {
        mtsi_out_abort(tmp);
        free(tmp);
        return rc;
    }
    rc = mtsi_out_commit(tmp, r->out);
    free(tmp);
    return rc;
}

/* ---- the loop -------------------------------------------------------- */

/* Advances chain c by at most `budget` updates or until it has saved all
 * its configurations; stops early when a signal is pending. */
static int chain_round(run *r, long c, long budget)
{
    const mtsi_run_cfg *cfg = &r->cfg;
    mtsi_chain *ch = r->ch[c];
    const long target = mtsi_run_chain_share(cfg->n, cfg->chains, c);
    const long V = r->V;
    for (long k = 0; k < budget && r->saved[c] < target; k++) {
        if (mtsi_signal_pending())
            break;
        /* An update cut short by a signal is undone, so that the
         * checkpoint holds the state between two updates (bitwise resume). */
        int rc = mtsi_chain_advance(ch, c, &r->updates[c], cfg->therm, r->backup[c]);
        if (rc == MTSI_EINTR)
            break;
        if (rc) {
            char m[512];
            snprintf(m, sizeof m, "%s", mtsi_error_msg());
            return mtsi_error_set(rc, "%s; use a smaller --dt or --eps", m);
        }
        long u = r->updates[c];
        const double *phi = mtsi_chain_field(ch);
        if (u <= cfg->therm)
            continue;
        if ((u - cfg->therm) % cfg->thin != 0)
            continue;
        double *rec = r->recbuf[c];
        mtsi_phi4_obs o;
        memcpy(rec, phi, (size_t)V * sizeof(double));
        mtsi_phi4_meas_run(r->meas[c], phi, &o, rec + V + NOBS);
        double ov[NOBS] = {o.m, o.abs_m, o.m2, o.m4, o.energy, o.ghat0, o.ghat1};
        memcpy(rec + V, ov, sizeof ov);
        for (int i = 0; i < NOBS; i++)
            if (!isfinite(ov[i]))
                return mtsi_error_set(MTSI_EINVAL, "chain %ld: observable '%s' is not finite at "
                                      "update %ld (sampler %s, step %g)", c, obs_names[i], u,
                                      r->sampler_name, mtsi_chain_step_size(ch));
        long long off = (long long)(r->base[c] + r->saved[c]) * r->rec * (long long)sizeof(double);
        size_t len = (size_t)r->rec * sizeof(double);
        rc = mtsi_pwrite_all(r->fd, rec, len, off, r->part);
        if (rc)
            return rc;
        r->hash[c] = hash_update(r->hash[c], rec, r->rec);
        r->saved[c]++;
    }
    return MTSI_OK;
}

static int run_loop(run *r)
{
    const mtsi_run_cfg *cfg = &r->cfg;
    const long C = cfg->chains;
    long per_chain_updates = cfg->therm + (cfg->n / C + 1) * cfg->thin;
    long budget = per_chain_updates / 100;
    if (budget < cfg->thin)
        budget = cfg->thin;
    mtsi_progress *pg = mtsi_progress_new("mcmc", cfg->n);
    double last_ckpt = mtsi_wtime();
    char *warned = calloc((size_t)C, 1);
    int rc = MTSI_OK;
    for (;;) {
        long done = 0;
        for (long c = 0; c < C; c++)
            done += r->saved[c];
        if (done >= cfg->n)
            break;
        int err = 0;
#pragma omp parallel for schedule(dynamic, 1) reduction(| : err)
        for (long c = 0; c < C; c++)
            err |= chain_round(r, c, budget);
        if (err) {
            rc = mtsi_error_code() ? mtsi_error_code() : MTSI_EIO;
            break;
        }
        done = 0;
        long acc = 0, prop = 0;
        for (long c = 0; c < C; c++) {
            long a, p;
            done += r->saved[c];
            mtsi_chain_acceptance(r->ch[c], &a, &p);
            acc += a;
            prop += p;
        }
        /* A chain that accepts nothing is frozen: say so once, do not stop. */
        for (long c = 0; warned && c < C; c++) {
            long a, p;
            mtsi_chain_acceptance(r->ch[c], &a, &p);
            if (!warned[c] && a == 0 && p >= 20 && r->updates[c] >= cfg->therm) {
                warned[c] = 1;
                fprintf(stderr,
                        "mtsi mcmc: warning: chain %ld accepted none of %ld proposals; it is "
                        "frozen (use a smaller --eps/--dt or --tune)\n",
                        c, p);
            }
        }
        char extra[96];
        snprintf(extra, sizeof extra, "acc %.3f step %.4g", prop ? (double)acc / prop : 0.0,
                 mtsi_chain_step_size(r->ch[0]));
        mtsi_progress_update(pg, done, extra);
        if (mtsi_signal_pending()) {
            rc = checkpoint_write(r);
            if (!rc)
                rc = mtsi_error_set(MTSI_EINTR,
                                    "interrupted: checkpoint written to '%s'; continue with "
                                    "'mtsi mcmc --resume --out %s'",
                                    r->ckpt, r->out);
            break;
        }
        if (done < cfg->n && mtsi_wtime() - last_ckpt >= cfg->ckpt_every) {
            if ((rc = checkpoint_write(r)))
                break;
            last_ckpt = mtsi_wtime();
        }
    }
    mtsi_progress_free(pg);
    free(warned);
    /* The last records are counted by a checkpoint before the assembly,
     * so a failed assembly (a full disk) can be resumed. */
    if (!rc)
        rc = checkpoint_write(r);
    if (!rc)
        rc = assemble(r);
    if (!rc) {
        unlink(r->part);
        unlink(r->ckpt);
        mtsi_out_keep(r->part);
        mtsi_out_keep(r->ckpt);
    } else if (rc == MTSI_EINTR) {
        mtsi_out_keep(r->part);
        mtsi_out_keep(r->ckpt);
    } else if (r->progress_ckpt && rc != MTSI_EINVAL) {
        /* e.g. a full disk after real progress: keep what can be resumed */
        const char *m = mtsi_error_msg();
        rc = mtsi_error_set(rc, "%s; the run's checkpoint '%s' is kept: 'mtsi mcmc --resume "
                            "--out %s' continues it once the cause is fixed (or delete '%s' and "
                            "'%s')", m, r->ckpt, r->out, r->part, r->ckpt);
    } else {
        unlink(r->part);
        unlink(r->ckpt);
        mtsi_out_keep(r->part);
        mtsi_out_keep(r->ckpt);
    }
    return rc;
}

static int open_part(run *r, int create)
{
    r->fd = open(r->part, create ? (O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC) : (O_RDWR | O_CLOEXEC),
                 0644);
    if (r->fd < 0)
        return mtsi_error_errno(create ? MTSI_EIO : MTSI_EINVAL, errno, "cannot open '%s'",
                                r->part);
    if (!create) {
        struct stat st;
        if (fstat(r->fd, &st) != 0 || !S_ISREG(st.st_mode))
            return mtsi_error_set(MTSI_EINVAL, "'%s' is not a regular file", r->part);
    }
    return MTSI_OK;
}

int mtsi_run_mcmc(const mtsi_run_cfg *cfg)
{
    if (cfg->n < 1)
        return mtsi_error_set(MTSI_EINVAL, "--n: need at least 1 configuration, got %ld", cfg->n);
    if (cfg->chains < 1 || cfg->chains > cfg->n)
        return mtsi_error_set(MTSI_EINVAL, "--chains: need 1 <= chains <= n, got %ld", cfg->chains);
    if (cfg->therm < 0)
        return mtsi_error_set(MTSI_EINVAL, "--therm: must be >= 0, got %ld", cfg->therm);
    if (cfg->thin < 1)
        return mtsi_error_set(MTSI_EINVAL, "--thin: must be >= 1, got %ld", cfg->thin);
    int rc = mtsi_out_check(cfg->out, cfg->force);
    if (rc)
        return rc;
    run r;
    if ((rc = run_setup(&r, cfg)) == MTSI_OK) {
        if (!cfg->force && access(r.ckpt, F_OK) == 0)
            rc = mtsi_error_set(MTSI_EINVAL,
                                "an interrupted run's checkpoint '%s' exists; continue it with "
                                "--resume or start over with --force",
                                r.ckpt);
        else if ((rc = open_part(&r, 1)) == MTSI_OK) {
            /* OUT.part and OUT.ckpt are removed on failure until a
             * checkpoint with progress makes them worth resuming. */
            mtsi_out_track(r.part);
            mtsi_out_track(r.ckpt);
            unlink(r.ckpt);
            /* A checkpoint from the start: OUT.part never exists without
             * one, even after kill -9. */
            rc = checkpoint_write(&r);
            if (!rc)
                rc = run_loop(&r);
        }
    }
    run_free(&r);
    mtsi_out_release(cfg->out); /* a sweep runs many in one process */
    return rc;
}

int mtsi_run_resume(const char *out, double ckpt_every)
{
    /* The lock first: nobody else may touch OUT.part while it is checked. */
    int rc = mtsi_out_check(out, 1);
    if (rc)
        return rc;
    char *ck = strcat2(out, ".ckpt");
    if (!ck)
        return MTSI_ENOMEM;
    char what[600];
    snprintf(what, sizeof what, "checkpoint '%s'", ck);
    if (access(ck, F_OK) != 0) {
        rc = mtsi_error_set(MTSI_EINVAL, "--resume: '%s' has no checkpoint ('%s' does not exist)",
                            out, ck);
        free(ck);
        return rc;
    }
    rc = mtsi_in_check(ck);
    hid_t f = rc ? -1 : mtsi_h5_open(ck);
    free(ck);
    if (f < 0)
        return mtsi_error_code() ? mtsi_error_code() : MTSI_EINVAL;
    char mark[64] = "", sname[32] = "", cmd[4096] = "";
    mtsi_run_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    long dim = 0, L = 0, seed = 0, nleap = 0, tune = 0;
    double *h_site = NULL, *A_site = NULL;
    const long BIG = 1L << 50;
    rc = mtsi_h5_attr_get_string(f, "mtsi_checkpoint", mark, sizeof mark, what);
    if (!rc && strcmp(mark, CKPT_MARK))
        rc = mtsi_error_set(MTSI_EINVAL, "%s: checkpoint version '%s' is not '%s' (written by "
                            "another mtsi version?)", what, mark, CKPT_MARK);
    rc = rc ? rc : mtsi_h5_attr_get_long_range(f, "dim", 1, MTSI_PHI4_MAXDIM, &dim, what);
    rc = rc ? rc : mtsi_h5_attr_get_long_range(f, "L", 2, 1L << 20, &L, what);
    rc = rc ? rc : mtsi_phi4_set_lattice(&cfg.p, (int)dim, L);
    rc = rc ? rc : mtsi_h5_attr_get_finite(f, "chi", &cfg.p.chi, what);
    rc = rc ? rc : mtsi_h5_attr_get_finite(f, "kappa", &cfg.p.kappa, what);
    rc = rc ? rc : mtsi_h5_attr_get_finite(f, "gamma", &cfg.p.gamma, what);
    rc = rc ? rc : mtsi_h5_attr_get_finite(f, "field_h", &cfg.p.h, what);
    rc = rc ? rc : mtsi_h5_attr_get_finite(f, "quad_a", &cfg.p.A, what);
    rc = rc ? rc : mtsi_h5_attr_get_string(f, "sampler", sname, sizeof sname, what);
    rc = rc ? rc : mtsi_sampler_parse(sname, &cfg.o.kind);
    rc = rc ? rc : mtsi_h5_attr_get_long_range(f, "seed", 0, (long)(~0UL >> 1), &seed, what);
    rc = rc ? rc : mtsi_h5_attr_get_string(f, "command_line", cmd, sizeof cmd, what);
    rc = rc ? rc : mtsi_h5_attr_get_long_range(f, "n", 1, BIG, &cfg.n, what);
    rc = rc ? rc : mtsi_h5_attr_get_long_range(f, "n_chains", 1, cfg.n, &cfg.chains, what);
    rc = rc ? rc : mtsi_h5_attr_get_long_range(f, "therm", 0, BIG, &cfg.therm, what);
    rc = rc ? rc : mtsi_h5_attr_get_long_range(f, "thin", 1, BIG, &cfg.thin, what);
    rc = rc ? rc : mtsi_h5_attr_get_finite(f, "m0", &cfg.o.m0, what);
    rc = rc ? rc : mtsi_h5_attr_get_finite(f, "dt", &cfg.o.dt, what);
    rc = rc ? rc : mtsi_h5_attr_get_finite(f, "eps", &cfg.o.eps, what);
    rc = rc ? rc : mtsi_h5_attr_get_long_range(f, "nleap", 1, 100000, &nleap, what);
    rc = rc ? rc : mtsi_h5_attr_get_long_range(f, "clusters", 0, BIG, &cfg.o.clusters, what);
    rc = rc ? rc : mtsi_h5_attr_get_long_range(f, "tune", 0, 1, &tune, what);
    rc = rc ? rc : mtsi_h5_attr_get_finite(f, "target_acc", &cfg.o.target_acc, what);
    if (!rc && mtsi_h5_has(f, "field_site")) {
        h_site = mtsi_malloc((size_t)cfg.p.V * sizeof(double));
        rc = h_site ? read_table(f, "field_site", cfg.p.V, 0, H5T_NATIVE_DOUBLE, h_site, what)
                    : MTSI_ENOMEM;
        rc = rc ? rc : mtsi_check_finite(h_site, (size_t)cfg.p.V, what, "field_site");
        cfg.p.h_site = h_site;
    }
    if (!rc && mtsi_h5_has(f, "quad_site")) {
        A_site = mtsi_malloc((size_t)cfg.p.V * sizeof(double));
        rc = A_site ? read_table(f, "quad_site", cfg.p.V, 0, H5T_NATIVE_DOUBLE, A_site, what)
                    : MTSI_ENOMEM;
        rc = rc ? rc : mtsi_check_finite(A_site, (size_t)cfg.p.V, what, "quad_site");
        cfg.p.A_site = A_site;
    }
    cfg.o.nleap = (int)nleap;
    cfg.o.tune = (int)tune;
    if (!rc && (mtsi_phi4_validate(&cfg.p) || mtsi_sampler_validate(&cfg.o, &cfg.p)))
        rc = mtsi_error_set(MTSI_EINVAL, "%s: invalid settings (%s)", what, mtsi_error_msg());
    cfg.seed = (uint64_t)seed;
    cfg.out = out;
    cfg.force = 1;
    cfg.ckpt_every = ckpt_every;
    cfg.command_line = cmd;
    run r;
    memset(&r, 0, sizeof r);
    r.fd = -1;
    if (!rc)
        rc = run_setup(&r, &cfg);
    const long C = cfg.chains, V = cfg.p.V;
    unsigned long long *ph = NULL;
    mtsi_chain_table tab;
    memset(&tab, 0, sizeof tab);
    if (!rc && !(rc = mtsi_chain_table_alloc(&tab, C, V)) &&
        !(ph = mtsi_malloc((size_t)C * sizeof *ph)))
        rc = MTSI_ENOMEM;
    rc = rc ? rc : mtsi_chain_table_read(f, &tab, 0, what); /* older ones have no checksum */
    rc = rc ? rc : read_table(f, "part_hash", C, 0, H5T_NATIVE_ULLONG, ph, what);
    if (H5Fclose(f) < 0 && !rc)
        rc = mtsi_error_set(MTSI_EINVAL, "%s: cannot close it", what);
    for (long c = 0; c < C && !rc; c++) {
        mtsi_chain_state s;
        mtsi_chain_table_get(&tab, c, &s, &r.updates[c], &r.saved[c]);
        long can_save = r.updates[c] > cfg.therm ? (r.updates[c] - cfg.therm) / cfg.thin : 0;
        if (r.saved[c] > mtsi_run_chain_share(cfg.n, C, c) || r.saved[c] > can_save) {
            rc = mtsi_error_set(MTSI_EINVAL, "%s: inconsistent state of chain %ld (corrupt "
                                "checkpoint; start over with --force)", what, c);
            break;
        }
        mtsi_chain_set_state(r.ch[c], &s, tab.fields + c * V);
        r.hash[c] = HASH0;
    }
    if (!rc)
        rc = open_part(&r, 0);
    /* Every record the checkpoint counts must be in OUT.part, finite and
     * exactly as written (its hash). */
    for (long c = 0; c < C && !rc; c++) {
        uint64_t h = HASH0;
        double *rec = r.recbuf[c];
        for (long j = 0; j < r.saved[c] && !rc; j++) {
            long long off = (long long)(r.base[c] + j) * r.rec * (long long)sizeof(double);
            rc = mtsi_pread_all(r.fd, rec, (size_t)r.rec * sizeof(double), off, r.part);
            if (rc)
                rc = mtsi_error_set(MTSI_EINVAL, "'%s' is shorter than its checkpoint says "
                                    "(chain %ld, record %ld); start over with --force", r.part, c,
                                    j);
            else
                h = hash_update(h, rec, r.rec);
        }
        if (!rc && h != (uint64_t)ph[c])
            rc = mtsi_error_set(MTSI_EINVAL, "'%s' does not match its checkpoint (chain %ld's "
                                "records were changed); start over with --force", r.part, c);
        r.hash[c] = h;
    }
    mtsi_chain_table_free(&tab);
    free(ph);
    if (!rc) {
        r.progress_ckpt = 1; /* existing files: kept on failure, as they were */
        rc = run_loop(&r);
    }
    run_free(&r);
    free(h_site);
    free(A_site);
    mtsi_out_release(out);
    return rc;
}
