/* The classifier of mtsi_nn_clf.h: a graph of the existing layer kinds
 * (conv, group norm, SiLU, pooling, linear) with a softmax cross-entropy
 * head. Global average pooling is the pool layer with the last stage's
 * whole grid as its factor, so no new layer kind is needed. */
#include "config.h"
#include "mtsi_nn_clf.h"
#include "nn_internal.h"
#include "mtsi_err.h"
#include "mtsi_h5.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mtsi_nn_clf {
    mtsi_nn_clf_arch arch;
    nn_graph g;
    int in_node, feat_node, out_node;
    int nfeat;
    int fwd_done;
};

void mtsi_nn_clf_arch_default(mtsi_nn_clf_arch *a)
{
    memset(a, 0, sizeof *a);
    a->in_ch = 1;
    a->h = a->w = 28;
    a->classes = 10;
    a->width = 16;
    a->stages = 3;
    a->convs = 2;
    a->hidden = 64;
    a->groups = 4;
}

int mtsi_nn_clf_arch_check(const mtsi_nn_clf_arch *a)
{
    if (a->in_ch < 1 || a->in_ch > 64)
        return mtsi_error_set(MTSI_EINVAL, "classifier: in=%d must be in [1, 64]", a->in_ch);
    if (a->classes < 2 || a->classes > 1000)
        return mtsi_error_set(MTSI_EINVAL, "classifier: classes=%d must be in [2, 1000]",
                              a->classes);
    if (a->width < 1 || a->width > 512)
        return mtsi_error_set(MTSI_EINVAL, "classifier: width=%d must be in [1, 512]", a->width);
    if (a->stages < 1 || a->stages > 4)
        return mtsi_error_set(MTSI_EINVAL, "classifier: stages=%d must be in [1, 4]", a->stages);
    if (a->convs < 1 || a->convs > 8)
        return mtsi_error_set(MTSI_EINVAL, "classifier: convs=%d must be in [1, 8]", a->convs);
    if (a->hidden < 0 || a->hidden > 4096)
        return mtsi_error_set(MTSI_EINVAL, "classifier: hidden=%d must be in [0, 4096]",
                              a->hidden);
    if (a->groups < 1 || a->width % a->groups)
        return mtsi_error_set(MTSI_EINVAL, "classifier: groups=%d must divide width=%d",
                              a->groups, a->width);
    int f = 1 << (a->stages - 1);
    if (a->h < 1 || a->w < 1 || a->h % f || a->w % f)
        return mtsi_error_set(MTSI_EINVAL,
                              "classifier: a %dx%d grid cannot be pooled by 2 %d times", a->h,
                              a->w, a->stages - 1);
    return MTSI_OK;
}

void mtsi_nn_clf_arch_format(const mtsi_nn_clf_arch *a, char *buf, int n)
{
    snprintf(buf, (size_t)n, "in=%d,h=%d,w=%d,classes=%d,width=%d,stages=%d,convs=%d,hidden=%d,"
                             "groups=%d",
             a->in_ch, a->h, a->w, a->classes, a->width, a->stages, a->convs, a->hidden,
             a->groups);
}

int mtsi_nn_clf_arch_parse(mtsi_nn_clf_arch *a, const char *s)
{
    char buf[512];
    if (strlen(s) >= sizeof buf)
        return mtsi_error_set(MTSI_EINVAL, "classifier: architecture string too long");
    strcpy(buf, s);
    struct {
        const char *key;
        int *v;
    } keys[] = {{"in", &a->in_ch},       {"h", &a->h},           {"w", &a->w},
                {"classes", &a->classes}, {"width", &a->width},   {"stages", &a->stages},
                {"convs", &a->convs},     {"hidden", &a->hidden}, {"groups", &a->groups}};
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq)
            return mtsi_error_set(MTSI_EINVAL, "classifier: '%s' is not key=value", tok);
        *eq = 0;
        size_t k;
        for (k = 0; k < sizeof keys / sizeof keys[0]; k++)
            if (!strcmp(tok, keys[k].key))
                break;
        if (k == sizeof keys / sizeof keys[0])
            return mtsi_error_set(MTSI_EINVAL, "classifier: unknown key '%s'", tok);
        char *end;
        long v = strtol(eq + 1, &end, 10);
        if (end == eq + 1 || *end || v < -1000000 || v > 1000000)
            return mtsi_error_set(MTSI_EINVAL, "classifier: %s=%s is not an integer", tok, eq + 1);
        *keys[k].v = (int)v;
    }
    return mtsi_nn_clf_arch_check(a);
}

static int build(mtsi_nn_clf *c)
{
    const mtsi_nn_clf_arch *a = &c->arch;
    nn_graph *g = &c->g;
    int x = c->in_node = nn_graph_input(g, a->in_ch, 0);
    int ch = a->width, hh = a->h, ww = a->w;
    for (int s = 0; s < a->stages; s++) {
        if (s > 0) {
            x = nn_graph_resize(g, NN_POOL, x, 2, 2);
            hh /= 2;
            ww /= 2;
            ch *= 2;
        }
        for (int k = 0; k < a->convs; k++) {
            x = nn_graph_conv(g, x, ch, 3, 3, MTSI_NN_PAD_ZERO);
            x = nn_graph_gnorm(g, x, a->groups, -1);
            x = nn_graph_unary(g, NN_SILU, x);
        }
    }
    x = nn_graph_resize(g, NN_POOL, x, hh, ww); /* global average */
    c->nfeat = ch;
    if (a->hidden > 0) {
        x = nn_graph_linear(g, x, a->hidden);
        x = nn_graph_unary(g, NN_SILU, x);
        c->nfeat = a->hidden;
    }
    c->feat_node = x;
    x = nn_graph_linear(g, x, a->classes);
    if (x < 0)
        return mtsi_error_code() ? mtsi_error_code() : MTSI_EFAIL;
    c->out_node = x;
    return MTSI_OK;
}

mtsi_nn_clf *mtsi_nn_clf_new(const mtsi_nn_clf_arch *a, uint64_t seed)
{
    if (mtsi_nn_clf_arch_check(a))
        return NULL;
    mtsi_nn_clf *c = mtsi_calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->arch = *a;
    if (build(c) || nn_graph_finish(&c->g, seed)) {
        mtsi_nn_clf_free(c);
        return NULL;
    }
    return c;
}

void mtsi_nn_clf_free(mtsi_nn_clf *c)
{
    if (!c)
        return;
    nn_graph_release(&c->g);
    free(c);
}

const mtsi_nn_clf_arch *mtsi_nn_clf_get_arch(const mtsi_nn_clf *c) { return &c->arch; }
int mtsi_nn_clf_nfeat(const mtsi_nn_clf *c) { return c->nfeat; }
int mtsi_nn_clf_batch(const mtsi_nn_clf *c) { return c->g.batch; }
long mtsi_nn_clf_nparam(const mtsi_nn_clf *c) { return c->g.nparam; }
mtsi_nn_real *mtsi_nn_clf_params(mtsi_nn_clf *c) { return c->g.param; }
mtsi_nn_real *mtsi_nn_clf_grads(mtsi_nn_clf *c) { return c->g.grad; }
const unsigned char *mtsi_nn_clf_decay_mask(const mtsi_nn_clf *c) { return c->g.decay; }

int mtsi_nn_clf_plan(mtsi_nn_clf *c, int batch)
{
    if (batch < 1 || batch > (1 << 20))
        return mtsi_error_set(MTSI_EINVAL, "classifier: batch size %d must be in [1, 2^20]",
                              batch);
    c->fwd_done = 0;
    return nn_graph_plan(&c->g, batch, c->arch.h, c->arch.w);
}

int mtsi_nn_clf_forward(mtsi_nn_clf *c, const mtsi_nn_real *x, mtsi_nn_real *logits,
                        mtsi_nn_real *feat)
{
    nn_graph *g = &c->g;
    if (!g->arena)
        return mtsi_error_set(MTSI_EFAIL, "classifier: forward before plan");
    nn_node *in = &g->nodes[c->in_node];
    memcpy(in->y, x, (size_t)g->batch * (size_t)nn_size(in) * sizeof(nn_real));
    nn_graph_forward(g);
    if (logits)
        memcpy(logits, g->nodes[c->out_node].y,
               (size_t)g->batch * (size_t)c->arch.classes * sizeof(nn_real));
    if (feat)
        memcpy(feat, g->nodes[c->feat_node].y, (size_t)g->batch * (size_t)c->nfeat * sizeof(nn_real));
    c->fwd_done = 1;
    return MTSI_OK;
}

int mtsi_nn_clf_backward(mtsi_nn_clf *c, const mtsi_nn_real *dlogits)
{
    nn_graph *g = &c->g;
    if (!c->fwd_done)
        return mtsi_error_set(MTSI_EFAIL, "classifier: backward without a forward");
    memcpy(g->nodes[c->out_node].dy, dlogits,
           (size_t)g->batch * (size_t)c->arch.classes * sizeof(nn_real));
    memset(g->grad, 0, (size_t)g->nparam * sizeof(nn_real));
    nn_graph_backward(g);
    return MTSI_OK;
}

/* L = −(1/B) Σ_b log softmax(z_b)[y_b]; dL/dz_b = (softmax(z_b) − e_{y_b}) / B. */
int mtsi_nn_clf_loss(mtsi_nn_clf *c, const int *labels, int backward, double *loss,
                     long *correct)
{
    nn_graph *g = &c->g;
    if (!c->fwd_done)
        return mtsi_error_set(MTSI_EFAIL, "classifier: loss without a forward");
    int B = g->batch, K = c->arch.classes;
    nn_node *o = &g->nodes[c->out_node];
    double L = 0;
    long hits = 0;
    for (int b = 0; b < B; b++) {
        if (labels[b] < 0 || labels[b] >= K)
            return mtsi_error_set(MTSI_EINVAL, "classifier: label %d outside [0, %d)", labels[b],
                                  K);
        const nn_real *z = o->y + (long)b * K;
        int best = 0;
        double zmax = z[0];
        for (int k = 1; k < K; k++)
            if (z[k] > zmax) {
                zmax = z[k];
                best = k;
            }
        hits += best == labels[b];
        double se = 0;
        for (int k = 0; k < K; k++)
            se += exp((double)z[k] - zmax);
        L += log(se) + zmax - (double)z[labels[b]];
        if (backward) {
            nn_real *d = o->dy + (long)b * K;
            for (int k = 0; k < K; k++)
                d[k] = (nn_real)((exp((double)z[k] - zmax) / se - (k == labels[b])) / B);
        }
    }
    if (loss)
        *loss = L / B;
    if (correct)
        *correct = hits;
    if (backward) {
        memset(g->grad, 0, (size_t)g->nparam * sizeof(nn_real));
        nn_graph_backward(g);
    }
    return MTSI_OK;
}

/* ---- checkpoint ------------------------------------------------------- */

static uint64_t params_checksum(const nn_real *p, long n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    const unsigned char *b = (const unsigned char *)p;
    for (size_t i = 0; i < (size_t)n * sizeof(nn_real); i++) {
        h ^= b[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

int mtsi_nn_clf_save_h5(hid_t file, const char *group, const mtsi_nn_clf *c)
{
    char arch[256], sum[32];
    mtsi_nn_clf_arch_format(&c->arch, arch, sizeof arch);
    long n = c->g.nparam;
    snprintf(sum, sizeof sum, "%016" PRIx64, params_checksum(c->g.param, n));
    int rc = mtsi_h5_group(file, group);
    hid_t g = rc ? -1 : H5Gopen2(file, group, H5P_DEFAULT);
    if (g < 0)
        return rc ? rc : mtsi_error_set(MTSI_EIO, "cannot open group '%s'", group);
    hsize_t dn = (hsize_t)n;
    rc = mtsi_h5_attr_set_string(g, "format", "mtsi-nn-clf/1");
    rc = rc ? rc : mtsi_h5_attr_set_string(g, "arch", arch);
    rc = rc ? rc : mtsi_h5_attr_set_long(g, "nparam", n);
    rc = rc ? rc : mtsi_h5_attr_set_string(g, "checksum", sum);
#ifdef MTSI_NN_DOUBLE
    rc = rc ? rc : mtsi_h5_write_double(g, "params", 1, &dn, c->g.param);
#else
    rc = rc ? rc : mtsi_h5_write_float(g, "params", 1, &dn, c->g.param);
#endif
    H5Gclose(g);
    return rc;
}

int mtsi_nn_clf_load_h5(hid_t file, const char *group, const char *what, mtsi_nn_clf **out)
{
    *out = NULL;
    if (!mtsi_h5_has(file, group))
        return mtsi_error_set(MTSI_EINVAL, "%s: no classifier (group /%s missing)", what, group);
    hid_t g = H5Gopen2(file, group, H5P_DEFAULT);
    if (g < 0)
        return mtsi_error_set(MTSI_EINVAL, "%s: cannot open group /%s", what, group);
    char fmt[64], archs[256], sum[32], got[32];
    long n = 0;
    mtsi_nn_clf_arch a;
    mtsi_nn_clf_arch_default(&a);
    int rc = mtsi_h5_attr_get_string(g, "format", fmt, sizeof fmt, what);
    if (!rc && strcmp(fmt, "mtsi-nn-clf/1"))
        rc = mtsi_error_set(MTSI_EINVAL, "%s: format '%s', expected mtsi-nn-clf/1", what, fmt);
    rc = rc ? rc : mtsi_h5_attr_get_string(g, "arch", archs, sizeof archs, what);
    rc = rc ? rc : mtsi_h5_attr_get_long(g, "nparam", &n, what);
    rc = rc ? rc : mtsi_h5_attr_get_string(g, "checksum", sum, sizeof sum, what);
    if (!rc && mtsi_nn_clf_arch_parse(&a, archs))
        rc = mtsi_error_set(MTSI_EINVAL, "%s: %s", what, mtsi_error_msg());
    mtsi_nn_clf *c = rc ? NULL : mtsi_nn_clf_new(&a, 0);
    if (!rc && !c)
        rc = mtsi_error_code() ? mtsi_error_code() : MTSI_ENOMEM;
    if (!rc && c->g.nparam != n)
        rc = mtsi_error_set(MTSI_EINVAL, "%s: nparam %ld does not match the architecture (%ld)",
                            what, n, c->g.nparam);
#ifdef MTSI_NN_DOUBLE
    rc = rc ? rc : mtsi_h5_read_double(g, "params", c->g.param, (size_t)n, what);
#else
    rc = rc ? rc : mtsi_h5_read_float(g, "params", c->g.param, (size_t)n, what);
#endif
    if (!rc) {
        snprintf(got, sizeof got, "%016" PRIx64, params_checksum(c->g.param, n));
        if (strcmp(got, sum))
            rc = mtsi_error_set(MTSI_EINVAL,
                                "%s: checksum mismatch (stored %s, data %s): the file is damaged",
                                what, sum, got);
    }
    H5Gclose(g);
    if (rc) {
        mtsi_nn_clf_free(c);
        return rc;
    }
    *out = c;
    return MTSI_OK;
}
