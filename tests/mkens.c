/* Test helper for tests/stats_cli.sh: writes small synthetic ensembles in
 * the layout of SPEC.md section 5 whose summary is known, and prints the
 * expected answers as "key value" lines on stdout.
 *
 *   mkens MODE OUT.h5
 *
 * MODE:
 *   obs       kind "mcmc", 4 chains of unequal length with /observables:
 *             m = +-1/2 (independent signs), |m| = 1/2, m2 = 1/4, m4 = 1/16,
 *             energy = 1.5 + 0.1 x with x an AR(1) series (rho = 0.8, unit
 *             variance) in each chain, ghat0 = 5, ghat1 = 1; float32 configs.
 *   data32    kind "data", no /observables: configuration i is the constant
 *   data64    field c_i = +-1/2 (float32 / float64), so M = c_i, E/V =
 *             kappa c^2/2 + gamma c^4/4 exactly, and ghat1 = 0 (xi2 undefined).
 *   stagger   kind "data": configuration i is c_i (-1)^(x+y), c_i = +-1/2,
 *             so every grid mean is 0 (no zero-mode variance; float64).
 *   noattr    /configs only, no attributes.
 *   badshape  /configs of shape [N, L, L+1].
 *   badobs    /observables/m4 of length N-1.
 *   n1        a single configuration.
 *   badchain  /chain not stored chain by chain.
 *   badkind   attribute kind = "weights".
 *   nanobs    a NaN in /observables/energy. */
#include "config.h"
#include "mtsi_err.h"
#include "mtsi_h5.h"
#include "mtsi_rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define L 8
#define DIM 2
#define V (L * L)

static int die(const char *what)
{
    fprintf(stderr, "mkens: %s: %s\n", what, mtsi_error_msg());
    return 1;
}

static int put_attrs(hid_t f, const char *kind, double chi, double kappa, double gamma)
{
    int rc = 0;
    rc |= mtsi_h5_attr_set_string(f, "kind", kind);
    rc |= mtsi_h5_attr_set_long(f, "L", L);
    rc |= mtsi_h5_attr_set_long(f, "dim", DIM);
    rc |= mtsi_h5_attr_set_double(f, "chi", chi);
    rc |= mtsi_h5_attr_set_double(f, "kappa", kappa);
    rc |= mtsi_h5_attr_set_double(f, "gamma", gamma);
    rc |= mtsi_h5_attr_set_double(f, "field_h", 0.0);
    rc |= mtsi_h5_attr_set_double(f, "quad_a", 0.0);
    rc |= mtsi_h5_attr_set_string(f, "sampler", "synthetic");
    rc |= mtsi_h5_attr_set_long(f, "seed", 1234);
    rc |= mtsi_h5_attr_set_string(f, "mtsi_version", PACKAGE_VERSION);
    rc |= mtsi_h5_attr_set_string(f, "command_line", "mkens");
    return rc;
}

static int put_configs32(hid_t f, long n, long l2)
{
    hsize_t d[3] = {(hsize_t)n, L, (hsize_t)l2};
    float *c = calloc((size_t)n * L * (size_t)l2, sizeof *c);
    if (!c)
        return 1;
    int rc = mtsi_h5_write_float(f, "configs", 3, d, c);
    free(c);
    return rc;
}

/* Mean in long double: an independent reference for the summary. */
static double mean_ld(const double *x, long n)
{
    long double s = 0;
    for (long i = 0; i < n; i++)
        s += x[i];
    return (double)(s / n);
}

static double naive_err(const double *x, long n)
{
    double m = mean_ld(x, n), s = 0;
    for (long i = 0; i < n; i++)
        s += (x[i] - m) * (x[i] - m);
    return sqrt(s / (double)n / (double)(n - 1));
}

static int mode_obs(hid_t f, const char *mode)
{
    enum { NCH = 4 };
    const long len[NCH] = {1000, 1500, 2500, 3000};
    long n = 0;
    for (int r = 0; r < NCH; r++)
        n += len[r];
    const int badobs = !strcmp(mode, "badobs"), badchain = !strcmp(mode, "badchain"),
              nanobs = !strcmp(mode, "nanobs");
    double *o = malloc(7 * (size_t)n * sizeof *o);
    long *chain = malloc((size_t)n * sizeof *chain);
    if (!o || !chain)
        return 1;
    double *m = o, *am = o + n, *m2 = o + 2 * n, *m4 = o + 3 * n, *e = o + 4 * n,
           *g0 = o + 5 * n, *g1 = o + 6 * n;
    mtsi_rng rng;
    mtsi_rng_seed(&rng, 20240, 0);
    const double rho = 0.8, s = sqrt(1 - rho * rho);
    long i = 0;
    for (int r = 0; r < NCH; r++) {
        double x = mtsi_rng_normal(&rng); /* stationary start */
        for (long t = 0; t < len[r]; t++, i++) {
            if (t)
                x = rho * x + s * mtsi_rng_normal(&rng);
            m[i] = mtsi_rng_uniform(&rng) < 0.5 ? -0.5 : 0.5;
            am[i] = 0.5;
            m2[i] = 0.25;
            m4[i] = 0.0625;
            e[i] = 1.5 + 0.1 * x;
            g0[i] = 5;
            g1[i] = 1;
            chain[i] = r;
        }
    }
    if (badchain)
        chain[n / 2] = 0;
    if (nanobs)
        e[17] = NAN;
    int rc = put_attrs(f, "mcmc", 2.0, -8.0, 18.8);
    rc |= mtsi_h5_attr_set_long(f, "n_chains", NCH);
    rc |= put_configs32(f, n, L);
    hsize_t d = (hsize_t)n;
    rc |= mtsi_h5_write_long(f, "chain", 1, &d, chain);
    rc |= mtsi_h5_group(f, "observables");
    static const char *const names[7] = {"m", "abs_m", "m2", "m4", "energy", "ghat0", "ghat1"};
    char path[64];
    for (int a = 0; a < 7; a++) {
        snprintf(path, sizeof path, "observables/%s", names[a]);
        hsize_t da = (badobs && a == 3) ? (hsize_t)(n - 1) : (hsize_t)n;
        rc |= mtsi_h5_write_double(f, path, 1, &da, o + (size_t)a * (size_t)n);
    }
    double *G = calloc((size_t)n * L, sizeof *G);
    hsize_t dg[2] = {(hsize_t)n, L};
    rc |= !G || mtsi_h5_write_double(f, "observables/G", 2, dg, G);
    free(G);

    printf("n %ld\nL %d\nn_chains %d\n", n, L, NCH);
    printf("m %.17g\nm_err %.17g\n", mean_ld(m, n), naive_err(m, n));
    printf("abs_m 0.5\nm2 0.25\nm4 0.0625\nbinder %.17g\nchi 0\n", 1 - 0.0625 / (3 * 0.0625));
    printf("energy %.17g\n", mean_ld(e, n));
    /* Exact asymptotic error of the AR(1) mean: 0.1 sqrt(2 tau / N). */
    printf("energy_tau %.17g\nenergy_err %.17g\n", 0.5 * (1 + rho) / (1 - rho),
           0.1 * sqrt((1 + rho) / (1 - rho) / (double)n));
    printf("xi2 %.17g\n", sqrt(5.0 / 1.0 - 1) / (2 * sin(M_PI / L)));
    free(o);
    free(chain);
    return rc;
}

static int mode_data(hid_t f, int f64)
{
    const long n = 400;
    const double kappa = 1.0, gamma = 1.0;
    double *c = malloc((size_t)n * V * sizeof *c);
    float *c32 = malloc((size_t)n * V * sizeof *c32);
    double *m = malloc((size_t)n * sizeof *m);
    if (!c || !c32 || !m)
        return 1;
    mtsi_rng rng;
    mtsi_rng_seed(&rng, 777, 0);
    for (long i = 0; i < n; i++) {
        m[i] = mtsi_rng_uniform(&rng) < 0.5 ? -0.5 : 0.5;
        for (long a = 0; a < V; a++) {
            c[i * V + a] = m[i];
            c32[i * V + a] = (float)m[i];
        }
    }
    int rc = put_attrs(f, "data", 1.0, kappa, gamma);
    hsize_t d[3] = {(hsize_t)n, L, L};
    rc |= f64 ? mtsi_h5_write_double(f, "configs", 3, d, c)
              : mtsi_h5_write_float(f, "configs", 3, d, c32);
    printf("n %ld\nL %d\nn_chains 1\n", n, L);
    printf("m %.17g\nm_err %.17g\n", mean_ld(m, n), naive_err(m, n));
    printf("abs_m 0.5\nm2 0.25\nm4 0.0625\nbinder %.17g\nchi 0\n", 1 - 0.0625 / (3 * 0.0625));
    /* Constant field: no gradient term, E/V = kappa c^2/2 + gamma c^4/4. */
    printf("energy %.17g\n", kappa * 0.25 / 2 + gamma * 0.0625 / 4);
    free(c);
    free(c32);
    free(m);
    return rc;
}

static int mode_stagger(hid_t f)
{
    const long n = 200;
    double *c = malloc((size_t)n * V * sizeof *c);
    if (!c)
        return 1;
    mtsi_rng rng;
    mtsi_rng_seed(&rng, 778, 0);
    for (long i = 0; i < n; i++) {
        const double m = mtsi_rng_uniform(&rng) < 0.5 ? -0.5 : 0.5;
        for (long a = 0; a < V; a++)
            c[i * V + a] = (a / L + a % L) % 2 ? -m : m;
    }
    int rc = put_attrs(f, "data", 1.0, 1.0, 1.0);
    hsize_t d[3] = {(hsize_t)n, L, L};
    rc |= mtsi_h5_write_double(f, "configs", 3, d, c);
    printf("n %ld\nL %d\nm 0\n", n, L);
    free(c);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: mkens MODE OUT.h5 (modes in tests/mkens.c)\n");
        return 2;
    }
    const char *mode = argv[1];
    hid_t f = mtsi_h5_create(argv[2]);
    if (f < 0)
        return die(argv[2]);
    int rc = 0;
    if (!strcmp(mode, "obs") || !strcmp(mode, "badobs") || !strcmp(mode, "badchain") ||
        !strcmp(mode, "nanobs")) {
        rc = mode_obs(f, mode);
    } else if (!strcmp(mode, "data32") || !strcmp(mode, "data64")) {
        rc = mode_data(f, !strcmp(mode, "data64"));
    } else if (!strcmp(mode, "stagger")) {
        rc = mode_stagger(f);
    } else if (!strcmp(mode, "noattr")) {
        rc = put_configs32(f, 10, L);
    } else if (!strcmp(mode, "badshape")) {
        rc = put_attrs(f, "mcmc", 1, 1, 0) | put_configs32(f, 10, L + 1);
    } else if (!strcmp(mode, "n1")) {
        rc = put_attrs(f, "generated", 1, 1, 0) | put_configs32(f, 1, L);
    } else if (!strcmp(mode, "badkind")) {
        rc = put_attrs(f, "weights", 1, 1, 0) | put_configs32(f, 10, L);
    } else {
        H5Fclose(f);
        remove(argv[2]);
        fprintf(stderr, "mkens: unknown mode '%s'\n", mode);
        return 2;
    }
    if (H5Fclose(f) < 0 || rc)
        return die(argv[2]);
    return 0;
}
