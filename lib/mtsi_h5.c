#include "config.h"
#include "mtsi_h5.h"
#include "mtsi_err.h"
#include "mtsi_out.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* HDF5 1.10 keeps a file whose H5Fclose failed (a full disk) half-closed
 * and crashes on it in its own atexit handler. mtsi closes every file it
 * opens and checks the result, so the library's exit handler has nothing
 * to do: it is never registered (this runs before any other HDF5 call). */
__attribute__((constructor)) static void mtsi_h5_no_atexit(void)
{
    H5dont_atexit();
}

void mtsi_h5_quiet(void)
{
    static int done;
    if (!done) {
        H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
        done = 1;
    }
}

hid_t mtsi_h5_create(const char *path)
{
    mtsi_h5_quiet();
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0) {
        char user[4096];
        mtsi_out_write_error(mtsi_out_user_path(path, user, sizeof user));
    }
    return f;
}

static hid_t open_mode(const char *path, unsigned mode)
{
    mtsi_h5_quiet();
    struct stat st;
    if (stat(path, &st) != 0 || access(path, R_OK) != 0) {
        mtsi_error_set(MTSI_EINVAL, "cannot open '%s': no such readable file", path);
        return -1;
    }
    /* A FIFO would block H5Fis_hdf5 forever; a directory or device is no
     * HDF5 file either. */
    if (!S_ISREG(st.st_mode)) {
        mtsi_error_set(MTSI_EINVAL, "'%s' is not a regular file", path);
        return -1;
    }
    if (mtsi_in_register(path))
        return -1;
    htri_t is = H5Fis_hdf5(path);
    if (is <= 0) {
        mtsi_error_set(MTSI_EINVAL, "'%s' is not an HDF5 file", path);
        return -1;
    }
    hid_t f = H5Fopen(path, mode, H5P_DEFAULT);
    if (f < 0)
        mtsi_error_set(MTSI_EINVAL, "cannot open HDF5 file '%s' (corrupt or truncated?)", path);
    return f;
}

hid_t mtsi_h5_open(const char *path) { return open_mode(path, H5F_ACC_RDONLY); }
hid_t mtsi_h5_open_rw(const char *path) { return open_mode(path, H5F_ACC_RDWR); }

int mtsi_h5_has(hid_t loc, const char *name)
{
    /* Check each path component so that "a/b" with no "a" is not an error. */
    char buf[256];
    size_t n = strlen(name);
    if (n >= sizeof buf)
        return 0;
    memcpy(buf, name, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] == '/' || buf[i] == '\0') {
            char c = buf[i];
            buf[i] = '\0';
            if (H5Lexists(loc, buf, H5P_DEFAULT) <= 0)
                return 0;
            buf[i] = c;
        }
    }
    return 1;
}

int mtsi_h5_has_attr(hid_t loc, const char *name)
{
    return H5Aexists(loc, name) > 0;
}

static int attr_write(hid_t loc, const char *name, hid_t type, hid_t space, const void *v)
{
    if (H5Aexists(loc, name) > 0)
        H5Adelete(loc, name);
    hid_t a = H5Acreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0)
        return mtsi_error_set(MTSI_EIO, "cannot create attribute '%s'", name);
    herr_t e = H5Awrite(a, type, v);
    H5Aclose(a);
    if (e < 0)
        return mtsi_error_set(MTSI_EIO, "cannot write attribute '%s'", name);
    return MTSI_OK;
}

int mtsi_h5_attr_set_double(hid_t loc, const char *name, double v)
{
    hid_t s = H5Screate(H5S_SCALAR);
    int rc = attr_write(loc, name, H5T_NATIVE_DOUBLE, s, &v);
    H5Sclose(s);
    return rc;
}

int mtsi_h5_attr_set_long(hid_t loc, const char *name, long v)
{
    hid_t s = H5Screate(H5S_SCALAR);
    int rc = attr_write(loc, name, H5T_NATIVE_LONG, s, &v);
    H5Sclose(s);
    return rc;
}

int mtsi_h5_attr_set_doubles(hid_t loc, const char *name, const double *v, int n)
{
    hsize_t d = (hsize_t)n;
    hid_t s = H5Screate_simple(1, &d, NULL);
    int rc = attr_write(loc, name, H5T_NATIVE_DOUBLE, s, v);
    H5Sclose(s);
    return rc;
}

int mtsi_h5_attr_set_string(hid_t loc, const char *name, const char *str)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, strlen(str) + 1);
    H5Tset_strpad(t, H5T_STR_NULLTERM);
    hid_t s = H5Screate(H5S_SCALAR);
    int rc = attr_write(loc, name, t, s, str);
    H5Sclose(s);
    H5Tclose(t);
    return rc;
}

/* Opens a scalar (one-element) attribute and returns its class, or sets an
 * error naming `what` and returns H5T_NO_CLASS. */
static H5T_class_t attr_open1(hid_t loc, const char *name, const char *what, hid_t *a)
{
    *a = -1;
    if (H5Aexists(loc, name) <= 0) {
        mtsi_error_set(MTSI_EINVAL, "%s: attribute '%s' is missing (not an mtsi file?)", what,
                       name);
        return H5T_NO_CLASS;
    }
    *a = H5Aopen(loc, name, H5P_DEFAULT);
    if (*a < 0) {
        mtsi_error_set(MTSI_EINVAL, "%s: cannot open attribute '%s'", what, name);
        return H5T_NO_CLASS;
    }
    hid_t sp = H5Aget_space(*a);
    hssize_t np = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
    if (sp >= 0)
        H5Sclose(sp);
    hid_t t = H5Aget_type(*a);
    H5T_class_t c = t >= 0 ? H5Tget_class(t) : H5T_NO_CLASS;
    if (t >= 0)
        H5Tclose(t);
    if (np != 1 || c == H5T_NO_CLASS) {
        mtsi_error_set(MTSI_EINVAL, "%s: attribute '%s' must be a single value (it has %lld)",
                       what, name, (long long)np);
        H5Aclose(*a);
        *a = -1;
        return H5T_NO_CLASS;
    }
    return c;
}

static int attr_number(hid_t loc, const char *name, double *v, long long *iv, int *is_int,
                       const char *what)
{
    hid_t a;
    H5T_class_t c = attr_open1(loc, name, what, &a);
    if (c == H5T_NO_CLASS)
        return MTSI_EINVAL;
    herr_t e = -1;
    if (c == H5T_INTEGER) {
        e = H5Aread(a, H5T_NATIVE_LLONG, iv);
        *v = (double)*iv;
        *is_int = 1;
    } else if (c == H5T_FLOAT) {
        e = H5Aread(a, H5T_NATIVE_DOUBLE, v);
        *is_int = 0;
    } else {
        H5Aclose(a);
        return mtsi_error_set(MTSI_EINVAL, "%s: attribute '%s' is not a number (HDF5 class %d)",
                              what, name, (int)c);
    }
    H5Aclose(a);
    if (e < 0)
        return mtsi_error_set(MTSI_EINVAL, "%s: cannot read attribute '%s'", what, name);
    return MTSI_OK;
}

int mtsi_h5_attr_get_double_any(hid_t loc, const char *name, double *v, const char *what)
{
    long long iv;
    int isint;
    return attr_number(loc, name, v, &iv, &isint, what);
}

int mtsi_h5_attr_get_double(hid_t loc, const char *name, double *v, const char *what)
{
    return mtsi_h5_attr_get_double_any(loc, name, v, what);
}

int mtsi_h5_attr_get_finite(hid_t loc, const char *name, double *v, const char *what)
{
    double x;
    int rc = mtsi_h5_attr_get_double_any(loc, name, &x, what);
    if (rc)
        return rc;
    if (!isfinite(x))
        return mtsi_error_set(MTSI_EINVAL, "%s: attribute '%s' is not finite (%g)", what, name, x);
    *v = x;
    return MTSI_OK;
}

int mtsi_h5_attr_get_long(hid_t loc, const char *name, long *v, const char *what)
{
    double x;
    long long iv = 0;
    int isint = 0;
    int rc = attr_number(loc, name, &x, &iv, &isint, what);
    if (rc)
        return rc;
    if (!isint) {
        /* An integer stored as a float is accepted only when exact. */
        if (!isfinite(x) || x != floor(x) || fabs(x) >= 9.2e18)
            return mtsi_error_set(MTSI_EINVAL, "%s: attribute '%s' = %g is not an integer", what,
                                  name, x);
        iv = (long long)x;
    }
    *v = (long)iv;
    return MTSI_OK;
}

int mtsi_h5_attr_get_long_range(hid_t loc, const char *name, long lo, long hi, long *v,
                                const char *what)
{
    long x;
    int rc = mtsi_h5_attr_get_long(loc, name, &x, what);
    if (rc)
        return rc;
    if (x < lo || x > hi)
        return mtsi_error_set(MTSI_EINVAL, "%s: attribute '%s' = %ld is outside [%ld, %ld]", what,
                              name, x, lo, hi);
    *v = x;
    return MTSI_OK;
}

int mtsi_h5_attr_get_string(hid_t loc, const char *name, char *buf, size_t n, const char *what)
{
    hid_t a;
    H5T_class_t c = attr_open1(loc, name, what, &a);
    if (c == H5T_NO_CLASS)
        return MTSI_EINVAL;
    if (c != H5T_STRING) {
        H5Aclose(a);
        return mtsi_error_set(MTSI_EINVAL, "%s: attribute '%s' is not a string", what, name);
    }
    hid_t ft = H5Aget_type(a);
    int rc = MTSI_OK;
    if (H5Tis_variable_str(ft) > 0) {
        /* h5py's default for str attributes */
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, H5T_VARIABLE);
        H5Tset_cset(mt, H5Tget_cset(ft));
        char *p = NULL;
        if (H5Aread(a, mt, &p) < 0 || !p) {
            rc = mtsi_error_set(MTSI_EINVAL, "%s: cannot read attribute '%s'", what, name);
        } else {
            snprintf(buf, n, "%s", p);
            hid_t sp = H5Screate(H5S_SCALAR);
            H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, &p);
            H5Sclose(sp);
        }
        H5Tclose(mt);
    } else {
        size_t sz = H5Tget_size(ft);
        char *tmp = sz < ((size_t)1 << 24) ? mtsi_calloc(sz + 1, 1) : NULL;
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, sz + 1);
        if (!tmp || H5Aread(a, mt, tmp) < 0) {
            rc = mtsi_error_set(MTSI_EINVAL, "%s: cannot read attribute '%s'", what, name);
        } else {
            snprintf(buf, n, "%s", tmp);
        }
        H5Tclose(mt);
        free(tmp);
    }
    H5Tclose(ft);
    H5Aclose(a);
    return rc;
}

int mtsi_checked_count(int rank, const hsize_t *dims, size_t elsize, size_t *count,
                       const char *what, const char *name)
{
    uint64_t n = 1;
    int over = 0;
    for (int d = 0; d < rank; d++) {
        if (dims[d] != 0 && n > MTSI_H5_MAX_ELEMENTS / dims[d])
            over = 1;
        else
            n *= dims[d];
    }
    if (!over && n > MTSI_H5_MAX_ELEMENTS)
        over = 1;
    if (!over && elsize && n > SIZE_MAX / elsize)
        over = 1;
    if (over) {
        char shape[256];
        size_t k = 0;
        shape[0] = '\0';
        for (int d = 0; d < rank && k < sizeof shape - 24; d++)
            k += (size_t)snprintf(shape + k, sizeof shape - k, "%s%llu", d ? ", " : "",
                                  (unsigned long long)dims[d]);
        return mtsi_error_set(MTSI_EINVAL, "%s: %s has shape [%s], more than the %llu elements "
                              "allowed per dataset", what, name, shape,
                              (unsigned long long)MTSI_H5_MAX_ELEMENTS);
    }
    *count = (size_t)n;
    return MTSI_OK;
}

int mtsi_h5_shape_checked(hid_t loc, const char *name, hsize_t *dims, int maxrank, size_t elsize,
                          size_t *count, const char *what)
{
    int r = mtsi_h5_shape(loc, name, dims, maxrank, what);
    if (r < 0)
        return r;
    if (mtsi_checked_count(r, dims, elsize, count, what, name))
        return -MTSI_EINVAL;
    return r;
}

int mtsi_h5_is_float(hid_t loc, const char *name, const char *what)
{
    hid_t ds = mtsi_h5_has(loc, name) ? H5Dopen2(loc, name, H5P_DEFAULT) : -1;
    if (ds < 0)
        return mtsi_error_set(MTSI_EINVAL, "%s: dataset '%s' is missing", what, name);
    hid_t t = H5Dget_type(ds);
    int ok = t >= 0 && H5Tget_class(t) == H5T_FLOAT;
    if (t >= 0)
        H5Tclose(t);
    H5Dclose(ds);
    if (!ok)
        return mtsi_error_set(MTSI_EINVAL, "%s: dataset '%s' is not floating-point", what, name);
    return MTSI_OK;
}

int mtsi_check_finite(const double *x, size_t n, const char *what, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return mtsi_error_set(MTSI_EINVAL, "%s: %s has a non-finite value (%g) at element %zu",
                                  what, name, x[i], i);
    return MTSI_OK;
}

int mtsi_h5_group(hid_t loc, const char *name)
{
    if (H5Lexists(loc, name, H5P_DEFAULT) > 0)
        return MTSI_OK;
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
    H5Pset_obj_track_times(gcpl, 0);
    hid_t g = H5Gcreate2(loc, name, H5P_DEFAULT, gcpl, H5P_DEFAULT);
    H5Pclose(gcpl);
    if (g < 0)
        return mtsi_error_set(MTSI_EIO, "cannot create group '%s'", name);
    H5Gclose(g);
    return MTSI_OK;
}

static int write_ds(hid_t loc, const char *name, hid_t ftype, hid_t mtype, int rank,
                    const hsize_t *dims, const void *data)
{
    if (H5Lexists(loc, name, H5P_DEFAULT) > 0)
        H5Ldelete(loc, name, H5P_DEFAULT);
    hid_t sp = H5Screate_simple(rank, dims, NULL);
    /* No object timestamps: the same data gives the same file, byte for byte. */
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_obj_track_times(dcpl, 0);
    hid_t ds = H5Dcreate2(loc, name, ftype, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    H5Pclose(dcpl);
    int rc = MTSI_OK;
    if (ds < 0 || H5Dwrite(ds, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
        rc = mtsi_error_set(MTSI_EIO, "cannot write dataset '%s'", name);
    if (ds >= 0)
        H5Dclose(ds);
    H5Sclose(sp);
    return rc;
}

int mtsi_h5_write_double(hid_t loc, const char *name, int rank, const hsize_t *dims, const double *data)
{
    return write_ds(loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, rank, dims, data);
}
int mtsi_h5_write_float(hid_t loc, const char *name, int rank, const hsize_t *dims, const float *data)
{
    return write_ds(loc, name, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, rank, dims, data);
}
int mtsi_h5_write_long(hid_t loc, const char *name, int rank, const hsize_t *dims, const long *data)
{
    return write_ds(loc, name, H5T_STD_I64LE, H5T_NATIVE_LONG, rank, dims, data);
}
int mtsi_h5_write_u8(hid_t loc, const char *name, int rank, const hsize_t *dims, const unsigned char *data)
{
    return write_ds(loc, name, H5T_STD_U8LE, H5T_NATIVE_UCHAR, rank, dims, data);
}
int mtsi_h5_write_u64(hid_t loc, const char *name, int rank, const hsize_t *dims, const unsigned long long *data)
{
    return write_ds(loc, name, H5T_STD_U64LE, H5T_NATIVE_ULLONG, rank, dims, data);
}

int mtsi_h5_shape(hid_t loc, const char *name, hsize_t *dims, int maxrank, const char *what)
{
    if (!mtsi_h5_has(loc, name))
        return mtsi_error_set(MTSI_EINVAL, "%s: dataset '%s' is missing (not an mtsi file?)",
                              what, name) * -1;
    hid_t ds = H5Dopen2(loc, name, H5P_DEFAULT);
    if (ds < 0)
        return -mtsi_error_set(MTSI_EINVAL, "%s: cannot open dataset '%s'", what, name);
    hid_t sp = H5Dget_space(ds);
    int r = H5Sget_simple_extent_ndims(sp);
    if (r < 0 || r > maxrank) {
        H5Sclose(sp);
        H5Dclose(ds);
        return -mtsi_error_set(MTSI_EINVAL, "%s: dataset '%s' has an unexpected rank", what, name);
    }
    H5Sget_simple_extent_dims(sp, dims, NULL);
    H5Sclose(sp);
    H5Dclose(ds);
    return r;
}

static int read_ds(hid_t loc, const char *name, hid_t mtype, void *data, size_t n, const char *what)
{
    if (!mtsi_h5_has(loc, name))
        return mtsi_error_set(MTSI_EINVAL, "%s: dataset '%s' is missing (not an mtsi file?)",
                              what, name);
    hid_t ds = H5Dopen2(loc, name, H5P_DEFAULT);
    if (ds < 0)
        return mtsi_error_set(MTSI_EINVAL, "%s: cannot open dataset '%s'", what, name);
    hid_t sp = H5Dget_space(ds);
    hssize_t np = H5Sget_simple_extent_npoints(sp);
    H5Sclose(sp);
    int rc = MTSI_OK;
    if (np != (hssize_t)n)
        rc = mtsi_error_set(MTSI_EINVAL, "%s: dataset '%s' has %lld elements, expected %zu", what,
                            name, (long long)np, n);
    else if (H5Dread(ds, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
        rc = mtsi_error_set(MTSI_EINVAL, "%s: cannot read dataset '%s' (corrupt file?)", what, name);
    H5Dclose(ds);
    return rc;
}

int mtsi_h5_read_double(hid_t loc, const char *name, double *data, size_t n, const char *what)
{
    return read_ds(loc, name, H5T_NATIVE_DOUBLE, data, n, what);
}
int mtsi_h5_read_float(hid_t loc, const char *name, float *data, size_t n, const char *what)
{
    return read_ds(loc, name, H5T_NATIVE_FLOAT, data, n, what);
}
int mtsi_h5_read_long(hid_t loc, const char *name, long *data, size_t n, const char *what)
{
    return read_ds(loc, name, H5T_NATIVE_LONG, data, n, what);
}
int mtsi_h5_read_u8(hid_t loc, const char *name, unsigned char *data, size_t n, const char *what)
{
    return read_ds(loc, name, H5T_NATIVE_UCHAR, data, n, what);
}
int mtsi_h5_read_u64(hid_t loc, const char *name, unsigned long long *data, size_t n, const char *what)
{
    return read_ds(loc, name, H5T_NATIVE_ULLONG, data, n, what);
}

int mtsi_h5_attr_get_doubles(hid_t loc, const char *name, double *v, int n, const char *what)
{
    if (H5Aexists(loc, name) <= 0)
        return mtsi_error_set(MTSI_EINVAL, "%s: attribute '%s' is missing", what, name);
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    hid_t t = H5Aget_type(a), sp = H5Aget_space(a);
    int rc = MTSI_OK;
    if (H5Tget_class(t) != H5T_FLOAT || H5Sget_simple_extent_npoints(sp) != n)
        rc = mtsi_error_set(MTSI_EINVAL, "%s: attribute '%s' must hold %d floating-point values",
                            what, name, n);
    else if (H5Aread(a, H5T_NATIVE_DOUBLE, v) < 0)
        rc = mtsi_error_set(MTSI_EINVAL, "%s: cannot read attribute '%s'", what, name);
    H5Sclose(sp);
    H5Tclose(t);
    H5Aclose(a);
    return rc;
}
