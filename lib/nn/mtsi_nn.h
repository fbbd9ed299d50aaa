/* The drift network b̂(α, x) of SPEC.md §1.1: a convolutional U-Net on
 * N×C×H×W tensors (row-major, float32), with α as one more input channel,
 * an optional global conditioning vector and an optional exact odd wrapper
 * b̂(α, −x) = −b̂(α, x).
 *
 * Two phases (STYLE.md, the FFTW pattern):
 *   net = mtsi_nn_net_new(&arch, seed);          parameters, initialised
 *   mtsi_nn_net_plan(net, batch, H, W);           every buffer allocated
 *   loop: mtsi_nn_net_forward / _backward / mtsi_nn_opt_step   (no malloc)
 *
 * Parameters and gradients are one flat vector each (the KANN pattern), so
 * the optimiser, the EMA and the checkpoint are loops over one buffer.
 * Threads: the batch (for 3×3 convolutions, which are Winograd F(4×4,3×3),
 * the batch's 4×4 tiles) is split over OpenMP threads (omp_get_max_threads()
 * at plan time) and BLAS runs single-threaded inside them. Results are
 * bitwise reproducible for a fixed thread count. */
#ifndef MTSI_NN_H
#define MTSI_NN_H

#include <stdint.h>
#include <hdf5.h>

/* The scalar type. Always float in the library; the gradient-check test
 * compiles the same sources with -DMTSI_NN_DOUBLE=1. */
#ifdef MTSI_NN_DOUBLE
typedef double mtsi_nn_real;
#else
typedef float mtsi_nn_real;
#endif

#define MTSI_NN_MAXLEVEL 8

enum { MTSI_NN_PAD_ZERO = 0, MTSI_NN_PAD_CIRCULAR = 1 };

/* Architecture of the U-Net. Level l works at width * mult[l] channels on
 * the input grid pooled l times by 2 (an axis of size 1 is never pooled,
 * so 1-D paths use H = 1). Each residual block is
 *   h = conv(SiLU(GN(x))); h = conv(SiLU(GN(h; cond))); out = h + skip(x)
 * with skip a 1×1 convolution when the widths differ. */
typedef struct {
    int in_ch;                   /* field channels (α is added as one more) */
    int out_ch;                  /* output channels (usually in_ch) */
    int width;                   /* base number of channels */
    int levels;                  /* 1..MTSI_NN_MAXLEVEL */
    int mult[MTSI_NN_MAXLEVEL];  /* channel multiplier per level */
    int blocks;                  /* residual blocks per level (>= 1) */
    int kh, kw;                  /* convolution kernel, odd sizes */
    int pad;                     /* MTSI_NN_PAD_CIRCULAR or MTSI_NN_PAD_ZERO */
    int groups;                  /* GroupNorm groups (divides every width) */
    int cond_dim;                /* global conditioning vector length, 0: none */
    int odd;                     /* 1: b̂(α,−x) = −b̂(α,x) exactly */
    int base;                    /* 1: b̂ = b_G + f, b_G the drift of sitewise N(gmean, gvar) */
    double gmean, gvar;          /* the Gaussian of the base (gvar > 0; gmean = 0 if odd) */
    double gzero;                /* >= 0: the base's values also share a common N(0, gzero)
                                    per sample and channel (the zero mode's extra variance) */
} mtsi_nn_arch;

/* A default architecture: in=out=1, width 32, mult 1,2,2, 1 block, 3×3
 * circular, 8 groups, no conditioning, not odd. */
void mtsi_nn_arch_default(mtsi_nn_arch *a);
/* Parse "key=value,..." over a default (keys: in, out, width, mult (a-b-c),
 * blocks, k (3 or 3x3 as HxW), pad (circular|zero), groups, cond, odd, base
 * (none|gauss), gmean, gvar, gzero).
 * Returns MTSI_EINVAL naming the bad key or value. */
int mtsi_nn_arch_parse(mtsi_nn_arch *a, const char *s);
/* The canonical string form (parseable back), written to buf. */
void mtsi_nn_arch_format(const mtsi_nn_arch *a, char *buf, int n);
/* Checks every field; MTSI_EINVAL with the bad value. */
int mtsi_nn_arch_check(const mtsi_nn_arch *a);
/* MTSI_OK if equal, else MTSI_EINVAL "WHAT: the model has architecture
 * <got>, expected <want>" (e.g. resuming with other settings). */
int mtsi_nn_arch_compare(const mtsi_nn_arch *want, const mtsi_nn_arch *got, const char *what);

typedef struct mtsi_nn_net mtsi_nn_net;

/* Build the network and initialise its parameters from seed. NULL on
 * failure (bad architecture or out of memory, error set). */
mtsi_nn_net *mtsi_nn_net_new(const mtsi_nn_arch *a, uint64_t seed);
void mtsi_nn_net_free(mtsi_nn_net *net);
const mtsi_nn_arch *mtsi_nn_net_arch(const mtsi_nn_net *net);

/* Allocate all buffers for `batch` samples of H×W. Re-planning for another
 * size is allowed (it reallocates). Fails with the offending value when H
 * or W cannot be pooled levels−1 times or the kernel does not fit. */
int mtsi_nn_net_plan(mtsi_nn_net *net, int batch, int h, int w);

/* The Gaussian base (arch.base): with it the network returns
 *   b̂(α, x) = b_G(α, x) + f(α, x),
 *   b_G = k(α) (x − (1 − α) μ) − μ,  k = (α − (1 − α) v) / (α² + (1 − α)² v),
 * the exact drift E[x0 − x1 | I_α = x] when every value of x1 is N(μ, v)
 * on its own; f, the U-Net, learns what the data add to it. With
 * c = gzero > 0 the values of a sample's channel are μ + z + N(0, v) with
 * one common z ~ N(0, c) (covariance v I + c 1 1ᵀ: the zero mode's
 * variance c P + v over P grid points), whose exact drift is, per grid
 * point a (SPEC 1.2 with Sherman–Morrison; D = α² + (1 − α)² v),
 *   b_G,a = k_a r_a − μ − c q α_a / D_a,  r = x − (1 − α) μ,
 *   q = (Σ_b (1 − α_b) r_b / D_b) / (1 + c Σ_b (1 − α_b)² / D_b),
 * O(P) per sample for any α. Sets the base (μ, v, c rounded to
 * mtsi_nn_real), keeping the parameters; MTSI_EINVAL for v <= 0, c < 0, a
 * non-finite value, or μ != 0 on an odd network. */
int mtsi_nn_net_set_base(mtsi_nn_net *net, double mean, double var, double zero);

/* out = b̂(α, x). x: batch×in_ch×H×W, alpha: batch×1×H×W (one α per site,
 * shared by the field channels), cond: batch×cond_dim (NULL iff cond_dim
 * is 0), out: batch×out_ch×H×W. Keeps what backward needs. */
int mtsi_nn_net_forward(mtsi_nn_net *net, const mtsi_nn_real *x, const mtsi_nn_real *alpha,
                        const mtsi_nn_real *cond, mtsi_nn_real *out);
/* Back-propagate dL/d(out) (same shape as out) through the last forward.
 * The parameter gradient is written (accumulate = 0) or added
 * (accumulate = 1) to the gradient vector. dx, dalpha, dcond receive the
 * input gradients when not NULL. */
int mtsi_nn_net_backward(mtsi_nn_net *net, const mtsi_nn_real *dout, int accumulate,
                         mtsi_nn_real *dx, mtsi_nn_real *dalpha, mtsi_nn_real *dcond);

/* The flat parameter and gradient vectors (length mtsi_nn_net_nparam). */
long mtsi_nn_net_nparam(const mtsi_nn_net *net);
mtsi_nn_real *mtsi_nn_net_params(mtsi_nn_net *net);
mtsi_nn_real *mtsi_nn_net_grads(mtsi_nn_net *net);
void mtsi_nn_net_zero_grad(mtsi_nn_net *net);
/* Copy parameters between nets of the same architecture (e.g. EMA weights
 * into a sampling copy). */
int mtsi_nn_net_set_params(mtsi_nn_net *net, const mtsi_nn_real *p, long n);
/* 1 where weight decay applies (convolution and linear weights), else 0. */
const unsigned char *mtsi_nn_net_decay_mask(const mtsi_nn_net *net);

/* ---- optimiser: AdamW, clipping, learning-rate schedule, EMA ---------- */

enum { MTSI_NN_LR_CONSTANT = 0, MTSI_NN_LR_EXP = 1, MTSI_NN_LR_COSINE = 2 };

typedef struct {
    double lr;            /* peak learning rate */
    double beta1, beta2;  /* Adam moments (0.9, 0.999) */
    double eps;           /* 1e-8 */
    double weight_decay;  /* decoupled, on weights only (0.0) */
    double clip;          /* clip the global gradient norm to this; <= 0: off */
    int schedule;         /* MTSI_NN_LR_* */
    long warmup;          /* linear warm-up steps (any schedule) */
    long total;           /* cosine: steps to reach lr_min */
    double gamma;         /* exponential: lr · gamma^step */
    double lr_min;        /* cosine floor */
    double ema;           /* EMA decay of the weights (0: off, e.g. 0.999) */
} mtsi_nn_opt_config;

typedef struct mtsi_nn_opt mtsi_nn_opt;

void mtsi_nn_opt_config_default(mtsi_nn_opt_config *c);
int mtsi_nn_opt_config_check(const mtsi_nn_opt_config *c);
/* State for `net` (moments zero, EMA = current weights, step 0). */
mtsi_nn_opt *mtsi_nn_opt_new(const mtsi_nn_opt_config *c, const mtsi_nn_net *net);
void mtsi_nn_opt_free(mtsi_nn_opt *o);
/* One AdamW step from the net's gradient vector: clip, schedule, update,
 * EMA. gnorm (may be NULL) receives the norm before clipping. A non-finite
 * gradient is refused (MTSI_EFAIL) and leaves the weights untouched. */
int mtsi_nn_opt_step(mtsi_nn_opt *o, mtsi_nn_net *net, double *gnorm);
/* The same for any flat parameter vector with its gradient and weight-decay
 * mask (e.g. the classifier of mtsi_nn_clf.h). */
mtsi_nn_opt *mtsi_nn_opt_new_params(const mtsi_nn_opt_config *c, const mtsi_nn_real *params,
                                    long n);
int mtsi_nn_opt_step_params(mtsi_nn_opt *o, mtsi_nn_real *params, const mtsi_nn_real *grads,
                            const unsigned char *decay, long n, double *gnorm);
/* Learning rate used at step s (0-based). */
double mtsi_nn_opt_lr(const mtsi_nn_opt *o, long s);
long mtsi_nn_opt_steps(const mtsi_nn_opt *o);
const mtsi_nn_opt_config *mtsi_nn_opt_get_config(const mtsi_nn_opt *o);
/* Replace the settings (checked first; the moments, EMA and step are kept):
 * e.g. a resumed run whose schedule ends at another step. */
int mtsi_nn_opt_set_config(mtsi_nn_opt *o, const mtsi_nn_opt_config *c);
/* EMA weights (length nparam); with ema = 0 they track the weights. */
const mtsi_nn_real *mtsi_nn_opt_ema(const mtsi_nn_opt *o);

/* ---- checkpoint (HDF5, SPEC.md §5) ------------------------------------ */

/* Write net (+ opt when not NULL) into group `group` of an open file
 * (created). Layout: attributes format = "mtsi-nn/1", arch (string, as
 * mtsi_nn_arch_format), nparam, step, checksum; datasets params, and with
 * an optimiser ema, adam_m, adam_v plus its settings as attributes. */
int mtsi_nn_save_h5(hid_t file, const char *group, const mtsi_nn_net *net,
                    const mtsi_nn_opt *opt);
/* Read back. *net is built (unplanned); *opt too when opt is not NULL and
 * the file has optimiser state (else *opt = NULL). `what` names the file
 * in messages. Any inconsistency is one MTSI_EINVAL message. */
int mtsi_nn_load_h5(hid_t file, const char *group, const char *what, mtsi_nn_net **net,
                    mtsi_nn_opt **opt);
/* Whole-file versions: group "/model", written to a temporary name and
 * renamed when complete; the file gets attribute kind = "model". */
int mtsi_nn_save(const char *path, const mtsi_nn_net *net, const mtsi_nn_opt *opt);
int mtsi_nn_load(const char *path, mtsi_nn_net **net, mtsi_nn_opt **opt);

#endif
