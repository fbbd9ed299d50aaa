/* Training and use of the digit classifier (SPEC §7: class histogram and
 * Fréchet distance of its penultimate-layer features). */
#include "config.h"
#include "mtsi_images.h"
#include "mtsi_err.h"
#include "mtsi_rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void mtsi_img_clf_config_default(mtsi_img_clf_config *c)
{
    c->epochs = 12;
    c->batch = 64;
    c->lr = 3e-3;
    c->weight_decay = 1e-4;
    c->shift = 2;
    c->seed = 1;
}

/* Copy image x shifted by (dr, dc), background −1 (p = 0) shifted in. */
static void shifted(const double *x, int h, int w, int dr, int dc, mtsi_nn_real *y)
{
    for (int r = 0; r < h; r++)
        for (int c = 0; c < w; c++) {
            int rr = r - dr, cc = c - dc;
            y[r * w + c] =
                (mtsi_nn_real)((rr >= 0 && rr < h && cc >= 0 && cc < w) ? x[rr * w + cc] : -1);
        }
}

int mtsi_img_clf_train(mtsi_nn_clf *clf, const mtsi_img_set *s, const mtsi_img_clf_config *c,
                       int (*progress)(long, long, double, double, void *), void *ctx)
{
    const mtsi_nn_clf_arch *a = mtsi_nn_clf_get_arch(clf);
    if (!s->labels)
        return mtsi_error_set(MTSI_EINVAL, "classifier: the training images have no labels");
    if (s->h != a->h || s->w != a->w)
        return mtsi_error_set(MTSI_EINVAL, "classifier: images are %dx%d, the classifier %dx%d",
                              s->h, s->w, a->h, a->w);
    for (long i = 0; i < s->n; i++)
        if (s->labels[i] < 0 || s->labels[i] >= a->classes)
            return mtsi_error_set(MTSI_EINVAL, "classifier: label %ld of image %ld outside [0, %d)",
                                  s->labels[i], i, a->classes);
    if (c->epochs < 1 || c->batch < 1 || c->batch > s->n || !(c->lr > 0) || c->shift < 0 ||
        c->shift > 8)
        return mtsi_error_set(MTSI_EINVAL,
                              "classifier: bad settings (epochs %d, batch %d of %ld images, lr %g, "
                              "shift %d)",
                              c->epochs, c->batch, s->n, c->lr, c->shift);
    int B = c->batch, rc = mtsi_nn_clf_plan(clf, B);
    if (rc)
        return rc;
    long P = (long)s->h * s->w, per = s->n / B, total = per * c->epochs;
    mtsi_nn_opt_config oc;
    mtsi_nn_opt_config_default(&oc);
    oc.lr = c->lr;
    oc.weight_decay = c->weight_decay;
    oc.schedule = MTSI_NN_LR_COSINE;
    oc.warmup = total / 20 > 0 ? total / 20 : 1;
    oc.total = total > oc.warmup ? total : oc.warmup + 1;
    oc.lr_min = c->lr * 0.01;
    oc.clip = 5;
    mtsi_nn_opt *opt =
        mtsi_nn_opt_new_params(&oc, mtsi_nn_clf_params(clf), mtsi_nn_clf_nparam(clf));
    mtsi_nn_real *x = mtsi_malloc((size_t)(B * P) * sizeof(mtsi_nn_real));
    int *lab = mtsi_malloc((size_t)B * sizeof(int));
    long *perm = mtsi_malloc((size_t)s->n * sizeof(long));
    if (!opt || !x || !lab || !perm)
        rc = mtsi_error_code() ? mtsi_error_code() : MTSI_ENOMEM;
    long step = 0;
    for (int e = 0; !rc && e < c->epochs; e++) {
        mtsi_rng r;
        mtsi_rng_seed(&r, c->seed, 1000 + (uint64_t)e);
        for (long i = 0; i < s->n; i++)
            perm[i] = i;
        for (long i = s->n - 1; i > 0; i--) {
            long j = (long)mtsi_rng_below(&r, (uint64_t)(i + 1)), t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        for (long k = 0; !rc && k < per; k++, step++) {
            for (int b = 0; b < B; b++) {
                long i = perm[k * B + b];
                int dr = c->shift ? (int)mtsi_rng_below(&r, (uint64_t)(2 * c->shift + 1)) - c->shift : 0;
                int dc = c->shift ? (int)mtsi_rng_below(&r, (uint64_t)(2 * c->shift + 1)) - c->shift : 0;
                shifted(s->x + i * P, s->h, s->w, dr, dc, x + (long)b * P);
                lab[b] = (int)s->labels[i];
            }
            double loss;
            long hits;
            rc = mtsi_nn_clf_forward(clf, x, NULL, NULL);
            rc = rc ? rc : mtsi_nn_clf_loss(clf, lab, 1, &loss, &hits);
            rc = rc ? rc
                    : mtsi_nn_opt_step_params(opt, mtsi_nn_clf_params(clf), mtsi_nn_clf_grads(clf),
                                              mtsi_nn_clf_decay_mask(clf), mtsi_nn_clf_nparam(clf),
                                              NULL);
            if (!rc && progress && progress(step + 1, total, loss, (double)hits / B, ctx))
                rc = mtsi_error_set(MTSI_EINTR, "classifier: training interrupted at step %ld",
                                    step + 1);
        }
    }
    mtsi_nn_opt_free(opt);
    free(x);
    free(lab);
    free(perm);
    return rc;
}

int mtsi_img_clf_apply(mtsi_nn_clf *clf, const mtsi_img_set *s, long *pred, double *feat)
{
    const mtsi_nn_clf_arch *a = mtsi_nn_clf_get_arch(clf);
    if (s->h != a->h || s->w != a->w)
        return mtsi_error_set(MTSI_EINVAL, "classifier: images are %dx%d, the classifier %dx%d",
                              s->h, s->w, a->h, a->w);
    int B = s->n < 100 ? (int)s->n : 100, K = a->classes, F = mtsi_nn_clf_nfeat(clf);
    int rc = mtsi_nn_clf_batch(clf) == B ? MTSI_OK : mtsi_nn_clf_plan(clf, B);
    if (rc)
        return rc;
    long P = (long)s->h * s->w;
    mtsi_nn_real *x = mtsi_malloc((size_t)(B * P) * sizeof(mtsi_nn_real));
    mtsi_nn_real *z = mtsi_malloc((size_t)(B * K) * sizeof(mtsi_nn_real));
    mtsi_nn_real *f = mtsi_malloc((size_t)(B * F) * sizeof(mtsi_nn_real));
    if (!x || !z || !f)
        rc = MTSI_ENOMEM;
    for (long i0 = 0; !rc && i0 < s->n; i0 += B) {
        long m = s->n - i0 < B ? s->n - i0 : B;
        /* a short last batch is padded with copies of its first image */
        for (long b = 0; b < B; b++) {
            const double *src = s->x + (i0 + (b < m ? b : 0)) * P;
            for (long q = 0; q < P; q++)
                x[b * P + q] = (mtsi_nn_real)src[q];
        }
        rc = mtsi_nn_clf_forward(clf, x, z, f);
        for (long b = 0; !rc && b < m; b++) {
            if (pred) {
                int best = 0;
                for (int k = 1; k < K; k++)
                    if (z[b * K + k] > z[b * K + best])
                        best = k;
                pred[i0 + b] = best;
            }
            if (feat)
                for (int q = 0; q < F; q++)
                    feat[(i0 + b) * F + q] = f[b * F + q];
        }
    }
    free(x);
    free(z);
    free(f);
    return rc;
}
