/* fuzz_gen: structure-aware corruption of an HDF5 file for the fuzz suite.
 *
 *   fuzz_gen IN.h5 OUTDIR PREFIX [NAME:CLASS ...]
 *
 * Writes mutants of IN.h5 to OUTDIR/PREFIX-<n>.h5 and prints one line per
 * mutant on stdout: "<file> <expect> <description>", where expect is
 *   must  every reader must refuse it (exit 2),
 *   any   a reader may accept or refuse it (exit 0 or 2),
 *   ok    every reader must accept it.
 * Mutations: each attribute (of every object) removed, retyped to a string,
 * a variable-length string, NaN, inf, -1, 1e300, 8.7, a 2-element array;
 * (an attribute not named below: string and NaN only);
 * each dataset retyped to int32, grown, shrunk, rank dropped, given a huge
 * declared shape (no storage: the file stays small), a NaN, emptied,
 * removed (a dataset not named below: int32, grown, huge, NaN only); the
 * file truncated at 12 offsets; 8 files with random bytes.
 * NAME:CLASS marks the attributes and datasets a reader depends on:
 *   NAME:i an integer attribute (every change but vlen is "must"),
 *   NAME:d a real attribute (removed, string, NaN, inf, array: "must"),
 *   NAME:s a string attribute (removed, number, array, "x": "must";
 *          the same value as a vlen string: "ok"),
 *   NAME:D a dataset (all but shrink: "must").
 * Deterministic: the same input gives the same mutants.
 *
 *   fuzz_gen --make-mask L FILE [V [int]]  a mask with site 0 = V (default
 *                                     1; uint8 for 0/1, else float64, or
 *                                     int32 with "int")
 *   fuzz_gen --make-path T L FILE     a valid alpha path */
#include <hdf5.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAXOBJ 64

static char *objs[MAXOBJ]; /* "/" and every group/dataset path */
static int isds[MAXOBJ];
static int nobj;
static const char *in_path, *outdir, *prefix;
static int nmut;
static char **crit;
static int ncrit;

static herr_t visit(hid_t o, const char *name, const H5O_info_t *info, void *op)
{
    (void)o;
    (void)op;
    if (nobj >= MAXOBJ)
        return 0;
    if (info->type != H5O_TYPE_GROUP && info->type != H5O_TYPE_DATASET)
        return 0;
    size_t n = strlen(name) + 2;
    objs[nobj] = malloc(n);
    if (!strcmp(name, "."))
        snprintf(objs[nobj], n, "/");
    else
        snprintf(objs[nobj], n, "/%s", name);
    isds[nobj] = info->type == H5O_TYPE_DATASET;
    nobj++;
    return 0;
}

/* class of NAME (the last path component) in the critical list, or 0 */
static char crit_class(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    for (int i = 0; i < ncrit; i++) {
        const char *c = strchr(crit[i], ':');
        if (c && (size_t)(c - crit[i]) == strlen(base) && !strncmp(crit[i], base, strlen(base)))
            return c[1];
    }
    return 0;
}

static int copy_file(const char *dst)
{
    FILE *a = fopen(in_path, "rb"), *b = fopen(dst, "wb");
    if (!a || !b)
        return -1;
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, a)) > 0)
        fwrite(buf, 1, n, b);
    fclose(a);
    return fclose(b);
}

static hid_t next(char *path, size_t np)
{
    snprintf(path, np, "%s/%s-%03d.h5", outdir, prefix, nmut++);
    if (copy_file(path))
        return -1;
    return H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
}

static void emit(const char *path, const char *expect, const char *fmt, const char *a,
                 const char *b)
{
    printf("%s %s ", path, expect);
    printf(fmt, a, b);
    printf("\n");
}

/* ---- attributes ---------------------------------------------------------- */

static void put_attr(hid_t o, const char *name, hid_t type, hid_t space, const void *v)
{
    if (H5Aexists(o, name) > 0)
        H5Adelete(o, name);
    hid_t a = H5Acreate2(o, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    if (a >= 0) {
        H5Awrite(a, type, v);
        H5Aclose(a);
    }
}

static void attr_mutants(const char *obj, const char *aname, int is_string, const char *sval)
{
    static const char *kinds[] = {"del", "str", "vlen", "nan", "inf", "neg", "big", "frac", "arr"};
    char cls = crit_class(aname);
    for (int k = 0; k < 9; k++) {
        if (k == 2 && !is_string)
            continue;
        /* an attribute no reader depends on: type confusion only */
        if (!cls && k != 1 && k != 3)
            continue;
        char path[4096];
        hid_t f = next(path, sizeof path);
        if (f < 0)
            continue;
        hid_t o = H5Oopen(f, obj, H5P_DEFAULT);
        hid_t s1 = H5Screate(H5S_SCALAR);
        double d;
        long long l;
        switch (k) {
        case 0: H5Adelete(o, aname); break;
        case 1: {
            hid_t t = H5Tcopy(H5T_C_S1);
            H5Tset_size(t, 2);
            put_attr(o, aname, t, s1, "x");
            H5Tclose(t);
            break;
        }
        case 2: {
            hid_t t = H5Tcopy(H5T_C_S1);
            H5Tset_size(t, H5T_VARIABLE);
            H5Tset_cset(t, H5T_CSET_UTF8);
            const char *p = sval;
            put_attr(o, aname, t, s1, &p);
            H5Tclose(t);
            break;
        }
        case 3: d = NAN; put_attr(o, aname, H5T_NATIVE_DOUBLE, s1, &d); break;
        case 4: d = INFINITY; put_attr(o, aname, H5T_NATIVE_DOUBLE, s1, &d); break;
        case 5: l = -1; put_attr(o, aname, H5T_NATIVE_LLONG, s1, &l); break;
        case 6: d = 1e300; put_attr(o, aname, H5T_NATIVE_DOUBLE, s1, &d); break;
        case 7: d = 8.7; put_attr(o, aname, H5T_NATIVE_DOUBLE, s1, &d); break;
        case 8: {
            hsize_t two = 2;
            hid_t s2 = H5Screate_simple(1, &two, NULL);
            double v[2] = {1, 2};
            put_attr(o, aname, H5T_NATIVE_DOUBLE, s2, v);
            H5Sclose(s2);
            break;
        }
        }
        H5Sclose(s1);
        H5Oclose(o);
        H5Fclose(f);
        const char *expect = "any";
        if (cls == 'i')
            expect = k == 2 ? "any" : "must";
        else if (cls == 'd')
            expect = (k == 0 || k == 1 || k == 3 || k == 4 || k == 8) ? "must" : "any";
        else if (cls == 's')
            expect = k == 2 ? "ok" : "must";
        char what[512];
        snprintf(what, sizeof what, "%.200s@%.200s", obj, aname);
        emit(path, expect, "attr %s %s", what, kinds[k]);
    }
}

static herr_t attr_cb(hid_t o, const char *name, const H5A_info_t *info, void *op)
{
    (void)info;
    /* collect first: mutating while iterating is not allowed */
    char (*names)[256] = op;
    for (int i = 0; i < 64; i++)
        if (!names[i][0]) {
            snprintf(names[i], 256, "%s", name);
            break;
        }
    (void)o;
    return 0;
}

static void all_attr_mutants(hid_t f0)
{
    for (int i = 0; i < nobj; i++) {
        char names[64][256];
        memset(names, 0, sizeof names);
        hid_t o = H5Oopen(f0, objs[i], H5P_DEFAULT);
        H5Aiterate2(o, H5_INDEX_NAME, H5_ITER_INC, NULL, attr_cb, names);
        for (int k = 0; k < 64 && names[k][0]; k++) {
            hid_t a = H5Aopen(o, names[k], H5P_DEFAULT);
            hid_t t = H5Aget_type(a);
            int is_str = H5Tget_class(t) == H5T_STRING;
            char sval[1024] = "";
            if (is_str && H5Tis_variable_str(t) <= 0 && H5Tget_size(t) < sizeof sval) {
                hid_t mt = H5Tcopy(H5T_C_S1);
                H5Tset_size(mt, sizeof sval);
                H5Aread(a, mt, sval);
                H5Tclose(mt);
            }
            H5Tclose(t);
            H5Aclose(a);
            attr_mutants(objs[i], names[k], is_str, sval);
        }
        H5Oclose(o);
    }
}

/* ---- datasets ------------------------------------------------------------ */

static void make_ds(hid_t f, const char *name, hid_t type, int rank, const hsize_t *dims,
                    const double *data, size_t ndata)
{
    H5Ldelete(f, name, H5P_DEFAULT);
    hid_t sp = H5Screate_simple(rank, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    uint64_t total = 1;
    for (int d = 0; d < rank; d++)
        total *= dims[d] ? dims[d] : 1;
    if (total > (1u << 26)) { /* huge: chunked, never allocated */
        hsize_t ch[8];
        for (int d = 0; d < rank; d++)
            ch[d] = 1;
        H5Pset_chunk(dcpl, rank, ch);
        H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_INCR);
    }
    hid_t ds = H5Dcreate2(f, name, type, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (ds >= 0 && data && ndata == total && total <= (1u << 26))
        H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
    if (ds >= 0)
        H5Dclose(ds);
    H5Pclose(dcpl);
    H5Sclose(sp);
}

static void ds_mutants(hid_t f0, const char *name)
{
    static const char *kinds[] = {"int", "grow", "shrink", "rank", "huge", "huge2", "nan",
                                  "empty", "del"};
    hid_t ds = H5Dopen2(f0, name, H5P_DEFAULT);
    hid_t sp = H5Dget_space(ds);
    int rank = H5Sget_simple_extent_ndims(sp);
    hsize_t dims[8] = {0};
    if (rank < 0 || rank > 7) {
        H5Sclose(sp);
        H5Dclose(ds);
        return;
    }
    H5Sget_simple_extent_dims(sp, dims, NULL);
    hssize_t n = H5Sget_simple_extent_npoints(sp);
    hid_t t = H5Dget_type(ds);
    H5T_class_t cl = H5Tget_class(t);
    hid_t ftype = H5Tcopy(t);
    H5Tclose(t);
    double *x = NULL;
    if (n > 0 && n < (1 << 24) && (cl == H5T_FLOAT || cl == H5T_INTEGER)) {
        x = malloc((size_t)n * sizeof *x);
        if (H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, x) < 0) {
            free(x);
            x = NULL;
        }
    }
    H5Sclose(sp);
    H5Dclose(ds);
    if (!x || rank < 1) {
        H5Tclose(ftype);
        free(x);
        return;
    }
    char cls = crit_class(name);
    for (int k = 0; k < 9; k++) {
        if (!cls && k != 0 && k != 1 && k != 4 && k != 5 && k != 6)
            continue;
        char path[4096];
        hid_t f = next(path, sizeof path);
        if (f < 0)
            continue;
        hsize_t d2[8];
        memcpy(d2, dims, sizeof d2);
        switch (k) {
        case 0: make_ds(f, name, H5T_STD_I32LE, rank, dims, x, (size_t)n); break;
        case 1:
            d2[rank - 1]++;
            make_ds(f, name, ftype, rank, d2, NULL, 0);
            break;
        case 2: {
            d2[0] = dims[0] > 1 ? dims[0] - 1 : 0;
            size_t m = (size_t)n / (dims[0] ? dims[0] : 1) * d2[0];
            make_ds(f, name, ftype, rank, d2, x, m);
            break;
        }
        case 3:
            if (rank > 1)
                make_ds(f, name, ftype, rank - 1, dims, NULL, 0);
            else {
                hsize_t two[2] = {dims[0], 2};
                make_ds(f, name, ftype, 2, two, NULL, 0);
            }
            break;
        case 4:
            d2[0] = (hsize_t)1 << 40;
            make_ds(f, name, ftype, rank, d2, NULL, 0);
            break;
        case 5:
            if (rank >= 3) {
                d2[0] = 1;
                for (int d = 1; d < rank; d++)
                    d2[d] = (hsize_t)1 << 31;
            } else {
                d2[0] = (hsize_t)1 << 56;
            }
            make_ds(f, name, ftype, rank, d2, NULL, 0);
            break;
        case 6: {
            if (cl != H5T_FLOAT) {
                H5Fclose(f);
                unlink(path);
                nmut--;
                continue;
            }
            double keep = x[n / 2];
            x[n / 2] = NAN;
            make_ds(f, name, ftype, rank, dims, x, (size_t)n);
            x[n / 2] = keep;
            break;
        }
        case 7:
            d2[0] = 0;
            make_ds(f, name, ftype, rank, d2, NULL, 0);
            break;
        case 8: H5Ldelete(f, name, H5P_DEFAULT); break;
        }
        H5Fclose(f);
        const char *expect = "any";
        if (cls == 'D')
            expect = k == 2 ? "any" : "must";
        emit(path, expect, "dataset %s %s", name, kinds[k]);
    }
    H5Tclose(ftype);
    free(x);
}

/* ---- bytes --------------------------------------------------------------- */

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void byte_mutants(void)
{
    FILE *a = fopen(in_path, "rb");
    fseek(a, 0, SEEK_END);
    long size = ftell(a);
    fclose(a);
    for (int k = 1; k <= 12; k++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s-%03d.h5", outdir, prefix, nmut++);
        copy_file(path);
        long cut = size * k / 13;
        if (truncate(path, cut) != 0)
            continue;
        char what[64];
        snprintf(what, sizeof what, "%ld", cut);
        emit(path, "must", "truncated at %s%s", what, "");
    }
    for (int k = 0; k < 8; k++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s-%03d.h5", outdir, prefix, nmut++);
        copy_file(path);
        FILE *f = fopen(path, "r+b");
        for (int j = 0; j < 16; j++) {
            long off = (long)(next_rand() % (uint64_t)size);
            fseek(f, off, SEEK_SET);
            fputc((int)(next_rand() & 255), f);
        }
        fclose(f);
        emit(path, "any", "random bytes %s%s", "", "");
    }
}

/* Inputs of sample: a mask /mask uint8 [L, L] (1 = observed) with site 0
 * set to V (stored as float64 when V is not 0/1, as int32 when asked), and
 * a path /alpha [T+1, L, L] of alpha = 1 - t. */
static int make_mask(long L, const char *path, double v, int as_int)
{
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t d[2] = {(hsize_t)L, (hsize_t)L};
    double *m = malloc((size_t)(L * L) * sizeof *m);
    for (long i = 0; i < L * L; i++)
        m[i] = (i % 3) != 0;
    m[0] = v;
    hid_t t = as_int ? H5T_STD_I32LE : (v == 0 || v == 1) ? H5T_STD_U8LE : H5T_IEEE_F64LE;
    make_ds(f, "mask", t, 2, d, m, (size_t)(L * L));
    free(m);
    return H5Fclose(f) < 0;
}

static int make_path(long T, long L, const char *path)
{
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t d[3] = {(hsize_t)(T + 1), (hsize_t)L, (hsize_t)L};
    double *a = malloc((size_t)((T + 1) * L * L) * sizeof *a);
    for (long j = 0; j <= T; j++)
        for (long i = 0; i < L * L; i++)
            a[j * L * L + i] = 1.0 - (double)j / (double)T;
    make_ds(f, "alpha", H5T_IEEE_F64LE, 3, d, a, (size_t)((T + 1) * L * L));
    free(a);
    return H5Fclose(f) < 0;
}

int main(int argc, char **argv)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (argc >= 4 && !strcmp(argv[1], "--make-mask"))
        return make_mask(atol(argv[2]), argv[3], argc > 4 ? atof(argv[4]) : 1.0,
                         argc > 5 && !strcmp(argv[5], "int"));
    if (argc >= 5 && !strcmp(argv[1], "--make-path"))
        return make_path(atol(argv[2]), atol(argv[3]), argv[4]);
    if (argc < 4) {
        fprintf(stderr, "usage: fuzz_gen IN.h5 OUTDIR PREFIX [NAME:CLASS ...]\n");
        return 2;
    }
    in_path = argv[1];
    outdir = argv[2];
    prefix = argv[3];
    crit = argv + 4;
    ncrit = argc - 4;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t f0 = H5Fopen(in_path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f0 < 0) {
        fprintf(stderr, "fuzz_gen: cannot open %s\n", in_path);
        return 1;
    }
    H5Ovisit2(f0, H5_INDEX_NAME, H5_ITER_INC, visit, NULL, H5O_INFO_BASIC);
    all_attr_mutants(f0);
    for (int i = 0; i < nobj; i++)
        if (isds[i])
            ds_mutants(f0, objs[i] + 1);
    H5Fclose(f0);
    /* The ensemble that once overflowed the readers' size arithmetic: L and
     * /configs agree on 2^31 sites per side (1.8 KB on disk). */
    if (crit_class("L") == 'i' && crit_class("configs") == 'D') {
        char path[4096];
        hid_t f = next(path, sizeof path);
        if (f >= 0) {
            long long L = 1LL << 31;
            hid_t s1 = H5Screate(H5S_SCALAR);
            put_attr(f, "L", H5T_NATIVE_LLONG, s1, &L);
            H5Sclose(s1);
            hsize_t d[3] = {1, (hsize_t)L, (hsize_t)L};
            hid_t t = H5Tcopy(H5T_IEEE_F64LE);
            make_ds(f, "configs", t, 3, d, NULL, 0);
            H5Tclose(t);
            H5Fclose(f);
            emit(path, "must", "huge L %s%s", "2^31 with /configs [1, 2^31, 2^31]", "");
        }
    }
    byte_mutants();
    for (int i = 0; i < nobj; i++)
        free(objs[i]);
    return 0;
}
