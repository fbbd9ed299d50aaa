/* `mtsi compare A.h5 B.h5 [--json] [--plot FIG]`: do two ensembles have
 * the same statistics? Each file is analysed as `mtsi stats` does
 * (mcmc/mtsi_analysis.h: Gamma-method errors, each chain one replicum);
 * the summary of SPEC.md section 5 sets the eight observables side by side
 * with z-scores, and the distributions of the per-configuration
 * magnetisation M are compared by the two-sample Kolmogorov-Smirnov test
 * and the Wasserstein-1 distance (mcmc/mtsi_compare.h). The optional
 * figure (PNG, PDF or SVG) is drawn with lib/mtsi_plot.h. Both inputs are
 * opened read-only. */
#include "config.h"
#include "mtsi_analysis.h"
#include "mtsi_cli.h"
#include "mtsi_cmd.h"
#include "mtsi_compare.h"
#include "mtsi_err.h"
#include "mtsi_gamma.h"
#include "mtsi_json.h"
#include "mtsi_plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CMD "compare"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: mtsi compare A.h5 B.h5 [--json] [--plot FIG [--force]] [--stau S]\n"
            "\n"
            "Compare two ensembles of the same lattice (MCMC, generated or data):\n"
            "m, |m|, m^2, m^4, energy per site, Binder cumulant, chi_M and xi2 of each\n"
            "with Gamma-method errors and z = (a - b)/sqrt(a_err^2 + b_err^2); the\n"
            "two-sample Kolmogorov-Smirnov test and the Wasserstein-1 distance on\n"
            "the per-configuration magnetisation M; max |z|.\n"
            "\n"
            "options:\n"
            "  --json         print the SPEC section 5 summary as JSON on stdout\n"
            "  --plot FIG     also draw a figure: M histograms, G(r) with errors and\n"
            "                 a strip of configurations from each file; the format\n"
            "                 follows the name: FIG.png, FIG.pdf or FIG.svg\n"
            "  --png FIG      the same as --plot\n"
            "  --force        replace an existing FIG\n"
            "  --stau S       S_tau of the Gamma-method window (default 1.5)\n"
            "  -h, --help     this text\n"
            "\n"
            "The KS p-value assumes independent configurations: it uses the effective\n"
            "sizes N/(2 tau_int(M)). See mtsi-compare(1).\n");
}

/* One input file and its analysis. */
typedef struct {
    const char *path;
    mtsi_analysis_ens e;
    mtsi_analysis_row rows[MTSI_ENS_NROWS];
    double tau_m;  /* tau_int of M (0.5 when unknown) */
    double n_eff;  /* N / (2 tau_m), at most N and at least 1 */
} side;

typedef struct {
    double z[MTSI_ENS_NROWS];
    int zok[MTSI_ENS_NROWS];
    double ks_d, ks_p, ks_p_nominal, w1;
    double max_abs_z;
    int max_k; /* row of max |z|, -1 if no z is defined */
} result;

static int load_side(side *s, double stau)
{
    int rc = mtsi_analysis_load(s->path, MTSI_ENS_LOAD_G, &s->e);
    if (!rc)
        rc = mtsi_analysis_run(&s->e, stau, s->path, s->rows);
    if (rc)
        return rc;
    const mtsi_analysis_row *m = &s->rows[MTSI_ENS_M];
    s->tau_m = m->ok && m->r.tau_int > 0.5 ? m->r.tau_int : 0.5;
    s->n_eff = (double)s->e.n / (2 * s->tau_m);
    if (s->n_eff < 1)
        s->n_eff = 1;
    return MTSI_OK;
}

static int compute(side *a, side *b, result *res)
{
    res->max_abs_z = 0;
    res->max_k = -1;
    for (int k = 0; k < MTSI_ENS_NROWS; k++) {
        const mtsi_analysis_row *ra = &a->rows[k], *rb = &b->rows[k];
        res->zok[k] = 0;
        if (!ra->ok || !rb->ok)
            continue;
        double z = mtsi_compare_z(ra->r.value, ra->r.err, rb->r.value, rb->r.err);
        if (!isfinite(z))
            continue;
        res->z[k] = z;
        res->zok[k] = 1;
        if (res->max_k < 0 || fabs(z) > res->max_abs_z) {
            res->max_abs_z = fabs(z);
            res->max_k = k;
        }
    }
    const double *ma = a->e.obs + (size_t)MTSI_ENS_M * (size_t)a->e.n;
    const double *mb = b->e.obs + (size_t)MTSI_ENS_M * (size_t)b->e.n;
    int rc = mtsi_compare_ks_stat(ma, a->e.n, mb, b->e.n, &res->ks_d);
    if (!rc)
        rc = mtsi_compare_w1(ma, a->e.n, mb, b->e.n, &res->w1);
    if (rc)
        return rc;
    res->ks_p = mtsi_compare_ks_p(res->ks_d, a->n_eff, b->n_eff);
    res->ks_p_nominal = mtsi_compare_ks_p(res->ks_d, (double)a->e.n, (double)b->e.n);
    return MTSI_OK;
}

/* ---- text and JSON output ----------------------------------------------- */

static void json_side(json_t *doc, const char *key, const side *s, int *rc)
{
    char k[32];
    snprintf(k, sizeof k, "%s_file", key);
    mtsi_json_set(doc, k, mtsi_json_str(s->path), rc);
    snprintf(k, sizeof k, "%s_kind", key);
    mtsi_json_set(doc, k, mtsi_json_str(s->e.kind), rc);
    snprintf(k, sizeof k, "n_%s", key);
    mtsi_json_set(doc, k, json_integer(s->e.n), rc);
    snprintf(k, sizeof k, "n_chains_%s", key);
    mtsi_json_set(doc, k, json_integer(s->e.nrep), rc);
}

/* The SPEC section 5 summary: the files, one observable per line, KS, W1
 * and max |z|. */
static int print_json(const side *a, const side *b, const result *res)
{
    static const mtsi_json_layout lay[] = {{"b_file", "\n ", NULL, NULL, NULL},
                                           {"L", "\n ", NULL, NULL, NULL},
                                           {"observables", NULL, "\n  ", "\n  ", "\n"},
                                           {"ks_m", "\n", NULL, NULL, NULL},
                                           {"w1_m", "\n", NULL, NULL, NULL},
                                           {"max_abs_z", "\n", NULL, NULL, NULL}};
    int rc = MTSI_OK;
    json_t *doc = json_object(), *obs = json_object(), *ks = json_object();
    if (!doc || !obs || !ks) {
        json_decref(doc);
        json_decref(obs);
        json_decref(ks);
        return mtsi_error_set(MTSI_ENOMEM, "no memory for the JSON summary");
    }
    json_side(doc, "a", a, &rc);
    json_side(doc, "b", b, &rc);
    mtsi_json_set(doc, "L", json_integer(a->e.L), &rc);
    mtsi_json_set(doc, "dim", json_integer(a->e.dim), &rc);
    mtsi_json_set(doc, "error_method", json_string("gamma"), &rc);
    for (int k = 0; k < MTSI_ENS_NROWS; k++) {
        const mtsi_analysis_row *ra = &a->rows[k], *rb = &b->rows[k];
        json_t *o = json_object();
        mtsi_json_set(o, "a", mtsi_json_num(ra->ok ? ra->r.value : NAN), &rc);
        mtsi_json_set(o, "a_err", mtsi_json_num(ra->ok ? ra->r.err : NAN), &rc);
        mtsi_json_set(o, "b", mtsi_json_num(rb->ok ? rb->r.value : NAN), &rc);
        mtsi_json_set(o, "b_err", mtsi_json_num(rb->ok ? rb->r.err : NAN), &rc);
        mtsi_json_set(o, "z", mtsi_json_num(res->zok[k] ? res->z[k] : NAN), &rc);
        if (!ra->ok || !rb->ok)
            mtsi_json_set(o, "note", mtsi_json_str(!ra->ok ? ra->note : rb->note), &rc);
        mtsi_json_set(obs, mtsi_analysis_row_names[k], o, &rc);
    }
    mtsi_json_set(doc, "observables", obs, &rc);
    mtsi_json_set(ks, "stat", mtsi_json_num(res->ks_d), &rc);
    mtsi_json_set(ks, "p", mtsi_json_num(res->ks_p), &rc);
    mtsi_json_set(ks, "p_nominal", mtsi_json_num(res->ks_p_nominal), &rc);
    mtsi_json_set(ks, "n_eff_a", mtsi_json_num(a->n_eff), &rc);
    mtsi_json_set(ks, "n_eff_b", mtsi_json_num(b->n_eff), &rc);
    mtsi_json_set(ks, "tau_int_m_a", mtsi_json_num(a->tau_m), &rc);
    mtsi_json_set(ks, "tau_int_m_b", mtsi_json_num(b->tau_m), &rc);
    if (a->tau_m > 1 || b->tau_m > 1)
        mtsi_json_set(ks, "note",
                      json_string("tau_int(M) > 1: autocorrelated configurations, the p-value is "
                                  "approximate; thin the chains for a valid test"),
                      &rc);
    mtsi_json_set(doc, "ks_m", ks, &rc);
    mtsi_json_set(doc, "w1_m", mtsi_json_num(res->w1), &rc);
    mtsi_json_set(doc, "max_abs_z", mtsi_json_num(res->max_k >= 0 ? res->max_abs_z : NAN), &rc);
    if (res->max_k >= 0)
        mtsi_json_set(doc, "max_abs_z_name", json_string(mtsi_analysis_row_names[res->max_k]),
                      &rc);
    if (!rc)
        rc = mtsi_json_write(stdout, doc, MTSI_JSON_G17, lay, 6);
    json_decref(doc);
    return rc;
}

static void print_side_header(const char *key, const side *s)
{
    const mtsi_analysis_ens *e = &s->e;
    printf("  %s: %s\n     kind %s", key, s->path, e->kind);
    if (e->has_sampler)
        printf(", sampler %s", e->sampler);
    if (e->has_seed)
        printf(", seed %ld", e->seed);
    printf(", N = %ld in %d chain%s%s\n", e->n, e->nrep, e->nrep == 1 ? "" : "s",
           e->computed ? " (observables measured from /configs)" : "");
    printf("     chi = %g, kappa = %g, gamma = %g, field_h = %g, quad_a = %g\n", e->chi, e->kappa,
           e->gamma, e->field_h, e->quad_a);
}

static void print_table(const side *a, const side *b, const result *res)
{
    printf("mtsi compare: L = %ld, dim = %ld\n", a->e.L, a->e.dim);
    print_side_header("A", a);
    print_side_header("B", b);
    printf("  errors: Gamma-method per file (automatic window, each chain one replicum)\n\n");
    printf("  %-8s %14s %10s %14s %10s %8s\n", "name", "A", "error", "B", "error", "z");
    for (int k = 0; k < MTSI_ENS_NROWS; k++) {
        const mtsi_analysis_row *ra = &a->rows[k], *rb = &b->rows[k];
        printf("  %-8s", mtsi_analysis_row_names[k]);
        if (ra->ok)
            printf(" %14.7g %10.3g", ra->r.value, ra->r.err);
        else
            printf(" %14s %10s", "-", "-");
        if (rb->ok)
            printf(" %14.7g %10.3g", rb->r.value, rb->r.err);
        else
            printf(" %14s %10s", "-", "-");
        if (res->zok[k])
            printf(" %8.2f", res->z[k]);
        else
            printf(" %8s", "-");
        if (!ra->ok)
            printf("  [A %s]", ra->note);
        if (!rb->ok)
            printf("  [B %s]", rb->note);
        printf("\n");
    }
    if (res->max_k >= 0)
        printf("\n  max |z| = %.2f (%s)\n", res->max_abs_z, mtsi_analysis_row_names[res->max_k]);
    else
        printf("\n  max |z|: no observable has a defined z\n");
    printf("\n  per-configuration magnetisation M:\n");
    printf("    Kolmogorov-Smirnov D = %.4g, p = %.3g (effective sizes %.1f and %.1f = "
           "N/(2 tau_int(M)))\n", res->ks_d, res->ks_p, a->n_eff, b->n_eff);
    printf("    p with the nominal sizes %ld and %ld: %.3g\n", a->e.n, b->e.n, res->ks_p_nominal);
    printf("    Wasserstein-1 distance W1 = %.4g\n", res->w1);
    const side *s2[2] = {a, b};
    for (int i = 0; i < 2; i++)
        if (s2[i]->tau_m > 1)
            printf("  note: tau_int(M) = %.2f > 1 in %s: the configurations are autocorrelated; "
                   "the KS p-value is only\n        approximate (thin the chain to independent "
                   "configurations for a valid test)\n", s2[i]->tau_m, i ? "B" : "A");
}

/* ---- figure --------------------------------------------------------------- */

#define RGB_A 0x1f77b4 /* blue */
#define RGB_B 0xe6730a /* orange */
#define RGB_TEXT 0x202020
#define RGB_MUTED 0x606060
#define FIG_W 1500
#define NTILE 5

/* The last path component, shortened with "..." to at most max chars. */
static void short_name(char *buf, size_t n, const char *path, size_t max)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    size_t len = strlen(b);
    if (max >= n)
        max = n - 1;
    if (len <= max)
        snprintf(buf, n, "%s", b);
    else
        snprintf(buf, n, "...%s", b + len - (max - 3));
}

static void legend(mtsi_plot *p, const mtsi_plot_axes *ax, const char *la, const char *lb,
                   mtsi_plot_key key)
{
    const mtsi_plot_legend_entry e[2] = {{la, RGB_A, key, MTSI_PLOT_DISC},
                                         {lb, RGB_B, key, MTSI_PLOT_DISC}};
    mtsi_plot_legend(p, ax->x1 - 10, ax->y0 + 10, e, 2, MTSI_PLOT_FONT);
}

/* Panel (a): normalised histograms of M on common bins. */
static void panel_hist(mtsi_plot *p, const mtsi_plot_axes *frame, const side *a, const side *b,
                       const char *la, const char *lb)
{
    const double *m[2] = {a->e.obs + (size_t)MTSI_ENS_M * (size_t)a->e.n,
                          b->e.obs + (size_t)MTSI_ENS_M * (size_t)b->e.n};
    const long n[2] = {a->e.n, b->e.n};
    double lo = INFINITY, hi = -INFINITY;
    for (int s = 0; s < 2; s++)
        for (long i = 0; i < n[s]; i++) {
            lo = fmin(lo, m[s][i]);
            hi = fmax(hi, m[s][i]);
        }
    if (!(hi > lo)) {
        lo -= 0.5;
        hi += 0.5;
    }
    /* About sqrt(N) bins for the smaller sample, between 8 and 60. */
    long nmin = n[0] < n[1] ? n[0] : n[1];
    int nb = (int)ceil(sqrt((double)nmin));
    nb = nb < 8 ? 8 : nb > 60 ? 60 : nb;
    double width = (hi - lo) / nb;
    double dens[2][60] = {{0}};
    double ymax = 0;
    for (int s = 0; s < 2; s++) {
        for (long i = 0; i < n[s]; i++) {
            int k = (int)floor((m[s][i] - lo) / width);
            k = k < 0 ? 0 : k >= nb ? nb - 1 : k;
            dens[s][k] += 1;
        }
        for (int k = 0; k < nb; k++) {
            dens[s][k] /= (double)n[s] * width;
            ymax = fmax(ymax, dens[s][k]);
        }
    }
    mtsi_plot_axes ax = *frame;
    ax.xmin = lo;
    ax.xmax = hi;
    mtsi_plot_nice_range(&ax.xmin, &ax.xmax, 6);
    ax.ymin = 0;
    ax.ymax = ymax * 1.25; /* room for the legend */
    mtsi_plot_nice_range(&ax.ymin, &ax.ymax, 5);
    mtsi_plot_axes_draw(p, &ax, 6, 5, "(a) magnetisation per site M: normalised histograms", "M",
                        "density");
    const uint32_t col[2] = {RGB_A, RGB_B};
    for (int s = 0; s < 2; s++)
        mtsi_plot_ax_hist(p, &ax, lo, width, dens[s], nb, col[s], 0.28, 0);
    /* Outlines as steps over both fills, so that each histogram stays
     * readable where the two overlap. */
    for (int s = 0; s < 2; s++)
        mtsi_plot_ax_hist(p, &ax, lo, width, dens[s], nb, col[s], 0, 2.5);
    legend(p, &ax, la, lb, MTSI_PLOT_KEY_BOX);
}

/* Mean and Gamma-method error of G(r), r = 0..L/2. */
static int g_of_r(const side *s, double *mean, double *err)
{
    int nr = (int)(s->e.L / 2) + 1;
    mtsi_gamma *g = mtsi_gamma_new(nr, s->e.nrep, s->e.replen);
    if (!g)
        return mtsi_error_code();
    int rc = MTSI_OK;
    for (int r = 0; r < nr && !rc; r++)
        rc = mtsi_gamma_set_obs_strided(g, r, s->e.G + r, s->e.L);
    for (int r = 0; r < nr && !rc; r++) {
        mtsi_gamma_result res;
        rc = mtsi_gamma_primary(g, r, &res);
        mean[r] = res.value;
        err[r] = res.err;
    }
    mtsi_gamma_free(g);
    return rc;
}

/* Panel (b): G(r) of both files with error bars. */
static int panel_corr(mtsi_plot *p, const mtsi_plot_axes *frame, const side *a, const side *b,
                      const char *la, const char *lb)
{
    int nr = (int)(a->e.L / 2) + 1;
    double *buf = mtsi_malloc(5 * (size_t)nr * sizeof *buf);
    if (!buf)
        return MTSI_ENOMEM;
    double *mean[2] = {buf, buf + nr}, *err[2] = {buf + 2 * nr, buf + 3 * nr}, *x = buf + 4 * nr;
    const side *sd[2] = {a, b};
    int have[2];
    double lo = 0, hi = 0;
    for (int s = 0; s < 2; s++) {
        have[s] = sd[s]->e.G != NULL;
        if (!have[s])
            continue;
        int rc = g_of_r(sd[s], mean[s], err[s]);
        if (rc) {
            free(buf);
            return rc;
        }
        for (int r = 0; r < nr; r++) {
            lo = fmin(lo, mean[s][r] - err[s][r]);
            hi = fmax(hi, mean[s][r] + err[s][r]);
        }
    }
    mtsi_plot_axes ax = *frame;
    ax.xmin = -0.5;
    ax.xmax = nr - 0.5;
    ax.ymin = lo;
    ax.ymax = hi + 0.25 * (hi - lo); /* room for the legend */
    mtsi_plot_nice_range(&ax.ymin, &ax.ymax, 5);
    mtsi_plot_axes_draw(p, &ax, nr < 8 ? nr : 8, 5, "(b) correlator G(r) along the axes",
                        "distance r", "G(r)");
    const uint32_t col[2] = {RGB_A, RGB_B};
    /* A and B are shifted apart by a tenth of a lattice spacing so that
     * their error bars do not hide each other. */
    const double shift[2] = {-0.1, 0.1};
    mtsi_plot_ax_hline(p, &ax, 0, 0x999999, 1, 6);
    for (int s = 0; s < 2; s++) {
        if (!have[s])
            continue;
        for (int r = 0; r < nr; r++)
            x[r] = r + shift[s];
        mtsi_plot_ax_line(p, &ax, x, mean[s], nr, col[s], 1.5, 0);
        mtsi_plot_ax_errorbars(p, &ax, x, mean[s], err[s], nr, 5, col[s], 2);
        mtsi_plot_ax_scatter(p, &ax, x, mean[s], nr, MTSI_PLOT_DISC, 9, col[s]);
    }
    legend(p, &ax, la, lb, MTSI_PLOT_KEY_MARKER);
    double y = ax.y0 + 100;
    for (int s = 0; s < 2; s++)
        if (!have[s]) {
            char msg[160];
            snprintf(msg, sizeof msg, "%s: no /observables/G in the file", s ? "B" : "A");
            mtsi_plot_text(p, ax.x0 + 20, y, msg, MTSI_PLOT_FONT, RGB_MUTED, -1, -1, 0);
            y += 28;
        }
    free(buf);
    return MTSI_OK;
}

/* NTILE configurations of s, evenly spread over the file. */
static void tile_indices(const side *s, long *idx)
{
    for (int j = 0; j < NTILE; j++)
        idx[j] = (long)((double)(j + 0.5) * (double)s->e.n / NTILE);
}

/* Tile side in units: 160, or a multiple of L just below it. */
static int tile_side(long L) { return L <= 160 ? (int)(160 / L * L) : 160; }

/* Panel (c), dim 2 or 3: heat maps of the lattice (a slice at the first
 * lattice index 0 for dim 3), one symmetric colour scale. */
static void panel_tiles(mtsi_plot *p, double y0, const side *sd[2], double *const phi[2],
                        const long *const idx[2], double range, const char *names[2])
{
    long L = sd[0]->e.L;
    int T = tile_side(L);
    const int gap = 44, rowh = T + 56, labw = 190, barw = 130;
    /* Row labels, tiles and colour bar centred as one block. */
    const double left = (FIG_W - (labw + NTILE * (T + gap) - gap + barw)) / 2, x0 = left + labw;
    const mtsi_plot_scale sc = {MTSI_PLOT_CMAP_BWR, -range, range, 0x808080};
    char buf[96];
    snprintf(buf, sizeof buf, "(c) configurations %s, evenly spaced through each file",
             sd[0]->e.dim == 3 ? "phi(0, y, z)" : "phi");
    mtsi_plot_text(p, FIG_W / 2, y0, buf, MTSI_PLOT_FONT_LABEL, RGB_TEXT, 0, -1, 0);
    for (int s = 0; s < 2; s++) {
        double ty = y0 + 40 + s * rowh;
        mtsi_plot_text(p, left, ty + T / 2 - 8, s ? "B" : "A", 32, s ? RGB_B : RGB_A, -1, 1, 0);
        mtsi_plot_text(p, left, ty + T / 2 + 8, names[s], MTSI_PLOT_FONT, RGB_TEXT, -1, -1, 0);
        for (int j = 0; j < NTILE; j++) {
            double tx = x0 + j * (T + gap);
            const double *v = phi[s] + (size_t)j * (size_t)sd[s]->e.V;
            mtsi_plot_heatmap(p, tx, ty, T, T, v, (int)L, (int)L, &sc, NULL);
            mtsi_plot_stroke_rect(p, tx, ty, tx + T, ty + T, 0x555555, 1);
            const double *m = sd[s]->e.obs + (size_t)MTSI_ENS_M * (size_t)sd[s]->e.n;
            snprintf(buf, sizeof buf, "#%ld M=%.3f", idx[s][j], m[idx[s][j]]);
            mtsi_plot_text(p, tx + T / 2, ty + T + 8, buf, MTSI_PLOT_FONT, RGB_MUTED, 0, -1, 0);
        }
    }
    double bx = x0 + NTILE * (T + gap) - gap + 40, by = y0 + 40 + 30;
    mtsi_plot_colorbar(p, bx, by, 24, 2 * rowh - 56 - 30, &sc, 4, "phi");
}

/* Panel (c), dim 1: the configurations as curves, one axes per file. */
static int panel_lines(mtsi_plot *p, double y0, const side *sd[2], double *const phi[2],
                       double range, const char *names[2])
{
    long L = sd[0]->e.L;
    double *x = mtsi_malloc((size_t)L * sizeof *x);
    if (!x)
        return MTSI_ENOMEM;
    for (long i = 0; i < L; i++)
        x[i] = (double)i;
    mtsi_plot_text(p, FIG_W / 2, y0, "(c) configurations phi(x), evenly spaced through each file",
                   MTSI_PLOT_FONT_LABEL, RGB_TEXT, 0, -1, 0);
    for (int s = 0; s < 2; s++) {
        mtsi_plot_axes ax = {130 + s * 720, y0 + 70, 130 + s * 720 + 560, y0 + 330,
                             -0.5, L - 0.5, -range, range};
        mtsi_plot_nice_range(&ax.ymin, &ax.ymax, 4);
        char title[96];
        snprintf(title, sizeof title, "%s: %s", s ? "B" : "A", names[s]);
        mtsi_plot_axes_draw(p, &ax, 8, 4, title, "site x", "phi");
        for (int j = 0; j < NTILE; j++) {
            /* Shades of the file's colour, darker for later configurations. */
            uint32_t base = s ? RGB_B : RGB_A, col = 0;
            double f = 0.55 * (NTILE - 1 - j) / (NTILE - 1);
            for (int k = 0; k < 3; k++) {
                double v = (double)((base >> (16 - 8 * k)) & 0xff);
                col = col << 8 | (uint32_t)lround(v + f * (255 - v));
            }
            mtsi_plot_ax_line(p, &ax, x, phi[s] + (size_t)j * (size_t)L, L, col, 2, 0);
        }
    }
    free(x);
    return MTSI_OK;
}

static int draw_figure(const side *a, const side *b, const result *res, mtsi_plot_format fmt,
                       const char *path)
{
    const side *sd[2] = {a, b};
    long idx[2][NTILE];
    double *phi[2] = {NULL, NULL};
    mtsi_plot *p = NULL;
    int rc = MTSI_OK;
    double range = 0;
    long V = a->e.V;
    for (int s = 0; s < 2 && !rc; s++) {
        tile_indices(sd[s], idx[s]);
        phi[s] = mtsi_malloc((size_t)NTILE * (size_t)V * sizeof *phi[s]);
        rc = phi[s] ? mtsi_analysis_read_configs(sd[s]->path, &sd[s]->e, idx[s], NTILE, phi[s])
                    : MTSI_ENOMEM;
        /* For dim 3 only the slice at the first index is shown: its values
         * set the range. */
        long shown = a->e.dim == 3 ? a->e.L * a->e.L : V;
        for (int j = 0; j < NTILE && !rc; j++)
            for (long i = 0; i < shown; i++)
                range = fmax(range, fabs(phi[s][(size_t)j * (size_t)V + (size_t)i]));
    }
    if (!(range > 0))
        range = 1;
    /* Legends take names of up to 24 characters, the row labels of panel
     * (c) 14 (their column is 190 units wide). */
    char na[64], nb[64], la[112], lb[112], ra[32], rb[32];
    short_name(na, sizeof na, a->path, 24);
    short_name(nb, sizeof nb, b->path, 24);
    short_name(ra, sizeof ra, a->path, 14);
    short_name(rb, sizeof rb, b->path, 14);
    snprintf(la, sizeof la, "A: %s (%s)", na, a->e.kind);
    snprintf(lb, sizeof lb, "B: %s (%s)", nb, b->e.kind);
    /* Panel (c) starts at y = 665; tiles need two rows of T + 56 units. */
    int T = tile_side(a->e.L);
    int fig_h = a->e.dim == 1 ? 1085 : 665 + 40 + 2 * (T + 56) + 10;
    if (!rc) {
        p = mtsi_plot_new(fmt, path, FIG_W, fig_h);
        rc = p ? MTSI_OK : mtsi_error_code();
    }
    if (!rc) {
        char buf[256];
        snprintf(buf, sizeof buf, "mtsi compare   L = %ld, dim = %ld", a->e.L, a->e.dim);
        mtsi_plot_text(p, FIG_W / 2, 20, buf, 32, RGB_TEXT, 0, -1, 0);
        char zs[64] = "none";
        if (res->max_k >= 0)
            snprintf(zs, sizeof zs, "%.2f (%s)", res->max_abs_z,
                     mtsi_analysis_row_names[res->max_k]);
        snprintf(buf, sizeof buf, "KS on M: D = %.3f, p = %.3g (effective sizes %.0f, %.0f)    "
                 "W1(M) = %.3g    max |z| = %s", res->ks_d, res->ks_p, a->n_eff, b->n_eff, res->w1,
                 zs);
        mtsi_plot_text(p, FIG_W / 2, 66, buf, MTSI_PLOT_FONT_LABEL, RGB_MUTED, 0, -1, 0);
        mtsi_plot_axes fa = {120, 150, 700, 540, 0, 1, 0, 1};
        mtsi_plot_axes fb = {870, 150, 1450, 540, 0, 1, 0, 1};
        panel_hist(p, &fa, a, b, la, lb);
        rc = panel_corr(p, &fb, a, b, la, lb);
    }
    if (!rc) {
        const char *names[2] = {a->e.dim == 1 ? na : ra, a->e.dim == 1 ? nb : rb};
        mtsi_plot_line(p, 30, 640.5, FIG_W - 30, 640.5, 0xdddddd, 1, 0);
        const long *ix[2] = {idx[0], idx[1]};
        if (a->e.dim == 1)
            rc = panel_lines(p, 665, sd, phi, range, names);
        else
            panel_tiles(p, 665, sd, phi, ix, range, names);
    }
    if (!rc) {
        rc = mtsi_plot_finish(p);
        p = NULL;
    }
    mtsi_plot_free(p);
    free(phi[0]);
    free(phi[1]);
    return rc;
}

/* ---- command ------------------------------------------------------------ */

int mtsi_cmd_compare(int argc, char **argv)
{
    if (mtsi_cmd_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    const char *paths[2] = {NULL, NULL}, *plot = NULL;
    int json = 0, force = 0, endopt = 0, npath = 0;
    mtsi_plot_format fmt = MTSI_PLOT_PNG;
    double stau = MTSI_GAMMA_STAU;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        if (!endopt && !strcmp(o, "--")) {
            endopt = 1;
        } else if (!endopt && !strcmp(o, "--json")) {
            json = 1;
        } else if (!endopt && !strcmp(o, "--force")) {
            force = 1;
        } else if (!endopt && (!strcmp(o, "--plot") || !strcmp(o, "--png"))) {
            if (i + 1 >= argc || !argv[i + 1][0])
                return mtsi_cli_usage_error(CMD, "%s needs an output file name", o);
            plot = argv[++i];
            if (mtsi_plot_format_of(plot, &fmt))
                return mtsi_cli_fail(CMD);
        } else if (!endopt && !strcmp(o, "--stau")) {
            if (i + 1 >= argc)
                return mtsi_cli_usage_error(CMD, "--stau needs a value");
            if (mtsi_parse_finite("--stau", argv[++i], &stau))
                return mtsi_cli_fail(CMD);
            if (stau < 0)
                return mtsi_cli_usage_error(CMD, "--stau: %g must be >= 0", stau);
        } else if (!endopt && o[0] == '-' && o[1] != '\0') {
            return mtsi_cli_usage_error(CMD, "unknown option '%s'", o);
        } else if (npath < 2) {
            paths[npath++] = o;
        } else {
            return mtsi_cli_usage_error(CMD, "two ensemble files expected, got a third: '%s'", o);
        }
    }
    if (npath < 2)
        return mtsi_cli_usage_error(CMD, "two ensemble files expected (A.h5 B.h5), got %d", npath);
    if (force && !plot)
        return mtsi_cli_usage_error(CMD, "--force only applies to --plot");
    /* Refuse an unusable output before the (possibly long) analysis. */
    if (plot && mtsi_out_check(plot, force))
        return mtsi_cli_fail(CMD);

    side sd[2];
    memset(sd, 0, sizeof sd);
    result res;
    memset(&res, 0, sizeof res);
    int rc = MTSI_OK;
    for (int s = 0; s < 2 && !rc; s++) {
        sd[s].path = paths[s];
        rc = load_side(&sd[s], stau);
    }
    if (!rc && (sd[0].e.L != sd[1].e.L || sd[0].e.dim != sd[1].e.dim))
        rc = mtsi_error_set(MTSI_EINVAL, "%s has L = %ld, dim = %ld but %s has L = %ld, dim = %ld: "
                            "compare needs the same lattice", paths[0], sd[0].e.L, sd[0].e.dim,
                            paths[1], sd[1].e.L, sd[1].e.dim);
    if (!rc)
        rc = compute(&sd[0], &sd[1], &res);
    char *tmp = NULL;
    if (!rc && plot) {
        tmp = mtsi_out_tmpname(plot);
        rc = tmp ? draw_figure(&sd[0], &sd[1], &res, fmt, tmp) : MTSI_ENOMEM;
        if (!rc)
            rc = mtsi_out_commit(tmp, plot);
        if (rc)
            unlink(tmp);
    }
    free(tmp);
    if (!rc) {
        if (json)
            rc = print_json(&sd[0], &sd[1], &res);
        else
            print_table(&sd[0], &sd[1], &res);
    }
    mtsi_analysis_free(&sd[0].e);
    mtsi_analysis_free(&sd[1].e);
    if (rc)
        return mtsi_cli_fail(CMD);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        mtsi_error_set(MTSI_EIO, "cannot write the summary to stdout");
        return mtsi_cli_fail(CMD);
    }
    return 0;
}
