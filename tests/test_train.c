/* Training the neural drift (interp/mtsi_train.c, interp/mtsi_neural.c):
 * the drift back end against a direct network forward, the structure of
 * each component of ν, the symmetry group of the augmentation, a falling
 * validation loss on a small synthetic ensemble, and bitwise resume. */
#include "config.h"
#include "test_shape.h"
#include "mtsi_err.h"
#include "mtsi_h5.h"
#include "mtsi_interp.h"
#include "mtsi_nn.h"
#include "mtsi_model.h"
#include "mtsi_rng.h"
#include "mtsi_train.h"
#include "mtsi_tilt.h"
#include "train_digest.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[256];

static void setup(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/mtsi-test-train.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    mtsi_h5_quiet();
}

static void teardown(void)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
}

static void path(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", tmpdir, name);
}

static const char *small_arch = "width=8,mult=1-2,groups=4";

/* ---- the neural drift back end ------------------------------------------ */

static void check_backend(int dim, long L, long batch, long max_batch)
{
    mtsi_nn_arch a;
    ck_assert_int_eq(mtsi_train_arch(shp_lat(dim, 8), small_arch, &a), MTSI_OK);
    mtsi_nn_net *ref = mtsi_nn_net_new(&a, 5), *net = mtsi_nn_net_new(&a, 5);
    ck_assert_ptr_nonnull(ref);
    ck_assert_ptr_nonnull(net);
    long V = dim == 1 ? L : L * L;
    mtsi_drift *d = mtsi_drift_neural_new(net, shp_lat(dim, L), max_batch);
    ck_assert_msg(d != NULL, "%s", mtsi_error_msg());
    ck_assert_str_eq(mtsi_drift_kind(d), "neural");
    ck_assert_int_eq(mtsi_drift_sites(d), V);
    double *x = malloc((size_t)(batch * V) * sizeof(double));
    double *al = malloc((size_t)(batch * V) * sizeof(double));
    double *b = malloc((size_t)(batch * V) * sizeof(double));
    double *b2 = malloc((size_t)(batch * V) * sizeof(double));
    float *xf = malloc((size_t)(batch * V) * sizeof(float));
    float *af = malloc((size_t)(batch * V) * sizeof(float));
    float *of = malloc((size_t)(batch * V) * sizeof(float));
    mtsi_rng r;
    mtsi_rng_seed(&r, 17, 0);
    for (long i = 0; i < batch * V; i++) {
        x[i] = mtsi_rng_normal(&r);
        al[i] = mtsi_rng_uniform(&r);
        xf[i] = (float)x[i];
        af[i] = (float)al[i];
    }
    ck_assert_int_eq(mtsi_drift_eval(d, batch, al, x, b), MTSI_OK);
    ck_assert_int_eq(mtsi_nn_net_plan(ref, (int)batch, dim == 1 ? 1 : (int)L, (int)L), MTSI_OK);
    ck_assert_int_eq(mtsi_nn_net_forward(ref, xf, af, NULL, of), MTSI_OK);
    /* Chunking changes only the blocking of the per-sample arithmetic:
     * agreement to float rounding. */
    double maxd = 0, maxv = 0;
    for (long i = 0; i < batch * V; i++) {
        maxd = fmax(maxd, fabs(b[i] - (double)of[i]));
        maxv = fmax(maxv, fabs((double)of[i]));
    }
    ck_assert_msg(maxd <= 1e-5 * (1 + maxv), "dim %d: neural drift differs from forward by %g",
                  dim, maxd);
    /* a second call (no re-planning) repeats the first exactly; a smaller
     * batch gives the same rows */
    ck_assert_int_eq(mtsi_drift_eval(d, batch, al, x, b2), MTSI_OK);
    ck_assert_int_eq(memcmp(b, b2, (size_t)(batch * V) * sizeof(double)), 0);
    ck_assert_int_eq(mtsi_drift_eval(d, 1, al, x, b2), MTSI_OK);
    for (long i = 0; i < V; i++)
        ck_assert(fabs(b2[i] - b[i]) <= 1e-5 * (1 + maxv));
    mtsi_drift_free(d);
    mtsi_nn_net_free(ref);
    free(x), free(al), free(b), free(b2), free(xf), free(af), free(of);
}

START_TEST(neural_matches_forward)
{
    check_backend(2, 8, 7, 3);  /* chunks of 3, 3 and a padded 1 */
    check_backend(2, 8, 4, 64); /* one chunk */
    check_backend(1, 16, 5, 2); /* H = 1, W = L */
}
END_TEST

START_TEST(neural_refusals)
{
    mtsi_nn_arch a;
    ck_assert_int_eq(mtsi_train_arch(shp_lat(2, 8), small_arch, &a), MTSI_OK);
    mtsi_drift *d = mtsi_drift_neural_new(mtsi_nn_net_new(&a, 1), shp_lat(3, 8), 4);
    ck_assert_ptr_null(d);
    ck_assert_int_eq(mtsi_error_code(), MTSI_EINVAL);
    ck_assert_ptr_nonnull(strstr(mtsi_error_msg(), "dim 3"));
    /* L = 6 cannot be pooled twice by a 3-level net: refused at creation */
    ck_assert_int_eq(mtsi_train_arch(shp_lat(2, 8), "width=8,mult=1-2-2,groups=4", &a), MTSI_OK);
    d = mtsi_drift_neural_new(mtsi_nn_net_new(&a, 1), shp_lat(2, 6), 4);
    ck_assert_ptr_null(d);
    ck_assert_int_eq(mtsi_error_code(), MTSI_EINVAL);
    /* a conditioned network is not a drift */
    ck_assert_int_eq(mtsi_nn_arch_parse(&a, "cond=4"), MTSI_OK);
    d = mtsi_drift_neural_new(mtsi_nn_net_new(&a, 1), shp_lat(2, 8), 4);
    ck_assert_ptr_null(d);
    ck_assert_int_eq(mtsi_train_arch(shp_lat(2, 8), "in=2", &a), MTSI_EINVAL);
}
END_TEST

/* ---- ν ---------------------------------------------------------------------- */

START_TEST(nu_parse)
{
    mtsi_nu nu;
    mtsi_nu_default(&nu);
    ck_assert_int_eq(mtsi_nu_parse(&nu, "scalar=1,mask=3"), MTSI_OK);
    ck_assert(nu.w[MTSI_NU_SCALAR] == 0.25 && nu.w[MTSI_NU_MASK] == 0.75);
    ck_assert(nu.w[MTSI_NU_SITE] == 0 && nu.w[MTSI_NU_BLOCK] == 0);
    char buf[256];
    mtsi_nu_format(&nu, buf, sizeof buf);
    mtsi_nu back;
    ck_assert_int_eq(mtsi_nu_parse(&back, buf), MTSI_OK);
    ck_assert(memcmp(back.w, nu.w, sizeof nu.w) == 0);
    const char *bad[] = {"", "scalar", "scalar=abc", "scalar=-1", "scalar=0", "foo=1",
                         "scalar=1,scalar=2", "scalar=inf", "scalar=1,"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (!strcmp(bad[i], "scalar=1,"))
            continue; /* a trailing comma is harmless */
        ck_assert_msg(mtsi_nu_parse(&nu, bad[i]) == MTSI_EINVAL, "accepted '%s'", bad[i]);
    }
}
END_TEST

static void nu_only(mtsi_nu *nu, int k, long block)
{
    memset(nu, 0, sizeof *nu);
    nu->w[k] = 1;
    nu->block = block;
}

START_TEST(nu_components)
{
    const int dim = 2;
    const long L = 8, V = 64, n = 400;
    double al[64];
    long work[64];
    mtsi_rng r;
    mtsi_rng_seed(&r, 99, 0);
    mtsi_nu nu;

    /* (i) one u for all sites */
    nu_only(&nu, MTSI_NU_SCALAR, 4);
    double mean = 0;
    for (long s = 0; s < n; s++) {
        ck_assert_int_eq(mtsi_nu_sample(&nu, shp_lat(dim, L), &r, work, al), MTSI_NU_SCALAR);
        for (long a = 1; a < V; a++)
            ck_assert(al[a] == al[0]);
        ck_assert(al[0] >= 0 && al[0] < 1);
        mean += al[0] / n;
    }
    /* mean of U(0,1): sd 0.289/sqrt(400) = 0.0144; 5 sd */
    ck_assert_msg(fabs(mean - 0.5) < 0.072, "scalar mean %g", mean);

    /* (ii) i.i.d. per site: mean 1/2, variance 1/12, no two sites equal */
    nu_only(&nu, MTSI_NU_SITE, 4);
    double m1 = 0, m2 = 0;
    for (long s = 0; s < n; s++) {
        ck_assert_int_eq(mtsi_nu_sample(&nu, shp_lat(dim, L), &r, work, al), MTSI_NU_SITE);
        for (long a = 0; a < V; a++) {
            ck_assert(al[a] >= 0 && al[a] < 1);
            m1 += al[a];
            m2 += al[a] * al[a];
        }
        ck_assert(al[0] != al[1]);
    }
    m1 /= (double)(n * V);
    m2 /= (double)(n * V);
    /* 25600 values: sd of the mean 0.0018, of the variance ~0.0005; 5 sd */
    ck_assert_msg(fabs(m1 - 0.5) < 0.009, "site mean %g", m1);
    ck_assert_msg(fabs(m2 - m1 * m1 - 1.0 / 12) < 0.003, "site variance %g", m2 - m1 * m1);

    /* (iii) sites exactly 0, the others sharing one u; the zero fraction
     * is U(0,1) rounded to whole sites */
    nu_only(&nu, MTSI_NU_MASK, 4);
    double fz = 0;
    long all0 = 0, none0 = 0;
    for (long s = 0; s < n; s++) {
        ck_assert_int_eq(mtsi_nu_sample(&nu, shp_lat(dim, L), &r, work, al), MTSI_NU_MASK);
        double u = -1;
        long zeros = 0;
        for (long a = 0; a < V; a++) {
            if (al[a] == 0) {
                zeros++;
                continue;
            }
            if (u < 0)
                u = al[a];
            ck_assert_msg(al[a] == u, "mask: two different nonzero values %g, %g", u, al[a]);
        }
        fz += (double)zeros / (double)(V * n);
        all0 += zeros == V;
        none0 += zeros == 0;
    }
    ck_assert_msg(fabs(fz - 0.5) < 0.072, "mask: mean zero fraction %g", fz);
    ck_assert(all0 < n / 10 && none0 < n / 10);

    /* (iv) s×s blocks, each constant, neighbouring blocks independent */
    nu_only(&nu, MTSI_NU_BLOCK, 4);
    for (long s = 0; s < n; s++) {
        ck_assert_int_eq(mtsi_nu_sample(&nu, shp_lat(dim, L), &r, work, al), MTSI_NU_BLOCK);
        for (long i = 0; i < L; i++)
            for (long j = 0; j < L; j++)
                ck_assert(al[i * L + j] == al[(i / 4 * 4) * L + j / 4 * 4]);
        ck_assert(al[0] != al[4] && al[0] != al[4 * L] && al[4] != al[4 * L + 4]);
    }
    /* a side not divisible by s: L = 8, s = 3 gives blocks 3, 3, 2 */
    nu_only(&nu, MTSI_NU_BLOCK, 3);
    mtsi_nu_sample(&nu, shp_lat(1, L), &r, work, al);
    ck_assert(al[0] == al[2] && al[2] != al[3] && al[3] == al[5] && al[6] == al[7] &&
              al[5] != al[6]);

    /* the mixture picks components with its weights: 20000 draws, 5 sd */
    mtsi_nu_default(&nu);
    long cnt[MTSI_NU_NCOMP] = {0, 0, 0, 0};
    const long N = 20000;
    for (long s = 0; s < N; s++)
        cnt[mtsi_nu_sample(&nu, shp_lat(dim, L), &r, work, al)]++;
    for (int k = 0; k < MTSI_NU_NCOMP; k++) {
        double p = nu.w[k], sd = sqrt(p * (1 - p) / N);
        ck_assert_msg(fabs((double)cnt[k] / N - p) < 5 * sd, "component %d: %ld of %ld, p %g", k,
                      cnt[k], N, p);
    }
}
END_TEST

/* ---- augmentation -------------------------------------------------------- */

/* On a configuration with distinct values every group element gives a
 * different image: the number of distinct images seen is the group order
 * (dim 2: L^2 translations x 8 x 2 signs; dim 1: L x 2 x 2). */
static void check_group(int dim, long L, long draws, long order)
{
    long V = dim == 1 ? L : L * L;
    double *x = malloc((size_t)V * sizeof(double)), *imgs = malloc((size_t)(draws * V) * sizeof(double));
    for (long a = 0; a < V; a++)
        x[a] = 1.0 + (double)a; /* distinct, all positive */
    double e0 = 0;
    for (long a = 0; a < V; a++)
        e0 += x[a] * x[a];
    mtsi_rng r;
    mtsi_rng_seed(&r, 5, 0);
    long distinct = 0;
    for (long s = 0; s < draws; s++) {
        double *y = imgs + distinct * V;
        mtsi_augment(shp_lat(dim, L), &r, x, y);
        /* a permutation up to one overall sign */
        double e = 0, sgn = y[0] > 0 ? 1 : -1;
        for (long a = 0; a < V; a++) {
            e += y[a] * y[a];
            ck_assert(y[a] * sgn > 0);
        }
        ck_assert(e == e0);
        /* nearest-neighbour sum (the hopping term) is invariant */
        double h0 = 0, h = 0;
        for (long a = 0; a < V; a++) {
            long i = a / L, j = a % L;
            long right = i * L + (j + 1) % L;
            h0 += x[a] * x[right];
            h += y[a] * y[right];
            if (dim == 2) {
                long down = ((i + 1) % L) * L + j;
                h0 += x[a] * x[down];
                h += y[a] * y[down];
            }
        }
        ck_assert(h == h0);
        int seen = 0;
        for (long k = 0; k < distinct && !seen; k++)
            seen = !memcmp(imgs + k * V, y, (size_t)V * sizeof(double));
        if (!seen)
            distinct++;
    }
    ck_assert_msg(distinct == order, "dim %d L %ld: %ld distinct images, group order %ld", dim, L,
                  distinct, order);
    free(x);
    free(imgs);
}

START_TEST(augment_group)
{
    /* 4000 draws of 128 equally likely elements miss one with probability
     * ~ 128 exp(-31): never. */
    check_group(2, 4, 4000, 4 * 4 * 8 * 2);
    check_group(1, 5, 1000, 5 * 2 * 2);
}
END_TEST

/* ---- training ------------------------------------------------------------ */

/* A magnetised, smooth field: x = s m + 0.4 (mean of a site's noise and its
 * right and lower neighbours' noise), s = ±1. Learnable and Z2 symmetric. */
/* The attributes of a phi^4 lattice file: kind, L, dim and the couplings
 * (required; the values do not matter to training). */
static void put_lattice_attrs(hid_t f, long L, int dim)
{
    ck_assert_int_eq(mtsi_h5_attr_set_string(f, "kind", "data"), MTSI_OK);
    ck_assert_int_eq(mtsi_h5_attr_set_long(f, "L", L), MTSI_OK);
    ck_assert_int_eq(mtsi_h5_attr_set_long(f, "dim", dim), MTSI_OK);
    ck_assert_int_eq(mtsi_h5_attr_set_double(f, "chi", 1.0), MTSI_OK);
    ck_assert_int_eq(mtsi_h5_attr_set_double(f, "kappa", 1.0), MTSI_OK);
    ck_assert_int_eq(mtsi_h5_attr_set_double(f, "gamma", 1.0), MTSI_OK);
}

static void make_ensemble(const char *file, long n, long L, uint64_t seed)
{
    mtsi_rng r;
    mtsi_rng_seed(&r, seed, 0);
    long V = L * L;
    double *c = malloc((size_t)(n * V) * sizeof(double)), *z = malloc((size_t)V * sizeof(double));
    for (long s = 0; s < n; s++) {
        double sg = mtsi_rng_uniform(&r) < 0.5 ? -1 : 1;
        mtsi_rng_normal_fill(&r, z, V);
        for (long i = 0; i < L; i++)
            for (long j = 0; j < L; j++)
                c[s * V + i * L + j] =
                    sg * 1.2 + 0.4 * (z[i * L + j] + z[i * L + (j + 1) % L] +
                                      z[((i + 1) % L) * L + j]) / sqrt(3.0);
    }
    hid_t f = mtsi_h5_create(file);
    ck_assert(f >= 0);
    put_lattice_attrs(f, L, 2);
    hsize_t d[3] = {(hsize_t)n, (hsize_t)L, (hsize_t)L};
    ck_assert_int_eq(mtsi_h5_write_double(f, "configs", 3, d, c), MTSI_OK);
    H5Fclose(f);
    free(c);
    free(z);
}

/* A 1-D ensemble: smooth Gaussian paths of length L. */
static void make_ensemble_1d(const char *file, long n, long L)
{
    mtsi_rng r;
    mtsi_rng_seed(&r, 8, 0);
    double *c = malloc((size_t)(n * L) * sizeof(double)), *z = malloc((size_t)L * sizeof(double));
    for (long s = 0; s < n; s++) {
        mtsi_rng_normal_fill(&r, z, L);
        for (long i = 0; i < L; i++)
            c[s * L + i] = z[i] + z[(i + 1) % L];
    }
    hid_t f = mtsi_h5_create(file);
    ck_assert(f >= 0);
    put_lattice_attrs(f, L, 1);
    hsize_t d[2] = {(hsize_t)n, (hsize_t)L};
    ck_assert_int_eq(mtsi_h5_write_double(f, "configs", 2, d, c), MTSI_OK);
    H5Fclose(f);
    free(c);
    free(z);
}

static void small_cfg(mtsi_train_cfg *c, const char *data, const char *out)
{
    mtsi_train_defaults(c);
    snprintf(c->data, sizeof c->data, "%s", data);
    snprintf(c->arch, sizeof c->arch, "%s", small_arch);
    c->out = out;
    c->batch = 8;
    c->steps = 48;
    c->opt.lr = 3e-3;
    c->opt.schedule = MTSI_NN_LR_CONSTANT; /* the default is cosine (resume_cosine) */
    c->opt.warmup = 0; /* the schedule is checked below: constant from step 1 */
    c->opt.ema = 0.9;
    c->log_every = 6;
    c->ckpt_every = 7;
    c->val_frac = 0.2;
    c->seed = 4;
    c->command_line = "test";
}

START_TEST(validation_loss_falls)
{
    char data[300], out[300];
    path(data, sizeof data, "d.h5");
    path(out, sizeof out, "m.h5");
    make_ensemble(data, 200, 8, 1);
    mtsi_train_cfg c;
    small_cfg(&c, data, out);
    c.steps = 150;
    c.log_every = 25;
    c.ckpt_every = 0;
    int rc = mtsi_train_run(&c, 0);
    ck_assert_msg(rc == MTSI_OK, "%s", mtsi_error_msg());
    double *h;
    long n;
    ck_assert_int_eq(mtsi_train_read_history(out, &h, &n), MTSI_OK);
    ck_assert_int_eq(n, 6);
    ck_assert(h[0] == 25 && h[(n - 1) * 4] == 150);
    for (long i = 0; i < n; i++)
        ck_assert(isfinite(h[i * 4 + 1]) && isfinite(h[i * 4 + 2]) && h[i * 4 + 3] == 3e-3);
    /* Predicting 0 for x0 - x1 costs its per-site second moment,
     * 1 + 1.44 + 0.16 = 2.6 here; the trained net must do far better and
     * keep improving after its first 25 steps. */
    double first = h[2], last = h[(n - 1) * 4 + 2];
    ck_assert_msg(last < 0.9 * first && last < 0.5 * 2.6, "validation loss %g -> %g", first,
                  last);
    free(h);
    /* the file loads as a drift (EMA weights) through the model reader */
    mtsi_drift *d = NULL;
    mtsi_model_info info;
    rc = mtsi_model_load(out, &d, &info);
    ck_assert_msg(rc == MTSI_OK, "%s", mtsi_error_msg());
    ck_assert_str_eq(info.model_type, "neural");
    ck_assert_int_eq(info.L, 8);
    ck_assert_int_eq(mtsi_drift_dim(d), 2);
    mtsi_drift_free(d);
    /* the output now exists: a fresh start without force is refused */
    ck_assert_int_eq(mtsi_train_run(&c, 0), MTSI_EINVAL);
    ck_assert_ptr_nonnull(strstr(mtsi_error_msg(), "exists"));

    /* one dimension: H = 1, W = L, 1x3 kernels; trains and loads */
    path(data, sizeof data, "d1.h5");
    path(out, sizeof out, "m1.h5");
    make_ensemble_1d(data, 40, 16);
    small_cfg(&c, data, out);
    c.steps = 6;
    c.log_every = 3;
    rc = mtsi_train_run(&c, 0);
    ck_assert_msg(rc == MTSI_OK, "%s", mtsi_error_msg());
    rc = mtsi_model_load(out, &d, &info);
    ck_assert_msg(rc == MTSI_OK, "%s", mtsi_error_msg());
    ck_assert_int_eq(mtsi_drift_dim(d), 1);
    ck_assert_int_eq(mtsi_drift_sites(d), 16);
    mtsi_drift_free(d);
    mtsi_train_cfg back;
    mtsi_train_defaults(&back);
    ck_assert_int_eq(mtsi_train_read_cfg(out, &back), MTSI_OK);
    ck_assert_ptr_nonnull(strstr(back.arch, "k=1x3"));
}
END_TEST

typedef struct {
    mtsi_nn_net *net;
    mtsi_nn_opt *opt;
    double *hist;
    long nhist;
} state;

static void load_state(const char *file, state *s)
{
    hid_t f = mtsi_h5_open(file);
    ck_assert(f >= 0);
    ck_assert_int_eq(mtsi_nn_load_h5(f, "model", file, &s->net, &s->opt), MTSI_OK);
    ck_assert_ptr_nonnull(s->opt);
    H5Fclose(f);
    ck_assert_int_eq(mtsi_train_read_history(file, &s->hist, &s->nhist), MTSI_OK);
}

static void free_state(state *s)
{
    mtsi_nn_net_free(s->net);
    mtsi_nn_opt_free(s->opt);
    free(s->hist);
}

static void assert_same(const char *fa, const char *fb)
{
    state a, b;
    load_state(fa, &a);
    load_state(fb, &b);
    long n = mtsi_nn_net_nparam(a.net);
    ck_assert_int_eq(n, mtsi_nn_net_nparam(b.net));
    ck_assert_int_eq(mtsi_nn_opt_steps(a.opt), mtsi_nn_opt_steps(b.opt));
    ck_assert_msg(!memcmp(mtsi_nn_net_params(a.net), mtsi_nn_net_params(b.net),
                          (size_t)n * sizeof(mtsi_nn_real)),
                  "weights differ");
    ck_assert_msg(!memcmp(mtsi_nn_opt_ema(a.opt), mtsi_nn_opt_ema(b.opt),
                          (size_t)n * sizeof(mtsi_nn_real)),
                  "EMA weights differ");
    ck_assert_int_eq(a.nhist, b.nhist);
    ck_assert_msg(!memcmp(a.hist, b.hist, (size_t)(a.nhist * 4) * sizeof(double)),
                  "histories differ");
    free_state(&a);
    free_state(&b);
    /* the Adam moments (lib/nn's checksum), the RNG state, the epoch
     * order and the partial loss sums */
    char da[1024], db[1024];
    ck_assert_int_eq(train_digest(fa, da, sizeof da), 0);
    ck_assert_int_eq(train_digest(fb, db, sizeof db), 0);
    ck_assert_msg(!strcmp(da, db), "checkpoints differ:\n%s\n%s", da, db);
}

START_TEST(resume_bitwise)
{
    char data[300], ref[300], cut[300], ext[300], other[300];
    path(data, sizeof data, "d.h5");
    path(ref, sizeof ref, "ref.h5");
    path(cut, sizeof cut, "cut.h5");
    path(ext, sizeof ext, "ext.h5");
    path(other, sizeof other, "other.h5");
    make_ensemble(data, 60, 8, 2);
    mtsi_train_cfg c;

    /* uninterrupted: 48 steps (several epochs of 48 configurations) */
    small_cfg(&c, data, ref);
    int rc = mtsi_train_run(&c, 0);
    ck_assert_msg(rc == MTSI_OK, "%s", mtsi_error_msg());

    /* interrupted after step 17 (between checkpoints and history entries),
     * then resumed */
    small_cfg(&c, data, cut);
    c.stop_after = 17;
    ck_assert_int_eq(mtsi_train_run(&c, 0), MTSI_EINTR);
    ck_assert_ptr_nonnull(strstr(mtsi_error_msg(), "--resume"));
    mtsi_train_cfg r;
    mtsi_train_defaults(&r);
    ck_assert_int_eq(mtsi_train_read_cfg(cut, &r), MTSI_OK);
    r.out = cut;
    r.command_line = "test --resume";
    rc = mtsi_train_run(&r, 1);
    ck_assert_msg(rc == MTSI_OK, "%s", mtsi_error_msg());
    assert_same(ref, cut);

    /* k steps, then resumed to 2k (k a multiple of the history period) */
    small_cfg(&c, data, ext);
    c.steps = 24;
    ck_assert_int_eq(mtsi_train_run(&c, 0), MTSI_OK);
    c.steps = 48;
    rc = mtsi_train_run(&c, 1);
    ck_assert_msg(rc == MTSI_OK, "%s", mtsi_error_msg());
    assert_same(ref, ext);

    /* refusals: nothing more to do, other settings, other data, not a
     * checkpoint */
    ck_assert_int_eq(mtsi_train_run(&c, 1), MTSI_EINVAL);
    ck_assert_ptr_nonnull(strstr(mtsi_error_msg(), "already trained"));
    c.steps = 60;
    c.batch = 4;
    ck_assert_int_eq(mtsi_train_run(&c, 1), MTSI_EINVAL);
    ck_assert_ptr_nonnull(strstr(mtsi_error_msg(), "--batch"));
    small_cfg(&c, data, ext);
    c.steps = 60;
    c.opt.lr = 1e-2;
    ck_assert_int_eq(mtsi_train_run(&c, 1), MTSI_EINVAL);
    ck_assert_ptr_nonnull(strstr(mtsi_error_msg(), "--lr"));
    small_cfg(&c, data, ext);
    c.steps = 60;
    snprintf(c.arch, sizeof c.arch, "width=16,mult=1-2,groups=4");
    ck_assert_int_eq(mtsi_train_run(&c, 1), MTSI_EINVAL);
    ck_assert_ptr_nonnull(strstr(mtsi_error_msg(), "architecture"));
    make_ensemble(other, 60, 8, 3);
    small_cfg(&c, other, ext);
    c.steps = 60;
    ck_assert_int_eq(mtsi_train_run(&c, 1), MTSI_EINVAL);
    ck_assert_ptr_nonnull(strstr(mtsi_error_msg(), "not the ensemble"));
    small_cfg(&c, data, data);
    ck_assert_int_eq(mtsi_train_run(&c, 1), MTSI_EINVAL);
    /* and the refused resumes left the checkpoint as it was */
    assert_same(ref, ext);
}
END_TEST

/* The default schedule: a cosine over --steps. Cut and resumed under the
 * same steps it is the uninterrupted run bit for bit; resumed with more
 * steps, the decay's end moves there (from the step the checkpoint is at),
 * so the rate is that of the longer run's cosine. */
START_TEST(resume_cosine)
{
    char data[300], ref[300], cut[300], ext[300];
    path(data, sizeof data, "d.h5");
    path(ref, sizeof ref, "ref.h5");
    path(cut, sizeof cut, "cut.h5");
    path(ext, sizeof ext, "ext.h5");
    make_ensemble(data, 60, 8, 2);
    mtsi_train_cfg d, c;
    mtsi_train_defaults(&d);
    ck_assert_int_eq(d.opt.schedule, MTSI_NN_LR_COSINE);
    ck_assert_int_eq(d.steps, 10000);
    small_cfg(&c, data, ref);
    c.opt.schedule = MTSI_NN_LR_COSINE;
    c.opt.warmup = 4;
    c.opt.lr_min = 1e-4;
    ck_assert_msg(mtsi_train_run(&c, 0) == MTSI_OK, "%s", mtsi_error_msg());
    mtsi_train_cfg r = c;
    r.out = cut;
    r.stop_after = 17;
    ck_assert_int_eq(mtsi_train_run(&r, 0), MTSI_EINTR);
    r.stop_after = 0;
    ck_assert_msg(mtsi_train_run(&r, 1) == MTSI_OK, "%s", mtsi_error_msg());
    assert_same(ref, cut);

    r.out = ext;
    r.steps = 24;
    ck_assert_msg(mtsi_train_run(&r, 0) == MTSI_OK, "%s", mtsi_error_msg());
    r.steps = 48;
    ck_assert_msg(mtsi_train_run(&r, 1) == MTSI_OK, "%s", mtsi_error_msg());
    state a, b;
    load_state(ref, &a);
    load_state(ext, &b);
    ck_assert_int_eq(mtsi_nn_opt_get_config(b.opt)->total, 48);
    ck_assert_int_eq(a.nhist, 8);
    ck_assert_int_eq(b.nhist, 8);
    /* history rows (step, train loss, val loss, lr of the row's last step):
     * the rows up to 24 follow the 24-step cosine, the rest the 48-step one */
    mtsi_nn_opt_config o24 = c.opt;
    o24.total = 24;
    mtsi_nn_opt *p24 = mtsi_nn_opt_new(&o24, a.net);
    ck_assert_ptr_nonnull(p24);
    for (long i = 0; i < 8; i++) {
        const long step = (long)b.hist[i * 4];
        const double want = step <= 24 ? mtsi_nn_opt_lr(p24, step - 1)
                                        : mtsi_nn_opt_lr(a.opt, step - 1);
        ck_assert_double_eq(b.hist[i * 4 + 3], want);
        if (step > 24)
            ck_assert_double_eq(b.hist[i * 4 + 3], a.hist[i * 4 + 3]);
    }
    ck_assert_double_eq(a.hist[7 * 4 + 3], mtsi_nn_opt_lr(a.opt, 47));
    ck_assert(a.hist[7 * 4 + 3] < c.opt.lr_min + 0.01 * c.opt.lr); /* near the floor */
    mtsi_nn_opt_free(p24);
    free_state(&a);
    free_state(&b);
}
END_TEST

/* --tilt with --data: the ensemble reweighted by e^{h sum x}, closed under
 * x -> -x. Each field's law must be the exact weights (to rounding, also
 * when e^{h M} alone would overflow a double), the fields the midpoints of
 * [-H, H], the draws must follow the laws (every cell of fields x pairs
 * within 4 standard errors of its expected count, seed fixed) and the
 * effective size must be the formula's. */
START_TEST(tilt_law)
{
    /* M = 1, 5, 0 and 8000 (e^{0.3 * 8000} overflows) */
    const double x[8] = {0.5, 0.5, 2.0, 3.0, 1.5, -1.5, 4000.0, 4000.0};
    const long n = 4, m = 8;
    const int K = 4;
    const double H = 0.3, M[4] = {1, 5, 0, 8000};
    mtsi_tilt_table t;
    ck_assert_int_eq(mtsi_tilt_table_init(&t, x, 0, 2, H, K), MTSI_EINVAL);
    ck_assert_int_eq(mtsi_tilt_table_init(&t, x, n, 2, 0, K), MTSI_EINVAL);
    ck_assert_int_eq(mtsi_tilt_table_init(&t, x, n, 2, H, K), MTSI_OK);
    double p[4][8], ess = 1e300;
    for (int k = 0; k < K; k++) {
        const double h = mtsi_tilt_field(&t, k);
        ck_assert_double_eq_tol(h, H * (2.0 * (k + 0.5) / K - 1.0), 1e-15);
        long double e[8], z = 0, z2 = 0, top = -1e300;
        for (long j = 0; j < m; j++)
            top = fmaxl(top, (long double)h * (j < n ? M[j] : -M[j - n]));
        for (long j = 0; j < m; j++) {
            e[j] = expl((long double)h * (j < n ? M[j] : -M[j - n]) - top);
            z += e[j];
            z2 += e[j] * e[j];
        }
        ess = fmin(ess, (double)(z * z / z2) / 2);
        for (long j = 0; j < m; j++) {
            p[k][j] = (double)(e[j] / z);
            const double got = t.cdf[k * m + j] - (j ? t.cdf[k * m + j - 1] : 0);
            ck_assert_msg(fabs(got - p[k][j]) < 1e-12, "field %d pair %ld: %.17g, exact %.17g", k,
                          j, got, p[k][j]);
        }
    }
    ck_assert_double_eq_tol(t.ess, ess, 1e-12 * ess);
    const long N = 200000;
    long cnt[4][8] = {{0}};
    mtsi_rng r;
    mtsi_rng_seed(&r, 11, 0);
    for (long i = 0; i < N; i++) {
        int k;
        const long j = mtsi_tilt_draw(&t, &r, &k);
        ck_assert(k >= 0 && k < K && j >= 0 && j < m);
        cnt[k][j]++;
    }
    for (int k = 0; k < K; k++)
        for (long j = 0; j < m; j++) {
            const double q = p[k][j] / K, mean = N * q, sd = sqrt(N * q * (1 - q));
            ck_assert_msg(fabs(cnt[k][j] - mean) <= 4 * sd + 1e-9,
                          "field %d pair %ld: %ld draws, expected %.1f +- %.1f", k, j, cnt[k][j],
                          mean, sd);
        }
    mtsi_tilt_table_free(&t);
}
END_TEST

/* The default tilt's rule against its formula, C / (V m_rms), computed by
 * hand: means 0.5, -1, 0 over V = 4 values; no spread: 0; capped at 10. */
START_TEST(tilt_auto_rule)
{
    const double x[12] = {0.5, 0.5, 1.0, 0.0, -1, -2, 0, -1, 3, -3, 1, -1};
    const double ms = (0.25 + 1.0 + 0.0) / 3;
    const double want = MTSI_TRAIN_TILT_AUTO_C / (4 * sqrt(ms));
    ck_assert_double_eq_tol(mtsi_train_tilt_auto_h(x, 3, 4), want, 1e-14 * want);
    const double zero[8] = {1, -1, 2, -2, 0, 0, 0, 0};
    ck_assert_double_eq(mtsi_train_tilt_auto_h(zero, 2, 4), 0);
    const double tiny[4] = {1e-6, 1e-6, 1e-6, 1e-6};
    ck_assert_double_eq(mtsi_train_tilt_auto_h(tiny, 1, 4), 10);
    ck_assert_double_eq(mtsi_train_tilt_auto_h(x, 0, 4), 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("train");
    TCase *t = tcase_create("train");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 120);
    tcase_add_test(t, neural_matches_forward);
    tcase_add_test(t, neural_refusals);
    tcase_add_test(t, nu_parse);
    tcase_add_test(t, nu_components);
    tcase_add_test(t, augment_group);
    tcase_add_test(t, validation_loss_falls);
    tcase_add_test(t, resume_bitwise);
    tcase_add_test(t, resume_cosine);
    tcase_add_test(t, tilt_law);
    tcase_add_test(t, tilt_auto_rule);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
