/* core/utf8.h -- UTF-8 validation and the one escaper for text a caller
 * sent. Whatever ozd writes out (a reply's status, a log line) passes
 * through here when it may hold caller bytes, so it is valid UTF-8 and
 * carries no control characters (STYLE.md §10). No allocation. */
#ifndef OZ_CORE_UTF8_H
#define OZ_CORE_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* True when buf[0..n) is valid UTF-8 (no overlong forms, no surrogates,
 * nothing past U+10FFFF). OUT: *bad (may be NULL), the offset of the first
 * invalid byte when false. */
bool utf8_valid(const void *buf, size_t n, size_t *bad);

/* True when s is valid UTF-8 and holds no control character (C0, DEL,
 * C1): text that needs no escaping to go out. */
bool utf8_clean(const char *s);

/* utf8_escape flags. */
#define UTF8_ESC_BACKSLASH 1u /* Also write "\\" for a backslash. */
#define UTF8_ESC_QUOTE     2u /* Also write "\"" for a double quote. */

/* Copies in[0..n) into out (cap bytes, cap >= 8) as valid UTF-8 without
 * control characters: each byte of an invalid sequence and each control
 * character becomes \xNN (a C1 control, two bytes in UTF-8, becomes two);
 * valid text is kept. Stops at a whole character and ends with "..." when
 * out is too small. Returns out, always NUL-terminated. */
const char *utf8_escape(
	char *out, size_t cap, const char *in, size_t n, unsigned flags);

/* utf8_escape of the C string s with UTF8_ESC_BACKSLASH: how a status
 * message quotes a caller's text (an unknown method, a service name, a
 * request_id): `oz_fail(st, c, "unknown method %s", utf8_quote(q,
 * sizeof(q), name))`. s may be NULL (""). */
const char *utf8_quote(char *out, size_t cap, const char *s);

#endif /* OZ_CORE_UTF8_H */
