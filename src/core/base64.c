/* core/base64.c -- base64 and base64url (see base64.h). */
#include "core/base64.h"

#include <stdint.h>

static const char std_chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char url_chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t
oz_base64_len(size_t n, oz_base64 form)
{
	if (form == OZ_BASE64) {
		return (n + 2) / 3 * 4;
	}
	return n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}

size_t
oz_base64_encode(const void *raw, size_t n, oz_base64 form, char *out)
{
	const unsigned char *d = raw;
	const char *chars = form == OZ_BASE64 ? std_chars : url_chars;
	size_t j = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t) d[i] << 16;
		v |= i + 1 < n ? (uint32_t) d[i + 1] << 8 : 0;
		v |= i + 2 < n ? d[i + 2] : 0;
		size_t used = n - i >= 3 ? 4 : n - i + 1;
		for (size_t c = 0; c < 4; c++) {
			if (c < used) {
				out[j++] = chars[(v >> (18 - 6 * c)) & 0x3f];
			} else if (form == OZ_BASE64) {
				out[j++] = '=';
			}
		}
	}
	out[j] = '\0';
	return j;
}

/* The value of c in form's alphabet(s), or -1. */
static int
value(char c, oz_base64 form)
{
	if (c >= 'A' && c <= 'Z') {
		return c - 'A';
	}
	if (c >= 'a' && c <= 'z') {
		return c - 'a' + 26;
	}
	if (c >= '0' && c <= '9') {
		return c - '0' + 52;
	}
	if (c == '-' || (c == '+' && form == OZ_BASE64)) {
		return 62;
	}
	if (c == '_' || (c == '/' && form == OZ_BASE64)) {
		return 63;
	}
	return -1;
}

long
oz_base64_decode(const char *s, size_t len, oz_base64 form, unsigned char *out)
{
	size_t pad = 0;
	if (form == OZ_BASE64) {
		while (pad < len && s[len - 1 - pad] == '=') {
			pad++;
		}
		len -= pad;
	}
	if (pad > 2 || len % 4 == 1) {
		return -1;
	}
	size_t n = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < len; i++) {
		int v = value(s[i], form);
		if (v < 0) {
			return -1;
		}
		acc = (acc << 6) | (uint32_t) v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char) (acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	return acc == 0 || form == OZ_BASE64 ? (long) n : -1;
}
