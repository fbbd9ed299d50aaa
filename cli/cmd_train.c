/* mtsi train: the neural drift by Algorithm 1 (SPEC.md section 1.1). */
#include "config.h"
#include "mtsi_cli.h"
#include "mtsi_cmd.h"
#include "mtsi_err.h"
#include "mtsi_mpi.h"
#include "mtsi_train.h"

#include <getopt.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "usage: mtsi train --data F.h5 --out MODEL.h5 [options]\n"
    "       mtsi train --stream-mcmc --m2 M --lambda L --L N --out MODEL.h5 [options]\n"
    "       mtsi train --resume --out MODEL.h5 [--steps N] [--threads T]\n"
    "\n"
    "Learn the drift b(alpha, x) = E[x0 - x1 | I_alpha = x] of the Hadamard\n"
    "interpolant I_alpha = alpha x0 + (1 - alpha) x1 on an ensemble (x1) with\n"
    "x0 ~ N(0, I) and alpha drawn from the mixture nu.\n"
    "\n"
    "Data and output:\n"
    "  --data F.h5         training data: a phi^4 ensemble or data of any shape\n"
    "                      (images, paths: attributes grid, periodic, channels)\n"
    "  --stream-mcmc       instead of --data: phi^4 configurations generated while\n"
    "                      training by chains of the cluster sampler (as mtsi mcmc\n"
    "                      --sampler cluster), never one twice; needs:\n"
    "    --m2 M --lambda L   couplings, S = sum (dphi)^2 + m2 phi^2 + lambda phi^4\n"
    "    --L N               side of the periodic N x N lattice (4 to 4096)\n"
    "    --stream-chains P   chains (default 64; divisible by the MPI ranks)\n"
    "    --stream-thin K     updates of a chain per configuration (default 2)\n"
    "    --stream-therm T    thermalisation updates per chain (default 200)\n"
    "    --stream-tilt h=H,A=A[,frac=F]  --tilt for the stream: a fraction F of\n"
    "                        the chains run on tilted laws\n"
    "    --val-n N           validation: N streamed configurations from chains\n"
    "                        of their own, drawn once (default 256)\n"
    "  --out MODEL.h5      model file, rewritten as the checkpoint while training\n"
    "  --force             replace an existing output\n"
    "  --resume            continue the training in MODEL.h5 (settings from the file;\n"
    "                      options given must agree, except --steps, --threads and\n"
    "                      --checkpoint-every)\n"
    "Optimisation:\n"
    "  --steps N           optimiser steps (default 10000)\n"
    "  --batch B           samples per step (default 32)\n"
    "  --lr X              peak learning rate (default 2e-3)\n"
    "  --schedule S        cosine (default: to --lr-min at the last step; a\n"
    "                      resume with other --steps moves that end) | constant\n"
    "                      | exp\n"
    "  --warmup N          linear warm-up steps (default 50)\n"
    "  --lr-min X          cosine floor (default 0)\n"
    "  --decay X           exp: lr * X^step (default 1)\n"
    "  --clip X            clip the gradient norm (default 0: off)\n"
    "  --wd X              decoupled weight decay (default 0)\n"
    "  --ema X             EMA decay of the weights used for sampling (default 0.99)\n"
    "  --arch SPEC         network, e.g. \"width=32,mult=1-2-2,blocks=1,groups=8\"\n"
    "                      (default: that; phi^4: 3x3 circular convolutions, odd=1;\n"
    "                      other data: C channels, zero padding unless periodic,\n"
    "                      1x5 kernels on 1-D grids)\n"
    "Interpolant and data:\n"
    "  --nu MIX            alpha law, weights of scalar, site, mask, block\n"
    "                      (default \"scalar=0.4,site=0.2,mask=0.3,block=0.1\")\n"
    "  --block S           block side of the block component (default 4; at most\n"
    "                      the largest grid side)\n"
    "  --augment, --no-augment  random symmetries of the data (default on): for\n"
    "                      phi^4 lattices translations, the square's group and\n"
    "                      phi -> -phi; images and paths have none\n"
    "  --standardize S     none (default) | channel: each channel to mean 0, sd 1\n"
    "                      (recorded in the model; mtsi sample undoes it)\n"
    "  --zero-weight W     the loss weighs each sample's mean over the grid (its\n"
    "                      zero mode, per channel) 1 + W times, other modes once;\n"
    "                      the minimiser is the same drift (default 0)\n"
    "  --alpha-weight P    grid point a's squared error weighs g(alpha_a)^P,\n"
    "                      g = (alpha^2 + (1 - alpha)^2 v) / v, v the base's\n"
    "                      variance (1 with --base none): P = 1 makes the\n"
    "                      regression's noise the same at every alpha for\n"
    "                      Gaussian data, P < 0 weighs the data end (alpha -> 0)\n"
    "                      more; P in [-2, 2], same minimiser (default 0)\n"
    "  --base B            gauss (default): the network adds to its output the exact\n"
    "                      drift of data whose values are independent Gaussians\n"
    "                      with the training data's mean and variance (mean 0 for\n"
    "                      phi^4), and learns the rest | gauss-zero: the same\n"
    "                      with the data's zero-mode variance too (each sample's\n"
    "                      values share one more Gaussian) | none: the network\n"
    "                      alone\n"
    "  --tilt h=H[,A=A][,frac=F] | auto[,frac=F] | none\n"
    "                      a fraction F (default 0.5) of the samples come from\n"
    "                      tilted laws p e^{h sum x + A/2 sum x^2}, fields h in\n"
    "                      [-H, H] and A in [A, 0], mapped to where mtsi sample\n"
    "                      --field/--quad evaluates the drift (SPEC 2): the same\n"
    "                      drift, trained where the posterior uses it. With --data\n"
    "                      the ensemble is reweighted by e^{h sum x} (h only; one\n"
    "                      channel); with --stream-mcmc chains run on the laws.\n"
    "                      auto (default with --data on a phi^4 lattice): H =\n"
    "                      5.7 / (V m_rms), m_rms the rms of the configurations'\n"
    "                      mean, halved until 100 effective configurations remain\n"
    "                      (0.10 at L = 16 near the transition); none: no tilt\n"
    "  --val-frac X        held-out fraction of the ensemble (default 0.1; not with\n"
    "                      --stream-mcmc)\n"
    "Run:\n"
    "  --seed S            random seed (default 1)\n"
    "  --threads T         OpenMP threads (results are bitwise reproducible for a\n"
    "                      fixed thread count)\n"
    "  --log-every N       steps per history entry and validation (default 50)\n"
    "  --checkpoint-every N  steps between checkpoints (default 500; 0: only at\n"
    "                      the end and on SIGINT/SIGTERM)\n"
    "  --quiet             no summary line at the end\n"
    "\n"
    "\n"
    "With MPI (configure --with-mpi; run under mpirun or srun) each batch is split\n"
    "over the R ranks (B divisible by R) and their gradients summed: the same\n"
    "training as one process up to float rounding; rank 0 writes MODEL.h5, and a\n"
    "checkpoint resumes only under the same R. With --stream-mcmc each rank runs\n"
    "P/R chains for its share of the batch: reproducible for a fixed R, but R ranks\n"
    "train on other configurations than one process.\n"
    "\n"
    "SIGINT/SIGTERM write the checkpoint and exit with status 130. See mtsi-train(1).\n";

enum {
    O_DATA = 256, O_OUT, O_FORCE, O_RESUME, O_STEPS, O_BATCH, O_LR, O_SCHEDULE, O_WARMUP,
    O_LRMIN, O_DECAY, O_CLIP, O_WD, O_EMA, O_ARCH, O_NU, O_BLOCK, O_AUGMENT, O_NOAUGMENT, O_STANDARDIZE, O_BASE,
    O_VALFRAC, O_SEED, O_THREADS, O_LOG, O_CKPT, O_QUIET, O_HELP, O_STREAM, O_M2, O_LAMBDA,
    O_L, O_SCHAINS, O_STHIN, O_STHERM, O_VALN, O_STILT, O_ZEROW, O_ALPHAW, O_TILT
};

static const struct option longopts[] = {
    {"data", required_argument, 0, O_DATA},
    {"out", required_argument, 0, O_OUT},
    {"force", no_argument, 0, O_FORCE},
    {"resume", no_argument, 0, O_RESUME},
    {"steps", required_argument, 0, O_STEPS},
    {"batch", required_argument, 0, O_BATCH},
    {"lr", required_argument, 0, O_LR},
    {"schedule", required_argument, 0, O_SCHEDULE},
    {"warmup", required_argument, 0, O_WARMUP},
    {"lr-min", required_argument, 0, O_LRMIN},
    {"decay", required_argument, 0, O_DECAY},
    {"clip", required_argument, 0, O_CLIP},
    {"wd", required_argument, 0, O_WD},
    {"ema", required_argument, 0, O_EMA},
    {"arch", required_argument, 0, O_ARCH},
    {"nu", required_argument, 0, O_NU},
    {"block", required_argument, 0, O_BLOCK},
    {"augment", no_argument, 0, O_AUGMENT},
    {"no-augment", no_argument, 0, O_NOAUGMENT},
    {"standardize", required_argument, 0, O_STANDARDIZE},
    {"base", required_argument, 0, O_BASE},
    {"val-frac", required_argument, 0, O_VALFRAC},
    {"zero-weight", required_argument, 0, O_ZEROW},
    {"alpha-weight", required_argument, 0, O_ALPHAW},
    {"seed", required_argument, 0, O_SEED},
    {"threads", required_argument, 0, O_THREADS},
    {"log-every", required_argument, 0, O_LOG},
    {"checkpoint-every", required_argument, 0, O_CKPT},
    {"quiet", no_argument, 0, O_QUIET},
    {"stream-mcmc", no_argument, 0, O_STREAM},
    {"m2", required_argument, 0, O_M2},
    {"lambda", required_argument, 0, O_LAMBDA},
    {"L", required_argument, 0, O_L},
    {"stream-chains", required_argument, 0, O_SCHAINS},
    {"stream-thin", required_argument, 0, O_STHIN},
    {"stream-therm", required_argument, 0, O_STHERM},
    {"val-n", required_argument, 0, O_VALN},
    {"stream-tilt", required_argument, 0, O_STILT},
    {"tilt", required_argument, 0, O_TILT},
    {"help", no_argument, 0, O_HELP},
    {0, 0, 0, 0}};

#define MAXOPT 128

/* Options are applied after all are read: with --resume the base is the
 * checkpoint's settings, which needs --out, wherever it appears. */
typedef struct {
    int ch;
    const char *name;
    const char *arg;
} given;

/* --tilt (--stream-tilt) h=H,A=A,frac=F (any of them; frac 0.5 unless given) */
static int parse_tilt(const char *opt, const char *a, mtsi_train_cfg *c)
{
    char buf[256];
    if (strlen(a) >= sizeof buf)
        return mtsi_error_set(MTSI_EINVAL, "%s: '%s' is too long", opt, a);
    strcpy(buf, a);
    double h = 0, A = 0, f = 0.5;
    int automatic = 0;
    if (!strcmp(a, "none")) {
        c->tilt_h = c->tilt_a = c->tilt_frac = 0;
        c->tilt_auto = 0;
        return MTSI_OK;
    }
    char *save = NULL;
    for (char *k = strtok_r(buf, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
        if (!strcmp(k, "auto")) { /* refused with the stream: train() */
            automatic = 1;
            continue;
        }
        char *v = strchr(k, '=');
        if (!v)
            return mtsi_error_set(MTSI_EINVAL, "%s: '%s' is not key=value (h=H,A=A,frac=F)", opt, k);
        *v++ = '\0';
        double *dst = !strcmp(k, "h") ? &h : !strcmp(k, "A") ? &A : !strcmp(k, "frac") ? &f : NULL;
        if (!dst)
            return mtsi_error_set(MTSI_EINVAL, "%s: unknown key '%s' (h, A, frac)", opt, k);
        if (mtsi_parse_finite(opt, v, dst))
            return MTSI_EINVAL;
    }
    if (automatic && (h != 0 || A != 0))
        return mtsi_error_set(MTSI_EINVAL, "%s: auto chooses h from the data; give auto[,frac=F] "
                                           "or h=H",
                              opt);
    if (automatic && !(f > 0 && f <= 1))
        return mtsi_error_set(MTSI_EINVAL, "%s: frac must be in (0, 1], got %g", opt, f);
    c->tilt_auto = automatic;
    if (automatic) {
        c->tilt_h = c->tilt_a = 0;
        c->tilt_frac = f;
        return MTSI_OK;
    }
    if (mtsi_train_tilt_check(opt, h, A, f))
        return MTSI_EINVAL;
    c->tilt_h = h;
    c->tilt_a = A;
    c->tilt_frac = f;
    return MTSI_OK;
}

static int apply(mtsi_train_cfg *c, const given *g, long *threads)
{
    const char *opt = g->name, *a = g->arg;
    long v;
    double x;
    switch (g->ch) {
    case O_DATA:
        if (strlen(a) >= sizeof c->data)
            return mtsi_error_set(MTSI_EINVAL, "--data: path too long");
        snprintf(c->data, sizeof c->data, "%s", a);
        return MTSI_OK;
    case O_STEPS:
        if (mtsi_parse_long_range(opt, a, 1, 1L << 40, &v))
            return MTSI_EINVAL;
        c->steps = v;
        return MTSI_OK;
    case O_BATCH:
        if (mtsi_parse_long_range(opt, a, 1, 1L << 20, &v))
            return MTSI_EINVAL;
        c->batch = v;
        return MTSI_OK;
    case O_LR:
    case O_LRMIN:
    case O_DECAY:
    case O_CLIP:
    case O_WD:
    case O_EMA:
    case O_ZEROW:
    case O_ALPHAW:
    case O_VALFRAC:
        if (mtsi_parse_finite(opt, a, &x))
            return MTSI_EINVAL;
        if (g->ch == O_LR) {
            if (!(x > 0))
                return mtsi_error_set(MTSI_EINVAL, "--lr: must be > 0, got %g", x);
            c->opt.lr = x;
        } else if (g->ch == O_LRMIN) {
            if (x < 0)
                return mtsi_error_set(MTSI_EINVAL, "--lr-min: must be >= 0, got %g", x);
            c->opt.lr_min = x;
        } else if (g->ch == O_DECAY) {
            if (!(x > 0 && x <= 1))
                return mtsi_error_set(MTSI_EINVAL, "--decay: must be in (0, 1], got %g", x);
            c->opt.gamma = x;
        } else if (g->ch == O_CLIP) {
            if (x < 0)
                return mtsi_error_set(MTSI_EINVAL, "--clip: must be >= 0, got %g", x);
            c->opt.clip = x;
        } else if (g->ch == O_WD) {
            if (x < 0)
                return mtsi_error_set(MTSI_EINVAL, "--wd: must be >= 0, got %g", x);
            c->opt.weight_decay = x;
        } else if (g->ch == O_ZEROW) {
            c->zero_weight = x; /* ranges: check_cfg, as on resume */
        } else if (g->ch == O_ALPHAW) {
            c->alpha_weight = x;
        } else if (g->ch == O_EMA) {
            if (!(x >= 0 && x < 1))
                return mtsi_error_set(MTSI_EINVAL, "--ema: must be in [0, 1), got %g", x);
            c->opt.ema = x;
        } else {
            if (!(x >= 0 && x <= 0.9))
                return mtsi_error_set(MTSI_EINVAL, "--val-frac: must be in [0, 0.9], got %g", x);
            c->val_frac = x;
        }
        return MTSI_OK;
    case O_SCHEDULE:
        if (!strcmp(a, "constant"))
            c->opt.schedule = MTSI_NN_LR_CONSTANT;
        else if (!strcmp(a, "exp") || !strcmp(a, "exponential"))
            c->opt.schedule = MTSI_NN_LR_EXP;
        else if (!strcmp(a, "cosine"))
            c->opt.schedule = MTSI_NN_LR_COSINE;
        else
            return mtsi_error_set(MTSI_EINVAL,
                                  "--schedule: expected constant, exp or cosine, got '%s'", a);
        return MTSI_OK;
    case O_WARMUP:
        if (mtsi_parse_long_range(opt, a, 0, 1L << 40, &v))
            return MTSI_EINVAL;
        c->opt.warmup = v;
        return MTSI_OK;
    case O_ARCH: {
        mtsi_nn_arch t;
        if (strlen(a) >= sizeof c->arch)
            return mtsi_error_set(MTSI_EINVAL, "--arch: string too long");
        mtsi_nn_arch_default(&t); /* syntax now; the shape is checked with the data */
        if (mtsi_nn_arch_parse(&t, a)) {
            char m[512];
            snprintf(m, sizeof m, "%s", mtsi_error_msg());
            return mtsi_error_set(MTSI_EINVAL, "--arch: %s", m);
        }
        snprintf(c->arch, sizeof c->arch, "%s", a);
        return MTSI_OK;
    }
    case O_NU:
        return mtsi_nu_parse(&c->nu, a);
    case O_BLOCK:
        if (mtsi_parse_long_range(opt, a, 1, 1L << 20, &v))
            return MTSI_EINVAL;
        c->nu.block = v;
        c->block_given = 1;
        return MTSI_OK;
    case O_AUGMENT:
    case O_NOAUGMENT:
        c->augment = g->ch == O_AUGMENT;
        return MTSI_OK;
    case O_STANDARDIZE:
        if (strcmp(a, "none") && strcmp(a, "channel"))
            return mtsi_error_set(MTSI_EINVAL, "--standardize: expected none or channel, got '%s'",
                                  a);
        snprintf(c->standardize, sizeof c->standardize, "%s", a);
        return MTSI_OK;
    case O_BASE:
        if (strcmp(a, "none") && strcmp(a, "gauss") && strcmp(a, "gauss-zero"))
            return mtsi_error_set(MTSI_EINVAL, "--base: expected gauss, gauss-zero or none, got '%s'",
                                  a);
        snprintf(c->base, sizeof c->base, "%s", a);
        return MTSI_OK;
    case O_SEED:
        if (mtsi_parse_long_range(opt, a, 0, (long)(~0UL >> 1), &v))
            return MTSI_EINVAL;
        c->seed = (uint64_t)v;
        return MTSI_OK;
    case O_THREADS:
        return mtsi_parse_long_range(opt, a, 1, 4096, threads);
    case O_LOG:
        if (mtsi_parse_long_range(opt, a, 1, 1L << 40, &v))
            return MTSI_EINVAL;
        c->log_every = v;
        return MTSI_OK;
    case O_CKPT:
        if (mtsi_parse_long_range(opt, a, 0, 1L << 40, &v))
            return MTSI_EINVAL;
        c->ckpt_every = v;
        return MTSI_OK;
    case O_STREAM:
        c->stream = 1;
        return MTSI_OK;
    case O_M2:
        return mtsi_parse_finite(opt, a, &c->m2);
    case O_LAMBDA:
        return mtsi_parse_finite(opt, a, &c->lambda);
    case O_L:
        return mtsi_parse_long_range(opt, a, 4, 4096, &c->stream_L);
    case O_SCHAINS:
        return mtsi_parse_long_range(opt, a, 1, 65536, &c->stream_chains);
    case O_STHIN:
        return mtsi_parse_long_range(opt, a, 1, 1L << 40, &c->stream_thin);
    case O_STHERM:
        return mtsi_parse_long_range(opt, a, 0, 1L << 40, &c->stream_therm);
    case O_VALN:
        return mtsi_parse_long_range(opt, a, 0, 1L << 20, &c->val_n);
    case O_STILT:
    case O_TILT:
        return parse_tilt(opt, a, c);
    default:
        return MTSI_OK;
    }
}

static int g_rank = 0;

/* Errors on stderr from rank 0 only (every rank reaches the same verdict
 * on bad input; a rank that fails alone prints its own message). */
static int fail(void)
{
    if (g_rank == 0)
        return mtsi_cli_fail("train");
    int code = mtsi_error_code();
    return code == MTSI_EINTR ? 130 : code == MTSI_EINVAL ? 2 : 1;
}

#define usage_error(...) (g_rank == 0 ? mtsi_cli_usage_error(__VA_ARGS__) : 2)

static int train(int argc, char **argv)
{
    given g[MAXOPT];
    int ng = 0, force = 0, resume = 0, quiet = 0;
    const char *out = NULL;
    optind = 1;
    opterr = 0;
    int ch, idx;
    while ((ch = getopt_long(argc, argv, ":", longopts, &idx)) != -1) {
        if (ch == '?' || ch == ':')
            return g_rank == 0 ? mtsi_cli_option_error("train", ch, argv) : 2;
        switch (ch) {
        case O_OUT: out = optarg; break;
        case O_FORCE: force = 1; break;
        case O_RESUME: resume = 1; break;
        case O_QUIET: quiet = 1; break;
        default:
            if (ng == MAXOPT)
                return usage_error("train", "too many options");
            g[ng].ch = ch;
            g[ng].name = longopts[idx].name;
            g[ng].arg = optarg;
            ng++;
        }
    }
    if (optind < argc)
        return usage_error("train", "unexpected argument '%s'", argv[optind]);
    if (!out)
        return usage_error("train", "--out MODEL.h5 is required");
    if (resume && force)
        return usage_error("train", "--resume continues MODEL.h5, --force replaces it: "
                                             "give one");

    mtsi_train_cfg c;
    mtsi_train_defaults(&c);
    /* the lock on OUT (rank 0 writes it) before its settings are read */
    if (resume && ((g_rank == 0 && mtsi_out_resume(out)) || mtsi_train_read_cfg(out, &c)))
        return fail();
    const int stored_stream = c.stream;
    int have_data = 0;
    long threads = 0;
    const char *stream_opt = NULL, *valfrac = NULL;
    for (int i = 0; i < ng; i++) {
        char name[64];
        snprintf(name, sizeof name, "--%s", g[i].name);
        given gi = g[i];
        gi.name = name;
        if (apply(&c, &gi, &threads))
            return fail();
        have_data |= g[i].ch == O_DATA;
        if (g[i].ch >= O_M2 && g[i].ch <= O_STILT && !stream_opt)
            stream_opt = g[i].name;
        if (g[i].ch == O_VALFRAC)
            valfrac = g[i].arg;
    }
    if (resume && c.stream != stored_stream)
        return usage_error("train", "--stream-mcmc: '%s' was trained on %s; resume it without "
                                    "--stream-mcmc",
                           out, c.data);
    if (stream_opt && !c.stream)
        return usage_error("train", "--%s needs --stream-mcmc", stream_opt);
    if (c.stream && have_data)
        return usage_error("train", "--data and --stream-mcmc exclude each other: the stream "
                                    "replaces the ensemble (validation: --val-n streamed "
                                    "configurations)");
    if (c.stream && valfrac)
        return usage_error("train", "--val-frac %s: --stream-mcmc holds nothing out; its "
                                    "validation set is --val-n streamed configurations",
                           valfrac);
    for (int i = 0; i < ng; i++)
        if (c.stream && (g[i].ch == O_TILT || g[i].ch == O_STILT) && !strncmp(g[i].arg, "auto", 4))
            return usage_error("train", "--%s %s: auto chooses h from an ensemble (--data); "
                                        "with --stream-mcmc give h=H[,A=A][,frac=F]",
                               g[i].name, g[i].arg);
    if (!resume && !have_data && !c.stream)
        return usage_error("train", "--data F.h5 (or --stream-mcmc) is required");
    if (threads > 0)
        omp_set_num_threads((int)threads);
    c.out = out;
    c.force = force;
    c.verbose = !quiet;
    char *cmdline = mtsi_cli_command_line(argc, argv);
    c.command_line = cmdline ? cmdline : "";
    mtsi_signal_install();
    int rc = mtsi_train_run(&c, resume);
    free(cmdline);
    return rc ? fail() : 0;
}

int mtsi_cmd_train(int argc, char **argv)
{
    if (mtsi_cmd_wants_help(argc, argv)) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (mtsi_mpi_unsupported())
        return mtsi_cli_usage_error("train", "started by an MPI launcher, but this mtsi was built "
                                             "without MPI (configure --with-mpi); run one process");
    mtsi_mpi_start();
    g_rank = mtsi_mpi_rank();
    int rc = train(argc, argv);
    mtsi_mpi_end();
    g_rank = 0;
    return rc;
}
