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
    long V, max_batch, planned;
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
    n->x = mtsi_aligned_alloc(bytes);
    n->a = mtsi_aligned_alloc(bytes);
    n->out = mtsi_aligned_alloc(bytes);
    if (!n->x || !n->a || !n->out) {
        n->planned = 0;
        return MTSI_ENOMEM;
    }
    memset(n->x, 0, bytes);
    memset(n->a, 0, bytes);
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
    const long V = n->V;
    for (long s0 = 0; s0 < batch; s0 += n->planned) {
        long m = batch - s0 < n->planned ? batch - s0 : n->planned;
        const double *xs = x + s0 * V, *as = alpha + s0 * V;
        for (long i = 0; i < m * V; i++) {
            n->x[i] = (mtsi_nn_real)xs[i];
            n->a[i] = (mtsi_nn_real)as[i];
        }
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

mtsi_drift *mtsi_drift_neural_new(struct mtsi_nn_net *net, int dim, long L, long max_batch)
{
    if (!net) {
        mtsi_error_set(MTSI_EINVAL, "neural drift: no network");
        return NULL;
    }
    const mtsi_nn_arch *a = mtsi_nn_net_arch(net);
    const char *bad = NULL;
    char msg[160];
    if (dim == 3)
        bad = "dim 3 lattices are not supported (the drift network is two-dimensional)";
    else if (dim != 1 && dim != 2)
        bad = "the lattice dimension must be 1 or 2";
    else if (L < 1 || L > (1L << 20))
        bad = "bad lattice side";
    else if (a->in_ch != 1 || a->out_ch != 1) {
        snprintf(msg, sizeof msg, "the network has %d input and %d output channels, expected 1",
                 a->in_ch, a->out_ch);
        bad = msg;
    } else if (a->cond_dim != 0)
        bad = "the network expects a conditioning vector, which a drift does not provide";
    else if (max_batch < 1)
        bad = "max_batch must be >= 1";
    if (bad) {
        mtsi_error_set(MTSI_EINVAL, "neural drift (dim %d, L %ld): %s", dim, L, bad);
        mtsi_nn_net_free(net);
        return NULL;
    }
    neural *n = mtsi_calloc(1, sizeof *n);
    if (!n) {
        mtsi_nn_net_free(net);
        return NULL;
    }
    n->net = net;
    n->h = dim == 1 ? 1 : (int)L;
    n->w = (int)L;
    n->V = dim == 1 ? L : L * L;
    n->max_batch = max_batch;
    /* Plan one sample now, so a lattice the network cannot pool fails here
     * with the network's message instead of at the first evaluation. */
    if (neural_plan(n, 1)) {
        char m[512];
        snprintf(m, sizeof m, "%s", mtsi_error_msg());
        mtsi_error_set(MTSI_EINVAL, "neural drift (dim %d, L %ld): %s", dim, L, m);
        neural_free(n);
        return NULL;
    }
    return mtsi_drift_wrap(&neural_ops, n, dim, L, "neural"); /* frees n on failure */
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
    long V = info->dim == 1 ? info->L : info->L * info->L;
    *d = mtsi_drift_neural_new(net, info->dim, info->L, default_max_batch(V));
    if (!*d) {
        char m[512];
        snprintf(m, sizeof m, "%s", mtsi_error_msg());
        int code = mtsi_error_code();
        return mtsi_error_set(code ? code : MTSI_EINVAL, "%s: %s", what, m);
    }
    return MTSI_OK;
}
