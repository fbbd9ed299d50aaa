/* AdamW (Loshchilov & Hutter 2019) over the flat parameter vector, with
 * global gradient-norm clipping, a learning-rate schedule and an
 * exponential moving average of the weights. The order of operations per
 * step matches torch.optim.AdamW:
 *   g ← g · min(1, clip/‖g‖);  θ ← θ (1 − lr·wd)  (weights only);
 *   m ← β1 m + (1−β1) g;  v ← β2 v + (1−β2) g²;
 *   θ ← θ − lr · (m/(1−β1ᵗ)) / (√(v/(1−β2ᵗ)) + ε);
 *   θ_ema ← d θ_ema + (1−d) θ.
 * Everything is elementwise or a fixed-order sum, so a resumed run repeats
 * an uninterrupted one bit for bit. */
#include "config.h"
#include "nn_internal.h"
#include "mtsi_err.h"

#include <stdlib.h>
#include <string.h>

struct mtsi_nn_opt {
    mtsi_nn_opt_config c;
    long n, step;
    nn_real *m, *v, *ema;
};

void mtsi_nn_opt_config_default(mtsi_nn_opt_config *c)
{
    memset(c, 0, sizeof *c);
    c->lr = 1e-3;
    c->beta1 = 0.9;
    c->beta2 = 0.999;
    c->eps = 1e-8;
    c->weight_decay = 0;
    c->clip = 0;
    c->schedule = MTSI_NN_LR_CONSTANT;
    c->warmup = 0;
    c->total = 0;
    c->gamma = 1;
    c->lr_min = 0;
    c->ema = 0;
}

int mtsi_nn_opt_config_check(const mtsi_nn_opt_config *c)
{
    if (!(c->lr > 0) || !isfinite(c->lr))
        return mtsi_error_set(MTSI_EINVAL, "optimiser: lr=%g must be positive", c->lr);
    if (!(c->beta1 >= 0 && c->beta1 < 1))
        return mtsi_error_set(MTSI_EINVAL, "optimiser: beta1=%g must be in [0, 1)", c->beta1);
    if (!(c->beta2 >= 0 && c->beta2 < 1))
        return mtsi_error_set(MTSI_EINVAL, "optimiser: beta2=%g must be in [0, 1)", c->beta2);
    if (!(c->eps > 0) || !isfinite(c->eps))
        return mtsi_error_set(MTSI_EINVAL, "optimiser: eps=%g must be positive", c->eps);
    if (!(c->weight_decay >= 0) || !isfinite(c->weight_decay))
        return mtsi_error_set(MTSI_EINVAL, "optimiser: weight_decay=%g must be >= 0",
                              c->weight_decay);
    if (!isfinite(c->clip))
        return mtsi_error_set(MTSI_EINVAL, "optimiser: clip=%g must be finite", c->clip);
    if (c->warmup < 0)
        return mtsi_error_set(MTSI_EINVAL, "optimiser: warmup=%ld must be >= 0", c->warmup);
    if (!(c->ema >= 0 && c->ema < 1))
        return mtsi_error_set(MTSI_EINVAL, "optimiser: ema=%g must be in [0, 1)", c->ema);
    switch (c->schedule) {
    case MTSI_NN_LR_CONSTANT:
        break;
    case MTSI_NN_LR_EXP:
        if (!(c->gamma > 0 && c->gamma <= 1))
            return mtsi_error_set(MTSI_EINVAL, "optimiser: gamma=%g must be in (0, 1]", c->gamma);
        break;
    case MTSI_NN_LR_COSINE:
        if (c->total < 1)
            return mtsi_error_set(MTSI_EINVAL, "optimiser: cosine schedule needs total=%ld >= 1",
                                  c->total);
        if (!(c->lr_min >= 0 && c->lr_min <= c->lr))
            return mtsi_error_set(MTSI_EINVAL, "optimiser: lr_min=%g must be in [0, lr=%g]",
                                  c->lr_min, c->lr);
        break;
    default:
        return mtsi_error_set(MTSI_EINVAL, "optimiser: unknown schedule %d", c->schedule);
    }
    return MTSI_OK;
}

mtsi_nn_opt *mtsi_nn_opt_new_params(const mtsi_nn_opt_config *c, const mtsi_nn_real *params,
                                    long n)
{
    if (mtsi_nn_opt_config_check(c))
        return NULL;
    mtsi_nn_opt *o = mtsi_calloc(1, sizeof *o);
    if (!o)
        return NULL;
    o->c = *c;
    o->n = n;
    size_t bytes = (size_t)(o->n ? o->n : 1) * sizeof(nn_real);
    o->m = mtsi_aligned_alloc(bytes);
    o->v = mtsi_aligned_alloc(bytes);
    o->ema = mtsi_aligned_alloc(bytes);
    if (!o->m || !o->v || !o->ema) {
        mtsi_nn_opt_free(o);
        return NULL;
    }
    memset(o->m, 0, bytes);
    memset(o->v, 0, bytes);
    memcpy(o->ema, params, (size_t)o->n * sizeof(nn_real));
    return o;
}

mtsi_nn_opt *mtsi_nn_opt_new(const mtsi_nn_opt_config *c, const mtsi_nn_net *net)
{
    return mtsi_nn_opt_new_params(c, mtsi_nn_net_params((mtsi_nn_net *)net),
                                  mtsi_nn_net_nparam(net));
}

void mtsi_nn_opt_free(mtsi_nn_opt *o)
{
    if (!o)
        return;
    free(o->m);
    free(o->v);
    free(o->ema);
    free(o);
}

long mtsi_nn_opt_steps(const mtsi_nn_opt *o) { return o->step; }
const mtsi_nn_opt_config *mtsi_nn_opt_get_config(const mtsi_nn_opt *o) { return &o->c; }

int mtsi_nn_opt_set_config(mtsi_nn_opt *o, const mtsi_nn_opt_config *c)
{
    int rc = mtsi_nn_opt_config_check(c);
    if (!rc)
        o->c = *c;
    return rc;
}
const mtsi_nn_real *mtsi_nn_opt_ema(const mtsi_nn_opt *o) { return o->ema; }

double mtsi_nn_opt_lr(const mtsi_nn_opt *o, long s)
{
    const mtsi_nn_opt_config *c = &o->c;
    if (s < c->warmup)
        return c->lr * (double)(s + 1) / (double)c->warmup;
    long t = s - c->warmup;
    switch (c->schedule) {
    case MTSI_NN_LR_EXP:
        return c->lr * pow(c->gamma, (double)t);
    case MTSI_NN_LR_COSINE: { /* a run within its warm-up has no decay: at the floor after */
        double p = c->total > c->warmup ? (double)t / (double)(c->total - c->warmup) : 1;
        if (p > 1)
            p = 1;
        return c->lr_min + (c->lr - c->lr_min) * 0.5 * (1 + cos(M_PI * p));
    }
    default:
        return c->lr;
    }
}

int mtsi_nn_opt_step(mtsi_nn_opt *o, mtsi_nn_net *net, double *gnorm)
{
    return mtsi_nn_opt_step_params(o, mtsi_nn_net_params(net), mtsi_nn_net_grads(net),
                                   mtsi_nn_net_decay_mask(net), mtsi_nn_net_nparam(net), gnorm);
}

int mtsi_nn_opt_step_params(mtsi_nn_opt *o, mtsi_nn_real *p, const mtsi_nn_real *g,
                            const unsigned char *mask, long n, double *gnorm)
{
    if (n != o->n)
        return mtsi_error_set(MTSI_EINVAL, "optimiser: built for %ld parameters, network has %ld",
                              o->n, n);
    double ss = 0;
    for (long i = 0; i < n; i++)
        ss += (double)g[i] * g[i];
    double norm = sqrt(ss);
    if (gnorm)
        *gnorm = norm;
    if (!isfinite(norm))
        return mtsi_error_set(MTSI_EFAIL, "optimiser: gradient norm is %g at step %ld", norm,
                              o->step);
    const mtsi_nn_opt_config *c = &o->c;
    double scale = (c->clip > 0 && norm > c->clip) ? c->clip / norm : 1;
    double lr = mtsi_nn_opt_lr(o, o->step);
    double t = (double)(o->step + 1);
    double bc1 = 1 - pow(c->beta1, t), bc2 = 1 - pow(c->beta2, t);
    const nn_real sc = (nn_real)scale, b1 = (nn_real)c->beta1, b2 = (nn_real)c->beta2;
    const nn_real a1 = (nn_real)(1 - c->beta1), a2 = (nn_real)(1 - c->beta2);
    const nn_real step = (nn_real)(lr / bc1), rb2 = (nn_real)(1 / sqrt(bc2)), eps = (nn_real)c->eps;
    const nn_real wd = (nn_real)(1 - lr * c->weight_decay);
    const nn_real d = (nn_real)c->ema, d1 = (nn_real)(1 - c->ema);
    nn_real *m = o->m, *v = o->v, *e = o->ema;
#pragma omp parallel for simd schedule(static) if (n >= NN_PAR_MIN)
    for (long i = 0; i < n; i++) {
        nn_real gi = g[i] * sc;
        nn_real th = mask[i] ? p[i] * wd : p[i];
        m[i] = b1 * m[i] + a1 * gi;
        v[i] = b2 * v[i] + a2 * gi * gi;
        th -= step * m[i] / (NN_SQRT(v[i]) * rb2 + eps);
        p[i] = th;
        e[i] = d * e[i] + d1 * th;
    }
    o->step++;
    return MTSI_OK;
}

nn_opt_state nn_opt_get_state(mtsi_nn_opt *o)
{
    nn_opt_state st = {&o->step, o->n, o->m, o->v, o->ema};
    return st;
}
