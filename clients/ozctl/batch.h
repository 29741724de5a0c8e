/* clients/ozctl/batch.h -- what batch.c shares with import.c and call.c:
 * reading whole files and turning a file of operations into one
 * ExecuteRequest. */
#ifndef OZ_OZCTL_BATCH_H
#define OZ_OZCTL_BATCH_H

#include "ozctl.h"

/* Reads all of f (at most 256 MiB). OUT: *len. Returns a NUL-terminated
 * heap buffer the caller frees, or NULL (unreadable, too big). */
char *ozctl_read_all(FILE *f, size_t *len);

/* ozctl_read_all of the file at path, or of stdin for "-". */
char *ozctl_read_path(const char *path, size_t *len);

/* Parses text (a JSON array of Operation objects, or JSON Lines with one
 * per line; text may be changed) into a request. OUT: *req, freed with
 * oz_message_free. Returns OK or INVALID_ARGUMENT ("FILE:LINE: ..." for
 * JSON Lines). */
oz_code ozctl_batch_parse(const char *file, char *text,
	Oz__V1__ExecuteRequest **req, oz_status *st);

#endif /* OZ_OZCTL_BATCH_H */
