/* Subcommands of the `mtsi` command. Each takes argc/argv starting at its
 * own name (argv[0] = "mcmc", ...) and returns the process exit status:
 * 0 success, 2 bad input (one line on stderr), 1 internal failure,
 * 130 interrupted with a checkpoint written. */
#ifndef MTSI_CMD_H
#define MTSI_CMD_H

int mtsi_cmd_mcmc(int argc, char **argv);
int mtsi_cmd_stats(int argc, char **argv);
int mtsi_cmd_compare(int argc, char **argv);
int mtsi_cmd_model(int argc, char **argv);
int mtsi_cmd_train(int argc, char **argv);
int mtsi_cmd_fit_gaussian(int argc, char **argv);
int mtsi_cmd_sample(int argc, char **argv);
int mtsi_cmd_sweep(int argc, char **argv);
int mtsi_cmd_refine(int argc, char **argv);
int mtsi_cmd_images(int argc, char **argv);
int mtsi_cmd_maze(int argc, char **argv);

/* True if argv has -h or --help; commands print their usage then. */
int mtsi_cmd_wants_help(int argc, char **argv);

#endif
