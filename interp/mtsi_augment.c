/* Data augmentation by the symmetries the data have: for a phi^4 lattice
 * the translations, the point group of the square (or the reflection of a
 * line) and phi -> -phi; other data (images, paths) have none assumed. */
#include "config.h"
#include "mtsi_train.h"

#include <string.h>

int mtsi_augment_available(const mtsi_shape *s)
{
    int dim;
    long L;
    return mtsi_shape_is_lattice(s, &dim, &L) && (dim == 1 || dim == 2);
}

double mtsi_augment(const mtsi_shape *s, mtsi_rng *r, const double *x, double *y)
{
    int dim = 0;
    long L = 0;
    if (!mtsi_shape_is_lattice(s, &dim, &L) || (dim != 1 && dim != 2)) {
        /* no symmetry known: the identity */
        memcpy(y, x, (size_t)mtsi_shape_size(s) * sizeof(double));
        return 1.0;
    }
    if (dim == 1) {
        long t = (long)mtsi_rng_below(r, (uint64_t)L);
        int refl = (int)mtsi_rng_below(r, 2);
        double sg = mtsi_rng_below(r, 2) ? -1.0 : 1.0;
        for (long i = 0; i < L; i++) {
            long j = refl ? L - 1 - i : i;
            y[i] = sg * x[(j + t) % L];
        }
        return sg;
    }
    long tx = (long)mtsi_rng_below(r, (uint64_t)L), ty = (long)mtsi_rng_below(r, (uint64_t)L);
    int g = (int)mtsi_rng_below(r, 8); /* bit 0: transpose, 1: flip rows, 2: flip columns */
    double sg = mtsi_rng_below(r, 2) ? -1.0 : 1.0;
    for (long i = 0; i < L; i++)
        for (long j = 0; j < L; j++) {
            long a = (g & 2) ? L - 1 - i : i, b = (g & 4) ? L - 1 - j : j;
            if (g & 1) {
                long t = a;
                a = b;
                b = t;
            }
            y[i * L + j] = sg * x[((a + tx) % L) * L + (b + ty) % L];
        }
    return sg;
}
