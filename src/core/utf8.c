/* core/utf8.c -- UTF-8 validation and escaping (see core/utf8.h). Pure
 * functions on caller buffers: no allocation, no state, no logging. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/utf8.h"

/* Length of the valid UTF-8 sequence at s[0..n), or 0 when the bytes there
 * are not one (bad lead byte, truncated, overlong, surrogate, too large). */
static size_t
seq_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	uint32_t cp, min;
	if (c < 0x80) {
		return 1;
	} else if (c >= 0xc2 && c <= 0xdf) {
		len = 2, cp = c & 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3, cp = c & 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4, cp = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len) {
		return 0;
	}
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			return 0;
		}
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
		return 0;
	}
	return len;
}

/* True for a C0 control, DEL, or the first byte of a C1 control. */
static bool
is_control(const unsigned char *s, size_t len)
{
	return (len == 1 && (s[0] < 0x20 || s[0] == 0x7f)) ||
	       (len == 2 && s[0] == 0xc2 && s[1] < 0xa0);
}

bool
utf8_valid(const void *buf, size_t n, size_t *bad)
{
	const unsigned char *s = buf;
	for (size_t i = 0; i < n;) {
		size_t len = seq_len(s + i, n - i);
		if (len == 0) {
			if (bad != NULL) {
				*bad = i;
			}
			return false;
		}
		i += len;
	}
	return true;
}

bool
utf8_clean(const char *s)
{
	const unsigned char *u = (const unsigned char *) s;
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		size_t len = seq_len(u + i, n - i);
		if (len == 0 || is_control(u + i, len)) {
			return false;
		}
		i += len;
	}
	return true;
}

/* Renders the unit at s (len bytes, 0 = one invalid byte) into r; returns
 * the rendered length (at most 8). */
static size_t
render(char *r, const unsigned char *s, size_t len, unsigned flags)
{
	if (len == 0 || is_control(s, len)) {
		size_t k = len == 0 ? 1 : len, m = 0;
		for (size_t i = 0; i < k; i++) {
			m += (size_t) snprintf(r + m, 5, "\\x%02X", s[i]);
		}
		return m;
	}
	if (len == 1 && s[0] == '\\' && (flags & UTF8_ESC_BACKSLASH)) {
		r[0] = r[1] = '\\';
		return 2;
	}
	if (len == 1 && s[0] == '"' && (flags & UTF8_ESC_QUOTE)) {
		r[0] = '\\';
		r[1] = '"';
		return 2;
	}
	memcpy(r, s, len);
	return len;
}

const char *
utf8_escape(char *out, size_t cap, const char *in, size_t n, unsigned flags)
{
	const unsigned char *s = (const unsigned char *) in;
	size_t o = 0, room = cap - 4; /* Keeps space for "..." and NUL. */
	for (size_t i = 0; i < n;) {
		char r[9];
		size_t len = seq_len(s + i, n - i);
		size_t m = render(r, s + i, len, flags);
		if (o + m > room) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		memcpy(out + o, r, m);
		o += m;
		i += len == 0 ? 1 : len;
	}
	out[o] = '\0';
	return out;
}

const char *
utf8_quote(char *out, size_t cap, const char *s)
{
	s = s != NULL ? s : "";
	return utf8_escape(out, cap, s, strlen(s), UTF8_ESC_BACKSLASH);
}
