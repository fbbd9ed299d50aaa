/* The maze object, shared by the files of maze/ only. */
#ifndef MTSI_MAZE_PRIV_H
#define MTSI_MAZE_PRIV_H

#include "mtsi_maze.h"

/* Visibility graph over the convex wall corners for one clearance: npts
 * corner points (interleaved) and vis[i * npts + j]. */
typedef struct {
    double c;
    int npts;
    double *pts;
    unsigned char *vis;
} mtsi_maze_vgraph;

struct mtsi_maze {
    char name[16];
    int nw, nh;
    unsigned char *wall; /* [nw][nh] */
    int nfree, *free_idx;
    int nbox;
    double *boxes;       /* wall boxes: lo0, lo1, hi0, hi1 */
    int *next;           /* BFS next hop, [to][from] */
    mtsi_maze_vgraph vg[3]; /* clearance 0, 1 and 2 ball radii, built by _new */
};

/* Builds g for clearance c (mtsi_maze_geom.c). */
int mtsi_maze_vgraph_build(const mtsi_maze *m, double c, mtsi_maze_vgraph *g);

#endif
