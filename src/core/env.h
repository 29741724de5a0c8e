/* core/env.h -- configuration values from the environment or a .env file.
 *
 * The order is the starter kit's: a variable set in the environment wins,
 * else a `NAME=value` line of ./.env, else the caller's default. */
#ifndef OZ_CORE_ENV_H
#define OZ_CORE_ENV_H

#include <stddef.h>

/* Looks NAME up in the environment, then in the file ".env" of the working
 * directory (lines `NAME=value`, optional `export `, optional quotes, `#`
 * comments). Copies the value into out (size n, always NUL-terminated) and
 * returns 1; returns 0 and copies def (if not NULL) when it is found in
 * neither. */
int env_get(const char *name, char *out, size_t n, const char *def);

/* Like env_get, reading dotenv_path instead of ./.env (NULL: no file). */
int env_get_from(const char *name, const char *dotenv_path, char *out,
	size_t n, const char *def);

#endif /* OZ_CORE_ENV_H */
