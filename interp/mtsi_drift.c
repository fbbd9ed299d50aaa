/* The drift wrapper and the b <-> (eta0, eta1) conversions (SPEC 1.1). */
#include "config.h"
#include "mtsi_err.h"
#include "mtsi_interp.h"

#include <stdio.h>
#include <stdlib.h>

struct mtsi_drift {
    mtsi_drift_ops ops;
    void *self;
    mtsi_shape shape;
    long V;
    char kind[32];
};

mtsi_drift *mtsi_drift_wrap(const mtsi_drift_ops *ops, void *self, const mtsi_shape *shape,
                            const char *kind)
{
    mtsi_drift *d = mtsi_calloc(1, sizeof *d);
    if (!d) {
        if (ops->free)
            ops->free(self);
        return NULL;
    }
    d->ops = *ops;
    d->self = self;
    d->shape = *shape;
    d->V = mtsi_shape_size(shape);
    snprintf(d->kind, sizeof d->kind, "%s", kind);
    return d;
}

void mtsi_drift_free(mtsi_drift *d)
{
    if (!d)
        return;
    if (d->ops.free)
        d->ops.free(d->self);
    free(d);
}

int mtsi_drift_eval(mtsi_drift *d, long batch, const double *alpha, const double *x, double *b)
{
    return d->ops.eval(d->self, batch, alpha, x, b);
}

const mtsi_shape *mtsi_drift_shape(const mtsi_drift *d) { return &d->shape; }
int mtsi_drift_dim(const mtsi_drift *d) { return d->shape.naxes; }
long mtsi_drift_L(const mtsi_drift *d) { return d->shape.n[0]; }
long mtsi_drift_sites(const mtsi_drift *d) { return d->V; }
const char *mtsi_drift_kind(const mtsi_drift *d) { return d->kind; }
void *mtsi_drift_self(mtsi_drift *d) { return d->self; }

void mtsi_drift_to_eta(long n, const double *alpha, const double *x, const double *b,
                       double *eta0, double *eta1)
{
    for (long i = 0; i < n; i++) {
        eta0[i] = x[i] + (1.0 - alpha[i]) * b[i];
        eta1[i] = x[i] - alpha[i] * b[i];
    }
}

void mtsi_drift_from_eta(long n, const double *eta0, const double *eta1, double *b)
{
    for (long i = 0; i < n; i++)
        b[i] = eta0[i] - eta1[i];
}
