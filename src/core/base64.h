/* core/base64.h -- the one base64 codec (RFC 4648) of oz: page tokens
 * (base64url, no padding, strict) and the C client's JSON bytes (standard
 * alphabet with padding; either alphabet read). No allocation. */
#ifndef OZ_CORE_BASE64_H
#define OZ_CORE_BASE64_H

#include <stddef.h>

typedef enum oz_base64 {
	/* Writes "+/" and '=' padding. Reads either alphabet, padding
	 * optional (up to two '='), unused low bits ignored: what proto3
	 * JSON accepts for bytes. */
	OZ_BASE64,
	/* Writes "-_", no padding (§5). Reads only that, and refuses
	 * non-zero unused bits, so each byte string has one encoding. */
	OZ_BASE64URL,
} oz_base64;

/* Characters of the encoding of n bytes (without the NUL). */
size_t oz_base64_len(size_t n, oz_base64 form);

/* Writes raw[0..n) to out (room for oz_base64_len(n, form) + 1),
 * NUL-terminated. Returns the characters written. */
size_t oz_base64_encode(const void *raw, size_t n, oz_base64 form, char *out);

/* Decodes s[0..len) into out (room for len * 3 / 4 bytes). Returns the
 * byte count, or -1 for a bad character, padding, length or (OZ_BASE64URL)
 * non-zero unused bits. */
long oz_base64_decode(
	const char *s, size_t len, oz_base64 form, unsigned char *out);

#endif
