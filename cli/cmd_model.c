/* `mtsi model`: inspect a drift-network checkpoint, or create a freshly
 * initialised one from an architecture string (lib/nn). */
#include "config.h"
#include "mtsi_cmd.h"
#include "mtsi_cli.h"
#include "mtsi_err.h"
#include "mtsi_h5.h"
#include "mtsi_model.h"
#include "mtsi_nn.h"
#include "mtsi_train.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: mtsi model FILE.h5 [--expect-arch SPEC]\n"
            "       mtsi model --init --out FILE.h5 [--arch SPEC] [--seed N] [--force]\n"
            "                  [--no-optimizer] [--lr X] [--schedule constant|exponential|cosine]\n"
            "                  [--warmup N] [--total N] [--gamma X] [--lr-min X]\n"
            "                  [--weight-decay X] [--clip X] [--ema X]\n\n"
            "Print the architecture, parameter count and training step of a model\n"
            "checkpoint, or create one with weights initialised from --seed.\n\n"
            "  --expect-arch SPEC  fail unless the model has this architecture\n"
            "  --arch SPEC         key=value list: in, out, width, mult (e.g. 1-2-2), blocks,\n"
            "                      k (3 or 3x5), pad (circular|zero), groups, cond, odd\n"
            "                      (default in=1,out=1,width=32,mult=1-2-2,blocks=1,k=3x3,\n"
            "                      pad=circular,groups=8,cond=0,odd=0)\n"
            "  --seed N            initialisation seed (default 1)\n"
            "  --no-optimizer      store weights only (no AdamW state)\n"
            "  --force             replace an existing output file\n\n"
            "Exit status: 0 success, 2 bad input or unreadable model (one line on stderr).\n"
            "See mtsi-model(1).\n");
}

static int info(const char *file, const char *expect)
{
    if (mtsi_in_check(file))
        return mtsi_cli_fail("model");
    mtsi_nn_net *net;
    mtsi_nn_opt *opt;
    if (mtsi_nn_load(file, &net, &opt))
        return mtsi_cli_fail("model");
    if (expect) {
        mtsi_nn_arch want;
        mtsi_nn_arch_default(&want);
        int rc = mtsi_nn_arch_parse(&want, expect);
        if (!rc)
            rc = mtsi_nn_arch_compare(&want, mtsi_nn_net_arch(net), file);
        if (rc) {
            mtsi_nn_opt_free(opt);
            mtsi_nn_net_free(net);
            return mtsi_cli_fail("model");
        }
    }
    char arch[512];
    mtsi_nn_arch_format(mtsi_nn_net_arch(net), arch, sizeof arch);
    printf("file: %s\narchitecture: %s\nparameters: %ld\nstep: %ld\n", file, arch,
           mtsi_nn_net_nparam(net), opt ? mtsi_nn_opt_steps(opt) : 0L);
    /* the data the model was trained for (files written by mtsi train) */
    hid_t f = mtsi_h5_open(file);
    mtsi_model_info mi;
    if (f >= 0 && mtsi_h5_has_attr(f, "model_type") && !mtsi_model_read_info(f, file, &mi)) {
        char sh[200];
        mtsi_shape_format(&mi.shape, sh, sizeof sh);
        printf("data: %s\n", sh);
        if (mi.standardized) {
            printf("standardized:");
            for (int c = 0; c < mi.shape.channels && c < MTSI_MODEL_MAXSTD; c++)
                printf(" channel %d (x - %.6g) / %.6g%s", c, mi.std_shift[c], mi.std_scale[c],
                       c + 1 < mi.shape.channels ? ";" : "");
            printf("\n");
        } else {
            printf("standardized: no\n");
        }
    }
    int trained = f >= 0 && mtsi_h5_has(f, "train");
    if (f >= 0)
        H5Fclose(f);
    /* what it was trained on (training checkpoints) */
    mtsi_train_cfg tc;
    mtsi_train_defaults(&tc);
    if (trained && !mtsi_train_read_cfg(file, &tc)) {
        if (tc.stream)
            printf("source: stream-mcmc (cluster sampler) m2=%.15g lambda=%.15g L=%ld "
                   "chains=%ld thin=%ld therm=%ld val_n=%ld\n",
                   tc.m2, tc.lambda, tc.stream_L, tc.stream_chains, tc.stream_thin,
                   tc.stream_therm, tc.val_n);
        if (tc.stream && (tc.tilt_h > 0 || tc.tilt_a < 0))
            printf("tilt: a fraction %.15g of the chains at fields in [-%.15g, %.15g] and "
                   "quadratic terms in [%.15g, 0]\n",
                   tc.tilt_frac, tc.tilt_h, tc.tilt_h, tc.tilt_a);
        if (!tc.stream)
            printf("source: ensemble %s\n", tc.data);
        if (!tc.stream && tc.tilt_h > 0)
            printf("tilt: a fraction %.15g of the samples from the ensemble reweighted by "
                   "e^{h sum x}, fields in [-%.15g, %.15g]\n",
                   tc.tilt_frac, tc.tilt_h, tc.tilt_h);
    }
    mtsi_error_clear();
    if (opt) {
        static const char *names[] = {"constant", "exponential", "cosine"};
        const mtsi_nn_opt_config *c = mtsi_nn_opt_get_config(opt);
        printf("optimizer: adamw lr=%g beta1=%g beta2=%g eps=%g weight_decay=%g clip=%g "
               "schedule=%s warmup=%ld total=%ld gamma=%g lr_min=%g ema=%g\n",
               c->lr, c->beta1, c->beta2, c->eps, c->weight_decay, c->clip, names[c->schedule],
               c->warmup, c->total, c->gamma, c->lr_min, c->ema);
    } else {
        printf("optimizer: none (weights only)\n");
    }
    mtsi_nn_opt_free(opt);
    mtsi_nn_net_free(net);
    return 0;
}

static int takes_value(const char *a)
{
    static const char *const opts[] = {"--out",    "--arch",  "--expect-arch", "--seed",
                                       "--lr",     "--warmup", "--total",      "--gamma",
                                       "--lr-min", "--weight-decay", "--clip", "--ema",
                                       "--schedule"};
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
        if (!strcmp(a, opts[i]))
            return 1;
    return 0;
}

int mtsi_cmd_model(int argc, char **argv)
{
    if (mtsi_cmd_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    const char *file = NULL, *out = NULL, *arch_s = NULL, *expect = NULL;
    int init = 0, force = 0, with_opt = 1;
    long seed = 1;
    mtsi_nn_opt_config oc;
    mtsi_nn_opt_config_default(&oc);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int rc = MTSI_OK, takes = 1;
        if (!strcmp(a, "--init"))
            init = 1, takes = 0;
        else if (!strcmp(a, "--force"))
            force = 1, takes = 0;
        else if (!strcmp(a, "--no-optimizer"))
            with_opt = 0, takes = 0;
        else if (takes_value(a) && !v)
            return mtsi_cli_usage_error("model", "%s needs a value", a);
        else if (!strcmp(a, "--out"))
            out = v;
        else if (!strcmp(a, "--arch"))
            arch_s = v;
        else if (!strcmp(a, "--expect-arch"))
            expect = v;
        else if (!strcmp(a, "--seed"))
            rc = mtsi_parse_long_range(a, v, 0, 0x7fffffffffffffffL, &seed);
        else if (!strcmp(a, "--lr"))
            rc = mtsi_parse_finite(a, v, &oc.lr);
        else if (!strcmp(a, "--warmup"))
            rc = mtsi_parse_long_range(a, v, 0, 1L << 40, &oc.warmup);
        else if (!strcmp(a, "--total"))
            rc = mtsi_parse_long_range(a, v, 0, 1L << 40, &oc.total);
        else if (!strcmp(a, "--gamma"))
            rc = mtsi_parse_finite(a, v, &oc.gamma);
        else if (!strcmp(a, "--lr-min"))
            rc = mtsi_parse_finite(a, v, &oc.lr_min);
        else if (!strcmp(a, "--weight-decay"))
            rc = mtsi_parse_finite(a, v, &oc.weight_decay);
        else if (!strcmp(a, "--clip"))
            rc = mtsi_parse_finite(a, v, &oc.clip);
        else if (!strcmp(a, "--ema"))
            rc = mtsi_parse_finite(a, v, &oc.ema);
        else if (!strcmp(a, "--schedule")) {
            if (!strcmp(v, "constant"))
                oc.schedule = MTSI_NN_LR_CONSTANT;
            else if (!strcmp(v, "exponential"))
                oc.schedule = MTSI_NN_LR_EXP;
            else if (!strcmp(v, "cosine"))
                oc.schedule = MTSI_NN_LR_COSINE;
            else
                return mtsi_cli_usage_error(
                    "model", "--schedule: expected constant, exponential or cosine, got '%s'", v);
        } else if (a[0] == '-' && a[1] != '\0')
            return mtsi_cli_usage_error("model", "unknown option '%s'", a);
        else if (!file)
            file = a, takes = 0;
        else
            return mtsi_cli_usage_error("model", "unexpected argument '%s'", a);
        if (rc)
            return mtsi_cli_fail("model");
        i += takes;
    }
    if (!init) {
        if (!file)
            return mtsi_cli_usage_error("model", "no model file given");
        if (out || arch_s)
            return mtsi_cli_usage_error("model", "--out and --arch need --init");
        return info(file, expect);
    }
    if (file)
        return mtsi_cli_usage_error("model", "with --init give the output as --out, not '%s'",
                                    file);
    mtsi_nn_arch arch;
    mtsi_nn_arch_default(&arch);
    if ((arch_s && mtsi_nn_arch_parse(&arch, arch_s)) || mtsi_out_check(out, force))
        return mtsi_cli_fail("model");
    mtsi_nn_net *net = mtsi_nn_net_new(&arch, (uint64_t)seed);
    if (!net)
        return mtsi_cli_fail("model");
    mtsi_nn_opt *opt = NULL;
    if (with_opt && !(opt = mtsi_nn_opt_new(&oc, net))) {
        mtsi_nn_net_free(net);
        return mtsi_cli_fail("model");
    }
    int rc = mtsi_nn_save(out, net, opt);
    mtsi_nn_opt_free(opt);
    mtsi_nn_net_free(net);
    if (rc)
        return mtsi_cli_fail("model");
    return 0;
}
