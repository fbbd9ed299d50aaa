/* A small convolutional classifier on N×C×H×W tensors, built from the
 * layers of the drift network (lib/nn): stages of 3×3 convolution +
 * GroupNorm + SiLU, average pooling by 2 between stages, a global average
 * pool, an optional hidden dense layer with SiLU (the "features"), and a
 * dense layer to the class logits. Trained with softmax cross-entropy and
 * the AdamW optimiser of mtsi_nn.h.
 *
 * Same two phases as the U-Net: _new (parameters), _plan (buffers), then
 * _forward / _loss / optimiser steps that allocate nothing. */
#ifndef MTSI_NN_CLF_H
#define MTSI_NN_CLF_H

#include "mtsi_nn.h"

typedef struct {
    int in_ch;    /* input channels */
    int h, w;     /* input grid (pooled stages−1 times by 2, then globally) */
    int classes;  /* number of classes (>= 2) */
    int width;    /* channels of stage 0; stage s has width·2^s */
    int stages;   /* 1..4 */
    int convs;    /* convolutions per stage (>= 1) */
    int hidden;   /* hidden dense width (the features); 0: features = pooled */
    int groups;   /* GroupNorm groups (divides width) */
} mtsi_nn_clf_arch;

typedef struct mtsi_nn_clf mtsi_nn_clf;

/* in 1, 28×28, 10 classes, width 16, 3 stages, 2 convs, hidden 64, 4 groups. */
void mtsi_nn_clf_arch_default(mtsi_nn_clf_arch *a);
int mtsi_nn_clf_arch_check(const mtsi_nn_clf_arch *a);
/* "in=1,h=28,w=28,classes=10,width=16,stages=3,convs=2,hidden=64,groups=4" */
void mtsi_nn_clf_arch_format(const mtsi_nn_clf_arch *a, char *buf, int n);
int mtsi_nn_clf_arch_parse(mtsi_nn_clf_arch *a, const char *s);

mtsi_nn_clf *mtsi_nn_clf_new(const mtsi_nn_clf_arch *a, uint64_t seed);
void mtsi_nn_clf_free(mtsi_nn_clf *c);
const mtsi_nn_clf_arch *mtsi_nn_clf_get_arch(const mtsi_nn_clf *c);
int mtsi_nn_clf_plan(mtsi_nn_clf *c, int batch);
int mtsi_nn_clf_batch(const mtsi_nn_clf *c);
/* Length of the feature vector (hidden, or the last stage's width). */
int mtsi_nn_clf_nfeat(const mtsi_nn_clf *c);

/* x: batch×in_ch×h×w. logits (batch×classes) and feat (batch×nfeat) are
 * copied out when not NULL. */
int mtsi_nn_clf_forward(mtsi_nn_clf *c, const mtsi_nn_real *x, mtsi_nn_real *logits,
                        mtsi_nn_real *feat);
/* Mean softmax cross-entropy of the last forward against labels (each in
 * [0, classes)); *correct (may be NULL) counts arg-max hits. With
 * backward = 1 the parameter gradient of the mean loss is written to the
 * gradient vector (overwriting it). */
int mtsi_nn_clf_loss(mtsi_nn_clf *c, const int *labels, int backward, double *loss,
                     long *correct);
/* Back-propagate a given dL/d(logits) (batch×classes); gradient written. */
int mtsi_nn_clf_backward(mtsi_nn_clf *c, const mtsi_nn_real *dlogits);

long mtsi_nn_clf_nparam(const mtsi_nn_clf *c);
mtsi_nn_real *mtsi_nn_clf_params(mtsi_nn_clf *c);
mtsi_nn_real *mtsi_nn_clf_grads(mtsi_nn_clf *c);
const unsigned char *mtsi_nn_clf_decay_mask(const mtsi_nn_clf *c);

/* Group `group` of an open file: attributes format = "mtsi-nn-clf/1",
 * arch (as _arch_format), nparam, checksum (FNV-1a 64 of params); dataset
 * params (float32). Load checks all of it; `what` names the file. */
int mtsi_nn_clf_save_h5(hid_t file, const char *group, const mtsi_nn_clf *c);
int mtsi_nn_clf_load_h5(hid_t file, const char *group, const char *what, mtsi_nn_clf **c);

#endif
