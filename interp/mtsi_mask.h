/* Observation masks for inpainting: one byte per grid point, 1 = observed,
 * 0 = missing (to be generated). A mask set holds one mask for every
 * sample or one per sample ([nmask][P]; sample i uses mask i % nmask). */
#ifndef MTSI_MASK_H
#define MTSI_MASK_H

#include <stdint.h>

#include "mtsi_shape.h"

/* Builds the masks of `spec` for n samples of shape s:
 *   random:F   a fraction F of the points missing, drawn for sample i from
 *              stream i of the seed (the same mask for sample i whatever n)
 *   square:S   an S^naxes hole at the centre (every axis; phi^4's name)
 *   box:S      the same: an S x S hole at the centre of an image (rows and
 *              columns (n - S)/2 ... (n - S)/2 + S - 1), S points of a path
 *   rows:even  even rows missing (rows:odd the odd ones); 1-D: even points
 *   blocks:S   a checkerboard of S x S blocks, the blocks with odd block
 *              parity missing (1-D: every other run of S points)
 *   FILE.h5    dataset /mask of the grid's shape, or with a leading
 *              sample axis [n, grid...]: integers (nonzero = observed) or
 *              floating-point values 0 and 1 exactly
 *   FILE.png   a grey or colour image of the grid's size (2-D grids, one
 *              channel's worth of pixels): nonzero = observed
 * MTSI_EINVAL naming the spec for anything wrong. */
int mtsi_mask_make(const char *spec, const mtsi_shape *s, long n, uint64_t seed, long *nmask,
                   unsigned char **mask);

/* Reads /mask of an HDF5 file (see above). */
int mtsi_mask_read_h5(const char *path, const mtsi_shape *s, long *nmask, unsigned char **mask);

#endif
