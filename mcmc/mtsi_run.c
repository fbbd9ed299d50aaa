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
#include <unistd.h>

#define NOBS 7
static const char *obs_names[NOBS] = {"m", "abs_m", "m2", "m4", "energy", "ghat0", "ghat1"};
static const char CKPT_MARK[] = "mtsi-mcmc-checkpoint-1";

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
    long *updates, *saved, *base;
    char sampler_name[32];
} run;

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
    if (!r->ch || !r->meas || !r->recbuf || !r->updates || !r->saved || !r->base)
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
        if (!r->meas[c] || !r->recbuf[c])
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
        return mtsi_error_set(MTSI_EIO, "cannot sync '%s': %s", r->part, strerror(errno));
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
    double *fields = malloc((size_t)(C * V) * sizeof(double));
    unsigned long long *rs = malloc((size_t)C * 4 * sizeof *rs);
    double *dv = malloc((size_t)C * 6 * sizeof(double));
    long *lv = malloc((size_t)C * 7 * sizeof(long));
    if (!fields || !rs || !dv || !lv) {
        rc = mtsi_error_set(MTSI_ENOMEM, "out of memory writing checkpoint");
    } else {
        for (long c = 0; c < C; c++) {
            mtsi_chain_state s;
            mtsi_chain_get_state(r->ch[c], &s);
            memcpy(fields + c * V, mtsi_chain_field(r->ch[c]), (size_t)V * sizeof(double));
            for (int i = 0; i < 4; i++)
                rs[c * 4 + i] = s.rng.s[i];
            dv[c * 6 + 0] = s.rng.spare;
            dv[c * 6 + 1] = s.step;
            dv[c * 6 + 2] = s.cluster_sites;
            dv[c * 6 + 3] = s.cluster_count;
            dv[c * 6 + 4] = (double)s.ncl;
            dv[c * 6 + 5] = 0;
            lv[c * 7 + 0] = s.rng.has_spare;
            lv[c * 7 + 1] = s.acc;
            lv[c * 7 + 2] = s.prop;
            lv[c * 7 + 3] = s.tune_acc;
            lv[c * 7 + 4] = s.tune_prop;
            lv[c * 7 + 5] = r->updates[c];
            lv[c * 7 + 6] = r->saved[c];
        }
        hsize_t d2[2] = {(hsize_t)C, (hsize_t)V};
        rc |= mtsi_h5_write_double(f, "fields", 2, d2, fields);
        d2[1] = 4;
        rc |= mtsi_h5_write_u64(f, "rng", 2, d2, rs);
        d2[1] = 6;
        rc |= mtsi_h5_write_double(f, "state_d", 2, d2, dv);
        d2[1] = 7;
        rc |= mtsi_h5_write_long(f, "state_l", 2, d2, lv);
    }
    free(fields);
    free(rs);
    free(dv);
    free(lv);
    if (H5Fclose(f) < 0 && !rc)
        rc = mtsi_error_set(MTSI_EIO, "cannot close checkpoint '%s'", tmp);
    if (rc) {
        unlink(tmp);
        free(tmp);
        return mtsi_error_code() ? mtsi_error_code() : MTSI_EIO;
    }
    rc = mtsi_out_commit(tmp, r->ckpt);
    free(tmp);
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
    const long N = cfg->n, V = r->V, L = cfg->p.L, C = cfg->chains;
    const int dim = cfg->p.dim;
    char *tmp = mtsi_out_tmpname(r->out);
    if (!tmp)
        return MTSI_ENOMEM;
    hid_t f = mtsi_h5_create(tmp);
    if (f < 0) {
        free(tmp);
        return MTSI_EIO;
    }
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
        dobs[i] = make_ds(gobs, obs_names[i], 1, &n1, NULL);
    hsize_t dG[2] = {(hsize_t)N, (hsize_t)L}, cG[2] = {(hsize_t)(N < 1024 ? N : 1024), (hsize_t)L};
    hid_t dg = make_ds(gobs, "G", 2, dG, cG);
    double *obs = malloc((size_t)N * NOBS * sizeof(double));
    double *G = malloc((size_t)N * L * sizeof(double));
    double *buf = malloc((size_t)r->rec * sizeof(double));
    long *chain = malloc((size_t)N * sizeof(long));
    if (dcfg < 0 || gobs < 0 || dg < 0 || !obs || !G || !buf || !chain)
        rc = 1;
    hid_t fsp = dcfg >= 0 ? H5Dget_space(dcfg) : -1;
    hsize_t cnt[1 + MTSI_PHI4_MAXDIM];
    cnt[0] = 1;
    for (int d = 0; d < dim; d++)
        cnt[1 + d] = (hsize_t)L;
    hid_t msp = H5Screate_simple(1 + dim, cnt, NULL);
    for (long i = 0; i < N && !rc; i++) {
        ssize_t got = pread(r->fd, buf, (size_t)r->rec * sizeof(double),
                            (off_t)i * r->rec * (off_t)sizeof(double));
        if (got != (ssize_t)(r->rec * sizeof(double))) {
            rc = mtsi_error_set(MTSI_EIO, "'%s' is shorter than its checkpoint says", r->part);
            break;
        }
        hsize_t start[1 + MTSI_PHI4_MAXDIM] = {(hsize_t)i};
        H5Sselect_hyperslab(fsp, H5S_SELECT_SET, start, NULL, cnt, NULL);
        if (H5Dwrite(dcfg, H5T_NATIVE_DOUBLE, msp, fsp, H5P_DEFAULT, buf) < 0)
            rc = 1;
        for (int k = 0; k < NOBS; k++)
            obs[k * N + i] = buf[V + k];
        memcpy(G + i * L, buf + V + NOBS, (size_t)L * sizeof(double));
    }
    for (long c = 0; c < C; c++)
        for (long j = 0; j < mtsi_run_chain_share(N, C, c); j++)
            chain[r->base[c] + j] = c;
    for (int k = 0; k < NOBS && !rc; k++)
        if (H5Dwrite(dobs[k], H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, obs + k * N) < 0)
            rc = 1;
    if (!rc && H5Dwrite(dg, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, G) < 0)
        rc = 1;
    if (!rc) {
        hsize_t dc = (hsize_t)N;
        rc |= mtsi_h5_write_long(f, "chain", 1, &dc, chain);
        double *acc = malloc((size_t)C * sizeof(double)), *step = malloc((size_t)C * sizeof(double));
        if (acc && step) {
            for (long c = 0; c < C; c++) {
                long a, p;
                mtsi_chain_acceptance(r->ch[c], &a, &p);
                acc[c] = p ? (double)a / (double)p : 0.0;
                step[c] = mtsi_chain_step_size(r->ch[c]);
            }
            rc |= mtsi_h5_attr_set_doubles(f, "acceptance", acc, (int)C);
            rc |= mtsi_h5_attr_set_doubles(f, "step_final", step, (int)C);
        } else
            rc = 1;
        free(acc);
        free(step);
    }
    H5Sclose(msp);
    if (fsp >= 0)
        H5Sclose(fsp);
    for (int i = 0; i < NOBS; i++)
        if (dobs[i] >= 0)
            H5Dclose(dobs[i]);
    if (dg >= 0)
        H5Dclose(dg);
    if (dcfg >= 0)
        H5Dclose(dcfg);
    if (gobs >= 0)
        H5Gclose(gobs);
    free(obs);
    free(G);
    free(buf);
    free(chain);
    if (H5Fclose(f) < 0)
        rc = 1;
    if (rc) {
        unlink(tmp);
        free(tmp);
        if (!mtsi_error_code())
            mtsi_error_set(MTSI_EIO, "cannot write '%s'", r->out);
        return mtsi_error_code();
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
    const long V = r->V, L = cfg->p.L;
    for (long k = 0; k < budget && r->saved[c] < target; k++) {
        if (mtsi_signal_pending())
            break;
        mtsi_chain_update(ch);
        long u = ++r->updates[c];
        if (u <= cfg->therm) {
            mtsi_chain_tune(ch, u);
            continue;
        }
        if ((u - cfg->therm) % cfg->thin != 0)
            continue;
        double *rec = r->recbuf[c];
        const double *phi = mtsi_chain_field(ch);
        mtsi_phi4_obs o;
        memcpy(rec, phi, (size_t)V * sizeof(double));
        mtsi_phi4_meas_run(r->meas[c], phi, &o, rec + V + NOBS);
        double ov[NOBS] = {o.m, o.abs_m, o.m2, o.m4, o.energy, o.ghat0, o.ghat1};
        memcpy(rec + V, ov, sizeof ov);
        off_t off = (off_t)(r->base[c] + r->saved[c]) * r->rec * (off_t)sizeof(double);
        size_t len = (size_t)r->rec * sizeof(double);
        if (pwrite(r->fd, rec, len, off) != (ssize_t)len)
            return mtsi_error_set(MTSI_EIO, "cannot write '%s': %s", r->part, strerror(errno));
        r->saved[c]++;
    }
    (void)L;
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
    if (rc)
        return rc;
    rc = assemble(r);
    if (!rc) {
        unlink(r->part);
        unlink(r->ckpt);
    }
    return rc;
}

static int open_part(run *r, int create)
{
    r->fd = open(r->part, create ? (O_RDWR | O_CREAT | O_TRUNC) : O_RDWR, 0644);
    if (r->fd < 0)
        return mtsi_error_set(create ? MTSI_EIO : MTSI_EINVAL, "cannot open '%s': %s", r->part,
                              strerror(errno));
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
            unlink(r.ckpt);
            rc = run_loop(&r);
        }
    }
    run_free(&r);
    return rc;
}

int mtsi_run_resume(const char *out, double ckpt_every)
{
    char *ck = strcat2(out, ".ckpt");
    if (!ck)
        return MTSI_ENOMEM;
    int rc = mtsi_in_check(ck);
    hid_t f = rc ? -1 : mtsi_h5_open(ck);
    char what[600];
    snprintf(what, sizeof what, "checkpoint '%s'", ck);
    free(ck);
    if (rc)
        return mtsi_error_set(MTSI_EINVAL, "--resume: no checkpoint for '%s' (%s)", out,
                              mtsi_error_msg());
    if (f < 0)
        return MTSI_EINVAL;
    char mark[64] = "", sname[32] = "", cmd[4096] = "";
    mtsi_run_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    long dim = 0, L = 0, seed = 0, nleap = 0, tune = 0;
    double *h_site = NULL, *A_site = NULL;
    rc = mtsi_h5_attr_get_string(f, "mtsi_checkpoint", mark, sizeof mark, what);
    if (!rc && strcmp(mark, CKPT_MARK))
        rc = mtsi_error_set(MTSI_EINVAL, "%s: unknown checkpoint version '%s'", what, mark);
    rc = rc ? rc : mtsi_h5_attr_get_long(f, "dim", &dim, what);
    rc = rc ? rc : mtsi_h5_attr_get_long(f, "L", &L, what);
    rc = rc ? rc : mtsi_phi4_set_lattice(&cfg.p, (int)dim, L);
    rc = rc ? rc : mtsi_h5_attr_get_double(f, "chi", &cfg.p.chi, what);
    rc = rc ? rc : mtsi_h5_attr_get_double(f, "kappa", &cfg.p.kappa, what);
    rc = rc ? rc : mtsi_h5_attr_get_double(f, "gamma", &cfg.p.gamma, what);
    rc = rc ? rc : mtsi_h5_attr_get_double(f, "field_h", &cfg.p.h, what);
    rc = rc ? rc : mtsi_h5_attr_get_double(f, "quad_a", &cfg.p.A, what);
    rc = rc ? rc : mtsi_h5_attr_get_string(f, "sampler", sname, sizeof sname, what);
    rc = rc ? rc : mtsi_sampler_parse(sname, &cfg.o.kind);
    rc = rc ? rc : mtsi_h5_attr_get_long(f, "seed", &seed, what);
    rc = rc ? rc : mtsi_h5_attr_get_string(f, "command_line", cmd, sizeof cmd, what);
    rc = rc ? rc : mtsi_h5_attr_get_long(f, "n", &cfg.n, what);
    rc = rc ? rc : mtsi_h5_attr_get_long(f, "n_chains", &cfg.chains, what);
    rc = rc ? rc : mtsi_h5_attr_get_long(f, "therm", &cfg.therm, what);
    rc = rc ? rc : mtsi_h5_attr_get_long(f, "thin", &cfg.thin, what);
    rc = rc ? rc : mtsi_h5_attr_get_double(f, "m0", &cfg.o.m0, what);
    rc = rc ? rc : mtsi_h5_attr_get_double(f, "dt", &cfg.o.dt, what);
    rc = rc ? rc : mtsi_h5_attr_get_double(f, "eps", &cfg.o.eps, what);
    rc = rc ? rc : mtsi_h5_attr_get_long(f, "nleap", &nleap, what);
    rc = rc ? rc : mtsi_h5_attr_get_long(f, "clusters", &cfg.o.clusters, what);
    rc = rc ? rc : mtsi_h5_attr_get_long(f, "tune", &tune, what);
    rc = rc ? rc : mtsi_h5_attr_get_double(f, "target_acc", &cfg.o.target_acc, what);
    if (!rc && (cfg.chains < 1 || cfg.n < cfg.chains || cfg.thin < 1 || cfg.therm < 0))
        rc = mtsi_error_set(MTSI_EINVAL, "%s: inconsistent run settings", what);
    if (!rc && mtsi_h5_has(f, "field_site")) {
        h_site = malloc((size_t)cfg.p.V * sizeof(double));
        rc = h_site ? mtsi_h5_read_double(f, "field_site", h_site, (size_t)cfg.p.V, what)
                    : MTSI_ENOMEM;
        cfg.p.h_site = h_site;
    }
    if (!rc && mtsi_h5_has(f, "quad_site")) {
        A_site = malloc((size_t)cfg.p.V * sizeof(double));
        rc = A_site ? mtsi_h5_read_double(f, "quad_site", A_site, (size_t)cfg.p.V, what)
                    : MTSI_ENOMEM;
        cfg.p.A_site = A_site;
    }
    cfg.o.nleap = (int)nleap;
    cfg.o.tune = (int)tune;
    cfg.seed = (uint64_t)seed;
    cfg.out = out;
    cfg.force = 1;
    cfg.ckpt_every = ckpt_every;
    cfg.command_line = cmd;
    run r;
    memset(&r, 0, sizeof r);
    r.fd = -1;
    if (!rc)
        rc = mtsi_out_check(out, 1);
    if (!rc)
        rc = run_setup(&r, &cfg);
    const long C = cfg.chains, V = cfg.p.V;
    double *fields = NULL, *dv = NULL;
    unsigned long long *rs = NULL;
    long *lv = NULL;
    if (!rc) {
        fields = malloc((size_t)(C * V) * sizeof(double));
        rs = malloc((size_t)C * 4 * sizeof *rs);
        dv = malloc((size_t)C * 6 * sizeof(double));
        lv = malloc((size_t)C * 7 * sizeof(long));
        if (!fields || !rs || !dv || !lv)
            rc = mtsi_error_set(MTSI_ENOMEM, "out of memory reading %s", what);
    }
    rc = rc ? rc : mtsi_h5_read_double(f, "fields", fields, (size_t)(C * V), what);
    rc = rc ? rc : mtsi_h5_read_u64(f, "rng", rs, (size_t)C * 4, what);
    rc = rc ? rc : mtsi_h5_read_double(f, "state_d", dv, (size_t)C * 6, what);
    rc = rc ? rc : mtsi_h5_read_long(f, "state_l", lv, (size_t)C * 7, what);
    H5Fclose(f);
    if (!rc) {
        for (long c = 0; c < C; c++) {
            mtsi_chain_state s;
            memset(&s, 0, sizeof s);
            for (int i = 0; i < 4; i++)
                s.rng.s[i] = rs[c * 4 + i];
            s.rng.spare = dv[c * 6 + 0];
            s.step = dv[c * 6 + 1];
            s.cluster_sites = dv[c * 6 + 2];
            s.cluster_count = dv[c * 6 + 3];
            s.ncl = (long)dv[c * 6 + 4];
            s.rng.has_spare = (int)lv[c * 7 + 0];
            s.acc = lv[c * 7 + 1];
            s.prop = lv[c * 7 + 2];
            s.tune_acc = lv[c * 7 + 3];
            s.tune_prop = lv[c * 7 + 4];
            r.updates[c] = lv[c * 7 + 5];
            r.saved[c] = lv[c * 7 + 6];
            if (r.saved[c] < 0 || r.saved[c] > mtsi_run_chain_share(cfg.n, C, c) ||
                r.updates[c] < 0) {
                rc = mtsi_error_set(MTSI_EINVAL, "%s: inconsistent chain counters", what);
                break;
            }
            mtsi_chain_set_state(r.ch[c], &s, fields + c * V);
        }
    }
    free(fields);
    free(rs);
    free(dv);
    free(lv);
    if (!rc)
        rc = open_part(&r, 0);
    if (!rc)
        rc = run_loop(&r);
    run_free(&r);
    free(h_site);
    free(A_site);
    return rc;
}
