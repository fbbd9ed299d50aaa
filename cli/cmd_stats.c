/* `mtsi stats F.h5 [--json]`: ensemble averages of the phi^4 observables
 * with Gamma-method errors (SPEC.md sections 3 and 5). Each chain of an
 * MCMC ensemble is one replicum; derived quantities (Binder cumulant,
 * susceptibility, second-moment correlation length) go through the
 * method's linearised error propagation with analytic gradients.
 * The input file is only ever opened read-only. */
#include "config.h"
#include "mtsi_analysis.h"
#include "mtsi_cli.h"
#include "mtsi_cmd.h"
#include "mtsi_err.h"
#include "mtsi_gamma.h"
#include "mtsi_json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMD "stats"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: mtsi stats F.h5 [--json] [--stau S]\n"
            "\n"
            "Ensemble averages of m, |m|, m^2, m^4, energy per site, the Binder\n"
            "cumulant U4, the susceptibility chi_M and the second-moment correlation\n"
            "length xi2 of an mtsi ensemble, with errors and integrated\n"
            "autocorrelation times from Wolff's Gamma-method (automatic window,\n"
            "S_tau = 1.5; each chain is one replicum).\n"
            "\n"
            "options:\n"
            "  --json     print the SPEC section 5 summary as JSON on stdout\n"
            "  --stau S   S_tau of the automatic window (default 1.5; 0 = assume\n"
            "             no autocorrelation)\n"
            "  -h, --help this text\n"
            "\n"
            "See mtsi-stats(1) for the file layout and the error method.\n");
}

typedef mtsi_analysis_ens ensemble;
typedef mtsi_analysis_row row;

/* The SPEC section 5 summary, one observable per line. */
static int print_json(const char *path, const ensemble *e, const row *rows)
{
    static const mtsi_json_layout lay[] = {{"observables", NULL, "\n  ", "\n  ", "\n"}};
    int rc = MTSI_OK;
    json_t *doc = json_object(), *obs = json_object();
    if (!doc || !obs) {
        json_decref(doc);
        json_decref(obs);
        return mtsi_error_set(MTSI_ENOMEM, "no memory for the JSON summary");
    }
    mtsi_json_set(doc, "n", json_integer(e->n), &rc);
    mtsi_json_set(doc, "L", json_integer(e->L), &rc);
    mtsi_json_set(doc, "dim", json_integer(e->dim), &rc);
    mtsi_json_set(doc, "kind", mtsi_json_str(e->kind), &rc);
    mtsi_json_set(doc, "n_chains", json_integer(e->nrep), &rc);
    mtsi_json_set(doc, "file", mtsi_json_str(path), &rc);
    mtsi_json_set(doc, "error_method", json_string("gamma"), &rc);
    for (int k = 0; k < 8; k++) {
        const row *w = &rows[k];
        json_t *o = json_object();
        mtsi_json_set(o, "mean", mtsi_json_num(w->ok ? w->r.value : NAN), &rc);
        mtsi_json_set(o, "err", mtsi_json_num(w->ok ? w->r.err : NAN), &rc);
        mtsi_json_set(o, "tau_int", mtsi_json_num(w->ok ? w->r.tau_int : NAN), &rc);
        mtsi_json_set(o, "tau_int_err", mtsi_json_num(w->ok ? w->r.tau_int_err : NAN), &rc);
        if (w->note[0])
            mtsi_json_set(o, "note", mtsi_json_str(w->note), &rc);
        mtsi_json_set(obs, w->name, o, &rc);
    }
    mtsi_json_set(doc, "observables", obs, &rc);
    if (!rc)
        rc = mtsi_json_write(stdout, doc, MTSI_JSON_G17, lay, 1);
    json_decref(doc);
    return rc;
}

static void print_table(const char *path, const ensemble *e, const row *rows)
{
    printf("mtsi stats: %s\n", path);
    printf("  kind %s", e->kind);
    if (e->has_sampler)
        printf(", sampler %s", e->sampler);
    if (e->has_seed)
        printf(", seed %ld", e->seed);
    printf("\n  N = %ld configurations in %d chain%s, L = %ld, dim = %ld, V = %ld\n", e->n, e->nrep,
           e->nrep == 1 ? "" : "s", e->L, e->dim, e->V);
    printf("  chi = %g, kappa = %g, gamma = %g, field_h = %g, quad_a = %g\n", e->chi, e->kappa,
           e->gamma, e->field_h, e->quad_a);
    if (e->computed)
        printf("  (no /observables in the file: measured from /configs)\n");
    printf("  errors: Gamma-method, automatic window; tau_int in units of stored configurations\n\n");
    printf("  %-8s %16s %12s %18s\n", "name", "mean", "error", "tau_int");
    for (int k = 0; k < 8; k++) {
        const row *w = &rows[k];
        if (w->ok) {
            char tau[48];
            snprintf(tau, sizeof tau, "%.2f +- %.2f", w->r.tau_int, w->r.tau_int_err);
            printf("  %-8s %16.8g %12.3g %18s", w->name, w->r.value, w->r.err, tau);
        } else {
            printf("  %-8s %16s %12s %18s", w->name, "-", "-", "-");
        }
        if (w->note[0])
            printf("  [%s]", w->note);
        printf("\n");
    }
}

int mtsi_cmd_stats(int argc, char **argv)
{
    if (mtsi_cmd_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    const char *path = NULL;
    int json = 0, endopt = 0;
    double stau = MTSI_GAMMA_STAU;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!endopt && !strcmp(a, "--")) {
            endopt = 1;
        } else if (!endopt && !strcmp(a, "--json")) {
            json = 1;
        } else if (!endopt && !strcmp(a, "--stau")) {
            if (i + 1 >= argc)
                return mtsi_cli_usage_error(CMD, "--stau needs a value");
            if (mtsi_parse_finite("--stau", argv[++i], &stau))
                return mtsi_cli_fail(CMD);
            if (stau < 0)
                return mtsi_cli_usage_error(CMD, "--stau: %g must be >= 0", stau);
        } else if (!endopt && a[0] == '-' && a[1] != '\0') {
            return mtsi_cli_usage_error(CMD, "unknown option '%s'", a);
        } else if (!path) {
            path = a;
        } else {
            return mtsi_cli_usage_error(CMD, "one ensemble file expected, got '%s' and '%s'", path,
                                        a);
        }
    }
    if (!path)
        return mtsi_cli_usage_error(CMD, "no ensemble file given");

    ensemble e;
    row rows[MTSI_ENS_NROWS];
    memset(rows, 0, sizeof rows);
    int rc = mtsi_analysis_load(path, 0, &e);
    if (!rc)
        rc = mtsi_analysis_run(&e, stau, path, rows);
    if (rc) {
        mtsi_analysis_free(&e);
        return mtsi_cli_fail(CMD);
    }
    if (json)
        rc = print_json(path, &e, rows);
    else
        print_table(path, &e, rows);
    mtsi_analysis_free(&e);
    if (rc)
        return mtsi_cli_fail(CMD);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        mtsi_error_set(MTSI_EIO, "cannot write the summary to stdout");
        return mtsi_cli_fail(CMD);
    }
    return 0;
}
