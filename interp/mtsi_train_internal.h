/* Internals shared by the training loop (mtsi_train.c) and its checkpoint
 * format (mtsi_train_ckpt.c). Not installed. */
#ifndef MTSI_TRAIN_INTERNAL_H
#define MTSI_TRAIN_INTERNAL_H

#include <stdint.h>

#include "mtsi_ensemble.h"
#include "mtsi_nn.h" /* before mtsi_model.h, which names struct mtsi_nn_net */
#include "mtsi_model.h"
#include "mtsi_stream.h"
#include "mtsi_tilt.h"
#include "mtsi_train.h"

#define TRAIN_FORMAT "mtsi-train/1"
#define HCOLS 4

typedef struct {
    mtsi_train_cfg c;
    mtsi_ensemble e;            /* the data; with a stream only its couplings are set */
    mtsi_nn_arch arch;
    mtsi_shape shape;           /* of the data (and the model) */
    int dim, h, w;
    long L, V, P, n_train, n_val, vchunk; /* V = C * P values, P grid points */
    int standardized;           /* the data were standardised per channel */
    double std_shift[MTSI_MODEL_MAXSTD], std_scale[MTSI_MODEL_MAXSTD];
    uint64_t data_sum;
    mtsi_nn_net *net, *vnet;
    mtsi_nn_opt *opt;
    mtsi_rng rng;
    int rank, size;             /* MPI ranks (0 of 1 when serial) */
    long blocal, lo;            /* this rank's samples [lo, lo + blocal) of the batch */
    int sig;                    /* a signal reached some rank (agreed by every rank) */
    long *order, cursor, epoch, step;
    long *work;
    double *x1, *x1aug, *alpha, *x0;
    mtsi_nn_real *xin, *al, *tgt;  /* batch × V (al: batch × P), the whole batch */
    mtsi_nn_real *out, *dout;      /* blocal × V, this rank's share */
    mtsi_nn_real *vx, *va, *vt;                 /* n_val × V, the fixed draw (va: × P) */
    mtsi_nn_real *cx, *ca, *cout;               /* vchunk × V (ca: × P) */
    double *hist;
    long nhist, caphist;
    double loss_sum;
    long loss_count;
    char *cmdline;
    char what[1100];
    char src[600];              /* the data in messages: "'F.h5'" or "the stream" */
    /* --stream-mcmc */
    mtsi_phi4_params phi4;
    mtsi_sampler_opts so;
    mtsi_stream *stream;        /* this rank's chains [chain0, chain0 + nchain) */
    long chain0, nchain;
    mtsi_chain_table mine;      /* their states, for the checkpoint */
    mtsi_chain_table chains;    /* rank 0: every chain's state, gathered */
    double *sx;                 /* blocal x V: this rank's configurations of the step */
    long *schain;               /* blocal: the (local) chain of each (its tilt:
                                   mtsi_train_chain_tilt of chain0 + schain) */
    double *zero;               /* V zeros: x1 of the samples other ranks hold */
    mtsi_tilt_table tilt;       /* --tilt on an ensemble (cdf NULL: none) */
    int tilt_auto;              /* 1: the tilt was chosen from the data, 2: the data
                                   were too small to tilt (said when training starts) */
} trainer;


/* Writes the model file (the checkpoint) atomically; complete marks the
 * end of training. */
int mtsi_train_write_checkpoint(trainer *t, int complete);
/* Everything that changes the result must equal the checkpoint's. */
int mtsi_train_compare_settings(const mtsi_train_cfg *stored, const mtsi_train_cfg *c,
                                const char *what);
/* With a stream: every rank's chain states into t->chains on rank 0 (a
 * collective call; before rank 0 writes the checkpoint). */
void mtsi_train_collect_chains(trainer *t);
/* Loads the state of the checkpoint t->c.out into t (data and buffers
 * already set up). */
int mtsi_train_load_state(trainer *t, const char *what);

#endif
