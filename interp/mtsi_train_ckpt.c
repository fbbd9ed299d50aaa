/* The training checkpoint (layout in mtsi_train.h): the model file is
 * rewritten atomically and holds everything a resumed run needs to repeat
 * the uninterrupted one bit for bit. */
#include "config.h"
#include "mtsi_train_internal.h"
#include "mtsi_cli.h"
#include "mtsi_err.h"
#include "mtsi_h5.h"

#include <inttypes.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* /train attribute source (and the data of the model) with a stream */
#define STREAM_SOURCE "stream-mcmc"

/* Datasets and groups without modification times, so that a resumed run
 * writes the same bytes as an uninterrupted one. */
static int write_ds(hid_t loc, const char *name, hid_t ftype, hid_t mtype, int rank,
                    const hsize_t *dims, const void *data)
{
    hid_t sp = H5Screate_simple(rank, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_obj_track_times(dcpl, 0);
    hid_t ds = H5Dcreate2(loc, name, ftype, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    int rc = MTSI_OK;
    if (ds < 0 || H5Dwrite(ds, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
        rc = mtsi_error_set(MTSI_EIO, "cannot write dataset /train/%s", name);
    if (ds >= 0)
        H5Dclose(ds);
    H5Pclose(dcpl);
    H5Sclose(sp);
    return rc;
}

/* A tilt's attributes PREFIX_h, PREFIX_a (with_a: the stream's, which
 * may have a quadratic term) and PREFIX_frac: absent without a tilt. */
static int write_tilt(hid_t g, const mtsi_train_cfg *c, const char *prefix, int with_a)
{
    if (c->tilt_h == 0 && c->tilt_a == 0)
        return MTSI_OK;
    char n[64];
    snprintf(n, sizeof n, "%s_h", prefix);
    int rc = mtsi_h5_attr_set_double(g, n, c->tilt_h);
    snprintf(n, sizeof n, "%s_a", prefix);
    if (!rc && with_a)
        rc = mtsi_h5_attr_set_double(g, n, c->tilt_a);
    snprintf(n, sizeof n, "%s_frac", prefix);
    return rc ? rc : mtsi_h5_attr_set_double(g, n, c->tilt_frac);
}

static int write_train_group(trainer *t, hid_t f, int complete)
{
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
    H5Pset_obj_track_times(gcpl, 0);
    hid_t g = H5Gcreate2(f, "train", H5P_DEFAULT, gcpl, H5P_DEFAULT);
    H5Pclose(gcpl);
    if (g < 0)
        return mtsi_error_set(MTSI_EIO, "cannot create group /train");
    int rc;
    const mtsi_train_cfg *c = &t->c;
    char nu[256], sum[32];
    mtsi_nu_format(&c->nu, nu, sizeof nu);
    snprintf(sum, sizeof sum, "%016" PRIx64, t->data_sum);
    rc = mtsi_h5_attr_set_string(g, "format", TRAIN_FORMAT);
    rc = rc ? rc : mtsi_h5_attr_set_long(g, "steps", c->steps);
    rc = rc ? rc : mtsi_h5_attr_set_long(g, "step", t->step);
    rc = rc ? rc : mtsi_h5_attr_set_long(g, "complete", complete);
    rc = rc ? rc : mtsi_h5_attr_set_long(g, "batch", c->batch);
    rc = rc ? rc : mtsi_h5_attr_set_long(g, "seed", (long)c->seed);
    rc = rc ? rc : mtsi_h5_attr_set_string(g, "nu", nu);
    for (int i = 0; i < MTSI_NU_NCOMP && !rc; i++) {
        char name[32];
        snprintf(name, sizeof name, "nu_%s", mtsi_nu_names[i]);
        rc = mtsi_h5_attr_set_double(g, name, c->nu.w[i]);
    }
    rc = rc ? rc : mtsi_h5_attr_set_long(g, "block", c->nu.block);
    rc = rc ? rc : mtsi_h5_attr_set_long(g, "augment", c->augment);
    if (strcmp(c->standardize, "none")) /* absent in files that predate it */
        rc = rc ? rc : mtsi_h5_attr_set_string(g, "standardize", c->standardize);
    rc = rc ? rc : mtsi_h5_attr_set_double(g, "val_frac", c->val_frac);
    if (c->zero_weight != 0) /* absent in files that predate it */
        rc = rc ? rc : mtsi_h5_attr_set_double(g, "zero_weight", c->zero_weight);
    if (c->alpha_weight != 0) /* absent in files that predate it */
        rc = rc ? rc : mtsi_h5_attr_set_double(g, "alpha_weight", c->alpha_weight);
    rc = rc ? rc : mtsi_h5_attr_set_long(g, "val_max", c->val_max);
    rc = rc ? rc : mtsi_h5_attr_set_long(g, "log_every", c->log_every);
    rc = rc ? rc : mtsi_h5_attr_set_long(g, "ckpt_every", c->ckpt_every);
    rc = rc ? rc : mtsi_h5_attr_set_long(g, "threads", omp_get_max_threads());
    rc = rc ? rc : mtsi_h5_attr_set_long(g, "ranks", t->size);
    rc = rc ? rc : mtsi_h5_attr_set_long(g, "n_train", t->n_train);
    rc = rc ? rc : mtsi_h5_attr_set_long(g, "n_val", t->n_val);
    rc = rc ? rc : mtsi_h5_attr_set_string(g, "data", c->stream ? STREAM_SOURCE : c->data);
    rc = rc ? rc : mtsi_h5_attr_set_long(g, "data_n", t->e.n);
    rc = rc ? rc : mtsi_h5_attr_set_string(g, "data_checksum", sum);
    rc = rc ? rc : mtsi_h5_attr_set_long(g, "cursor", t->cursor);
    rc = rc ? rc : mtsi_h5_attr_set_long(g, "epoch", t->epoch);
    rc = rc ? rc : mtsi_h5_attr_set_double(g, "loss_sum", t->loss_sum);
    rc = rc ? rc : mtsi_h5_attr_set_long(g, "loss_count", t->loss_count);
    rc = rc ? rc : mtsi_h5_attr_set_double(g, "rng_spare", t->rng.spare);
    rc = rc ? rc : mtsi_h5_attr_set_long(g, "rng_has_spare", t->rng.has_spare);
    if (!c->stream && !rc)
        rc = write_tilt(g, c, "data_tilt", 0);
    if (c->stream && !rc) { /* absent when training on an ensemble */
        rc = mtsi_h5_attr_set_string(g, "source", STREAM_SOURCE);
        rc = rc ? rc : mtsi_h5_attr_set_string(g, "stream_sampler", "cluster");
        rc = rc ? rc : mtsi_h5_attr_set_double(g, "stream_m2", c->m2);
        rc = rc ? rc : mtsi_h5_attr_set_double(g, "stream_lambda", c->lambda);
        rc = rc ? rc : mtsi_h5_attr_set_long(g, "stream_L", c->stream_L);
        rc = rc ? rc : mtsi_h5_attr_set_long(g, "stream_chains", c->stream_chains);
        rc = rc ? rc : mtsi_h5_attr_set_long(g, "stream_thin", c->stream_thin);
        rc = rc ? rc : mtsi_h5_attr_set_long(g, "stream_therm", c->stream_therm);
        rc = rc ? rc : mtsi_h5_attr_set_long(g, "val_n", c->val_n);
        rc = rc ? rc : write_tilt(g, c, "stream_tilt", 1);
        rc = rc ? rc : mtsi_h5_group(g, "chains");
        if (!rc) {
            hid_t gc = H5Gopen2(g, "chains", H5P_DEFAULT);
            if (gc < 0) {
                rc = mtsi_error_set(MTSI_EIO, "cannot open group /train/chains");
            } else {
                rc = mtsi_chain_table_write(gc, &t->chains);
                H5Gclose(gc);
            }
        }
    }
    hsize_t d1 = (hsize_t)t->n_train;
    rc = rc ? rc : write_ds(g, "order", H5T_STD_I64LE, H5T_NATIVE_LONG, 1, &d1, t->order);
    unsigned long long s[4];
    for (int i = 0; i < 4; i++)
        s[i] = t->rng.s[i];
    hsize_t d4 = 4;
    rc = rc ? rc : write_ds(g, "rng", H5T_STD_U64LE, H5T_NATIVE_ULLONG, 1, &d4, s);
    hsize_t dh[2] = {(hsize_t)t->nhist, HCOLS};
    double dummy = 0;
    rc = rc ? rc : write_ds(g, "history", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, dh,
                            t->hist ? t->hist : &dummy);
    if (!rc) {
        hid_t ds = H5Dopen2(g, "history", H5P_DEFAULT);
        if (ds < 0)
            rc = mtsi_error_set(MTSI_EIO, "cannot reopen /train/history");
        else {
            rc = mtsi_h5_attr_set_string(ds, "columns", "step,train_loss,val_loss,lr");
            H5Dclose(ds);
        }
    }
    H5Gclose(g);
    return rc;
}

int mtsi_train_write_checkpoint(trainer *t, int complete)
{
    char *tmp = mtsi_out_tmpname(t->c.out);
    if (!tmp)
        return mtsi_error_code() ? mtsi_error_code() : MTSI_ENOMEM;
    hid_t f = mtsi_h5_create(tmp);
    if (f < 0) {
        free(tmp);
        return mtsi_error_code();
    }
    mtsi_model_info info;
    memset(&info, 0, sizeof info);
    snprintf(info.model_type, sizeof info.model_type, "neural");
    mtsi_model_info_set_shape(&info, &t->shape);
    info.standardized = t->standardized;
    for (int c = 0; t->standardized && c < t->shape.channels; c++) {
        info.std_shift[c] = t->std_shift[c];
        info.std_scale[c] = t->std_scale[c];
    }
    info.chi = t->e.chi;
    info.kappa = t->e.kappa;
    info.gamma = t->e.gamma;
    info.field_h = t->e.field_h;
    info.quad_a = t->e.quad_a;
    snprintf(info.data, sizeof info.data, "%s", t->c.stream ? STREAM_SOURCE : t->c.data);
    int rc = mtsi_model_write_info(f, &info, t->cmdline ? t->cmdline : "");
    rc = rc ? rc : mtsi_nn_save_h5(f, "model", t->net, t->opt);
    rc = rc ? rc : write_train_group(t, f, complete);
    if (H5Fclose(f) < 0 && !rc)
        rc = mtsi_error_set(MTSI_EIO, "cannot finish writing '%s'", tmp);
    if (!rc)
        rc = mtsi_out_commit(tmp, t->c.out);
    if (rc)
        unlink(tmp);
    free(tmp);
    return rc;
}

/* ---- reading a checkpoint ----------------------------------------------- */

static int get_long(hid_t g, const char *name, long *v, const char *what)
{
    return mtsi_h5_attr_get_long(g, name, v, what);
}

/* Opens `path` as a training checkpoint: returns the file with *g the
 * /train group, or a negative id with one error message. */
static hid_t open_ckpt(const char *path, hid_t *g, mtsi_model_info *info, char *what, size_t nw)
{
    snprintf(what, nw, "model '%s'", path);
    if (mtsi_in_check(path))
        return -1;
    hid_t f = mtsi_h5_open(path);
    if (f < 0)
        return -1;
    int rc = mtsi_model_read_info(f, what, info);
    if (!rc && strcmp(info->model_type, "neural"))
        rc = mtsi_error_set(MTSI_EINVAL, "%s: a %s model is not a training checkpoint", what,
                            info->model_type);
    if (!rc && !mtsi_h5_has(f, "train"))
        rc = mtsi_error_set(MTSI_EINVAL, "%s: no /train group (not a training checkpoint)", what);
    *g = -1;
    if (!rc) {
        *g = H5Gopen2(f, "train", H5P_DEFAULT);
        if (*g < 0)
            rc = mtsi_error_set(MTSI_EINVAL, "%s: cannot open /train (corrupt file?)", what);
    }
    char fmt[64];
    if (!rc)
        rc = mtsi_h5_attr_get_string(*g, "format", fmt, sizeof fmt, what);
    if (!rc && strcmp(fmt, TRAIN_FORMAT))
        rc = mtsi_error_set(MTSI_EINVAL, "%s: training format '%s' is not supported (expected '%s')",
                            what, fmt, TRAIN_FORMAT);
    if (rc) {
        if (*g >= 0)
            H5Gclose(*g);
        H5Fclose(f);
        return -1;
    }
    return f;
}

/* The tilt written by write_tilt: none when every attribute is absent;
 * any present, all must be (a tilt half deleted is a corrupt file, not an
 * untilted one), in the ranges of mtsi_train_tilt_check. */
static int read_tilt(hid_t g, mtsi_train_cfg *c, const char *prefix, int with_a, const char *what)
{
    char nh[64], na[64], nf[64];
    snprintf(nh, sizeof nh, "%s_h", prefix);
    snprintf(na, sizeof na, "%s_a", prefix);
    snprintf(nf, sizeof nf, "%s_frac", prefix);
    c->tilt_h = c->tilt_a = c->tilt_frac = 0;
    if (!mtsi_h5_has_attr(g, nh) && !mtsi_h5_has_attr(g, nf) &&
        !(with_a && mtsi_h5_has_attr(g, na)))
        return MTSI_OK;
    int rc = mtsi_h5_attr_get_finite(g, nh, &c->tilt_h, what);
    if (!rc && with_a)
        rc = mtsi_h5_attr_get_finite(g, na, &c->tilt_a, what);
    rc = rc ? rc : mtsi_h5_attr_get_finite(g, nf, &c->tilt_frac, what);
    if (!rc && mtsi_train_tilt_check(prefix, c->tilt_h, c->tilt_a, c->tilt_frac)) {
        char m[512];
        snprintf(m, sizeof m, "%s", mtsi_error_msg());
        rc = mtsi_error_set(MTSI_EINVAL, "%s: %s (corrupt file?)", what, m);
    }
    return rc;
}

/* The settings of a stream (attribute source present). */
static int read_stream_cfg(hid_t g, mtsi_train_cfg *c, const char *what)
{
    char src[64], sampler[64];
    int rc = mtsi_h5_attr_get_string(g, "source", src, sizeof src, what);
    if (!rc && strcmp(src, STREAM_SOURCE))
        return mtsi_error_set(MTSI_EINVAL, "%s: unknown training source '%s' (expected '%s')",
                              what, src, STREAM_SOURCE);
    rc = rc ? rc : mtsi_h5_attr_get_string(g, "stream_sampler", sampler, sizeof sampler, what);
    if (!rc && strcmp(sampler, "cluster"))
        return mtsi_error_set(MTSI_EINVAL, "%s: unknown stream sampler '%s'", what, sampler);
    rc = rc ? rc : mtsi_h5_attr_get_finite(g, "stream_m2", &c->m2, what);
    rc = rc ? rc : mtsi_h5_attr_get_finite(g, "stream_lambda", &c->lambda, what);
    rc = rc ? rc : mtsi_h5_attr_get_long_range(g, "stream_L", 4, 4096, &c->stream_L, what);
    rc = rc ? rc : mtsi_h5_attr_get_long_range(g, "stream_chains", 1, 65536, &c->stream_chains,
                                               what);
    rc = rc ? rc : mtsi_h5_attr_get_long_range(g, "stream_thin", 1, 1L << 40, &c->stream_thin,
                                               what);
    rc = rc ? rc : mtsi_h5_attr_get_long_range(g, "stream_therm", 0, 1L << 40, &c->stream_therm,
                                               what);
    rc = rc ? rc : mtsi_h5_attr_get_long_range(g, "val_n", 0, 1L << 20, &c->val_n, what);
    rc = rc ? rc : read_tilt(g, c, "stream_tilt", 1, what);
    if (!rc) {
        c->stream = 1;
        c->data[0] = '\0';
    }
    return rc;
}

/* An optional loss weight: absent (files that predate it) reads as 0,
 * present it must be finite and in [lo, hi]. */
static int get_weight(hid_t g, const char *name, double lo, double hi, double *x,
                      const char *what)
{
    *x = 0;
    if (!mtsi_h5_has_attr(g, name))
        return MTSI_OK;
    int rc = mtsi_h5_attr_get_finite(g, name, x, what);
    if (!rc && !(*x >= lo && *x <= hi))
        rc = mtsi_error_set(MTSI_EINVAL, "%s: %s %g out of [%g, %g] (corrupt file?)", what, name,
                            *x, lo, hi);
    return rc;
}

int mtsi_train_read_cfg(const char *path, mtsi_train_cfg *c)
{
    char what[1100];
    mtsi_model_info info;
    hid_t g;
    hid_t f = open_ckpt(path, &g, &info, what, sizeof what);
    if (f < 0)
        return mtsi_error_code() ? mtsi_error_code() : MTSI_EINVAL;
    long seed = 0, augment = 0;
    int rc = get_long(g, "steps", &c->steps, what);
    rc = rc ? rc : get_long(g, "batch", &c->batch, what);
    rc = rc ? rc : get_long(g, "seed", &seed, what);
    for (int i = 0; i < MTSI_NU_NCOMP && !rc; i++) {
        char name[32];
        snprintf(name, sizeof name, "nu_%s", mtsi_nu_names[i]);
        rc = mtsi_h5_attr_get_double(g, name, &c->nu.w[i], what);
    }
    rc = rc ? rc : get_long(g, "block", &c->nu.block, what);
    rc = rc ? rc : get_long(g, "augment", &augment, what);
    rc = rc ? rc : mtsi_h5_attr_get_double(g, "val_frac", &c->val_frac, what);
    rc = rc ? rc : get_weight(g, "zero_weight", 0, 1e6, &c->zero_weight, what);
    rc = rc ? rc : get_weight(g, "alpha_weight", -2, 2, &c->alpha_weight, what);
    rc = rc ? rc : get_long(g, "val_max", &c->val_max, what);
    rc = rc ? rc : get_long(g, "log_every", &c->log_every, what);
    rc = rc ? rc : get_long(g, "ckpt_every", &c->ckpt_every, what);
    rc = rc ? rc : mtsi_h5_attr_get_string(g, "data", c->data, sizeof c->data, what);
    c->ranks = 1; /* absent in files that predate MPI training */
    if (!rc && mtsi_h5_has_attr(g, "ranks"))
        rc = get_long(g, "ranks", &c->ranks, what);
    if (!rc && c->ranks < 1)
        rc = mtsi_error_set(MTSI_EINVAL, "%s: bad /train attribute ranks %ld", what, c->ranks);
    snprintf(c->standardize, sizeof c->standardize, "none");
    if (!rc && mtsi_h5_has_attr(g, "standardize"))
        rc = mtsi_h5_attr_get_string(g, "standardize", c->standardize, sizeof c->standardize, what);
    rc = rc ? rc : read_tilt(g, c, "data_tilt", 0, what);
    c->tilt_auto = 0; /* a stored tilt (or none) is explicit */
    if (!rc && mtsi_h5_has_attr(g, "source"))
        rc = read_stream_cfg(g, c, what);
    c->seed = (uint64_t)seed;
    c->augment = (int)augment;
    H5Gclose(g);
    mtsi_nn_net *net = NULL;
    mtsi_nn_opt *opt = NULL;
    if (!rc)
        rc = mtsi_nn_load_h5(f, "model", what, &net, &opt);
    if (!rc && !opt)
        rc = mtsi_error_set(MTSI_EINVAL, "%s: no optimiser state in /model (not a training "
                                         "checkpoint)",
                            what);
    if (!rc) {
        c->opt = *mtsi_nn_opt_get_config(opt);
        mtsi_nn_arch_format(mtsi_nn_net_arch(net), c->arch, sizeof c->arch);
        const mtsi_nn_arch *na = mtsi_nn_net_arch(net);
        snprintf(c->base, sizeof c->base, "%s",
                 !na->base ? "none" : na->gzero > 0 ? "gauss-zero" : "gauss");
    }
    mtsi_nn_opt_free(opt);
    mtsi_nn_net_free(net);
    H5Fclose(f);
    return rc;
}

int mtsi_train_read_history(const char *path, double **hist, long *n)
{
    *hist = NULL;
    *n = 0;
    char what[1100];
    mtsi_model_info info;
    hid_t g;
    hid_t f = open_ckpt(path, &g, &info, what, sizeof what);
    if (f < 0)
        return mtsi_error_code() ? mtsi_error_code() : MTSI_EINVAL;
    hsize_t dims[2];
    int rank = mtsi_h5_shape(g, "history", dims, 2, what);
    int rc = MTSI_OK;
    if (rank != 2 || dims[1] != HCOLS)
        rc = mtsi_error_set(MTSI_EINVAL, "%s: /train/history is not an [n, %d] array", what, HCOLS);
    if (!rc) {
        *hist = malloc((size_t)(dims[0] * HCOLS + 1) * sizeof(double));
        if (!*hist)
            rc = mtsi_error_set(MTSI_ENOMEM, "out of memory for the history of %s", what);
        else if (dims[0] > 0)
            rc = mtsi_h5_read_double(g, "history", *hist, (size_t)(dims[0] * HCOLS), what);
        *n = (long)dims[0];
    }
    if (rc) {
        free(*hist);
        *hist = NULL;
        *n = 0;
    }
    H5Gclose(g);
    H5Fclose(f);
    return rc;
}

#define DIFF(cond, ...)                                                                            \
    do {                                                                                           \
        if (cond)                                                                                  \
            return mtsi_error_set(MTSI_EINVAL, __VA_ARGS__);                                       \
    } while (0)

int mtsi_train_compare_settings(const mtsi_train_cfg *s, const mtsi_train_cfg *c, const char *what)
{
    const char *tail = "resume with the original settings";
    DIFF(s->stream != c->stream, "%s: %s differs from the checkpoint's %s; %s", what,
         c->stream ? "--stream-mcmc" : "--data", s->stream ? "--stream-mcmc" : "--data", tail);
    if (s->stream) {
        DIFF(s->m2 != c->m2, "%s: --m2 %g differs from the checkpoint's %g; %s", what, c->m2,
             s->m2, tail);
        DIFF(s->lambda != c->lambda, "%s: --lambda %g differs from the checkpoint's %g; %s", what,
             c->lambda, s->lambda, tail);
        DIFF(s->stream_L != c->stream_L, "%s: --L %ld differs from the checkpoint's %ld; %s", what,
             c->stream_L, s->stream_L, tail);
        DIFF(s->stream_chains != c->stream_chains,
             "%s: --stream-chains %ld differs from the checkpoint's %ld; %s", what,
             c->stream_chains, s->stream_chains, tail);
        DIFF(s->stream_thin != c->stream_thin,
             "%s: --stream-thin %ld differs from the checkpoint's %ld; %s", what, c->stream_thin,
             s->stream_thin, tail);
        DIFF(s->stream_therm != c->stream_therm,
             "%s: --stream-therm %ld differs from the checkpoint's %ld; %s", what,
             c->stream_therm, s->stream_therm, tail);
        DIFF(s->val_n != c->val_n, "%s: --val-n %ld differs from the checkpoint's %ld; %s", what,
             c->val_n, s->val_n, tail);
    }
    /* an automatic tilt is compared once chosen from the data */
    DIFF(!c->tilt_auto &&
             (s->tilt_h != c->tilt_h || s->tilt_a != c->tilt_a || s->tilt_frac != c->tilt_frac),
         "%s: --tilt h=%g,A=%g,frac=%g differs from the checkpoint's h=%g,A=%g,frac=%g; %s", what,
         c->tilt_h, c->tilt_a, c->tilt_frac, s->tilt_h, s->tilt_a, s->tilt_frac, tail);
    DIFF(s->batch != c->batch, "%s: --batch %ld differs from the checkpoint's %ld; %s", what,
         c->batch, s->batch, tail);
    DIFF(s->seed != c->seed, "%s: --seed %" PRIu64 " differs from the checkpoint's %" PRIu64 "; %s",
         what, c->seed, s->seed, tail);
    char a[256], b[256];
    mtsi_nu_format(&c->nu, a, sizeof a);
    mtsi_nu_format(&s->nu, b, sizeof b);
    DIFF(strcmp(a, b), "%s: --nu %s differs from the checkpoint's %s; %s", what, a, b, tail);
    DIFF(s->nu.block != c->nu.block, "%s: --block %ld differs from the checkpoint's %ld; %s", what,
         c->nu.block, s->nu.block, tail);
    DIFF(strcmp(s->standardize, c->standardize),
         "%s: --standardize %s differs from the checkpoint's %s; %s", what, c->standardize,
         s->standardize, tail);
    DIFF(strcmp(s->base, c->base), "%s: --base %s differs from the checkpoint's %s; %s", what,
         c->base, s->base, tail);
    DIFF(s->augment != c->augment, "%s: augmentation %s differs from the checkpoint's; %s", what,
         c->augment ? "on" : "off", tail);
    DIFF(s->zero_weight != c->zero_weight,
         "%s: --zero-weight %g differs from the checkpoint's %g; %s", what, c->zero_weight,
         s->zero_weight, tail);
    DIFF(s->alpha_weight != c->alpha_weight,
         "%s: --alpha-weight %g differs from the checkpoint's %g; %s", what, c->alpha_weight,
         s->alpha_weight, tail);
    DIFF(s->val_frac != c->val_frac, "%s: --val-frac %g differs from the checkpoint's %g; %s",
         what, c->val_frac, s->val_frac, tail);
    DIFF(s->val_max != c->val_max, "%s: val_max %ld differs from the checkpoint's %ld; %s", what,
         c->val_max, s->val_max, tail);
    DIFF(s->log_every != c->log_every, "%s: --log-every %ld differs from the checkpoint's %ld; %s",
         what, c->log_every, s->log_every, tail);
    /* not opt.total: the cosine's end is --steps (setup), which may change */
    const mtsi_nn_opt_config *x = &c->opt, *y = &s->opt;
    DIFF(x->lr != y->lr, "%s: --lr %g differs from the checkpoint's %g; %s", what, x->lr, y->lr,
         tail);
    DIFF(x->schedule != y->schedule, "%s: --schedule differs from the checkpoint's; %s", what,
         tail);
    DIFF(x->warmup != y->warmup, "%s: --warmup %ld differs from the checkpoint's %ld; %s", what,
         x->warmup, y->warmup, tail);
    DIFF(x->clip != y->clip, "%s: --clip %g differs from the checkpoint's %g; %s", what, x->clip,
         y->clip, tail);
    DIFF(x->weight_decay != y->weight_decay, "%s: --wd %g differs from the checkpoint's %g; %s",
         what, x->weight_decay, y->weight_decay, tail);
    DIFF(x->ema != y->ema, "%s: --ema %g differs from the checkpoint's %g; %s", what, x->ema,
         y->ema, tail);
    DIFF(x->beta1 != y->beta1 || x->beta2 != y->beta2 || x->eps != y->eps ||
             x->gamma != y->gamma || x->lr_min != y->lr_min,
         "%s: optimiser settings differ from the checkpoint's; %s", what, tail);
    return MTSI_OK;
}

/* The stream's chains from /train/chains: the whole table validated (it
 * is every rank's), this rank's rows restored; the samples they gave must
 * be this rank's share of `step` steps. */
static int load_chains(trainer *t, hid_t g, long step, const char *what)
{
    const long P = t->c.stream_chains;
    if (!mtsi_h5_has(g, "chains"))
        return mtsi_error_set(MTSI_EINVAL, "%s: no /train/chains (the stream's chains)", what);
    hid_t gc = H5Gopen2(g, "chains", H5P_DEFAULT);
    if (gc < 0)
        return mtsi_error_set(MTSI_EINVAL, "%s: cannot open /train/chains (corrupt file?)", what);
    char w[1200];
    snprintf(w, sizeof w, "%s, /train/chains", what);
    mtsi_chain_table all;
    int rc = mtsi_chain_table_alloc(&all, P, t->V);
    rc = rc ? rc : mtsi_chain_table_read(gc, &all, 1, w);
    H5Gclose(gc);
    /* every rank's block must be consistent, then this rank's is restored */
    for (long r0 = 0; !rc && r0 < P; r0 += t->nchain) {
        rc = mtsi_stream_restore(t->stream, &all, r0, w);
        if (!rc && mtsi_stream_drawn(t->stream) != step * t->blocal)
            rc = mtsi_error_set(MTSI_EINVAL, "%s: chains %ld to %ld gave %ld configurations, but "
                                             "%ld steps take %ld (corrupt checkpoint; start over "
                                             "with --force)",
                                w, r0, r0 + t->nchain - 1, mtsi_stream_drawn(t->stream), step,
                                step * t->blocal);
    }
    if (!rc)
        rc = mtsi_stream_restore(t->stream, &all, t->chain0, w);
    mtsi_chain_table_free(&all);
    return rc;
}

int mtsi_train_load_state(trainer *t, const char *what)
{
    mtsi_model_info info;
    hid_t g;
    char w2[1100];
    hid_t f = open_ckpt(t->c.out, &g, &info, w2, sizeof w2);
    if (f < 0)
        return mtsi_error_code() ? mtsi_error_code() : MTSI_EINVAL;
    long step, steps, n_train, n_val, data_n, cursor, epoch, cnt, has_spare;
    char sum[32], want[32], cmd[8192];
    unsigned long long s[4];
    int rc = get_long(g, "step", &step, what);
    rc = rc ? rc : get_long(g, "steps", &steps, what);
    rc = rc ? rc : get_long(g, "n_train", &n_train, what);
    rc = rc ? rc : get_long(g, "n_val", &n_val, what);
    rc = rc ? rc : get_long(g, "data_n", &data_n, what);
    rc = rc ? rc : mtsi_h5_attr_get_string(g, "data_checksum", sum, sizeof sum, what);
    rc = rc ? rc : get_long(g, "cursor", &cursor, what);
    rc = rc ? rc : get_long(g, "epoch", &epoch, what);
    rc = rc ? rc : mtsi_h5_attr_get_double(g, "loss_sum", &t->loss_sum, what);
    rc = rc ? rc : get_long(g, "loss_count", &cnt, what);
    rc = rc ? rc : mtsi_h5_attr_get_double(g, "rng_spare", &t->rng.spare, what);
    rc = rc ? rc : get_long(g, "rng_has_spare", &has_spare, what);
    snprintf(want, sizeof want, "%016" PRIx64, t->data_sum);
    if (!rc) {
        char dw[600];
        snprintf(dw, sizeof dw, "the data '%s'", t->c.data);
        rc = mtsi_shape_require(&info.shape, what, &t->shape, dw);
    }
    if (!rc && t->stream && (data_n != 0 || n_train != 0 || n_val != t->n_val))
        rc = mtsi_error_set(MTSI_EINVAL, "%s: bad stream state (data_n %ld, n_train %ld, n_val %ld; "
                                         "expected 0, 0, %ld)",
                            what, data_n, n_train, n_val, t->n_val);
    if (!rc && !t->stream && (data_n != t->e.n || strcmp(sum, want) || n_train != t->n_train ||
                              n_val != t->n_val))
        rc = mtsi_error_set(MTSI_EINVAL, "%s: the data '%s' are not the ensemble it was trained on "
                                         "(%ld configurations, checksum %s; the checkpoint has %ld, %s)",
                            what, t->c.data, t->e.n, want, data_n, sum);
    if (!rc && (step < 0 || cursor < 0 || cursor > n_train || cnt < 0 || epoch < 0))
        rc = mtsi_error_set(MTSI_EINVAL, "%s: bad training state (step %ld, cursor %ld)", what,
                            step, cursor);
    if (!rc && step >= t->c.steps)
        rc = mtsi_error_set(MTSI_EINVAL, "%s: already trained for %ld steps; give --steps larger "
                                         "than %ld to continue",
                            what, step, step);
    if (!rc && t->n_train > 0)
        rc = mtsi_h5_read_long(g, "order", t->order, (size_t)t->n_train, what);
    if (!rc && t->stream)
        rc = load_chains(t, g, step, what);
    if (!rc) {
        /* a permutation, or a corrupt file would index out of the data */
        char *seen = calloc((size_t)t->n_train, 1);
        if (!seen)
            rc = mtsi_error_set(MTSI_ENOMEM, "out of memory");
        for (long i = 0; !rc && i < t->n_train; i++) {
            long k = t->order[i];
            if (k < 0 || k >= t->n_train || seen[k])
                rc = mtsi_error_set(MTSI_EINVAL, "%s: /train/order is not a permutation", what);
            else
                seen[k] = 1;
        }
        free(seen);
    }
    if (!rc)
        rc = mtsi_h5_read_u64(g, "rng", s, 4, what);
    hsize_t dims[2];
    if (!rc && (mtsi_h5_shape(g, "history", dims, 2, what) != 2 || dims[1] != HCOLS))
        rc = mtsi_error_set(MTSI_EINVAL, "%s: /train/history is not an [n, %d] array", what, HCOLS);
    if (!rc && dims[0] > 0) {
        t->caphist = (long)dims[0] + 64;
        t->hist = malloc((size_t)(t->caphist * HCOLS) * sizeof(double));
        if (!t->hist)
            rc = mtsi_error_set(MTSI_ENOMEM, "out of memory for the history");
        else
            rc = mtsi_h5_read_double(g, "history", t->hist, (size_t)(dims[0] * HCOLS), what);
        t->nhist = (long)dims[0];
    }
    H5Gclose(g);
    mtsi_nn_net *net = NULL;
    mtsi_nn_opt *opt = NULL;
    if (!rc)
        rc = mtsi_nn_load_h5(f, "model", what, &net, &opt);
    if (!rc && !opt)
        rc = mtsi_error_set(MTSI_EINVAL, "%s: no optimiser state in /model", what);
    if (!rc)
        rc = mtsi_nn_arch_compare(&t->arch, mtsi_nn_net_arch(net), what);
    if (!rc && mtsi_nn_opt_steps(opt) != step)
        rc = mtsi_error_set(MTSI_EINVAL, "%s: optimiser at step %ld, training at step %ld", what,
                            mtsi_nn_opt_steps(opt), step);
    /* the settings agree with the file's (compare_settings) but for the
     * cosine's end, which follows --steps */
    if (!rc)
        rc = mtsi_nn_opt_set_config(opt, &t->c.opt);
    if (!rc && mtsi_h5_has_attr(f, "command_line") &&
        mtsi_h5_attr_get_string(f, "command_line", cmd, sizeof cmd, what) == MTSI_OK) {
        /* keep the original command: a resumed file equals an uninterrupted one */
        free(t->cmdline);
        t->cmdline = strdup(cmd);
    }
    H5Fclose(f);
    if (rc) {
        mtsi_nn_opt_free(opt);
        mtsi_nn_net_free(net);
        return rc;
    }
    rc = mtsi_nn_net_plan(net, (int)t->blocal, t->h, t->w);
    if (rc) {
        mtsi_nn_opt_free(opt);
        mtsi_nn_net_free(net);
        return rc;
    }
    mtsi_nn_net_free(t->net);
    mtsi_nn_opt_free(t->opt);
    t->net = net;
    t->opt = opt;
    t->step = step;
    t->cursor = cursor;
    t->epoch = epoch;
    t->loss_count = cnt;
    for (int i = 0; i < 4; i++)
        t->rng.s[i] = s[i];
    t->rng.has_spare = (int)has_spare;
    return MTSI_OK;
}

