/* lib/nn in float32: architecture strings, planning errors, the odd
 * wrapper's exactness, translation equivariance, learning a fixed tiny
 * batch, the optimiser (schedules, clipping, one AdamW step by hand),
 * checkpoints (save → load, resume bit for bit) and malformed checkpoints.
 * Gradients are checked in double precision by test_nn_grad. */
#include "config.h"
#include "mtsi_nn.h"
#include "nn_internal.h"
#include "mtsi_err.h"
#include "mtsi_h5.h"
#include "mtsi_rng.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef mtsi_nn_real real;

static char tmpdir[256];

static void setup(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/mtsi_test_nn_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
}

static void path(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", tmpdir, name);
}

static mtsi_nn_net *make_net(const char *spec, uint64_t seed)
{
    mtsi_nn_arch a;
    mtsi_nn_arch_default(&a);
    ck_assert_msg(mtsi_nn_arch_parse(&a, spec) == MTSI_OK, "%s", mtsi_error_msg());
    mtsi_nn_net *net = mtsi_nn_net_new(&a, seed);
    ck_assert_msg(net != NULL, "%s", mtsi_error_msg());
    return net;
}

static real *rnd(mtsi_rng *r, long n, int uniform)
{
    real *p = malloc((size_t)n * sizeof *p);
    for (long i = 0; i < n; i++)
        p[i] = uniform ? (real)mtsi_rng_uniform(r) : (real)mtsi_rng_normal(r);
    return p;
}

/* ---- Winograd F(4×4,3×3) against im2col in float32 ------------------------
 *
 * The transforms of F(4×4,3×3) amplify float rounding (the points ±2 give
 * coefficients up to 8 and 1/24). One 64→64-channel 3×3 layer with
 * unit-variance inputs and the default initialisation, compared with the
 * im2col path on forward output, input gradient and weight gradient:
 * max |Winograd − im2col| / max |im2col| must stay below 2e-5 (observed
 * 3e-6 to 6e-6 on the first case; a wrong transform gives O(1)). */

static void conv_layer(nn_graph *g, int wino, int cin, int cout, int pad, int batch, int h, int w)
{
    memset(g, 0, sizeof *g);
    g->wino = wino;
    int x = nn_graph_input(g, cin, 0);
    ck_assert_int_ge(nn_graph_conv(g, x, cout, 3, 3, pad), 0);
    ck_assert_int_eq(nn_graph_finish(g, 5), MTSI_OK);
    ck_assert_int_eq(nn_graph_plan(g, batch, h, w), MTSI_OK);
    ck_assert_int_eq(g->nodes[1].wino > 0, wino > 0);
}

static double rel_diff(const real *a, const real *b, long n)
{
    double m = 0, d = 0;
    for (long i = 0; i < n; i++) {
        m = fmax(m, fabs(b[i]));
        d = fmax(d, fabs((double)a[i] - b[i]));
    }
    return d / m;
}

START_TEST(winograd_vs_im2col_float)
{
    static const struct {
        int pad, batch, h, w;
    } cases[] = {{MTSI_NN_PAD_CIRCULAR, 4, 32, 32}, {MTSI_NN_PAD_ZERO, 3, 16, 16},
                 {MTSI_NN_PAD_CIRCULAR, 5, 8, 8},  {MTSI_NN_PAD_ZERO, 2, 13, 10}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        int cin = 64, cout = 64, N = cases[c].batch, h = cases[c].h, w = cases[c].w;
        nn_graph gw, gd;
        conv_layer(&gw, 1, cin, cout, cases[c].pad, N, h, w);
        conv_layer(&gd, -1, cin, cout, cases[c].pad, N, h, w);
        ck_assert_int_eq(memcmp(gw.param, gd.param, (size_t)gw.nparam * sizeof(real)), 0);
        mtsi_rng r;
        mtsi_rng_seed(&r, 99, c);
        long nx = (long)N * cin * h * w, ny = (long)N * cout * h * w;
        real *x = rnd(&r, nx, 0), *dy = rnd(&r, ny, 0);
        for (int k = 0; k < gw.nparam - gw.nodes[1].nw; k++) /* non-zero biases */
            gw.param[gw.nodes[1].nw + k] = gd.param[gd.nodes[1].nw + k] = (real)(0.1 * k);
        nn_graph *gs[2] = {&gw, &gd};
        for (int k = 0; k < 2; k++) {
            memcpy(gs[k]->nodes[0].y, x, (size_t)nx * sizeof(real));
            nn_graph_forward(gs[k]);
            memcpy(gs[k]->nodes[1].dy, dy, (size_t)ny * sizeof(real));
            memset(gs[k]->grad, 0, (size_t)gs[k]->nparam * sizeof(real));
            nn_graph_backward(gs[k]);
        }
        double ey = rel_diff(gw.nodes[1].y, gd.nodes[1].y, ny);
        double ex = rel_diff(gw.nodes[0].dy, gd.nodes[0].dy, nx);
        double eW = rel_diff(gw.grad, gd.grad, gw.nodes[1].nw);
        double eb = rel_diff(gw.grad + gw.nodes[1].nw, gd.grad + gd.nodes[1].nw, cout);
        ck_assert_msg(ey < 2e-5 && ex < 2e-5 && eW < 2e-5 && eb < 2e-5,
                      "case %zu: Winograd vs im2col relative error y %.2e dx %.2e dW %.2e db %.2e",
                      c, ey, ex, eW, eb);
        free(x), free(dy);
        nn_graph_release(&gw);
        nn_graph_release(&gd);
    }
}
END_TEST

/* Forward and backward twice on the same planned network give the same
 * bits (fixed thread count), and once planned nothing depends on the
 * history: a forward of other inputs in between changes nothing. */
START_TEST(repeatable_bitwise)
{
    mtsi_nn_net *net = make_net("width=16,mult=1-2,groups=4,cond=2", 3);
    int N = 5, H = 12, W = 8;
    ck_assert_int_eq(mtsi_nn_net_plan(net, N, H, W), MTSI_OK);
    mtsi_rng r;
    mtsi_rng_seed(&r, 4, 0);
    long n = (long)N * H * W, np = mtsi_nn_net_nparam(net);
    real *x = rnd(&r, n, 0), *al = rnd(&r, n, 1), *c = rnd(&r, 2 * N, 0), *dy = rnd(&r, n, 0);
    real *y1 = malloc(n * sizeof *y1), *y2 = malloc(n * sizeof *y2), *x2 = rnd(&r, n, 0);
    real *g1 = malloc(np * sizeof *g1), *dx1 = malloc(n * sizeof *dx1), *dx2 = malloc(n * sizeof *dx2);
    ck_assert_int_eq(mtsi_nn_net_forward(net, x, al, c, y1), MTSI_OK);
    ck_assert_int_eq(mtsi_nn_net_backward(net, dy, 0, dx1, NULL, NULL), MTSI_OK);
    memcpy(g1, mtsi_nn_net_grads(net), np * sizeof *g1);
    ck_assert_int_eq(mtsi_nn_net_forward(net, x2, al, c, y2), MTSI_OK);
    ck_assert_int_eq(mtsi_nn_net_backward(net, y2, 0, dx2, NULL, NULL), MTSI_OK);
    ck_assert_int_eq(mtsi_nn_net_forward(net, x, al, c, y2), MTSI_OK);
    ck_assert_int_eq(mtsi_nn_net_backward(net, dy, 0, dx2, NULL, NULL), MTSI_OK);
    ck_assert_int_eq(memcmp(y1, y2, n * sizeof *y1), 0);
    ck_assert_int_eq(memcmp(dx1, dx2, n * sizeof *dx1), 0);
    ck_assert_int_eq(memcmp(g1, mtsi_nn_net_grads(net), np * sizeof *g1), 0);
    free(x), free(al), free(c), free(dy), free(y1), free(y2), free(x2), free(g1), free(dx1),
        free(dx2);
    mtsi_nn_net_free(net);
}
END_TEST

/* ---- architecture strings ---------------------------------------------- */

START_TEST(arch_roundtrip)
{
    mtsi_nn_arch a, b;
    char s[512], t[512];
    mtsi_nn_arch_default(&a);
    ck_assert_int_eq(mtsi_nn_arch_parse(&a, "in=2,out=3,width=16,mult=1-2-4,blocks=2,k=3x5,"
                                            "pad=zero,groups=4,cond=5,odd=1"),
                     MTSI_OK);
    ck_assert_int_eq(a.levels, 3);
    ck_assert_int_eq(a.mult[2], 4);
    ck_assert_int_eq(a.kh, 3);
    ck_assert_int_eq(a.kw, 5);
    mtsi_nn_arch_format(&a, s, sizeof s);
    mtsi_nn_arch_default(&b);
    ck_assert_int_eq(mtsi_nn_arch_parse(&b, s), MTSI_OK);
    mtsi_nn_arch_format(&b, t, sizeof t);
    ck_assert_str_eq(s, t);
    ck_assert_int_eq(mtsi_nn_arch_compare(&a, &b, "x"), MTSI_OK);
    b.width = 8;
    ck_assert_int_eq(mtsi_nn_arch_compare(&a, &b, "x"), MTSI_EINVAL);
    ck_assert_ptr_nonnull(strstr(mtsi_error_msg(), "width=8"));
}
END_TEST

START_TEST(arch_bad)
{
    static const struct {
        const char *spec, *needle;
    } cases[] = {
        {"width=0", "width=0"},       {"k=4", "4x4"},          {"groups=5", "groups=5"},
        {"pad=reflect", "reflect"},   {"mult=1-x", "'x'"},     {"colour=3", "colour"},
        {"width", "key=value"},       {"odd=2", "odd=2"},      {"blocks=0", "blocks=0"},
        {"mult=1-2-2-2-2-2-2-2-2", "more than"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mtsi_nn_arch a;
        mtsi_nn_arch_default(&a);
        ck_assert_int_eq(mtsi_nn_arch_parse(&a, cases[i].spec), MTSI_EINVAL);
        ck_assert_msg(strstr(mtsi_error_msg(), cases[i].needle), "'%s' gave '%s'", cases[i].spec,
                      mtsi_error_msg());
    }
}
END_TEST

START_TEST(plan_errors)
{
    mtsi_nn_net *net = make_net("width=8,mult=1-2-2,groups=4", 1);
    ck_assert_int_eq(mtsi_nn_net_plan(net, 2, 6, 8), MTSI_EINVAL); /* 6 → 3 → 1.5 */
    ck_assert_ptr_nonnull(strstr(mtsi_error_msg(), "3x4"));
    ck_assert_int_eq(mtsi_nn_net_plan(net, 0, 8, 8), MTSI_EINVAL);
    ck_assert_int_eq(mtsi_nn_net_plan(net, 2, 8, 8), MTSI_OK);
    real x[128] = {0}, al[128] = {0}, out[128], c[4] = {0};
    ck_assert_int_eq(mtsi_nn_net_forward(net, x, al, c, out), MTSI_EINVAL); /* no cond */
    mtsi_nn_net_free(net);
}
END_TEST

/* ---- symmetry ------------------------------------------------------------ */

START_TEST(odd_exact)
{
    mtsi_nn_net *net = make_net("width=8,mult=1-2,groups=4,odd=1,cond=2", 3);
    int N = 3, H = 8, W = 8;
    long n = (long)N * H * W;
    mtsi_rng r;
    mtsi_rng_seed(&r, 5, 0);
    real *x = rnd(&r, n, 0), *al = rnd(&r, n, 1), *c = rnd(&r, 2 * N, 0);
    real *y1 = malloc(n * sizeof *y1), *y2 = malloc(n * sizeof *y2);
    ck_assert_int_eq(mtsi_nn_net_plan(net, N, H, W), MTSI_OK);
    ck_assert_int_eq(mtsi_nn_net_forward(net, x, al, c, y1), MTSI_OK);
    for (long i = 0; i < n; i++)
        x[i] = -x[i];
    ck_assert_int_eq(mtsi_nn_net_forward(net, x, al, c, y2), MTSI_OK);
    double mx = 0;
    for (long i = 0; i < n; i++) {
        ck_assert_msg(y1[i] == -y2[i], "b(-x) != -b(x) at %ld: %g vs %g", i, y1[i], y2[i]);
        mx = fmax(mx, fabs(y1[i]));
    }
    ck_assert(mx > 1e-3); /* not trivially zero */
    free(x), free(al), free(c), free(y1), free(y2);
    mtsi_nn_net_free(net);
}
END_TEST

/* Circular padding: shifting the input by a multiple of 2^(levels−1)
 * (so that pooling commutes) shifts the output. Float rounding may differ
 * by summation order only: tolerance 1e-5 relative to max |y|. */
START_TEST(translation_equivariance)
{
    mtsi_nn_net *net = make_net("width=8,mult=1-2,groups=4,pad=circular", 4);
    int N = 2, H = 8, W = 8, sy = 2, sx = 4;
    long n = (long)N * H * W;
    mtsi_rng r;
    mtsi_rng_seed(&r, 6, 0);
    real *x = rnd(&r, n, 0), *al = rnd(&r, n, 1), *xs = malloc(n * sizeof *xs),
         *as = malloc(n * sizeof *as);
    real *y = malloc(n * sizeof *y), *ys = malloc(n * sizeof *ys);
    for (int s = 0; s < N; s++)
        for (int i = 0; i < H; i++)
            for (int j = 0; j < W; j++) {
                long d = (long)s * H * W + ((i + sy) % H) * W + (j + sx) % W;
                xs[d] = x[(long)s * H * W + i * W + j];
                as[d] = al[(long)s * H * W + i * W + j];
            }
    ck_assert_int_eq(mtsi_nn_net_plan(net, N, H, W), MTSI_OK);
    mtsi_nn_net_forward(net, x, al, NULL, y);
    mtsi_nn_net_forward(net, xs, as, NULL, ys);
    double mx = 0, err = 0;
    for (int s = 0; s < N; s++)
        for (int i = 0; i < H; i++)
            for (int j = 0; j < W; j++) {
                real a = y[(long)s * H * W + i * W + j];
                real b = ys[(long)s * H * W + ((i + sy) % H) * W + (j + sx) % W];
                mx = fmax(mx, fabs(a));
                err = fmax(err, fabs(a - b));
            }
    ck_assert_msg(err <= 1e-5 * mx, "equivariance error %g (max %g)", err, mx);
    free(x), free(al), free(xs), free(as), free(y), free(ys);
    mtsi_nn_net_free(net);
}
END_TEST

/* ---- training ------------------------------------------------------------ */

typedef struct {
    int N, H, W, C;
    real *x, *al, *t, *y, *dy;
} batch;

/* A fixed tiny regression: x ~ N(0,1), α ~ U(0,1) per site, target
 * t = α·tanh(x) + (1 − α)·(mean of the four neighbours of x). */
static void batch_make(batch *b, int N, int H, int W, uint64_t seed)
{
    mtsi_rng r;
    mtsi_rng_seed(&r, seed, 0);
    b->N = N, b->H = H, b->W = W, b->C = 1;
    long n = (long)N * H * W;
    b->x = rnd(&r, n, 0);
    b->al = rnd(&r, n, 1);
    b->t = malloc(n * sizeof(real));
    b->y = malloc(n * sizeof(real));
    b->dy = malloc(n * sizeof(real));
    for (int s = 0; s < N; s++)
        for (int i = 0; i < H; i++)
            for (int j = 0; j < W; j++) {
                const real *x = b->x + (long)s * H * W;
                long k = (long)s * H * W + i * W + j;
                real nb = (x[((i + 1) % H) * W + j] + x[((i + H - 1) % H) * W + j] +
                           x[i * W + (j + 1) % W] + x[i * W + (j + W - 1) % W]) / 4;
                b->t[k] = b->al[k] * tanhf(x[i * W + j]) + (1 - b->al[k]) * nb;
            }
}

static void batch_free(batch *b) { free(b->x), free(b->al), free(b->t), free(b->y), free(b->dy); }

/* One step on mean squared error; returns the loss before the step. */
static double train_step(mtsi_nn_net *net, mtsi_nn_opt *o, batch *b)
{
    long n = (long)b->N * b->H * b->W;
    ck_assert_int_eq(mtsi_nn_net_forward(net, b->x, b->al, NULL, b->y), MTSI_OK);
    double l = 0;
    for (long i = 0; i < n; i++) {
        double d = b->y[i] - b->t[i];
        l += d * d;
        b->dy[i] = (real)(2 * d / n);
    }
    ck_assert_int_eq(mtsi_nn_net_backward(net, b->dy, 0, NULL, NULL, NULL), MTSI_OK);
    ck_assert_int_eq(mtsi_nn_opt_step(o, net, NULL), MTSI_OK);
    return l / n;
}

START_TEST(learns_tiny_batch)
{
    mtsi_nn_net *net = make_net("width=16,mult=1-2,groups=4,blocks=1", 11);
    batch b;
    batch_make(&b, 4, 8, 8, 21);
    ck_assert_int_eq(mtsi_nn_net_plan(net, b.N, b.H, b.W), MTSI_OK);
    mtsi_nn_opt_config c;
    mtsi_nn_opt_config_default(&c);
    c.lr = 3e-3;
    c.schedule = MTSI_NN_LR_COSINE;
    c.warmup = 20;
    c.total = 1500;
    c.lr_min = 1e-5;
    c.clip = 10;
    mtsi_nn_opt *o = mtsi_nn_opt_new(&c, net);
    ck_assert_ptr_nonnull(o);
    double l0 = train_step(net, o, &b), l = l0;
    long s;
    for (s = 1; s < c.total && l > 1e-4 * l0; s++)
        l = train_step(net, o, &b);
    ck_assert_msg(l <= 1e-4 * l0, "loss %g after %ld steps, initial %g", l, s, l0);
    batch_free(&b);
    mtsi_nn_opt_free(o);
    mtsi_nn_net_free(net);
}
END_TEST

/* ---- optimiser ----------------------------------------------------------- */

START_TEST(lr_schedules)
{
    mtsi_nn_net *net = make_net("width=4,mult=1,groups=2", 1);
    mtsi_nn_opt_config c;
    mtsi_nn_opt_config_default(&c);
    c.lr = 1e-2;
    c.warmup = 10;
    c.schedule = MTSI_NN_LR_COSINE;
    c.total = 110;
    c.lr_min = 1e-4;
    mtsi_nn_opt *o = mtsi_nn_opt_new(&c, net);
    ck_assert_double_eq_tol(mtsi_nn_opt_lr(o, 0), 1e-3, 1e-15);
    ck_assert_double_eq_tol(mtsi_nn_opt_lr(o, 9), 1e-2, 1e-15);
    ck_assert_double_eq_tol(mtsi_nn_opt_lr(o, 10), 1e-2, 1e-15);
    ck_assert_double_eq_tol(mtsi_nn_opt_lr(o, 60), (1e-2 + 1e-4) / 2, 1e-15);
    ck_assert_double_eq_tol(mtsi_nn_opt_lr(o, 110), 1e-4, 1e-15);
    ck_assert_double_eq_tol(mtsi_nn_opt_lr(o, 500), 1e-4, 1e-15);
    mtsi_nn_opt_free(o);
    c.schedule = MTSI_NN_LR_EXP;
    c.gamma = 0.5;
    c.warmup = 0;
    o = mtsi_nn_opt_new(&c, net);
    ck_assert_double_eq_tol(mtsi_nn_opt_lr(o, 3), 1e-2 / 8, 1e-15);
    mtsi_nn_opt_free(o);
    /* a run within its warm-up: no decay phase, the floor after it */
    c.schedule = MTSI_NN_LR_COSINE;
    c.warmup = 10;
    c.total = 4;
    o = mtsi_nn_opt_new(&c, net);
    ck_assert_ptr_nonnull(o);
    ck_assert_double_eq_tol(mtsi_nn_opt_lr(o, 3), 4e-3, 1e-15);
    ck_assert_double_eq_tol(mtsi_nn_opt_lr(o, 10), 1e-4, 1e-15);
    mtsi_nn_opt_free(o);
    c.warmup = 0;
    c.total = 0;
    ck_assert_ptr_null(mtsi_nn_opt_new(&c, net));
    ck_assert_ptr_nonnull(strstr(mtsi_error_msg(), "total=0"));
    c.schedule = MTSI_NN_LR_CONSTANT;
    c.lr = -1;
    ck_assert_ptr_null(mtsi_nn_opt_new(&c, net));
    ck_assert_ptr_nonnull(strstr(mtsi_error_msg(), "lr=-1"));
    mtsi_nn_net_free(net);
}
END_TEST

/* One AdamW step with clipping and weight decay, against the formula
 * evaluated in double (agreement to float rounding). */
START_TEST(adamw_step_by_hand)
{
    mtsi_nn_net *net = make_net("width=4,mult=1,groups=2", 2);
    long n = mtsi_nn_net_nparam(net);
    real *p = mtsi_nn_net_params(net), *g = mtsi_nn_net_grads(net);
    const unsigned char *mask = mtsi_nn_net_decay_mask(net);
    mtsi_rng r;
    mtsi_rng_seed(&r, 3, 0);
    double ss = 0;
    for (long i = 0; i < n; i++) {
        g[i] = (real)mtsi_rng_normal(&r);
        ss += (double)g[i] * g[i];
    }
    double *p0 = malloc(n * sizeof *p0), *g0 = malloc(n * sizeof *g0);
    for (long i = 0; i < n; i++)
        p0[i] = p[i], g0[i] = g[i];
    mtsi_nn_opt_config c;
    mtsi_nn_opt_config_default(&c);
    c.lr = 0.01;
    c.weight_decay = 0.1;
    c.clip = 1.0;
    c.ema = 0.9;
    mtsi_nn_opt *o = mtsi_nn_opt_new(&c, net);
    double gn;
    ck_assert_int_eq(mtsi_nn_opt_step(o, net, &gn), MTSI_OK);
    ck_assert_double_eq_tol(gn, sqrt(ss), 1e-9 * sqrt(ss));
    double sc = 1.0 / sqrt(ss);
    const real *e = mtsi_nn_opt_ema(o);
    long ndecay = 0;
    for (long i = 0; i < n; i++) {
        double gi = g0[i] * sc;
        double m = 0.1 * gi / 0.1, v = 0.001 * gi * gi / 0.001;
        double th = p0[i] * (mask[i] ? 1 - 0.01 * 0.1 : 1) - 0.01 * m / (sqrt(v) + 1e-8);
        ndecay += mask[i];
        ck_assert_msg(fabs(p[i] - th) < 1e-6, "param %ld: %g vs %g", i, p[i], th);
        ck_assert_msg(fabs(e[i] - (0.9 * p0[i] + 0.1 * th)) < 1e-6, "ema %ld", i);
    }
    ck_assert(ndecay > 0 && ndecay < n);
    ck_assert_int_eq(mtsi_nn_opt_steps(o), 1);
    /* A non-finite gradient is refused and changes nothing. */
    real keep = p[0];
    g[3] = NAN;
    ck_assert_int_eq(mtsi_nn_opt_step(o, net, NULL), MTSI_EFAIL);
    ck_assert(p[0] == keep);
    ck_assert_int_eq(mtsi_nn_opt_steps(o), 1);
    free(p0), free(g0);
    mtsi_nn_opt_free(o);
    mtsi_nn_net_free(net);
}
END_TEST

/* ---- checkpoints --------------------------------------------------------- */

static mtsi_nn_opt *default_opt(mtsi_nn_net *net)
{
    mtsi_nn_opt_config c;
    mtsi_nn_opt_config_default(&c);
    c.lr = 2e-3;
    c.weight_decay = 1e-2;
    c.clip = 1;
    c.schedule = MTSI_NN_LR_COSINE;
    c.warmup = 3;
    c.total = 40;
    c.ema = 0.95;
    mtsi_nn_opt *o = mtsi_nn_opt_new(&c, net);
    ck_assert_ptr_nonnull(o);
    return o;
}

#define ARCH_CK "width=8,mult=1-2,groups=4,odd=1"

START_TEST(save_load_bitwise)
{
    char f[512];
    path(f, sizeof f, "m.h5");
    mtsi_nn_net *net = make_net(ARCH_CK, 8);
    batch b;
    batch_make(&b, 2, 8, 8, 1);
    ck_assert_int_eq(mtsi_nn_net_plan(net, 2, 8, 8), MTSI_OK);
    mtsi_nn_opt *o = default_opt(net);
    for (int s = 0; s < 3; s++)
        train_step(net, o, &b);
    ck_assert_int_eq(mtsi_nn_save(f, net, o), MTSI_OK);
    real y1[128], y2[128];
    mtsi_nn_net_forward(net, b.x, b.al, NULL, y1);
    mtsi_nn_net *n2;
    mtsi_nn_opt *o2;
    ck_assert_msg(mtsi_nn_load(f, &n2, &o2) == MTSI_OK, "%s", mtsi_error_msg());
    ck_assert_ptr_nonnull(o2);
    ck_assert_int_eq(mtsi_nn_opt_steps(o2), 3);
    ck_assert_int_eq(mtsi_nn_arch_compare(mtsi_nn_net_arch(net), mtsi_nn_net_arch(n2), f),
                     MTSI_OK);
    ck_assert_int_eq(mtsi_nn_net_plan(n2, 2, 8, 8), MTSI_OK);
    mtsi_nn_net_forward(n2, b.x, b.al, NULL, y2);
    ck_assert_int_eq(memcmp(y1, y2, sizeof y1), 0);
    ck_assert_int_eq(memcmp(mtsi_nn_opt_ema(o), mtsi_nn_opt_ema(o2),
                            mtsi_nn_net_nparam(net) * sizeof(real)),
                     0);
    /* Weights only (no optimiser): loads with *opt = NULL. */
    ck_assert_int_eq(mtsi_nn_save(f, n2, NULL), MTSI_OK);
    mtsi_nn_net *n3;
    mtsi_nn_opt *o3;
    ck_assert_int_eq(mtsi_nn_load(f, &n3, &o3), MTSI_OK);
    ck_assert_ptr_null(o3);
    ck_assert_int_eq(memcmp(mtsi_nn_net_params(n3), mtsi_nn_net_params(net),
                            mtsi_nn_net_nparam(net) * sizeof(real)),
                     0);
    batch_free(&b);
    mtsi_nn_opt_free(o), mtsi_nn_opt_free(o2);
    mtsi_nn_net_free(net), mtsi_nn_net_free(n2), mtsi_nn_net_free(n3);
}
END_TEST

START_TEST(resume_bitwise)
{
    const int k = 5;
    char f[512];
    path(f, sizeof f, "r.h5");
    batch b;
    batch_make(&b, 4, 8, 8, 2);
    /* 2k uninterrupted steps */
    mtsi_nn_net *a = make_net(ARCH_CK, 9);
    mtsi_nn_net_plan(a, 4, 8, 8);
    mtsi_nn_opt *oa = default_opt(a);
    for (int s = 0; s < 2 * k; s++)
        train_step(a, oa, &b);
    /* k steps, checkpoint, fresh process state, k steps */
    mtsi_nn_net *c = make_net(ARCH_CK, 9);
    mtsi_nn_net_plan(c, 4, 8, 8);
    mtsi_nn_opt *oc = default_opt(c);
    for (int s = 0; s < k; s++)
        train_step(c, oc, &b);
    ck_assert_int_eq(mtsi_nn_save(f, c, oc), MTSI_OK);
    mtsi_nn_opt_free(oc);
    mtsi_nn_net_free(c);
    ck_assert_int_eq(mtsi_nn_load(f, &c, &oc), MTSI_OK);
    mtsi_nn_net_plan(c, 4, 8, 8);
    for (int s = 0; s < k; s++)
        train_step(c, oc, &b);
    size_t bytes = mtsi_nn_net_nparam(a) * sizeof(real);
    ck_assert_int_eq(mtsi_nn_opt_steps(oc), 2 * k);
    ck_assert_int_eq(memcmp(mtsi_nn_net_params(a), mtsi_nn_net_params(c), bytes), 0);
    ck_assert_int_eq(memcmp(mtsi_nn_opt_ema(oa), mtsi_nn_opt_ema(oc), bytes), 0);
    batch_free(&b);
    mtsi_nn_opt_free(oa), mtsi_nn_opt_free(oc);
    mtsi_nn_net_free(a), mtsi_nn_net_free(c);
}
END_TEST

/* Loading `f` must fail with MTSI_EINVAL and a message containing needle. */
static void load_fails(const char *f, const char *needle)
{
    mtsi_nn_net *n = (mtsi_nn_net *)1;
    mtsi_nn_opt *o = (mtsi_nn_opt *)1;
    mtsi_error_clear();
    int rc = mtsi_nn_load(f, &n, &o);
    ck_assert_msg(rc == MTSI_EINVAL, "loading %s returned %d (%s)", f, rc, mtsi_error_msg());
    ck_assert_ptr_null(n);
    ck_assert_ptr_null(o);
    ck_assert_msg(strstr(mtsi_error_msg(), needle), "expected '%s' in '%s'", needle,
                  mtsi_error_msg());
    ck_assert_ptr_null(strchr(mtsi_error_msg(), '\n'));
}

static long file_size(const char *f)
{
    FILE *fp = fopen(f, "rb");
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fclose(fp);
    return n;
}

static void copy_file(const char *from, const char *to, long nbytes)
{
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    for (long i = 0; i < nbytes; i++) {
        int ch = fgetc(a);
        if (ch == EOF)
            break;
        fputc(ch, b);
    }
    fclose(a);
    fclose(b);
}

/* Offset of the stored parameters: find the first 16 parameter bytes. */
static long find_bytes(const char *f, const void *pat, size_t n)
{
    long sz = file_size(f);
    unsigned char *buf = malloc(sz);
    FILE *fp = fopen(f, "rb");
    ck_assert_int_eq(fread(buf, 1, sz, fp), sz);
    fclose(fp);
    long at = -1;
    for (long i = 0; i + (long)n <= sz && at < 0; i++)
        if (!memcmp(buf + i, pat, n))
            at = i;
    free(buf);
    return at;
}

START_TEST(malformed_checkpoints)
{
    char f[512], g[512];
    path(f, sizeof f, "good.h5");
    path(g, sizeof g, "bad.h5");
    mtsi_nn_net *net = make_net(ARCH_CK, 10);
    mtsi_nn_opt *o = default_opt(net);
    ck_assert_int_eq(mtsi_nn_save(f, net, o), MTSI_OK);

    load_fails("/nonexistent/x.h5", "no such readable file");

    FILE *fp = fopen(g, "w");
    fputs("this is not HDF5\n", fp);
    fclose(fp);
    load_fails(g, "not an HDF5 file");

    /* truncated */
    copy_file(f, g, file_size(f) / 2);
    load_fails(g, g);

    /* corrupt weights: flip a byte inside the stored parameters */
    copy_file(f, g, file_size(f));
    long at = find_bytes(g, mtsi_nn_net_params(net) + 100, 16);
    ck_assert_int_ge(at, 0);
    fp = fopen(g, "r+b");
    fseek(fp, at + 3, SEEK_SET);
    int ch = fgetc(fp);
    fseek(fp, at + 3, SEEK_SET);
    fputc(ch ^ 0x40, fp);
    fclose(fp);
    load_fails(g, "checksum");

    /* another kind of file (an ensemble) */
    hid_t h = mtsi_h5_create(g);
    mtsi_h5_attr_set_string(h, "kind", "mcmc");
    H5Fclose(h);
    load_fails(g, "not a model file");

    /* HDF5 file without a model group */
    h = mtsi_h5_create(g);
    H5Fclose(h);
    load_fails(g, "no model group");

    /* mismatched shapes: the stored architecture edited to another width */
    copy_file(f, g, file_size(f));
    h = mtsi_h5_open_rw(g);
    hid_t grp = H5Gopen2(h, "model", H5P_DEFAULT);
    mtsi_h5_attr_set_string(grp, "arch", "in=1,out=1,width=16,mult=1-2,blocks=1,k=3x3,"
                                         "pad=circular,groups=4,cond=0,odd=1");
    H5Gclose(grp);
    H5Fclose(h);
    load_fails(g, "mismatched shapes");

    /* an unreadable architecture string */
    copy_file(f, g, file_size(f));
    h = mtsi_h5_open_rw(g);
    grp = H5Gopen2(h, "model", H5P_DEFAULT);
    mtsi_h5_attr_set_string(grp, "arch", "width=banana");
    H5Gclose(grp);
    H5Fclose(h);
    load_fails(g, "banana");

    /* a future format */
    copy_file(f, g, file_size(f));
    h = mtsi_h5_open_rw(g);
    grp = H5Gopen2(h, "model", H5P_DEFAULT);
    mtsi_h5_attr_set_string(grp, "format", "mtsi-nn/9");
    H5Gclose(grp);
    H5Fclose(h);
    load_fails(g, "mtsi-nn/9");

    /* parameters dataset of the wrong length */
    copy_file(f, g, file_size(f));
    h = mtsi_h5_open_rw(g);
    grp = H5Gopen2(h, "model", H5P_DEFAULT);
    float z[7] = {0};
    hsize_t d = 7;
    mtsi_h5_write_float(grp, "adam_m", 1, &d, z);
    H5Gclose(grp);
    H5Fclose(h);
    load_fails(g, "adam_m");

    /* another architecture than the one asked for */
    mtsi_nn_net *n2;
    ck_assert_int_eq(mtsi_nn_load(f, &n2, NULL), MTSI_OK);
    mtsi_nn_arch want = *mtsi_nn_net_arch(n2);
    want.odd = 0;
    ck_assert_int_eq(mtsi_nn_arch_compare(&want, mtsi_nn_net_arch(n2), f), MTSI_EINVAL);
    ck_assert_ptr_nonnull(strstr(mtsi_error_msg(), "expected"));
    mtsi_nn_net_free(n2);

    /* the good file still loads */
    mtsi_nn_opt *o2;
    ck_assert_int_eq(mtsi_nn_load(f, &n2, &o2), MTSI_OK);
    mtsi_nn_opt_free(o2);
    mtsi_nn_net_free(n2);
    mtsi_nn_opt_free(o);
    mtsi_nn_net_free(net);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("nn");
    TCase *t = tcase_create("core");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 300);
    tcase_add_test(t, arch_roundtrip);
    tcase_add_test(t, arch_bad);
    tcase_add_test(t, plan_errors);
    tcase_add_test(t, odd_exact);
    tcase_add_test(t, translation_equivariance);
    tcase_add_test(t, lr_schedules);
    tcase_add_test(t, adamw_step_by_hand);
    tcase_add_test(t, save_load_bitwise);
    tcase_add_test(t, resume_bitwise);
    tcase_add_test(t, malformed_checkpoints);
    tcase_add_test(t, learns_tiny_batch);
    tcase_add_test(t, winograd_vs_im2col_float);
    tcase_add_test(t, repeatable_bitwise);
    suite_add_tcase(s, t);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? 1 : 0;
}
