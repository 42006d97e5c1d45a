/* textfile.h - reading a small text file whole, and saying where in it
 * something went wrong (for JSON errors: FILE:LINE:COLUMN). */
#ifndef DM_TEXTFILE_H
#define DM_TEXTFILE_H

#include <stddef.h>

/* The whole regular file path (at most cap bytes) in a malloc'ed,
 * NUL-terminated buffer.  0, or -errno (-EISDIR for what is not a
 * regular file, -EFBIG past cap). */
int textfile_read(const char *path, size_t cap, char **out, size_t *len);

/* Line and column (both from 1) of byte off of text. */
void textfile_position(const char *text, size_t off, int *line, int *col);

#endif
