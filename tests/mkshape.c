/* Test helper for tests/shape_cli.sh: writes n draws of a smooth Gaussian
 * field on a zero-boundary grid with C correlated channels, through the
 * package's own ensemble writer (kind "data", the shape attributes of
 * interp/mtsi_shape.h).
 *
 *   mkshape GRID CHANNELS N SEED KIND OUT.h5      e.g. mkshape 20 2 2000 1 path p.h5
 *
 * Channel c at point a: mean 0.5 sin(|a|/3) + 0.2 c, covariance
 * sd_c sd_d rho^(c != d) exp(-|a - b|^2 / 18) + 0.05 delta (sd_c = 1 / (1 + c),
 * rho = 0.6); on a 2-D grid the field is tapered toward the border. */
#include "config.h"
#include "mtsi_ensemble.h"
#include "mtsi_err.h"
#include "mtsi_rng.h"

#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: mkshape GRID CHANNELS N SEED KIND OUT.h5\n");
        return 2;
    }
    mtsi_ensemble e;
    memset(&e, 0, sizeof e);
    mtsi_shape sh;
    if (mtsi_shape_parse(&sh, "GRID", argv[1], atoi(argv[2]), argv[5])) {
        fprintf(stderr, "mkshape: %s\n", mtsi_error_msg());
        return 2;
    }
    mtsi_ensemble_set_shape(&e, &sh);
    const long V = e.V, P = mtsi_shape_points(&sh), n = atol(argv[3]);
    const int two = sh.naxes == 2;
    const long W = two ? sh.n[1] : P, H = two ? sh.n[0] : 1;
    double *m = malloc(V * sizeof(double)), *L = calloc(V * V, sizeof(double));
    for (long a = 0; a < V; a++) {
        long ca = a / P, pa = a % P, ia = pa / W, ja = pa % W;
        double wa = two ? sin(M_PI * (ia + 1) / (H + 1.0)) * sin(M_PI * (ja + 1) / (W + 1.0)) : 1;
        m[a] = 0.5 * sin(sqrt((double)(ia * ia + ja * ja)) / 3) * wa + 0.2 * ca;
        for (long b = 0; b <= a; b++) {
            long cb = b / P, pb = b % P, ib = pb / W, jb = pb % W;
            double wb = two ? sin(M_PI * (ib + 1) / (H + 1.0)) * sin(M_PI * (jb + 1) / (W + 1.0)) : 1;
            double r2 = (double)((ia - ib) * (ia - ib) + (ja - jb) * (ja - jb));
            L[a * V + b] = wa * wb * (ca == cb ? 1 : 0.6) / ((1 + ca) * (1 + cb)) * exp(-r2 / 18) +
                           (a == b ? 0.05 : 0);
        }
    }
    /* Cholesky in place (lower triangle) */
    for (long j = 0; j < V; j++) {
        double s = L[j * V + j];
        for (long k = 0; k < j; k++)
            s -= L[j * V + k] * L[j * V + k];
        L[j * V + j] = sqrt(s);
        for (long i = j + 1; i < V; i++) {
            double t = L[i * V + j];
            for (long k = 0; k < j; k++)
                t -= L[i * V + k] * L[j * V + k];
            L[i * V + j] = t / L[j * V + j];
        }
    }
    e.n = n;
    e.configs = malloc((size_t)(n * V) * sizeof(double));
    snprintf(e.kind, sizeof e.kind, "data");
    e.chi = e.kappa = e.gamma = e.field_h = e.quad_a = NAN;
    double *z = malloc(V * sizeof(double));
    mtsi_rng r;
    mtsi_rng_seed(&r, (uint64_t)atol(argv[4]), 0);
    for (long i = 0; i < n; i++) {
        for (long a = 0; a < V; a++)
            z[a] = mtsi_rng_normal(&r);
        for (long a = 0; a < V; a++) {
            double s = m[a];
            for (long b = 0; b <= a; b++)
                s += L[a * V + b] * z[b];
            e.configs[i * V + a] = s;
        }
    }
    hid_t f = mtsi_ensemble_write(argv[6], &e, atol(argv[4]), "mkshape");
    int rc = f < 0 || H5Fclose(f) < 0;
    if (rc)
        fprintf(stderr, "mkshape: %s\n", mtsi_error_msg());
    free(m);
    free(L);
    free(z);
    free(e.configs);
    return rc ? 1 : 0;
}
