/* Reading and writing ensembles (SPEC.md section 5) for the interpolant
 * commands: training data, observed configurations to inpaint, and
 * generated samples. */
#ifndef MTSI_ENSEMBLE_H
#define MTSI_ENSEMBLE_H

#include <hdf5.h>

#include "mtsi_shape.h"

/* Largest number of values (N * C * P) one ensemble may hold in memory. */
#define MTSI_ENSEMBLE_MAXVALUES (1L << 33)

typedef struct {
    long n;          /* configurations (samples) */
    mtsi_shape shape;
    int dim;         /* shape.naxes */
    long L, V;       /* shape.n[0] and values per sample (C * P) */
    double chi, kappa, gamma, field_h, quad_a; /* NAN when the file lacks them */
    char kind[32];
    double *configs; /* [n][V] */
} mtsi_ensemble;

/* Reads /configs (float32 or float64) and the shape attributes
 * (mtsi_shape.h: a phi^4 file has L and dim and /configs [N, L, ..., L];
 * other data grid, periodic, channels and /configs [N, C, grid...]), and
 * chi, kappa, gamma, field_h, quad_a (optional). The declared sizes are
 * checked before anything is allocated (at most MTSI_ENSEMBLE_MAXVALUES
 * values) and every value must be finite. One MTSI_EINVAL message naming
 * the file for anything wrong. */
int mtsi_ensemble_read(const char *path, mtsi_ensemble *e);
void mtsi_ensemble_free(mtsi_ensemble *e);
/* Sets e's shape fields (shape, dim, L, V). */
void mtsi_ensemble_set_shape(mtsi_ensemble *e, const mtsi_shape *s);
/* MTSI_OK when e holds phi^4 lattices, else MTSI_EINVAL "<cmd>: '<path>'
 * holds <shape>; <cmd> computes phi^4 observables and needs lattice data". */
int mtsi_ensemble_require_lattice(const mtsi_ensemble *e, const char *cmd, const char *path);

/* Writes a "generated" ensemble. For phi^4 lattices: /configs [n, L...]
 * float64 with one chunk per configuration, /observables (m, abs_m, m2,
 * m4, energy, ghat0, ghat1, G) computed with the given couplings, and root
 * attributes kind, L, dim, chi, kappa, gamma, field_h, quad_a, seed,
 * mtsi_version, command_line. For other data: /configs [n, C, grid...]
 * and the shape attributes, no observables.
 * The file is created at `path` directly: callers pass a temporary name
 * and rename it when everything else is written. Returns the open file
 * (for extra datasets and attributes) or a negative id with an error set. */
hid_t mtsi_ensemble_write(const char *path, const mtsi_ensemble *e, long seed,
                          const char *command_line);

#endif
