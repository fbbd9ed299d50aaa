/* Running a parameter sweep: see mtsi_sweep_run.h. The grid and its
 * points, the equivalent mcmc and sample commands, the scan of the
 * directory, running and generating a point, the analysis, the Binder
 * crossing table and both summary writers. */
#include "config.h"
#include "mtsi_analysis.h"
#include "mtsi_cli.h"
#include "mtsi_compare.h"
#include "mtsi_ensemble.h"
#include "mtsi_err.h"
#include "mtsi_generate.h"
#include "mtsi_h5.h"
#include "mtsi_json.h"
#include "mtsi_model.h"
#include "mtsi_run.h"
#include "mtsi_sweep_run.h"

#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Coupling conventions: the option names, JSON keys and file-name tags of
 * their (up to three) couplings. */
enum { CONV_DIRECT = MTSI_SWEEP_DIRECT, CONV_ML = MTSI_SWEEP_ML, CONV_HOP = MTSI_SWEEP_HOP };
static const char *const conv_opt[3][3] = {
    {"chi", "kappa", "gamma"}, {"m2", "lambda", NULL}, {"kappa-hop", "lambda-hop", NULL}};
static const char *const conv_key[3][3] = {
    {"chi", "kappa", "gamma"}, {"m2", "lambda", NULL}, {"kappa_hop", "lambda_hop", NULL}};
static const char *const conv_tag[3][3] = {
    {"chi", "kappa", "gamma"}, {"m2", "lambda", NULL}, {"kh", "lh", NULL}};
static const char *const conv_json[3] = {"chi_kappa_gamma", "m2_lambda", "hopping"};

/* Axes in grid order, outermost first: the point index is row-major in it. */
enum {
    AX_L = MTSI_SWEEP_AX_L,
    AX_C0 = MTSI_SWEEP_AX_C0,
    AX_C1 = MTSI_SWEEP_AX_C1,
    AX_C2 = MTSI_SWEEP_AX_C2,
    AX_H = MTSI_SWEEP_AX_H,
    AX_A = MTSI_SWEEP_AX_A,
    NAX = MTSI_SWEEP_NAX
};

typedef mtsi_sweep_opts sweep_opts;

/* States of a point's files (after the scan). */
enum { ST_TODO = 0, ST_RESUME, ST_DONE };
/* Generation states. */
enum { GEN_NONE = 0, GEN_TODO, GEN_DONE, GEN_UNREACHABLE };
/* What a rank did with a point (reduced with MAX over ranks). */
enum { RES_NONE = 0, RES_OK, RES_INTR, RES_FAIL };

typedef struct {
    int idx[NAX];
    long L;
    double c[3], h, A;
    mtsi_phi4_params p;
    mtsi_sampler_opts o;
    char name[256]; /* file name without ".h5" */
    uint64_t seed;
    char *cmdline;     /* the equivalent `mtsi mcmc` command (stored in the file) */
    char *gen_cmdline; /* the equivalent `mtsi sample` command */
    double rh, rA;     /* reward relative to the model's training law */
} point;

const char *mtsi_sweep_coupling_option(int conv, int c)
{
    return conv >= 0 && conv < 3 && c >= 0 && c < 3 ? conv_opt[conv][c] : NULL;
}

const char *mtsi_sweep_convention_name(int conv)
{
    return conv >= 0 && conv < 3 ? conv_json[conv] : NULL;
}

void mtsi_sweep_opts_init(mtsi_sweep_opts *so)
{
    memset(so, 0, sizeof *so);
    so->dim = 2;
    so->n_cfg = -1;
    so->chains = 1;
    so->therm = 1000;
    so->thin = 10;
    so->seed = 1;
    so->ckpt_every = 60;
    so->sampler = "fahmc";
    so->tune = -1;
    so->task = -1;
    so->gen_n = -1;
}

void mtsi_sweep_opts_free(mtsi_sweep_opts *so)
{
    for (int a = 0; a < NAX; a++) {
        free(so->v[a]);
        so->v[a] = NULL;
    }
}


static char *path_join(const char *dir, const char *name, const char *suffix)
{
    size_t n = strlen(dir) + strlen(name) + strlen(suffix) + 2;
    char *s = mtsi_malloc(n);
    if (s)
        snprintf(s, n, "%s/%s%s", dir, name, suffix);
    return s;
}

/* ---- grid ----------------------------------------------------------- */

static void fmt_num(char *buf, size_t n, double v) { snprintf(buf, n, "%.10g", v); }

/* The shortest of %.15g .. %.17g that reads back as v (0.1, not
 * 0.10000000000000001). */
static void fmt_exact(char *buf, size_t n, double v)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
}

/* The file name of a point: dimension (when not 2), L, couplings, h, and A
 * when nonzero, e.g. L16_m2-4_lambda4.6_h0.02. */
static void point_name(const sweep_opts *so, point *pt)
{
    char *s = pt->name;
    size_t left = sizeof pt->name;
    int k = 0;
    if (so->dim != 2)
        k += snprintf(s + k, left - (size_t)k, "d%ld_", so->dim);
    k += snprintf(s + k, left - (size_t)k, "L%ld", pt->L);
    for (int c = 0; c < so->nc; c++) {
        char b[40];
        fmt_num(b, sizeof b, pt->c[c]);
        k += snprintf(s + k, left - (size_t)k, "_%s%s", conv_tag[so->conv][c], b);
    }
    char b[40];
    fmt_num(b, sizeof b, pt->h);
    k += snprintf(s + k, left - (size_t)k, "_h%s", b);
    if (pt->A != 0) {
        fmt_num(b, sizeof b, pt->A);
        snprintf(s + k, left - (size_t)k, "_A%s", b);
    }
}

/* A growing string for the command lines. */
typedef struct {
    char *s;
    size_t len, cap;
} strbuf;

static void sb_add(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(strbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int need = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (need < 0 || !b)
        return;
    if (b->len + (size_t)need + 1 > b->cap) {
        size_t cap = 2 * (b->len + (size_t)need + 1) + 64;
        char *ns = realloc(b->s, cap);
        if (!ns)
            return;
        b->s = ns;
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)need;
}

/* The `mtsi mcmc` command that makes this point's file bitwise (run in
 * --dir); stored as the file's command_line, which also identifies the
 * settings when a restarted sweep meets an existing file. */
static char *mcmc_command(const sweep_opts *so, const point *pt)
{
    strbuf b = {0};
    sb_add(&b, "mcmc");
    for (int c = 0; c < so->nc; c++)
        sb_add(&b, " --%s %.10g", conv_opt[so->conv][c], pt->c[c]);
    sb_add(&b, " --dim %ld --L %ld --field %.10g --quad %.10g --sampler %s", so->dim, pt->L, pt->h,
           pt->A, so->sampler);
    if (so->s_dt)
        sb_add(&b, " --dt %s", so->s_dt);
    if (so->s_eps)
        sb_add(&b, " --eps %s", so->s_eps);
    if (so->s_nleap)
        sb_add(&b, " --nleap %s", so->s_nleap);
    if (so->s_m0)
        sb_add(&b, " --m0 %s", so->s_m0);
    if (so->s_clusters)
        sb_add(&b, " --clusters %s", so->s_clusters);
    if (so->tune >= 0)
        sb_add(&b, " %s", so->tune ? "--tune" : "--no-tune");
    if (so->s_target)
        sb_add(&b, " --target-acc %s", so->s_target);
    sb_add(&b, " --n %ld --chains %ld --therm %ld --thin %ld --seed %llu --out %s.h5", so->n_cfg,
           so->chains, so->therm, so->thin, (unsigned long long)pt->seed, pt->name);
    if (!b.s)
        mtsi_error_set(MTSI_ENOMEM, "out of memory");
    return b.s;
}

/* Couplings, tilt and sampler options of a point, resolved exactly as
 * `mtsi mcmc` resolves its options. */
static int point_setup(const sweep_opts *so, point *pt)
{
    if (mtsi_phi4_set_lattice(&pt->p, (int)so->dim, pt->L))
        return MTSI_EINVAL;
    if (so->conv == CONV_DIRECT)
        mtsi_phi4_set_direct(&pt->p, pt->c[0], pt->c[1], pt->c[2]);
    else if (so->conv == CONV_ML)
        mtsi_phi4_set_m2_lambda(&pt->p, pt->c[0], pt->c[1]);
    else {
        if (pt->c[0] <= 0)
            return mtsi_error_set(MTSI_EINVAL, "--kappa-hop: must be > 0, got %.10g", pt->c[0]);
        mtsi_phi4_set_hopping(&pt->p, pt->c[0], pt->c[1]);
    }
    pt->p.h = pt->h;
    pt->p.A = pt->A;
    if (mtsi_phi4_validate(&pt->p))
        return MTSI_EINVAL;
    mtsi_sampler_kind kind;
    if (mtsi_sampler_parse(so->sampler, &kind))
        return MTSI_EINVAL;
    mtsi_sampler_defaults(&pt->o, kind, &pt->p);
    if (so->s_dt)
        pt->o.dt = so->dt;
    if (so->s_eps) {
        pt->o.eps = so->eps;
        pt->o.tune = 0; /* an explicit step is kept unless --tune is given */
    }
    if (so->s_dt && kind == MTSI_SAMPLER_MALA)
        pt->o.tune = 0;
    if (so->s_nleap)
        pt->o.nleap = (int)so->nleap;
    if (so->s_m0)
        pt->o.m0 = so->m0;
    if (so->s_clusters)
        pt->o.clusters = so->clusters;
    if (so->tune >= 0)
        pt->o.tune = so->tune;
    if (so->s_target)
        pt->o.target_acc = so->target;
    if (pt->o.tune && !mtsi_sampler_is_exact(kind))
        return mtsi_error_set(MTSI_EINVAL, "--tune: sampler '%s' has no acceptance to tune",
                              so->sampler);
    return mtsi_sampler_validate(&pt->o, &pt->p);
}

static long grid_size(const sweep_opts *so)
{
    long n = 1;
    for (int a = 0; a < NAX; a++)
        n *= so->n[a];
    return n;
}

static long grid_index(const sweep_opts *so, const int *idx)
{
    long k = 0;
    for (int a = 0; a < NAX; a++)
        k = k * so->n[a] + idx[a];
    return k;
}

static int grid_build(const sweep_opts *so, point *pts, long npt)
{
    for (long k = 0; k < npt; k++) {
        point *pt = &pts[k];
        long r = k;
        for (int a = NAX - 1; a >= 0; a--) {
            pt->idx[a] = (int)(r % so->n[a]);
            r /= so->n[a];
        }
        pt->L = (long)so->v[AX_L][pt->idx[AX_L]];
        for (int c = 0; c < 3; c++)
            pt->c[c] = so->v[AX_C0 + c][pt->idx[AX_C0 + c]];
        pt->h = so->v[AX_H][pt->idx[AX_H]];
        pt->A = so->v[AX_A][pt->idx[AX_A]];
        point_name(so, pt);
        pt->seed = mtsi_sweep_point_seed(so->seed, pt->name);
        if (point_setup(so, pt)) {
            char msg[600];
            snprintf(msg, sizeof msg, "%s", mtsi_error_msg());
            return mtsi_error_set(MTSI_EINVAL, "point %ld (%s): %s", k, pt->name, msg);
        }
        if (!(pt->cmdline = mcmc_command(so, pt)))
            return MTSI_ENOMEM;
    }
    return MTSI_OK;
}

/* ---- generation: which points the model answers ---------------------- */

static int close_to(double a, double b)
{
    double s = fmax(1.0, fmax(fabs(a), fabs(b)));
    return fabs(a - b) <= 1e-9 * s;
}

static int model_matches(const mtsi_model_info *mi, const point *pt)
{
    return mi->L == pt->L && mi->dim == pt->p.dim && close_to(mi->chi, pt->p.chi) &&
           close_to(mi->kappa, pt->p.kappa) && close_to(mi->gamma, pt->p.gamma);
}

static int model_info_read(const char *path, mtsi_model_info *mi)
{
    if (mtsi_in_check(path))
        return MTSI_EINVAL;
    hid_t f = mtsi_h5_open(path);
    if (f < 0)
        return MTSI_EINVAL;
    char what[600];
    snprintf(what, sizeof what, "--generate: model '%s'", path);
    int rc = mtsi_model_read_info(f, what, mi);
    H5Fclose(f);
    if (!rc) {
        if (!isfinite(mi->field_h))
            mi->field_h = 0;
        if (!isfinite(mi->quad_a))
            mi->quad_a = 0;
    }
    return rc;
}

/* The integrator of --generate: the model's (as mtsi sample's), with
 * --gen-integrator and --gen-steps over it. */
static int gen_integrator(const sweep_opts *so, const mtsi_model_info *mi, mtsi_integrate_opts *io)
{
    mtsi_integrate_defaults(io);
    mtsi_generate_default_integrator(io, &mi->shape, mi->model_type);
    if (so->gen_int) {
        if (mtsi_integrator_parse(so->gen_int, &io->kind))
            return MTSI_EINVAL;
        io->eps = 0;
        io->schedule = MTSI_EPS_CONSTANT;
    }
    if (so->gen_steps > 0)
        io->steps = so->gen_steps;
    return MTSI_OK;
}

static char *sample_command(const sweep_opts *so, const mtsi_model_info *mi, const point *pt,
                            double t0)
{
    strbuf b = {0};
    mtsi_integrate_opts io;
    if (gen_integrator(so, mi, &io))
        return NULL;
    char integ[64];
    if (io.kind == MTSI_INTEGRATOR_EM)
        snprintf(integ, sizeof integ, "--sde %.17g:%s", io.eps, mtsi_eps_schedule_name(io.schedule));
    else
        snprintf(integ, sizeof integ, "--integrator %s", mtsi_integrator_name(io.kind));
    sb_add(&b, "sample --model %s --path generate --n %ld %s --steps %ld --batch %ld "
               "--seed %llu",
           so->model, so->gen_n, integ, io.steps, so->gen_batch,
           (unsigned long long)(pt->seed ^ 0x67656e6572617465ULL) >> 1);
    if (pt->rh != 0 || pt->rA != 0) {
        char h[40], A[40], t[40];
        fmt_exact(h, sizeof h, pt->rh);
        fmt_exact(A, sizeof A, pt->rA);
        fmt_exact(t, sizeof t, t0);
        sb_add(&b, " --field %s --quad %s --t-min %s", h, A, t);
    }
    if (so->gen_refine > 0)
        sb_add(&b, " --out %s_raw.h5; refine %s_raw.h5 --updates %ld --seed %llu --out %s_generated.h5",
               pt->name, pt->name, so->gen_refine,
               (unsigned long long)(((pt->seed ^ 0x67656e6572617465ULL) >> 1) + 1), pt->name);
    else
        sb_add(&b, " --out %s_generated.h5", pt->name);
    if (!b.s)
        mtsi_error_set(MTSI_ENOMEM, "out of memory");
    return b.s;
}

static uint64_t gen_seed(const point *pt) { return (pt->seed ^ 0x67656e6572617465ULL) >> 1; }

/* ---- scanning the directory (rank 0) ---------------------------------- */

/* An existing file (ensemble or checkpoint) must come from the same
 * settings: its command_line is this point's command. */
static int same_settings(const char *path, const char *cmdline, const char *what)
{
    hid_t f = mtsi_h5_open(path);
    if (f < 0)
        return mtsi_error_set(MTSI_EINVAL,
                              "%s '%s' exists but is not readable HDF5; remove it to redo the point",
                              what, path);
    size_t cap = strlen(cmdline) + 2;
    char *buf = mtsi_malloc(cap + 1);
    int rc = buf ? MTSI_OK : MTSI_ENOMEM;
    if (!rc && (!mtsi_h5_has_attr(f, "command_line") ||
                mtsi_h5_attr_get_string(f, "command_line", buf, cap + 1, path) ||
                strcmp(buf, cmdline)))
        rc = mtsi_error_set(MTSI_EINVAL,
                            "%s '%s' was made with other settings (its command_line is not '%s'); "
                            "use another --dir or remove the file",
                            what, path, cmdline);
    free(buf);
    H5Fclose(f);
    return rc;
}

static int scan(const sweep_opts *so, const point *pts, long npt, long only, int *st, int *gst)
{
    for (long k = 0; k < npt; k++) {
        if (only >= 0 && k != only)
            continue;
        const point *pt = &pts[k];
        char *out = path_join(so->dir, pt->name, ".h5");
        char *ck = path_join(so->dir, pt->name, ".h5.ckpt");
        char *gout = path_join(so->dir, pt->name, "_generated.h5");
        int rc = out && ck && gout ? MTSI_OK : MTSI_ENOMEM;
        if (!rc) {
            if (access(out, F_OK) == 0) {
                rc = same_settings(out, pt->cmdline, "ensemble");
                st[k] = ST_DONE;
            } else if (access(ck, F_OK) == 0) {
                rc = same_settings(ck, pt->cmdline, "checkpoint");
                st[k] = ST_RESUME;
            } else {
                st[k] = ST_TODO;
            }
        }
        if (!rc && gst[k] == GEN_TODO && access(gout, F_OK) == 0) {
            rc = same_settings(gout, pt->gen_cmdline, "generated ensemble");
            gst[k] = GEN_DONE;
        }
        free(out);
        free(ck);
        free(gout);
        if (rc)
            return rc;
    }
    return MTSI_OK;
}

/* mkdir -p */
static int make_dir(const char *dir)
{
    char *p = strdup(dir);
    if (!p)
        return mtsi_error_set(MTSI_ENOMEM, "out of memory");
    int rc = MTSI_OK;
    for (char *s = p + 1;; s++) {
        if (*s == '/' || !*s) {
            char c = *s;
            *s = '\0';
            if (mkdir(p, 0777) != 0 && errno != EEXIST) {
                rc = mtsi_error_set(MTSI_EINVAL, "--dir: cannot create '%s': %s", p, strerror(errno));
                break;
            }
            *s = c;
            if (!c)
                break;
        }
    }
    free(p);
    if (rc)
        return rc;
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return mtsi_error_set(MTSI_EINVAL, "--dir: '%s' is not a directory", dir);
    if (access(dir, W_OK | X_OK) != 0)
        return mtsi_error_set(MTSI_EINVAL, "--dir: '%s' is not writable", dir);
    return MTSI_OK;
}

/* ---- running points --------------------------------------------------- */

static int generate_point(const sweep_opts *so, const point *pt, mtsi_drift **drift,
                          mtsi_model_info *mi)
{
    if (!*drift && mtsi_model_load(so->model, drift, mi))
        return mtsi_error_code() ? mtsi_error_code() : MTSI_EINVAL;
    if (!mtsi_shape_is_lattice(&mi->shape, NULL, NULL))
        return mtsi_error_set(MTSI_EINVAL,
                              "--model '%s' is for %s data; a sweep samples phi4 lattices",
                              so->model, mi->shape.kind);
    const long V = pt->p.V, n = so->gen_n;
    mtsi_reward rw = {pt->rh, pt->rA, NULL, NULL};
    mtsi_integrate_opts io;
    if (gen_integrator(so, mi, &io))
        return MTSI_EINVAL;
    io.t0 = mtsi_generate_default_t0(&rw, V, mi->model_type);
    double *x = mtsi_malloc((size_t)(n * V) * sizeof(double));
    if (!x)
        return MTSI_ENOMEM;
    double max_xr = 0;
    int rc = mtsi_generate(*drift, V, &rw, &io, n, so->gen_batch, gen_seed(pt), x, &max_xr);
    mtsi_refine_stats rst;
    memset(&rst, 0, sizeof rst);
    if (!rc && so->gen_refine > 0) {
        /* as `mtsi refine`: the law recorded in the file (the model's
         * couplings, the point's tilt), HMC tuned on a 200-update pilot */
        mtsi_phi4_params rp = pt->p;
        mtsi_phi4_set_direct(&rp, mi->chi, mi->kappa, mi->gamma);
        rp.h = pt->h;
        rp.A = pt->A;
        rp.h_site = rp.A_site = NULL;
        mtsi_sampler_opts ro;
        mtsi_sampler_defaults(&ro, MTSI_SAMPLER_HMC, &rp);
        ro.tune = 1;
        rc = mtsi_refine(&rp, &ro, n, x, so->gen_refine, 200, gen_seed(pt) + 1, &rst);
    }
    char *out = rc ? NULL : path_join(so->dir, pt->name, "_generated.h5");
    char *tmp = out ? mtsi_out_tmpname(out) : NULL;
    if (!rc && !tmp)
        rc = MTSI_ENOMEM;
    if (!rc) {
        mtsi_ensemble e;
        memset(&e, 0, sizeof e);
        e.n = n;
        e.dim = pt->p.dim;
        e.L = pt->L;
        e.V = V;
        e.chi = mi->chi;
        e.kappa = mi->kappa;
        e.gamma = mi->gamma;
        e.field_h = pt->h; /* the training law tilted by the reward: the point's law */
        e.quad_a = pt->A;
        snprintf(e.kind, sizeof e.kind, "generated");
        e.configs = x;
        hid_t f = mtsi_ensemble_write(tmp, &e, (long)gen_seed(pt), pt->gen_cmdline);
        if (f < 0)
            rc = mtsi_error_code() ? mtsi_error_code() : MTSI_EIO;
        else {
            int w = 0;
            w |= mtsi_h5_attr_set_string(f, "sampler",
                                         so->gen_refine > 0 ? "interpolant+refine:hmc" : "interpolant");
            if (so->gen_refine > 0) {
                w |= mtsi_h5_attr_set_string(f, "refine_sampler", "hmc");
                w |= mtsi_h5_attr_set_long(f, "refine_updates", so->gen_refine);
                w |= mtsi_h5_attr_set_double(f, "refine_step", rst.step);
                w |= mtsi_h5_attr_set_double(f, "refine_acceptance",
                                             rst.prop ? (double)rst.acc / (double)rst.prop : 0.0);
            }
            w |= mtsi_h5_attr_set_string(f, "model", so->model);
            w |= mtsi_h5_attr_set_string(f, "model_type", mi->model_type);
            w |= mtsi_h5_attr_set_string(f, "path", "generate");
            w |= mtsi_h5_attr_set_string(f, "integrator", mtsi_integrator_name(io.kind));
            w |= mtsi_h5_attr_set_long(f, "steps", io.steps);
            w |= mtsi_h5_attr_set_double(f, "sde_eps", io.kind == MTSI_INTEGRATOR_EM ? io.eps : 0);
            if (io.kind == MTSI_INTEGRATOR_EM)
                w |= mtsi_h5_attr_set_string(f, "sde_schedule", mtsi_eps_schedule_name(io.schedule));
            w |= mtsi_h5_attr_set_long(f, "n_chains", 1);
            w |= mtsi_h5_attr_set_double(f, "t_min", io.t0);
            w |= mtsi_h5_attr_set_double(f, "reward_h", pt->rh);
            w |= mtsi_h5_attr_set_double(f, "reward_a", pt->rA);
            w |= mtsi_h5_attr_set_double(f, "max_abs_x_r", max_xr);
            if (H5Fclose(f) < 0 || w)
                rc = mtsi_out_write_error(out);
        }
        if (!rc)
            rc = mtsi_out_commit(tmp, out);
        else
            unlink(tmp);
    }
    free(tmp);
    free(out);
    free(x);
    return rc;
}

static int run_point(const sweep_opts *so, const point *pt, int st, int gst, mtsi_drift **drift,
                     mtsi_model_info *mi)
{
    char *out = path_join(so->dir, pt->name, ".h5");
    if (!out)
        return MTSI_ENOMEM;
    int rc = MTSI_OK;
    if (st == ST_RESUME) {
        rc = mtsi_run_resume(out, so->ckpt_every);
    } else if (st == ST_TODO) {
        mtsi_run_cfg cfg;
        memset(&cfg, 0, sizeof cfg);
        cfg.p = pt->p;
        cfg.o = pt->o;
        cfg.n = so->n_cfg;
        cfg.chains = so->chains;
        cfg.therm = so->therm;
        cfg.thin = so->thin;
        cfg.seed = pt->seed;
        cfg.out = out;
        cfg.force = 0;
        cfg.ckpt_every = so->ckpt_every;
        cfg.command_line = pt->cmdline;
        rc = mtsi_run_mcmc(&cfg);
    }
    free(out);
    if (!rc && gst == GEN_TODO && !mtsi_signal_pending())
        rc = generate_point(so, pt, drift, mi);
    return rc;
}

/* ---- summary ---------------------------------------------------------- */

typedef struct {
    int ok; /* analysed */
    mtsi_analysis_row rows[MTSI_ENS_NROWS];
    long n;
    double max_xr;
} point_stats;

static int analyse(const char *path, point_stats *ps, int generated)
{
    memset(ps, 0, sizeof *ps);
    mtsi_analysis_ens e;
    int rc = mtsi_analysis_load(path, 0, &e);
    if (!rc)
        rc = mtsi_analysis_run(&e, MTSI_GAMMA_STAU, path, ps->rows);
    if (!rc) {
        ps->ok = 1;
        ps->n = e.n;
    }
    mtsi_analysis_free(&e);
    if (!rc && generated) {
        hid_t f = mtsi_h5_open(path);
        if (f >= 0) {
            if (mtsi_h5_has_attr(f, "max_abs_x_r"))
                mtsi_h5_attr_get_double(f, "max_abs_x_r", &ps->max_xr, path);
            H5Fclose(f);
        }
    }
    return rc;
}

enum { R_M, R_ABSM, R_M2, R_M4, R_E, R_U4, R_CHI, R_XI2 };

static const mtsi_gamma_result *row(const point_stats *ps, int r)
{
    return ps->ok && ps->rows[r].ok ? &ps->rows[r].r : NULL;
}

/* The observables of a point as a JSON object (null without them). */
static json_t *json_obs(const point_stats *ps, int *rc)
{
    if (!ps->ok)
        return json_null();
    json_t *o = json_object();
    for (int r = 0; r < MTSI_ENS_NROWS; r++) {
        const mtsi_gamma_result *g = row(ps, r);
        json_t *x = json_object();
        mtsi_json_set(x, "mean", mtsi_json_num(g ? g->value : NAN), rc);
        mtsi_json_set(x, "err", mtsi_json_num(g ? g->err : NAN), rc);
        mtsi_json_set(x, "tau_int", mtsi_json_num(g ? g->tau_int : NAN), rc);
        mtsi_json_set(o, mtsi_analysis_row_names[r], x, rc);
    }
    return o;
}

static double zscore(const point_stats *a, const point_stats *b, int r)
{
    const mtsi_gamma_result *x = row(a, r), *y = row(b, r);
    return x && y ? mtsi_compare_z(x->value, x->err, y->value, y->err) : NAN;
}

/* The coupling axis along which U4 curves are crossed: the first coupling
 * with several values (-1: none). */
static int varied_axis(const sweep_opts *so)
{
    for (int c = 0; c < so->nc; c++)
        if (so->n[AX_C0 + c] > 1)
            return AX_C0 + c;
    return -1;
}

static const char *axis_key(const sweep_opts *so, int a)
{
    if (a >= AX_C0 && a <= AX_C2)
        return conv_key[so->conv][a - AX_C0];
    return a == AX_H ? "field_h" : a == AX_A ? "quad_a" : "L";
}

typedef struct {
    long L1, L2;
    int rep; /* a point of the group (its other axes fix the group) */
    mtsi_sweep_crossing c;
} crossing;

/* Indices of the L axis sorted by L. */
static void sorted_axis(const sweep_opts *so, int a, int *order)
{
    int n = so->n[a];
    for (int i = 0; i < n; i++)
        order[i] = i;
    for (int i = 1; i < n; i++) /* insertion sort: axes are short */
        for (int j = i; j > 0 && so->v[a][order[j]] < so->v[a][order[j - 1]]; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
}

/* Binder crossings of consecutive L (ascending) along the varied axis, for
 * every combination of the other axes. */
static int crossings(const sweep_opts *so, const point *pts, const point_stats *ps,
                     crossing **out, int *nout)
{
    *out = NULL;
    *nout = 0;
    int va = varied_axis(so), nL = so->n[AX_L];
    if (nL < 2)
        return MTSI_OK;
    long ngroups = 1;
    for (int a = AX_C0; a < NAX; a++)
        if (a != va)
            ngroups *= so->n[a];
    int nv = va >= 0 ? so->n[va] : 1;
    crossing *cr = calloc((size_t)(ngroups * (nL - 1)), sizeof *cr);
    int *Lord = malloc((size_t)nL * sizeof(int));
    int *vord = malloc((size_t)nv * sizeof(int));
    double *buf = malloc((size_t)nv * 5 * sizeof(double));
    if (!cr || !Lord || !vord || !buf) {
        free(cr);
        free(Lord);
        free(vord);
        free(buf);
        return mtsi_error_set(MTSI_ENOMEM, "out of memory");
    }
    sorted_axis(so, AX_L, Lord);
    if (va >= 0)
        sorted_axis(so, va, vord);
    else
        vord[0] = 0;
    int k = 0;
    for (long g = 0; g < ngroups; g++) {
        /* the group's indices on the axes other than L and va */
        int idx[NAX] = {0};
        long r = g;
        for (int a = NAX - 1; a >= AX_C0; a--) {
            if (a == va)
                continue;
            idx[a] = (int)(r % so->n[a]);
            r /= so->n[a];
        }
        for (int l = 0; l + 1 < nL; l++) {
            crossing *c = &cr[k++];
            idx[AX_L] = Lord[l];
            if (va >= 0)
                idx[va] = 0;
            c->rep = (int)grid_index(so, idx);
            c->L1 = (long)so->v[AX_L][Lord[l]];
            c->L2 = (long)so->v[AX_L][Lord[l + 1]];
            if (va < 0) {
                snprintf(c->c.reason, sizeof c->c.reason,
                         "no coupling axis has more than one value");
                continue;
            }
            double *x = buf, *u1 = buf + nv, *e1 = buf + 2 * nv, *u2 = buf + 3 * nv,
                   *e2 = buf + 4 * nv;
            int m = 0;
            for (int j = 0; j < nv; j++) {
                idx[va] = vord[j];
                idx[AX_L] = Lord[l];
                const mtsi_gamma_result *a = row(&ps[grid_index(so, idx)], R_U4);
                idx[AX_L] = Lord[l + 1];
                const mtsi_gamma_result *b = row(&ps[grid_index(so, idx)], R_U4);
                if (!a || !b)
                    continue;
                x[m] = so->v[va][vord[j]];
                u1[m] = a->value;
                e1[m] = a->err;
                u2[m] = b->value;
                e2[m] = b->err;
                m++;
            }
            if (m < 2) {
                snprintf(c->c.reason, sizeof c->c.reason,
                         "U4 known for both L at %d value%s of %s (points not done)", m,
                         m == 1 ? "" : "s", axis_key(so, va));
                continue;
            }
            if (mtsi_sweep_binder_crossing(m, x, u1, e1, u2, e2, &c->c))
                snprintf(c->c.reason, sizeof c->c.reason, "%s", mtsi_error_msg());
        }
    }
    (void)pts;
    free(Lord);
    free(vord);
    free(buf);
    *out = cr;
    *nout = k;
    return MTSI_OK;
}

static const char *status_name(int st, int res)
{
    if (st == ST_DONE)
        return "done";
    if (res == RES_FAIL)
        return "failed";
    if (res == RES_INTR || st == ST_RESUME)
        return "checkpointed";
    return "pending";
}

static const char *gen_status_name(int gst, int res)
{
    switch (gst) {
    case GEN_DONE: return "done";
    case GEN_UNREACHABLE: return "unreachable";
    default: return res == RES_FAIL ? "failed" : "pending";
    }
}

/* summary.json: the run, one point per line (its observables and
 * generated samples on lines of their own), the Binder crossings. Reals
 * in the shortest spelling that reads back exactly. */
static int write_json(FILE *f, const sweep_opts *so, const point *pts, long npt, const int *st,
                      const int *res, const int *gst, const int *gres, const point_stats *ps,
                      const point_stats *gs, const crossing *cr, int ncr)
{
    static const mtsi_json_layout lay[] = {
        {"", NULL, NULL, NULL, "\n"},
        {"error_method", "\n ", NULL, NULL, NULL},
        {"points", "\n ", "\n  ", "\n  ", "\n "},
        {"points/*/observables", "\n   ", NULL, NULL, NULL},
        {"points/*/generated", "\n   ", NULL, NULL, NULL},
        {"binder_crossing", "\n ", "\n  ", "\n  ", "\n "}};
    long ndone = 0;
    for (long k = 0; k < npt; k++)
        ndone += st[k] == ST_DONE;
    int va = varied_axis(so), rc = MTSI_OK;
    json_t *doc = json_object(), *jp = json_array();
    if (!doc || !jp) {
        json_decref(doc);
        json_decref(jp);
        return mtsi_error_set(MTSI_ENOMEM, "no memory for summary.json");
    }
    mtsi_json_set(doc, "mtsi_version", json_string(PACKAGE_VERSION), &rc);
    mtsi_json_set(doc, "convention", json_string(conv_json[so->conv]), &rc);
    mtsi_json_set(doc, "dim", json_integer(so->dim), &rc);
    mtsi_json_set(doc, "n", json_integer(so->n_cfg), &rc);
    mtsi_json_set(doc, "chains", json_integer(so->chains), &rc);
    mtsi_json_set(doc, "sampler", mtsi_json_str(so->sampler), &rc);
    mtsi_json_set(doc, "seed", json_integer((json_int_t)so->seed), &rc);
    mtsi_json_set(doc, "n_points", json_integer(npt), &rc);
    mtsi_json_set(doc, "n_done", json_integer(ndone), &rc);
    mtsi_json_set(doc, "complete", json_boolean(ndone == npt), &rc);
    mtsi_json_set(doc, "error_method", json_string("gamma"), &rc);
    mtsi_json_set(doc, "generate_model", mtsi_json_str(so->model), &rc);
    for (long k = 0; k < npt && !rc; k++) {
        const point *pt = &pts[k];
        json_t *o = json_object();
        char fn[300];
        snprintf(fn, sizeof fn, "%s.h5", pt->name);
        mtsi_json_set(o, "index", json_integer(k), &rc);
        mtsi_json_set(o, "file", mtsi_json_str(fn), &rc);
        mtsi_json_set(o, "status", json_string(status_name(st[k], res[k])), &rc);
        mtsi_json_set(o, "L", json_integer(pt->L), &rc);
        mtsi_json_set(o, "dim", json_integer(pt->p.dim), &rc);
        mtsi_json_set(o, "chi", mtsi_json_num(pt->p.chi), &rc);
        mtsi_json_set(o, "kappa", mtsi_json_num(pt->p.kappa), &rc);
        mtsi_json_set(o, "gamma", mtsi_json_num(pt->p.gamma), &rc);
        mtsi_json_set(o, "m2", mtsi_json_num(so->conv == CONV_ML ? pt->c[0] : NAN), &rc);
        mtsi_json_set(o, "lambda", mtsi_json_num(so->conv == CONV_ML ? pt->c[1] : NAN), &rc);
        mtsi_json_set(o, "kappa_hop", mtsi_json_num(so->conv == CONV_HOP ? pt->c[0] : NAN), &rc);
        mtsi_json_set(o, "lambda_hop", mtsi_json_num(so->conv == CONV_HOP ? pt->c[1] : NAN), &rc);
        mtsi_json_set(o, "field_h", mtsi_json_num(pt->h), &rc);
        mtsi_json_set(o, "quad_a", mtsi_json_num(pt->A), &rc);
        mtsi_json_set(o, "seed", json_integer((json_int_t)pt->seed), &rc);
        mtsi_json_set(o, "n", json_integer(ps[k].ok ? ps[k].n : so->n_cfg), &rc);
        mtsi_json_set(o, "observables", json_obs(&ps[k], &rc), &rc);
        if (so->model) {
            json_t *g = json_null();
            if (gst[k] != GEN_NONE) {
                char gfn[300];
                snprintf(gfn, sizeof gfn, "%s_generated.h5", pt->name);
                g = json_object();
                mtsi_json_set(g, "file", gst[k] == GEN_UNREACHABLE ? json_null() : mtsi_json_str(gfn),
                              &rc);
                mtsi_json_set(g, "status", json_string(gen_status_name(gst[k], gres[k])), &rc);
                mtsi_json_set(g, "reward_h", mtsi_json_num(pt->rh), &rc);
                mtsi_json_set(g, "reward_a", mtsi_json_num(pt->rA), &rc);
                if (gst[k] == GEN_UNREACHABLE) {
                    char why[200];
                    snprintf(why, sizeof why,
                             "A = %.10g > 0 relative to the model's law is not reachable from "
                             "noise (feasible only for alpha <= 1/(1 + sqrt(A)))",
                             pt->rA);
                    mtsi_json_set(g, "reason", mtsi_json_str(why), &rc);
                }
                mtsi_json_set(g, "max_abs_x_r", mtsi_json_num(gs[k].ok ? gs[k].max_xr : NAN), &rc);
                mtsi_json_set(g, "observables", json_obs(&gs[k], &rc), &rc);
                json_t *z = json_null();
                if (gs[k].ok && ps[k].ok) {
                    z = json_object();
                    for (int r = 0; r < MTSI_ENS_NROWS; r++)
                        mtsi_json_set(z, mtsi_analysis_row_names[r],
                                      mtsi_json_num(zscore(&gs[k], &ps[k], r)), &rc);
                }
                mtsi_json_set(g, "z", z, &rc);
            }
            mtsi_json_set(o, "generated", g, &rc);
        }
        mtsi_json_append(jp, o, &rc);
    }
    mtsi_json_set(doc, "points", jp, &rc);
    json_t *jc = json_null();
    if (so->n[AX_L] >= 2) {
        jc = json_array();
        for (int i = 0; i < ncr && !rc; i++) {
            const crossing *c = &cr[i];
            const point *rep = &pts[c->rep];
            json_t *o = json_object();
            mtsi_json_set(o, "L1", json_integer(c->L1), &rc);
            mtsi_json_set(o, "L2", json_integer(c->L2), &rc);
            mtsi_json_set(o, "axis", va >= 0 ? json_string(axis_key(so, va)) : json_null(), &rc);
            for (int a = AX_C0; a < NAX; a++) {
                if (a == va || (a >= AX_C0 && a <= AX_C2 && a - AX_C0 >= so->nc))
                    continue;
                mtsi_json_set(o, axis_key(so, a), mtsi_json_num(so->v[a][rep->idx[a]]), &rc);
            }
            mtsi_json_set(o, "value", mtsi_json_num(c->c.found ? c->c.x : NAN), &rc);
            mtsi_json_set(o, "err", mtsi_json_num(c->c.found ? c->c.x_err : NAN), &rc);
            mtsi_json_set(o, "u4", mtsi_json_num(c->c.found ? c->c.u4 : NAN), &rc);
            mtsi_json_set(o, "u4_err", mtsi_json_num(c->c.found ? c->c.u4_err : NAN), &rc);
            mtsi_json_set(o, "n_crossings", json_integer(c->c.ncross), &rc);
            mtsi_json_set(o, "method",
                          json_string("linear interpolation of U4, linear error propagation"), &rc);
            mtsi_json_set(o, "reason", c->c.found ? json_null() : mtsi_json_str(c->c.reason), &rc);
            mtsi_json_append(jc, o, &rc);
        }
    }
    mtsi_json_set(doc, "binder_crossing", jc, &rc);
    if (!rc)
        rc = mtsi_json_write(f, doc, MTSI_JSON_SHORTEST, lay, (int)(sizeof lay / sizeof lay[0]));
    json_decref(doc);
    return rc;
}

static void pm(char *buf, size_t n, const mtsi_gamma_result *g)
{
    if (g)
        snprintf(buf, n, "%.5g +- %.2g", g->value, g->err);
    else
        snprintf(buf, n, "-");
}

static void table_row(FILE *f, const sweep_opts *so, long k, const point *pt, const char *status,
                      const point_stats *ps)
{
    char a[48], b[48], c[48], t[24], num[40];
    fprintf(f, "%5ld %5ld", k, pt->L);
    for (int i = 0; i < so->nc; i++) {
        fmt_num(num, sizeof num, pt->c[i]);
        fprintf(f, " %10s", num);
    }
    fmt_num(num, sizeof num, pt->h);
    fprintf(f, " %9s", num);
    fmt_num(num, sizeof num, pt->A);
    fprintf(f, " %7s", num);
    pm(a, sizeof a, row(ps, R_ABSM));
    pm(b, sizeof b, row(ps, R_CHI));
    pm(c, sizeof c, row(ps, R_U4));
    if (row(ps, R_ABSM))
        snprintf(t, sizeof t, "%.2f", row(ps, R_ABSM)->tau_int);
    else
        snprintf(t, sizeof t, "-");
    fprintf(f, "  %-20s %-20s %-20s %8s  %s\n", a, b, c, t, status);
}

static void table_header(FILE *f, const sweep_opts *so)
{
    fprintf(f, "%5s %5s", "idx", "L");
    for (int i = 0; i < so->nc; i++)
        fprintf(f, " %10s", conv_key[so->conv][i]);
    fprintf(f, " %9s %7s  %-20s %-20s %-20s %8s  %s\n", "h", "A", "<|M|>", "chi_M", "U4",
            "tau|M|", "status");
}

static void write_table(FILE *f, const sweep_opts *so, const point *pts, long npt, const int *st,
                        const int *res, const int *gst, const int *gres, const point_stats *ps,
                        const point_stats *gs, const crossing *cr, int ncr)
{
    long ndone = 0;
    for (long k = 0; k < npt; k++)
        ndone += st[k] == ST_DONE;
    fprintf(f, "mtsi sweep: %ld of %ld points done, dim %ld, n %ld, sampler %s\n", ndone, npt,
            so->dim, so->n_cfg, so->sampler);
    fprintf(f, "errors: Gamma-method; tau|M| in stored configurations\n\n");
    table_header(f, so);
    for (long k = 0; k < npt; k++) {
        table_row(f, so, k, &pts[k], status_name(st[k], res[k]), &ps[k]);
        if (so->model && gst[k] != GEN_NONE) {
            char z[96] = "";
            if (gs[k].ok && ps[k].ok)
                snprintf(z, sizeof z, "z: |M| %+.2f chi %+.2f U4 %+.2f", zscore(&gs[k], &ps[k], R_ABSM),
                         zscore(&gs[k], &ps[k], R_CHI), zscore(&gs[k], &ps[k], R_U4));
            else
                snprintf(z, sizeof z, "generated %s", gen_status_name(gst[k], gres[k]));
            table_row(f, so, k, &pts[k], z, &gs[k]);
        }
    }
    if (so->n[AX_L] >= 2) {
        int va = varied_axis(so);
        fprintf(f, "\nBinder crossings%s%s:\n", va >= 0 ? " along " : "",
                va >= 0 ? axis_key(so, va) : "");
        for (int i = 0; i < ncr; i++) {
            const crossing *c = &cr[i];
            const point *rep = &pts[c->rep];
            fprintf(f, "  L %ld/%ld", c->L1, c->L2);
            for (int a = AX_C0; a < NAX; a++) {
                if (a == va || (a >= AX_C0 && a <= AX_C2 && a - AX_C0 >= so->nc))
                    continue;
                fprintf(f, " %s %.10g", axis_key(so, a), so->v[a][rep->idx[a]]);
            }
            if (c->c.found)
                fprintf(f, ": %s* = %.6g +- %.2g, U4* = %.4g +- %.2g%s\n", axis_key(so, va),
                        c->c.x, c->c.x_err, c->c.u4, c->c.u4_err,
                        c->c.ncross > 1 ? " (first of several crossings)" : "");
            else
                fprintf(f, ": none (%s)\n", c->c.reason);
        }
    }
}

/* Writes DIR/summary.json and DIR/summary.txt (temporary name + rename) and
 * prints the table on stdout. */
static int summarise(const sweep_opts *so, const point *pts, long npt, const int *st,
                     const int *res, const int *gst, const int *gres)
{
    point_stats *ps = calloc((size_t)npt, sizeof *ps), *gs = calloc((size_t)npt, sizeof *gs);
    if (!ps || !gs) {
        free(ps);
        free(gs);
        return mtsi_error_set(MTSI_ENOMEM, "out of memory");
    }
    int rc = MTSI_OK;
    for (long k = 0; k < npt && !rc; k++) {
        if (st[k] == ST_DONE) {
            char *p = path_join(so->dir, pts[k].name, ".h5");
            rc = p ? analyse(p, &ps[k], 0) : MTSI_ENOMEM;
            free(p);
        }
        if (!rc && gst[k] == GEN_DONE) {
            char *p = path_join(so->dir, pts[k].name, "_generated.h5");
            rc = p ? analyse(p, &gs[k], 1) : MTSI_ENOMEM;
            free(p);
        }
    }
    crossing *cr = NULL;
    int ncr = 0;
    if (!rc)
        rc = crossings(so, pts, ps, &cr, &ncr);
    const char *names[2] = {"summary.json", "summary.txt"};
    for (int w = 0; w < 2 && !rc; w++) {
        char *path = path_join(so->dir, names[w], "");
        char *tmp = path ? mtsi_out_tmpname(path) : NULL;
        FILE *f = tmp ? fopen(tmp, "w") : NULL;
        if (!f) {
            rc = mtsi_error_set(MTSI_EIO, "cannot write '%s' in --dir '%s'", names[w], so->dir);
        } else {
            if (w == 0)
                rc = write_json(f, so, pts, npt, st, res, gst, gres, ps, gs, cr, ncr);
            else
                write_table(f, so, pts, npt, st, res, gst, gres, ps, gs, cr, ncr);
            if ((ferror(f) | fclose(f)) && !rc)
                rc = mtsi_out_write_error(path);
            if (!rc)
                rc = mtsi_out_commit(tmp, path);
            if (rc)
                unlink(tmp);
        }
        free(tmp);
        free(path);
    }
    if (!rc) {
        write_table(stdout, so, pts, npt, st, res, gst, gres, ps, gs, cr, ncr);
        fflush(stdout);
    }
    free(cr);
    free(ps);
    free(gs);
    return rc;
}

static void free_points(point *pts, long npt)
{
    for (long k = 0; pts && k < npt; k++) {
        free(pts[k].cmdline);
        free(pts[k].gen_cmdline);
    }
    free(pts);
}

static void list_points(const sweep_opts *so, const point *pts, long npt)
{
    printf("# %ld points (indices for --task-id and SLURM arrays: 0-%ld)\n", npt, npt - 1);
    printf("# index file seed | equivalent command (run in --dir)\n");
    for (long k = 0; k < npt; k++)
        printf("%ld %s.h5 %llu | mtsi %s\n", k, pts[k].name, (unsigned long long)pts[k].seed,
               pts[k].cmdline);
    (void)so;
}

/* The sweep proper (mtsi_sweep_run.h); every rank runs it. */
/* The error of the run: stop here (every rank reaches the same verdict). */
#define FAIL()                                                                                     \
    do {                                                                                           \
        res->status = mtsi_error_code() ? mtsi_error_code() : MTSI_EFAIL;                          \
        goto done;                                                                                 \
    } while (0)
/* A mistake in the request: the message and a pointer to --help. */
#define USAGE_FAIL(...)                                                                            \
    do {                                                                                           \
        res->status = mtsi_error_set(MTSI_EINVAL, __VA_ARGS__);                                    \
        res->usage = 1;                                                                            \
        goto done;                                                                                 \
    } while (0)

void mtsi_sweep_run(mtsi_sweep_opts *sop, const mtsi_sweep_comm *comm, mtsi_sweep_result *res)
{
    memset(res, 0, sizeof *res);
    sweep_opts so = *sop;
    const int rank = comm->rank, nrank = comm->size;
    point *pts = NULL;
    long npt = 0;
    int *st = NULL, *gst = NULL, *res_ = NULL;
    mtsi_model_info mi;
    memset(&mi, 0, sizeof mi);
    mtsi_drift *drift = NULL;
    if (so.threads > 0)
        omp_set_num_threads((int)so.threads);
    npt = grid_size(&so);
    pts = calloc((size_t)npt, sizeof *pts);
    if (!pts) {
        mtsi_error_set(MTSI_ENOMEM, "out of memory for %ld points", npt);
        FAIL();
    }
    if (grid_build(&so, pts, npt))
        FAIL();
    if (so.list) {
        if (rank == 0)
            list_points(&so, pts, npt);
        goto done;
    }
    /* one point per SLURM array task unless told otherwise */
    if (so.task < 0 && !so.all && !so.collect) {
        const char *env = getenv("SLURM_ARRAY_TASK_ID");
        if (env && *env &&
            mtsi_parse_long_range("SLURM_ARRAY_TASK_ID", env, 0, 1L << 40, &so.task))
            FAIL();
    }
    if (so.all || so.collect)
        so.task = -1;
    if (so.task >= npt) {
        USAGE_FAIL("--task-id %ld is out of range: the grid has %ld points (0-%ld)", so.task,
                   npt, npt - 1);
    }
    if (so.task >= 0 && nrank > 1) {
        USAGE_FAIL("--task-id runs one point; start it without mpirun, or give --all to "
                   "spread the grid over the %d ranks",
                   nrank);
    }
    st = calloc((size_t)npt, sizeof(int));
    gst = calloc((size_t)npt, sizeof(int));
    res_ = calloc((size_t)npt * 2, sizeof(int));
    if (!st || !gst || !res_) {
        mtsi_error_set(MTSI_ENOMEM, "out of memory for %ld points", npt);
        FAIL();
    }
    int *gres = res_ + npt;
    /* rank 0 prepares the directory, reads the model and scans; everyone
     * then works from its verdict */
    int hdr[2] = {0, 0};
    if (rank == 0) {
        hdr[0] = make_dir(so.dir);
        if (!hdr[0] && so.model)
            hdr[0] = model_info_read(so.model, &mi);
    }
    comm->bcast(comm, hdr, sizeof hdr);
    if (hdr[0]) {
        if (rank != 0)
            mtsi_error_set(hdr[0], "failed on rank 0");
        FAIL();
    }
    comm->bcast(comm, &mi, sizeof mi);
    if (so.model) {
        long nmatch = 0;
        for (long k = 0; k < npt; k++) {
            point *pt = &pts[k];
            if (!model_matches(&mi, pt))
                continue;
            nmatch++;
            pt->rh = pt->h - mi.field_h;
            pt->rA = pt->A - mi.quad_a;
            /* A > 0 needs alpha <= 1/(1 + sqrt(A)): generation starts at alpha = 1 */
            gst[k] = pt->rA > 0 ? GEN_UNREACHABLE : GEN_TODO;
            mtsi_reward rw = {pt->rh, pt->rA, NULL, NULL};
            pt->gen_cmdline =
                sample_command(&so, &mi, pt, mtsi_generate_default_t0(&rw, pt->p.V, mi.model_type));
            if (!pt->gen_cmdline)
                FAIL();
        }
        if (!nmatch) {
            USAGE_FAIL("--generate: model '%s' (L = %ld, dim %d, chi %.10g, kappa %.10g, "
                       "gamma %.10g) matches no grid point",
                       so.model, mi.L, mi.dim, mi.chi, mi.kappa, mi.gamma);
        }
    }
    if (rank == 0)
        hdr[0] = scan(&so, pts, npt, so.task, st, gst);
    comm->bcast(comm, hdr, sizeof hdr);
    if (hdr[0]) {
        if (rank != 0)
            mtsi_error_set(hdr[0], "failed on rank 0");
        FAIL();
    }
    comm->bcast(comm, st, (size_t)npt * sizeof(int));
    comm->bcast(comm, gst, (size_t)npt * sizeof(int));

    /* Work: the pending points, largest lattices first, dealt round-robin.
     * The deal depends only on the scan, so every rank agrees on it. */
    long *work = malloc((size_t)npt * sizeof(long));
    if (!work) {
        mtsi_error_set(MTSI_ENOMEM, "out of memory");
        FAIL();
    }
    long nwork = 0;
    for (long k = 0; k < npt && !so.collect; k++)
        if ((so.task < 0 || k == so.task) && (st[k] != ST_DONE || gst[k] == GEN_TODO))
            work[nwork++] = k;
    for (long i = 1; i < nwork; i++) /* stable insertion sort by decreasing V */
        for (long j = i; j > 0 && pts[work[j]].p.V > pts[work[j - 1]].p.V; j--) {
            long t = work[j];
            work[j] = work[j - 1];
            work[j - 1] = t;
        }
    mtsi_signal_install();
    int interrupted = 0, failed = 0;
    for (long i = rank; i < nwork && !interrupted; i += nrank) {
        long k = work[i];
        if (mtsi_signal_pending()) {
            interrupted = 1;
            break;
        }
        double t0 = mtsi_wtime();
        int prc = run_point(&so, &pts[k], st[k], gst[k], &drift, &mi);
        int *slot = st[k] != ST_DONE ? &res_[k] : &gres[k];
        if (prc == MTSI_EINTR) {
            *slot = RES_INTR;
            interrupted = 1;
            fprintf(stderr, "mtsi sweep: rank %d: point %ld %s: %s\n", rank, k, pts[k].name,
                    mtsi_error_msg());
        } else if (prc) {
            /* the MCMC may be done while the generation failed */
            char *out = path_join(so.dir, pts[k].name, ".h5");
            if (st[k] != ST_DONE && out && access(out, F_OK) == 0)
                res_[k] = RES_OK, gres[k] = RES_FAIL;
            else
                *slot = RES_FAIL;
            free(out);
            failed = 1;
            fprintf(stderr, "mtsi sweep: rank %d: point %ld %s failed: %s\n", rank, k,
                    pts[k].name, mtsi_error_msg());
        } else {
            res_[k] = RES_OK;
            if (gst[k] == GEN_TODO)
                gres[k] = RES_OK;
            if (!so.quiet)
                fprintf(stderr, "mtsi sweep: rank %d: point %ld %s done in %.1f s\n", rank, k,
                        pts[k].name, mtsi_wtime() - t0);
        }
    }
    free(work);
    int flags[2] = {interrupted, failed};
    comm->max(comm, res_, (int)npt * 2);
    comm->max(comm, flags, 2);
    for (long k = 0; k < npt; k++) {
        if (res_[k] == RES_OK)
            st[k] = ST_DONE;
        if (gres[k] == RES_OK)
            gst[k] = GEN_DONE;
    }
    if (rank == 0) {
        int src;
        if (so.task >= 0) {
            /* one array task: this point's row; the summary is made by a
             * final `--collect` run (tasks run concurrently) */
            point_stats ps, gs;
            memset(&ps, 0, sizeof ps);
            memset(&gs, 0, sizeof gs);
            char *p = path_join(so.dir, pts[so.task].name, ".h5");
            src = st[so.task] == ST_DONE && p ? analyse(p, &ps, 0) : MTSI_OK;
            free(p);
            if (!src && gst[so.task] == GEN_DONE) {
                p = path_join(so.dir, pts[so.task].name, "_generated.h5");
                src = p ? analyse(p, &gs, 1) : MTSI_ENOMEM;
                free(p);
            }
            if (!src) {
                table_header(stdout, &so);
                table_row(stdout, &so, so.task, &pts[so.task],
                          status_name(st[so.task], res_[so.task]), &ps);
                if (gst[so.task] == GEN_DONE)
                    table_row(stdout, &so, so.task, &pts[so.task], "generated", &gs);
            }
        } else {
            src = summarise(&so, pts, npt, st, res_, gst, gres);
        }
        if (src)
            FAIL();
        if (so.collect) {
            long missing = 0;
            for (long k = 0; k < npt; k++)
                missing += st[k] != ST_DONE;
            if (missing)
                fprintf(stderr, "mtsi sweep: %ld of %ld points are not done yet\n", missing, npt);
        }
    }
    if (flags[0] && rank == 0)
        fprintf(stderr, "mtsi sweep: interrupted; finished points are kept and checkpointed ones "
                        "resume: run the same command again to continue\n");
    res->interrupted = flags[0];
    res->failed = flags[1];
done:
    mtsi_drift_free(drift);
    free(st);
    free(gst);
    free(res_);
    free_points(pts, npt);
}

#undef FAIL
#undef USAGE_FAIL

