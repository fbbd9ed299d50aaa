/* The drift network: a U-Net built from the layers of lib/nn, with α as
 * one more input channel, an optional global conditioning vector (embedded
 * by linear–SiLU–linear–SiLU, then a per-block linear map to the second
 * GroupNorm's scale and shift) and an optional odd wrapper
 *   b̂(α, x) = ½ (f(α, x) − f(α, −x)),
 * exactly odd in x by construction (the φ⁴ law is Z2-symmetric, SPEC §3).
 * The wrapper runs f once on a doubled batch [x; −x]. */
#include "config.h"
#include "nn_internal.h"
#include "mtsi_err.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mtsi_nn_net {
    mtsi_nn_arch arch;
    nn_graph g;
    int in_node, cond_node, out_node;
    int batch, h, w;   /* as planned by the caller (the graph sees 2× if odd) */
    int fwd_done;
    nn_real *sgn;      /* odd wrapper: the sign s_n of each sample's canonical form */
};

/* ---- architecture ----------------------------------------------------- */

void mtsi_nn_arch_default(mtsi_nn_arch *a)
{
    memset(a, 0, sizeof *a);
    a->in_ch = a->out_ch = 1;
    a->width = 32;
    a->levels = 3;
    a->mult[0] = 1;
    a->mult[1] = 2;
    a->mult[2] = 2;
    a->blocks = 1;
    a->kh = a->kw = 3;
    a->pad = MTSI_NN_PAD_CIRCULAR;
    a->groups = 8;
    a->cond_dim = 0;
    a->odd = 0;
}

int mtsi_nn_arch_check(const mtsi_nn_arch *a)
{
    if (a->in_ch < 1 || a->in_ch > 1024)
        return mtsi_error_set(MTSI_EINVAL, "architecture: in=%d must be in [1, 1024]", a->in_ch);
    if (a->out_ch < 1 || a->out_ch > 1024)
        return mtsi_error_set(MTSI_EINVAL, "architecture: out=%d must be in [1, 1024]", a->out_ch);
    if (a->width < 1 || a->width > 4096)
        return mtsi_error_set(MTSI_EINVAL, "architecture: width=%d must be in [1, 4096]", a->width);
    if (a->levels < 1 || a->levels > MTSI_NN_MAXLEVEL)
        return mtsi_error_set(MTSI_EINVAL, "architecture: %d levels, must be in [1, %d]", a->levels,
                              MTSI_NN_MAXLEVEL);
    for (int l = 0; l < a->levels; l++) {
        if (a->mult[l] < 1 || (long)a->mult[l] * a->width > 8192)
            return mtsi_error_set(MTSI_EINVAL, "architecture: mult[%d]=%d out of range", l,
                                  a->mult[l]);
        if (a->groups < 1 || (a->width * a->mult[l]) % a->groups)
            return mtsi_error_set(MTSI_EINVAL,
                                  "architecture: groups=%d does not divide the %d channels of level %d",
                                  a->groups, a->width * a->mult[l], l);
    }
    if (a->blocks < 1 || a->blocks > 64)
        return mtsi_error_set(MTSI_EINVAL, "architecture: blocks=%d must be in [1, 64]", a->blocks);
    if (a->kh < 1 || a->kw < 1 || a->kh % 2 == 0 || a->kw % 2 == 0 || a->kh > 31 || a->kw > 31)
        return mtsi_error_set(MTSI_EINVAL, "architecture: kernel %dx%d must have odd sizes <= 31",
                              a->kh, a->kw);
    if (a->pad != MTSI_NN_PAD_ZERO && a->pad != MTSI_NN_PAD_CIRCULAR)
        return mtsi_error_set(MTSI_EINVAL, "architecture: unknown padding %d", a->pad);
    if (a->cond_dim < 0 || a->cond_dim > 65536)
        return mtsi_error_set(MTSI_EINVAL, "architecture: cond=%d must be in [0, 65536]",
                              a->cond_dim);
    if (a->odd != 0 && a->odd != 1)
        return mtsi_error_set(MTSI_EINVAL, "architecture: odd=%d must be 0 or 1", a->odd);
    if (a->base != 0 && a->base != 1)
        return mtsi_error_set(MTSI_EINVAL, "architecture: unknown base %d", a->base);
    if (a->base && !(isfinite(a->gvar) && a->gvar > 0 && a->gvar < 1e12))
        return mtsi_error_set(MTSI_EINVAL, "architecture: base=gauss needs gvar in (0, 1e12), "
                                           "got %g",
                              a->gvar);
    if (a->base && !(isfinite(a->gmean) && fabs(a->gmean) < 1e6))
        return mtsi_error_set(MTSI_EINVAL, "architecture: gmean=%g must be finite, |gmean| < 1e6",
                              a->gmean);
    if (a->base && a->odd && a->gmean != 0)
        return mtsi_error_set(MTSI_EINVAL, "architecture: gmean=%g on an odd network (must be 0)",
                              a->gmean);
    if (a->base && !(isfinite(a->gzero) && a->gzero >= 0 && a->gzero < 1e12))
        return mtsi_error_set(MTSI_EINVAL, "architecture: gzero=%g must be in [0, 1e12)",
                              a->gzero);
    if (!a->base && (a->gmean != 0 || a->gvar != 0 || a->gzero != 0))
        return mtsi_error_set(MTSI_EINVAL, "architecture: gmean, gvar, gzero need base=gauss");
    return MTSI_OK;
}

static int parse_real(const char *key, const char *v, double *out)
{
    char *end;
    double x = strtod(v, &end);
    if (end == v || *end || !isfinite(x))
        return mtsi_error_set(MTSI_EINVAL, "architecture: %s: expected a number, got '%s'", key, v);
    *out = (double)(nn_real)x; /* the network computes in nn_real */
    return MTSI_OK;
}

static int parse_int(const char *key, const char *v, int *out)
{
    char *end;
    long x = strtol(v, &end, 10);
    if (end == v || *end || x < -1000000 || x > 1000000)
        return mtsi_error_set(MTSI_EINVAL, "architecture: %s: expected an integer, got '%s'", key, v);
    *out = (int)x;
    return MTSI_OK;
}

static int parse_pair(const char *key, const char *v, int *a, int *b)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s", v);
    char *x = strchr(buf, 'x');
    if (!x) {
        int rc = parse_int(key, v, a);
        *b = *a;
        return rc;
    }
    *x = '\0';
    if (parse_int(key, buf, a) || parse_int(key, x + 1, b))
        return mtsi_error_set(MTSI_EINVAL, "architecture: %s: expected N or HxW, got '%s'", key, v);
    return MTSI_OK;
}

int mtsi_nn_arch_parse(mtsi_nn_arch *a, const char *s)
{
    char buf[1024];
    if (strlen(s) >= sizeof buf)
        return mtsi_error_set(MTSI_EINVAL, "architecture: string too long");
    snprintf(buf, sizeof buf, "%s", s);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        while (isspace((unsigned char)*tok))
            tok++;
        char *eq = strchr(tok, '=');
        if (!eq)
            return mtsi_error_set(MTSI_EINVAL, "architecture: expected key=value, got '%s'", tok);
        *eq = '\0';
        const char *k = tok, *v = eq + 1;
        int rc = MTSI_OK;
        if (!strcmp(k, "in"))
            rc = parse_int(k, v, &a->in_ch);
        else if (!strcmp(k, "out"))
            rc = parse_int(k, v, &a->out_ch);
        else if (!strcmp(k, "width"))
            rc = parse_int(k, v, &a->width);
        else if (!strcmp(k, "blocks"))
            rc = parse_int(k, v, &a->blocks);
        else if (!strcmp(k, "groups"))
            rc = parse_int(k, v, &a->groups);
        else if (!strcmp(k, "cond"))
            rc = parse_int(k, v, &a->cond_dim);
        else if (!strcmp(k, "odd"))
            rc = parse_int(k, v, &a->odd);
        else if (!strcmp(k, "k"))
            rc = parse_pair(k, v, &a->kh, &a->kw);
        else if (!strcmp(k, "gmean"))
            rc = parse_real(k, v, &a->gmean);
        else if (!strcmp(k, "gvar"))
            rc = parse_real(k, v, &a->gvar);
        else if (!strcmp(k, "gzero"))
            rc = parse_real(k, v, &a->gzero);
        else if (!strcmp(k, "base")) {
            if (!strcmp(v, "none"))
                a->base = 0;
            else if (!strcmp(v, "gauss"))
                a->base = 1;
            else
                rc = mtsi_error_set(MTSI_EINVAL,
                                    "architecture: base: expected none or gauss, got '%s'", v);
        }
        else if (!strcmp(k, "pad")) {
            if (!strcmp(v, "circular"))
                a->pad = MTSI_NN_PAD_CIRCULAR;
            else if (!strcmp(v, "zero"))
                a->pad = MTSI_NN_PAD_ZERO;
            else
                rc = mtsi_error_set(MTSI_EINVAL,
                                    "architecture: pad: expected circular or zero, got '%s'", v);
        } else if (!strcmp(k, "mult")) {
            char mb[256];
            snprintf(mb, sizeof mb, "%s", v);
            int n = 0;
            char *save = NULL;
            for (char *m = strtok_r(mb, "-", &save); m && !rc; m = strtok_r(NULL, "-", &save)) {
                if (n == MTSI_NN_MAXLEVEL)
                    rc = mtsi_error_set(MTSI_EINVAL, "architecture: mult '%s' has more than %d levels",
                                        v, MTSI_NN_MAXLEVEL);
                else
                    rc = parse_int(k, m, &a->mult[n++]);
            }
            if (!rc && n == 0)
                rc = mtsi_error_set(MTSI_EINVAL, "architecture: mult: empty");
            a->levels = n;
        } else
            rc = mtsi_error_set(MTSI_EINVAL,
                                "architecture: unknown key '%s' (in, out, width, mult, blocks, k, "
                                "pad, groups, cond, odd, base, gmean, gvar, gzero)",
                                k);
        if (rc)
            return rc;
    }
    return mtsi_nn_arch_check(a);
}

void mtsi_nn_arch_format(const mtsi_nn_arch *a, char *buf, int n)
{
    char mult[128] = "";
    int p = 0;
    for (int l = 0; l < a->levels && p < (int)sizeof mult - 12; l++)
        p += snprintf(mult + p, sizeof mult - (size_t)p, "%s%d", l ? "-" : "", a->mult[l]);
    snprintf(buf, (size_t)n, "in=%d,out=%d,width=%d,mult=%s,blocks=%d,k=%dx%d,pad=%s,groups=%d,"
                             "cond=%d,odd=%d",
             a->in_ch, a->out_ch, a->width, mult, a->blocks, a->kh, a->kw,
             a->pad == MTSI_NN_PAD_CIRCULAR ? "circular" : "zero", a->groups, a->cond_dim, a->odd);
    size_t len = strlen(buf);
    if (a->base && len < (size_t)n) /* absent when there is none: older models read alike */
        snprintf(buf + len, (size_t)n - len, ",base=gauss,gmean=%.9g,gvar=%.9g", a->gmean,
                 a->gvar);
    len = strlen(buf);
    if (a->base && a->gzero != 0 && len < (size_t)n) /* absent when 0, as before it existed */
        snprintf(buf + len, (size_t)n - len, ",gzero=%.9g", a->gzero);
}

/* ---- building ------------------------------------------------------- */

static int resblock(nn_graph *g, const mtsi_nn_arch *a, int x, int emb, int cout)
{
    int h = nn_graph_gnorm(g, x, a->groups, -1);
    h = nn_graph_unary(g, NN_SILU, h);
    h = nn_graph_conv(g, h, cout, a->kh, a->kw, a->pad);
    int cond = emb >= 0 ? nn_graph_linear(g, emb, 2 * cout) : -1;
    if (emb >= 0 && cond < 0)
        return -1;
    h = nn_graph_gnorm(g, h, a->groups, cond);
    h = nn_graph_unary(g, NN_SILU, h);
    h = nn_graph_conv(g, h, cout, a->kh, a->kw, a->pad);
    if (x < 0 || h < 0)
        return -1;
    int skip = g->nodes[x].c == cout ? x : nn_graph_conv(g, x, cout, 1, 1, a->pad);
    return nn_graph_binary(g, NN_ADD, h, skip);
}

static int build(mtsi_nn_net *net)
{
    const mtsi_nn_arch *a = &net->arch;
    nn_graph *g = &net->g;
    int skip[MTSI_NN_MAXLEVEL];
    net->in_node = nn_graph_input(g, a->in_ch + 1, 0);
    int emb = -1;
    net->cond_node = -1;
    if (a->cond_dim > 0) {
        int e = 4 * a->width;
        net->cond_node = nn_graph_input(g, a->cond_dim, 1);
        emb = nn_graph_linear(g, net->cond_node, e);
        emb = nn_graph_unary(g, NN_SILU, emb);
        emb = nn_graph_linear(g, emb, e);
        emb = nn_graph_unary(g, NN_SILU, emb);
    }
    int h = nn_graph_conv(g, net->in_node, a->width * a->mult[0], a->kh, a->kw, a->pad);
    for (int l = 0; l < a->levels; l++) {
        for (int b = 0; b < a->blocks; b++)
            h = resblock(g, a, h, emb, a->width * a->mult[l]);
        skip[l] = h;
        if (l < a->levels - 1)
            h = nn_graph_resize(g, NN_POOL, h, 0, 0);
    }
    h = resblock(g, a, h, emb, a->width * a->mult[a->levels - 1]);
    for (int l = a->levels - 1; l >= 0; l--) {
        if (l < a->levels - 1) {
            h = nn_graph_resize(g, NN_UP, h, 0, 0);
            if (h >= 0)
                g->nodes[h].ref = skip[l];
        }
        h = nn_graph_binary(g, NN_CONCAT, h, skip[l]);
        for (int b = 0; b < a->blocks; b++)
            h = resblock(g, a, h, emb, a->width * a->mult[l]);
    }
    h = nn_graph_gnorm(g, h, a->groups, -1);
    h = nn_graph_unary(g, NN_SILU, h);
    h = nn_graph_conv(g, h, a->out_ch, a->kh, a->kw, a->pad);
    if (h < 0)
        return mtsi_error_code() ? mtsi_error_code() : MTSI_EFAIL;
    net->out_node = h;
    return MTSI_OK;
}

mtsi_nn_net *mtsi_nn_net_new(const mtsi_nn_arch *a, uint64_t seed)
{
    if (mtsi_nn_arch_check(a))
        return NULL;
    mtsi_nn_net *net = mtsi_calloc(1, sizeof *net);
    if (!net)
        return NULL;
    net->arch = *a;
    if (build(net) || nn_graph_finish(&net->g, seed)) {
        mtsi_nn_net_free(net);
        return NULL;
    }
    return net;
}

void mtsi_nn_net_free(mtsi_nn_net *net)
{
    if (!net)
        return;
    nn_graph_release(&net->g);
    free(net->sgn);
    free(net);
}

nn_graph *nn_net_graph(mtsi_nn_net *net) { return &net->g; }
const mtsi_nn_arch *mtsi_nn_net_arch(const mtsi_nn_net *net) { return &net->arch; }
long mtsi_nn_net_nparam(const mtsi_nn_net *net) { return net->g.nparam; }
mtsi_nn_real *mtsi_nn_net_params(mtsi_nn_net *net) { return net->g.param; }
mtsi_nn_real *mtsi_nn_net_grads(mtsi_nn_net *net) { return net->g.grad; }
const unsigned char *mtsi_nn_net_decay_mask(const mtsi_nn_net *net) { return net->g.decay; }

void mtsi_nn_net_zero_grad(mtsi_nn_net *net)
{
    memset(net->g.grad, 0, (size_t)net->g.nparam * sizeof(nn_real));
}

int mtsi_nn_net_set_params(mtsi_nn_net *net, const mtsi_nn_real *p, long n)
{
    if (n != net->g.nparam)
        return mtsi_error_set(MTSI_EINVAL, "nn: %ld parameters given, the network has %ld", n,
                              net->g.nparam);
    memcpy(net->g.param, p, (size_t)n * sizeof(nn_real));
    return MTSI_OK;
}

int mtsi_nn_net_set_base(mtsi_nn_net *net, double mean, double var, double zero)
{
    mtsi_nn_arch a = net->arch;
    a.base = 1;
    /* rounded to nn_real (the network's type), so that the printed value
     * reads back to the same base (volatile: the round trip is kept) */
    volatile nn_real m = (nn_real)mean, v = (nn_real)var, z = (nn_real)zero;
    a.gmean = (double)m;
    a.gvar = (double)v;
    a.gzero = (double)z;
    int rc = mtsi_nn_arch_check(&a);
    if (rc)
        return rc;
    net->arch = a;
    return MTSI_OK;
}

/* The base's coefficient k(α) and its derivative k'(α) (see mtsi_nn.h). */
static inline void base_k(double al, double v, double *k, double *dk)
{
    const double u = 1 - al, num = al - u * v, D = al * al + u * u * v;
    *k = num / D;
    if (dk)
        *dk = ((1 + v) * D - 2 * num * num) / (D * D);
}

/* The base's zero-mode term −c q α_a / D_a (mtsi_nn.h) of one sample: adds
 * its input gradients to dx and dalpha given the output gradient g. With
 * D = α² + β² v (β = 1 − α), e = β/D, p = α/D, u = Σ e r, w = Σ β e,
 * q = u/(1 + c w) and Gp = Σ_a g_a p_a:
 *   d/dx_b = −c Gp e_b / (1 + c w),
 *   d/dα_b = −c q g_b p'_b − c Gp (u'_b − c q w'_b) / (1 + c w),
 * u'_b = e'_b r_b + e_b μ, w'_b = −e_b + β_b e'_b, p' = (D − α D')/D²,
 * e' = −(D + β D')/D², D' = 2α − 2β v. xs holds s x (s = sg). */
static double base_zero_w(const nn_real *al, long hw, double v) /* Σ β² / D */
{
    double w = 0;
    for (long i = 0; i < hw; i++) {
        const double b = 1 - al[i];
        w += b * b / (al[i] * al[i] + b * b * v);
    }
    return w;
}

static double base_zero_u(const nn_real *al, const nn_real *xs, double sg, long hw, double mu,
                          double v) /* Σ β r / D, r = s xs − β μ */
{
    double u = 0;
    for (long i = 0; i < hw; i++) {
        const double b = 1 - al[i];
        u += b * (sg * xs[i] - b * mu) / (al[i] * al[i] + b * b * v);
    }
    return u;
}

static void base_zero_backward(const nn_real *al, const nn_real *xs, double sg, int C, int Co,
                               long hw, double mu, double v, double cz, const nn_real *g,
                               nn_real *dx, nn_real *dalpha)
{
    const double den = 1 + cz * base_zero_w(al, hw, v);
    for (int c = 0; c < Co && c < C; c++) {
        const nn_real *xc = xs + (long)c * hw, *gc = g + (long)c * hw;
        double Gp = 0;
        for (long i = 0; i < hw; i++)
            Gp += gc[i] * al[i] / (al[i] * al[i] + (1 - al[i]) * (1 - al[i]) * v);
        const double q = base_zero_u(al, xc, sg, hw, mu, v) / den;
        for (long i = 0; i < hw; i++) {
            const double a = al[i], b = 1 - a, D = a * a + b * b * v, dD = 2 * a - 2 * b * v;
            const double e = b / D, de = -(D + b * dD) / (D * D), dp = (D - a * dD) / (D * D);
            const double r = sg * xc[i] - b * mu;
            if (dx)
                dx[(long)c * hw + i] -= (nn_real)(cz * Gp * e / den);
            if (dalpha) {
                const double du = de * r + e * mu, dw = -e + b * de;
                dalpha[i] -= (nn_real)(cz * q * gc[i] * dp + cz * Gp * (du - cz * q * dw) / den);
            }
        }
    }
}

int mtsi_nn_net_plan(mtsi_nn_net *net, int batch, int h, int w)
{
    if (batch < 1 || batch > (1 << 24))
        return mtsi_error_set(MTSI_EINVAL, "nn: batch size %d must be in [1, 2^24]", batch);
    if (h < 1 || w < 1 || h > (1 << 15) || w > (1 << 15))
        return mtsi_error_set(MTSI_EINVAL, "nn: grid %dx%d must have sides in [1, 32768]", h, w);
    net->batch = net->h = net->w = 0;
    net->fwd_done = 0;
    int rc = nn_graph_plan(&net->g, net->arch.odd ? 2 * batch : batch, h, w);
    if (rc)
        return rc;
    free(net->sgn);
    net->sgn = malloc((size_t)batch * sizeof *net->sgn);
    if (!net->sgn)
        return mtsi_error_set(MTSI_ENOMEM, "nn: out of memory for a batch of %d", batch);
    net->batch = batch;
    net->h = h;
    net->w = w;
    return MTSI_OK;
}

int mtsi_nn_net_forward(mtsi_nn_net *net, const mtsi_nn_real *x, const mtsi_nn_real *alpha,
                        const mtsi_nn_real *cond, mtsi_nn_real *out)
{
    if (!net->batch)
        return mtsi_error_set(MTSI_EINVAL, "nn: forward before plan");
    if (!x || !alpha || !out)
        return mtsi_error_set(MTSI_EINVAL, "nn: forward needs x, alpha and out");
    if ((net->arch.cond_dim > 0) != (cond != NULL))
        return mtsi_error_set(MTSI_EINVAL, "nn: the network has cond=%d, a conditioning vector %s",
                              net->arch.cond_dim, cond ? "was given" : "is missing");
    nn_graph *g = &net->g;
    int N = net->batch, C = net->arch.in_ch, odd = net->arch.odd;
    long hw = (long)net->h * net->w;
    nn_node *in = &g->nodes[net->in_node];
    for (int n = 0; n < N; n++) {
        nn_real *d = in->y + (long)n * (C + 1) * hw;
        const nn_real *xn = x + (long)n * C * hw;
        memcpy(d + C * hw, alpha + (long)n * hw, (size_t)hw * sizeof(nn_real));
        if (odd) {
            /* The canonical form z = s x (s = the sign of the sum of x, or of
             * its first nonzero value) goes in slot n and -z in slot N + n;
             * out = s (f(z) - f(-z)) / 2. x and -x have the same z, so the
             * same floating-point operations at the same batch positions:
             * b(-x) = -b(x) holds bit for bit, whatever the BLAS kernels do
             * at different rows. */
            double sum = 0;
            long first = -1;
            for (long i = 0; i < C * hw; i++) {
                sum += xn[i];
                if (first < 0 && xn[i] != 0)
                    first = i;
            }
            nn_real sg = sum > 0 ? 1 : sum < 0 ? -1 : (first >= 0 && xn[first] < 0) ? -1 : 1;
            net->sgn[n] = sg;
            nn_real *e = in->y + (long)(N + n) * (C + 1) * hw;
            for (long i = 0; i < C * hw; i++) {
                d[i] = sg * xn[i];
                e[i] = -d[i];
            }
            memcpy(e + C * hw, d + C * hw, (size_t)hw * sizeof(nn_real));
        } else {
            memcpy(d, xn, (size_t)(C * hw) * sizeof(nn_real));
        }
    }
    if (net->cond_node >= 0) {
        nn_node *cn = &g->nodes[net->cond_node];
        long k = net->arch.cond_dim;
        memcpy(cn->y, cond, (size_t)(N * k) * sizeof(nn_real));
        if (odd)
            memcpy(cn->y + N * k, cond, (size_t)(N * k) * sizeof(nn_real));
    }
    nn_graph_forward(g);
    const nn_node *on = &g->nodes[net->out_node];
    long os = (long)N * net->arch.out_ch * hw;
    if (odd) {
        long per = (long)net->arch.out_ch * hw;
        for (long i = 0; i < os; i++)
            out[i] = net->sgn[i / per] * ((on->y[i] - on->y[os + i]) / 2);
    } else {
        memcpy(out, on->y, (size_t)os * sizeof(nn_real));
    }
    if (net->arch.base) {
        const int Co = net->arch.out_ch;
        const double mu = net->arch.gmean, v = net->arch.gvar, cz = net->arch.gzero;
        for (int n = 0; n < N; n++) {
            const nn_real *al = alpha + (long)n * hw;
            const double den = cz > 0 ? 1 + cz * base_zero_w(al, hw, v) : 1;
            for (int c = 0; c < Co && c < C; c++) {
                const nn_real *xc = x + ((long)n * C + c) * hw;
                nn_real *oc = out + ((long)n * Co + c) * hw;
                const double q = cz > 0 ? base_zero_u(al, xc, 1, hw, mu, v) / den : 0;
                for (long i = 0; i < hw; i++) {
                    const double b = 1 - al[i], D = al[i] * al[i] + b * b * v;
                    double k;
                    base_k(al[i], v, &k, NULL);
                    oc[i] += (nn_real)(k * (xc[i] - b * mu) - mu - cz * q * al[i] / D);
                }
            }
        }
    }
    net->fwd_done = 1;
    return MTSI_OK;
}

int mtsi_nn_net_backward(mtsi_nn_net *net, const mtsi_nn_real *dout, int accumulate,
                         mtsi_nn_real *dx, mtsi_nn_real *dalpha, mtsi_nn_real *dcond)
{
    if (!net->fwd_done)
        return mtsi_error_set(MTSI_EINVAL, "nn: backward without a forward since the last plan");
    nn_graph *g = &net->g;
    int N = net->batch, C = net->arch.in_ch, odd = net->arch.odd;
    long hw = (long)net->h * net->w;
    nn_node *on = &g->nodes[net->out_node];
    long os = (long)N * net->arch.out_ch * hw;
    if (odd) {
        long per = (long)net->arch.out_ch * hw;
        for (long i = 0; i < os; i++) {
            nn_real sg = net->sgn[i / per];
            on->dy[i] = sg * dout[i] / 2;
            on->dy[os + i] = -sg * dout[i] / 2;
        }
    } else
        memcpy(on->dy, dout, (size_t)os * sizeof(nn_real));
    if (!accumulate)
        mtsi_nn_net_zero_grad(net);
    nn_graph_backward(g);
    const nn_node *in = &g->nodes[net->in_node];
    for (int n = 0; n < N; n++) {
        const nn_real *d = in->dy + (long)n * (C + 1) * hw;
        const nn_real *e = odd ? in->dy + (long)(N + n) * (C + 1) * hw : NULL;
        if (dx) /* z = s x: dL/dx = s dL/dz */
            for (long i = 0; i < C * hw; i++)
                dx[(long)n * C * hw + i] = e ? net->sgn[n] * (d[i] - e[i]) : d[i];
        if (dalpha)
            for (long i = 0; i < hw; i++)
                dalpha[(long)n * hw + i] = e ? d[C * hw + i] + e[C * hw + i] : d[C * hw + i];
        if (net->arch.base && (dx || dalpha)) {
            /* the base: d b_G/dx = k, d b_G/dα = k' (x − (1 − α) μ) + k μ; the
             * input slot keeps α and s x (s = 1 without the odd wrapper) */
            const int Co = net->arch.out_ch;
            const double mu = net->arch.gmean, v = net->arch.gvar, cz = net->arch.gzero;
            const double sg = odd ? net->sgn[n] : 1;
            const nn_real *al = in->y + (long)n * (C + 1) * hw + C * hw;
            for (long i = 0; i < hw; i++) {
                double k, dk, da = 0;
                base_k(al[i], v, &k, &dk);
                for (int c = 0; c < Co && c < C; c++) {
                    const double g = dout[((long)n * Co + c) * hw + i];
                    const double xi = sg * in->y[(long)n * (C + 1) * hw + c * hw + i];
                    if (dx)
                        dx[((long)n * C + c) * hw + i] += (nn_real)(k * g);
                    da += g * (dk * (xi - (1 - al[i]) * mu) + k * mu);
                }
                if (dalpha)
                    dalpha[(long)n * hw + i] += (nn_real)da;
            }
            if (cz > 0)
                base_zero_backward(al, in->y + (long)n * (C + 1) * hw, sg, C, Co, hw, mu, v, cz,
                                   dout + (long)n * Co * hw, dx ? dx + (long)n * C * hw : NULL,
                                   dalpha ? dalpha + (long)n * hw : NULL);
        }
    }
    if (dcond && net->cond_node >= 0) {
        const nn_node *cn = &g->nodes[net->cond_node];
        long k = (long)N * net->arch.cond_dim;
        for (long i = 0; i < k; i++)
            dcond[i] = odd ? cn->dy[i] + cn->dy[k + i] : cn->dy[i];
    }
    return MTSI_OK;
}
