/* oz/status.h -- the one status type of oz: a gRPC code, a message and the
 * request fields that were wrong.
 *
 * The same struct travels from the store to the wire and back out of the
 * client library. It holds no pointers, so it can be copied and needs no
 * free. */
#ifndef OZ_STATUS_H
#define OZ_STATUS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The canonical gRPC status codes (grpc doc/statuscodes.md), listed once. */
#define OZ_CODES(X)                                                           \
	X(OK, 0)                                                              \
	X(CANCELLED, 1)                                                       \
	X(UNKNOWN, 2)                                                         \
	X(INVALID_ARGUMENT, 3)                                                \
	X(DEADLINE_EXCEEDED, 4)                                               \
	X(NOT_FOUND, 5)                                                       \
	X(ALREADY_EXISTS, 6)                                                  \
	X(PERMISSION_DENIED, 7)                                               \
	X(RESOURCE_EXHAUSTED, 8)                                              \
	X(FAILED_PRECONDITION, 9)                                             \
	X(ABORTED, 10)                                                        \
	X(OUT_OF_RANGE, 11)                                                   \
	X(UNIMPLEMENTED, 12)                                                  \
	X(INTERNAL, 13)                                                       \
	X(UNAVAILABLE, 14)                                                    \
	X(DATA_LOSS, 15)                                                      \
	X(UNAUTHENTICATED, 16)

typedef enum oz_code {
#define OZ_CODE_ENUM(name, value) OZ_##name = value,
	OZ_CODES(OZ_CODE_ENUM)
#undef OZ_CODE_ENUM
} oz_code;

#define OZ_CODE_COUNT 17

/* Marks a function whose result must be looked at (a status code that a
 * caller may not drop): the compiler warns when it is ignored. */
#if defined(__GNUC__)
#define OZ_MUST_USE __attribute__((warn_unused_result))
#else
#define OZ_MUST_USE
#endif

/* Sizes of the fixed buffers below; longer text is truncated. */
#define OZ_STATUS_MESSAGE_MAX  256
#define OZ_VIOLATION_FIELD_MAX 64
#define OZ_VIOLATION_DESC_MAX  160
#define OZ_VIOLATIONS_MAX      8

typedef struct oz_violation {
	char field[OZ_VIOLATION_FIELD_MAX];
	char description[OZ_VIOLATION_DESC_MAX];
} oz_violation;

typedef struct oz_status {
	oz_code code;
	char message[OZ_STATUS_MESSAGE_MAX];
	size_t n_violations;
	oz_violation violations[OZ_VIOLATIONS_MAX];
} oz_status;

/* Returns the upper-case gRPC name of code ("NOT_FOUND"), or "UNKNOWN" for
 * a number outside 0..16. The string is static. */
const char *oz_code_name(int code);

/* Parses an upper-case gRPC name. Returns the code, or -1 if none. */
int oz_code_from_name(const char *name);

/* Resets st to OK with no message and no violations. */
void oz_status_clear(oz_status *st);

/* Sets st's code and printf-style message and returns code, so that a
 * fallible function can end with `return oz_fail(st, OZ_NOT_FOUND, ...)`.
 * Violations already added are kept. st may be NULL. */
oz_code oz_fail(oz_status *st, oz_code code, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;

/* Appends one field violation (the field's name as in the .proto, and what
 * is wrong with it). Past OZ_VIOLATIONS_MAX further ones are dropped. */
void oz_status_violation(
	oz_status *st, const char *field, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;

#ifdef __cplusplus
}
#endif

#endif /* OZ_STATUS_H */
