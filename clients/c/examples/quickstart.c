/* clients/c/examples/quickstart.c -- a first program on the oz C client:
 * check health, create a user and two tasks, list the tasks, print the
 * user as JSON, clean up.
 *
 * Build against an installed copy:
 *   cc quickstart.c $(pkg-config --cflags --libs oz-client) -o quickstart
 * (`make` builds it as build/examples/quickstart too.)
 * Run: ./quickstart [URL] [USERNAME]   (URL default $OZ_URL, else
 * tcp://127.0.0.1:7878;
 * USERNAME default quickstart-TAG, a tag of its own for each run, so the
 * example runs cleanly on a database that has data already).
 * Exits 0 on success, 1 on any failure (printed on stderr as
 * "what: CODE: message"). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <oz/client.h>

static int
failed(const char *what, const oz_status *st)
{
	fprintf(stderr, "%s: %s: %s\n", what, oz_code_name(st->code),
		st->message);
	for (size_t i = 0; i < st->n_violations; i++) {
		fprintf(stderr, "  %s: %s\n", st->violations[i].field,
			st->violations[i].description);
	}
	return 1;
}

int
main(int argc, char **argv)
{
	/* NULL: the library's default, tcp://127.0.0.1:7878. */
	const char *url = argc > 1 ? argv[1] : getenv("OZ_URL");
	char tag[32], email[128];
	/* A name of its own for each run: time and process id, mixed. */
	snprintf(tag, sizeof(tag), "quickstart-%08x",
		(unsigned) ((unsigned long) time(NULL) * 2654435761u ^
			    (unsigned long) getpid() * 40503u));
	const char *name = argc > 2 ? argv[2] : tag;
	oz_client_options opts = {0};
	oz_client *client;
	oz_status st;
	int rc = 1;

	opts.deadline_ms = 3000;
	if (oz_client_open(&client, url, &opts, &st) != OZ_OK) {
		return failed("open", &st);
	}

	Grpc__Health__V1__HealthCheckRequest hreq =
		GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
	Grpc__Health__V1__HealthCheckResponse *health;
	if (oz_health_check(client, &hreq, &health, &st) != OZ_OK) {
		failed("health", &st);
		goto out;
	}
	printf("health: %d (1 = SERVING)\n", health->status);
	oz_message_free(health);

	/* Writes get an idempotency key (request_id) automatically, so the
	 * library can resend them safely if the connection breaks: ozd
	 * answers a repeated key with the first outcome. */
	Oz__V1__CreateUserRequest ureq = OZ__V1__CREATE_USER_REQUEST__INIT;
	Oz__V1__User *user;
	snprintf(email, sizeof(email), "%s@example.com", name);
	ureq.username = (char *) name;
	ureq.email = email;
	if (oz_user_create(client, &ureq, &user, &st) != OZ_OK) {
		failed("create user", &st);
		goto out;
	}
	printf("created user %lld (%s)\n", (long long) user->id,
		user->username);

	static const char *const titles[] = {"read the README", "ship it"};
	for (int i = 0; i < 2; i++) {
		Oz__V1__CreateTaskRequest treq =
			OZ__V1__CREATE_TASK_REQUEST__INIT;
		Oz__V1__Task *task;
		treq.user_id = user->id;
		treq.title = (char *) titles[i];
		if (oz_task_create(client, &treq, &task, &st) != OZ_OK) {
			failed("create task", &st);
			goto out_user;
		}
		oz_message_free(task);
	}

	/* List the user's tasks: user_id is a google.protobuf.Int64Value. */
	Google__Protobuf__Int64Value uid = GOOGLE__PROTOBUF__INT64_VALUE__INIT;
	Oz__V1__ListTasksRequest lreq = OZ__V1__LIST_TASKS_REQUEST__INIT;
	Oz__V1__ListTasksResponse *list;
	uid.value = user->id;
	lreq.user_id = &uid;
	if (oz_task_list(client, &lreq, &list, &st) != OZ_OK) {
		failed("list tasks", &st);
		goto out_user;
	}
	for (size_t i = 0; i < list->n_tasks; i++) {
		printf("task %lld: %s\n", (long long) list->tasks[i]->id,
			list->tasks[i]->title);
	}
	printf("%d task(s)\n", (int) list->total_size);
	oz_message_free(list);

	/* Any message prints as proto3 JSON. */
	char *json;
	if (oz_json_from_message(&user->base, OZ_JSON_PRETTY, &json, &st) ==
		OZ_OK) {
		printf("%s\n", json);
		free(json);
	}

	/* An error carries its gRPC code: this user exists already. */
	Oz__V1__User *again;
	if (oz_user_create(client, &ureq, &again, &st) == OZ_ALREADY_EXISTS) {
		printf("second create: %s: %s\n", oz_code_name(st.code),
			st.message);
		rc = 0;
	} else {
		fprintf(stderr,
			"second create: expected ALREADY_EXISTS, got %s\n",
			oz_code_name(st.code));
		oz_message_free(again);
	}

out_user:;
	Oz__V1__DeleteUserRequest dreq = OZ__V1__DELETE_USER_REQUEST__INIT;
	dreq.id = user->id;
	dreq.force = 1; /* Its tasks go too. */
	if (oz_user_delete(client, &dreq, &st) != OZ_OK) {
		rc = failed("delete user", &st);
	}
	oz_message_free(user);
out:
	oz_client_close(client);
	return rc;
}
