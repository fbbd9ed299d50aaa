/* The one output rule of every mtsi writer, and the input checks.
 *
 *   mtsi_in_check(IN)            every input: a readable regular file
 *                                (no directory, FIFO or device);
 *   mtsi_out_check(OUT, force)   the output: refuses an existing OUT
 *                                without force, an OUT that is not a
 *                                regular file even with force, an OUT that
 *                                is the same file as an input (same device
 *                                and inode, in either order of the checks),
 *                                and takes an exclusive lock on OUT (the
 *                                lock file "OUT.lock", flock'd): a second
 *                                concurrent writer of OUT fails with one
 *                                line at once;
 *   mtsi_out_tmpname(OUT)        creates "OUT.tmp-PID[-k]" exclusively
 *                                (O_EXCL) and registers it for removal;
 *   mtsi_out_commit(TMP, OUT)    syncs TMP and moves it to OUT: with force
 *                                by rename (the old file is replaced only
 *                                now, on success), without force by a
 *                                no-clobber link (or RENAME_NOREPLACE), so
 *                                an OUT created meanwhile is never lost.
 *   mtsi_out_abort(TMP)          removes TMP.
 *
 * Registered temporary files and locks are removed at exit, on any error
 * path, and by SIGINT/SIGTERM/SIGHUP: a command that polls
 * mtsi_signal_pending() (after mtsi_signal_install) checkpoints or cleans
 * up itself; any other command has its temporary files removed by the
 * signal handler before it dies of the signal. A second signal always
 * cleans up and exits at once. */
#ifndef MTSI_OUT_H
#define MTSI_OUT_H

#include <stddef.h>

int mtsi_in_check(const char *path);
/* Records path (an existing file) as an input; MTSI_EINVAL if it is the
 * file of an output not yet written by this run. mtsi_in_check and
 * mtsi_h5_open call it, and mtsi_out_commit refuses to replace any
 * recorded input, whatever the order of the calls. */
int mtsi_in_register(const char *path);
int mtsi_out_check(const char *path, int force);
/* An output that this run continues (train --resume: OUT is also the
 * checkpoint it reads): mtsi_out_check(OUT, 1), then OUT counts as this
 * run's own file, as after a commit, so it may be read and later replaced.
 * Call it before reading OUT; calling it again is a no-op. */
int mtsi_out_resume(const char *path);
char *mtsi_out_tmpname(const char *path);
int mtsi_out_commit(const char *tmp, const char *path);
void mtsi_out_abort(const char *tmp);
/* The user's name for a registered temporary file (OUT for OUT.tmp-PID),
 * for messages; tmp itself if it is not one. */
const char *mtsi_out_user_path(const char *tmp, char *buf, size_t n);
/* Releases OUT's lock (also done by commit and at exit). */
void mtsi_out_release(const char *path);
/* Registers an extra file (e.g. an MCMC run's OUT.part) that must not be
 * left behind on failure; mtsi_out_keep() unregisters it (e.g. once a
 * checkpoint makes it resumable), mtsi_out_forget() too. */
void mtsi_out_track(const char *path);
void mtsi_out_keep(const char *path);
/* An MTSI_EIO error for a failed write of path whose cause the caller does
 * not know (HDF5 keeps no errno): "No space left on device" when path's file
 * system is full, else a generic write error. Never quotes a stale errno. */
int mtsi_out_write_error(const char *path);
/* Removes every registered temporary file and lock (atexit does this). */
void mtsi_out_cleanup(void);

/* SIGINT/SIGTERM/SIGHUP: with mtsi_signal_install the first one only sets
 * a flag that long loops poll (they checkpoint or clean up and return
 * MTSI_EINTR); a signal ignored at start (nohup) stays ignored. */
void mtsi_signal_install(void);
/* The pending signal number, 0 if none. */
int mtsi_signal_pending(void);
void mtsi_signal_reset(void);

/* Checked end of output on stdout: fflush + fclose, 0 or an MTSI_EIO error
 * ("cannot write to standard output: No space left on device"). */
int mtsi_stdout_close(void);

#endif
