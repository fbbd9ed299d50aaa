/* Figures of the maze on lib/mtsi_plot: plans over the walls (start, goal
 * and the plan's points marked) and the training data's coverage. */
#ifndef MTSI_MAZE_FIG_H
#define MTSI_MAZE_FIG_H

#include "mtsi_maze.h"
#include "mtsi_plot.h"

/* n plans in panels of cols columns: ends [n][4] (start x, y, goal x, y),
 * k [n] (-1: none valid, the k = 49 path is drawn), paths [n][2][50]. */
int mtsi_maze_fig_plans(const mtsi_maze *m, const char *path, mtsi_plot_format fmt, long n,
                        const double *ends, const long *k, const double *paths, int cols,
                        const char *title);
/* Two heat maps of log10(1 + visits): the trajectory's and the kept
 * points' histograms ([rows * bins][cols * bins], first index along x). */
int mtsi_maze_fig_coverage(const mtsi_maze *m, const char *path, mtsi_plot_format fmt,
                           const long *htraj, const long *hwin, int bins, const char *title);

#endif
