/* Checkpoints (SPEC.md §5): one HDF5 group holding the architecture, the
 * weights and, when training, the EMA weights, the Adam moments, the
 * optimiser settings and the step, so that training resumes bit for bit.
 * Group layout (readable with h5py alone):
 *   attributes  format = "mtsi-nn/1", arch = "in=1,out=1,width=...",
 *               nparam, step, checksum (FNV-1a 64 of the stored arrays,
 *               hex), has_optimizer (0/1) and the optimiser settings
 *               lr, beta1, beta2, eps, weight_decay, clip, schedule
 *               ("constant" | "exponential" | "cosine"), warmup, total,
 *               gamma, lr_min, ema
 *   datasets    params [nparam] float32; ema, adam_m, adam_v [nparam].
 * HDF5 does not checksum raw data, so a flipped byte in the weights would
 * load silently; the checksum turns that into an error. */
#include "config.h"
#include "nn_internal.h"
#include "mtsi_cli.h"
#include "mtsi_err.h"
#include "mtsi_h5.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NN_FORMAT "mtsi-nn/1"

#ifdef MTSI_NN_DOUBLE
#define nn_h5_write mtsi_h5_write_double
#define nn_h5_read mtsi_h5_read_double
#else
#define nn_h5_write mtsi_h5_write_float
#define nn_h5_read mtsi_h5_read_float
#endif

static const char *const sched_names[] = {"constant", "exponential", "cosine"};

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static uint64_t checksum(const nn_real *p, const nn_real *m, const nn_real *v, const nn_real *e,
                         long n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    size_t b = (size_t)n * sizeof(nn_real);
    h = fnv1a(h, p, b);
    if (m) {
        h = fnv1a(h, e, b);
        h = fnv1a(h, m, b);
        h = fnv1a(h, v, b);
    }
    return h;
}

int mtsi_nn_arch_compare(const mtsi_nn_arch *want, const mtsi_nn_arch *got, const char *what)
{
    char a[512], b[512];
    mtsi_nn_arch_format(want, a, sizeof a);
    mtsi_nn_arch_format(got, b, sizeof b);
    if (strcmp(a, b))
        return mtsi_error_set(MTSI_EINVAL, "%s: the model has architecture %s, expected %s", what,
                              b, a);
    return MTSI_OK;
}

int mtsi_nn_save_h5(hid_t file, const char *group, const mtsi_nn_net *cnet, const mtsi_nn_opt *copt)
{
    mtsi_nn_net *net = (mtsi_nn_net *)cnet;
    mtsi_nn_opt *opt = (mtsi_nn_opt *)copt;
    int rc = mtsi_h5_group(file, group);
    if (rc)
        return rc;
    hid_t g = H5Gopen2(file, group, H5P_DEFAULT);
    if (g < 0)
        return mtsi_error_set(MTSI_EIO, "cannot open group '%s' for writing", group);
    long n = mtsi_nn_net_nparam(net);
    hsize_t dims[1] = {(hsize_t)n};
    char arch[512], sum[32];
    mtsi_nn_arch_format(mtsi_nn_net_arch(net), arch, sizeof arch);
    nn_opt_state st = {NULL, 0, NULL, NULL, NULL};
    if (opt)
        st = nn_opt_get_state(opt);
    const nn_real *p = mtsi_nn_net_params(net);
    snprintf(sum, sizeof sum, "%016" PRIx64, checksum(p, st.m, st.v, st.ema, n));
    rc = mtsi_h5_attr_set_string(g, "format", NN_FORMAT);
    rc = rc ? rc : mtsi_h5_attr_set_string(g, "arch", arch);
    rc = rc ? rc : mtsi_h5_attr_set_long(g, "nparam", n);
    rc = rc ? rc : mtsi_h5_attr_set_long(g, "step", opt ? *st.step : 0);
    rc = rc ? rc : mtsi_h5_attr_set_long(g, "has_optimizer", opt != NULL);
    rc = rc ? rc : mtsi_h5_attr_set_string(g, "checksum", sum);
    rc = rc ? rc : nn_h5_write(g, "params", 1, dims, p);
    if (opt && !rc) {
        const mtsi_nn_opt_config *c = mtsi_nn_opt_get_config(opt);
        rc = mtsi_h5_attr_set_double(g, "lr", c->lr);
        rc = rc ? rc : mtsi_h5_attr_set_double(g, "beta1", c->beta1);
        rc = rc ? rc : mtsi_h5_attr_set_double(g, "beta2", c->beta2);
        rc = rc ? rc : mtsi_h5_attr_set_double(g, "eps", c->eps);
        rc = rc ? rc : mtsi_h5_attr_set_double(g, "weight_decay", c->weight_decay);
        rc = rc ? rc : mtsi_h5_attr_set_double(g, "clip", c->clip);
        rc = rc ? rc : mtsi_h5_attr_set_string(g, "schedule", sched_names[c->schedule]);
        rc = rc ? rc : mtsi_h5_attr_set_long(g, "warmup", c->warmup);
        rc = rc ? rc : mtsi_h5_attr_set_long(g, "total", c->total);
        rc = rc ? rc : mtsi_h5_attr_set_double(g, "gamma", c->gamma);
        rc = rc ? rc : mtsi_h5_attr_set_double(g, "lr_min", c->lr_min);
        rc = rc ? rc : mtsi_h5_attr_set_double(g, "ema", c->ema);
        rc = rc ? rc : nn_h5_write(g, "ema", 1, dims, st.ema);
        rc = rc ? rc : nn_h5_write(g, "adam_m", 1, dims, st.m);
        rc = rc ? rc : nn_h5_write(g, "adam_v", 1, dims, st.v);
    }
    H5Gclose(g);
    return rc;
}

static int read_config(hid_t g, const char *what, mtsi_nn_opt_config *c)
{
    char s[32];
    mtsi_nn_opt_config_default(c);
    int rc = mtsi_h5_attr_get_double(g, "lr", &c->lr, what);
    rc = rc ? rc : mtsi_h5_attr_get_double(g, "beta1", &c->beta1, what);
    rc = rc ? rc : mtsi_h5_attr_get_double(g, "beta2", &c->beta2, what);
    rc = rc ? rc : mtsi_h5_attr_get_double(g, "eps", &c->eps, what);
    rc = rc ? rc : mtsi_h5_attr_get_double(g, "weight_decay", &c->weight_decay, what);
    rc = rc ? rc : mtsi_h5_attr_get_double(g, "clip", &c->clip, what);
    rc = rc ? rc : mtsi_h5_attr_get_string(g, "schedule", s, sizeof s, what);
    rc = rc ? rc : mtsi_h5_attr_get_long(g, "warmup", &c->warmup, what);
    rc = rc ? rc : mtsi_h5_attr_get_long(g, "total", &c->total, what);
    rc = rc ? rc : mtsi_h5_attr_get_double(g, "gamma", &c->gamma, what);
    rc = rc ? rc : mtsi_h5_attr_get_double(g, "lr_min", &c->lr_min, what);
    rc = rc ? rc : mtsi_h5_attr_get_double(g, "ema", &c->ema, what);
    if (rc)
        return rc;
    c->schedule = -1;
    for (int i = 0; i < 3; i++)
        if (!strcmp(s, sched_names[i]))
            c->schedule = i;
    if (c->schedule < 0)
        return mtsi_error_set(MTSI_EINVAL, "%s: unknown learning-rate schedule '%s'", what, s);
    if (mtsi_nn_opt_config_check(c)) {
        char m[512];
        snprintf(m, sizeof m, "%s", mtsi_error_msg());
        return mtsi_error_set(MTSI_EINVAL, "%s: bad stored %s", what, m);
    }
    return MTSI_OK;
}

static int load_group(hid_t g, const char *what, mtsi_nn_net **pnet, mtsi_nn_opt **popt)
{
    char fmt[64], arch_s[512];
    long nparam, step, has_opt;
    int rc = mtsi_h5_attr_get_string(g, "format", fmt, sizeof fmt, what);
    if (rc)
        return rc;
    if (strcmp(fmt, NN_FORMAT))
        return mtsi_error_set(MTSI_EINVAL, "%s: model format '%s' is not supported (expected '%s')",
                              what, fmt, NN_FORMAT);
    rc = mtsi_h5_attr_get_string(g, "arch", arch_s, sizeof arch_s, what);
    rc = rc ? rc : mtsi_h5_attr_get_long(g, "nparam", &nparam, what);
    rc = rc ? rc : mtsi_h5_attr_get_long(g, "step", &step, what);
    rc = rc ? rc : mtsi_h5_attr_get_long(g, "has_optimizer", &has_opt, what);
    if (rc)
        return rc;
    mtsi_nn_arch a;
    mtsi_nn_arch_default(&a);
    if (mtsi_nn_arch_parse(&a, arch_s)) {
        char m[512];
        snprintf(m, sizeof m, "%s", mtsi_error_msg());
        return mtsi_error_set(MTSI_EINVAL, "%s: bad stored %s", what, m);
    }
    mtsi_nn_net *net = mtsi_nn_net_new(&a, 0);
    if (!net)
        return mtsi_error_code();
    long n = mtsi_nn_net_nparam(net);
    mtsi_nn_opt *opt = NULL;
    char sum[32], want[32];
    nn_opt_state st = {NULL, 0, NULL, NULL, NULL};
    if (nparam != n) {
        rc = mtsi_error_set(MTSI_EINVAL,
                            "%s: the architecture %s has %ld parameters but the file says %ld "
                            "(mismatched shapes)",
                            what, arch_s, n, nparam);
        goto fail;
    }
    if (step < 0 || (has_opt != 0 && has_opt != 1)) {
        rc = mtsi_error_set(MTSI_EINVAL, "%s: bad step %ld or has_optimizer %ld", what, step,
                            has_opt);
        goto fail;
    }
    rc = nn_h5_read(g, "params", mtsi_nn_net_params(net), (size_t)n, what);
    if (rc)
        goto fail;
    if (has_opt) {
        mtsi_nn_opt_config c;
        rc = read_config(g, what, &c);
        if (rc)
            goto fail;
        opt = mtsi_nn_opt_new(&c, net);
        if (!opt) {
            rc = mtsi_error_code();
            goto fail;
        }
        st = nn_opt_get_state(opt);
        *st.step = step;
        rc = nn_h5_read(g, "ema", st.ema, (size_t)n, what);
        rc = rc ? rc : nn_h5_read(g, "adam_m", st.m, (size_t)n, what);
        rc = rc ? rc : nn_h5_read(g, "adam_v", st.v, (size_t)n, what);
        if (rc)
            goto fail;
    }
    rc = mtsi_h5_attr_get_string(g, "checksum", sum, sizeof sum, what);
    if (rc)
        goto fail;
    snprintf(want, sizeof want, "%016" PRIx64,
             checksum(mtsi_nn_net_params(net), st.m, st.v, st.ema, n));
    if (strcmp(sum, want)) {
        rc = mtsi_error_set(MTSI_EINVAL, "%s: checksum mismatch (stored %s, data %s): the file is "
                                         "corrupt",
                            what, sum, want);
        goto fail;
    }
    *pnet = net;
    if (popt)
        *popt = opt;
    else
        mtsi_nn_opt_free(opt);
    return MTSI_OK;
fail:
    mtsi_nn_opt_free(opt);
    mtsi_nn_net_free(net);
    return rc;
}

int mtsi_nn_load_h5(hid_t file, const char *group, const char *what, mtsi_nn_net **net,
                    mtsi_nn_opt **opt)
{
    *net = NULL;
    if (opt)
        *opt = NULL;
    if (!mtsi_h5_has(file, group))
        return mtsi_error_set(MTSI_EINVAL, "%s: no model group '%s' (not a model file?)", what,
                              group);
    hid_t g = H5Gopen2(file, group, H5P_DEFAULT);
    if (g < 0)
        return mtsi_error_set(MTSI_EINVAL, "%s: cannot open group '%s' (corrupt file?)", what,
                              group);
    int rc = load_group(g, what, net, opt);
    H5Gclose(g);
    return rc;
}

int mtsi_nn_save(const char *path, const mtsi_nn_net *net, const mtsi_nn_opt *opt)
{
    char *tmp = mtsi_out_tmpname(path);
    if (!tmp)
        return MTSI_ENOMEM;
    hid_t f = mtsi_h5_create(tmp);
    if (f < 0) {
        free(tmp);
        return mtsi_error_code();
    }
    int rc = mtsi_h5_attr_set_string(f, "kind", "model");
    rc = rc ? rc : mtsi_h5_attr_set_string(f, "mtsi_version", PACKAGE_VERSION);
    rc = rc ? rc : mtsi_nn_save_h5(f, "model", net, opt);
    if (H5Fclose(f) < 0 && !rc)
        rc = mtsi_error_set(MTSI_EIO, "cannot finish writing '%s'", path);
    if (!rc)
        rc = mtsi_out_commit(tmp, path);
    if (rc)
        unlink(tmp);
    free(tmp);
    return rc;
}

int mtsi_nn_load(const char *path, mtsi_nn_net **net, mtsi_nn_opt **opt)
{
    *net = NULL;
    if (opt)
        *opt = NULL;
    hid_t f = mtsi_h5_open(path);
    if (f < 0)
        return mtsi_error_code();
    char kind[64];
    int rc = MTSI_OK;
    if (mtsi_h5_has_attr(f, "kind")) {
        rc = mtsi_h5_attr_get_string(f, "kind", kind, sizeof kind, path);
        if (!rc && strcmp(kind, "model"))
            rc = mtsi_error_set(MTSI_EINVAL, "%s: not a model file (kind '%s')", path, kind);
    }
    if (!rc)
        rc = mtsi_nn_load_h5(f, "model", path, net, opt);
    H5Fclose(f);
    return rc;
}
