/* Gradient checks of lib/nn in double precision. This binary compiles the
 * nn sources a second time with -DMTSI_NN_DOUBLE=1 (nn_real = double,
 * dgemm), so analytic gradients can be compared with central finite
 * differences to ~1e-7 instead of the ~1e-2 float32 would allow.
 *
 * For a graph with output y and a fixed random r, the loss is L = Σ r·y;
 * backward from dy = r gives dL/dθ and dL/d(input), compared with
 * (L(θ+h) − L(θ−h)) / 2h, h = 1e-5. Truncation error is O(h²·L''') ~ 1e-10
 * and rounding O(ε·L/h) ~ 1e-11, so a tolerance of 1e-6 (relative to
 * max(1, |g|)) separates a wrong formula (errors O(1)) from noise. */
#include "config.h"
#include "nn_internal.h"
#include "mtsi_err.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TOL 1e-6
#define FD_H 1e-5

static mtsi_rng rng;

static void fill(nn_real *p, long n, double scale)
{
    for (long i = 0; i < n; i++)
        p[i] = scale * mtsi_rng_normal(&rng);
}

static double loss(nn_graph *g, const nn_real *r)
{
    nn_graph_forward(g);
    nn_node *o = &g->nodes[g->nnode - 1];
    long n = (long)g->batch * nn_size(o);
    double s = 0;
    for (long i = 0; i < n; i++)
        s += r[i] * o->y[i];
    return s;
}

static double fd(nn_graph *g, const nn_real *r, nn_real *v)
{
    nn_real save = *v;
    *v = save + FD_H;
    double lp = loss(g, r);
    *v = save - FD_H;
    double lm = loss(g, r);
    *v = save;
    return (lp - lm) / (2 * FD_H);
}

static void check_close(const char *what, long i, double a, double f)
{
    double s = fabs(a) > 1 ? fabs(a) : 1;
    ck_assert_msg(fabs(a - f) <= TOL * s, "%s[%ld]: analytic %.10g, finite difference %.10g", what,
                  i, a, f);
}

/* Full check of a finished graph: every parameter and every input value. */
static void gradcheck(nn_graph *g, int batch, int h, int w)
{
    ck_assert_int_eq(nn_graph_plan(g, batch, h, w), MTSI_OK);
    /* Random parameters (not the initialisation: γ = 1, β = 0, zero biases
     * would hide terms of the formulas). */
    fill(g->param, g->nparam, 0.5);
    for (int i = 0; i < g->nnode; i++)
        if (g->nodes[i].kind == NN_INPUT)
            fill(g->nodes[i].y, (long)batch * nn_size(&g->nodes[i]), 1.0);
    nn_node *o = &g->nodes[g->nnode - 1];
    long no = (long)batch * nn_size(o);
    nn_real *r = malloc((size_t)no * sizeof *r);
    fill(r, no, 1.0);
    loss(g, r);
    memcpy(o->dy, r, (size_t)no * sizeof *r);
    memset(g->grad, 0, (size_t)g->nparam * sizeof(nn_real));
    nn_graph_backward(g);
    /* The analytic input gradients must be copied: loss() overwrites dy
     * of nothing, but keep the check independent of that. */
    for (long i = 0; i < g->nparam; i++)
        check_close("param", i, g->grad[i], fd(g, r, &g->param[i]));
    for (int k = 0; k < g->nnode; k++) {
        nn_node *nd = &g->nodes[k];
        if (nd->kind != NN_INPUT)
            continue;
        long n = (long)batch * nn_size(nd);
        nn_real *an = malloc((size_t)n * sizeof *an);
        memcpy(an, nd->dy, (size_t)n * sizeof *an);
        for (long i = 0; i < n; i++)
            check_close("input", i, an[i], fd(g, r, &nd->y[i]));
        free(an);
    }
    free(r);
}

static nn_graph *graph_new(void)
{
    nn_graph *g = calloc(1, sizeof *g);
    ck_assert_ptr_nonnull(g);
    return g;
}

static void graph_free(nn_graph *g)
{
    nn_graph_release(g);
    free(g);
}

static void setup(void) { mtsi_rng_seed(&rng, 12345, 0); }

/* conv: kernel h, w, padding, grid (par: split tiny batches over threads);
 * wino: 0 automatic choice, 1 Winograd F(4×4,3×3) for 3×3 kernels on any
 * grid, -1 im2col always. */
static void conv_case_alg(int kh, int kw, int pad, int h, int w, int wino)
{
    nn_graph *g = graph_new();
    g->par_min = -1;
    g->wino = wino;
    int x = nn_graph_input(g, 3, 0);
    ck_assert_int_ge(nn_graph_conv(g, x, 4, kh, kw, pad), 0);
    ck_assert_int_eq(nn_graph_finish(g, 1), MTSI_OK);
    gradcheck(g, 3, h, w);
    if (kh == 3 && kw == 3 && wino >= 0)
        ck_assert_int_eq(g->nodes[1].wino > 0, wino > 0 || (h >= 2 && w >= 2));
    graph_free(g);
}

static void conv_case(int kh, int kw, int pad, int h, int w) { conv_case_alg(kh, kw, pad, h, w, 0); }

START_TEST(grad_conv3_circular) { conv_case(3, 3, MTSI_NN_PAD_CIRCULAR, 5, 6); }
END_TEST
START_TEST(grad_conv3_zero) { conv_case(3, 3, MTSI_NN_PAD_ZERO, 5, 6); }
END_TEST
START_TEST(grad_conv1x1) { conv_case(1, 1, MTSI_NN_PAD_ZERO, 4, 3); }
END_TEST
START_TEST(grad_conv_rect) { conv_case(5, 3, MTSI_NN_PAD_CIRCULAR, 6, 4); }
END_TEST
/* Kernel wider than the grid: the wrap-around path of im2col. */
START_TEST(grad_conv_wide_kernel_circular) { conv_case(3, 5, MTSI_NN_PAD_CIRCULAR, 3, 2); }
END_TEST
START_TEST(grad_conv_wide_kernel_zero) { conv_case(3, 5, MTSI_NN_PAD_ZERO, 3, 2); }
END_TEST
/* 1-D paths: H = 1, a 1×k kernel and a 3×3 one (rows beyond are padding). */
START_TEST(grad_conv_path)
{
    conv_case(1, 5, MTSI_NN_PAD_ZERO, 1, 9);
    conv_case(3, 3, MTSI_NN_PAD_ZERO, 1, 9);
}
END_TEST

/* Winograd forward, input gradient and weight gradient, both paddings: on
 * grids that are and are not multiples of the 4×4 output tile, narrower
 * than a tile (the wrap reaches around more than once), a 1-D path, and
 * with more tiles than one chunk (several chunks per thread). The same
 * cases through im2col for comparison. */
START_TEST(grad_conv_winograd)
{
    static const int grids[][2] = {{4, 4}, {5, 6}, {8, 8}, {7, 9}, {3, 2}, {1, 9}, {2, 5}};
    for (int p = 0; p < 2; p++)
        for (size_t k = 0; k < sizeof grids / sizeof grids[0]; k++) {
            conv_case_alg(3, 3, p, grids[k][0], grids[k][1], 1);
            conv_case_alg(3, 3, p, grids[k][0], grids[k][1], -1);
        }
}
END_TEST

START_TEST(grad_conv_winograd_chunks)
{
    /* 3 samples × 36 tiles: chunks of 64 tiles across sample boundaries */
    nn_graph *g = graph_new();
    g->par_min = -1;
    g->wino = 1;
    int x = nn_graph_input(g, 2, 0);
    ck_assert_int_ge(nn_graph_conv(g, x, 3, 3, 3, MTSI_NN_PAD_CIRCULAR), 0);
    ck_assert_int_eq(nn_graph_finish(g, 1), MTSI_OK);
    gradcheck(g, 3, 22, 23);
    graph_free(g);
}
END_TEST

START_TEST(grad_linear)
{
    nn_graph *g = graph_new();
    int x = nn_graph_input(g, 5, 1);
    nn_graph_linear(g, x, 3);
    ck_assert_int_eq(nn_graph_finish(g, 1), MTSI_OK);
    gradcheck(g, 4, 7, 7);
    graph_free(g);
}
END_TEST

START_TEST(grad_silu)
{
    nn_graph *g = graph_new();
    int x = nn_graph_input(g, 2, 0);
    nn_graph_unary(g, NN_SILU, x);
    ck_assert_int_eq(nn_graph_finish(g, 1), MTSI_OK);
    gradcheck(g, 2, 3, 3);
    graph_free(g);
}
END_TEST

START_TEST(grad_gnorm)
{
    nn_graph *g = graph_new();
    int x = nn_graph_input(g, 6, 0);
    ck_assert_int_ge(nn_graph_gnorm(g, x, 3, -1), 0);
    ck_assert_int_eq(nn_graph_finish(g, 1), MTSI_OK);
    gradcheck(g, 3, 3, 4);
    graph_free(g);
}
END_TEST

START_TEST(grad_gnorm_cond)
{
    nn_graph *g = graph_new();
    int x = nn_graph_input(g, 4, 0);
    int c = nn_graph_input(g, 8, 1);
    g->par_min = -1;
    ck_assert_int_ge(nn_graph_gnorm(g, x, 2, c), 0);
    ck_assert_int_eq(nn_graph_finish(g, 1), MTSI_OK);
    gradcheck(g, 3, 3, 3);
    graph_free(g);
}
END_TEST

/* Group norm with conditioning followed by SiLU: computed fused. */
START_TEST(grad_gnorm_silu_fused)
{
    nn_graph *g = graph_new();
    int x = nn_graph_input(g, 4, 0);
    int c = nn_graph_input(g, 8, 1);
    g->par_min = -1;
    int n = nn_graph_gnorm(g, x, 2, c);
    nn_graph_unary(g, NN_SILU, n);
    ck_assert_int_eq(nn_graph_finish(g, 1), MTSI_OK);
    gradcheck(g, 3, 3, 5);
    ck_assert_int_eq(g->nodes[n].fused, n + 2);
    graph_free(g);
}
END_TEST

START_TEST(grad_pool)
{
    nn_graph *g = graph_new();
    int x = nn_graph_input(g, 2, 0);
    nn_graph_resize(g, NN_POOL, x, 0, 0);
    ck_assert_int_eq(nn_graph_finish(g, 1), MTSI_OK);
    gradcheck(g, 2, 4, 6);
    gradcheck(g, 2, 1, 8); /* a path: pooled along W only */
    graph_free(g);
}
END_TEST

START_TEST(grad_up)
{
    nn_graph *g = graph_new();
    int x = nn_graph_input(g, 2, 0);
    int p = nn_graph_resize(g, NN_POOL, x, 0, 0);
    int s = nn_graph_unary(g, NN_SILU, p);
    int u = nn_graph_resize(g, NN_UP, s, 0, 0);
    g->nodes[u].ref = x;
    ck_assert_int_eq(nn_graph_finish(g, 1), MTSI_OK);
    gradcheck(g, 2, 4, 6);
    graph_free(g);
}
END_TEST

START_TEST(grad_concat_add)
{
    nn_graph *g = graph_new();
    int a = nn_graph_input(g, 2, 0);
    int b = nn_graph_input(g, 3, 0);
    int c = nn_graph_binary(g, NN_CONCAT, a, b);
    int s = nn_graph_unary(g, NN_SILU, c);
    nn_graph_binary(g, NN_ADD, s, c);
    ck_assert_int_eq(nn_graph_finish(g, 1), MTSI_OK);
    gradcheck(g, 2, 3, 2);
    graph_free(g);
}
END_TEST

/* A whole U-Net through the public API (α channel, conditioning, odd
 * wrapper): parameters and the gradients with respect to x, α, cond. */
static void unet_case(const char *spec, int batch, int h, int w)
{
    mtsi_nn_arch a;
    mtsi_nn_arch_default(&a);
    ck_assert_msg(mtsi_nn_arch_parse(&a, spec) == MTSI_OK, "%s", mtsi_error_msg());
    mtsi_nn_net *net = mtsi_nn_net_new(&a, 7);
    ck_assert_ptr_nonnull(net);
    ck_assert_int_eq(mtsi_nn_net_plan(net, batch, h, w), MTSI_OK);
    long np = mtsi_nn_net_nparam(net), hw = (long)h * w;
    long nx = batch * a.in_ch * hw, no = batch * a.out_ch * hw, nc = batch * a.cond_dim;
    nn_real *p = mtsi_nn_net_params(net);
    for (long i = 0; i < np; i++)
        p[i] += 0.2 * mtsi_rng_normal(&rng);
    nn_real *x = malloc(nx * sizeof *x), *al = malloc(batch * hw * sizeof *al);
    nn_real *cond = nc ? malloc(nc * sizeof *cond) : NULL, *r = malloc(no * sizeof *r);
    nn_real *out = malloc(no * sizeof *out), *dx = malloc(nx * sizeof *dx);
    nn_real *dal = malloc(batch * hw * sizeof *dal), *dc = nc ? malloc(nc * sizeof *dc) : NULL;
    fill(x, nx, 1.0);
    for (long i = 0; i < batch * hw; i++)
        al[i] = mtsi_rng_uniform(&rng);
    if (nc)
        fill(cond, nc, 1.0);
    fill(r, no, 1.0);
#define L()                                                                                        \
    (mtsi_nn_net_forward(net, x, al, cond, out), ({                                                \
         double s_ = 0;                                                                            \
         for (long i_ = 0; i_ < no; i_++)                                                          \
             s_ += r[i_] * out[i_];                                                                \
         s_;                                                                                       \
     }))
    L();
    ck_assert_int_eq(mtsi_nn_net_backward(net, r, 0, dx, dal, dc), MTSI_OK);
    const nn_real *gr = mtsi_nn_net_grads(net);
    nn_real *vecs[4] = {p, x, al, cond};
    const nn_real *ans[4] = {gr, dx, dal, dc};
    long lens[4] = {np, nx, batch * hw, nc};
    const char *names[4] = {"param", "x", "alpha", "cond"};
    for (int k = 0; k < 4; k++)
        for (long i = 0; i < lens[k]; i++) {
            nn_real save = vecs[k][i];
            vecs[k][i] = save + FD_H;
            double lp = L();
            vecs[k][i] = save - FD_H;
            double lm = L();
            vecs[k][i] = save;
            check_close(names[k], i, ans[k][i], (lp - lm) / (2 * FD_H));
        }
#undef L
    free(x), free(al), free(cond), free(r), free(out), free(dx), free(dal), free(dc);
    mtsi_nn_net_free(net);
}

START_TEST(grad_unet_odd_cond)
{
    unet_case("in=1,out=1,width=4,mult=1-2,blocks=1,k=3,pad=circular,groups=2,cond=3,odd=1", 2, 4,
              4);
}
END_TEST

START_TEST(grad_unet_zero_path)
{
    unet_case("in=2,out=2,width=4,mult=1-1-2,blocks=2,k=1x3,pad=zero,groups=4,cond=0,odd=0", 2, 1,
              8);
}
END_TEST

/* The Gaussian base through the same checks (odd: mean 0; plain: a mean). */
START_TEST(grad_unet_base)
{
    unet_case("in=1,out=1,width=4,mult=1-2,groups=2,odd=1,base=gauss,gvar=0.7", 2, 4, 4);
    unet_case("in=2,out=2,width=4,mult=1-2,groups=2,pad=zero,base=gauss,gmean=-0.3,gvar=1.9", 2,
              4, 4);
    /* with the zero mode's variance */
    unet_case("in=1,out=1,width=4,mult=1-2,groups=2,odd=1,base=gauss,gvar=0.7,gzero=0.4", 2, 4, 4);
    unet_case("in=2,out=2,width=4,mult=1-2,groups=2,pad=zero,base=gauss,gmean=-0.3,gvar=1.9,"
              "gzero=0.8",
              2, 4, 4);
}
END_TEST

/* With every parameter 0 the U-Net adds nothing, so the network is the
 * base alone: it must be the least-squares regression of x0 − x1 on
 * I = α x0 + (1 − α) x1 for x1 ~ N(μ, v), x0 ~ N(0, 1), measured on
 * 200,000 draws per α (slope and intercept within 4 standard errors). */
START_TEST(base_is_gaussian_drift)
{
    const double mu = 0.4, v = 2.5;
    mtsi_nn_arch a;
    mtsi_nn_arch_default(&a);
    ck_assert_int_eq(mtsi_nn_arch_parse(&a, "width=4,mult=1,groups=2,pad=zero"), MTSI_OK);
    mtsi_nn_net *net = mtsi_nn_net_new(&a, 3);
    ck_assert_ptr_nonnull(net);
    ck_assert_int_eq(mtsi_nn_net_set_base(net, mu, v, 0), MTSI_OK);
    ck_assert_int_ne(mtsi_nn_net_set_base(net, mu, 0, 0), MTSI_OK); /* v > 0 */
    ck_assert_int_ne(mtsi_nn_net_set_base(net, mu, v, -1), MTSI_OK); /* c >= 0 */
    ck_assert_int_eq(mtsi_nn_net_plan(net, 1, 1, 2), MTSI_OK);
    memset(mtsi_nn_net_params(net), 0, (size_t)mtsi_nn_net_nparam(net) * sizeof(nn_real));
    const double als[4] = {0.05, 0.3, 0.7, 0.97};
    for (int q = 0; q < 4; q++) {
        const double al = als[q];
        const long n = 200000;
        double sI = 0, sy = 0, sII = 0, sIy = 0, syy = 0;
        for (long i = 0; i < n; i++) {
            double x0 = mtsi_rng_normal(&rng), x1 = mu + sqrt(v) * mtsi_rng_normal(&rng);
            double iv = al * x0 + (1 - al) * x1, y = x0 - x1;
            sI += iv, sy += y, sII += iv * iv, sIy += iv * y, syy += y * y;
        }
        double mI = sI / n, my = sy / n, cII = sII / n - mI * mI, cIy = sIy / n - mI * my;
        double slope = cIy / cII, icpt = my - slope * mI;
        double res = (syy / n - my * my) - slope * cIy; /* residual variance */
        double se_s = sqrt(res / (n * cII)), se_i = sqrt(res / n * (1 + mI * mI / cII));
        /* the network at I = 0 and I = 1 gives the intercept and the slope */
        nn_real x[2] = {0, 1}, alf[2] = {(nn_real)al, (nn_real)al}, out[2];
        ck_assert_int_eq(mtsi_nn_net_forward(net, x, alf, NULL, out), MTSI_OK);
        ck_assert_msg(fabs(out[0] - icpt) < 4 * se_i + 1e-5,
                      "alpha %g: intercept %g, regression %g +- %g", al, (double)out[0], icpt, se_i);
        ck_assert_msg(fabs((out[1] - out[0]) - slope) < 4 * se_s + 1e-5,
                      "alpha %g: slope %g, regression %g +- %g", al, (double)(out[1] - out[0]), slope,
                      se_s);
    }
    mtsi_nn_net_free(net);
}
END_TEST

/* The same with the zero mode's variance c (gzero) and a different α at
 * each of the two grid points: x1 = μ + z + N(0, v) per point with one
 * z ~ N(0, c), so E[x0 − x1 | I] is affine in I = (I_1, I_2); the network
 * with f = 0 must be the least-squares regression of each output on
 * (1, I_1, I_2) over 400,000 draws (each coefficient within 4 standard
 * errors). A network whose zero-mode term is almost absent (gzero 1e-4)
 * misses the intercept by 90 standard errors. */
START_TEST(base_zero_is_gaussian_drift)
{
    const double mu = 0.4, v = 0.6, c = 1.5;
    mtsi_nn_arch a;
    mtsi_nn_arch_default(&a);
    ck_assert_int_eq(mtsi_nn_arch_parse(&a, "width=4,mult=1,groups=2,pad=zero"), MTSI_OK);
    mtsi_nn_net *net = mtsi_nn_net_new(&a, 3);
    ck_assert_ptr_nonnull(net);
    ck_assert_int_eq(mtsi_nn_net_set_base(net, mu, v, c), MTSI_OK);
    ck_assert_int_eq(mtsi_nn_net_plan(net, 3, 1, 2), MTSI_OK);
    memset(mtsi_nn_net_params(net), 0, (size_t)mtsi_nn_net_nparam(net) * sizeof(nn_real));
    const double al[2] = {0.3, 0.8};
    const long n = 400000;
    /* normal equations of y_a on (1, I_1, I_2) */
    double S[3][3] = {{0}}, R[2][3] = {{0}}, yy[2] = {0};
    for (long i = 0; i < n; i++) {
        double z = sqrt(c) * mtsi_rng_normal(&rng), f[3] = {1, 0, 0}, y[2];
        for (int p = 0; p < 2; p++) {
            double x0 = mtsi_rng_normal(&rng), x1 = mu + z + sqrt(v) * mtsi_rng_normal(&rng);
            f[1 + p] = al[p] * x0 + (1 - al[p]) * x1;
            y[p] = x0 - x1;
        }
        for (int j = 0; j < 3; j++) {
            for (int k = 0; k < 3; k++)
                S[j][k] += f[j] * f[k];
            for (int p = 0; p < 2; p++)
                R[p][j] += f[j] * y[p];
        }
        yy[0] += y[0] * y[0], yy[1] += y[1] * y[1];
    }
    /* invert the 3x3 S by cofactors */
    double Si[3][3], det = 0;
    for (int j = 0; j < 3; j++) {
        int j1 = (j + 1) % 3, j2 = (j + 2) % 3;
        for (int k = 0; k < 3; k++) {
            int k1 = (k + 1) % 3, k2 = (k + 2) % 3;
            Si[k][j] = S[j1][k1] * S[j2][k2] - S[j1][k2] * S[j2][k1];
        }
        det += S[0][j] * Si[j][0];
    }
    for (int j = 0; j < 3; j++)
        for (int k = 0; k < 3; k++)
            Si[j][k] /= det;
    /* the network at I = 0, e1, e2: intercept and the two slopes */
    nn_real x[6] = {0, 0, 1, 0, 0, 1}, alf[6], out[6];
    for (int i = 0; i < 3; i++)
        alf[2 * i] = (nn_real)al[0], alf[2 * i + 1] = (nn_real)al[1];
    ck_assert_int_eq(mtsi_nn_net_forward(net, x, alf, NULL, out), MTSI_OK);
    for (int p = 0; p < 2; p++) {
        double beta[3], res = yy[p];
        for (int j = 0; j < 3; j++) {
            beta[j] = 0;
            for (int k = 0; k < 3; k++)
                beta[j] += Si[j][k] * R[p][k];
            res -= beta[j] * R[p][j];
        }
        res /= (double)(n - 3);
        const double net_c[3] = {out[p], out[2 + p] - out[p], out[4 + p] - out[p]};
        for (int j = 0; j < 3; j++) {
            double se = sqrt(res * Si[j][j]);
            ck_assert_msg(fabs(net_c[j] - beta[j]) < 4 * se + 1e-5,
                          "output %d, coefficient %d: network %g, regression %g +- %g", p, j,
                          net_c[j], beta[j], se);
        }
    }
    mtsi_nn_net_free(net);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("nn_grad");
    TCase *t = tcase_create("layers");
    tcase_add_checked_fixture(t, setup, NULL);
    tcase_set_timeout(t, 120);
    tcase_add_test(t, grad_conv3_circular);
    tcase_add_test(t, grad_unet_base);
    tcase_add_test(t, base_is_gaussian_drift);
    tcase_add_test(t, base_zero_is_gaussian_drift);
    tcase_add_test(t, grad_conv3_zero);
    tcase_add_test(t, grad_conv1x1);
    tcase_add_test(t, grad_conv_rect);
    tcase_add_test(t, grad_conv_wide_kernel_circular);
    tcase_add_test(t, grad_conv_wide_kernel_zero);
    tcase_add_test(t, grad_conv_path);
    tcase_add_test(t, grad_conv_winograd);
    tcase_add_test(t, grad_conv_winograd_chunks);
    tcase_add_test(t, grad_linear);
    tcase_add_test(t, grad_silu);
    tcase_add_test(t, grad_gnorm);
    tcase_add_test(t, grad_gnorm_cond);
    tcase_add_test(t, grad_gnorm_silu_fused);
    tcase_add_test(t, grad_pool);
    tcase_add_test(t, grad_up);
    tcase_add_test(t, grad_concat_add);
    suite_add_tcase(s, t);
    TCase *u = tcase_create("unet");
    tcase_add_checked_fixture(u, setup, NULL);
    tcase_set_timeout(u, 120);
    tcase_add_test(u, grad_unet_odd_cond);
    tcase_add_test(u, grad_unet_zero_path);
    suite_add_tcase(s, u);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? 1 : 0;
}
