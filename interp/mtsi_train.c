/* Algorithm 1 (SPEC.md section 1.1): regress b̂(α, I_α) on x0 − x1 with
 * α ~ ν, x0 ~ N(0, I), x1 from an ensemble. One training step:
 *
 *   for each sample: x1 = g·(next configuration of the epoch's order)
 *                    (g a random lattice symmetry when augmenting),
 *                    α ~ ν, x0 ~ N(0, I), input α ⊙ x0 + (1 − α) ⊙ x1,
 *                    target x0 − x1;
 *   loss = mean over samples and sites of (b̂ − target)²;
 *   backward, AdamW step (clipping, schedule and EMA in lib/nn).
 *
 * All randomness of a step comes from one stream drawn in a fixed order,
 * and the network is bitwise reproducible for a fixed thread count, so
 * the checkpoint (RNG state, epoch order and cursor, the partial loss sum
 * of the current history entry, lib/nn state) is all a resumed run needs
 * to repeat the uninterrupted one exactly. */
#include "config.h"
#include "mtsi_train.h"
#include "mtsi_cli.h"
#include "mtsi_ensemble.h"
#include "mtsi_err.h"
#include "mtsi_h5.h"
#include "mtsi_nn.h" /* before mtsi_model.h, which names struct mtsi_nn_net */
#include "mtsi_model.h"

#include <inttypes.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TRAIN_FORMAT "mtsi-train/1"
#define HCOLS 4

static const char *const nu_names[MTSI_NU_NCOMP] = {"scalar", "site", "mask", "block"};

/* ---- ν ------------------------------------------------------------------ */

void mtsi_nu_default(mtsi_nu *nu)
{
    nu->w[MTSI_NU_SCALAR] = 0.4;
    nu->w[MTSI_NU_SITE] = 0.2;
    nu->w[MTSI_NU_MASK] = 0.3;
    nu->w[MTSI_NU_BLOCK] = 0.1;
    nu->block = 4;
}

int mtsi_nu_parse(mtsi_nu *nu, const char *s)
{
    double w[MTSI_NU_NCOMP] = {0, 0, 0, 0};
    int seen[MTSI_NU_NCOMP] = {0, 0, 0, 0};
    char buf[256];
    if (!s || !*s)
        return mtsi_error_set(MTSI_EINVAL, "--nu: empty mixture (expected e.g. "
                                           "'scalar=0.4,site=0.2,mask=0.3,block=0.1')");
    if (strlen(s) >= sizeof buf)
        return mtsi_error_set(MTSI_EINVAL, "--nu: string too long");
    strcpy(buf, s);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq)
            return mtsi_error_set(MTSI_EINVAL, "--nu: expected KEY=WEIGHT, got '%s'", tok);
        *eq = 0;
        int k = -1;
        for (int i = 0; i < MTSI_NU_NCOMP; i++)
            if (!strcmp(tok, nu_names[i]))
                k = i;
        if (k < 0)
            return mtsi_error_set(MTSI_EINVAL,
                                  "--nu: unknown component '%s' (scalar, site, mask, block)", tok);
        if (seen[k])
            return mtsi_error_set(MTSI_EINVAL, "--nu: component '%s' given twice", tok);
        seen[k] = 1;
        char *end;
        double v = strtod(eq + 1, &end);
        if (end == eq + 1 || *end || !isfinite(v) || v < 0)
            return mtsi_error_set(MTSI_EINVAL, "--nu: weight of '%s' must be a number >= 0, got '%s'",
                                  tok, eq + 1);
        w[k] = v;
    }
    double sum = 0;
    for (int i = 0; i < MTSI_NU_NCOMP; i++)
        sum += w[i];
    if (!(sum > 0))
        return mtsi_error_set(MTSI_EINVAL, "--nu: the weights sum to 0 in '%s'", s);
    for (int i = 0; i < MTSI_NU_NCOMP; i++)
        nu->w[i] = w[i] / sum;
    return MTSI_OK;
}

void mtsi_nu_format(const mtsi_nu *nu, char *buf, int n)
{
    snprintf(buf, (size_t)n, "scalar=%.17g,site=%.17g,mask=%.17g,block=%.17g",
             nu->w[MTSI_NU_SCALAR], nu->w[MTSI_NU_SITE], nu->w[MTSI_NU_MASK],
             nu->w[MTSI_NU_BLOCK]);
}

int mtsi_nu_sample(const mtsi_nu *nu, int dim, long L, mtsi_rng *r, long *work, double *alpha)
{
    long V = dim == 1 ? L : dim == 2 ? L * L : L * L * L;
    double c = mtsi_rng_uniform(r), acc = 0;
    int k = MTSI_NU_NCOMP - 1;
    while (k > 0 && nu->w[k] == 0)
        k--; /* the last component with weight catches rounding at c ~ 1 */
    for (int i = 0; i < MTSI_NU_NCOMP; i++) {
        acc += nu->w[i];
        if (nu->w[i] > 0 && c < acc) {
            k = i;
            break;
        }
    }
    switch (k) {
    case MTSI_NU_SCALAR: {
        double u = mtsi_rng_uniform(r);
        for (long a = 0; a < V; a++)
            alpha[a] = u;
        break;
    }
    case MTSI_NU_SITE:
        for (long a = 0; a < V; a++)
            alpha[a] = mtsi_rng_uniform(r);
        break;
    case MTSI_NU_MASK: {
        /* exactly round(f V) sites at 0: the first m of a partial
         * Fisher-Yates shuffle. */
        double f = mtsi_rng_uniform(r), u = mtsi_rng_uniform(r);
        long m = (long)floor(f * (double)V + 0.5);
        for (long a = 0; a < V; a++) {
            work[a] = a;
            alpha[a] = u;
        }
        for (long i = 0; i < m; i++) {
            long j = i + (long)mtsi_rng_below(r, (uint64_t)(V - i));
            long t = work[i];
            work[i] = work[j];
            work[j] = t;
            alpha[work[i]] = 0;
        }
        break;
    }
    default: {
        /* blocks in raster order, each with its own u */
        long s = nu->block < 1 ? 1 : nu->block > L ? L : nu->block;
        if (dim == 1) {
            for (long b0 = 0; b0 < L; b0 += s) {
                double u = mtsi_rng_uniform(r);
                for (long i = b0; i < b0 + s && i < L; i++)
                    alpha[i] = u;
            }
        } else {
            long nz = dim == 3 ? L : 1;
            for (long z0 = 0; z0 < nz; z0 += s)
                for (long y0 = 0; y0 < L; y0 += s)
                    for (long x0 = 0; x0 < L; x0 += s) {
                        double u = mtsi_rng_uniform(r);
                        for (long z = z0; z < (dim == 3 ? z0 + s : 1) && z < nz; z++)
                            for (long y = y0; y < y0 + s && y < L; y++)
                                for (long x = x0; x < x0 + s && x < L; x++)
                                    alpha[(z * L + y) * L + x] = u;
                    }
        }
        break;
    }
    }
    return k;
}

/* ---- augmentation ------------------------------------------------------- */

void mtsi_augment(int dim, long L, mtsi_rng *r, const double *x, double *y)
{
    if (dim == 1) {
        long t = (long)mtsi_rng_below(r, (uint64_t)L);
        int refl = (int)mtsi_rng_below(r, 2);
        double sg = mtsi_rng_below(r, 2) ? -1.0 : 1.0;
        for (long i = 0; i < L; i++) {
            long j = refl ? L - 1 - i : i;
            y[i] = sg * x[(j + t) % L];
        }
        return;
    }
    long tx = (long)mtsi_rng_below(r, (uint64_t)L), ty = (long)mtsi_rng_below(r, (uint64_t)L);
    int g = (int)mtsi_rng_below(r, 8); /* bit 0: transpose, 1: flip rows, 2: flip columns */
    double sg = mtsi_rng_below(r, 2) ? -1.0 : 1.0;
    for (long i = 0; i < L; i++)
        for (long j = 0; j < L; j++) {
            long a = (g & 2) ? L - 1 - i : i, b = (g & 4) ? L - 1 - j : j;
            if (g & 1) {
                long t = a;
                a = b;
                b = t;
            }
            y[i * L + j] = sg * x[((a + tx) % L) * L + (b + ty) % L];
        }
}

/* ---- configuration ------------------------------------------------------ */

void mtsi_train_defaults(mtsi_train_cfg *c)
{
    memset(c, 0, sizeof *c);
    mtsi_nn_opt_config_default(&c->opt);
    c->opt.lr = 1e-3;
    c->opt.ema = 0.99; /* ~100-step average: 0.999 lags runs of a few thousand steps */
    c->steps = 2000;
    c->batch = 32;
    mtsi_nu_default(&c->nu);
    c->augment = 1;
    c->val_frac = 0.1;
    c->val_max = 512;
    c->seed = 1;
    c->log_every = 50;
    c->ckpt_every = 500;
}

int mtsi_train_arch(int dim, const char *spec, mtsi_nn_arch *a)
{
    mtsi_nn_arch_default(a);
    a->pad = MTSI_NN_PAD_CIRCULAR;
    a->odd = 1;
    if (dim == 1)
        a->kh = 1;
    if (spec && *spec) {
        int rc = mtsi_nn_arch_parse(a, spec);
        if (rc) {
            char m[512];
            snprintf(m, sizeof m, "%s", mtsi_error_msg());
            return mtsi_error_set(MTSI_EINVAL, "--arch: %s", m);
        }
    }
    if (a->in_ch != 1 || a->out_ch != 1 || a->cond_dim != 0)
        return mtsi_error_set(MTSI_EINVAL, "--arch: a lattice drift has in=1, out=1 and no "
                                           "conditioning vector");
    return mtsi_nn_arch_check(a);
}

static int check_cfg(const mtsi_train_cfg *c)
{
    if (c->steps < 1)
        return mtsi_error_set(MTSI_EINVAL, "--steps: must be >= 1, got %ld", c->steps);
    if (c->batch < 1 || c->batch > (1L << 20))
        return mtsi_error_set(MTSI_EINVAL, "--batch: must be in [1, 2^20], got %ld", c->batch);
    if (!(c->val_frac >= 0 && c->val_frac <= 0.9))
        return mtsi_error_set(MTSI_EINVAL, "--val-frac: must be in [0, 0.9], got %g", c->val_frac);
    if (c->val_max < 1)
        return mtsi_error_set(MTSI_EINVAL, "val_max: must be >= 1, got %ld", c->val_max);
    if (c->log_every < 1)
        return mtsi_error_set(MTSI_EINVAL, "--log-every: must be >= 1, got %ld", c->log_every);
    if (c->ckpt_every < 0)
        return mtsi_error_set(MTSI_EINVAL, "--checkpoint-every: must be >= 0, got %ld",
                              c->ckpt_every);
    if (c->nu.block < 1)
        return mtsi_error_set(MTSI_EINVAL, "--block: must be >= 1, got %ld", c->nu.block);
    double sum = 0;
    for (int i = 0; i < MTSI_NU_NCOMP; i++) {
        if (!(c->nu.w[i] >= 0) || !isfinite(c->nu.w[i]))
            return mtsi_error_set(MTSI_EINVAL, "--nu: bad weight %g for '%s'", c->nu.w[i],
                                  nu_names[i]);
        sum += c->nu.w[i];
    }
    if (fabs(sum - 1) > 1e-9)
        return mtsi_error_set(MTSI_EINVAL, "--nu: weights sum to %g, not 1", sum);
    if (mtsi_nn_opt_config_check(&c->opt)) {
        char m[512];
        snprintf(m, sizeof m, "%s", mtsi_error_msg());
        return mtsi_error_set(MTSI_EINVAL, "%s", m);
    }
    return MTSI_OK;
}

/* ---- the trainer ---------------------------------------------------------- */

typedef struct {
    mtsi_train_cfg c;
    mtsi_ensemble e;
    mtsi_nn_arch arch;
    int dim, h, w;
    long L, V, n_train, n_val, vchunk;
    uint64_t data_sum;
    mtsi_nn_net *net, *vnet;
    mtsi_nn_opt *opt;
    mtsi_rng rng;
    long *order, cursor, epoch, step;
    long *work;
    double *x1, *x1aug, *alpha, *x0;
    mtsi_nn_real *xin, *al, *tgt, *out, *dout;  /* batch × V */
    mtsi_nn_real *vx, *va, *vt;                 /* n_val × V, the fixed draw */
    mtsi_nn_real *cx, *ca, *cout;               /* vchunk × V */
    double *hist;
    long nhist, caphist;
    double loss_sum;
    long loss_count;
    char *cmdline;
    char what[1100];
} trainer;

static void trainer_free(trainer *t)
{
    mtsi_ensemble_free(&t->e);
    mtsi_nn_net_free(t->net);
    mtsi_nn_net_free(t->vnet);
    mtsi_nn_opt_free(t->opt);
    free(t->order);
    free(t->work);
    free(t->x1);
    free(t->x1aug);
    free(t->alpha);
    free(t->x0);
    free(t->xin);
    free(t->al);
    free(t->tgt);
    free(t->out);
    free(t->dout);
    free(t->vx);
    free(t->va);
    free(t->vt);
    free(t->cx);
    free(t->ca);
    free(t->cout);
    free(t->hist);
    free(t->cmdline);
}

static uint64_t fnv1a(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static mtsi_nn_real *ralloc(long n)
{
    size_t bytes = (size_t)(n > 0 ? n : 1) * sizeof(mtsi_nn_real);
    mtsi_nn_real *p = mtsi_aligned_alloc(bytes);
    if (p)
        memset(p, 0, bytes);
    return p;
}

/* One sample of Algorithm 1 into row i of (xin, al, tgt). */
static void draw_sample(trainer *t, mtsi_rng *r, const double *x1, int augment,
                        mtsi_nn_real *xin, mtsi_nn_real *al, mtsi_nn_real *tg)
{
    const long V = t->V;
    const double *src = x1;
    if (augment) {
        mtsi_augment(t->dim, t->L, r, x1, t->x1aug);
        src = t->x1aug;
    }
    mtsi_nu_sample(&t->c.nu, t->dim, t->L, r, t->work, t->alpha);
    mtsi_rng_normal_fill(r, t->x0, V);
    for (long a = 0; a < V; a++) {
        double al_ = t->alpha[a];
        xin[a] = (mtsi_nn_real)(al_ * t->x0[a] + (1 - al_) * src[a]);
        al[a] = (mtsi_nn_real)al_;
        tg[a] = (mtsi_nn_real)(t->x0[a] - src[a]);
    }
}

static void shuffle(mtsi_rng *r, long *p, long n)
{
    for (long i = n - 1; i > 0; i--) {
        long j = (long)mtsi_rng_below(r, (uint64_t)(i + 1));
        long s = p[i];
        p[i] = p[j];
        p[j] = s;
    }
}

static long next_index(trainer *t)
{
    if (t->cursor >= t->n_train) {
        shuffle(&t->rng, t->order, t->n_train);
        t->cursor = 0;
        t->epoch++;
    }
    return t->order[t->cursor++];
}

/* Validation loss of the EMA weights on the fixed draw. */
static int validate(trainer *t, double *loss)
{
    *loss = NAN;
    if (t->n_val == 0)
        return MTSI_OK;
    int rc = mtsi_nn_net_set_params(t->vnet, mtsi_nn_opt_ema(t->opt), mtsi_nn_net_nparam(t->net));
    if (rc)
        return rc;
    const long V = t->V;
    double sum = 0;
    for (long s0 = 0; s0 < t->n_val; s0 += t->vchunk) {
        long m = t->n_val - s0 < t->vchunk ? t->n_val - s0 : t->vchunk;
        memcpy(t->cx, t->vx + s0 * V, (size_t)(m * V) * sizeof(mtsi_nn_real));
        memcpy(t->ca, t->va + s0 * V, (size_t)(m * V) * sizeof(mtsi_nn_real));
        rc = mtsi_nn_net_forward(t->vnet, t->cx, t->ca, NULL, t->cout);
        if (rc)
            return rc;
        const mtsi_nn_real *tg = t->vt + s0 * V;
        for (long i = 0; i < m * V; i++) {
            double d = (double)t->cout[i] - (double)tg[i];
            sum += d * d;
        }
    }
    *loss = sum / (double)(t->n_val * V);
    return MTSI_OK;
}

static int train_step(trainer *t, double *loss)
{
    const long B = t->c.batch, V = t->V;
    for (long i = 0; i < B; i++) {
        long idx = next_index(t);
        draw_sample(t, &t->rng, t->e.configs + idx * V, t->c.augment, t->xin + i * V,
                    t->al + i * V, t->tgt + i * V);
    }
    int rc = mtsi_nn_net_forward(t->net, t->xin, t->al, NULL, t->out);
    if (rc)
        return rc;
    const double scale = 2.0 / (double)(B * V);
    double sum = 0;
    for (long i = 0; i < B * V; i++) {
        double d = (double)t->out[i] - (double)t->tgt[i];
        sum += d * d;
        t->dout[i] = (mtsi_nn_real)(scale * d);
    }
    *loss = sum / (double)(B * V);
    if (!isfinite(*loss))
        return mtsi_error_set(MTSI_EFAIL, "training diverged: loss %g at step %ld (lower --lr or "
                                          "set --clip)",
                              *loss, t->step + 1);
    rc = mtsi_nn_net_backward(t->net, t->dout, 0, NULL, NULL, NULL);
    if (rc)
        return rc;
    rc = mtsi_nn_opt_step(t->opt, t->net, NULL);
    if (rc)
        return rc;
    t->step++;
    return MTSI_OK;
}

static int hist_push(trainer *t, const double *row)
{
    if (t->nhist == t->caphist) {
        long cap = t->caphist ? 2 * t->caphist : 64;
        double *h = realloc(t->hist, (size_t)(cap * HCOLS) * sizeof(double));
        if (!h)
            return mtsi_error_set(MTSI_ENOMEM, "out of memory for the loss history");
        t->hist = h;
        t->caphist = cap;
    }
    memcpy(t->hist + t->nhist * HCOLS, row, HCOLS * sizeof(double));
    t->nhist++;
    return MTSI_OK;
}

/* ---- checkpoint ------------------------------------------------------------ */

/* Datasets and groups without modification times, so that a resumed run
 * writes the same bytes as an uninterrupted one. */
static int write_ds(hid_t loc, const char *name, hid_t ftype, hid_t mtype, int rank,
                    const hsize_t *dims, const void *data)
{
    hid_t sp = H5Screate_simple(rank, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_obj_track_times(dcpl, 0);
    hid_t ds = H5Dcreate2(loc, name, ftype, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    int rc = MTSI_OK;
    if (ds < 0 || H5Dwrite(ds, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
        rc = mtsi_error_set(MTSI_EIO, "cannot write dataset /train/%s", name);
    if (ds >= 0)
        H5Dclose(ds);
    H5Pclose(dcpl);
    H5Sclose(sp);
    return rc;
}

static int write_train_group(trainer *t, hid_t f, int complete)
{
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
    H5Pset_obj_track_times(gcpl, 0);
    hid_t g = H5Gcreate2(f, "train", H5P_DEFAULT, gcpl, H5P_DEFAULT);
    H5Pclose(gcpl);
    if (g < 0)
        return mtsi_error_set(MTSI_EIO, "cannot create group /train");
    int rc;
    const mtsi_train_cfg *c = &t->c;
    char nu[256], sum[32];
    mtsi_nu_format(&c->nu, nu, sizeof nu);
    snprintf(sum, sizeof sum, "%016" PRIx64, t->data_sum);
    rc = mtsi_h5_attr_set_string(g, "format", TRAIN_FORMAT);
    rc = rc ? rc : mtsi_h5_attr_set_long(g, "steps", c->steps);
    rc = rc ? rc : mtsi_h5_attr_set_long(g, "step", t->step);
    rc = rc ? rc : mtsi_h5_attr_set_long(g, "complete", complete);
    rc = rc ? rc : mtsi_h5_attr_set_long(g, "batch", c->batch);
    rc = rc ? rc : mtsi_h5_attr_set_long(g, "seed", (long)c->seed);
    rc = rc ? rc : mtsi_h5_attr_set_string(g, "nu", nu);
    for (int i = 0; i < MTSI_NU_NCOMP && !rc; i++) {
        char name[32];
        snprintf(name, sizeof name, "nu_%s", nu_names[i]);
        rc = mtsi_h5_attr_set_double(g, name, c->nu.w[i]);
    }
    rc = rc ? rc : mtsi_h5_attr_set_long(g, "block", c->nu.block);
    rc = rc ? rc : mtsi_h5_attr_set_long(g, "augment", c->augment);
    rc = rc ? rc : mtsi_h5_attr_set_double(g, "val_frac", c->val_frac);
    rc = rc ? rc : mtsi_h5_attr_set_long(g, "val_max", c->val_max);
    rc = rc ? rc : mtsi_h5_attr_set_long(g, "log_every", c->log_every);
    rc = rc ? rc : mtsi_h5_attr_set_long(g, "ckpt_every", c->ckpt_every);
    rc = rc ? rc : mtsi_h5_attr_set_long(g, "threads", omp_get_max_threads());
    rc = rc ? rc : mtsi_h5_attr_set_long(g, "n_train", t->n_train);
    rc = rc ? rc : mtsi_h5_attr_set_long(g, "n_val", t->n_val);
    rc = rc ? rc : mtsi_h5_attr_set_string(g, "data", c->data);
    rc = rc ? rc : mtsi_h5_attr_set_long(g, "data_n", t->e.n);
    rc = rc ? rc : mtsi_h5_attr_set_string(g, "data_checksum", sum);
    rc = rc ? rc : mtsi_h5_attr_set_long(g, "cursor", t->cursor);
    rc = rc ? rc : mtsi_h5_attr_set_long(g, "epoch", t->epoch);
    rc = rc ? rc : mtsi_h5_attr_set_double(g, "loss_sum", t->loss_sum);
    rc = rc ? rc : mtsi_h5_attr_set_long(g, "loss_count", t->loss_count);
    rc = rc ? rc : mtsi_h5_attr_set_double(g, "rng_spare", t->rng.spare);
    rc = rc ? rc : mtsi_h5_attr_set_long(g, "rng_has_spare", t->rng.has_spare);
    hsize_t d1 = (hsize_t)t->n_train;
    rc = rc ? rc : write_ds(g, "order", H5T_STD_I64LE, H5T_NATIVE_LONG, 1, &d1, t->order);
    unsigned long long s[4];
    for (int i = 0; i < 4; i++)
        s[i] = t->rng.s[i];
    hsize_t d4 = 4;
    rc = rc ? rc : write_ds(g, "rng", H5T_STD_U64LE, H5T_NATIVE_ULLONG, 1, &d4, s);
    hsize_t dh[2] = {(hsize_t)t->nhist, HCOLS};
    double dummy = 0;
    rc = rc ? rc : write_ds(g, "history", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, dh,
                            t->hist ? t->hist : &dummy);
    if (!rc) {
        hid_t ds = H5Dopen2(g, "history", H5P_DEFAULT);
        if (ds < 0)
            rc = mtsi_error_set(MTSI_EIO, "cannot reopen /train/history");
        else {
            rc = mtsi_h5_attr_set_string(ds, "columns", "step,train_loss,val_loss,lr");
            H5Dclose(ds);
        }
    }
    H5Gclose(g);
    return rc;
}

static int write_checkpoint(trainer *t, int complete)
{
    char *tmp = mtsi_out_tmpname(t->c.out);
    if (!tmp)
        return mtsi_error_code() ? mtsi_error_code() : MTSI_ENOMEM;
    hid_t f = mtsi_h5_create(tmp);
    if (f < 0) {
        free(tmp);
        return mtsi_error_code();
    }
    mtsi_model_info info;
    memset(&info, 0, sizeof info);
    snprintf(info.model_type, sizeof info.model_type, "neural");
    info.dim = t->dim;
    info.L = t->L;
    info.V = t->V;
    info.chi = t->e.chi;
    info.kappa = t->e.kappa;
    info.gamma = t->e.gamma;
    info.field_h = t->e.field_h;
    info.quad_a = t->e.quad_a;
    snprintf(info.data, sizeof info.data, "%s", t->c.data);
    int rc = mtsi_model_write_info(f, &info, t->cmdline ? t->cmdline : "");
    rc = rc ? rc : mtsi_nn_save_h5(f, "model", t->net, t->opt);
    rc = rc ? rc : write_train_group(t, f, complete);
    if (H5Fclose(f) < 0 && !rc)
        rc = mtsi_error_set(MTSI_EIO, "cannot finish writing '%s'", tmp);
    if (!rc)
        rc = mtsi_out_commit(tmp, t->c.out);
    if (rc)
        unlink(tmp);
    free(tmp);
    return rc;
}

/* ---- reading a checkpoint ----------------------------------------------- */

static int get_long(hid_t g, const char *name, long *v, const char *what)
{
    return mtsi_h5_attr_get_long(g, name, v, what);
}

/* Opens `path` as a training checkpoint: returns the file with *g the
 * /train group, or a negative id with one error message. */
static hid_t open_ckpt(const char *path, hid_t *g, mtsi_model_info *info, char *what, size_t nw)
{
    snprintf(what, nw, "model '%s'", path);
    if (mtsi_in_check(path))
        return -1;
    hid_t f = mtsi_h5_open(path);
    if (f < 0)
        return -1;
    int rc = mtsi_model_read_info(f, what, info);
    if (!rc && strcmp(info->model_type, "neural"))
        rc = mtsi_error_set(MTSI_EINVAL, "%s: a %s model is not a training checkpoint", what,
                            info->model_type);
    if (!rc && !mtsi_h5_has(f, "train"))
        rc = mtsi_error_set(MTSI_EINVAL, "%s: no /train group (not a training checkpoint)", what);
    *g = -1;
    if (!rc) {
        *g = H5Gopen2(f, "train", H5P_DEFAULT);
        if (*g < 0)
            rc = mtsi_error_set(MTSI_EINVAL, "%s: cannot open /train (corrupt file?)", what);
    }
    char fmt[64];
    if (!rc)
        rc = mtsi_h5_attr_get_string(*g, "format", fmt, sizeof fmt, what);
    if (!rc && strcmp(fmt, TRAIN_FORMAT))
        rc = mtsi_error_set(MTSI_EINVAL, "%s: training format '%s' is not supported (expected '%s')",
                            what, fmt, TRAIN_FORMAT);
    if (rc) {
        if (*g >= 0)
            H5Gclose(*g);
        H5Fclose(f);
        return -1;
    }
    return f;
}

int mtsi_train_read_cfg(const char *path, mtsi_train_cfg *c)
{
    char what[1100];
    mtsi_model_info info;
    hid_t g;
    hid_t f = open_ckpt(path, &g, &info, what, sizeof what);
    if (f < 0)
        return mtsi_error_code() ? mtsi_error_code() : MTSI_EINVAL;
    long seed = 0, augment = 0;
    int rc = get_long(g, "steps", &c->steps, what);
    rc = rc ? rc : get_long(g, "batch", &c->batch, what);
    rc = rc ? rc : get_long(g, "seed", &seed, what);
    for (int i = 0; i < MTSI_NU_NCOMP && !rc; i++) {
        char name[32];
        snprintf(name, sizeof name, "nu_%s", nu_names[i]);
        rc = mtsi_h5_attr_get_double(g, name, &c->nu.w[i], what);
    }
    rc = rc ? rc : get_long(g, "block", &c->nu.block, what);
    rc = rc ? rc : get_long(g, "augment", &augment, what);
    rc = rc ? rc : mtsi_h5_attr_get_double(g, "val_frac", &c->val_frac, what);
    rc = rc ? rc : get_long(g, "val_max", &c->val_max, what);
    rc = rc ? rc : get_long(g, "log_every", &c->log_every, what);
    rc = rc ? rc : get_long(g, "ckpt_every", &c->ckpt_every, what);
    rc = rc ? rc : mtsi_h5_attr_get_string(g, "data", c->data, sizeof c->data, what);
    c->seed = (uint64_t)seed;
    c->augment = (int)augment;
    H5Gclose(g);
    mtsi_nn_net *net = NULL;
    mtsi_nn_opt *opt = NULL;
    if (!rc)
        rc = mtsi_nn_load_h5(f, "model", what, &net, &opt);
    if (!rc && !opt)
        rc = mtsi_error_set(MTSI_EINVAL, "%s: no optimiser state in /model (not a training "
                                         "checkpoint)",
                            what);
    if (!rc) {
        c->opt = *mtsi_nn_opt_get_config(opt);
        mtsi_nn_arch_format(mtsi_nn_net_arch(net), c->arch, sizeof c->arch);
    }
    mtsi_nn_opt_free(opt);
    mtsi_nn_net_free(net);
    H5Fclose(f);
    return rc;
}

int mtsi_train_read_history(const char *path, double **hist, long *n)
{
    *hist = NULL;
    *n = 0;
    char what[1100];
    mtsi_model_info info;
    hid_t g;
    hid_t f = open_ckpt(path, &g, &info, what, sizeof what);
    if (f < 0)
        return mtsi_error_code() ? mtsi_error_code() : MTSI_EINVAL;
    hsize_t dims[2];
    int rank = mtsi_h5_shape(g, "history", dims, 2, what);
    int rc = MTSI_OK;
    if (rank != 2 || dims[1] != HCOLS)
        rc = mtsi_error_set(MTSI_EINVAL, "%s: /train/history is not an [n, %d] array", what, HCOLS);
    if (!rc) {
        *hist = malloc((size_t)(dims[0] * HCOLS + 1) * sizeof(double));
        if (!*hist)
            rc = mtsi_error_set(MTSI_ENOMEM, "out of memory for the history of %s", what);
        else if (dims[0] > 0)
            rc = mtsi_h5_read_double(g, "history", *hist, (size_t)(dims[0] * HCOLS), what);
        *n = (long)dims[0];
    }
    if (rc) {
        free(*hist);
        *hist = NULL;
        *n = 0;
    }
    H5Gclose(g);
    H5Fclose(f);
    return rc;
}

#define DIFF(cond, ...)                                                                            \
    do {                                                                                           \
        if (cond)                                                                                  \
            return mtsi_error_set(MTSI_EINVAL, __VA_ARGS__);                                       \
    } while (0)

/* Everything that changes the result must be the checkpoint's. */
static int compare_settings(const mtsi_train_cfg *s, const mtsi_train_cfg *c, const char *what)
{
    const char *tail = "resume with the original settings";
    DIFF(s->batch != c->batch, "%s: --batch %ld differs from the checkpoint's %ld; %s", what,
         c->batch, s->batch, tail);
    DIFF(s->seed != c->seed, "%s: --seed %" PRIu64 " differs from the checkpoint's %" PRIu64 "; %s",
         what, c->seed, s->seed, tail);
    char a[256], b[256];
    mtsi_nu_format(&c->nu, a, sizeof a);
    mtsi_nu_format(&s->nu, b, sizeof b);
    DIFF(strcmp(a, b), "%s: --nu %s differs from the checkpoint's %s; %s", what, a, b, tail);
    DIFF(s->nu.block != c->nu.block, "%s: --block %ld differs from the checkpoint's %ld; %s", what,
         c->nu.block, s->nu.block, tail);
    DIFF(s->augment != c->augment, "%s: augmentation %s differs from the checkpoint's; %s", what,
         c->augment ? "on" : "off", tail);
    DIFF(s->val_frac != c->val_frac, "%s: --val-frac %g differs from the checkpoint's %g; %s",
         what, c->val_frac, s->val_frac, tail);
    DIFF(s->val_max != c->val_max, "%s: val_max %ld differs from the checkpoint's %ld; %s", what,
         c->val_max, s->val_max, tail);
    DIFF(s->log_every != c->log_every, "%s: --log-every %ld differs from the checkpoint's %ld; %s",
         what, c->log_every, s->log_every, tail);
    const mtsi_nn_opt_config *x = &c->opt, *y = &s->opt;
    DIFF(x->lr != y->lr, "%s: --lr %g differs from the checkpoint's %g; %s", what, x->lr, y->lr,
         tail);
    DIFF(x->schedule != y->schedule, "%s: --schedule differs from the checkpoint's; %s", what,
         tail);
    DIFF(x->warmup != y->warmup, "%s: --warmup %ld differs from the checkpoint's %ld; %s", what,
         x->warmup, y->warmup, tail);
    DIFF(x->clip != y->clip, "%s: --clip %g differs from the checkpoint's %g; %s", what, x->clip,
         y->clip, tail);
    DIFF(x->weight_decay != y->weight_decay, "%s: --wd %g differs from the checkpoint's %g; %s",
         what, x->weight_decay, y->weight_decay, tail);
    DIFF(x->ema != y->ema, "%s: --ema %g differs from the checkpoint's %g; %s", what, x->ema,
         y->ema, tail);
    DIFF(x->beta1 != y->beta1 || x->beta2 != y->beta2 || x->eps != y->eps ||
             x->gamma != y->gamma || x->lr_min != y->lr_min || x->total != y->total,
         "%s: optimiser settings differ from the checkpoint's; %s", what, tail);
    return MTSI_OK;
}

/* Loads the state of a checkpoint into t (data and buffers already set). */
static int load_state(trainer *t, const char *what)
{
    mtsi_model_info info;
    hid_t g;
    char w2[1100];
    hid_t f = open_ckpt(t->c.out, &g, &info, w2, sizeof w2);
    if (f < 0)
        return mtsi_error_code() ? mtsi_error_code() : MTSI_EINVAL;
    long step, steps, n_train, n_val, data_n, cursor, epoch, cnt, has_spare;
    char sum[32], want[32], cmd[8192];
    unsigned long long s[4];
    int rc = get_long(g, "step", &step, what);
    rc = rc ? rc : get_long(g, "steps", &steps, what);
    rc = rc ? rc : get_long(g, "n_train", &n_train, what);
    rc = rc ? rc : get_long(g, "n_val", &n_val, what);
    rc = rc ? rc : get_long(g, "data_n", &data_n, what);
    rc = rc ? rc : mtsi_h5_attr_get_string(g, "data_checksum", sum, sizeof sum, what);
    rc = rc ? rc : get_long(g, "cursor", &cursor, what);
    rc = rc ? rc : get_long(g, "epoch", &epoch, what);
    rc = rc ? rc : mtsi_h5_attr_get_double(g, "loss_sum", &t->loss_sum, what);
    rc = rc ? rc : get_long(g, "loss_count", &cnt, what);
    rc = rc ? rc : mtsi_h5_attr_get_double(g, "rng_spare", &t->rng.spare, what);
    rc = rc ? rc : get_long(g, "rng_has_spare", &has_spare, what);
    snprintf(want, sizeof want, "%016" PRIx64, t->data_sum);
    if (!rc && (info.dim != t->dim || info.L != t->L))
        rc = mtsi_error_set(MTSI_EINVAL, "%s: trained on dim %d, L %ld lattices, the data '%s' has "
                                         "dim %d, L %ld",
                            what, info.dim, info.L, t->c.data, t->dim, t->L);
    if (!rc && (data_n != t->e.n || strcmp(sum, want) || n_train != t->n_train ||
                n_val != t->n_val))
        rc = mtsi_error_set(MTSI_EINVAL, "%s: the data '%s' are not the ensemble it was trained on "
                                         "(%ld configurations, checksum %s; the checkpoint has %ld, %s)",
                            what, t->c.data, t->e.n, want, data_n, sum);
    if (!rc && (step < 0 || cursor < 0 || cursor > n_train || cnt < 0 || epoch < 0))
        rc = mtsi_error_set(MTSI_EINVAL, "%s: bad training state (step %ld, cursor %ld)", what,
                            step, cursor);
    if (!rc && step >= t->c.steps)
        rc = mtsi_error_set(MTSI_EINVAL, "%s: already trained for %ld steps; give --steps larger "
                                         "than %ld to continue",
                            what, step, step);
    if (!rc)
        rc = mtsi_h5_read_long(g, "order", t->order, (size_t)t->n_train, what);
    if (!rc) {
        /* a permutation, or a corrupt file would index out of the data */
        char *seen = calloc((size_t)t->n_train, 1);
        if (!seen)
            rc = mtsi_error_set(MTSI_ENOMEM, "out of memory");
        for (long i = 0; !rc && i < t->n_train; i++) {
            long k = t->order[i];
            if (k < 0 || k >= t->n_train || seen[k])
                rc = mtsi_error_set(MTSI_EINVAL, "%s: /train/order is not a permutation", what);
            else
                seen[k] = 1;
        }
        free(seen);
    }
    if (!rc)
        rc = mtsi_h5_read_u64(g, "rng", s, 4, what);
    hsize_t dims[2];
    if (!rc && (mtsi_h5_shape(g, "history", dims, 2, what) != 2 || dims[1] != HCOLS))
        rc = mtsi_error_set(MTSI_EINVAL, "%s: /train/history is not an [n, %d] array", what, HCOLS);
    if (!rc && dims[0] > 0) {
        t->caphist = (long)dims[0] + 64;
        t->hist = malloc((size_t)(t->caphist * HCOLS) * sizeof(double));
        if (!t->hist)
            rc = mtsi_error_set(MTSI_ENOMEM, "out of memory for the history");
        else
            rc = mtsi_h5_read_double(g, "history", t->hist, (size_t)(dims[0] * HCOLS), what);
        t->nhist = (long)dims[0];
    }
    H5Gclose(g);
    mtsi_nn_net *net = NULL;
    mtsi_nn_opt *opt = NULL;
    if (!rc)
        rc = mtsi_nn_load_h5(f, "model", what, &net, &opt);
    if (!rc && !opt)
        rc = mtsi_error_set(MTSI_EINVAL, "%s: no optimiser state in /model", what);
    if (!rc)
        rc = mtsi_nn_arch_compare(&t->arch, mtsi_nn_net_arch(net), what);
    if (!rc && mtsi_nn_opt_steps(opt) != step)
        rc = mtsi_error_set(MTSI_EINVAL, "%s: optimiser at step %ld, training at step %ld", what,
                            mtsi_nn_opt_steps(opt), step);
    if (!rc && mtsi_h5_has_attr(f, "command_line") &&
        mtsi_h5_attr_get_string(f, "command_line", cmd, sizeof cmd, what) == MTSI_OK) {
        /* keep the original command: a resumed file equals an uninterrupted one */
        free(t->cmdline);
        t->cmdline = strdup(cmd);
    }
    H5Fclose(f);
    if (rc) {
        mtsi_nn_opt_free(opt);
        mtsi_nn_net_free(net);
        return rc;
    }
    rc = mtsi_nn_net_plan(net, (int)t->c.batch, t->h, t->w);
    if (rc) {
        mtsi_nn_opt_free(opt);
        mtsi_nn_net_free(net);
        return rc;
    }
    mtsi_nn_net_free(t->net);
    mtsi_nn_opt_free(t->opt);
    t->net = net;
    t->opt = opt;
    t->step = step;
    t->cursor = cursor;
    t->epoch = epoch;
    t->loss_count = cnt;
    for (int i = 0; i < 4; i++)
        t->rng.s[i] = s[i];
    t->rng.has_spare = (int)has_spare;
    return MTSI_OK;
}

/* ---- the run ---------------------------------------------------------------- */

static int setup(trainer *t, const mtsi_train_cfg *c, int resume)
{
    t->c = *c;
    snprintf(t->what, sizeof t->what, "model '%s'", c->out ? c->out : "");
    if (c->opt.schedule == MTSI_NN_LR_COSINE && c->opt.total == 0)
        t->c.opt.total = c->steps;
    int rc = check_cfg(&t->c);
    if (rc)
        return rc;
    if (!resume && (rc = mtsi_out_check(c->out, c->force)))
        return rc;
    if (resume) {
        mtsi_train_cfg stored;
        mtsi_train_defaults(&stored);
        if ((rc = mtsi_train_read_cfg(c->out, &stored)))
            return rc;
        if ((rc = compare_settings(&stored, &t->c, t->what)))
            return rc;
    }
    if ((rc = mtsi_in_check(c->data)))
        return rc;
    if ((rc = mtsi_ensemble_read(c->data, &t->e)))
        return rc;
    t->dim = t->e.dim;
    t->L = t->e.L;
    t->V = t->e.V;
    if (t->dim != 1 && t->dim != 2)
        return mtsi_error_set(MTSI_EINVAL, "ensemble '%s': dim %d lattices are not supported by "
                                           "the neural drift (dim 1 or 2)",
                              c->data, t->dim);
    t->h = t->dim == 1 ? 1 : (int)t->L;
    t->w = (int)t->L;
    long nv = c->val_frac > 0 ? (long)floor(c->val_frac * (double)t->e.n + 0.5) : 0;
    if (c->val_frac > 0 && nv < 1)
        nv = 1;
    if (t->e.n - nv < 1)
        return mtsi_error_set(MTSI_EINVAL, "ensemble '%s': %ld configurations leave none for "
                                           "training with --val-frac %g",
                              c->data, t->e.n, c->val_frac);
    t->n_train = t->e.n - nv;
    t->n_val = nv < c->val_max ? nv : c->val_max;
    t->data_sum = fnv1a(t->e.configs, (size_t)(t->e.n * t->V) * sizeof(double));
    if ((rc = mtsi_train_arch(t->dim, c->arch, &t->arch)))
        return rc;
    if ((rc = mtsi_nn_opt_config_check(&t->c.opt)))
        return rc;
    const long B = c->batch, V = t->V;
    t->order = malloc((size_t)t->n_train * sizeof(long));
    t->work = malloc((size_t)V * sizeof(long));
    t->x1 = malloc((size_t)V * sizeof(double));
    t->x1aug = malloc((size_t)V * sizeof(double));
    t->alpha = malloc((size_t)V * sizeof(double));
    t->x0 = malloc((size_t)V * sizeof(double));
    t->xin = ralloc(B * V);
    t->al = ralloc(B * V);
    t->tgt = ralloc(B * V);
    t->out = ralloc(B * V);
    t->dout = ralloc(B * V);
    t->vchunk = t->n_val < B ? (t->n_val > 0 ? t->n_val : 1) : B;
    t->cx = ralloc(t->vchunk * V);
    t->ca = ralloc(t->vchunk * V);
    t->cout = ralloc(t->vchunk * V);
    if (!t->order || !t->work || !t->x1 || !t->x1aug || !t->alpha || !t->x0 || !t->xin || !t->al ||
        !t->tgt || !t->out || !t->dout || !t->cx || !t->ca || !t->cout)
        return mtsi_error_set(MTSI_ENOMEM, "out of memory for a batch of %ld", B);
    t->cmdline = strdup(c->command_line ? c->command_line : "");
    /* The network, initialised from the seed, and a copy for validation. */
    t->net = mtsi_nn_net_new(&t->arch, c->seed);
    if (!t->net)
        return mtsi_error_code();
    t->vnet = mtsi_nn_net_new(&t->arch, c->seed);
    if (!t->vnet)
        return mtsi_error_code();
    if ((rc = mtsi_nn_net_plan(t->net, (int)B, t->h, t->w)) ||
        (rc = mtsi_nn_net_plan(t->vnet, (int)t->vchunk, t->h, t->w))) {
        char m[512];
        snprintf(m, sizeof m, "%s", mtsi_error_msg());
        return mtsi_error_set(MTSI_EINVAL, "--arch on dim %d, L %ld: %s", t->dim, t->L, m);
    }
    t->opt = mtsi_nn_opt_new(&t->c.opt, t->net);
    if (!t->opt)
        return mtsi_error_code();
    /* The fixed validation draw (stream 1): no augmentation, so the set is
     * the held-out configurations themselves. */
    if (t->n_val > 0) {
        t->vx = ralloc(t->n_val * V);
        t->va = ralloc(t->n_val * V);
        t->vt = ralloc(t->n_val * V);
        if (!t->vx || !t->va || !t->vt)
            return mtsi_error_set(MTSI_ENOMEM, "out of memory for %ld validation samples",
                                  t->n_val);
        mtsi_rng vr;
        mtsi_rng_seed(&vr, c->seed, 1);
        for (long i = 0; i < t->n_val; i++)
            draw_sample(t, &vr, t->e.configs + (t->n_train + i) * V, 0, t->vx + i * V,
                        t->va + i * V, t->vt + i * V);
    }
    mtsi_rng_seed(&t->rng, c->seed, 0);
    for (long i = 0; i < t->n_train; i++)
        t->order[i] = i;
    shuffle(&t->rng, t->order, t->n_train);
    t->cursor = 0;
    t->epoch = 0;
    if (resume)
        return load_state(t, t->what);
    return MTSI_OK;
}

int mtsi_train_run(const mtsi_train_cfg *c, int resume)
{
    trainer t;
    memset(&t, 0, sizeof t);
    int rc = setup(&t, c, resume);
    if (rc) {
        trainer_free(&t);
        return rc;
    }
    const long start = t.step, steps = t.c.steps;
    mtsi_progress *pg = mtsi_progress_new("train", steps - start);
    double t0 = mtsi_wtime(), last_val = NAN, last_train = NAN;
    if (t.nhist > 0) {
        last_train = t.hist[(t.nhist - 1) * HCOLS + 1];
        last_val = t.hist[(t.nhist - 1) * HCOLS + 2];
    }
    while (t.step < steps) {
        double lr = mtsi_nn_opt_lr(t.opt, t.step), loss;
        if ((rc = train_step(&t, &loss)))
            break;
        t.loss_sum += loss;
        t.loss_count++;
        if (t.step % t.c.log_every == 0 || t.step == steps) {
            double v;
            if ((rc = validate(&t, &v)))
                break;
            double row[HCOLS] = {(double)t.step, t.loss_sum / (double)t.loss_count, v, lr};
            if ((rc = hist_push(&t, row)))
                break;
            last_train = row[1];
            last_val = v;
            t.loss_sum = 0;
            t.loss_count = 0;
        }
        char extra[96];
        snprintf(extra, sizeof extra, "loss %.4g val %.4g", last_train, last_val);
        mtsi_progress_update(pg, t.step - start, extra);
        int sig = mtsi_signal_pending();
        int stop = t.c.stop_after > 0 && t.step == t.c.stop_after && t.step < steps;
        if (t.step == steps || sig || stop ||
            (t.c.ckpt_every > 0 && t.step % t.c.ckpt_every == 0)) {
            if ((rc = write_checkpoint(&t, t.step == steps)))
                break;
            if ((sig || stop) && t.step < steps) {
                rc = mtsi_error_set(MTSI_EINTR, "interrupted at step %ld of %ld; checkpoint "
                                                "written to '%s' (continue with --resume)",
                                    t.step, steps, t.c.out);
                break;
            }
        }
    }
    mtsi_progress_free(pg);
    if (!rc && t.c.verbose) {
        double el = mtsi_wtime() - t0;
        printf("train: %ld steps in %.1f s (%.3g steps/s); train loss %.5g, validation loss %.5g\n",
               steps - start, el, el > 0 ? (double)(steps - start) / el : 0.0, last_train,
               last_val);
    }
    trainer_free(&t);
    return rc;
}
