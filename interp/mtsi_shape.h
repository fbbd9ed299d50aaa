/* The shape of a data set (SPEC.md section 6): a grid of 1 to
 * MTSI_SHAPE_MAXAXES axes of any sizes, each periodic or not, and C values
 * (channels) per grid point. One alpha per grid point, shared by its
 * channels. The phi^4 lattice is L^dim, periodic, C = 1.
 *
 * Memory layout of one sample: C * P doubles, channel-major, [C][n_1]..[n_k]
 * with the last axis fastest (P = n_1 ... n_k grid points): the N x C x H x W
 * layout of lib/nn, a 1-D grid being H = 1, W = n_1.
 *
 * Files. A data file states its shape in root attributes (readable with
 * h5py):
 *   data_kind  string: "phi4", "image", "path" or any other name
 *   grid       int64 [naxes]: the sizes
 *   periodic   int64 [naxes]: 1 where the axis wraps around
 *   channels   int64: C
 * and stores /configs as [N, C, n_1, ..., n_k]. phi^4 ensembles keep the
 * layout of SPEC section 5: attributes L and dim, /configs [N, L, ..., L],
 * no channel axis; a file without `grid` is read as such a lattice. */
#ifndef MTSI_SHAPE_H
#define MTSI_SHAPE_H

#include <hdf5.h>

#define MTSI_SHAPE_MAXAXES 3
/* Largest number of values in one sample (C * P) the package accepts. */
#define MTSI_SHAPE_MAXSIZE (1L << 24)

typedef struct {
    int naxes;                      /* 1 .. MTSI_SHAPE_MAXAXES */
    long n[MTSI_SHAPE_MAXAXES];     /* axis sizes, >= 1 */
    int periodic[MTSI_SHAPE_MAXAXES];
    int channels;                   /* C >= 1 */
    char kind[16];                  /* data kind: "phi4", "image", "path", ... */
} mtsi_shape;

/* The phi^4 lattice L^dim (periodic, one channel, kind "phi4"). */
void mtsi_shape_lattice(mtsi_shape *s, int dim, long L);
/* Grid points P and values per sample C * P. */
long mtsi_shape_points(const mtsi_shape *s);
long mtsi_shape_size(const mtsi_shape *s);
/* 1 when s is a phi^4 lattice: kind "phi4", every axis periodic of one
 * size L, one channel (then *dim and *L are set when not NULL). */
int mtsi_shape_is_lattice(const mtsi_shape *s, int *dim, long *L);
/* 1 when the two shapes have the same grid, boundaries and channels. */
int mtsi_shape_equal(const mtsi_shape *a, const mtsi_shape *b);
/* Checks ranges (axes, sizes, channels, total size against
 * MTSI_SHAPE_MAXSIZE with overflow-safe arithmetic); MTSI_EINVAL naming
 * `what` and the shape. */
int mtsi_shape_check(const mtsi_shape *s, const char *what);
/* Human form, e.g. "28x28 zero-boundary grid, 1 channel (image)" or
 * "16x16 periodic lattice (phi4)". */
void mtsi_shape_format(const mtsi_shape *s, char *buf, int n);
/* MTSI_OK when equal, else MTSI_EINVAL "<what_a> is <shape a> but <what_b>
 * is <shape b>". */
int mtsi_shape_require(const mtsi_shape *a, const char *what_a, const mtsi_shape *b,
                       const char *what_b);
/* Parses "28x28", "50", "16x16:periodic", "50:zero" with channels given
 * separately; each axis is periodic (":periodic") or not (":zero",
 * default). MTSI_EINVAL naming the option. */
int mtsi_shape_parse(mtsi_shape *s, const char *opt, const char *spec, int channels,
                     const char *kind);

/* Writes the attributes data_kind, grid, periodic, channels (and, for a
 * lattice, L and dim). */
int mtsi_shape_write_attrs(hid_t loc, const mtsi_shape *s);
/* Reads them back; without `grid` the attributes L and dim of a phi^4 file
 * (periodic, one channel). MTSI_EINVAL naming `what`. */
int mtsi_shape_read_attrs(hid_t loc, const char *what, mtsi_shape *s);
/* 1 when the file stores /configs with a channel axis (it has `grid`). */
int mtsi_shape_has_channel_axis(hid_t loc);
/* The dataset dims of n samples: [n, C, n_1..n_k] (channel_axis) or
 * [n, n_1..n_k]; returns the rank. */
int mtsi_shape_dims(const mtsi_shape *s, int channel_axis, hsize_t n, hsize_t *dims);

#endif
