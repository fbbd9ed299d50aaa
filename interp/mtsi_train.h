/* Training the neural drift b̂(α, x) on the Hadamard interpolant
 * (Algorithm 1, SPEC.md section 1.1): x1 from an ensemble, x0 ~ N(0, I),
 * α ~ ν, minimise the per-site mean of |b̂(α, I_α) − (x0 − x1)|².
 *
 * The model file is the checkpoint: it is rewritten atomically (temporary
 * name + rename) every ckpt_every steps, at the end and on SIGINT/SIGTERM,
 * and holds everything a resumed run needs to continue bit for bit
 * (weights, optimiser, RNG state, data order, partial loss sums). Layout,
 * on top of the common model layout of mtsi_model.h:
 *
 *   /model            lib/nn checkpoint with the optimiser (mtsi_nn.h)
 *   /train            attributes: format = "mtsi-train/1", steps (target),
 *                     step (done), complete (0/1), batch, seed, nu (string),
 *                     nu_scalar, nu_site, nu_mask, nu_block (weights),
 *                     block, augment, standardize ("channel"; absent
 *                     when the data were used as they are), val_frac, val_max, log_every,
 *                     ckpt_every, threads, ranks (MPI ranks; absent in
 *                     files that predate it: 1), n_train, n_val, data, data_n,
 *                     data_checksum (FNV-1a 64 of the configurations, hex),
 *                     cursor, epoch, loss_sum, loss_count, rng_spare,
 *                     rng_has_spare
 *   /train/order      int64 [n_train]: the current epoch's permutation of
 *                     the training configurations (cursor = next position)
 *   /train/rng        uint64 [4]: xoshiro256++ state of the training stream
 *   /train/history    float64 [n, 4], columns (attribute `columns`):
 *                     step, train_loss (mean over the steps since the last
 *                     entry), val_loss (fixed validation draw, EMA
 *                     weights), lr (of the entry's last step)
 *
 * The training configurations are the first n_train of the ensemble; the
 * validation set is the contiguous block after them (the last val_frac of
 * the file, at most val_max configurations), so that autocorrelated MCMC
 * neighbours of the training set rarely land in it. Its α and x0 are drawn
 * once from the seed (stream 1), so every entry of the history measures
 * the same thing.
 *
 * Ranks (lib/mtsi_mpi.h): when the process is one of R > 1 MPI ranks
 * (mtsi_mpi_start), each step's batch of B samples is split over them,
 * rank r taking samples [r B/R, (r + 1) B/R) (B must be divisible by R).
 * Every rank draws the whole batch from the one training stream, keeping
 * only its share, so sample j gets the same draws whatever R is; the
 * gradients of the shares (each already scaled by 1/B) are summed with
 * MPI_Allreduce and every rank makes the same optimiser step. Rank 0
 * alone validates, reports and writes the checkpoint; a checkpoint
 * written by R ranks resumes only under R ranks. With R = 1 the run is
 * bitwise the serial one.
 *
 * Streamed data (stream = 1, `mtsi train --stream-mcmc`): no ensemble is
 * read; x1 comes from P chains of the cluster sampler (mcmc/mtsi_stream.h,
 * the update of `mtsi mcmc --sampler cluster` with its default settings)
 * on the 2-D L x L periodic lattice of the couplings (m2, lambda), so the
 * network never sees a configuration twice. The chains run on the random
 * family seed ^ MTSI_TRAIN_STREAM_TAG: chain c (0 <= c < P) on stream c,
 * each thermalised by stream_therm updates when training starts; sample k
 * of the run (k = step * B + j) takes chain k mod P, advances it by
 * stream_thin updates and copies its field. With R ranks, rank r owns the
 * P / R chains [r P / R, (r + 1) P / R) (P divisible by R) and feeds its
 * share of each batch from them in the same round-robin order, counting
 * only its own samples: deterministic for a fixed R (and any thread
 * count), but R = 1 and R = 2 train on different configurations. The
 * validation set is val_n configurations drawn once, by rank 0, from
 * min(P, val_n) further chains (streams P, P + 1, ... of the family), with
 * α and x0 from stream 1 of the seed as before; --data and val_frac do
 * not apply. The checkpoint adds to /train the attributes source =
 * "stream-mcmc", stream_sampler = "cluster", stream_m2, stream_lambda,
 * stream_L, stream_chains, stream_thin, stream_therm, val_n, and the group
 *   /train/chains     every chain's state (mtsi_run.h: fields [P, L*L],
 *                     rng [P, 4], state_d [P, 6], state_l [P, 7] with the
 *                     updates made and configurations given per chain,
 *                     chains_checksum)
 * which --resume validates (shapes, types, finiteness, checksum, and the
 * counts: updates = therm + given * thin, the round-robin position equal
 * to the step). data_n is 0 and /train/order empty. */
#ifndef MTSI_TRAIN_H
#define MTSI_TRAIN_H

#include <stdint.h>

#include "mtsi_nn.h"
#include "mtsi_rng.h"
#include "mtsi_shape.h"

/* The random family of the streamed chains: seed ^ this ("stream"). */
#define MTSI_TRAIN_STREAM_TAG 0x73747265616dULL

/* ---- the training law ν of α (SPEC 1.1) ------------------------------- */

enum {
    MTSI_NU_SCALAR = 0, /* (i)   α = u·1, u ~ U(0,1) */
    MTSI_NU_SITE,       /* (ii)  α_a i.i.d. U(0,1) */
    MTSI_NU_MASK,       /* (iii) a random subset of fraction f ~ U(0,1) at 0,
                                 the rest at one shared u ~ U(0,1) */
    MTSI_NU_BLOCK,      /* (iv)  s^dim blocks, each with its own u ~ U(0,1) */
    MTSI_NU_NCOMP
};

typedef struct {
    double w[MTSI_NU_NCOMP]; /* mixture weights, normalised to sum 1 */
    long block;              /* block side s of component (iv) */
} mtsi_nu;

/* Component names: "scalar", "site", "mask", "block". */
extern const char *const mtsi_nu_names[MTSI_NU_NCOMP];

/* scalar=0.4, site=0.2, mask=0.3, block=0.1; block side 4. */
void mtsi_nu_default(mtsi_nu *nu);
/* "scalar=W,site=W,mask=W,block=W" (any subset, the others get weight 0;
 * weights >= 0 with a positive sum, then normalised). The block side is
 * not part of the string. MTSI_EINVAL naming the bad key or value. */
int mtsi_nu_parse(mtsi_nu *nu, const char *s);
/* Canonical form, e.g. "scalar=0.4,site=0.2,mask=0.3,block=0.1". */
void mtsi_nu_format(const mtsi_nu *nu, char *buf, int n);
/* Draws one α per grid point (P = mtsi_shape_points values, last axis
 * fastest) and returns the component used. work: P longs of scratch.
 * Blocks (s per axis) tile the grid from the origin; a side not divisible
 * by s ends with a smaller block. */
int mtsi_nu_sample(const mtsi_nu *nu, const mtsi_shape *s, mtsi_rng *r, long *work,
                   double *alpha);

/* ---- augmentation ----------------------------------------------------- */

/* Only the symmetries the data have. For a φ⁴ lattice of 1 or 2 axes:
 * y = g·x for a random element g of the lattice symmetry group (a
 * translation, for dim 2 one of the square's 8 rotations and reflections,
 * for dim 1 a reflection, and φ → −φ; every element equally likely). Other
 * data (images, paths: not translation invariant, no sign symmetry) have
 * none: y = x and no random number is drawn. x and y must not overlap. */
int mtsi_augment_available(const mtsi_shape *s);
/* y = g x for a random symmetry g; returns its sign (-1 when g includes
 * phi -> -phi, which turns a field h into -h). */
double mtsi_augment(const mtsi_shape *s, mtsi_rng *r, const double *x, double *y);

/* ---- training --------------------------------------------------------- */

typedef struct {
    char data[512];            /* training ensemble (SPEC 5) */
    const char *out;           /* model file, also the checkpoint */
    char arch[512];            /* architecture over the lattice default ("" = default) */
    mtsi_nn_opt_config opt;    /* cosine: total is set to steps (see setup) */
    long steps;                /* total optimiser steps */
    long batch;
    mtsi_nu nu;
    int block_given;           /* 1: nu.block was chosen (--block): at most the
                                  largest grid side */
    int augment;               /* by the data's symmetries (none for images, paths) */
    char standardize[16];      /* "none" or "channel" (mean 0, sd 1 per channel) */
    char base[16];             /* "gauss" (the network adds the drift of sitewise
                                  Gaussian data of the training data's mean and
                                  variance; mtsi_nn_net_set_base) or "none" */
    double zero_weight;        /* w >= 0: the loss adds w times the squared error of each
                                  sample's mean over the grid (per channel): the
                                  zero mode weighs 1 + w, every other mode 1 */
    double alpha_weight;       /* p in [-2, 2]: grid point a's squared error weighs
                                  g(alpha_a)^p, g = (alpha^2 + (1 - alpha)^2 v) / v,
                                  v the base's variance (1 without a base): 1 / g
                                  is the residual variance of the regression for
                                  data of independent N(mean, v) values, so p = 1
                                  equalises it over alpha; 0: the plain loss */
    double val_frac;           /* fraction held out, in [0, 0.9] */
    long val_max;              /* at most this many validation configurations */
    uint64_t seed;
    long log_every;            /* steps per history entry (validation) */
    long ckpt_every;           /* steps between checkpoints (0: end and signal only) */
    long ranks;                /* set by mtsi_train_read_cfg: the ranks that wrote
                                  the checkpoint (mtsi_train_run ignores it) */
    /* --stream-mcmc: x1 streamed from cluster chains instead of read from
     * `data` (mtsi_train_run below) */
    int stream;
    double m2, lambda;         /* couplings, the (m2, lambda) convention of mtsi mcmc */
    long stream_L;             /* side of the 2-D periodic lattice */
    long stream_chains;        /* P chains over all ranks (default 64) */
    long stream_thin;          /* updates of a chain per configuration (default 2) */
    long stream_therm;         /* thermalisation updates per chain (default 200) */
    long val_n;                /* streamed validation configurations (default 256) */
    /* --tilt: a fraction tilt_frac of the samples come from tilted laws
     * (field in [-tilt_h, tilt_h], quadratic term in [tilt_a, 0]) and train
     * the prior's drift where the posterior drift evaluates it (SPEC 2:
     * input (alpha_r, x_r), target solved from b_r = k1 x + k2 h + q b).
     * With a stream (--stream-tilt) a fraction of the chains run on the
     * laws, spread evenly; with --data (tilt_a must be 0) each sample is
     * tilted with probability tilt_frac, its field one of 64 evenly spaced
     * in [-tilt_h, tilt_h] and its configuration drawn from the training
     * configurations and their negatives weighted by e^{h sum x}. 0, 0: no
     * tilt. */
    double tilt_h, tilt_a, tilt_frac;
    /* 1 (the default): with --data on a phi^4 lattice and tilt_h = 0, the
     * field range is chosen from the data when training starts,
     * tilt_h = MTSI_TRAIN_TILT_AUTO_C / (V m_rms), m_rms the root mean
     * square of the training configurations' mean value (linear response:
     * the field that moves the mean by that many of its standard
     * deviations), halved while fewer than 100 effective configurations
     * remain (no tilt when none is left: ensembles below ~100). Other
     * data and the stream: no tilt. Settings read from a file have 0. */
    int tilt_auto;
    long stop_after;           /* > 0: checkpoint after this step and return
                                  MTSI_EINTR, as if interrupted (tests) */
    int force;                 /* replace an existing output (fresh start) */
    int verbose;               /* 1: one summary line on stdout at the end */
    const char *command_line;
} mtsi_train_cfg;

/* Defaults: 10000 steps, batch 32, lr 2e-3 (50 warm-up steps, then a
 * cosine to 0), EMA 0.99, ν default, base gauss, augment on, val_frac 0.1,
 * val_max 512, seed 1, log every 50 steps, checkpoint every 500 steps; no
 * stream (64 chains, thin 2, therm 200, val_n 256 when on). */
void mtsi_train_defaults(mtsi_train_cfg *c);

/* The architecture used for data of shape s, then `spec` parsed over it.
 * A φ⁴ lattice: the lib/nn default with circular padding and the odd
 * wrapper (the φ⁴ law is Z2 symmetric), 1×3 kernels for dim 1. Other
 * data: C input and output channels, zero padding unless every axis is
 * periodic, no odd wrapper, 1×5 kernels along a 1-axis grid. */
int mtsi_train_arch(const mtsi_shape *s, const char *spec, mtsi_nn_arch *a);

/* Train from scratch (resume = 0; the output must not exist unless
 * c->force), or continue the checkpoint c->out (resume = 1): every setting
 * that changes the result must equal the stored one (MTSI_EINVAL naming
 * the first that differs) and c->steps must exceed the steps done.
 * Returns MTSI_EINTR with the checkpoint written when interrupted. */
int mtsi_train_run(const mtsi_train_cfg *c, int resume);

/* The configuration stream of the --stream-mcmc settings in c: the
 * chains first .. first + n - 1 of its family (training chains 0 .. P - 1,
 * validation chains from P on), cluster sampler with the defaults of
 * `mtsi mcmc --sampler cluster`, not yet thermalised. NULL with an error
 * set (bad settings, no memory). */
struct mtsi_stream *mtsi_train_stream_new(const mtsi_train_cfg *c, long first, long n);
/* The tilt of training chain k (0 <= k < stream_chains) under --stream-tilt:
 * chains k with floor((k + 1) f) > floor(k f) (a fraction f, spread evenly)
 * are the tilted ones; the j-th gets h = tilt_h (2 v2(j + 1) - 1) and
 * A = tilt_a v3(j + 1), v_b the radical inverse in base b (a low-discrepancy
 * cover of [-tilt_h, tilt_h] x [tilt_a, 0]). Others, and validation chains
 * (k >= stream_chains), get 0, 0. */
void mtsi_train_chain_tilt(const mtsi_train_cfg *c, long k, double *h, double *A);

/* The ranges of a tilt (--tilt, --stream-tilt, a checkpoint's): h in
 * [0, 10], A in [-100, 0], frac in (0, 1], h > 0 or A < 0. MTSI_EINVAL
 * with a message that starts with `what`. */
int mtsi_train_tilt_check(const char *what, double h, double A, double frac);

/* The automatic tilt's constant (tilt_auto above) and its rule on n
 * configurations of V values each: the field range, 0 when the data have
 * no spread. 5.7 gives h = 0.10 on the L = 16 ensemble at (m2, lambda) =
 * (-4, 4.7), the range measured in docs/STUDY_FIDELITY.md section 7. */
#define MTSI_TRAIN_TILT_AUTO_C 5.7
double mtsi_train_tilt_auto_h(const double *configs, long n, long V);

/* Reads the settings of a training checkpoint into c (out and
 * command_line untouched). MTSI_EINVAL when the file is not one. */
int mtsi_train_read_cfg(const char *path, mtsi_train_cfg *c);

/* History of a model file: *n entries of (step, train_loss, val_loss, lr),
 * malloc'd into *hist ([n][4]). */
int mtsi_train_read_history(const char *path, double **hist, long *n);

#endif
