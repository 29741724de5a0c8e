/* core/status.c -- code names and the helpers that fill an oz_status.
 * No layer-specific knowledge lives here: foreign codes are mapped at the
 * edges (store/sqlite/db.c for SQLite, rpc/ for nng). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "oz/status.h"

static const char *const code_names[OZ_CODE_COUNT] = {
#define OZ_CODE_NAME(name, value) [value] = #name,
	OZ_CODES(OZ_CODE_NAME)
#undef OZ_CODE_NAME
};

const char *
oz_code_name(int code)
{
	if (code < 0 || code >= OZ_CODE_COUNT) {
		return "UNKNOWN";
	}
	return code_names[code];
}

int
oz_code_from_name(const char *name)
{
	for (int i = 0; i < OZ_CODE_COUNT; i++) {
		if (strcmp(code_names[i], name) == 0) {
			return i;
		}
	}
	return -1;
}

void
oz_status_clear(oz_status *st)
{
	st->code = OZ_OK;
	st->message[0] = '\0';
	st->n_violations = 0;
}

oz_code
oz_fail(oz_status *st, oz_code code, const char *fmt, ...)
{
	if (st != NULL) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(st->message, sizeof(st->message), fmt, ap);
		va_end(ap);
		st->code = code;
	}
	return code;
}

void
oz_status_violation(oz_status *st, const char *field, const char *fmt, ...)
{
	if (st == NULL || st->n_violations >= OZ_VIOLATIONS_MAX) {
		return;
	}
	oz_violation *v = &st->violations[st->n_violations++];
	snprintf(v->field, sizeof(v->field), "%s", field);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v->description, sizeof(v->description), fmt, ap);
	va_end(ap);
}
