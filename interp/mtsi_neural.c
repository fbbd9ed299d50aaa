/* The neural drift back end: b(α, x) from the lib/nn U-Net, evaluated in
 * float32. The network is planned once for chunks of min(batch, max_batch)
 * samples; a batch is evaluated chunk by chunk, the last chunk padded with
 * the zero rows left in the buffers (every layer acts per sample, so the
 * padding never changes the other rows). Nothing is allocated per call
 * unless a call brings a larger batch than any before (up to max_batch). */
#include "config.h"
#include "mtsi_err.h"
#include "mtsi_h5.h"
#include "mtsi_nn.h" /* before mtsi_model.h, which names struct mtsi_nn_net */
#include "mtsi_model.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    mtsi_nn_net *net;
    int h, w;
    long V, P, max_batch, planned; /* values (C * P) and grid points per sample */
    mtsi_nn_real *x, *a, *out;
} neural;

static void neural_free(void *self)
{
    neural *n = self;
    if (!n)
        return;
    mtsi_nn_net_free(n->net);
    free(n->x);
    free(n->a);
    free(n->out);
    free(n);
}

/* Plan for `chunk` samples and size the buffers (zeroed: see the top). */
static int neural_plan(neural *n, long chunk)
{
    int rc = mtsi_nn_net_plan(n->net, (int)chunk, n->h, n->w);
    if (rc)
        return rc;
    free(n->x);
    free(n->a);
    free(n->out);
    size_t bytes = (size_t)(chunk * n->V) * sizeof(mtsi_nn_real);
    size_t abytes = (size_t)(chunk * n->P) * sizeof(mtsi_nn_real);
    n->x = mtsi_aligned_alloc(bytes);
    n->a = mtsi_aligned_alloc(abytes);
    n->out = mtsi_aligned_alloc(bytes);
    if (!n->x || !n->a || !n->out) {
        n->planned = 0;
        return MTSI_ENOMEM;
    }
    memset(n->x, 0, bytes);
    memset(n->a, 0, abytes);
    memset(n->out, 0, bytes);
    n->planned = chunk;
    return MTSI_OK;
}

static int neural_eval(void *self, long batch, const double *alpha, const double *x, double *b)
{
    neural *n = self;
    if (batch <= 0)
        return MTSI_OK;
    long want = batch < n->max_batch ? batch : n->max_batch;
    if (want > n->planned) {
        int rc = neural_plan(n, want);
        if (rc)
            return rc;
    }
    const long V = n->V, P = n->P;
    for (long s0 = 0; s0 < batch; s0 += n->planned) {
        long m = batch - s0 < n->planned ? batch - s0 : n->planned;
        const double *xs = x + s0 * V, *as = alpha + s0 * V;
        for (long i = 0; i < m * V; i++)
            n->x[i] = (mtsi_nn_real)xs[i];
        /* one alpha per grid point: the first channel's (paths repeat it) */
        for (long i = 0; i < m; i++)
            for (long a = 0; a < P; a++)
                n->a[i * P + a] = (mtsi_nn_real)as[i * V + a];
        int rc = mtsi_nn_net_forward(n->net, n->x, n->a, NULL, n->out);
        if (rc)
            return rc;
        double *bs = b + s0 * V;
        for (long i = 0; i < m * V; i++)
            bs[i] = (double)n->out[i];
    }
    return MTSI_OK;
}

static const mtsi_drift_ops neural_ops = {neural_eval, neural_free};

mtsi_drift *mtsi_drift_neural_new(struct mtsi_nn_net *net, const mtsi_shape *sh, long max_batch)
{
    char shs[200];
    mtsi_shape_format(sh, shs, sizeof shs);
    if (!net) {
        mtsi_error_set(MTSI_EINVAL, "neural drift: no network");
        return NULL;
    }
    const mtsi_nn_arch *a = mtsi_nn_net_arch(net);
    const char *bad = NULL;
    char msg[200];
    int allp = 1, nonep = 1;
    for (int i = 0; i < sh->naxes; i++) {
        allp &= sh->periodic[i] != 0;
        nonep &= sh->periodic[i] == 0;
    }
    if (mtsi_shape_check(sh, "neural drift")) {
        mtsi_nn_net_free(net);
        return NULL;
    }
    if (sh->naxes == 3)
        bad = "dim 3 grids are not supported (the drift network is two-dimensional)";
    else if (sh->naxes != 1 && sh->naxes != 2)
        bad = "the grid must have 1 or 2 axes";
    else if (sh->n[0] > (1L << 20) || (sh->naxes == 2 && sh->n[1] > (1L << 20)))
        bad = "bad grid size";
    else if (!allp && !nonep)
        bad = "axes with different boundaries are not supported (the network pads every axis alike)";
    else if (a->in_ch != sh->channels || a->out_ch != sh->channels) {
        snprintf(msg, sizeof msg, "the network has %d input and %d output channels, the data %d",
                 a->in_ch, a->out_ch, sh->channels);
        bad = msg;
    } else if ((a->pad == MTSI_NN_PAD_CIRCULAR) != (allp != 0)) {
        snprintf(msg, sizeof msg, "the network pads %s but the grid is %s",
                 a->pad == MTSI_NN_PAD_CIRCULAR ? "circularly" : "with zeros",
                 allp ? "periodic" : "not periodic");
        bad = msg;
    } else if (a->cond_dim != 0)
        bad = "the network expects a conditioning vector, which a drift does not provide";
    else if (max_batch < 1)
        bad = "max_batch must be >= 1";
    if (bad) {
        mtsi_error_set(MTSI_EINVAL, "neural drift (%s): %s", shs, bad);
        mtsi_nn_net_free(net);
        return NULL;
    }
    neural *n = mtsi_calloc(1, sizeof *n);
    if (!n) {
        mtsi_nn_net_free(net);
        return NULL;
    }
    n->net = net;
    n->h = sh->naxes == 1 ? 1 : (int)sh->n[0];
    n->w = (int)sh->n[sh->naxes - 1];
    n->P = mtsi_shape_points(sh);
    n->V = mtsi_shape_size(sh);
    n->max_batch = max_batch;
    /* Plan one sample now, so a grid the network cannot pool fails here
     * with the network's message instead of at the first evaluation. */
    if (neural_plan(n, 1)) {
        char m[512];
        snprintf(m, sizeof m, "%s", mtsi_error_msg());
        mtsi_error_set(MTSI_EINVAL, "neural drift (%s): %s", shs, m);
        neural_free(n);
        return NULL;
    }
    return mtsi_drift_wrap(&neural_ops, n, sh, "neural"); /* frees n on failure */
}

/* Chunks of about 16k sites: enough samples to keep the threads busy
 * (64 at L = 16), few enough that the activations kept for a width-32
 * U-Net (doubled by the odd wrapper) stay near a hundred MB. */
static long default_max_batch(long V)
{
    long m = 16384 / (V > 0 ? V : 1);
    return m < 1 ? 1 : m > 256 ? 256 : m;
}

int mtsi_drift_neural_load(hid_t f, const char *what, const mtsi_model_info *info, mtsi_drift **d)
{
    *d = NULL;
    mtsi_nn_net *net = NULL;
    mtsi_nn_opt *opt = NULL;
    int rc = mtsi_nn_load_h5(f, "model", what, &net, &opt);
    if (rc)
        return rc;
    if (opt) {
        /* The EMA copy is what training maintains for sampling. */
        rc = mtsi_nn_net_set_params(net, mtsi_nn_opt_ema(opt), mtsi_nn_net_nparam(net));
        mtsi_nn_opt_free(opt);
        if (rc) {
            mtsi_nn_net_free(net);
            return rc;
        }
    }
    *d = mtsi_drift_neural_new(net, &info->shape, default_max_batch(mtsi_shape_size(&info->shape)));
    if (!*d) {
        char m[512];
        snprintf(m, sizeof m, "%s", mtsi_error_msg());
        int code = mtsi_error_code();
        return mtsi_error_set(code ? code : MTSI_EINVAL, "%s: %s", what, m);
    }
    return MTSI_OK;
}
