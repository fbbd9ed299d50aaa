/* Private to lib/nn: the computation graph and its layer kinds.
 *
 * A graph is a list of nodes in topological order. Each node owns its
 * output y and the gradient dy of the loss with respect to y (both
 * batch×c×h×w, allocated at plan time) and a slice [poff, poff+np) of the
 * flat parameter and gradient vectors. Each layer kind lives in one file
 * with its shape rule, initialisation, forward and backward side by side;
 * backward *adds* into the dy of its inputs and into the gradient vector. */
#ifndef MTSI_NN_INTERNAL_H
#define MTSI_NN_INTERNAL_H

#include "mtsi_nn.h"
#include "mtsi_rng.h"

#include <cblas.h>
#include <math.h>
#include <stddef.h>

typedef mtsi_nn_real nn_real;

#ifdef MTSI_NN_DOUBLE
#define NN_GEMM cblas_dgemm
#define NN_GEMV cblas_dgemv
#define NN_EXP exp
#define NN_SQRT sqrt
#else
#define NN_GEMM cblas_sgemm
#define NN_GEMV cblas_sgemv
#define NN_EXP expf
#define NN_SQRT sqrtf
#endif

/* The logistic function σ(x) = 1 / (1 + e^(−x)). In float, with an exp
 * written so that loops over it vectorise (range reduction by ln 2, the
 * Cephes degree-6 polynomial, 2^n from the exponent bits; about 2 ulp,
 * and the same bits whatever the vector width); in double, libm's exp. */
#ifdef MTSI_NN_DOUBLE
static inline double nn_sigmoid(double x) { return 1 / (1 + exp(-x)); }
#else
static inline float nn_sigmoid(float x)
{
    float z = -x;
    z = z < -87.0f ? -87.0f : z > 88.0f ? 88.0f : z;
    float fn = (z * 1.44269504f + 12582912.0f) - 12582912.0f;
    float r = z - fn * 0.693359375f;
    r = r + fn * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    int32_t bits = ((int32_t)fn + 127) << 23;
    float scale;
    __builtin_memcpy(&scale, &bits, sizeof scale);
    return 1 / (1 + p * scale);
}
#endif

/* Loops over tensors compiled for the vector units the machine has, the
 * variant picked when the library is loaded. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) &&      \
    !defined(__SANITIZE_ADDRESS__)
#define NN_SIMD __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define NN_SIMD
#endif

enum {
    NN_INPUT,    /* filled by the caller */
    NN_CONV,     /* kh×kw convolution, circular or zero padding, bias */
    NN_LINEAR,   /* dense layer on c×1×1 vectors */
    NN_SILU,     /* x·σ(x) */
    NN_GNORM,    /* GroupNorm, optional per-sample scale/shift input */
    NN_POOL,     /* average pooling by fh×fw */
    NN_UP,       /* nearest-neighbour upsampling by fh×fw */
    NN_CONCAT,   /* channel concatenation of two inputs */
    NN_ADD,      /* sum of two inputs of equal shape (residual) */
    NN_NKIND
};

typedef struct nn_graph nn_graph;
typedef struct nn_node nn_node;

struct nn_node {
    int kind;
    int in[2];          /* input node indices, -1 when absent */
    int c, h, w;        /* output shape per sample (h, w set at plan) */
    int vec;            /* input node: a vector (h = w = 1 whatever the plan) */
    int cin;            /* conv/linear: input channels; gnorm: channels */
    int kh, kw, pad;    /* conv */
    int groups;         /* gnorm */
    int fh, fw;         /* pool/up factors; pool 0: 2 on each axis > 1 */
    int ref;            /* up: node whose h×w is the target, -1: use fh, fw */
    int fused;          /* silu: computed by its group-norm input (the only
                         * consumer of that node); gnorm: feeds such a silu */
    int wino;           /* conv: Winograd F(4×4,3×3) chunk of tiles (0: im2col) */
    int wvalid;         /* conv: the transformed weights in aux are current */
    long poff, np;      /* parameters */
    long nw;            /* leading parameters subject to weight decay */
    long ws;            /* per-thread scratch (elements) needed */
    nn_real *y, *dy;    /* batch × c × h × w */
    nn_real *aux;       /* gnorm: mean and rstd per (sample, group) */
    long naux;
};

typedef struct {
    const char *name;
    /* Output shape from the inputs (plan time); sets c, h, w, ws, naux and
     * returns an mtsi_status naming a bad value. */
    int (*shape)(nn_graph *g, nn_node *nd);
    /* Parameter initialisation (NULL: no parameters). */
    void (*init)(nn_graph *g, nn_node *nd, mtsi_rng *r);
    void (*forward)(nn_graph *g, nn_node *nd);
    void (*backward)(nn_graph *g, nn_node *nd);
} nn_op;

extern const nn_op nn_op_input, nn_op_conv, nn_op_linear, nn_op_silu, nn_op_gnorm, nn_op_pool,
    nn_op_up, nn_op_concat, nn_op_add;

struct nn_graph {
    int nnode, cap;
    nn_node *nodes;
    long nparam;
    nn_real *param, *grad;
    unsigned char *decay;
    /* plan */
    int batch, h, w, nthreads;
    long par_min;         /* 0: NN_PAR_MIN */
    int wino;             /* 3×3 convolutions: 0 auto, 1 always Winograd,
                           * -1 never (tests compare the two paths) */
    long wsize;           /* scratch per thread */
    nn_real *work;        /* nthreads × wsize */
    nn_real *arena;       /* every y, dy, aux */
};

/* Building (parameters are allocated by nn_graph_finish). Each returns the
 * new node's index or -1 (error set). */
int nn_graph_input(nn_graph *g, int c, int vec);
int nn_graph_conv(nn_graph *g, int in, int cout, int kh, int kw, int pad);
int nn_graph_linear(nn_graph *g, int in, int cout);
int nn_graph_unary(nn_graph *g, int kind, int in);
int nn_graph_gnorm(nn_graph *g, int in, int groups, int cond);
int nn_graph_resize(nn_graph *g, int kind, int in, int fh, int fw);
int nn_graph_binary(nn_graph *g, int kind, int a, int b);

/* Allocate the parameter/gradient vectors and initialise from seed. */
int nn_graph_finish(nn_graph *g, uint64_t seed);
/* Shapes for batch×h×w inputs and every buffer. */
int nn_graph_plan(nn_graph *g, int batch, int h, int w);
void nn_graph_forward(nn_graph *g);
/* dy of the last node must have been filled; every other dy is zeroed
 * here first. */
void nn_graph_backward(nn_graph *g);
void nn_graph_release(nn_graph *g);

/* The graph inside a net (tests build single layers the same way). */
nn_graph *nn_net_graph(mtsi_nn_net *net);

/* Optimiser state, for the checkpoint reader and writer. */
typedef struct {
    long *step;
    long n;
    nn_real *m, *v, *ema;
} nn_opt_state;
nn_opt_state nn_opt_get_state(mtsi_nn_opt *o);

static inline nn_node *nn_in(nn_graph *g, nn_node *nd, int k) { return &g->nodes[nd->in[k]]; }
static inline long nn_size(const nn_node *nd) { return (long)nd->c * nd->h * nd->w; }
/* Threads for a loop of about `work` element operations: one below a
 * threshold, since waking a team costs more than tiny layers take. */
#define NN_PAR_MIN 32768L
static inline int nn_threads(const nn_graph *g, long work)
{
    long lim = g->par_min ? g->par_min : NN_PAR_MIN; /* tests: -1 forces threads */
    return work < lim ? 1 : g->nthreads;
}

/* Samples [lo, hi) of thread t out of nt: a fixed split, so per-thread
 * partial sums (and hence results) do not depend on scheduling. */
static inline void nn_split(int n, int t, int nt, int *lo, int *hi)
{
    *lo = (int)((long)n * t / nt);
    *hi = (int)((long)n * (t + 1) / nt);
}

#endif
