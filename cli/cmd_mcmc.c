/* mtsi mcmc: phi^4 ensembles by MCMC (SPEC.md sections 3-5). */
#include "config.h"
#include "mtsi_cli.h"
#include "mtsi_cmd.h"
#include "mtsi_err.h"
#include "mtsi_run.h"

#include <getopt.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "usage: mtsi mcmc COUPLINGS [options] --n N --out FILE.h5\n"
    "       mtsi mcmc --resume --out FILE.h5\n"
    "\n"
    "Sample the lattice phi^4 law p ~ exp(-E + sum_a (A phi_a^2/2 + h phi_a)).\n"
    "\n"
    "Couplings (exactly one convention):\n"
    "  --chi X --kappa K --gamma G   E = sum chi/2 (dphi)^2 + kappa/2 phi^2 + gamma/4 phi^4\n"
    "  --m2 M --lambda L             S = sum (dphi)^2 + m2 phi^2 + lambda phi^4\n"
    "  --kappa-hop K --lambda-hop L  hopping form -2k sum phi phi' + phi^2 + l (phi^2-1)^2\n"
    "Lattice and tilt:\n"
    "  --dim D          1, 2 (default) or 3\n"
    "  --L N            sites per side (default 16)\n"
    "  --field h        uniform magnetic field (default 0)\n"
    "  --quad A         uniform quadratic tilt (default 0)\n"
    "Sampler:\n"
    "  --sampler S      langevin | langevin-exp | mala | hmc | fahmc | cluster (default fahmc)\n"
    "  --dt X           Langevin / MALA time step\n"
    "  --eps X          leapfrog step (hmc default 0.07, fahmc/cluster 0.25)\n"
    "  --nleap K        leapfrog steps per trajectory (hmc, fahmc 10; cluster 6)\n"
    "  --m0 X           Fourier preconditioner mass (default kappa - A if > 0, else 1)\n"
    "  --clusters K     Wolff clusters per cluster update (default: V / mean cluster\n                   size, estimated during thermalisation)\n"
    "  --tune, --no-tune  adapt the step to --target-acc during thermalisation only\n"
    "  --target-acc X   target acceptance for --tune\n"
    "Run:\n"
    "  --n N            configurations to save (required)\n"
    "  --chains C       independent chains, run in parallel (default 1)\n"
    "  --therm T        updates per chain before saving (default 1000)\n"
    "  --thin K         updates between saved configurations (default 10)\n"
    "  --seed S         random seed (default 1)\n"
    "  --threads T      OpenMP threads (default: OMP_NUM_THREADS or all cores)\n"
    "  --out FILE.h5    output ensemble (required)\n"
    "  --force          replace an existing output\n"
    "  --resume         continue the interrupted run of --out from FILE.h5.ckpt\n"
    "  --checkpoint-every SEC  seconds between checkpoints (default 60; 0: often)\n"
    "\n"
    "The output is written to a temporary name and renamed when complete;\n"
    "SIGINT/SIGTERM write a checkpoint and exit with status 130. See mtsi-mcmc(1).\n";

enum {
    O_CHI = 256, O_KAPPA, O_GAMMA, O_M2, O_LAMBDA, O_KHOP, O_LHOP, O_DIM, O_L, O_FIELD, O_QUAD,
    O_SAMPLER, O_DT, O_EPS, O_NLEAP, O_M0, O_CLUSTERS, O_TUNE, O_NOTUNE, O_TARGET, O_N, O_CHAINS,
    O_THERM, O_THIN, O_SEED, O_THREADS, O_OUT, O_FORCE, O_RESUME, O_CKPT, O_HELP
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
    {"out", required_argument, 0, O_OUT},
    {"force", no_argument, 0, O_FORCE},
    {"resume", no_argument, 0, O_RESUME},
    {"checkpoint-every", required_argument, 0, O_CKPT},
    {"help", no_argument, 0, O_HELP},
    {0, 0, 0, 0}};

#define NUM(var)                                                                                   \
    do {                                                                                           \
        if (mtsi_parse_finite(opt, optarg, &(var)))                                                \
            return mtsi_cli_fail("mcmc");                                                          \
    } while (0)
#define INT(var, lo, hi)                                                                           \
    do {                                                                                           \
        long v_;                                                                                   \
        if (mtsi_parse_long_range(opt, optarg, lo, hi, &v_))                                       \
            return mtsi_cli_fail("mcmc");                                                          \
        var = v_;                                                                                  \
    } while (0)

int mtsi_cmd_mcmc(int argc, char **argv)
{
    if (mtsi_cmd_wants_help(argc, argv)) {
        fputs(usage_text, stdout);
        return 0;
    }
    double chi = NAN, kappa = NAN, gamma = NAN, m2 = NAN, lambda = NAN, khop = NAN, lhop = NAN;
    double h = 0, A = 0, dt = NAN, eps = NAN, m0 = NAN, target = NAN, ckpt_every = 60;
    long dim = 2, L = 16, nleap = -1, clusters = -1, n = -1, chains = 1, therm = 1000, thin = 10;
    long seed = 1, threads = 0;
    int tune = -1, force = 0, resume = 0, n_other = 0;
    const char *sampler = "fahmc", *out = NULL;
    char optname[64];
    const char *opt = optname;
    optind = 1;
    opterr = 0;
    int ch, idx;
    while ((ch = getopt_long(argc, argv, ":", longopts, &idx)) != -1) {
        if (ch == '?' || ch == ':')
            return mtsi_cli_option_error("mcmc", ch, argv);
        snprintf(optname, sizeof optname, "--%s", longopts[idx].name);
        if (ch != O_OUT && ch != O_RESUME && ch != O_CKPT && ch != O_THREADS && ch != O_FORCE)
            n_other++;
        switch (ch) {
        case O_CHI: NUM(chi); break;
        case O_KAPPA: NUM(kappa); break;
        case O_GAMMA: NUM(gamma); break;
        case O_M2: NUM(m2); break;
        case O_LAMBDA: NUM(lambda); break;
        case O_KHOP: NUM(khop); break;
        case O_LHOP: NUM(lhop); break;
        case O_DIM: INT(dim, 1, 3); break;
        case O_L: INT(L, 2, 1L << 20); break;
        case O_FIELD: NUM(h); break;
        case O_QUAD: NUM(A); break;
        case O_SAMPLER: sampler = optarg; break;
        case O_DT: NUM(dt); break;
        case O_EPS: NUM(eps); break;
        case O_NLEAP: INT(nleap, 1, 100000); break;
        case O_M0: NUM(m0); break;
        case O_CLUSTERS: INT(clusters, 0, 1L << 40); break;
        case O_TUNE: tune = 1; break;
        case O_NOTUNE: tune = 0; break;
        case O_TARGET: NUM(target); break;
        case O_N: INT(n, 1, 1L << 40); break;
        case O_CHAINS: INT(chains, 1, 1L << 20); break;
        case O_THERM: INT(therm, 0, 1L << 50); break;
        case O_THIN: INT(thin, 1, 1L << 40); break;
        case O_SEED: INT(seed, 0, (long)(~0UL >> 1)); break;
        case O_THREADS: INT(threads, 1, 4096); break;
        case O_OUT: out = optarg; break;
        case O_FORCE: force = 1; break;
        case O_RESUME: resume = 1; break;
        case O_CKPT:
            NUM(ckpt_every);
            if (ckpt_every < 0)
                return mtsi_cli_usage_error("mcmc", "--checkpoint-every: must be >= 0, got %g",
                                            ckpt_every);
            break;
        default: return mtsi_cli_usage_error("mcmc", "unexpected option");
        }
    }
    if (optind < argc)
        return mtsi_cli_usage_error("mcmc", "unexpected argument '%s'", argv[optind]);
    if (threads > 0)
        omp_set_num_threads((int)threads);
    mtsi_signal_install();
    if (!out)
        return mtsi_cli_usage_error("mcmc", "--out FILE.h5 is required");
    if (resume) {
        if (n_other)
            return mtsi_cli_usage_error("mcmc",
                                        "--resume takes the run's settings from its checkpoint; "
                                        "give only --out (and --threads, --checkpoint-every)");
        int rc = mtsi_run_resume(out, ckpt_every);
        return rc ? mtsi_cli_fail("mcmc") : 0;
    }
    if (n < 0)
        return mtsi_cli_usage_error("mcmc", "--n N is required");

    mtsi_run_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    if (mtsi_phi4_set_lattice(&cfg.p, (int)dim, L))
        return mtsi_cli_fail("mcmc");
    int direct = !isnan(chi) || !isnan(kappa) || !isnan(gamma);
    int ml = !isnan(m2) || !isnan(lambda);
    int hop = !isnan(khop) || !isnan(lhop);
    if (direct + ml + hop != 1)
        return mtsi_cli_usage_error(
            "mcmc", "give the couplings in exactly one convention: --chi/--kappa/--gamma, "
                    "--m2/--lambda or --kappa-hop/--lambda-hop");
    if (direct) {
        if (isnan(chi) || isnan(kappa) || isnan(gamma))
            return mtsi_cli_usage_error("mcmc", "--chi, --kappa and --gamma go together");
        mtsi_phi4_set_direct(&cfg.p, chi, kappa, gamma);
    } else if (ml) {
        if (isnan(m2) || isnan(lambda))
            return mtsi_cli_usage_error("mcmc", "--m2 and --lambda go together");
        mtsi_phi4_set_m2_lambda(&cfg.p, m2, lambda);
    } else {
        if (isnan(khop) || isnan(lhop))
            return mtsi_cli_usage_error("mcmc", "--kappa-hop and --lambda-hop go together");
        if (khop <= 0)
            return mtsi_cli_usage_error("mcmc", "--kappa-hop: must be > 0, got %g", khop);
        mtsi_phi4_set_hopping(&cfg.p, khop, lhop);
    }
    cfg.p.h = h;
    cfg.p.A = A;
    if (mtsi_phi4_validate(&cfg.p))
        return mtsi_cli_fail("mcmc");
    mtsi_sampler_kind kind;
    if (mtsi_sampler_parse(sampler, &kind))
        return mtsi_cli_fail("mcmc");
    /* A step the sampler does not use is an error, not silently ignored. */
    int uses_dt = kind == MTSI_SAMPLER_LANGEVIN || kind == MTSI_SAMPLER_LANGEVIN_EXP ||
                  kind == MTSI_SAMPLER_MALA;
    if (!isnan(dt) && !uses_dt)
        return mtsi_cli_usage_error("mcmc", "--dt: sampler '%s' has no time step (use --eps)",
                                    sampler);
    if (!isnan(eps) && uses_dt)
        return mtsi_cli_usage_error("mcmc", "--eps: sampler '%s' has no leapfrog step (use --dt)",
                                    sampler);
    if (nleap > 0 && uses_dt)
        return mtsi_cli_usage_error("mcmc", "--nleap: sampler '%s' has no leapfrog steps",
                                    sampler);
    if (!isnan(target) && !(target > 0 && target < 1))
        return mtsi_cli_usage_error("mcmc", "--target-acc: must be in (0, 1), got %g", target);
    mtsi_sampler_defaults(&cfg.o, kind, &cfg.p);
    if (!isnan(dt))
        cfg.o.dt = dt;
    if (!isnan(eps)) {
        cfg.o.eps = eps;
        cfg.o.tune = 0; /* an explicit step is kept unless --tune is given */
    }
    if (!isnan(dt) && kind == MTSI_SAMPLER_MALA)
        cfg.o.tune = 0;
    if (nleap > 0)
        cfg.o.nleap = (int)nleap;
    if (!isnan(m0))
        cfg.o.m0 = m0;
    if (clusters >= 0)
        cfg.o.clusters = clusters;
    if (tune >= 0)
        cfg.o.tune = tune;
    if (!isnan(target))
        cfg.o.target_acc = target;
    if (cfg.o.tune && !mtsi_sampler_is_exact(kind))
        return mtsi_cli_usage_error("mcmc", "--tune: sampler '%s' has no acceptance to tune",
                                    sampler);
    if (mtsi_sampler_validate(&cfg.o, &cfg.p))
        return mtsi_cli_fail("mcmc");
    if (chains > n)
        return mtsi_cli_usage_error("mcmc", "--chains: %ld chains for %ld configurations", chains,
                                    n);
    cfg.n = n;
    cfg.chains = chains;
    cfg.therm = therm;
    cfg.thin = thin;
    cfg.seed = (uint64_t)seed;
    cfg.out = out;
    cfg.force = force;
    cfg.ckpt_every = ckpt_every;
    char *cmdline = mtsi_cli_command_line(argc, argv);
    cfg.command_line = cmdline ? cmdline : "";
    int rc = mtsi_run_mcmc(&cfg);
    free(cmdline);
    return rc ? mtsi_cli_fail("mcmc") : 0;
}
