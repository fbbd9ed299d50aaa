/* Model files: anything `mtsi sample` can use as a drift (SPEC.md section 5).
 *
 * HDF5 layout, common to every model type:
 *   root attributes: kind = "model", model_type = "neural" | "gaussian" |
 *     "gmm" | "dense", the data shape (mtsi_shape.h: L, dim for a phi^4
 *     lattice; data_kind, grid, periodic, channels otherwise), chi, kappa,
 *     gamma, field_h, quad_a (double: the law of the training data, used for
 *     observables of generated samples; absent for other data),
 *     mtsi_version, command_line, data (string: the training ensemble),
 *     and when the data were standardised per channel, std_shift and
 *     std_scale (float64 [C]): the model works on (x - shift) / scale.
 *   neural:   group /model (lib/nn checkpoint: architecture, weights, EMA
 *             weights, optimiser state) and group /train (training state
 *             and history, see mtsi_train.h).
 *   gaussian: /gaussian/mean [V], /gaussian/ck [nhalf] (eigenvalues of the
 *             translation-invariant covariance on the r2c half-spectrum).
 *   gmm:      /gmm/weights [J], /gmm/means [J, V], /gmm/ck [nhalf].
 *   dense:    /dense/mean [V], /dense/cov [V, V] (any shape, V = C * P). */
#ifndef MTSI_MODEL_H
#define MTSI_MODEL_H

#include <hdf5.h>

#include "mtsi_interp.h"

struct mtsi_nn_net;

#define MTSI_MODEL_MAXSTD 16

typedef struct {
    char model_type[16];
    mtsi_shape shape;
    int dim;            /* shape.naxes */
    long L, V;          /* shape.n[0] and values per sample (C * P) */
    double chi, kappa, gamma, field_h, quad_a;
    char data[512];
    int standardized;   /* 1: the model works on (x - std_shift) / std_scale per channel */
    double std_shift[MTSI_MODEL_MAXSTD], std_scale[MTSI_MODEL_MAXSTD];
} mtsi_model_info;

/* Fills info's shape fields (shape, dim, L, V) from a shape. */
void mtsi_model_info_set_shape(mtsi_model_info *info, const mtsi_shape *s);
/* In place, n samples: to the model's standardised scale and back (no-ops
 * when the model is not standardised). */
void mtsi_model_standardize(const mtsi_model_info *info, long n, double *x);
void mtsi_model_unstandardize(const mtsi_model_info *info, long n, double *x);

/* Reads the root attributes of an open model file; `what` names the file
 * in messages. MTSI_EINVAL when it is not an mtsi model. */
int mtsi_model_read_info(hid_t f, const char *what, mtsi_model_info *info);
/* Writes the root attributes (kind = "model" and the info). */
int mtsi_model_write_info(hid_t f, const mtsi_model_info *info, const char *command_line);

/* Loads any model file as a drift (neural weights: the EMA copy when the
 * file has one). One MTSI_EINVAL message for a missing, corrupt, truncated
 * or foreign file. */
int mtsi_model_load(const char *path, mtsi_drift **d, mtsi_model_info *info);

/* Neural back end (interp/mtsi_neural.c). The drift takes ownership of net
 * and evaluates it in float32 in chunks of at most max_batch samples; a
 * 1-axis grid is H = 1, W = n_1; two axes are H = n_1, W = n_2. The
 * network's channels and padding must match the shape (circular for a
 * periodic grid, zeros otherwise). */
mtsi_drift *mtsi_drift_neural_new(struct mtsi_nn_net *net, const mtsi_shape *s, long max_batch);
/* Reads group /model of an open model file into a neural drift, with the
 * EMA weights when present. */
int mtsi_drift_neural_load(hid_t f, const char *what, const mtsi_model_info *info,
                           mtsi_drift **d);

#endif
