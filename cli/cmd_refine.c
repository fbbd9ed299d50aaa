/* mtsi refine: exact MCMC updates applied to each configuration of an
 * ensemble (a corrector after a transport sampler). */
#include "config.h"
#include "mtsi_cli.h"
#include "mtsi_cmd.h"
#include "mtsi_ensemble.h"
#include "mtsi_err.h"
#include "mtsi_h5.h"
#include "mtsi_mcmc.h"
#include "mtsi_phi4.h"

#include <getopt.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: mtsi refine IN.h5 --updates K --out OUT.h5 [options]\n"
    "\n"
    "Apply K exact MCMC updates (Metropolis-adjusted: the target law is left\n"
    "invariant) to every configuration of IN.h5, each with its own random\n"
    "stream, and write the result as a new ensemble. The target is the phi^4\n"
    "law of IN.h5 (its chi, kappa, gamma and tilt field_h, quad_a, plus the\n"
    "per-site /reward_field, /reward_quad if present), or the tilt given here.\n"
    "\n"
    "A few updates relax the short-distance modes (the energy density e, local\n"
    "moments) while the long-distance ones (M, its histogram) move little:\n"
    "compare IN.h5 and OUT.h5 with mtsi compare to see what the refinement did.\n"
    "\n"
    "  --updates K        updates per configuration (required, >= 0)\n"
    "  --sampler S        mala | hmc (default) | fahmc | cluster\n"
    "  --eps E, --nleap N leapfrog step and steps per trajectory (HMC kinds)\n"
    "  --dt D             MALA step\n"
    "  --m0 M             preconditioner mass (FA kinds)\n"
    "  --pilot P          updates of the pilot chain that tunes the step before it\n"
    "                     is frozen (default 200; 0 keeps the given step)\n"
    "  --field h, --quad A  the target's uniform tilt (default: the file's)\n"
    "  --seed S           random seed (default 1)\n"
    "  --threads T        OpenMP threads (the output does not depend on T)\n"
    "  --out FILE         output (required); --force replaces an existing one\n";

enum { O_UPD = 256, O_SAMPLER, O_EPS, O_NLEAP, O_DT, O_M0, O_PILOT, O_FIELD, O_QUAD, O_SEED,
       O_THREADS, O_OUT, O_FORCE };

/* A posterior ensemble's per-site reward (dataset `name`, V values) on top
 * of the prior's uniform tilt: total - reward = the prior's part. *out stays
 * NULL when the file has no such dataset. */
static int read_site_tilt(hid_t f, const char *name, long V, double total, double reward,
                          const char *what, double **out)
{
    if (!mtsi_h5_has(f, name))
        return MTSI_OK;
    double *v = malloc((size_t)V * sizeof(double));
    if (!v)
        return mtsi_error_set(MTSI_ENOMEM, "out of memory");
    int rc = mtsi_h5_read_double(f, name, v, (size_t)V, what);
    rc = rc ? rc : mtsi_check_finite(v, (size_t)V, what, name);
    double prior = (isfinite(total) ? total : 0) - reward;
    for (long a = 0; !rc && a < V; a++)
        v[a] += prior;
    if (rc)
        free(v);
    else
        *out = v;
    return rc;
}

int mtsi_cmd_refine(int argc, char **argv)
{
    if (mtsi_cmd_wants_help(argc, argv)) {
        fputs(usage_text, stdout);
        return 0;
    }
    static const struct option lo[] = {
        {"updates", required_argument, 0, O_UPD}, {"sampler", required_argument, 0, O_SAMPLER},
        {"eps", required_argument, 0, O_EPS},     {"nleap", required_argument, 0, O_NLEAP},
        {"dt", required_argument, 0, O_DT},       {"m0", required_argument, 0, O_M0},
        {"pilot", required_argument, 0, O_PILOT}, {"field", required_argument, 0, O_FIELD},
        {"quad", required_argument, 0, O_QUAD},   {"seed", required_argument, 0, O_SEED},
        {"threads", required_argument, 0, O_THREADS}, {"out", required_argument, 0, O_OUT},
        {"force", no_argument, 0, O_FORCE},       {0, 0, 0, 0}};
    const char *out = NULL, *samp = "hmc";
    long updates = -1, pilot = 200, seed = 1, threads = 0, nleap = -1;
    double eps = NAN, dt = NAN, m0 = NAN, fh = NAN, fA = NAN;
    int force = 0, ch, idx;
    char optname[64];
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":", lo, &idx)) != -1) {
        if (ch == '?' || ch == ':')
            return mtsi_cli_option_error("refine", ch, argv);
        snprintf(optname, sizeof optname, "--%s", lo[idx].name);
        int rc = MTSI_OK;
        switch (ch) {
        case O_UPD: rc = mtsi_parse_long_range(optname, optarg, 0, 1L << 30, &updates); break;
        case O_SAMPLER: samp = optarg; break;
        case O_EPS: rc = mtsi_parse_finite(optname, optarg, &eps); break;
        case O_NLEAP: rc = mtsi_parse_long_range(optname, optarg, 1, 1L << 20, &nleap); break;
        case O_DT: rc = mtsi_parse_finite(optname, optarg, &dt); break;
        case O_M0: rc = mtsi_parse_finite(optname, optarg, &m0); break;
        case O_PILOT: rc = mtsi_parse_long_range(optname, optarg, 0, 1L << 30, &pilot); break;
        case O_FIELD: rc = mtsi_parse_finite(optname, optarg, &fh); break;
        case O_QUAD: rc = mtsi_parse_finite(optname, optarg, &fA); break;
        case O_SEED: rc = mtsi_parse_long_range(optname, optarg, 0, (long)(~0UL >> 1), &seed); break;
        case O_THREADS: rc = mtsi_parse_long_range(optname, optarg, 1, 4096, &threads); break;
        case O_OUT: out = optarg; break;
        case O_FORCE: force = 1; break;
        }
        if (rc)
            return mtsi_cli_fail("refine");
    }
    if (optind >= argc)
        return mtsi_cli_usage_error("refine", "give the ensemble to refine (IN.h5)");
    const char *in = argv[optind];
    if (optind + 1 < argc)
        return mtsi_cli_usage_error("refine", "unexpected argument '%s'", argv[optind + 1]);
    if (updates < 0)
        return mtsi_cli_usage_error("refine", "--updates K is required");
    if (!out)
        return mtsi_cli_usage_error("refine", "--out FILE.h5 is required");
    mtsi_sampler_kind kind;
    if (mtsi_sampler_parse(samp, &kind))
        return mtsi_cli_fail("refine");
    if (!mtsi_sampler_is_exact(kind))
        return mtsi_cli_usage_error("refine",
                                    "--sampler %s is not exact; use mala, hmc, fahmc or cluster",
                                    samp);
    if (threads > 0)
        omp_set_num_threads((int)threads);
    if (!isnan(dt) && kind != MTSI_SAMPLER_MALA)
        return mtsi_cli_usage_error("refine", "--dt: sampler '%s' has no time step (it uses "
                                    "--eps)", samp);
    if (!isnan(eps) && kind == MTSI_SAMPLER_MALA)
        return mtsi_cli_usage_error("refine", "--eps: sampler 'mala' has no leapfrog step (it "
                                    "uses --dt)");
    mtsi_signal_install();
    if (mtsi_in_check(in) || mtsi_out_check(out, force))
        return mtsi_cli_fail("refine");

    mtsi_ensemble e;
    memset(&e, 0, sizeof e);
    double *hs = NULL, *As = NULL;
    char *tmp = NULL, *cl = NULL;
    char insampler[128] = "";
    double rew_h = 0, rew_a = 0;
    long nchains = 1;
    long *chain = NULL; /* the input's /chain (MCMC replica), copied */
    int rc = mtsi_ensemble_read(in, &e);
    if (!rc)
        rc = mtsi_ensemble_require_lattice(&e, "refine", in);
    if (!rc && (!isfinite(e.chi) || !isfinite(e.kappa) || !isfinite(e.gamma)))
        rc = mtsi_error_set(MTSI_EINVAL,
                            "'%s' lacks the couplings chi, kappa, gamma (attributes); cannot "
                            "define the target law", in);
    if (!rc) { /* per-site rewards of a posterior ensemble */
        hid_t f = mtsi_h5_open(in);
        if (f < 0)
            rc = MTSI_EINVAL;
        char what[600];
        snprintf(what, sizeof what, "ensemble '%s'", in);
        if (!rc && mtsi_h5_has_attr(f, "sampler"))
            mtsi_h5_attr_get_string(f, "sampler", insampler, sizeof insampler, what);
        if (!rc && mtsi_h5_has_attr(f, "n_chains"))
            rc = mtsi_h5_attr_get_long_range(f, "n_chains", 1, e.n, &nchains, what);
        if (nchains < 1 || nchains > e.n || e.n % nchains != 0)
            nchains = 1;
        if (!rc && mtsi_h5_has(f, "chain")) {
            chain = malloc((size_t)e.n * sizeof(long));
            rc = chain ? mtsi_h5_read_long(f, "chain", chain, (size_t)e.n, what)
                       : mtsi_error_set(MTSI_ENOMEM, "out of memory");
            for (long i = 0; !rc && i < e.n; i++)
                if (chain[i] < 0 || (i > 0 && chain[i] < chain[i - 1]))
                    rc = mtsi_error_set(MTSI_EINVAL, "%s: /chain is not a non-decreasing "
                                        "list of chain numbers (value %ld at %ld)", what,
                                        chain[i], i);
        }
        if (!rc && mtsi_h5_has_attr(f, "reward_h"))
            rc = mtsi_h5_attr_get_finite(f, "reward_h", &rew_h, what);
        if (!rc && mtsi_h5_has_attr(f, "reward_a"))
            rc = mtsi_h5_attr_get_finite(f, "reward_a", &rew_a, what);
        if (!rc && isnan(fh))
            rc = read_site_tilt(f, "reward_field", e.V, e.field_h, rew_h, what, &hs);
        if (!rc && isnan(fA))
            rc = read_site_tilt(f, "reward_quad", e.V, e.quad_a, rew_a, what, &As);
        if (f >= 0)
            H5Fclose(f);
    }
    mtsi_phi4_params p;
    mtsi_sampler_opts o;
    mtsi_refine_stats st;
    memset(&st, 0, sizeof st);
    if (!rc) {
        rc = mtsi_phi4_set_lattice(&p, e.dim, e.L);
        if (!rc) {
            mtsi_phi4_set_direct(&p, e.chi, e.kappa, e.gamma);
            p.h = isnan(fh) ? (isfinite(e.field_h) ? e.field_h : 0) : fh;
            p.A = isnan(fA) ? (isfinite(e.quad_a) ? e.quad_a : 0) : fA;
            p.h_site = hs;
            p.A_site = As;
            mtsi_sampler_defaults(&o, kind, &p);
            if (!isnan(eps))
                o.eps = eps;
            if (nleap > 0)
                o.nleap = (int)nleap;
            if (!isnan(dt))
                o.dt = dt;
            if (!isnan(m0))
                o.m0 = m0;
            o.tune = pilot > 0; /* HMC's defaults are untuned (the paper's step) */
        }
    }
    if (!rc) {
        double t0 = mtsi_wtime();
        rc = mtsi_refine(&p, &o, e.n, e.configs, updates, pilot, (uint64_t)seed, &st);
        if (!rc)
            fprintf(stderr,
                    "refine: %ld configurations x %ld %s updates, step %.4g, acceptance %.3f "
                    "(%.1f s)\n",
                    e.n, updates, mtsi_sampler_name(kind), st.step,
                    st.prop ? (double)st.acc / (double)st.prop : 0.0, mtsi_wtime() - t0);
    }
    if (!rc) {
        for (long i = 0; i < e.n * e.V; i++)
            if (!isfinite(e.configs[i])) {
                rc = mtsi_error_set(MTSI_EFAIL, "a refined configuration is not finite");
                break;
            }
    }
    if (!rc) {
        e.field_h = p.h;
        e.quad_a = p.A;
        tmp = mtsi_out_tmpname(out);
        cl = mtsi_cli_command_line(argc, argv);
        hid_t f = tmp ? mtsi_ensemble_write(tmp, &e, seed, cl ? cl : "") : -1;
        if (f < 0)
            rc = mtsi_error_code() ? mtsi_error_code() : MTSI_EIO;
        if (!rc) {
            char sname[200];
            snprintf(sname, sizeof sname, "%s%srefine:%s", insampler, insampler[0] ? "+" : "",
                     mtsi_sampler_name(kind));
            rc |= mtsi_h5_attr_set_string(f, "sampler", sname);
            rc |= mtsi_h5_attr_set_string(f, "refined_from", in);
            rc |= mtsi_h5_attr_set_string(f, "refine_sampler", mtsi_sampler_name(kind));
            rc |= mtsi_h5_attr_set_long(f, "refine_updates", updates);
            rc |= mtsi_h5_attr_set_double(f, "refine_step", st.step);
            rc |= mtsi_h5_attr_set_double(f, "refine_acceptance",
                                          st.prop ? (double)st.acc / (double)st.prop : 0.0);
            rc |= mtsi_h5_attr_set_long(f, "n_chains", nchains); /* the input's series */
            hsize_t dv = (hsize_t)e.V, dn = (hsize_t)e.n;
            if (chain)
                rc |= mtsi_h5_write_long(f, "chain", 1, &dn, chain);
            if (hs)
                rc |= mtsi_h5_write_double(f, "reward_field", 1, &dv, hs);
            if (As)
                rc |= mtsi_h5_write_double(f, "reward_quad", 1, &dv, As);
            if (rc)
                rc = mtsi_out_write_error(out);
            if (H5Fclose(f) < 0 && !rc)
                rc = mtsi_out_write_error(out);
        }
        if (!rc)
            rc = mtsi_out_commit(tmp, out);
        else
            mtsi_out_abort(tmp);
    }
    free(tmp);
    free(cl);
    free(hs);
    free(As);
    free(chain);
    mtsi_ensemble_free(&e);
    return rc ? mtsi_cli_fail("refine") : 0;
}
