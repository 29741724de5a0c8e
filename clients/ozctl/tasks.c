/* clients/ozctl/tasks.c -- `ozctl tasks create|get|list|update|delete`.
 *
 * Builds requests from the command line, calls the typed client functions
 * and prints the result; validation of values is the server's job. */
#include <stdlib.h>
#include <string.h>

#include "ozctl.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

bool
ozctl_task_status_parse(const char *s, Oz__V1__TaskStatus *out)
{
	static const struct {
		const char *name;
		Oz__V1__TaskStatus v;
	} names[] = {
		{"pending", OZ__V1__TASK_STATUS__TASK_STATUS_PENDING},
		{"in_progress", OZ__V1__TASK_STATUS__TASK_STATUS_IN_PROGRESS},
		{"done", OZ__V1__TASK_STATUS__TASK_STATUS_DONE},
	};
	for (size_t i = 0; i < N(names); i++) {
		if (strcmp(s, names[i].name) == 0) {
			*out = names[i].v;
			return true;
		}
	}
	return false;
}

const char *
ozctl_task_status_name(Oz__V1__TaskStatus s)
{
	switch (s) {
	case OZ__V1__TASK_STATUS__TASK_STATUS_PENDING:
		return "pending";
	case OZ__V1__TASK_STATUS__TASK_STATUS_IN_PROGRESS:
		return "in_progress";
	case OZ__V1__TASK_STATUS__TASK_STATUS_DONE:
		return "done";
	default:
		return "unspecified";
	}
}

void
ozctl_print_tasks(void *const *items, size_t n)
{
	Oz__V1__Task *const *tasks = (Oz__V1__Task *const *) items;
	static const char *const head[] = {"ID", "USER_ID", "STATUS", "TITLE",
		"DESCRIPTION", "CREATED", "UPDATED"};
	ozctl_table *t = ozctl_table_new(N(head), head);
	for (size_t i = 0; i < n; i++) {
		char id[24], uid[24], c[40], u[40];
		snprintf(id, sizeof(id), "%lld", (long long) tasks[i]->id);
		snprintf(uid, sizeof(uid), "%lld",
			(long long) tasks[i]->user_id);
		const char *row[] = {id, uid,
			ozctl_task_status_name(tasks[i]->status),
			tasks[i]->title, tasks[i]->description,
			ozctl_time(tasks[i]->create_time, c, sizeof(c)),
			ozctl_time(tasks[i]->update_time, u, sizeof(u))};
		ozctl_table_add(t, row);
	}
	ozctl_table_print(t, stdout);
}

static int
status_opt(const ozctl_opt *o, Oz__V1__TaskStatus *s, const char *usage)
{
	if (o->set && !ozctl_task_status_parse(o->value, s)) {
		return ozctl_usage_error(usage,
			"--status is pending, in_progress or done, not "
			"\"%s\"",
			o->value);
	}
	return 0;
}

static int
tasks_create(ozctl *ctl, int argc, char **argv)
{
	static const char usage[] =
		"ozctl tasks create --user-id ID --title T [--description D] "
		"[--status pending|in_progress|done] [--request-id KEY]";
	static const char help[] =
		"Creates a task for a user and prints it.\n"
		"  --user-id ID      the owner\n"
		"  --title T         1 to 100 characters\n"
		"  --description D   free text\n"
		"  --status S        pending (default), in_progress or done\n"
		"  --request-id KEY  idempotency key (default: random)\n";
	ozctl_opt o[] = {OZCTL_OPT("user-id", true), OZCTL_OPT("title", true),
		OZCTL_OPT("description", true), OZCTL_OPT("status", true),
		OZCTL_OPT("request-id", true)};
	Oz__V1__CreateTaskRequest req = OZ__V1__CREATE_TASK_REQUEST__INIT;
	const char *pos[1];
	int n_pos, rc;

	if (!ozctl_begin(ctl, argc, argv, o, N(o), pos, 0, &n_pos, usage, help,
		    &rc)) {
		return rc;
	}
	if (!o[0].set || !o[1].set) {
		return ozctl_usage_error(
			usage, "--user-id and --title are required");
	}
	if (!ozctl_int64(o[0].value, &req.user_id)) {
		return ozctl_usage_error(usage, "--user-id takes an integer");
	}
	if ((rc = status_opt(&o[3], &req.status, usage)) != 0) {
		return rc;
	}
	req.title = (char *) o[1].value;
	if (o[2].set) {
		req.description = (char *) o[2].value;
	}
	if (o[4].set) {
		req.request_id = (char *) o[4].value;
	}
	return ozctl_call_show(ctl, "/oz.v1.TaskService/CreateTask", &req.base,
		ozctl_print_tasks);
}

static int
tasks_get(ozctl *ctl, int argc, char **argv)
{
	static const char usage[] = "ozctl tasks get ID";
	static const char help[] = "Prints one task.\n";
	Oz__V1__GetTaskRequest req = OZ__V1__GET_TASK_REQUEST__INIT;
	const char *pos[1];
	int n_pos, rc;

	if (!ozctl_begin(ctl, argc, argv, NULL, 0, pos, 1, &n_pos, usage, help,
		    &rc)) {
		return rc;
	}
	if ((rc = ozctl_one_id(n_pos, pos, &req.id, usage)) != 0) {
		return rc;
	}
	return ozctl_call_show(ctl, "/oz.v1.TaskService/GetTask", &req.base,
		ozctl_print_tasks);
}

static int
tasks_list(ozctl *ctl, int argc, char **argv)
{
	static const char usage[] =
		"ozctl tasks list [--user-id ID] [--status S] [--page-size N] "
		"[--page-token T] [--skip N] [--order-by S] [--all]";
	static const char help[] =
		"Lists tasks, one page at a time (or every page with --all).\n"
		"  --user-id ID     only this user's tasks\n"
		"  --status S       only pending, in_progress or done tasks\n"
		"  --page-size N    tasks per page\n"
		"  --page-token T   continue from a previous page\n"
		"  --skip N         skip N tasks first\n"
		"  --order-by S     comma list of id, title, status, "
		"create_time,\n"
		"                   update_time, each with optional \" "
		"desc\"\n"
		"  --all            follow page tokens to the end\n";
	ozctl_opt o[] = {OZCTL_OPT("user-id", true), OZCTL_OPT("status", true),
		OZCTL_OPT("page-size", true), OZCTL_OPT("page-token", true),
		OZCTL_OPT("skip", true), OZCTL_OPT("order-by", true),
		OZCTL_OPT("all", false)};
	Oz__V1__ListTasksRequest req = OZ__V1__LIST_TASKS_REQUEST__INIT;
	Google__Protobuf__Int64Value uid = GOOGLE__PROTOBUF__INT64_VALUE__INIT;
	const char *pos[1];
	int n_pos, rc;

	if (!ozctl_begin(ctl, argc, argv, o, N(o), pos, 0, &n_pos, usage, help,
		    &rc)) {
		return rc;
	}
	if ((o[0].set && !ozctl_int64(o[0].value, &uid.value)) ||
		(o[2].set && !ozctl_int32(o[2].value, &req.page_size)) ||
		(o[4].set && !ozctl_int32(o[4].value, &req.skip))) {
		return ozctl_usage_error(usage,
			"--user-id, --page-size and --skip take integers");
	}
	if ((rc = status_opt(&o[1], &req.status, usage)) != 0) {
		return rc;
	}
	req.user_id = o[0].set ? &uid : NULL;
	req.page_token = o[3].set ? (char *) o[3].value : "";
	req.order_by = o[5].set ? (char *) o[5].value : "";
	return ozctl_list(ctl, "/oz.v1.TaskService/ListTasks", &req.base,
		o[6].set, ozctl_print_tasks);
}

static int
tasks_update(ozctl *ctl, int argc, char **argv)
{
	static const char usage[] =
		"ozctl tasks update ID [--title T] [--description D] "
		"[--status S] [--etag E] [--request-id KEY]";
	static const char help[] =
		"Changes the given fields of a task and prints it.\n"
		"  --title T, --description D, --status S   new values\n"
		"  --etag E          only if the task's etag is still E (else "
		"ABORTED)\n"
		"  --request-id KEY  idempotency key (default: random)\n";
	ozctl_opt o[] = {OZCTL_OPT("title", true),
		OZCTL_OPT("description", true), OZCTL_OPT("status", true),
		OZCTL_OPT("etag", true), OZCTL_OPT("request-id", true)};
	Oz__V1__UpdateTaskRequest req = OZ__V1__UPDATE_TASK_REQUEST__INIT;
	Oz__V1__Task task = OZ__V1__TASK__INIT;
	Google__Protobuf__FieldMask mask = GOOGLE__PROTOBUF__FIELD_MASK__INIT;
	char *paths[3];
	const char *pos[1];
	int n_pos, rc;

	if (!ozctl_begin(ctl, argc, argv, o, N(o), pos, 1, &n_pos, usage, help,
		    &rc)) {
		return rc;
	}
	if ((rc = ozctl_one_id(n_pos, pos, &task.id, usage)) != 0 ||
		(rc = status_opt(&o[2], &task.status, usage)) != 0) {
		return rc;
	}
	if (o[0].set) {
		task.title = (char *) o[0].value;
		paths[mask.n_paths++] = "title";
	}
	if (o[1].set) {
		task.description = (char *) o[1].value;
		paths[mask.n_paths++] = "description";
	}
	if (o[2].set) {
		paths[mask.n_paths++] = "status";
	}
	if (mask.n_paths == 0) {
		return ozctl_usage_error(usage, "nothing to update");
	}
	task.etag = o[3].set ? (char *) o[3].value : "";
	mask.paths = paths;
	req.task = &task;
	req.update_mask = &mask;
	if (o[4].set) {
		req.request_id = (char *) o[4].value;
	}
	return ozctl_call_show(ctl, "/oz.v1.TaskService/UpdateTask", &req.base,
		ozctl_print_tasks);
}

static int
tasks_delete(ozctl *ctl, int argc, char **argv)
{
	static const char usage[] =
		"ozctl tasks delete ID [--etag E] [--request-id KEY]";
	static const char help[] =
		"Deletes a task.\n"
		"  --etag E          only if the task's etag is still E\n"
		"  --request-id KEY  idempotency key (default: random)\n";
	ozctl_opt o[] = {
		OZCTL_OPT("etag", true), OZCTL_OPT("request-id", true)};
	Oz__V1__DeleteTaskRequest req = OZ__V1__DELETE_TASK_REQUEST__INIT;
	const char *pos[1];
	int n_pos, rc;

	if (!ozctl_begin(ctl, argc, argv, o, N(o), pos, 1, &n_pos, usage, help,
		    &rc)) {
		return rc;
	}
	if ((rc = ozctl_one_id(n_pos, pos, &req.id, usage)) != 0) {
		return rc;
	}
	if (o[0].set) {
		req.etag = (char *) o[0].value;
	}
	if (o[1].set) {
		req.request_id = (char *) o[1].value;
	}
	return ozctl_call_delete(
		ctl, "/oz.v1.TaskService/DeleteTask", &req.base, "task");
}

int
ozctl_tasks(ozctl *ctl, int argc, char **argv)
{
	static const ozctl_sub subs[] = {{"create", tasks_create},
		{"get", tasks_get}, {"list", tasks_list},
		{"update", tasks_update}, {"delete", tasks_delete}};
	static const char usage[] =
		"ozctl tasks create|get|list|update|delete ...";
	static const char help[] =
		"  tasks create --user-id ID --title T [--description D] "
		"[--status S]\n"
		"             [--request-id KEY]\n"
		"  tasks get ID\n"
		"  tasks list [--user-id ID] [--status S] [--page-size N] "
		"[--page-token T]\n"
		"             [--skip N] [--order-by S] [--all]\n"
		"  tasks update ID [--title T] [--description D] [--status "
		"S]\n"
		"             [--etag E] [--request-id KEY]\n"
		"  tasks delete ID [--etag E] [--request-id KEY]\n"
		"S is pending, in_progress or done.\n"
		"--etag E: only if the task's etag is still E (else "
		"ABORTED).\n"
		"--request-id KEY: the write's idempotency key (default: a "
		"random one).\n"
		"ozctl tasks SUB --help describes each.\n";
	return ozctl_dispatch(ctl, argc, argv, subs, N(subs), usage, help);
}
