/* mtsi fit-gaussian: an analytic Gaussian (or +-m mixture) model of an
 * ensemble, usable wherever a model is (SPEC.md section 1.2). */
#include "config.h"
#include "mtsi_cli.h"
#include "mtsi_cmd.h"
#include "mtsi_ensemble.h"
#include "mtsi_err.h"
#include "mtsi_h5.h"
#include "mtsi_model.h"
#include "mtsi_phi4.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: mtsi fit-gaussian DATA.h5 --out MODEL.h5 [--mixture] [--zero-mean] [--force]\n"
    "\n"
    "Fit x1 ~ N(m, C) with a uniform mean m and a translation-invariant\n"
    "covariance C (its Fourier eigenvalues C_k = <|phi_hat_k - m_hat_k|^2>) to the\n"
    "configurations of an ensemble. The model works wherever a model does\n"
    "(mtsi sample), with the exact drift of SPEC section 1.2.\n"
    "\n"
    "  --mixture     fit w+ N(+m, C) + w- N(-m, C): configurations are assigned by\n"
    "                the sign of M, m = <|M|>, C from the fluctuations around +-m\n"
    "                (a model of the magnetised phase)\n"
    "  --zero-mean   force m = 0 (a Z2-symmetric law)\n"
    "  --out FILE    the model file (required); --force replaces an existing one\n";

int mtsi_cmd_fit_gaussian(int argc, char **argv)
{
    if (mtsi_cmd_wants_help(argc, argv)) {
        fputs(usage_text, stdout);
        return 0;
    }
    static const struct option lo[] = {{"out", required_argument, 0, 'o'},
                                       {"mixture", no_argument, 0, 'm'},
                                       {"zero-mean", no_argument, 0, 'z'},
                                       {"force", no_argument, 0, 'f'},
                                       {0, 0, 0, 0}};
    const char *out = NULL;
    int mixture = 0, zero = 0, force = 0, ch;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":", lo, NULL)) != -1) {
        switch (ch) {
        case 'o': out = optarg; break;
        case 'm': mixture = 1; break;
        case 'z': zero = 1; break;
        case 'f': force = 1; break;
        default: return mtsi_cli_option_error("fit-gaussian", ch, argv);
        }
    }
    if (optind != argc - 1)
        return mtsi_cli_usage_error("fit-gaussian", "give exactly one ensemble file");
    if (!out)
        return mtsi_cli_usage_error("fit-gaussian", "--out MODEL.h5 is required");
    const char *data = argv[optind];
    if (mtsi_in_check(data) || mtsi_out_check(out, force))
        return mtsi_cli_fail("fit-gaussian");
    mtsi_ensemble e;
    if (mtsi_ensemble_read(data, &e))
        return mtsi_cli_fail("fit-gaussian");
    mtsi_phi4_params lat;
    memset(&lat, 0, sizeof lat);
    mtsi_phi4_set_lattice(&lat, e.dim, e.L);
    const long V = e.V, nh = mtsi_phi4_nhalf(&lat), n = e.n;
    int J = mixture ? 2 : 1;
    double *means = malloc((size_t)(J * V) * sizeof(double));
    double *ck = malloc((size_t)nh * sizeof(double));
    double w[2] = {1, 0};
    int rc = (!means || !ck) ? mtsi_error_set(MTSI_ENOMEM, "out of memory") : MTSI_OK;
    if (!rc && !mixture) {
        rc = mtsi_gauss_fit(e.dim, e.L, n, e.configs, zero, means, ck);
    } else if (!rc) {
        /* reflect the negative-M configurations, fit one Gaussian around +m */
        double *refl = malloc((size_t)(n * V) * sizeof(double));
        long npos = 0;
        if (!refl)
            rc = mtsi_error_set(MTSI_ENOMEM, "out of memory");
        for (long i = 0; !rc && i < n; i++) {
            double s = 0;
            for (long a = 0; a < V; a++)
                s += e.configs[i * V + a];
            double sg = s >= 0 ? 1.0 : -1.0;
            npos += s >= 0;
            for (long a = 0; a < V; a++)
                refl[i * V + a] = sg * e.configs[i * V + a];
        }
        if (!rc)
            rc = mtsi_gauss_fit(e.dim, e.L, n, refl, 0, means, ck);
        for (long a = 0; !rc && a < V; a++)
            means[V + a] = -means[a];
        w[0] = (double)(npos > 0 ? npos : 1) / (double)n;
        w[1] = (double)(n - npos > 0 ? n - npos : 1) / (double)n;
        free(refl);
    }
    char *tmp = rc ? NULL : mtsi_out_tmpname(out);
    hid_t f = tmp ? mtsi_h5_create(tmp) : -1;
    if (!rc && f < 0)
        rc = MTSI_EIO;
    if (!rc) {
        mtsi_model_info info;
        memset(&info, 0, sizeof info);
        snprintf(info.model_type, sizeof info.model_type, "%s", mixture ? "gmm" : "gaussian");
        info.dim = e.dim;
        info.L = e.L;
        info.V = V;
        info.chi = e.chi;
        info.kappa = e.kappa;
        info.gamma = e.gamma;
        info.field_h = e.field_h;
        info.quad_a = e.quad_a;
        snprintf(info.data, sizeof info.data, "%s", data);
        char *cl = mtsi_cli_command_line(argc, argv);
        rc = mtsi_model_write_info(f, &info, cl ? cl : "");
        free(cl);
        hsize_t dv = (hsize_t)V, dk = (hsize_t)nh, dj = (hsize_t)J, dm[2] = {(hsize_t)J, (hsize_t)V};
        const char *g = mixture ? "gmm" : "gaussian";
        rc = rc ? rc : mtsi_h5_group(f, g);
        if (!rc && mixture) {
            rc = mtsi_h5_write_double(f, "gmm/weights", 1, &dj, w);
            rc = rc ? rc : mtsi_h5_write_double(f, "gmm/means", 2, dm, means);
            rc = rc ? rc : mtsi_h5_write_double(f, "gmm/ck", 1, &dk, ck);
        } else if (!rc) {
            rc = mtsi_h5_write_double(f, "gaussian/mean", 1, &dv, means);
            rc = rc ? rc : mtsi_h5_write_double(f, "gaussian/ck", 1, &dk, ck);
        }
        if (H5Fclose(f) < 0 && !rc)
            rc = mtsi_error_set(MTSI_EIO, "cannot write '%s'", tmp);
        if (!rc)
            rc = mtsi_out_commit(tmp, out);
        else
            unlink(tmp);
    }
    if (!rc)
        printf("fitted %s model to %ld configurations (L = %ld, dim = %d): mean %.6g, "
               "C_0 = %.6g -> %s\n",
               mixture ? "+-m mixture" : "Gaussian", n, e.L, e.dim, means[0], ck[0], out);
    free(tmp);
    free(means);
    free(ck);
    mtsi_ensemble_free(&e);
    return rc ? mtsi_cli_fail("fit-gaussian") : 0;
}
