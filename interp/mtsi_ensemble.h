/* Reading and writing ensembles (SPEC.md section 5) for the interpolant
 * commands: training data, observed configurations to inpaint, and
 * generated samples. */
#ifndef MTSI_ENSEMBLE_H
#define MTSI_ENSEMBLE_H

#include <hdf5.h>

typedef struct {
    long n;          /* configurations */
    int dim;
    long L, V;
    double chi, kappa, gamma, field_h, quad_a; /* NAN when the file lacks them */
    char kind[32];
    double *configs; /* [n][V] */
} mtsi_ensemble;

/* Reads /configs (float32 or float64, shape [N, L, ..., L]) and the root
 * attributes L and dim (required) and chi, kappa, gamma, field_h, quad_a
 * (optional). One MTSI_EINVAL message naming the file for anything wrong. */
int mtsi_ensemble_read(const char *path, mtsi_ensemble *e);
void mtsi_ensemble_free(mtsi_ensemble *e);

/* Writes a "generated" ensemble: /configs [n, L...] float64 with one chunk
 * per configuration, /observables (m, abs_m, m2, m4, energy, ghat0, ghat1,
 * G) computed with the given couplings, and root attributes kind, L, dim,
 * chi, kappa, gamma, field_h, quad_a, seed, mtsi_version, command_line.
 * The file is created at `path` directly: callers pass a temporary name
 * and rename it when everything else is written. Returns the open file
 * (for extra datasets and attributes) or a negative id with an error set. */
hid_t mtsi_ensemble_write(const char *path, const mtsi_ensemble *e, long seed,
                          const char *command_line);

#endif
