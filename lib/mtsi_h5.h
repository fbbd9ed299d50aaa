/* Thin HDF5 helpers: every failure becomes an mtsi error naming the file
 * and the object, never HDF5's own stack dump (it is silenced once). */
#ifndef MTSI_H5_H
#define MTSI_H5_H

#include <hdf5.h>

/* Silence HDF5's automatic error printing (idempotent). */
void mtsi_h5_quiet(void);

/* Create (truncating) / open read-only / open read-write. On failure set an
 * error (MTSI_EIO for create, MTSI_EINVAL for a missing or non-HDF5 input)
 * and return a negative id. */
hid_t mtsi_h5_create(const char *path);
hid_t mtsi_h5_open(const char *path);
hid_t mtsi_h5_open_rw(const char *path);

int mtsi_h5_has(hid_t loc, const char *name);        /* link exists */
int mtsi_h5_has_attr(hid_t loc, const char *name);

/* Attributes on loc (file or object). */
int mtsi_h5_attr_set_double(hid_t loc, const char *name, double v);
int mtsi_h5_attr_set_long(hid_t loc, const char *name, long v);
int mtsi_h5_attr_set_string(hid_t loc, const char *name, const char *s);
int mtsi_h5_attr_set_doubles(hid_t loc, const char *name, const double *v, int n);
/* Typed readers: an MTSI_EINVAL error naming `what` (e.g. the file) and the
 * attribute when it is missing, not a single value, or of the wrong kind:
 *   get_double      a number (integer or float class; a string or an array
 *                   is refused); NaN and inf are passed on (some files
 *                   store NaN for "unknown");
 *   get_finite      get_double, and the value must be finite;
 *   get_long        an integer class, or a float holding an exact integer
 *                   (L = 8.0 is 8, L = 8.7 is refused);
 *   get_long_range  get_long with lo <= value <= hi;
 *   get_string      fixed- or variable-length (h5py's default) string;
 *                   copies at most n-1 characters plus NUL. */
int mtsi_h5_attr_get_double(hid_t loc, const char *name, double *v, const char *what);
int mtsi_h5_attr_get_finite(hid_t loc, const char *name, double *v, const char *what);
int mtsi_h5_attr_get_double_any(hid_t loc, const char *name, double *v, const char *what);
int mtsi_h5_attr_get_long(hid_t loc, const char *name, long *v, const char *what);
/* Exactly n floating-point values. */
int mtsi_h5_attr_get_doubles(hid_t loc, const char *name, double *v, int n, const char *what);
/* Copies at most n-1 characters plus NUL. */
int mtsi_h5_attr_get_long_range(hid_t loc, const char *name, long lo, long hi, long *v,
                                const char *what);
int mtsi_h5_attr_get_string(hid_t loc, const char *name, char *buf, size_t n, const char *what);

/* The size limit of every dataset mtsi reads: 2^32 elements (32 GiB of
 * doubles). A file declaring more is bad input, refused before any
 * allocation, whatever memory the machine has. */
#define MTSI_H5_MAX_ELEMENTS (1ULL << 32)
/* Product of dims[0..rank) with overflow detection: *count = elements, and
 * count * elsize fits in size_t; otherwise MTSI_EINVAL "WHAT: NAME has
 * shape [..], more than the 4294967296 elements allowed per dataset". */
int mtsi_checked_count(int rank, const hsize_t *dims, size_t elsize, size_t *count,
                       const char *what, const char *name);
/* mtsi_h5_shape + mtsi_checked_count: returns the rank (>= 0) or < 0. */
int mtsi_h5_shape_checked(hid_t loc, const char *name, hsize_t *dims, int maxrank, size_t elsize,
                          size_t *count, const char *what);
/* MTSI_OK if dataset name is of a floating-point type, else MTSI_EINVAL. */
int mtsi_h5_is_float(hid_t loc, const char *name, const char *what);
/* MTSI_OK if x[0..n) are finite, else MTSI_EINVAL naming the first bad one. */
int mtsi_check_finite(const double *x, size_t n, const char *what, const char *name);

/* Whole datasets. rank/dims give the shape; groups in the name must exist
 * (mtsi_h5_group makes them). */
int mtsi_h5_group(hid_t loc, const char *name);
int mtsi_h5_write_double(hid_t loc, const char *name, int rank, const hsize_t *dims, const double *data);
int mtsi_h5_write_float(hid_t loc, const char *name, int rank, const hsize_t *dims, const float *data);
int mtsi_h5_write_long(hid_t loc, const char *name, int rank, const hsize_t *dims, const long *data);
int mtsi_h5_write_u8(hid_t loc, const char *name, int rank, const hsize_t *dims, const unsigned char *data);
int mtsi_h5_write_u64(hid_t loc, const char *name, int rank, const hsize_t *dims, const unsigned long long *data);
/* Shape of a dataset: fills dims (up to maxrank), returns rank or <0. */
int mtsi_h5_shape(hid_t loc, const char *name, hsize_t *dims, int maxrank, const char *what);
/* Read whole dataset converting to the memory type; n must equal the number
 * of elements, else an error naming the dataset is set. */
int mtsi_h5_read_double(hid_t loc, const char *name, double *data, size_t n, const char *what);
int mtsi_h5_read_float(hid_t loc, const char *name, float *data, size_t n, const char *what);
int mtsi_h5_read_long(hid_t loc, const char *name, long *data, size_t n, const char *what);
int mtsi_h5_read_u8(hid_t loc, const char *name, unsigned char *data, size_t n, const char *what);
int mtsi_h5_read_u64(hid_t loc, const char *name, unsigned long long *data, size_t n, const char *what);

#endif
