/* Error reporting shared by every module (STYLE.md: codes plus one message).
 * A function that can fail returns an mtsi_status; on failure it has called
 * mtsi_error_set() with a message naming the bad value. The command layer
 * prints that message as one line on stderr and exits with status 2. */
#ifndef MTSI_ERR_H
#define MTSI_ERR_H

#include <stddef.h>

typedef enum {
    MTSI_OK = 0,
    MTSI_EINVAL = 2,   /* bad input from the user: value, file, shape */
    MTSI_EIO = 3,      /* a file could not be read or written */
    MTSI_ENOMEM = 4,   /* allocation failed */
    MTSI_EINTR = 5,    /* interrupted by SIGINT/SIGTERM, checkpoint written */
    MTSI_EFAIL = 6     /* internal failure (a bug or a numerical breakdown) */
} mtsi_status;

/* Records the message (printf-style) and returns code. The message is
 * shared by all threads, so an error set inside an OpenMP worker reaches
 * the command layer. */
int mtsi_error_set(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The last message recorded ("" if none); a copy, valid until the next call. */
const char *mtsi_error_msg(void);
/* The last code recorded. */
int mtsi_error_code(void);
void mtsi_error_clear(void);
/* mtsi_error_set with ": strerror(err)" appended; err is passed in (saved
 * right after the failing call) so that no stale errno reaches a message. */
int mtsi_error_errno(int code, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Whole-buffer pwrite/pread at off. A short write (a full device) is
 * reported as ENOSPC, a short read as a truncated file (MTSI_EINVAL); path
 * names the file in the message. */
int mtsi_pwrite_all(int fd, const void *buf, size_t len, long long off, const char *path);
int mtsi_pread_all(int fd, void *buf, size_t len, long long off, const char *path);

/* Allocation that records MTSI_ENOMEM with the size on failure. */
void *mtsi_malloc(size_t n);
void *mtsi_calloc(size_t count, size_t size);
/* 64-byte aligned allocation (SIMD and cache lines); free with free(). */
void *mtsi_aligned_alloc(size_t n);

#endif
