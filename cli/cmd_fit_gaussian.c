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
    "       mtsi fit-gaussian DATA.h5 --out MODEL.h5 --dense [--ridge R] [--force]\n"
    "\n"
    "Fit x1 ~ N(m, C) with a uniform mean m and a translation-invariant\n"
    "covariance C (its Fourier eigenvalues C_k = <|phi_hat_k - m_hat_k|^2>) to the\n"
    "configurations of a phi^4 ensemble, or (--dense, and always for images, paths\n"
    "and other non-lattice data) a mean and a full covariance per value. The model\n"
    "works wherever a model does (mtsi sample), with the exact drift of SPEC\n"
    "section 1.2.\n"
    "\n"
    "  --dense       full covariance (d = C x grid points up to 20000 values):\n"
    "                the exact baseline for images and paths\n"
    "  --ridge R     add R x (mean variance) to the diagonal of the dense covariance\n"
    "                (default 1e-4; keeps constant pixels positive definite)\n"
    "  --mixture     fit w+ N(+m, C) + w- N(-m, C): configurations are assigned by\n"
    "                the sign of M, m = <|M|>, C from the fluctuations around +-m\n"
    "                (a model of the magnetised phase)\n"
    "  --zero-mean   force m = 0 (a Z2-symmetric law)\n"
    "  --out FILE    the model file (required); --force replaces an existing one\n";

/* The dense model: /dense/mean [V], /dense/cov [V, V]. */
static int fit_dense(const mtsi_ensemble *e, const char *data, const char *out, double ridge,
                     int argc, char **argv)
{
    const long V = e->V;
    if (V > 20000)
        return mtsi_error_set(MTSI_EINVAL, "--dense: '%s' has %ld values per sample (at most 20000)",
                              data, V);
    double *mean = malloc((size_t)V * sizeof(double));
    double *cov = malloc((size_t)(V * V) * sizeof(double));
    int rc = mean && cov ? MTSI_OK : mtsi_error_set(MTSI_ENOMEM, "out of memory");
    rc = rc ? rc : mtsi_dense_fit(V, e->n, e->configs, ridge, mean, cov);
    if (!rc) { /* refuse a model that cannot be used */
        mtsi_drift *d = mtsi_drift_dense_new(&e->shape, mean, cov);
        if (!d)
            rc = mtsi_error_code() ? mtsi_error_code() : MTSI_EINVAL;
        mtsi_drift_free(d);
    }
    char *tmp = rc ? NULL : mtsi_out_tmpname(out);
    hid_t f = tmp ? mtsi_h5_create(tmp) : -1;
    if (!rc && f < 0)
        rc = mtsi_error_code() ? mtsi_error_code() : MTSI_EIO;
    if (!rc) {
        mtsi_model_info info;
        memset(&info, 0, sizeof info);
        snprintf(info.model_type, sizeof info.model_type, "dense");
        mtsi_model_info_set_shape(&info, &e->shape);
        info.chi = e->chi;
        info.kappa = e->kappa;
        info.gamma = e->gamma;
        info.field_h = e->field_h;
        info.quad_a = e->quad_a;
        snprintf(info.data, sizeof info.data, "%s", data);
        char *cl = mtsi_cli_command_line(argc, argv);
        rc = mtsi_model_write_info(f, &info, cl ? cl : "");
        free(cl);
        hsize_t dv = (hsize_t)V, dc[2] = {(hsize_t)V, (hsize_t)V};
        rc = rc ? rc : mtsi_h5_group(f, "dense");
        rc = rc ? rc : mtsi_h5_write_double(f, "dense/mean", 1, &dv, mean);
        rc = rc ? rc : mtsi_h5_write_double(f, "dense/cov", 2, dc, cov);
        rc = rc ? rc : mtsi_h5_attr_set_double(f, "ridge", ridge);
        if (H5Fclose(f) < 0 && !rc)
            rc = mtsi_error_set(MTSI_EIO, "cannot write '%s'", out);
        if (!rc)
            rc = mtsi_out_commit(tmp, out);
        else
            unlink(tmp);
    }
    if (!rc) {
        char sh[200];
        mtsi_shape_format(&e->shape, sh, sizeof sh);
        printf("fitted a dense Gaussian to %ld samples (%s, %ld values) -> %s\n", e->n, sh, V, out);
    }
    free(tmp);
    free(mean);
    free(cov);
    return rc;
}

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
                                       {"dense", no_argument, 0, 'd'},
                                       {"ridge", required_argument, 0, 'r'},
                                       {0, 0, 0, 0}};
    const char *out = NULL;
    int mixture = 0, zero = 0, force = 0, dense = 0, ch;
    double ridge = 1e-4;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":", lo, NULL)) != -1) {
        switch (ch) {
        case 'o': out = optarg; break;
        case 'm': mixture = 1; break;
        case 'z': zero = 1; break;
        case 'f': force = 1; break;
        case 'd': dense = 1; break;
        case 'r':
            if (mtsi_parse_finite("--ridge", optarg, &ridge))
                return mtsi_cli_fail("fit-gaussian");
            if (ridge < 0)
                return mtsi_cli_usage_error("fit-gaussian", "--ridge: must be >= 0, got %g", ridge);
            break;
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
    if (!mtsi_shape_is_lattice(&e.shape, NULL, NULL) || dense) {
        int rc = (mixture || zero) ? mtsi_error_set(MTSI_EINVAL, "--mixture and --zero-mean fit "
                                                                 "phi4 lattices; '%s' needs --dense",
                                                    data)
                                   : fit_dense(&e, data, out, ridge, argc, argv);
        mtsi_ensemble_free(&e);
        return rc ? mtsi_cli_fail("fit-gaussian") : 0;
    }
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
        mtsi_model_info_set_shape(&info, &e.shape);
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
            rc = mtsi_out_write_error(out);
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
