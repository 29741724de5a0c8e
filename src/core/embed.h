/* core/embed.h -- files built into every binary by scripts/embed.sh: the
 * protoc descriptor set of proto/, the migration files of migrations/ and
 * the web console's files (clients/js). */
#ifndef OZ_CORE_EMBED_H
#define OZ_CORE_EMBED_H

#include <stddef.h>

struct embed_file {
	const char *name; /* Base name, e.g. "0001_initial.sql". */
	const char *text; /* NUL-terminated contents. */
	size_t len;
};

/* A serialized google.protobuf.FileDescriptorSet of proto/ with imports. */
extern const unsigned char *const embed_descriptor_set;
extern const size_t embed_descriptor_set_len;

/* The migration files in name order; embed_n_migrations of them. */
extern const struct embed_file embed_migrations[];
extern const size_t embed_n_migrations;

/* The PostgreSQL dialect of the same migrations (migrations/postgres/):
 * the same file names, so the same revision ids. */
extern const struct embed_file embed_migrations_postgres[];
extern const size_t embed_n_migrations_postgres;

/* The web console's files (index.html, app.js, ...), served by ozd
 * --http; embed_n_console of them. */
extern const struct embed_file embed_console[];
extern const size_t embed_n_console;

#endif /* OZ_CORE_EMBED_H */
