/* Model files: anything `mtsi sample` can use as a drift (SPEC.md section 5).
 *
 * HDF5 layout, common to every model type:
 *   root attributes: kind = "model", model_type = "neural" | "gaussian" | "gmm",
 *     L, dim (long), chi, kappa, gamma, field_h, quad_a (double: the law of
 *     the training data, used for observables of generated samples),
 *     mtsi_version, command_line, data (string: the training ensemble).
 *   neural:   group /model (lib/nn checkpoint: architecture, weights, EMA
 *             weights, optimiser state) and group /train (training state
 *             and history, see mtsi_train.h).
 *   gaussian: /gaussian/mean [V], /gaussian/ck [nhalf] (eigenvalues of the
 *             translation-invariant covariance on the r2c half-spectrum).
 *   gmm:      /gmm/weights [J], /gmm/means [J, V], /gmm/ck [nhalf]. */
#ifndef MTSI_MODEL_H
#define MTSI_MODEL_H

#include <hdf5.h>

#include "mtsi_interp.h"

struct mtsi_nn_net;

typedef struct {
    char model_type[16];
    int dim;
    long L, V;
    double chi, kappa, gamma, field_h, quad_a;
    char data[512];
} mtsi_model_info;

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
 * and evaluates it in float32 in chunks of at most max_batch samples;
 * dim 1 lattices are H = 1, W = L; dim 2 are H = W = L. */
mtsi_drift *mtsi_drift_neural_new(struct mtsi_nn_net *net, int dim, long L, long max_batch);
/* Reads group /model of an open model file into a neural drift, with the
 * EMA weights when present. */
int mtsi_drift_neural_load(hid_t f, const char *what, const mtsi_model_info *info,
                           mtsi_drift **d);

#endif
