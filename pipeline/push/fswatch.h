/*
 * fswatch.h — file-system watches of a file:// source (fswatch.c), private to the push room.
 */
#ifndef PL_FSWATCH_H
#define PL_FSWATCH_H

#include "app.h"

typedef struct fs_watch fs_watch;

/* Starts watching path (root: the stream's or the prefix folder; else game id's folder);
 * NULL when it cannot (logged once: polling covers it). */
fs_watch *fswatch_open(app *a, const char *path, bool root, const char *id);
/* Stops it; its memory goes with the close callback (NULL: nothing). */
void fswatch_close(fs_watch *w);

#endif
