/* The training data set of maze paths (SPEC.md section 8): one continuous
 * generator trajectory, windows of 300 consecutive steps at random offsets
 * with every 6th position kept (50 points x 2 coordinates, raw observation
 * coordinates), and the trajectory's coverage of the maze.
 *
 * File (HDF5, the data-shape convention):
 *   /configs float64 [N, 2, 50] (channel 0 = x, channel 1 = y)
 *   /offsets int64 [N]: the first step of each window
 *   /coverage/trajectory int64 [nw * B, nh * B]: visits of the trajectory's
 *       positions in square bins of side 1/B (B = bins_per_unit) over
 *       [-0.7, nw - 0.7] x [-0.7, nh - 0.7] (first index along x)
 *   /coverage/windows int64 [nw * B, nh * B]: the same for the N x 50 kept
 *       points (what the model is trained on)
 *   /coverage/cells int64 [nw, nh]: trajectory steps per cell
 *   root attributes: kind "data", data_kind "path", grid [50], periodic
 *   [0], channels 2, maze, steps, window 300, stride 6, seed, noisy (0/1),
 *   noise_sd, targets_reached, contacts, min_wall_dist, bins_per_unit,
 *   mtsi_version, command_line (the shape attributes by
 *   mtsi_shape_write_attrs of mtsi_maze_path_shape: the file is training
 *   data for mtsi train and mtsi fit-gaussian). */
#ifndef MTSI_MAZE_DATA_H
#define MTSI_MAZE_DATA_H

#include <stdint.h>

#include "mtsi_maze.h"

#define MTSI_MAZE_WINDOW 300
#define MTSI_MAZE_STRIDE 6
#define MTSI_MAZE_BINS 10

typedef struct {
    long steps, windows;
    uint64_t seed;
    int noisy;               /* action noise N(0, 0.5^2), D4RL's --noisy */
    int progress;
    const char *command_line;
} mtsi_maze_data_opts;

typedef struct {
    long steps, windows, targets, contacts;
    double min_wall_dist;    /* closest approach of the ball's centre to a wall */
    long cells_visited, cells_free, cell_min, cell_max;
    double seconds_generate, seconds_total;
} mtsi_maze_data_stats;

/* Generates and writes the data set to path (created or truncated; the
 * caller handles temporary names). The windows' offsets are drawn from
 * stream 2 of the seed. */
int mtsi_maze_data_write(const mtsi_maze *m, const mtsi_maze_data_opts *o, const char *path,
                         mtsi_maze_data_stats *st);

#endif
