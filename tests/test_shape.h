/* Lattice shapes for the Check suites: shp_lat(dim, L) points to a phi^4
 * lattice shape (a small ring of static copies, so several may be alive in
 * one expression). */
#ifndef MTSI_TEST_SHAPE_H
#define MTSI_TEST_SHAPE_H

#include "mtsi_shape.h"

static inline const mtsi_shape *shp_lat(int dim, long L)
{
    static mtsi_shape ring[16];
    static int k;
    mtsi_shape *s = &ring[k++ % 16];
    mtsi_shape_lattice(s, dim, L);
    return s;
}

/* V values on one axis: for paths, whose rules do not look at the grid. */
static inline const mtsi_shape *shp_flat(long V)
{
    return shp_lat(1, V);
}

#endif
