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

/* Records the message (printf-style) for this thread and returns code. */
int mtsi_error_set(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The last message recorded by this thread ("" if none). */
const char *mtsi_error_msg(void);
/* The last code recorded by this thread. */
int mtsi_error_code(void);
void mtsi_error_clear(void);

/* Allocation that records MTSI_ENOMEM with the size on failure. */
void *mtsi_malloc(size_t n);
void *mtsi_calloc(size_t count, size_t size);
/* 64-byte aligned allocation (SIMD and cache lines); free with free(). */
void *mtsi_aligned_alloc(size_t n);

#endif
