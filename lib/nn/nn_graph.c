/* The computation graph: building, parameter layout, planning (every
 * buffer allocated once per batch size) and the forward/backward sweeps. */
#include "config.h"
#include "nn_internal.h"
#include "mtsi_err.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

static const nn_op *const ops[NN_NKIND] = {
    [NN_INPUT] = &nn_op_input,   [NN_CONV] = &nn_op_conv,     [NN_LINEAR] = &nn_op_linear,
    [NN_SILU] = &nn_op_silu,     [NN_GNORM] = &nn_op_gnorm,   [NN_POOL] = &nn_op_pool,
    [NN_UP] = &nn_op_up,         [NN_CONCAT] = &nn_op_concat, [NN_ADD] = &nn_op_add,
};

/* ---- the input layer: the caller writes y, backward leaves dy -------- */

static int input_shape(nn_graph *g, nn_node *nd)
{
    nd->h = nd->vec ? 1 : g->h;
    nd->w = nd->vec ? 1 : g->w;
    return MTSI_OK;
}
static void input_nop(nn_graph *g, nn_node *nd) { }
const nn_op nn_op_input = {"input", input_shape, NULL, input_nop, input_nop};

/* ---- building --------------------------------------------------------- */

static int add_node(nn_graph *g, int kind, int a, int b)
{
    if (g->param)
        return -mtsi_error_set(MTSI_EFAIL, "nn: graph already finished");
    if ((a >= g->nnode) || (b >= g->nnode))
        return -mtsi_error_set(MTSI_EFAIL, "nn: node input %d out of range", a > b ? a : b);
    if (g->nnode == g->cap) {
        int cap = g->cap ? 2 * g->cap : 32;
        nn_node *p = realloc(g->nodes, (size_t)cap * sizeof *p);
        if (!p)
            return -mtsi_error_set(MTSI_ENOMEM, "nn: out of memory for %d nodes", cap);
        g->nodes = p;
        g->cap = cap;
    }
    nn_node *nd = &g->nodes[g->nnode];
    memset(nd, 0, sizeof *nd);
    nd->kind = kind;
    nd->in[0] = a;
    nd->in[1] = b;
    nd->ref = -1;
    nd->poff = g->nparam;
    if (a >= 0)
        nd->c = g->nodes[a].c;
    return g->nnode++;
}

int nn_graph_input(nn_graph *g, int c, int vec)
{
    int i = add_node(g, NN_INPUT, -1, -1);
    if (i >= 0) {
        g->nodes[i].c = c;
        g->nodes[i].vec = vec;
    }
    return i;
}

int nn_graph_conv(nn_graph *g, int in, int cout, int kh, int kw, int pad)
{
    if (in < 0)
        return -1;
    if (kh < 1 || kw < 1 || kh % 2 == 0 || kw % 2 == 0)
        return -mtsi_error_set(MTSI_EINVAL, "nn: kernel %dx%d must have odd sizes", kh, kw);
    int i = add_node(g, NN_CONV, in, -1);
    if (i < 0)
        return i;
    nn_node *nd = &g->nodes[i];
    nd->cin = g->nodes[in].c;
    nd->c = cout;
    nd->kh = kh;
    nd->kw = kw;
    nd->pad = pad;
    nd->nw = (long)cout * nd->cin * kh * kw;
    nd->np = nd->nw + cout;
    g->nparam += nd->np;
    return i;
}

int nn_graph_linear(nn_graph *g, int in, int cout)
{
    if (in < 0)
        return -1;
    int i = add_node(g, NN_LINEAR, in, -1);
    if (i < 0)
        return i;
    nn_node *nd = &g->nodes[i];
    nd->cin = g->nodes[in].c;
    nd->c = cout;
    nd->nw = (long)cout * nd->cin;
    nd->np = nd->nw + cout;
    g->nparam += nd->np;
    return i;
}

int nn_graph_unary(nn_graph *g, int kind, int in)
{
    if (in < 0)
        return -1;
    return add_node(g, kind, in, -1);
}

int nn_graph_gnorm(nn_graph *g, int in, int groups, int cond)
{
    if (in < 0 || cond < -1)
        return -1;
    int c = g->nodes[in].c;
    if (groups < 1 || c % groups)
        return -mtsi_error_set(MTSI_EINVAL, "nn: %d groups do not divide %d channels", groups, c);
    if (cond >= 0 && g->nodes[cond].c != 2 * c)
        return -mtsi_error_set(MTSI_EFAIL, "nn: group-norm conditioning has %d channels, need %d",
                               g->nodes[cond].c, 2 * c);
    int i = add_node(g, NN_GNORM, in, cond);
    if (i < 0)
        return i;
    nn_node *nd = &g->nodes[i];
    nd->cin = c;
    nd->groups = groups;
    nd->np = 2L * c; /* gamma, beta: no weight decay */
    g->nparam += nd->np;
    return i;
}

int nn_graph_resize(nn_graph *g, int kind, int in, int fh, int fw)
{
    if (in < 0)
        return -1;
    int i = add_node(g, kind, in, -1);
    if (i >= 0) {
        g->nodes[i].fh = fh;
        g->nodes[i].fw = fw;
    }
    return i;
}

int nn_graph_binary(nn_graph *g, int kind, int a, int b)
{
    if (a < 0 || b < 0)
        return -1;
    int i = add_node(g, kind, a, b);
    if (i < 0)
        return i;
    if (kind == NN_CONCAT)
        g->nodes[i].c = g->nodes[a].c + g->nodes[b].c;
    else if (g->nodes[a].c != g->nodes[b].c)
        return -mtsi_error_set(MTSI_EFAIL, "nn: adding %d to %d channels", g->nodes[a].c,
                               g->nodes[b].c);
    return i;
}

int nn_graph_finish(nn_graph *g, uint64_t seed)
{
    long n = g->nparam;
    g->param = mtsi_aligned_alloc((size_t)(n ? n : 1) * sizeof(nn_real));
    g->grad = mtsi_aligned_alloc((size_t)(n ? n : 1) * sizeof(nn_real));
    g->decay = mtsi_calloc((size_t)(n ? n : 1), 1);
    if (!g->param || !g->grad || !g->decay)
        return MTSI_ENOMEM;
    memset(g->param, 0, (size_t)n * sizeof(nn_real));
    memset(g->grad, 0, (size_t)n * sizeof(nn_real));
    /* One stream per node: adding a layer does not reshuffle the others. */
    for (int i = 0; i < g->nnode; i++) {
        nn_node *nd = &g->nodes[i];
        memset(g->decay + nd->poff, 1, (size_t)nd->nw);
        if (ops[nd->kind]->init) {
            mtsi_rng r;
            mtsi_rng_seed(&r, seed, (uint64_t)i);
            ops[nd->kind]->init(g, nd, &r);
        }
    }
    return MTSI_OK;
}

/* ---- planning --------------------------------------------------------- */

static long round16(long n) { return (n + 15) & ~15L; }

int nn_graph_plan(nn_graph *g, int batch, int h, int w)
{
    if (batch < 1)
        return mtsi_error_set(MTSI_EINVAL, "nn: batch size %d must be positive", batch);
    if (h < 1 || w < 1)
        return mtsi_error_set(MTSI_EINVAL, "nn: grid %dx%d must be positive", h, w);
    free(g->arena);
    free(g->work);
    g->arena = g->work = NULL;
    g->batch = batch;
    g->h = h;
    g->w = w;
    g->nthreads = omp_get_max_threads();
    if (g->nthreads > batch)
        g->nthreads = batch;
    if (g->nthreads < 1)
        g->nthreads = 1;
    /* The batch is split over our own threads; a multithreaded BLAS inside
     * each of them would only oversubscribe the cores, and with one thread
     * (--threads 1) OpenBLAS's own threads would use cores the user did not
     * give: its idle threads spin in sched_yield, a third of the time of a
     * one-thread run beside another job. */
    openblas_set_num_threads(1);
    long total = 0, wmax = 0;
    for (int i = 0; i < g->nnode; i++) {
        nn_node *nd = &g->nodes[i];
        nd->ws = nd->naux = 0;
        int rc = ops[nd->kind]->shape(g, nd);
        if (rc)
            return rc;
        total += 2 * round16((long)batch * nn_size(nd)) + round16(nd->naux);
        if (nd->ws > wmax)
            wmax = nd->ws;
    }
    /* A SiLU whose input is a group norm with no other consumer is
     * computed inside the group norm (one pass over memory instead of
     * three, forward and backward). */
    for (int i = 0; i < g->nnode; i++)
        g->nodes[i].fused = 0;
    for (int i = 0; i < g->nnode; i++) {
        nn_node *nd = &g->nodes[i];
        if (nd->kind != NN_SILU || g->nodes[nd->in[0]].kind != NN_GNORM)
            continue;
        int j = nd->in[0], uses = 0;
        for (int k = 0; k < g->nnode; k++)
            uses += (g->nodes[k].in[0] == j) + (g->nodes[k].in[1] == j);
        if (uses == 1) {
            nd->fused = 1;
            g->nodes[j].fused = i + 1;
        }
    }
    g->wsize = round16(wmax);
    g->arena = mtsi_aligned_alloc((size_t)total * sizeof(nn_real));
    g->work = mtsi_aligned_alloc((size_t)(g->wsize * g->nthreads + 16) * sizeof(nn_real));
    if (!g->arena || !g->work)
        return MTSI_ENOMEM;
    /* Zeroed so that a forward of uninitialised inputs is at worst wrong,
     * never undefined. */
    memset(g->arena, 0, (size_t)total * sizeof(nn_real));
    nn_real *p = g->arena;
    for (int i = 0; i < g->nnode; i++) {
        nn_node *nd = &g->nodes[i];
        long s = round16((long)batch * nn_size(nd));
        nd->y = p;
        nd->dy = p + s;
        p += 2 * s;
        nd->aux = nd->naux ? p : NULL;
        p += round16(nd->naux);
    }
    return MTSI_OK;
}

void nn_graph_forward(nn_graph *g)
{
    for (int i = 0; i < g->nnode; i++)
        ops[g->nodes[i].kind]->forward(g, &g->nodes[i]);
}

void nn_graph_backward(nn_graph *g)
{
    int last = g->nnode - 1;
    for (int i = 0; i < last; i++) {
        nn_node *nd = &g->nodes[i];
        if (nd->kind == NN_GNORM && nd->fused)
            continue; /* written whole by the fused SiLU's backward */
        memset(nd->dy, 0, (size_t)g->batch * (size_t)nn_size(nd) * sizeof(nn_real));
    }
    for (int i = last; i >= 0; i--)
        ops[g->nodes[i].kind]->backward(g, &g->nodes[i]);
}

void nn_graph_release(nn_graph *g)
{
    free(g->nodes);
    free(g->param);
    free(g->grad);
    free(g->decay);
    free(g->arena);
    free(g->work);
    memset(g, 0, sizeof *g);
}
