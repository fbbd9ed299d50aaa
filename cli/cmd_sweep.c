/* mtsi sweep: MCMC ensembles over a grid of couplings, fields and lattice
 * sizes, one file per point, a summary table and JSON with the Binder
 * crossing (SPEC.md sections 3-5). This file parses the options; the
 * sweep itself (grid, ranks, running and resuming points, analysis,
 * summaries) is mcmc/mtsi_sweep_run.h, its MPI layer mcmc/mtsi_sweep_mpi.c. */
#include "config.h"
#include "mtsi_cli.h"
#include "mtsi_cmd.h"
#include "mtsi_err.h"
#include "mtsi_generate.h"
#include "mtsi_sweep_run.h"

#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMD "sweep"

static const char usage_text[] =
    "usage: mtsi sweep COUPLING-AXES [--L AXIS] [--field AXIS] [--quad AXIS] --n N\n"
    "                  --dir DIR [options]\n"
    "       mtsi sweep ... --list | --collect | --task-id K\n"
    "\n"
    "MCMC ensembles of the phi^4 law on every point of a grid, one file per point\n"
    "in DIR, and a summary (<|M|>, chi_M, U4 with Gamma-method errors, tau_int of\n"
    "|M|) as a table on stdout and as DIR/summary.json, with the Binder-cumulant\n"
    "crossing of consecutive lattice sizes when several L are given.\n"
    "\n"
    "An AXIS is one value (4.6), a list (4.6,4.7,5) or an inclusive range\n"
    "lo:hi:count (4.2:5.0:9). Values are rounded to 10 significant digits.\n"
    "Coupling axes (exactly one convention, as in mtsi mcmc):\n"
    "  --chi X --kappa K --gamma G   E = sum chi/2 (dphi)^2 + kappa/2 phi^2 + gamma/4 phi^4\n"
    "  --m2 M --lambda L             S = sum (dphi)^2 + m2 phi^2 + lambda phi^4\n"
    "  --kappa-hop K --lambda-hop L  hopping form\n"
    "Other axes and the lattice:\n"
    "  --L AXIS         sites per side (default 16)\n"
    "  --field AXIS     uniform field h (default 0)\n"
    "  --quad AXIS      uniform quadratic tilt A (default 0)\n"
    "  --dim D          1, 2 (default) or 3\n"
    "Sampler and run (as in mtsi mcmc, for every point):\n"
    "  --sampler S --dt X --eps X --nleap K --m0 X --clusters K --tune --no-tune\n"
    "  --target-acc X --n N (required) --chains C --therm T --thin K\n"
    "  --seed S         sweep seed (default 1); each point's seed is derived from\n"
    "                   it and the point's file name\n"
    "  --threads T      OpenMP threads per process\n"
    "  --checkpoint-every SEC  seconds between checkpoints (default 60)\n"
    "Sweep:\n"
    "  --dir DIR        output directory, created if missing (required)\n"
    "  --list           print the points with their indices and the equivalent\n"
    "                   mtsi mcmc command of each, then exit\n"
    "  --task-id K      run only point K (default: $SLURM_ARRAY_TASK_ID if set)\n"
    "  --all            run the whole grid even if SLURM_ARRAY_TASK_ID is set\n"
    "  --collect        run nothing: summarise the points that are done\n"
    "  --quiet          no per-point progress lines on stderr\n"
    "Generation with a trained model:\n"
    "  --generate MODEL.h5  for points matching the model's lattice and couplings,\n"
    "                   sample the point's tilt (reward h, A <= 0 relative to the\n"
    "                   model's training law) with the posterior drift into\n"
    "                   NAME_generated.h5, compared with MCMC in the summary\n"
    "  --gen-n N        generated samples per point (default: --n)\n"
    "  --gen-steps K    integrator steps (default: the model's, as mtsi sample)\n"
    "  --gen-integrator I  euler | heun | rk4 (default: the model's, as mtsi\n"
    "                   sample: for a phi^4 network the SDE with eps rising\n"
    "                   from 0 to 1 (--sde 1:rise), 60 steps; heun, 50, otherwise)\n"
    "  --gen-batch B    samples integrated together (default 64)\n"
    "  --gen-refine K   then K exact HMC updates per sample on the point's law, as\n"
    "                   mtsi refine --updates K (default 0: none)\n"
    "\n"
    "With MPI (configure --with-mpi; run under mpirun or srun) the points are\n"
    "dealt to the ranks round-robin; every file is bitwise the same as with one\n"
    "process. SIGINT/SIGTERM checkpoint the running point, write the summary of\n"
    "what is done and exit with status 130; run the same command again to\n"
    "continue. See mtsi-sweep(1).\n";

/* ---- options -------------------------------------------------------- */

enum {
    O_CHI = 256, O_KAPPA, O_GAMMA, O_M2, O_LAMBDA, O_KHOP, O_LHOP, O_DIM, O_L, O_FIELD, O_QUAD,
    O_SAMPLER, O_DT, O_EPS, O_NLEAP, O_M0, O_CLUSTERS, O_TUNE, O_NOTUNE, O_TARGET, O_N, O_CHAINS,
    O_THERM, O_THIN, O_SEED, O_THREADS, O_CKPT, O_DIR, O_LIST, O_TASK, O_ALL, O_COLLECT, O_QUIET,
    O_GEN, O_GEN_N, O_GEN_STEPS, O_GEN_INT, O_GEN_BATCH, O_GEN_REFINE
};

static const struct option longopts[] = {
    {"chi", required_argument, 0, O_CHI},
    {"kappa", required_argument, 0, O_KAPPA},
    {"gamma", required_argument, 0, O_GAMMA},
    {"m2", required_argument, 0, O_M2},
    {"lambda", required_argument, 0, O_LAMBDA},
    {"kappa-hop", required_argument, 0, O_KHOP},
    {"lambda-hop", required_argument, 0, O_LHOP},
    {"dim", required_argument, 0, O_DIM},
    {"L", required_argument, 0, O_L},
    {"field", required_argument, 0, O_FIELD},
    {"quad", required_argument, 0, O_QUAD},
    {"sampler", required_argument, 0, O_SAMPLER},
    {"dt", required_argument, 0, O_DT},
    {"eps", required_argument, 0, O_EPS},
    {"nleap", required_argument, 0, O_NLEAP},
    {"m0", required_argument, 0, O_M0},
    {"clusters", required_argument, 0, O_CLUSTERS},
    {"tune", no_argument, 0, O_TUNE},
    {"no-tune", no_argument, 0, O_NOTUNE},
    {"target-acc", required_argument, 0, O_TARGET},
    {"n", required_argument, 0, O_N},
    {"chains", required_argument, 0, O_CHAINS},
    {"therm", required_argument, 0, O_THERM},
    {"thin", required_argument, 0, O_THIN},
    {"seed", required_argument, 0, O_SEED},
    {"threads", required_argument, 0, O_THREADS},
    {"checkpoint-every", required_argument, 0, O_CKPT},
    {"dir", required_argument, 0, O_DIR},
    {"list", no_argument, 0, O_LIST},
    {"task-id", required_argument, 0, O_TASK},
    {"all", no_argument, 0, O_ALL},
    {"collect", no_argument, 0, O_COLLECT},
    {"quiet", no_argument, 0, O_QUIET},
    {"generate", required_argument, 0, O_GEN},
    {"gen-n", required_argument, 0, O_GEN_N},
    {"gen-steps", required_argument, 0, O_GEN_STEPS},
    {"gen-integrator", required_argument, 0, O_GEN_INT},
    {"gen-batch", required_argument, 0, O_GEN_BATCH},
    {"gen-refine", required_argument, 0, O_GEN_REFINE},
    {0, 0, 0, 0}};

enum { CONV_DIRECT = MTSI_SWEEP_DIRECT, CONV_ML = MTSI_SWEEP_ML, CONV_HOP = MTSI_SWEEP_HOP };
enum {
    AX_L = MTSI_SWEEP_AX_L,
    AX_C0 = MTSI_SWEEP_AX_C0,
    AX_C2 = MTSI_SWEEP_AX_C2,
    AX_H = MTSI_SWEEP_AX_H,
    AX_A = MTSI_SWEEP_AX_A,
    NAX = MTSI_SWEEP_NAX
};
typedef mtsi_sweep_opts sweep_opts;

/* The rank of this process (messages come from rank 0 only). */
static int g_rank = 0;

/* One line on stderr from rank 0 only (every rank reaches the same
 * verdict on bad input; one message is enough). */
static int fail(void)
{
    if (g_rank == 0)
        return mtsi_cli_fail(CMD);
    int code = mtsi_error_code();
    return code == MTSI_EINTR ? 130 : (code == MTSI_EINVAL || code == MTSI_EIO ? 2 : 1);
}

static int usage_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_fail(const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (g_rank == 0)
        fprintf(stderr, "mtsi %s: %s (see 'mtsi %s --help')\n", CMD, buf, CMD);
    return 2;
}

/* ---- the command ------------------------------------------------------ */

static int parse_options(int argc, char **argv, sweep_opts *so)
{
    const char *cspec[7] = {0}; /* chi kappa gamma m2 lambda khop lhop */
    char optname[64];
    optind = 1;
    opterr = 0;
    int ch, idx;
    while ((ch = getopt_long(argc, argv, ":", longopts, &idx)) != -1) {
        if (ch == '?')
            return usage_fail("unknown option '%s'", argv[optind - 1]);
        if (ch == ':')
            return usage_fail("option '%s' needs a value", argv[optind - 1]);
        snprintf(optname, sizeof optname, "--%s", longopts[idx].name);
        int rc = MTSI_OK;
        long lv = 0;
        switch (ch) {
        case O_CHI: case O_KAPPA: case O_GAMMA: case O_M2: case O_LAMBDA: case O_KHOP: case O_LHOP:
            cspec[ch - O_CHI] = optarg;
            break;
        case O_DIM: rc = mtsi_parse_long_range(optname, optarg, 1, 3, &so->dim); break;
        case O_L: so->spec[AX_L] = optarg; break;
        case O_FIELD: so->spec[AX_H] = optarg; break;
        case O_QUAD: so->spec[AX_A] = optarg; break;
        case O_SAMPLER: so->sampler = optarg; break;
        case O_DT: rc = mtsi_parse_finite(optname, optarg, &so->dt); so->s_dt = optarg; break;
        case O_EPS: rc = mtsi_parse_finite(optname, optarg, &so->eps); so->s_eps = optarg; break;
        case O_NLEAP:
            rc = mtsi_parse_long_range(optname, optarg, 1, 100000, &so->nleap);
            so->s_nleap = optarg;
            break;
        case O_M0: rc = mtsi_parse_finite(optname, optarg, &so->m0); so->s_m0 = optarg; break;
        case O_CLUSTERS:
            rc = mtsi_parse_long_range(optname, optarg, 0, 1L << 40, &so->clusters);
            so->s_clusters = optarg;
            break;
        case O_TUNE: so->tune = 1; break;
        case O_NOTUNE: so->tune = 0; break;
        case O_TARGET:
            rc = mtsi_parse_finite(optname, optarg, &so->target);
            so->s_target = optarg;
            break;
        case O_N: rc = mtsi_parse_long_range(optname, optarg, 1, 1L << 40, &so->n_cfg); break;
        case O_CHAINS: rc = mtsi_parse_long_range(optname, optarg, 1, 1L << 20, &so->chains); break;
        case O_THERM: rc = mtsi_parse_long_range(optname, optarg, 0, 1L << 50, &so->therm); break;
        case O_THIN: rc = mtsi_parse_long_range(optname, optarg, 1, 1L << 40, &so->thin); break;
        case O_SEED:
            rc = mtsi_parse_long_range(optname, optarg, 0, (long)(~0UL >> 1), &lv);
            so->seed = (uint64_t)lv;
            break;
        case O_THREADS: rc = mtsi_parse_long_range(optname, optarg, 1, 4096, &so->threads); break;
        case O_CKPT:
            rc = mtsi_parse_finite(optname, optarg, &so->ckpt_every);
            if (!rc && so->ckpt_every < 0)
                rc = mtsi_error_set(MTSI_EINVAL, "--checkpoint-every: must be >= 0, got %g",
                                    so->ckpt_every);
            break;
        case O_DIR: so->dir = optarg; break;
        case O_LIST: so->list = 1; break;
        case O_TASK:
            rc = mtsi_parse_long_range(optname, optarg, 0, 1L << 40, &so->task);
            break;
        case O_ALL: so->all = 1; break;
        case O_COLLECT: so->collect = 1; break;
        case O_QUIET: so->quiet = 1; break;
        case O_GEN: so->model = optarg; break;
        case O_GEN_N: rc = mtsi_parse_long_range(optname, optarg, 1, 1L << 40, &so->gen_n); break;
        case O_GEN_STEPS:
            rc = mtsi_parse_long_range(optname, optarg, 1, 1L << 30, &so->gen_steps);
            break;
        case O_GEN_INT: {
            mtsi_integrator_kind k;
            rc = mtsi_integrator_parse(optarg, &k);
            if (!rc && k == MTSI_INTEGRATOR_EM)
                rc = mtsi_error_set(MTSI_EINVAL, "--gen-integrator: euler, heun or rk4");
            so->gen_int = optarg;
            break;
        }
        case O_GEN_BATCH:
            rc = mtsi_parse_long_range(optname, optarg, 1, 1L << 20, &so->gen_batch);
            break;
        case O_GEN_REFINE:
            rc = mtsi_parse_long_range(optname, optarg, 0, 1L << 30, &so->gen_refine);
            break;
        default: return usage_fail("unexpected option");
        }
        if (rc)
            return fail();
    }
    if (optind < argc)
        return usage_fail("unexpected argument '%s'", argv[optind]);
    int have[3];
    have[CONV_DIRECT] = cspec[0] || cspec[1] || cspec[2];
    have[CONV_ML] = cspec[3] || cspec[4];
    have[CONV_HOP] = cspec[5] || cspec[6];
    if (have[0] + have[1] + have[2] != 1)
        return usage_fail("give the couplings in exactly one convention: --chi/--kappa/--gamma, "
                          "--m2/--lambda or --kappa-hop/--lambda-hop");
    so->conv = have[CONV_DIRECT] ? CONV_DIRECT : have[CONV_ML] ? CONV_ML : CONV_HOP;
    so->nc = so->conv == CONV_DIRECT ? 3 : 2;
    const int first = so->conv == CONV_DIRECT ? 0 : so->conv == CONV_ML ? 3 : 5;
    for (int c = 0; c < so->nc; c++) {
        so->spec[AX_C0 + c] = cspec[first + c];
        if (!cspec[first + c])
            return usage_fail("--%s is missing (the %s convention needs %s)",
                              mtsi_sweep_coupling_option(so->conv, c),
                              mtsi_sweep_convention_name(so->conv),
                              so->nc == 3 ? "--chi, --kappa and --gamma"
                              : so->conv == CONV_ML ? "--m2 and --lambda"
                                                    : "--kappa-hop and --lambda-hop");
    }
    for (int a = 0; a < NAX; a++) {
        char opt[48];
        if (a >= AX_C0 && a <= AX_C2 && a - AX_C0 >= so->nc) {
            so->v[a] = malloc(sizeof(double));
            if (!so->v[a])
                return fail();
            so->v[a][0] = NAN;
            so->n[a] = 1;
            continue;
        }
        const char *defaults[NAX] = {"16", NULL, NULL, NULL, "0", "0"};
        const char *spec = so->spec[a] ? so->spec[a] : defaults[a];
        if (a >= AX_C0 && a <= AX_C2)
            snprintf(opt, sizeof opt, "--%s", mtsi_sweep_coupling_option(so->conv, a - AX_C0));
        else
            snprintf(opt, sizeof opt, "%s", a == AX_L ? "--L" : a == AX_H ? "--field" : "--quad");
        if (mtsi_sweep_axis_parse(opt, spec, a == AX_L, &so->v[a], &so->n[a]))
            return fail();
        if (a == AX_L)
            for (int i = 0; i < so->n[a]; i++)
                if (so->v[a][i] < 2 || so->v[a][i] > (double)(1L << 20)) {
                    mtsi_error_set(MTSI_EINVAL, "--L: %.10g is out of range [2, %ld]", so->v[a][i],
                                   1L << 20);
                    return fail();
                }
    }
    if (!so->list && !so->dir)
        return usage_fail("--dir DIR is required");
    if (so->n_cfg < 0)
        return usage_fail("--n N is required");
    if (so->chains > so->n_cfg)
        return usage_fail("--chains: %ld chains for %ld configurations", so->chains, so->n_cfg);
    if (so->gen_n < 0)
        so->gen_n = so->n_cfg;
    if (!so->model && (so->gen_int || so->gen_steps > 0 || so->gen_batch > 0 || so->gen_refine > 0))
        return usage_fail("--gen-* options go with --generate MODEL.h5");
    if (so->gen_batch <= 0)
        so->gen_batch = 64;
    return 0;
}

/* Parses the options and runs the sweep on comm; the exit status. */
static int sweep(int argc, char **argv, const mtsi_sweep_comm *comm)
{
    sweep_opts so;
    mtsi_sweep_opts_init(&so);
    int rc = parse_options(argc, argv, &so);
    if (!rc) {
        mtsi_sweep_result r;
        mtsi_sweep_run(&so, comm, &r);
        if (r.status && r.usage)
            rc = usage_fail("%s", mtsi_error_msg());
        else if (r.status)
            rc = fail();
        else
            rc = r.interrupted ? 130 : r.failed ? 1 : 0;
    }
    mtsi_sweep_opts_free(&so);
    return rc;
}

int mtsi_cmd_sweep(int argc, char **argv)
{
    if (mtsi_cmd_wants_help(argc, argv)) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (mtsi_sweep_mpi_unsupported())
        return mtsi_cli_usage_error(CMD, "started by an MPI launcher, but this mtsi was built "
                                         "without MPI (configure --with-mpi); run one process");
    mtsi_sweep_comm comm;
    mtsi_sweep_mpi_start(&comm);
    g_rank = comm.rank;
    int rc = sweep(argc, argv, &comm);
    mtsi_sweep_mpi_end(&comm);
    g_rank = 0;
    return rc;
}
