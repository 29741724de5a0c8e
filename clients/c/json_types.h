/* clients/c/json_types.h -- building blocks of the proto3 JSON mapping:
 * field names, base64, RFC 3339 timestamps and the field storage layout
 * of protobuf-c messages.
 *
 * Pure functions over memory; nothing here knows about jansson or nng. */
#ifndef OZ_CLIENTS_C_JSON_TYPES_H
#define OZ_CLIENTS_C_JSON_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

/* Largest field name or FieldMask path handled, in bytes. */
#define JT_NAME_MAX 256

/* Writes the lowerCamelCase JSON name of a snake_case proto name
 * ("update_mask" -> "updateMask"). Returns false when it does not fit. */
bool jt_camel(const char *snake, char *out, size_t n);

/* The reverse: "updateMask" -> "update_mask". False when it does not fit
 * or the name is not lowerCamelCase (contains '_'). */
bool jt_snake(const char *camel, char *out, size_t n);

/* Base64 (RFC 4648 with padding). Returns a malloc'ed NUL-terminated
 * string, or NULL when out of memory. */
char *jt_base64_encode(const uint8_t *data, size_t len);

/* Decodes standard or URL-safe base64, padding optional.
 * OUT: *out (malloc, caller frees; non-NULL even when empty), *out_len.
 * Returns false for invalid input or out of memory. */
bool jt_base64_decode(const char *s, uint8_t **out, size_t *out_len);

/* Formats seconds/nanos since the epoch as RFC 3339 UTC with 0, 3, 6 or 9
 * fraction digits ("2024-01-02T03:04:05.120Z"). Returns false when out of
 * the range 0001-01-01..9999-12-31 or nanos is not 0..999999999. */
bool jt_timestamp_format(int64_t seconds, int32_t nanos, char *out, size_t n);

/* Parses an RFC 3339 time with Z or a numeric offset. False when
 * malformed or out of range. */
bool jt_timestamp_parse(const char *s, int64_t *seconds, int32_t *nanos);

/* Bytes taken by one value of field f in a repeated array (or as a
 * singular member): 4, 8, sizeof(void *) ... */
size_t jt_value_size(const ProtobufCFieldDescriptor *f);

/* True when field f of message m carries a value that proto3 JSON
 * prints (explicit presence, or a non-default implicit value). For a
 * repeated field: at least one element. */
bool jt_field_present(
	const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f);

/* Pointer to the storage of field f inside message m. */
void *jt_field_ptr(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f);
const void *jt_field_cptr(
	const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f);

/* For fields with a quantifier (repeated count, has_ flag or oneof case):
 * pointer to it, else NULL. */
void *jt_quantifier_ptr(
	ProtobufCMessage *m, const ProtobufCFieldDescriptor *f);

#endif /* OZ_CLIENTS_C_JSON_TYPES_H */
