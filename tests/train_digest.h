/* A digest of everything a training checkpoint carries forward: lib/nn's
 * checksum of the weights, EMA weights and Adam moments, the optimiser
 * step, and the /train state (order, RNG, history, cursor, partial loss
 * sums). Two files with the same digest continue identically; timestamps
 * and the command line are left out. Shared by tests/test_train.c and
 * tests/train_state.c. */
#ifndef TRAIN_DIGEST_H
#define TRAIN_DIGEST_H

#include "mtsi_h5.h"

#include <hdf5.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t digest_fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* Writes the digest (a few lines of text) to buf; returns 0 or -1. */
static int train_digest(const char *file, char *buf, size_t n)
{
    hid_t f = mtsi_h5_open(file);
    if (f < 0)
        return -1;
    char sum[64] = "", what[] = "digest";
    long step = -1, tstep = -1, cursor = -1, epoch = -1, cnt = -1, spare_flag = -1;
    double loss_sum = 0, spare = 0;
    int rc = 0;
    hid_t m = H5Gopen2(f, "model", H5P_DEFAULT), g = H5Gopen2(f, "train", H5P_DEFAULT);
    if (m < 0 || g < 0) {
        rc = -1;
    } else {
        rc |= mtsi_h5_attr_get_string(m, "checksum", sum, sizeof sum, what);
        rc |= mtsi_h5_attr_get_long(m, "step", &step, what);
        rc |= mtsi_h5_attr_get_long(g, "step", &tstep, what);
        rc |= mtsi_h5_attr_get_long(g, "cursor", &cursor, what);
        rc |= mtsi_h5_attr_get_long(g, "epoch", &epoch, what);
        rc |= mtsi_h5_attr_get_long(g, "loss_count", &cnt, what);
        rc |= mtsi_h5_attr_get_double(g, "loss_sum", &loss_sum, what);
        rc |= mtsi_h5_attr_get_double(g, "rng_spare", &spare, what);
        rc |= mtsi_h5_attr_get_long(g, "rng_has_spare", &spare_flag, what);
    }
    uint64_t h[3] = {0, 0, 0};
    const char *ds[3] = {"order", "rng", "history"};
    for (int k = 0; k < 3 && !rc; k++) {
        hsize_t dims[2] = {0, 1};
        int rank = mtsi_h5_shape(g, ds[k], dims, 2, what);
        if (rank < 1) {
            rc = -1;
            break;
        }
        size_t cnt_k = (size_t)dims[0] * (rank == 2 ? (size_t)dims[1] : 1);
        double *v = malloc((cnt_k + 1) * sizeof(double));
        if (!v || (cnt_k && mtsi_h5_read_double(g, ds[k], v, cnt_k, what)))
            rc = -1;
        else
            h[k] = digest_fnv(0xcbf29ce484222325ULL, v, cnt_k * sizeof(double));
        free(v);
    }
    if (m >= 0)
        H5Gclose(m);
    if (g >= 0)
        H5Gclose(g);
    H5Fclose(f);
    if (rc)
        return -1;
    snprintf(buf, n,
             "model_checksum %s\nmodel_step %ld\ntrain_step %ld\ncursor %ld\nepoch %ld\n"
             "loss_sum %a\nloss_count %ld\nrng_spare %a %ld\norder %016llx\nrng %016llx\n"
             "history %016llx\n",
             sum, step, tstep, cursor, epoch, loss_sum, cnt, spare, spare_flag,
             (unsigned long long)h[0], (unsigned long long)h[1], (unsigned long long)h[2]);
    return 0;
}

#endif
