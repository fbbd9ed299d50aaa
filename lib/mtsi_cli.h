/* Helpers shared by the `mtsi` subcommands: strict number parsing with
 * messages that name the option and the bad value, safe output files
 * (refuse to overwrite, write to a temporary name, rename when complete),
 * signal flags for clean interruption, and a TTY progress line. */
#ifndef MTSI_CLI_H
#define MTSI_CLI_H

#include <stdio.h>
#include <signal.h>

/* Parse a whole string as a number; on failure set an MTSI_EINVAL message
 * "OPT: expected WHAT, got 'S'" and return MTSI_EINVAL. */
int mtsi_parse_double(const char *opt, const char *s, double *out);
int mtsi_parse_long(const char *opt, const char *s, long *out);
/* Like mtsi_parse_long but requires lo <= value <= hi. */
int mtsi_parse_long_range(const char *opt, const char *s, long lo, long hi, long *out);
/* Like mtsi_parse_double but requires a finite value. */
int mtsi_parse_finite(const char *opt, const char *s, double *out);

/* Print "mtsi CMD: <last error message>" as one line on stderr and return
 * the exit status for that error (2 for bad input, 1 otherwise). */
int mtsi_cli_fail(const char *cmd);
/* Same with an explicit message; returns 2. */
int mtsi_cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* For getopt_long with optstring ":" (argv[optind - 1] is the offending
 * word): the usage error for an unknown option (ch '?') or a missing value
 * (ch ':'). Returns 2. */
int mtsi_cli_option_error(const char *cmd, int ch, char **argv);

/* argv joined by spaces (malloc'd), stored in file attributes. */
char *mtsi_cli_command_line(int argc, char **argv);

/* Output safety. mtsi_out_check refuses an existing path unless force, and
 * a path whose directory is not writable. The temporary name is
 * "<path>.tmp-<pid>" in the same directory so that rename() is atomic. */
int mtsi_out_check(const char *path, int force);
char *mtsi_out_tmpname(const char *path);
int mtsi_out_commit(const char *tmp, const char *path);
/* An input file must exist and be readable. */
int mtsi_in_check(const char *path);

/* SIGINT/SIGTERM set a flag; long loops poll it and checkpoint. */
void mtsi_signal_install(void);
int mtsi_signal_pending(void);
/* For tests: clear the flag. */
void mtsi_signal_reset(void);

/* Progress line on stderr, shown only when stderr is a terminal (or when
 * MTSI_PROGRESS=1), at most a few times per second. */
typedef struct mtsi_progress mtsi_progress;
mtsi_progress *mtsi_progress_new(const char *label, long total);
/* done: items completed; extra: free text appended (may be NULL). */
void mtsi_progress_update(mtsi_progress *p, long done, const char *extra);
void mtsi_progress_free(mtsi_progress *p);

/* Monotonic wall clock in seconds. */
double mtsi_wtime(void);

#endif
