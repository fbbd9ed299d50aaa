/* Algorithm 1 (SPEC.md section 1.1): regress b̂(α, I_α) on x0 − x1 with
 * α ~ ν, x0 ~ N(0, I), x1 from an ensemble. One training step:
 *
 *   for each sample: x1 = g·(next configuration of the epoch's order)
 *                    (g a random symmetry of the data when augmenting),
 *                    α ~ ν, x0 ~ N(0, I), input α ⊙ x0 + (1 − α) ⊙ x1,
 *                    target x0 − x1;
 *   loss = mean over samples and sites of (b̂ − target)²;
 *   backward, AdamW step (clipping, schedule and EMA in lib/nn).
 *
 * All randomness of a step comes from one stream drawn in a fixed order,
 * and the network is bitwise reproducible for a fixed thread count, so
 * the checkpoint (RNG state, epoch order and cursor, the partial loss sum
 * of the current history entry, lib/nn state) is all a resumed run needs
 * to repeat the uninterrupted one exactly. The law ν lives in mtsi_nu.c,
 * the augmentation in mtsi_augment.c, the checkpoint in mtsi_train_ckpt.c. */
#include "config.h"
#include "mtsi_train_internal.h"
#include "mtsi_cli.h"
#include "mtsi_err.h"
#include "mtsi_h5.h"
#include "mtsi_mpi.h"
#include "mtsi_posterior.h"

#include <inttypes.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


/* ---- configuration ------------------------------------------------------ */

void mtsi_train_defaults(mtsi_train_cfg *c)
{
    memset(c, 0, sizeof *c);
    mtsi_nn_opt_config_default(&c->opt);
    /* the recipe of docs/STUDY_FIDELITY.md (L = 16 phi^4: the drift alone
     * within 3 sigma of MCMC for the prior and h = 0.05; base gauss below) */
    c->opt.lr = 2e-3;
    c->opt.warmup = 50;
    c->opt.ema = 0.99; /* ~100-step average: 0.999 lags runs of a few thousand steps */
    c->opt.schedule = MTSI_NN_LR_COSINE; /* to 0 over the run: study section 6 */
    c->steps = 10000;
    c->batch = 32;
    mtsi_nu_default(&c->nu);
    c->augment = 1;
    snprintf(c->standardize, sizeof c->standardize, "none");
    snprintf(c->base, sizeof c->base, "gauss");
    c->val_frac = 0.1;
    c->val_max = 512;
    c->seed = 1;
    c->log_every = 50;
    c->ckpt_every = 500;
    c->m2 = NAN;
    c->lambda = NAN;
    c->stream_chains = 64;
    c->stream_thin = 2;
    c->stream_therm = 200;
    c->val_n = 256;
    c->tilt_auto = 1; /* phi^4 ensembles: study section 7 */
}

int mtsi_train_arch(const mtsi_shape *s, const char *spec, mtsi_nn_arch *a)
{
    mtsi_nn_arch_default(a);
    const int lattice = mtsi_shape_is_lattice(s, NULL, NULL);
    if (lattice) {
        a->pad = MTSI_NN_PAD_CIRCULAR;
        a->odd = 1;
        if (s->naxes == 1)
            a->kh = 1;
    } else {
        int per = 1;
        for (int i = 0; i < s->naxes; i++)
            per &= s->periodic[i] != 0;
        a->pad = per ? MTSI_NN_PAD_CIRCULAR : MTSI_NN_PAD_ZERO;
        a->odd = 0;
        a->in_ch = a->out_ch = s->channels;
        if (s->naxes == 1) {
            a->kh = 1;
            a->kw = 5;
        }
    }
    if (spec && *spec) {
        int rc = mtsi_nn_arch_parse(a, spec);
        if (rc) {
            char m[512];
            snprintf(m, sizeof m, "%s", mtsi_error_msg());
            return mtsi_error_set(MTSI_EINVAL, "--arch: %s", m);
        }
    }
    if (a->in_ch != s->channels || a->out_ch != s->channels || a->cond_dim != 0)
        return mtsi_error_set(MTSI_EINVAL, "--arch: a drift for data with %d channel%s has in=%d, "
                                           "out=%d and no conditioning vector",
                              s->channels, s->channels == 1 ? "" : "s", s->channels, s->channels);
    return mtsi_nn_arch_check(a);
}

/* --stream-mcmc: the couplings, the lattice and the chains. */
static int check_stream(const mtsi_train_cfg *c)
{
    if (c->data[0])
        return mtsi_error_set(MTSI_EINVAL, "--data and --stream-mcmc exclude each other: the "
                                           "stream replaces the ensemble (validation: --val-n "
                                           "streamed configurations)");
    if (isnan(c->m2) || isnan(c->lambda))
        return mtsi_error_set(MTSI_EINVAL, "--stream-mcmc needs the couplings --m2 and --lambda");
    if (!isfinite(c->m2) || !isfinite(c->lambda))
        return mtsi_error_set(MTSI_EINVAL, "--m2 %g, --lambda %g: the couplings must be finite",
                              c->m2, c->lambda);
    if (c->lambda < 0)
        return mtsi_error_set(MTSI_EINVAL, "--lambda: must be >= 0, got %g", c->lambda);
    if (c->lambda == 0 && !(c->m2 > 0))
        return mtsi_error_set(MTSI_EINVAL, "--m2: the free field (--lambda 0) needs m2 > 0, got %g",
                              c->m2);
    if (c->stream_L == 0)
        return mtsi_error_set(MTSI_EINVAL, "--stream-mcmc needs the lattice side --L");
    if (c->stream_L < 4 || c->stream_L > 4096)
        return mtsi_error_set(MTSI_EINVAL, "--L: the lattice side must be in [4, 4096], got %ld",
                              c->stream_L);
    if (c->stream_chains < 1 || c->stream_chains > 65536)
        return mtsi_error_set(MTSI_EINVAL, "--stream-chains: must be in [1, 65536], got %ld",
                              c->stream_chains);
    if (c->stream_thin < 1)
        return mtsi_error_set(MTSI_EINVAL, "--stream-thin: must be >= 1, got %ld", c->stream_thin);
    if (c->stream_therm < 0)
        return mtsi_error_set(MTSI_EINVAL, "--stream-therm: must be >= 0, got %ld",
                              c->stream_therm);
    if (c->val_n < 0 || c->val_n > (1L << 20))
        return mtsi_error_set(MTSI_EINVAL, "--val-n: must be in [0, 2^20], got %ld", c->val_n);
    if (strcmp(c->standardize, "none"))
        return mtsi_error_set(MTSI_EINVAL, "--standardize %s needs a fixed ensemble (--data), not "
                                           "--stream-mcmc",
                              c->standardize);
    return MTSI_OK;
}

int mtsi_train_tilt_check(const char *what, double h, double A, double frac)
{
    if (!(h >= 0 && h <= 10))
        return mtsi_error_set(MTSI_EINVAL, "%s: h must be in [0, 10] (fields in [-h, h]), got %g",
                              what, h);
    if (!(A <= 0 && A >= -100))
        return mtsi_error_set(MTSI_EINVAL, "%s: A must be in [-100, 0] (terms in [A, 0]), got %g",
                              what, A);
    if (!(frac > 0 && frac <= 1))
        return mtsi_error_set(MTSI_EINVAL, "%s: frac must be in (0, 1], got %g", what, frac);
    if (h == 0 && A == 0)
        return mtsi_error_set(MTSI_EINVAL, "%s: give h > 0 or A < 0", what);
    return MTSI_OK;
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
    if (strcmp(c->standardize, "none") && strcmp(c->standardize, "channel"))
        return mtsi_error_set(MTSI_EINVAL, "--standardize: unknown '%s' (none or channel)",
                              c->standardize);
    if (strcmp(c->base, "none") && strcmp(c->base, "gauss") && strcmp(c->base, "gauss-zero"))
        return mtsi_error_set(MTSI_EINVAL, "--base: unknown '%s' (gauss, gauss-zero or none)",
                              c->base);
    if (c->nu.block < 1)
        return mtsi_error_set(MTSI_EINVAL, "--block: must be >= 1, got %ld", c->nu.block);
    if (!(c->zero_weight >= 0 && c->zero_weight <= 1e6))
        return mtsi_error_set(MTSI_EINVAL, "--zero-weight: must be in [0, 1e6], got %g",
                              c->zero_weight);
    if (!(c->alpha_weight >= -2 && c->alpha_weight <= 2))
        return mtsi_error_set(MTSI_EINVAL, "--alpha-weight: must be in [-2, 2], got %g",
                              c->alpha_weight);
    double sum = 0;
    for (int i = 0; i < MTSI_NU_NCOMP; i++) {
        if (!(c->nu.w[i] >= 0) || !isfinite(c->nu.w[i]))
            return mtsi_error_set(MTSI_EINVAL, "--nu: bad weight %g for '%s'", c->nu.w[i],
                                  mtsi_nu_names[i]);
        sum += c->nu.w[i];
    }
    if (fabs(sum - 1) > 1e-9)
        return mtsi_error_set(MTSI_EINVAL, "--nu: weights sum to %g, not 1", sum);
    if (mtsi_nn_opt_config_check(&c->opt)) {
        char m[512];
        snprintf(m, sizeof m, "%s", mtsi_error_msg());
        return mtsi_error_set(MTSI_EINVAL, "%s", m);
    }
    if ((c->tilt_h != 0 || c->tilt_a != 0) &&
        mtsi_train_tilt_check("--tilt", c->tilt_h, c->tilt_a, c->tilt_frac))
        return MTSI_EINVAL;
    if (c->stream)
        return check_stream(c);
    if (c->tilt_a < 0)
        return mtsi_error_set(MTSI_EINVAL, "--tilt A=%g needs --stream-mcmc: an ensemble is tilted "
                                           "by reweighting, and e^{A/2 sum x^2} leaves too few "
                                           "configurations (use h alone with --data)",
                              c->tilt_a);
    if (c->tilt_h > 0 && strcmp(c->standardize, "none"))
        return mtsi_error_set(MTSI_EINVAL, "--tilt and --standardize %s exclude each other (a "
                                           "field acts on the data's own units)",
                              c->standardize);
    return MTSI_OK;
}

/* ---- the trainer ---------------------------------------------------------- */

static void trainer_free(trainer *t)
{
    mtsi_ensemble_free(&t->e);
    mtsi_stream_free(t->stream);
    mtsi_chain_table_free(&t->mine);
    mtsi_chain_table_free(&t->chains);
    free(t->sx);
    free(t->zero);
    free(t->schain);
    mtsi_tilt_table_free(&t->tilt);
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

/* One sample of Algorithm 1 into row i of (xin, al, tgt): xin and tg hold
 * V = C * P values, al one alpha per grid point (shared by the channels).
 * A sample of a tilted chain (h, A not both 0: x1 from p1 e^{h sum x +
 * A/2 sum x^2}) trains the prior's drift where the posterior drift
 * evaluates it: per site the input (alpha_r, x_r) and a target whose
 * conditional mean is the prior's b(alpha_r, x_r)
 * (mtsi_posterior_train_site, SPEC 2's map). A field alone is singular at alpha = 1, so
 * such a sample's alpha is scaled by 1 - MTSI_TILT_TMIN (the network's
 * default t_min: sampling never asks for more). */
#define MTSI_TILT_TMIN 0.05
static void draw_sample(trainer *t, mtsi_rng *r, const double *x1, int augment, double h, double A,
                        mtsi_nn_real *xin, mtsi_nn_real *al, mtsi_nn_real *tg)
{
    const long V = t->V, P = t->P;
    const double *src = x1;
    if (augment) {
        h *= mtsi_augment(&t->shape, r, x1, t->x1aug); /* phi -> -phi turns h into -h */
        src = t->x1aug;
    }
    mtsi_nu_sample(&t->c.nu, &t->shape, r, t->work, t->alpha);
    mtsi_rng_normal_fill(r, t->x0, V);
    if (h == 0 && A == 0) {
        for (long a = 0; a < P; a++)
            al[a] = (mtsi_nn_real)t->alpha[a];
        for (long i = 0; i < V; i++) {
            double al_ = t->alpha[i % P];
            xin[i] = (mtsi_nn_real)(al_ * t->x0[i] + (1 - al_) * src[i]);
            tg[i] = (mtsi_nn_real)(t->x0[i] - src[i]);
        }
        return;
    }
    const double scale = A == 0 ? 1 - MTSI_TILT_TMIN : 1;
    for (long i = 0; i < V; i++) { /* tilts are phi^4-only: one channel, V = P */
        double ar, xr, y;
        /* A <= 0 and alpha < 1: always feasible */
        mtsi_posterior_train_site(scale * t->alpha[i % P], A, h, t->x0[i], src[i], &ar, &xr, &y);
        al[i % P] = (mtsi_nn_real)ar;
        xin[i] = (mtsi_nn_real)xr;
        tg[i] = (mtsi_nn_real)y;
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

/* --tilt on an ensemble: the training configurations reweighted by
 * e^{h sum x} (mtsi_tilt.h), TILT_K fields over [-H, H]; drawn with
 * replacement (the epoch order is the untilted samples'). */
#define TILT_K 64
static int tilt_tables(trainer *t)
{
    if (t->shape.channels != 1)
        return mtsi_error_set(MTSI_EINVAL, "--tilt: a field acts on one-channel data; %s has %d "
                                           "channels",
                              t->src, t->shape.channels);
    int rc = mtsi_tilt_table_init(&t->tilt, t->e.configs, t->n_train, t->V, t->c.tilt_h, TILT_K);
    if (!rc && t->tilt.ess < 100)
        rc = mtsi_error_set(MTSI_EINVAL, "--tilt h=%g: reweighted by e^{h sum x}, %s keeps an "
                                         "effective %.0f of its %ld training configurations "
                                         "(fewer than 100); lower h",
                            t->c.tilt_h, t->src, t->tilt.ess, t->n_train);
    return rc;
}

double mtsi_train_tilt_auto_h(const double *configs, long n, long V)
{
    double ms = 0;
    for (long i = 0; i < n; i++) {
        double m = 0;
        for (long a = 0; a < V; a++)
            m += configs[i * V + a];
        m /= V;
        ms += m * m;
    }
    if (n < 1 || !(ms > 0) || !isfinite(ms))
        return 0;
    const double h = MTSI_TRAIN_TILT_AUTO_C / (V * sqrt(ms / n));
    return h < 10 ? h : 10;
}

/* The default tilt (tilt_auto): phi^4 ensembles only; the rule's field,
 * halved until 100 effective configurations remain (at most 8 times;
 * none left: no tilt). Leaves t->c.tilt_auto = 0 and the tables built. */
static int auto_tilt(trainer *t)
{
    mtsi_train_cfg *c = &t->c;
    c->tilt_auto = 0;
    if (c->tilt_h > 0 || c->tilt_a < 0)
        return MTSI_OK; /* an explicit tilt */
    const double frac = c->tilt_frac > 0 ? c->tilt_frac : 0.5;
    c->tilt_frac = 0; /* untilted unless chosen below */
    if (c->stream || !mtsi_shape_is_lattice(&t->shape, NULL, NULL) || strcmp(c->standardize, "none"))
        return MTSI_OK;
    double h = mtsi_train_tilt_auto_h(t->e.configs, t->n_train, t->V);
    for (int k = 0; h > 0 && k <= 8; k++, h /= 2) {
        int rc = mtsi_tilt_table_init(&t->tilt, t->e.configs, t->n_train, t->V, h, TILT_K);
        if (rc)
            return rc;
        if (t->tilt.ess >= 100) {
            c->tilt_h = h;
            c->tilt_frac = frac;
            t->tilt_auto = 1;
            return MTSI_OK;
        }
        mtsi_tilt_table_free(&t->tilt);
    }
    t->tilt_auto = 2;
    return MTSI_OK;
}

/* One configuration of a tilted law (into t->x1) and its field. */
static const double *tilted_draw(trainer *t, double *h)
{
    int k;
    const long n = t->n_train, V = t->V, j = mtsi_tilt_draw(&t->tilt, &t->rng, &k);
    const double s = j < n ? 1.0 : -1.0, *x = t->e.configs + (j % n) * V;
    for (long a = 0; a < V; a++)
        t->x1[a] = s * x[a];
    *h = mtsi_tilt_field(&t->tilt, k);
    return t->x1;
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
    const long V = t->V, P = t->P;
    double sum = 0;
    for (long s0 = 0; s0 < t->n_val; s0 += t->vchunk) {
        long m = t->n_val - s0 < t->vchunk ? t->n_val - s0 : t->vchunk;
        memcpy(t->cx, t->vx + s0 * V, (size_t)(m * V) * sizeof(mtsi_nn_real));
        memcpy(t->ca, t->va + s0 * P, (size_t)(m * P) * sizeof(mtsi_nn_real));
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

/* One step. Every rank draws the whole batch (the same stream, the same
 * order), so sample j has the same draws whatever the number of ranks,
 * and runs the network on its share [lo, lo + blocal); the gradient of the
 * share is already scaled by 2 / (B V) of the whole batch, so the sum over
 * the ranks is the gradient of the single-process mean. With ranks, the
 * loss sum, any signal and any failure are summed in the same call, so
 * every rank stops (or fails) at the same step. */
static int train_step(trainer *t, double *loss)
{
    const long B = t->c.batch, V = t->V, P = t->P, lo = t->lo, nb = t->blocal;
    /* a stream: this rank's share first (the others' samples draw the
     * same random numbers from a stand-in that is never used) */
    int rc = t->stream ? mtsi_stream_draw(t->stream, nb, t->sx, t->schain) : MTSI_OK;
    for (long i = 0; i < B; i++) {
        const double *x1;
        double h = 0, A = 0;
        if (t->stream && i >= lo && i < lo + nb) {
            x1 = t->sx + (i - lo) * V;
            mtsi_train_chain_tilt(&t->c, t->chain0 + t->schain[i - lo], &h, &A);
        } else if (t->stream)
            x1 = t->zero;
        else if (t->tilt.cdf && mtsi_rng_uniform(&t->rng) < t->c.tilt_frac)
            x1 = tilted_draw(t, &h);
        else
            x1 = t->e.configs + next_index(t) * V;
        draw_sample(t, &t->rng, x1, t->c.augment, h, A, t->xin + i * V, t->al + i * P,
                    t->tgt + i * V);
    }
    if (!rc)
        rc = mtsi_nn_net_forward(t->net, t->xin + lo * V, t->al + lo * P, NULL, t->out);
    const double scale = 2.0 / (double)(B * V), w = t->c.zero_weight, p = t->c.alpha_weight;
    const double v = t->arch.base ? t->arch.gvar : 1;
    const mtsi_nn_real *tg = t->tgt + lo * V;
    double sum = 0;
    /* loss per sample and channel: sum_a g_a d_a^2 + w P dbar^2 (dbar the mean
     * of d over the P grid points, g_a = 1 or the alpha weight), so
     * d/d out_a = 2 (g_a d_a + w dbar); the reported loss is the plain mean
     * square */
    for (long r = 0; !rc && r < nb * V; r += P) {
        const mtsi_nn_real *al = t->al + (lo + r / V) * P;
        double dbar = 0;
        for (long a = 0; a < P; a++) {
            double d = (double)t->out[r + a] - (double)tg[r + a];
            sum += d * d;
            dbar += d;
        }
        dbar = w * dbar / (double)P;
        for (long a = 0; a < P; a++) {
            double d = (double)t->out[r + a] - (double)tg[r + a];
            if (p != 0) {
                double x = al[a], g = (x * x + (1 - x) * (1 - x) * v) / v;
                d *= pow(g, p);
            }
            t->dout[r + a] = (mtsi_nn_real)(scale * (d + dbar));
        }
    }
    if (t->size > 1) {
        if (!rc)
            rc = mtsi_nn_net_backward(t->net, t->dout, 0, NULL, NULL, NULL);
        double v[3] = {sum, mtsi_signal_pending() ? 1 : 0, rc ? 1 : 0};
        mtsi_mpi_sum(v, 3, (int)sizeof(double));
        if (rc)
            return rc;
        if (v[2] > 0)
            return mtsi_error_set(MTSI_EFAIL, "another rank failed at step %ld", t->step + 1);
        sum = v[0];
        t->sig = v[1] > 0;
        mtsi_mpi_sum(mtsi_nn_net_grads(t->net), mtsi_nn_net_nparam(t->net),
                     (int)sizeof(mtsi_nn_real));
    }
    if (rc)
        return rc;
    *loss = sum / (double)(B * V);
    if (!isfinite(*loss))
        return mtsi_error_set(MTSI_EFAIL, "training diverged: loss %g at step %ld (lower --lr or "
                                          "set --clip)",
                              *loss, t->step + 1);
    if (t->size == 1 && (rc = mtsi_nn_net_backward(t->net, t->dout, 0, NULL, NULL, NULL)))
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

/* ---- the run ---------------------------------------------------------------- */

/* --standardize channel: each channel to mean 0 and standard deviation 1
 * over the training configurations (recorded in the model, undone by
 * mtsi sample). */
static int standardize(trainer *t)
{
    const int C = t->shape.channels;
    const long P = t->P, V = t->V, n = t->n_train;
    if (C > MTSI_MODEL_MAXSTD)
        return mtsi_error_set(MTSI_EINVAL, "--standardize: at most %d channels, the data have %d",
                              MTSI_MODEL_MAXSTD, C);
    for (int c = 0; c < C; c++) {
        double s = 0, s2 = 0;
        for (long i = 0; i < n; i++)
            for (long a = 0; a < P; a++)
                s += t->e.configs[i * V + c * P + a];
        const double mean = s / (double)(n * P);
        for (long i = 0; i < n; i++)
            for (long a = 0; a < P; a++) {
                double d = t->e.configs[i * V + c * P + a] - mean;
                s2 += d * d;
            }
        const double sd = sqrt(s2 / (double)(n * P));
        if (!(sd > 0))
            return mtsi_error_set(MTSI_EINVAL, "--standardize: channel %d of '%s' is constant", c,
                                  t->c.data);
        t->std_shift[c] = mean;
        t->std_scale[c] = sd;
    }
    t->standardized = 1;
    for (long i = 0; i < t->e.n; i++)
        for (int c = 0; c < C; c++)
            for (long a = 0; a < P; a++) {
                double *v = &t->e.configs[i * V + c * P + a];
                *v = (*v - t->std_shift[c]) / t->std_scale[c];
            }
    return MTSI_OK;
}

/* --data: the ensemble, its training configurations (the first n_train)
 * and the held-out block after them. */
static int read_data(trainer *t)
{
    const mtsi_train_cfg *c = &t->c;
    snprintf(t->src, sizeof t->src, "'%s'", c->data);
    int rc;
    if ((rc = mtsi_in_check(c->data)))
        return rc;
    if ((rc = mtsi_ensemble_read(c->data, &t->e)))
        return rc;
    t->shape = t->e.shape;
    t->dim = t->e.dim;
    t->L = t->e.L;
    t->V = t->e.V;
    t->P = mtsi_shape_points(&t->shape);
    if (t->dim != 1 && t->dim != 2)
        return mtsi_error_set(MTSI_EINVAL, "ensemble '%s': %d-axis data are not supported by "
                                           "the neural drift (1 or 2 axes)",
                              c->data, t->dim);
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
    return MTSI_OK;
}

/* The law and the sampler of a stream: the 2-D periodic lattice of the
 * couplings, the cluster sampler with the defaults of mtsi mcmc. */
static int stream_law(const mtsi_train_cfg *c, mtsi_phi4_params *p, mtsi_sampler_opts *o)
{
    memset(p, 0, sizeof *p);
    int rc = check_stream(c);
    rc = rc ? rc : mtsi_phi4_set_lattice(p, 2, c->stream_L);
    if (rc)
        return rc;
    mtsi_phi4_set_m2_lambda(p, c->m2, c->lambda);
    if ((rc = mtsi_phi4_validate(p)))
        return rc;
    mtsi_sampler_defaults(o, MTSI_SAMPLER_CLUSTER, p);
    return mtsi_sampler_validate(o, p);
}

/* Radical inverse of j in base b, in (0, 1) for j >= 1. */
static double radical_inverse(long j, int b)
{
    double v = 0, f = 1.0 / b;
    for (; j > 0; j /= b, f /= b)
        v += f * (double)(j % b);
    return v;
}

void mtsi_train_chain_tilt(const mtsi_train_cfg *c, long k, double *h, double *A)
{
    *h = *A = 0;
    if (!(c->tilt_h > 0 || c->tilt_a < 0) || k < 0 || k >= c->stream_chains)
        return;
    const double f = c->tilt_frac;
    long j = (long)floor((double)k * f);
    if ((long)floor((double)(k + 1) * f) == j)
        return; /* an untilted chain */
    *h = c->tilt_h * (2 * radical_inverse(j + 1, 2) - 1);
    *A = c->tilt_a * radical_inverse(j + 1, 3);
}

struct mtsi_stream *mtsi_train_stream_new(const mtsi_train_cfg *c, long first, long n)
{
    mtsi_phi4_params p;
    mtsi_sampler_opts o;
    if (stream_law(c, &p, &o))
        return NULL;
    double *h = mtsi_malloc((size_t)n * sizeof(double)), *A = mtsi_malloc((size_t)n * sizeof(double));
    mtsi_stream *s = NULL;
    if (h && A) {
        for (long i = 0; i < n; i++)
            mtsi_train_chain_tilt(c, first + i, &h[i], &A[i]);
        s = mtsi_stream_new_tilted(&p, &o, c->seed ^ MTSI_TRAIN_STREAM_TAG, (uint64_t)first, n,
                                   c->stream_therm, c->stream_thin, h, A);
    }
    free(h);
    free(A);
    return s;
}

/* --stream-mcmc: the lattice of the couplings and this rank's chains (made
 * here, thermalised or restored at the end of setup). */
static int stream_data(trainer *t)
{
    const mtsi_train_cfg *c = &t->c;
    snprintf(t->src, sizeof t->src, "the stream");
    int rc = stream_law(c, &t->phi4, &t->so);
    if (rc)
        return rc;
    mtsi_shape_lattice(&t->shape, 2, c->stream_L);
    t->dim = 2;
    t->L = c->stream_L;
    t->P = mtsi_shape_points(&t->shape);
    t->V = mtsi_shape_size(&t->shape);
    mtsi_ensemble_set_shape(&t->e, &t->shape);
    /* the law of the data, recorded in the model like an ensemble's */
    t->e.chi = t->phi4.chi;
    t->e.kappa = t->phi4.kappa;
    t->e.gamma = t->phi4.gamma;
    t->e.field_h = 0;
    t->e.quad_a = 0;
    t->n_train = 0;
    t->n_val = c->val_n;
    t->data_sum = fnv1a(NULL, 0);
    const long P = c->stream_chains;
    if (P % t->size)
        return mtsi_error_set(MTSI_EINVAL, "--stream-chains %ld is not divisible by the %d MPI "
                                           "ranks",
                              P, t->size);
    t->nchain = P / t->size;
    t->chain0 = t->rank * t->nchain;
    t->stream = mtsi_train_stream_new(c, t->chain0, t->nchain);
    if (!t->stream)
        return mtsi_error_code() ? mtsi_error_code() : MTSI_ENOMEM;
    if ((rc = mtsi_chain_table_alloc(&t->mine, t->nchain, t->V)))
        return rc;
    if (t->rank == 0 && (rc = mtsi_chain_table_alloc(&t->chains, P, t->V)))
        return rc;
    t->sx = mtsi_malloc((size_t)(t->blocal * t->V) * sizeof(double));
    t->zero = mtsi_calloc((size_t)t->V, sizeof(double));
    t->schain = mtsi_calloc((size_t)(t->blocal > 0 ? t->blocal : 1), sizeof(long));
    if (!t->sx || !t->zero || !t->schain)
        return MTSI_ENOMEM;
    return MTSI_OK;
}

/* The validation configurations of a stream (rank 0): val_n draws from
 * min(P, val_n) chains of their own (streams P, P + 1, ... of the family),
 * thermalised like the training chains. */
static int stream_validation(trainer *t, double *x)
{
    const mtsi_train_cfg *c = &t->c;
    const long P = c->stream_chains, n = c->val_n < P ? c->val_n : P;
    mtsi_stream *vs = mtsi_train_stream_new(c, P, n);
    if (!vs)
        return mtsi_error_code() ? mtsi_error_code() : MTSI_ENOMEM;
    int rc = mtsi_stream_thermalize(vs);
    if (!rc)
        rc = mtsi_stream_draw(vs, c->val_n, x, NULL);
    mtsi_stream_free(vs);
    return rc;
}

void mtsi_train_collect_chains(trainer *t)
{
    if (!t->stream)
        return;
    mtsi_stream_save(t->stream, &t->mine, 0);
    const size_t n = (size_t)t->nchain;
    mtsi_mpi_gather(t->mine.fields, n * (size_t)t->V * sizeof(double), t->chains.fields);
    mtsi_mpi_gather(t->mine.rng, n * 4 * sizeof *t->mine.rng, t->chains.rng);
    mtsi_mpi_gather(t->mine.dv, n * MTSI_CHAIN_ND * sizeof(double), t->chains.dv);
    mtsi_mpi_gather(t->mine.lv, n * MTSI_CHAIN_NL * sizeof(long), t->chains.lv);
}

/* The fixed validation draw (stream 1): no augmentation, so the set is
 * the held-out configurations themselves. With a stream, rank 0 alone (the
 * only one that validates) draws them. */
static int validation_set(trainer *t)
{
    const mtsi_train_cfg *c = &t->c;
    const long V = t->V, P = t->P;
    int rc;
    if (t->n_val > 0 && (!t->stream || t->rank == 0)) {
        t->vx = ralloc(t->n_val * V);
        t->va = ralloc(t->n_val * P);
        t->vt = ralloc(t->n_val * V);
        if (!t->vx || !t->va || !t->vt)
            return mtsi_error_set(MTSI_ENOMEM, "out of memory for %ld validation samples",
                                  t->n_val);
        const double *xv = NULL;
        double *sv = NULL;
        if (t->stream) {
            sv = mtsi_malloc((size_t)(t->n_val * V) * sizeof(double));
            if (!sv)
                return MTSI_ENOMEM;
            if ((rc = stream_validation(t, sv))) {
                free(sv);
                return rc;
            }
            xv = sv;
        } else {
            xv = t->e.configs + t->n_train * V;
        }
        mtsi_rng vr;
        mtsi_rng_seed(&vr, c->seed, 1);
        for (long i = 0; i < t->n_val; i++)
            draw_sample(t, &vr, xv + i * V, 0, 0, 0, t->vx + i * V, t->va + i * P, t->vt + i * V);
        free(sv);
    }
    return MTSI_OK;
}

/* --base gauss on a new training: the mean and variance of the values of
 * the training configurations (with a stream, of the chains just
 * thermalised, summed over the ranks), pooled over the sites and channels;
 * an odd network takes the mean as 0 (the law is symmetric) and the second
 * moment as the variance. The base changes no parameter, so the network is
 * built first and given it here. */
static int set_base(trainer *t)
{
    const int zero = !strcmp(t->c.base, "gauss-zero");
    if (strcmp(t->c.base, "gauss") && !zero) {
        if (t->arch.base)
            return mtsi_error_set(MTSI_EINVAL, "--base none: the --arch string sets base=gauss");
        return MTSI_OK;
    }
    if (t->arch.base) /* given with --arch */
        return MTSI_OK;
    const double *x;
    long n;
    if (t->stream) {
        mtsi_stream_save(t->stream, &t->mine, 0);
        x = t->mine.fields;
        n = t->nchain * t->V;
    } else {
        x = t->e.configs;
        n = t->n_train * t->V;
    }
    /* sums of x, x², the count, and of m² for the grid means m (per sample
     * and channel; their mean is x's) */
    const long P = t->P;
    double v[4] = {0, 0, (double)n, 0};
    for (long r = 0; r < n; r += P) {
        double m = 0;
        for (long a = 0; a < P; a++) {
            v[0] += x[r + a];
            v[1] += x[r + a] * x[r + a];
            m += x[r + a];
        }
        m /= (double)P;
        v[3] += m * m;
    }
    if (t->stream && t->size > 1)
        mtsi_mpi_sum(v, 4, (int)sizeof(double));
    const double mean = t->arch.odd ? 0 : v[0] / v[2];
    double var = v[1] / v[2] - mean * mean, c = 0;
    if (!(v[2] > 0 && var > 0 && isfinite(var)))
        return mtsi_error_set(MTSI_EINVAL, "--base %s: the training data of %s have no "
                                           "variance (%g); use --base none",
                              t->c.base, t->src, var);
    if (zero && P < 2)
        return mtsi_error_set(MTSI_EINVAL, "--base gauss-zero: the grid of %s has one point, "
                                           "its mean is its value; use --base gauss",
                              t->src);
    if (zero) {
        /* covariance v I + c 1 1ᵀ: Var(m) = v / P + c, Var(x) = v + c */
        const double nm = v[2] / (double)P, vm = v[3] / nm - mean * mean;
        c = (vm - var / (double)P) / (1 - 1 / (double)P);
        if (!(c > 0)) /* the base would be gauss's, and read back as it */
            return mtsi_error_set(MTSI_EINVAL, "--base gauss-zero: the grid means of %s vary "
                                               "no more than independent values would (zero "
                                               "mode's excess variance %g); use --base gauss",
                                  t->src, c);
        if (c > 0.999 * var)
            c = 0.999 * var;
        var -= c;
    }
    int rc = mtsi_nn_net_set_base(t->net, mean, var, c);
    if (!rc)
        rc = mtsi_nn_net_set_base(t->vnet, mean, var, c);
    if (!rc)
        t->arch = *mtsi_nn_net_arch(t->net);
    return rc;
}

static int setup(trainer *t, const mtsi_train_cfg *c, int resume)
{
    t->c = *c;
    snprintf(t->what, sizeof t->what, "model '%s'", c->out ? c->out : "");
    /* the cosine decays over the run's --steps; a resume with more (or
     * fewer) steps moves its end, from the step the checkpoint is at */
    if (c->opt.schedule == MTSI_NN_LR_COSINE)
        t->c.opt.total = c->steps;
    int rc = check_cfg(&t->c);
    if (rc)
        return rc;
    t->rank = mtsi_mpi_rank();
    t->size = mtsi_mpi_size();
    /* rank 0 alone writes (and locks) the output */
    if (!resume && t->rank == 0 && (rc = mtsi_out_check(c->out, c->force)))
        return rc;
    if (resume && t->rank == 0 && (rc = mtsi_out_resume(c->out)))
        return rc;
    mtsi_train_cfg stored;
    mtsi_train_defaults(&stored);
    if (resume) {
        if ((rc = mtsi_train_read_cfg(c->out, &stored)))
            return rc;
        if ((rc = mtsi_train_compare_settings(&stored, &t->c, t->what)))
            return rc;
        if (stored.ranks != t->size)
            return mtsi_error_set(MTSI_EINVAL, "%s: trained on %ld MPI rank%s, resumed on %d; "
                                               "resume under the same number of ranks",
                                  t->what, stored.ranks, stored.ranks == 1 ? "" : "s", t->size);
    }
    if (c->batch % t->size)
        return mtsi_error_set(MTSI_EINVAL, "--batch %ld is not divisible by the %d MPI ranks",
                              c->batch, t->size);
    t->blocal = c->batch / t->size;
    t->lo = t->rank * t->blocal;
    if ((rc = t->c.stream ? stream_data(t) : read_data(t)))
        return rc;
    long side = 0;
    for (int d = 0; d < t->dim; d++)
        side = t->shape.n[d] > side ? t->shape.n[d] : side;
    if (c->block_given && c->nu.block > side) {
        char sh[200];
        mtsi_shape_format(&t->shape, sh, sizeof sh);
        return mtsi_error_set(MTSI_EINVAL, "--block: %ld is larger than the grid side %ld of %s "
                                           "(a %s)",
                              c->nu.block, side, t->src, sh);
    }
    t->h = t->dim == 1 ? 1 : (int)t->shape.n[0];
    t->w = (int)t->shape.n[t->dim - 1];
    if (t->c.augment && !mtsi_augment_available(&t->shape))
        t->c.augment = 0; /* the data have no symmetry to augment with */
    const int tilt_auto = t->c.tilt_auto;
    if (tilt_auto && (rc = auto_tilt(t)))
        return rc;
    if (!t->c.stream && t->c.tilt_h > 0 && !t->tilt.cdf && (rc = tilt_tables(t)))
        return rc;
    if (tilt_auto && resume && (rc = mtsi_train_compare_settings(&stored, &t->c, t->what)))
        return rc;
    if (!strcmp(t->c.standardize, "channel") && (rc = standardize(t)))
        return rc;
    if ((rc = mtsi_train_arch(&t->shape, c->arch, &t->arch)))
        return rc;
    /* resuming with the original settings (not the file's): the base was
     * set from the data when the run started and lives in the file */
    if (resume && !t->arch.base && strcmp(t->c.base, "none")) {
        mtsi_nn_arch sa;
        if (mtsi_train_arch(&t->shape, stored.arch, &sa) == MTSI_OK && sa.base) {
            t->arch.base = 1;
            t->arch.gmean = sa.gmean;
            t->arch.gvar = sa.gvar;
            t->arch.gzero = sa.gzero;
        }
    }
    if ((rc = mtsi_nn_opt_config_check(&t->c.opt)))
        return rc;
    const long B = c->batch, V = t->V;
    t->order = malloc((size_t)(t->n_train > 0 ? t->n_train : 1) * sizeof(long));
    const long P = t->P;
    t->work = malloc((size_t)P * sizeof(long));
    t->x1 = malloc((size_t)V * sizeof(double));
    t->x1aug = malloc((size_t)V * sizeof(double));
    t->alpha = malloc((size_t)P * sizeof(double));
    t->x0 = malloc((size_t)V * sizeof(double));
    t->xin = ralloc(B * V);
    t->al = ralloc(B * P);
    t->tgt = ralloc(B * V);
    t->out = ralloc(t->blocal * V);
    t->dout = ralloc(t->blocal * V);
    t->vchunk = t->n_val < B ? (t->n_val > 0 ? t->n_val : 1) : B;
    t->cx = ralloc(t->vchunk * V);
    t->ca = ralloc(t->vchunk * P);
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
    if ((rc = mtsi_nn_net_plan(t->net, (int)t->blocal, t->h, t->w)) ||
        (rc = mtsi_nn_net_plan(t->vnet, (int)t->vchunk, t->h, t->w))) {
        char m[512];
        snprintf(m, sizeof m, "%s", mtsi_error_msg());
        char sh[200];
        mtsi_shape_format(&t->shape, sh, sizeof sh);
        return mtsi_error_set(MTSI_EINVAL, "--arch on a %s: %s", sh, m);
    }
    t->opt = mtsi_nn_opt_new(&t->c.opt, t->net);
    if (!t->opt)
        return mtsi_error_code();
    mtsi_rng_seed(&t->rng, c->seed, 0);
    for (long i = 0; i < t->n_train; i++)
        t->order[i] = i;
    shuffle(&t->rng, t->order, t->n_train);
    t->cursor = 0;
    t->epoch = 0;
    /* a checkpoint is checked before the validation set is drawn (a stream
     * thermalises chains for it) */
    rc = MTSI_OK;
    if (resume)
        rc = mtsi_train_load_state(t, t->what);
    else if (t->stream)
        rc = mtsi_stream_thermalize(t->stream);
    if (!rc && !resume)
        rc = set_base(t);
    return rc ? rc : validation_set(t);
}

/* With ranks: every rank learns whether any failed (rc its own code). A
 * rank other than 0 that failed alone prints its message here, since only
 * rank 0 reports errors; the others return a failure naming it. */
static int agree(int rc, const char *during)
{
    if (mtsi_mpi_size() == 1)
        return rc;
    const int rank = mtsi_mpi_rank();
    /* v[1]: rank 0's code, which the others return as theirs */
    int v[2] = {rc ? 1 : 0, rank == 0 ? rc : 0};
    mtsi_mpi_max_int(v, 2);
    if (rc && rank != 0 && !v[1])
        fprintf(stderr, "mtsi train: rank %d: %s\n", rank, mtsi_error_msg());
    if (!rc && v[0])
        return mtsi_error_set(v[1] ? v[1] : MTSI_EFAIL, "%s failed on %s", during,
                              v[1] ? "rank 0" : "another rank (see its message)");
    return rc;
}

int mtsi_train_run(const mtsi_train_cfg *c, int resume)
{
    trainer t;
    memset(&t, 0, sizeof t);
    int rc = agree(setup(&t, c, resume), "setting up");
    if (rc) {
        trainer_free(&t);
        return rc;
    }
    const long start = t.step, steps = t.c.steps;
    const int root = t.rank == 0;
    if (root && t.c.verbose && t.tilt_auto == 1)
        printf("train: tilt h=%.4g,frac=%g (automatic: %g / (V m_rms); %.0f effective "
               "configurations; --tilt none to train without)\n",
               t.c.tilt_h, t.c.tilt_frac, MTSI_TRAIN_TILT_AUTO_C, t.tilt.ess);
    else if (root && t.c.verbose && t.tilt_auto == 2)
        printf("train: no tilt: %s has too few configurations (%ld) to tilt by reweighting\n",
               t.src, t.n_train);
    mtsi_progress *pg = root ? mtsi_progress_new("train", steps - start) : NULL;
    double t0 = mtsi_wtime(), last_val = NAN, last_train = NAN;
    if (t.nhist > 0) {
        last_train = t.hist[(t.nhist - 1) * HCOLS + 1];
        last_val = t.hist[(t.nhist - 1) * HCOLS + 2];
    }
    while (t.step < steps) {
        double lr = mtsi_nn_opt_lr(t.opt, t.step), loss = 0;
        if ((rc = train_step(&t, &loss)))
            break;
        t.loss_sum += loss;
        t.loss_count++;
        if (t.step % t.c.log_every == 0 || t.step == steps) {
            double v = NAN; /* rank 0 alone validates and keeps the history it writes */
            if (root)
                rc = validate(&t, &v);
            if (t.size > 1) {
                double f = rc ? 1 : 0;
                mtsi_mpi_sum(&f, 1, (int)sizeof f);
                if (f > 0 && !rc)
                    rc = mtsi_error_set(MTSI_EFAIL, "validation failed on rank 0");
            }
            if (rc)
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
        if (isfinite(last_train))
            snprintf(extra, sizeof extra, "loss %.4g val %.4g", last_train, last_val);
        else /* nothing logged yet */
            snprintf(extra, sizeof extra, "loss - val -");
        mtsi_progress_update(pg, t.step - start, extra);
        /* with ranks, the signal every rank agreed on in the step */
        int sig = t.size > 1 ? t.sig : mtsi_signal_pending();
        int stop = t.c.stop_after > 0 && t.step == t.c.stop_after && t.step < steps;
        if (t.step == steps || sig || stop ||
            (t.c.ckpt_every > 0 && t.step % t.c.ckpt_every == 0)) {
            mtsi_train_collect_chains(&t); /* every rank's chains to rank 0 */
            if (root)
                rc = mtsi_train_write_checkpoint(&t, t.step == steps);
            /* the others wait for the file (and hear whether it was written) */
            if ((rc = agree(rc, "writing the checkpoint")))
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
    if (!rc && t.c.verbose && root) {
        double el = mtsi_wtime() - t0;
        printf("train: %ld steps in %.1f s (%.3g steps/s); train loss %.5g, validation loss %.5g\n",
               steps - start, el, el > 0 ? (double)(steps - start) / el : 0.0, last_train,
               last_val);
    }
    trainer_free(&t);
    return rc;
}
