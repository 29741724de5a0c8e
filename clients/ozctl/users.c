/* clients/ozctl/users.c -- `ozctl users create|get|list|update|delete`.
 *
 * Builds requests from the command line, calls the typed client functions
 * and prints the result; validation of values is the server's job. */
#include <stdlib.h>
#include <string.h>

#include "ozctl.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Prints users as a table; a single user's tasks (--with-tasks) follow in
 * a second table. */
static void
print_users(void *const *items, size_t n)
{
	Oz__V1__User *const *users = (Oz__V1__User *const *) items;
	static const char *const head[] = {
		"ID", "USERNAME", "EMAIL", "ACTIVE", "CREATED", "UPDATED"};
	ozctl_table *t = ozctl_table_new(N(head), head);
	for (size_t i = 0; i < n; i++) {
		char id[24], c[40], u[40];
		snprintf(id, sizeof(id), "%lld", (long long) users[i]->id);
		const char *row[] = {id, users[i]->username, users[i]->email,
			users[i]->is_active ? "yes" : "no",
			ozctl_time(users[i]->create_time, c, sizeof(c)),
			ozctl_time(users[i]->update_time, u, sizeof(u))};
		ozctl_table_add(t, row);
	}
	ozctl_table_print(t, stdout);
	if (n == 1 && users[0]->n_tasks > 0) {
		printf("\n");
		ozctl_print_tasks(
			(void *const *) users[0]->tasks, users[0]->n_tasks);
	}
}

static int
users_create(ozctl *ctl, int argc, char **argv)
{
	static const char usage[] = "ozctl users create --username U "
				    "--email E [--request-id KEY]";
	static const char help[] =
		"Creates a user and prints it.\n"
		"  --username U       1 to 50 characters, unique\n"
		"  --email E          an email address, unique ignoring case\n"
		"  --request-id KEY   idempotency key (default: a random "
		"one)\n";
	ozctl_opt o[] = {OZCTL_OPT("username", true), OZCTL_OPT("email", true),
		OZCTL_OPT("request-id", true)};
	Oz__V1__CreateUserRequest req = OZ__V1__CREATE_USER_REQUEST__INIT;
	const char *pos[1];
	int n_pos, rc;

	if (!ozctl_begin(ctl, argc, argv, o, N(o), pos, 0, &n_pos, usage, help,
		    &rc)) {
		return rc;
	}
	if (!o[0].set || !o[1].set) {
		return ozctl_usage_error(
			usage, "--username and --email are required");
	}
	req.username = (char *) o[0].value;
	req.email = (char *) o[1].value;
	if (o[2].set) {
		req.request_id = (char *) o[2].value;
	}
	return ozctl_call_show(
		ctl, "/oz.v1.UserService/CreateUser", &req.base, print_users);
}

static int
users_get(ozctl *ctl, int argc, char **argv)
{
	static const char usage[] =
		"ozctl users get ID [--with-tasks] | ozctl users get --email "
		"E [--with-tasks]";
	static const char help[] =
		"Prints one user, by id or by email.\n"
		"  --email E       look the user up by email (any case)\n"
		"  --with-tasks    include the user's tasks\n";
	ozctl_opt o[] = {
		OZCTL_OPT("email", true), OZCTL_OPT("with-tasks", false)};
	const char *pos[1];
	int n_pos, rc;
	int64_t id = 0;

	if (!ozctl_begin(ctl, argc, argv, o, N(o), pos, 1, &n_pos, usage, help,
		    &rc)) {
		return rc;
	}
	if ((n_pos == 1) == o[0].set) {
		return ozctl_usage_error(usage, "give either ID or --email");
	}
	if (n_pos == 1 && (rc = ozctl_one_id(n_pos, pos, &id, usage)) != 0) {
		return rc;
	}
	Oz__V1__UserView view =
		o[1].set ? OZ__V1__USER_VIEW__USER_VIEW_WITH_TASKS
			 : OZ__V1__USER_VIEW__USER_VIEW_BASIC;
	if (o[0].set) {
		Oz__V1__GetUserByEmailRequest req =
			OZ__V1__GET_USER_BY_EMAIL_REQUEST__INIT;
		req.email = (char *) o[0].value;
		req.view = view;
		return ozctl_call_show(ctl,
			"/oz.v1.UserService/GetUserByEmail", &req.base,
			print_users);
	}
	Oz__V1__GetUserRequest req = OZ__V1__GET_USER_REQUEST__INIT;
	req.id = id;
	req.view = view;
	return ozctl_call_show(
		ctl, "/oz.v1.UserService/GetUser", &req.base, print_users);
}

static int
users_list(ozctl *ctl, int argc, char **argv)
{
	static const char usage[] =
		"ozctl users list [--page-size N] [--page-token T] [--skip N] "
		"[--order-by \"create_time desc\"] [--active|--inactive] "
		"[--all]";
	static const char help[] =
		"Lists users, one page at a time (or every page with --all).\n"
		"  --page-size N    users per page (server default 50, max "
		"1000)\n"
		"  --page-token T   continue from a previous page\n"
		"  --skip N         skip N users first\n"
		"  --order-by S     comma list of id, username, email, "
		"create_time,\n"
		"                   each with optional \" desc\"\n"
		"  --active         only active users; --inactive: only "
		"inactive\n"
		"  --all            follow page tokens to the end\n"
		"--json prints one object: {\"users\": [...], "
		"\"nextPageToken\": ..., \"totalSize\": ...}.\n";
	ozctl_opt o[] = {OZCTL_OPT("page-size", true),
		OZCTL_OPT("page-token", true), OZCTL_OPT("skip", true),
		OZCTL_OPT("order-by", true), OZCTL_OPT("active", false),
		OZCTL_OPT("inactive", false), OZCTL_OPT("all", false)};
	Oz__V1__ListUsersRequest req = OZ__V1__LIST_USERS_REQUEST__INIT;
	Google__Protobuf__BoolValue active =
		GOOGLE__PROTOBUF__BOOL_VALUE__INIT;
	const char *pos[1];
	int n_pos, rc;

	if (!ozctl_begin(ctl, argc, argv, o, N(o), pos, 0, &n_pos, usage, help,
		    &rc)) {
		return rc;
	}
	if ((o[0].set && !ozctl_int32(o[0].value, &req.page_size)) ||
		(o[2].set && !ozctl_int32(o[2].value, &req.skip))) {
		return ozctl_usage_error(
			usage, "--page-size and --skip take integers");
	}
	if (o[4].set && o[5].set) {
		return ozctl_usage_error(
			usage, "--active and --inactive exclude each other");
	}
	req.page_token = o[1].set ? (char *) o[1].value : "";
	req.order_by = o[3].set ? (char *) o[3].value : "";
	if (o[4].set || o[5].set) {
		active.value = o[4].set;
		req.is_active = &active;
	}
	return ozctl_list(ctl, "/oz.v1.UserService/ListUsers", &req.base,
		o[6].set, print_users);
}

static int
users_update(ozctl *ctl, int argc, char **argv)
{
	static const char usage[] =
		"ozctl users update ID [--username U] [--email E] "
		"[--active|--inactive] [--etag E] [--request-id KEY]";
	static const char help[] =
		"Changes the given fields of a user and prints it.\n"
		"  --username U, --email E   new values\n"
		"  --active, --inactive      activate or deactivate\n"
		"  --etag E                  only if the user's etag is still "
		"E (else ABORTED)\n"
		"  --request-id KEY          idempotency key (default: "
		"random)\n";
	ozctl_opt o[] = {OZCTL_OPT("username", true), OZCTL_OPT("email", true),
		OZCTL_OPT("active", false), OZCTL_OPT("inactive", false),
		OZCTL_OPT("etag", true), OZCTL_OPT("request-id", true)};
	Oz__V1__UpdateUserRequest req = OZ__V1__UPDATE_USER_REQUEST__INIT;
	Oz__V1__User user = OZ__V1__USER__INIT;
	Google__Protobuf__FieldMask mask = GOOGLE__PROTOBUF__FIELD_MASK__INIT;
	char *paths[3];
	const char *pos[1];
	int n_pos, rc;

	if (!ozctl_begin(ctl, argc, argv, o, N(o), pos, 1, &n_pos, usage, help,
		    &rc)) {
		return rc;
	}
	if ((rc = ozctl_one_id(n_pos, pos, &user.id, usage)) != 0) {
		return rc;
	}
	if (o[2].set && o[3].set) {
		return ozctl_usage_error(
			usage, "--active and --inactive exclude each other");
	}
	if (o[0].set) {
		user.username = (char *) o[0].value;
		paths[mask.n_paths++] = "username";
	}
	if (o[1].set) {
		user.email = (char *) o[1].value;
		paths[mask.n_paths++] = "email";
	}
	if (o[2].set || o[3].set) {
		user.is_active = o[2].set;
		paths[mask.n_paths++] = "is_active";
	}
	if (mask.n_paths == 0) {
		return ozctl_usage_error(usage, "nothing to update");
	}
	user.etag = o[4].set ? (char *) o[4].value : "";
	mask.paths = paths;
	req.user = &user;
	req.update_mask = &mask;
	if (o[5].set) {
		req.request_id = (char *) o[5].value;
	}
	return ozctl_call_show(
		ctl, "/oz.v1.UserService/UpdateUser", &req.base, print_users);
}

static int
users_delete(ozctl *ctl, int argc, char **argv)
{
	static const char usage[] = "ozctl users delete ID [--force] [--etag "
				    "E] [--request-id KEY]";
	static const char help[] =
		"Deletes a user. A user with tasks is FAILED_PRECONDITION "
		"unless --force,\n"
		"which deletes the tasks too.\n"
		"  --etag E          only if the user's etag is still E\n"
		"  --request-id KEY  idempotency key (default: random)\n";
	ozctl_opt o[] = {OZCTL_OPT("force", false), OZCTL_OPT("etag", true),
		OZCTL_OPT("request-id", true)};
	Oz__V1__DeleteUserRequest req = OZ__V1__DELETE_USER_REQUEST__INIT;
	const char *pos[1];
	int n_pos, rc;

	if (!ozctl_begin(ctl, argc, argv, o, N(o), pos, 1, &n_pos, usage, help,
		    &rc)) {
		return rc;
	}
	if ((rc = ozctl_one_id(n_pos, pos, &req.id, usage)) != 0) {
		return rc;
	}
	req.force = o[0].set;
	if (o[1].set) {
		req.etag = (char *) o[1].value;
	}
	if (o[2].set) {
		req.request_id = (char *) o[2].value;
	}
	return ozctl_call_delete(
		ctl, "/oz.v1.UserService/DeleteUser", &req.base, "user");
}

int
ozctl_users(ozctl *ctl, int argc, char **argv)
{
	static const ozctl_sub subs[] = {{"create", users_create},
		{"get", users_get}, {"list", users_list},
		{"update", users_update}, {"delete", users_delete}};
	static const char usage[] =
		"ozctl users create|get|list|update|delete ...";
	static const char help[] =
		"  users create --username U --email E [--request-id KEY]\n"
		"  users get ID [--with-tasks] | users get --email E "
		"[--with-tasks]\n"
		"  users list [--page-size N] [--page-token T] [--skip N] "
		"[--order-by S]\n"
		"             [--active|--inactive] [--all]\n"
		"  users update ID [--username U] [--email E] "
		"[--active|--inactive]\n"
		"             [--etag E] [--request-id KEY]\n"
		"  users delete ID [--force] [--etag E] [--request-id KEY]\n"
		"--etag E: only if the user's etag is still E (else "
		"ABORTED).\n"
		"--request-id KEY: the write's idempotency key (default: a "
		"random one).\n"
		"ozctl users SUB --help describes each.\n";
	return ozctl_dispatch(ctl, argc, argv, subs, N(subs), usage, help);
}
