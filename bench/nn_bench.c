/* Throughput of the mtsi drift network for bench/nn-vs-torch: training
 * (forward + backward + AdamW) and inference samples per second on random
 * data, and the process's peak resident memory. One line of key=value. */
#include "config.h"
#include "mtsi_blas.h"
#include "mtsi_cli.h"
#include "mtsi_err.h"
#include "mtsi_nn.h"
#include "mtsi_rng.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static double run(int train, mtsi_nn_net *net, mtsi_nn_opt *o, int steps, float *x, float *al,
                  float *y, float *dy, long n)
{
    double t0 = mtsi_wtime();
    for (int s = 0; s < steps; s++) {
        if (mtsi_nn_net_forward(net, x, al, NULL, y))
            return -1;
        if (!train)
            continue;
        for (long i = 0; i < n; i++)
            dy[i] = 2 * (y[i] - x[i]) / (float)n;
        if (mtsi_nn_net_backward(net, dy, 0, NULL, NULL, NULL) || mtsi_nn_opt_step(o, net, NULL))
            return -1;
    }
    return mtsi_wtime() - t0;
}

int main(int argc, char **argv)
{
    mtsi_blas_select_core(argv);
    const char *spec = "width=32,mult=1-2-2,groups=8";
    long batch = 32, h = 32, w = 32, steps = 5, isteps = 10, repeat = 3;
    for (int i = 1; i + 1 < argc; i += 2) {
        int rc = MTSI_OK;
        if (!strcmp(argv[i], "--arch"))
            spec = argv[i + 1];
        else if (!strcmp(argv[i], "--batch"))
            rc = mtsi_parse_long_range(argv[i], argv[i + 1], 1, 1 << 20, &batch);
        else if (!strcmp(argv[i], "--size"))
            rc = mtsi_parse_long_range(argv[i], argv[i + 1], 1, 1 << 14, &h), w = h;
        else if (!strcmp(argv[i], "--steps"))
            rc = mtsi_parse_long_range(argv[i], argv[i + 1], 1, 1 << 20, &steps);
        else if (!strcmp(argv[i], "--repeat"))
            rc = mtsi_parse_long_range(argv[i], argv[i + 1], 1, 1000, &repeat);
        else if (!strcmp(argv[i], "--infer-steps"))
            rc = mtsi_parse_long_range(argv[i], argv[i + 1], 1, 1 << 20, &isteps);
        else
            rc = mtsi_error_set(MTSI_EINVAL, "unknown option '%s'", argv[i]);
        if (rc) {
            fprintf(stderr, "nn_bench: %s\n", mtsi_error_msg());
            return 2;
        }
    }
    mtsi_nn_arch a;
    mtsi_nn_arch_default(&a);
    mtsi_nn_opt_config c;
    mtsi_nn_opt_config_default(&c);
    mtsi_nn_net *net = NULL;
    mtsi_nn_opt *o = NULL;
    if (mtsi_nn_arch_parse(&a, spec) || !(net = mtsi_nn_net_new(&a, 1)) ||
        mtsi_nn_net_plan(net, (int)batch, (int)h, (int)w) || !(o = mtsi_nn_opt_new(&c, net))) {
        fprintf(stderr, "nn_bench: %s\n", mtsi_error_msg());
        return 2;
    }
    long n = batch * h * w;
    float *x = malloc(n * sizeof *x), *al = malloc(n * sizeof *al), *y = malloc(n * sizeof *y),
          *dy = malloc(n * sizeof *dy);
    mtsi_rng r;
    mtsi_rng_seed(&r, 1, 0);
    mtsi_rng_normal_fillf(&r, x, n);
    for (long i = 0; i < n; i++)
        al[i] = (float)mtsi_rng_uniform(&r);
    /* One warm-up step of each, then the best of `repeat` timed runs: the
     * machine is shared, and the minimum time is the least disturbed. */
    run(1, net, o, 1, x, al, y, dy, n);
    run(0, net, o, 1, x, al, y, dy, n);
    double tt = 1e300, ti = 1e300;
    for (long k = 0; k < repeat; k++) {
        double a = run(1, net, o, (int)steps, x, al, y, dy, n);
        double b = run(0, net, o, (int)isteps, x, al, y, dy, n);
        if (a < 0 || b < 0) {
            tt = -1;
            break;
        }
        tt = a < tt ? a : tt;
        ti = b < ti ? b : ti;
    }
    if (tt < 0) {
        fprintf(stderr, "nn_bench: %s\n", mtsi_error_msg());
        return 1;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("nparam=%ld train_sps=%.2f infer_sps=%.2f peak_mb=%.1f\n", mtsi_nn_net_nparam(net),
           batch * steps / tt, batch * isteps / ti, ru.ru_maxrss / 1024.0);
    free(x), free(al), free(y), free(dy);
    mtsi_nn_opt_free(o);
    mtsi_nn_net_free(net);
    return 0;
}
