# tests/e2e/lib/ozctl.sh -- helpers sourced by tests/e2e/ozctl*.sh (not a
# test itself: tests/run.sh runs only tests/e2e/*.sh).
#
# The caller sets NAME (for messages) and TMP (its temporary directory).
# Sources lib/db.sh (the backend; from $HERE, else ./tests/e2e). Each
# helper runs $OZCTL with stdout in $TMP/out and stderr in $TMP/err and
# ends the test with a message on the first mismatch.

. "${HERE:-$(pwd)/tests/e2e}/lib/db.sh"

fail() {
	echo "$NAME: FAIL: $*" >&2
	[ -f "$TMP/err" ] && sed 's/^/  stderr: /' "$TMP/err" >&2
	[ -f "$TMP/ozd.log" ] && tail -n 5 "$TMP/ozd.log" >&2
	exit 1
}

# ok ARGS...: ozctl must succeed.
ok() {
	"$OZCTL" "$@" >"$TMP/out" 2>"$TMP/err" || fail "ozctl $* exited $?"
}

# status N ARGS...: ozctl must exit with status N.
status() {
	want=$1
	shift
	rc=0
	"$OZCTL" "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
	[ "$rc" -eq "$want" ] || fail "ozctl $* exited $rc, want $want"
}

# jqt FILTER: the last stdout must satisfy the jq filter.
jqt() {
	jq -e "$1" "$TMP/out" >/dev/null || fail "jq '$1' on $(cat "$TMP/out")"
}

# err TEXT: the last stderr must contain TEXT.
err() {
	grep -qF -- "$1" "$TMP/err" || fail "stderr lacks '$1'"
}

# out_is TEXT: the last stdout must be exactly TEXT.
out_is() {
	[ "$(cat "$TMP/out")" = "$1" ] ||
		fail "output '$(cat "$TMP/out")', want '$1'"
}

# val FILTER: prints jq -r FILTER of the last stdout.
val() {
	jq -r "$1" "$TMP/out"
}
