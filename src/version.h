/* version.h - version strings of droidmedic and the libraries it uses. */
#ifndef DM_VERSION_H
#define DM_VERSION_H

#include <stdio.h>

/* "droidmedic 0.1.0" then one line per library (libusb, libcurl,
 * libarchive, cJSON, OpenSSL); the caller adds ncurses (src/ has none). */
void version_print(FILE *fp);

#endif
