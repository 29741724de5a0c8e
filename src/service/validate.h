/* service/validate.h -- field checks shared by the handlers: UTF-8 text
 * lengths, the shape of an email, and echoing request text safely in a
 * status message.
 *
 * Pure functions: no I/O, no allocation. A failed check appends one field
 * violation to st (the field's name as in the .proto) and leaves st's code
 * alone; validate_end turns any violations into INVALID_ARGUMENT. */
#ifndef OZ_SERVICE_VALIDATE_H
#define OZ_SERVICE_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

#include "oz/status.h"

/* Limits of the data model, in characters (Unicode code points). */
#define VALIDATE_USERNAME_MAX    50
#define VALIDATE_EMAIL_MAX       100
#define VALIDATE_TITLE_MAX       100
#define VALIDATE_DESCRIPTION_MAX 10000

/* The message of every INVALID_ARGUMENT raised for bad field values. */
#define VALIDATE_MESSAGE "invalid request"

/* Returns the number of characters of the NUL-terminated s, or -1 when s
 * is not valid UTF-8 (overlong forms, surrogates and code points past
 * U+10FFFF are invalid). NULL counts as "". */
long validate_utf8_chars(const char *s);

/* Checks that s is valid UTF-8 of min..max characters; else adds a
 * violation for field and returns false. */
bool validate_text(
	oz_status *st, const char *field, const char *s, long min, long max);

/* Checks that s is 1..VALIDATE_EMAIL_MAX characters and shaped like an
 * email: one '@' with a non-empty part before it, a domain of at least
 * two non-empty dot-separated labels after it, and no space or control
 * character anywhere. Else adds a violation for field, returns false. */
bool validate_email(oz_status *st, const char *field, const char *s);

/* Returns OK when ok (every check passed); else sets INVALID_ARGUMENT
 * VALIDATE_MESSAGE (the checks have added the violations). */
oz_code validate_end(oz_status *st, bool ok) OZ_MUST_USE;

/* Writes into buf (size n >= 8) a copy of s fit for a status message:
 * printable ASCII kept, every other byte as '?', cut at 40 bytes with
 * "...". Request text never reaches a message unfiltered, so messages
 * stay valid UTF-8 and short. */
void validate_echo(char *buf, size_t n, const char *s);

#endif /* OZ_SERVICE_VALIDATE_H */
