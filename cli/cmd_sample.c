/* mtsi sample: transport noise (and observed sites) to samples with a
 * trained drift along an alpha path (SPEC.md section 1.1). */
#include "config.h"
#include "mtsi_cli.h"
#include "mtsi_cmd.h"
#include "mtsi_ensemble.h"
#include "mtsi_err.h"
#include "mtsi_h5.h"
#include "mtsi_mask.h"
#include "mtsi_model.h"
#include "mtsi_phi4.h"
#include "mtsi_generate.h"
#include "mtsi_posterior.h"

#include <getopt.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: mtsi sample --model MODEL.h5 --n N --out OUT.h5 [options]\n"
    "\n"
    "Draw N samples with the model's drift along an alpha path. The output is an\n"
    "ensemble (kind \"generated\") of the model's data shape: phi^4 lattices that\n"
    "mtsi stats and mtsi compare read, or images, paths and other data of any\n"
    "shape (one alpha per grid point, shared by its channels).\n"
    "\n"
    "Path (zero-shot: one trained drift serves every task):\n"
    "  --path generate         alpha = (1 - t) everywhere, from noise (default)\n"
    "  --path inpaint          observed sites held fixed; needs --from and --mask\n"
    "  --path sequential       sites generated stage by stage in --order\n"
    "  --path file:P.h5        a user path: dataset /alpha [T+1, grid...] of alpha at\n"
    "                          t = j/T, linear in between (alpha = 0 points need --from)\n"
    "  --order ORDER           raster | column | row | strips:S | block:S | quadrants |\n"
    "                          morton | random, optionally :G to group into G stages\n"
    "                          (default raster; on 1-D grids raster = points in order,\n"
    "                          block:S = runs of S points)\n"
    "  --from OBS.h5           observed samples (same shape as the model's data);\n"
    "                          sample i completes sample i mod n_obs\n"
    "  --mask M                random:F (a fraction F of the points missing, mask i\n"
    "                          drawn from stream i of the seed) | square:S, box:S (an\n"
    "                          S-sided hole at the centre) | rows:even, rows:odd |\n"
    "                          blocks:S (checkerboard of S x S blocks) | FILE.h5\n"
    "                          (dataset /mask, shape [grid...] or [n, grid...]:\n"
    "                          integers, nonzero = observed, or floats 0/1) |\n"
    "                          FILE.png (nonzero = observed)\n"
    "  --noise SIGMA           the observed values are noisy, y = x + SIGMA n (SPEC\n"
    "                          6.1): observed points start at alpha = SIGMA/(1+SIGMA)\n"
    "                          with value y/(1+SIGMA), wait there while the missing\n"
    "                          points come down, then all go to 0 together (the last\n"
    "                          stage as the exact time-reversal SDE): denoised on the way\n"
    "  --noise-keep            with --noise: hold the observed points at their noisy\n"
    "                          values instead (plain inpainting of y)\n"
    "  --noise-add             with --noise: the --from values are clean; observe\n"
    "                          y = x + SIGMA n (sample i from stream i of the seed),\n"
    "                          written to /observed\n"
    "Integrator:\n"
    "  --integrator I          euler | heun | rk4 (ODE); default: neural drifts of\n"
    "                          phi^4 lattices --sde 1:rise, other models heun\n"
    "  --sde EPS[:SCHED]       Euler-Maruyama SDE with noise level EPS: const\n"
    "                          (the default schedule), linear (EPS (1 - t), none at\n"
    "                          t = 1) or rise (EPS t, none at t = 0)\n"
    "  --steps K               steps per path segment (default: phi^4 neural\n"
    "                          drifts 60, other models 50)\n"
    "Posterior (the same drift samples p_r ~ exp(-E + r), no retraining):\n"
    "  --field h               r includes h sum_a phi_a (same sign as mtsi mcmc --field)\n"
    "  --quad A                r includes A/2 sum_a phi_a^2 (as mtsi mcmc --quad);\n"
    "                          A > 0 is refused on paths that start at alpha = 1\n"
    "  --field-file F.h5       per-site /field and/or /quad datasets [L, ...]\n"
    "  --t-min T               start the path at t = T (error O(T)); by default, when a\n"
    "                          field acts with A = 0 (singular at alpha = 1): 1e-3 for\n"
    "                          analytic models, 0.05 for networks (keeps x_r in range)\n"
    "  --start-pilot P         a path that starts at t > 0 begins at alpha x0 +\n"
    "                          (1 - alpha) m, m the sampled law's mean estimated by P\n"
    "                          pilot passes of one batch (default 2; 0: m = 0)\n"
    "Run:\n"
    "  --n N                   samples (required)\n"
    "  --batch B               samples integrated together (default 64)\n"
    "  --seed S                random seed (default 1)\n"
    "  --threads T             OpenMP threads\n"
    "  --out FILE              output (required); --force replaces an existing one\n";

enum { O_MODEL = 256, O_N, O_OUT, O_STEPS, O_INT, O_SDE, O_PATH, O_ORDER, O_FROM, O_MASK, O_SEED,
       O_BATCH, O_FORCE, O_THREADS, O_FIELD, O_QUAD, O_FIELDFILE, O_TMIN, O_NOISE, O_NOISEKEEP,
       O_NOISEADD, O_PILOT };

static int read_path_file(const char *path, const mtsi_model_info *info, mtsi_path **p)
{
    if (mtsi_in_check(path))
        return MTSI_EINVAL;
    hid_t f = mtsi_h5_open(path);
    if (f < 0)
        return MTSI_EINVAL;
    char what[600];
    snprintf(what, sizeof what, "path file '%s'", path);
    hsize_t dims[8];
    size_t count = 0;
    int rc = mtsi_h5_is_float(f, "alpha", what);
    int r = rc ? -1 : mtsi_h5_shape_checked(f, "alpha", dims, 8, sizeof(double), &count, what);
    if (!rc && r < 0)
        rc = MTSI_EINVAL;
    const mtsi_shape *sh = &info->shape;
    const long P = mtsi_shape_points(sh);
    char shs[200];
    mtsi_shape_format(sh, shs, sizeof shs);
    if (!rc && r != sh->naxes + 1)
        rc = mtsi_error_set(MTSI_EINVAL, "%s: /alpha has rank %d, expected %d ([T+1, grid...] for "
                                         "the model's %s)",
                            what, r, sh->naxes + 1, shs);
    for (int d = 0; !rc && d < sh->naxes; d++)
        if ((long)dims[1 + d] != sh->n[d])
            rc = mtsi_error_set(MTSI_EINVAL, "%s: /alpha axis %d has %llu points, the model's "
                                             "data are a %s",
                                what, d + 1, (unsigned long long)dims[1 + d], shs);
    if (!rc && (dims[0] < 2 || dims[0] > 1000000))
        rc = mtsi_error_set(MTSI_EINVAL, "%s: /alpha has %llu time points (2 to 10^6)", what,
                            (unsigned long long)dims[0]);
    if (!rc && count > (size_t)(1L << 31))
        rc = mtsi_error_set(MTSI_EINVAL, "%s: /alpha is too large (%llu x %ld)", what,
                            (unsigned long long)dims[0], P);
    double *a = NULL;
    if (!rc) {
        long nt = (long)dims[0];
        a = malloc(count * sizeof(double));
        rc = a ? mtsi_h5_read_double(f, "alpha", a, count, what)
               : mtsi_error_set(MTSI_ENOMEM, "out of memory");
        /* mtsi_path_table refuses values outside [0, 1] and NaN */
        if (!rc && !(*p = mtsi_path_table(sh, nt, a))) {
            char msg[512];
            snprintf(msg, sizeof msg, "%s", mtsi_error_msg());
            rc = mtsi_error_set(MTSI_EINVAL, "%s: %s", what, msg);
        }
    }
    free(a);
    H5Fclose(f);
    return rc;
}

/* --field-file: per-site /field and /quad [L, ...]; a missing one is uniform
 * (the --field / --quad value). */
static int read_field_file(const char *path, const mtsi_model_info *info, double h, double A,
                           double **hs, double **As)
{
    if (mtsi_in_check(path))
        return MTSI_EINVAL;
    hid_t f = mtsi_h5_open(path);
    if (f < 0)
        return MTSI_EINVAL;
    char what[600];
    snprintf(what, sizeof what, "field file '%s'", path);
    int rc = MTSI_OK, found = 0;
    const char *names[2] = {"field", "quad"};
    double **dst[2] = {hs, As};
    const double base[2] = {h, A};
    for (int k = 0; k < 2 && !rc; k++) {
        if (!mtsi_h5_has(f, names[k]))
            continue;
        found++;
        hsize_t dims[8];
        size_t cnt = 0;
        int r = mtsi_h5_shape_checked(f, names[k], dims, 8, sizeof(double), &cnt, what);
        if (r < 0) {
            rc = MTSI_EINVAL;
            break;
        }
        int same = r == info->dim;
        for (int d = 0; same && d < r; d++)
            same = dims[d] == (hsize_t)info->shape.n[d];
        if (!same || cnt != (size_t)info->V) {
            rc = mtsi_error_set(MTSI_EINVAL, "%s: /%s must have shape [L]^%d with L = %ld", what,
                                names[k], info->dim, info->L);
            break;
        }
        *dst[k] = malloc((size_t)info->V * sizeof(double));
        if (!*dst[k]) {
            rc = mtsi_error_set(MTSI_ENOMEM, "out of memory");
            break;
        }
        rc = mtsi_h5_read_double(f, names[k], *dst[k], (size_t)info->V, what);
        for (long a = 0; !rc && a < info->V; a++) {
            if (!isfinite((*dst[k])[a]))
                rc = mtsi_error_set(MTSI_EINVAL, "%s: /%s has a non-finite value at site %ld", what,
                                    names[k], a);
            (*dst[k])[a] += base[k];
        }
    }
    if (!rc && !found)
        rc = mtsi_error_set(MTSI_EINVAL, "%s has neither /field nor /quad", what);
    H5Fclose(f);
    return rc;
}

int mtsi_cmd_sample(int argc, char **argv)
{
    if (mtsi_cmd_wants_help(argc, argv)) {
        fputs(usage_text, stdout);
        return 0;
    }
    static const struct option lo[] = {
        {"model", required_argument, 0, O_MODEL}, {"n", required_argument, 0, O_N},
        {"out", required_argument, 0, O_OUT},     {"steps", required_argument, 0, O_STEPS},
        {"integrator", required_argument, 0, O_INT}, {"sde", required_argument, 0, O_SDE},
        {"path", required_argument, 0, O_PATH},   {"order", required_argument, 0, O_ORDER},
        {"from", required_argument, 0, O_FROM},   {"mask", required_argument, 0, O_MASK},
        {"seed", required_argument, 0, O_SEED},   {"batch", required_argument, 0, O_BATCH},
        {"force", no_argument, 0, O_FORCE},       {"threads", required_argument, 0, O_THREADS},
        {"field", required_argument, 0, O_FIELD}, {"quad", required_argument, 0, O_QUAD},
        {"field-file", required_argument, 0, O_FIELDFILE}, {"t-min", required_argument, 0, O_TMIN},
        {"noise", required_argument, 0, O_NOISE}, {"noise-keep", no_argument, 0, O_NOISEKEEP},
        {"noise-add", no_argument, 0, O_NOISEADD}, {"start-pilot", required_argument, 0, O_PILOT},
        {0, 0, 0, 0}};
    const char *model = NULL, *out = NULL, *pathname = "generate", *order = NULL, *from = NULL,
               *maskspec = NULL, *sde = NULL;
    long n = -1, seed = 1, batch = 64, threads = 0, pilot = MTSI_START_PILOT_PASSES;
    double fh = 0, fA = 0, tmin = -1, sigma = 0;
    int noise_keep = 0, noise_add = 0, have_noise = 0;
    const char *fieldfile = NULL;
    int force = 0, ch, idx, steps_given = 0, int_given = 0;
    mtsi_integrate_opts io;
    mtsi_integrate_defaults(&io);
    char optname[64];
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":", lo, &idx)) != -1) {
        if (ch == '?' || ch == ':')
            return mtsi_cli_option_error("sample", ch, argv);
        snprintf(optname, sizeof optname, "--%s", lo[idx].name);
        int rc = MTSI_OK;
        switch (ch) {
        case O_MODEL: model = optarg; break;
        case O_OUT: out = optarg; break;
        case O_N: rc = mtsi_parse_long_range(optname, optarg, 1, 1L << 40, &n); break;
        case O_STEPS:
            rc = mtsi_parse_long_range(optname, optarg, 1, 1L << 30, &io.steps);
            steps_given = 1;
            break;
        case O_INT:
            rc = mtsi_integrator_parse(optarg, &io.kind);
            int_given = 1;
            break;
        case O_SDE: sde = optarg; break;
        case O_PATH: pathname = optarg; break;
        case O_ORDER: order = optarg; break;
        case O_FROM: from = optarg; break;
        case O_MASK: maskspec = optarg; break;
        case O_SEED: rc = mtsi_parse_long_range(optname, optarg, 0, (long)(~0UL >> 1), &seed); break;
        case O_BATCH: rc = mtsi_parse_long_range(optname, optarg, 1, 1L << 20, &batch); break;
        case O_FORCE: force = 1; break;
        case O_THREADS: rc = mtsi_parse_long_range(optname, optarg, 1, 4096, &threads); break;
        case O_FIELD: rc = mtsi_parse_finite(optname, optarg, &fh); break;
        case O_QUAD: rc = mtsi_parse_finite(optname, optarg, &fA); break;
        case O_FIELDFILE: fieldfile = optarg; break;
        case O_NOISE:
            rc = mtsi_parse_finite(optname, optarg, &sigma);
            if (!rc && !(sigma >= 0 && sigma <= 1e6))
                rc = mtsi_error_set(MTSI_EINVAL, "--noise: sigma must be in [0, 1e6], got %g", sigma);
            have_noise = 1;
            break;
        case O_NOISEKEEP: noise_keep = 1; break;
        case O_NOISEADD: noise_add = 1; break;
        case O_PILOT: rc = mtsi_parse_long_range(optname, optarg, 0, 100, &pilot); break;
        case O_TMIN:
            rc = mtsi_parse_finite(optname, optarg, &tmin);
            if (!rc && !(tmin >= 0 && tmin < 1))
                rc = mtsi_error_set(MTSI_EINVAL, "--t-min: must be in [0, 1), got %g", tmin);
            break;
        }
        if (rc)
            return mtsi_cli_fail("sample");
    }
    if (optind < argc)
        return mtsi_cli_usage_error("sample", "unexpected argument '%s'", argv[optind]);
    if (!model)
        return mtsi_cli_usage_error("sample", "--model MODEL.h5 is required");
    if (!out)
        return mtsi_cli_usage_error("sample", "--out FILE.h5 is required");
    if (n < 1)
        return mtsi_cli_usage_error("sample", "--n N is required");
    if (threads > 0)
        omp_set_num_threads((int)threads);
    if (sde) {
        char buf[64];
        snprintf(buf, sizeof buf, "%s", sde);
        char *c = strchr(buf, ':');
        if (c) {
            *c = '\0';
            if (!strcmp(c + 1, "linear"))
                io.schedule = MTSI_EPS_LINEAR;
            else if (!strcmp(c + 1, "rise"))
                io.schedule = MTSI_EPS_RISE;
            else if (strcmp(c + 1, "const"))
                return mtsi_cli_usage_error("sample",
                                            "--sde: unknown schedule '%s' (const, linear, rise)",
                                            c + 1);
        }
        if (mtsi_parse_finite("--sde", buf, &io.eps))
            return mtsi_cli_fail("sample");
        if (io.eps < 0)
            return mtsi_cli_usage_error("sample", "--sde: eps must be >= 0, got %g", io.eps);
        io.kind = MTSI_INTEGRATOR_EM;
    }
    int is_gen = !strcmp(pathname, "generate"), is_inp = !strcmp(pathname, "inpaint"),
        is_seq = !strcmp(pathname, "sequential"), is_file = !strncmp(pathname, "file:", 5);
    if (!is_gen && !is_inp && !is_seq && !is_file)
        return mtsi_cli_usage_error("sample",
                                    "--path: unknown path '%s' (generate, inpaint, sequential, file:P.h5)",
                                    pathname);
    if (is_inp && (!from || !maskspec))
        return mtsi_cli_usage_error("sample", "--path inpaint needs --from OBS.h5 and --mask");
    if (maskspec && !from)
        return mtsi_cli_usage_error("sample", "--mask needs --from OBS.h5 (the observed values)");
    if (order && !is_seq)
        return mtsi_cli_usage_error("sample", "--order goes with --path sequential");
    if (is_gen && maskspec)
        return mtsi_cli_usage_error("sample", "--mask needs --path inpaint or sequential");
    if (have_noise && !is_inp)
        return mtsi_cli_usage_error("sample", "--noise goes with --path inpaint");
    if ((noise_keep || noise_add) && !have_noise)
        return mtsi_cli_usage_error("sample", "--noise-keep and --noise-add go with --noise SIGMA");
    if (mtsi_in_check(model) || mtsi_out_check(out, force))
        return mtsi_cli_fail("sample");

    mtsi_drift *drift = NULL;
    mtsi_model_info info;
    mtsi_ensemble obs;
    memset(&obs, 0, sizeof obs);
    mtsi_path *path = NULL;
    unsigned char *mask = NULL;
    long nmask = 0;
    int *stage = NULL;
    double *x = NULL, *x1 = NULL;
    char *tmp = NULL, *cl = NULL;
    long *src = NULL;
    memset(&info, 0, sizeof info);
    int rc = mtsi_model_load(model, &drift, &info);
    if (rc)
        mtsi_shape_lattice(&info.shape, 1, 1); /* only to keep P defined on the way out */
    const long P = mtsi_shape_points(&info.shape);
    const int lattice = mtsi_shape_is_lattice(&info.shape, NULL, NULL);
    if (!rc) { /* the model's integrator for what the options leave open */
        mtsi_integrate_opts d = io;
        mtsi_generate_default_integrator(&d, &info.shape, info.model_type);
        if (!int_given && !sde) {
            io.kind = d.kind;
            io.eps = d.eps;
            io.schedule = d.schedule;
        }
        if (!steps_given)
            io.steps = d.steps;
    }
    if (!rc && !lattice && (fh != 0 || fA != 0 || fieldfile))
        rc = mtsi_error_set(MTSI_EINVAL, "--field, --quad and --field-file tilt phi4 laws; the model "
                                         "'%s' is for %s data",
                            model, info.shape.kind);
    if (!rc && from) {
        rc = mtsi_ensemble_read(from, &obs);
        if (!rc) {
            char wf[600], wm[600];
            snprintf(wf, sizeof wf, "--from '%s'", from);
            snprintf(wm, sizeof wm, "the model '%s'", model);
            rc = mtsi_shape_require(&obs.shape, wf, &info.shape, wm);
        }
    }
    double *yobs = NULL; /* --noise-add: the noisy observations, [n][V] */
    if (!rc && noise_add) {
        yobs = malloc((size_t)(n * info.V) * sizeof(double));
        if (!yobs)
            rc = mtsi_error_set(MTSI_ENOMEM, "out of memory for %ld observations", n);
        for (long i = 0; !rc && i < n; i++) {
            mtsi_rng r; /* observation i from stream i of the seed */
            mtsi_rng_seed(&r, (uint64_t)seed ^ 0x6f6273ULL, (uint64_t)i + 1);
            const double *x = obs.configs + (i % obs.n) * info.V;
            for (long a = 0; a < info.V; a++)
                yobs[i * info.V + a] = x[a] + sigma * mtsi_rng_normal(&r);
        }
    }
    if (!rc && maskspec)
        rc = mtsi_mask_make(maskspec, &info.shape, n, (uint64_t)seed, &nmask, &mask);
    if (!rc) {
        if (is_gen)
            path = mtsi_path_generate(&info.shape);
        else if (is_inp)
            path = mtsi_path_inpaint_noisy(&info.shape, nmask, mask, noise_keep ? 0.0 : sigma);
        else if (is_seq) {
            stage = malloc((size_t)P * sizeof(int));
            int ns = stage ? mtsi_order_stages(order ? order : "raster", &info.shape,
                                               (uint64_t)seed, stage)
                           : -mtsi_error_set(MTSI_ENOMEM, "out of memory");
            if (ns < 0)
                rc = -ns;
            else
                path = mtsi_path_sequential(&info.shape, ns, stage, nmask, mask);
        } else
            rc = read_path_file(pathname + 5, &info, &path);
        if (!rc && !path)
            rc = mtsi_error_code() ? mtsi_error_code() : MTSI_ENOMEM;
    }
    const long V = info.V;
    /* ---- posterior: reward, feasibility before any sampling ---- */
    double *hsite = NULL, *Asite = NULL;
    mtsi_drift *post = NULL;
    int tilted = fh != 0 || fA != 0 || fieldfile;
    mtsi_reward rw = {fh, fA, NULL, NULL};
    if (!rc && fieldfile)
        rc = read_field_file(fieldfile, &info, fh, fA, &hsite, &Asite);
    rw.h_site = hsite;
    rw.A_site = Asite;
    if (!rc && tilted) {
        io.t0 = tmin >= 0 ? tmin : mtsi_generate_default_t0(&rw, V, info.model_type);
        rc = mtsi_posterior_check(path, nmask > 1 ? nmask : 1, &rw, io.t0);
        if (!rc) {
            post = mtsi_drift_posterior_new(drift, &rw);
            if (!post)
                rc = mtsi_error_code() ? mtsi_error_code() : MTSI_ENOMEM;
        }
    } else if (!rc && tmin > 0) {
        io.t0 = tmin;
    }
    mtsi_drift *use = post ? post : drift;
    if (!rc && !from) {
        /* a path that starts with known sites needs observed values */
        double *al = malloc((size_t)V * sizeof(double));
        if (al) {
            mtsi_path_eval(path, 0, 0, 0.0, al, NULL);
            for (long a = 0; a < V; a++)
                if (al[a] < 1) {
                    rc = mtsi_error_set(MTSI_EINVAL,
                                        "the path starts with known sites (alpha < 1): give "
                                        "observed configurations with --from");
                    break;
                }
            free(al);
        }
    }
    if (!rc) {
        x = malloc((size_t)(n * V) * sizeof(double));
        src = malloc((size_t)n * sizeof(long));
        if (from)
            x1 = malloc((size_t)(batch * V) * sizeof(double));
        if (!x || !src || (from && !x1))
            rc = mtsi_error_set(MTSI_ENOMEM, "out of memory for %ld samples", n);
    }
    mtsi_signal_install();
    /* the start's mean when the path starts at t0 > 0 (a field's t_min):
     * pilot passes of the first batch (mtsi_generate_start_mean) */
    double *m0 = NULL, m0_mean = 0;
    if (!rc && io.t0 > 0) {
        long bs = n < batch ? n : batch;
        m0 = malloc((size_t)V * sizeof(double));
        if (!m0)
            rc = mtsi_error_set(MTSI_ENOMEM, "out of memory");
        for (long i = 0; !rc && from && i < bs; i++)
            memcpy(x1 + i * V, yobs ? yobs + i * V : obs.configs + (i % obs.n) * V,
                   (size_t)V * sizeof(double));
        if (!rc && from)
            mtsi_model_standardize(&info, bs, x1);
        if (!rc)
            rc = mtsi_generate_start_mean(use, path, &io, V, bs, from ? x1 : NULL, (int)pilot,
                                          is_gen && !hsite && !Asite, (uint64_t)seed, m0, NULL);
        for (long a = 0; !rc && a < V; a++)
            m0_mean += m0[a] / V;
    }
    mtsi_progress *pg = mtsi_progress_new("sample", n);
    mtsi_rng base;
    mtsi_rng_seed(&base, (uint64_t)seed, 0);
    for (long i0 = 0; !rc && i0 < n; i0 += batch) {
        long bs = n - i0 < batch ? n - i0 : batch;
        mtsi_rng r = base; /* batch k uses stream k of the seed */
        for (long i = 0; i < bs; i++)
            src[i0 + i] = from ? (i0 + i) % obs.n : -1;
        if (from) {
            for (long i = 0; i < bs; i++)
                memcpy(x1 + i * V, yobs ? yobs + (i0 + i) * V : obs.configs + src[i0 + i] * V,
                       (size_t)V * sizeof(double));
            mtsi_model_standardize(&info, bs, x1);
        }
        rc = mtsi_path_init(path, io.t0, bs, i0, x1, m0, &r, x + i0 * V);
        if (!rc)
            rc = mtsi_integrate(use, path, &io, bs, i0, x + i0 * V, &r);
        if (!rc && info.standardized) {
            /* back to the data's scale; observed values exactly as given */
            mtsi_model_unstandardize(&info, bs, x + i0 * V);
            for (long i = 0; from && i < bs; i++)
                for (long a = 0; a < V; a++)
                    if (mtsi_path_observed(path, i0 + i, a) && mtsi_path_obs_alpha(path) == 0)
                        x[(i0 + i) * V + a] = yobs ? yobs[(i0 + i) * V + a]
                                                   : obs.configs[src[i0 + i] * V + a];
        }
        /* observed sites are copied back bit-exactly (they were never moved) */
        for (long i = 0; !rc && i < bs; i++)
            for (long a = 0; a < V; a++)
                if (!isfinite(x[(i0 + i) * V + a])) {
                    rc = mtsi_error_set(MTSI_EFAIL, "sample %ld diverged (non-finite value); try "
                                                    "more --steps",
                                        i0 + i);
                    break;
                }
        mtsi_progress_update(pg, i0 + bs, NULL);
        if (!rc && mtsi_signal_pending())
            rc = mtsi_error_set(MTSI_EINTR, "interrupted; nothing was written");
        /* advance the base stream: batch k+1 starts at jump^(k+1)(seed) */
        {
            mtsi_rng nx;
            mtsi_rng_seed(&nx, (uint64_t)seed, (uint64_t)(i0 / batch + 1));
            base = nx;
        }
    }
    mtsi_progress_free(pg);
    if (!rc) {
        mtsi_ensemble e;
        memset(&e, 0, sizeof e);
        e.n = n;
        mtsi_ensemble_set_shape(&e, &info.shape);
        e.chi = info.chi;
        e.kappa = info.kappa;
        e.gamma = info.gamma;
        /* the law the samples follow: the training law tilted by the reward */
        e.field_h = (isfinite(info.field_h) ? info.field_h : 0) + fh;
        e.quad_a = (isfinite(info.quad_a) ? info.quad_a : 0) + fA;
        snprintf(e.kind, sizeof e.kind, "generated");
        e.configs = x;
        tmp = mtsi_out_tmpname(out);
        cl = mtsi_cli_command_line(argc, argv);
        hid_t f = tmp ? mtsi_ensemble_write(tmp, &e, seed, cl ? cl : "") : -1;
        if (f < 0)
            rc = mtsi_error_code() ? mtsi_error_code() : MTSI_EIO;
        if (!rc) {
            rc |= mtsi_h5_attr_set_string(f, "sampler", "interpolant");
            rc |= mtsi_h5_attr_set_string(f, "model", model);
            rc |= mtsi_h5_attr_set_string(f, "model_type", info.model_type);
            rc |= mtsi_h5_attr_set_string(f, "path", pathname);
            rc |= mtsi_h5_attr_set_string(f, "order", order ? order : "");
            rc |= mtsi_h5_attr_set_string(f, "integrator", mtsi_integrator_name(io.kind));
            rc |= mtsi_h5_attr_set_long(f, "steps", io.steps);
            rc |= mtsi_h5_attr_set_double(f, "sde_eps", io.kind == MTSI_INTEGRATOR_EM ? io.eps : 0);
            if (io.kind == MTSI_INTEGRATOR_EM)
                rc |= mtsi_h5_attr_set_string(f, "sde_schedule", mtsi_eps_schedule_name(io.schedule));
            rc |= mtsi_h5_attr_set_long(f, "n_chains", 1);
            rc |= mtsi_h5_attr_set_double(f, "t_min", io.t0);
            if (io.t0 > 0) {
                rc |= mtsi_h5_attr_set_long(f, "start_pilot", pilot);
                rc |= mtsi_h5_attr_set_double(f, "start_mean", m0_mean);
            }
            if (have_noise) {
                rc |= mtsi_h5_attr_set_double(f, "noise_sigma", sigma);
                rc |= mtsi_h5_attr_set_string(f, "noise_treatment",
                                              noise_keep ? "keep" : "denoise");
            }
            if (yobs) {
                hsize_t dy[2 + MTSI_SHAPE_MAXAXES];
                int ry = mtsi_shape_dims(&info.shape, !lattice, (hsize_t)n, dy);
                rc |= mtsi_h5_write_double(f, "observed", ry, dy, yobs);
            }
            if (tilted) {
                rc |= mtsi_h5_attr_set_double(f, "reward_h", fh);
                rc |= mtsi_h5_attr_set_double(f, "reward_a", fA);
                rc |= mtsi_h5_attr_set_string(f, "reward_file", fieldfile ? fieldfile : "");
                rc |= mtsi_h5_attr_set_double(f, "max_abs_x_r", mtsi_posterior_max_xr(post));
                hsize_t dv = (hsize_t)V;
                if (hsite)
                    rc |= mtsi_h5_write_double(f, "reward_field", 1, &dv, hsite);
                if (Asite)
                    rc |= mtsi_h5_write_double(f, "reward_quad", 1, &dv, Asite);
            }
            if (mask) {
                hsize_t dm[1 + MTSI_SHAPE_MAXAXES];
                int lead = nmask > 1 ? 1 : 0;
                dm[0] = (hsize_t)nmask;
                for (int d = 0; d < info.shape.naxes; d++)
                    dm[lead + d] = (hsize_t)info.shape.n[d];
                rc |= mtsi_h5_write_u8(f, "mask", lead + info.shape.naxes, dm, mask);
            }
            if (from) {
                hsize_t dn = (hsize_t)n;
                rc |= mtsi_h5_write_long(f, "source_index", 1, &dn, src);
                rc |= mtsi_h5_attr_set_string(f, "from", from);
            }
            if (H5Fclose(f) < 0 || rc)
                rc = mtsi_out_write_error(out);
        }
        if (!rc)
            rc = mtsi_out_commit(tmp, out);
        else if (tmp)
            unlink(tmp);
    }
    free(tmp);
    free(cl);
    free(x);
    free(x1);
    free(m0);
    free(src);
    free(mask);
    free(yobs);
    free(stage);
    mtsi_path_free(path);
    mtsi_drift_free(post);
    mtsi_drift_free(drift);
    free(hsite);
    free(Asite);
    mtsi_ensemble_free(&obs);
    return rc ? mtsi_cli_fail("sample") : 0;
}
