/* service/validate.c -- field checks shared by the handlers. Pure: no I/O,
 * no allocation, nothing about protobuf or the store. */
#include <string.h>

#include "service/validate.h"

/* Decodes one UTF-8 sequence at s; returns its length, or 0 if invalid. */
static int
utf8_seq(const unsigned char *s)
{
	unsigned cp;
	int len;
	if (s[0] < 0x80) {
		return 1;
	} else if ((s[0] & 0xe0) == 0xc0) {
		cp = s[0] & 0x1f;
		len = 2;
	} else if ((s[0] & 0xf0) == 0xe0) {
		cp = s[0] & 0x0f;
		len = 3;
	} else if ((s[0] & 0xf8) == 0xf0) {
		cp = s[0] & 0x07;
		len = 4;
	} else {
		return 0;
	}
	for (int i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			return 0; /* Also stops at the NUL. */
		}
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	static const unsigned min[5] = {0, 0, 0x80, 0x800, 0x10000};
	if (cp < min[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
		return 0;
	}
	return len;
}

long
validate_utf8_chars(const char *s)
{
	const unsigned char *p = (const unsigned char *) (s != NULL ? s : "");
	long n = 0;
	while (*p != '\0') {
		int len = utf8_seq(p);
		if (len == 0) {
			return -1;
		}
		p += len;
		n++;
	}
	return n;
}

bool
validate_text(
	oz_status *st, const char *field, const char *s, long min, long max)
{
	long n = validate_utf8_chars(s);
	if (n < 0) {
		oz_status_violation(st, field, "must be valid UTF-8");
		return false;
	}
	if (n < min || n > max) {
		oz_status_violation(
			st, field, "must be %ld to %ld characters", min, max);
		return false;
	}
	return true;
}

/* True when s[0..n) is a domain: labels split by '.', none empty, >= 2. */
static bool
domain_ok(const char *s, size_t n)
{
	size_t labels = 0, len = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (len == 0) {
				return false;
			}
			labels++;
			len = 0;
		} else {
			len++;
		}
	}
	return labels >= 2;
}

bool
validate_email(oz_status *st, const char *field, const char *s)
{
	if (!validate_text(st, field, s, 1, VALIDATE_EMAIL_MAX)) {
		return false;
	}
	const char *at = strchr(s, '@');
	bool ok = at != NULL && at != s && strchr(at + 1, '@') == NULL &&
		  domain_ok(at + 1, strlen(at + 1));
	for (const unsigned char *p = (const unsigned char *) s;
		ok && *p != '\0'; p++) {
		ok = *p > ' ' && *p != 0x7f;
	}
	if (!ok) {
		oz_status_violation(st, field,
			"must be an email address such as name@example.com");
	}
	return ok;
}

oz_code
validate_end(oz_status *st, bool ok)
{
	if (ok) {
		return OZ_OK;
	}
	return oz_fail(st, OZ_INVALID_ARGUMENT, VALIDATE_MESSAGE);
}

void
validate_echo(char *buf, size_t n, const char *s)
{
	size_t i = 0, max = n - 4 < 40 ? n - 4 : 40;
	s = s != NULL ? s : "";
	for (; i < max && s[i] != '\0'; i++) {
		unsigned char ch = (unsigned char) s[i];
		buf[i] = ch >= ' ' && ch < 0x7f ? (char) ch : '?';
	}
	if (s[i] != '\0') {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
}
