# Makefile -- builds ozd, ozctl, ozbench, the C client library and the tests.
#
#   make                 build everything (installs missing Debian packages)
#   make test            build, then run every test
#   make run             build, then start ozd on DATABASE_URL (default app.db)
#   make readme-check    follow README.md on a fresh clone, compare outputs
#   make SANITIZE=address,undefined test    the same under sanitizers
#   make install PREFIX=/usr DESTDIR=/tmp/stage
#
# CFLAGS belongs to you; project flags live in OZ_CFLAGS and come first.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
CC ?= cc
CFLAGS ?= -O2 -g
LDFLAGS ?=
SANITIZE ?=

.DEFAULT_GOAL := all
VERSION := 0.1.0
comma := ,
BUILD ?= build$(if $(SANITIZE),/$(subst $(comma),-,$(SANITIZE)))

# Install missing Debian packages before anything reads pkg-config.
NO_DEPS_GOALS := clean format format-check help
ifeq ($(filter $(NO_DEPS_GOALS),$(MAKECMDGOALS)),)
ifeq ($(OZ_SKIP_DEPS),)
DEPS_OUT := $(shell sh scripts/deps.sh 1>&2; echo $$?)
ifneq ($(DEPS_OUT),0)
$(error scripts/deps.sh failed: install the packages it names)
endif
endif
endif

PKGS := libprotobuf-c sqlite3 jansson libpq
DEP_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
DEP_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
NNG_LIBS ?= -lnng
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

SAN_FLAGS := $(if $(SANITIZE),-fsanitize=$(SANITIZE) -fno-omit-frame-pointer)
OZ_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
	-DOZ_VERSION='"$(VERSION)"' -Wall -Wextra -Wshadow -Wno-unused-parameter \
	-fPIC -pthread -Iinclude -Isrc -Itests -I$(BUILD)/gen $(SAN_FLAGS)
ALL_CFLAGS = $(OZ_CFLAGS) $(DEP_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = -pthread $(SAN_FLAGS) $(LDFLAGS)
LIBS = $(NNG_LIBS) $(DEP_LIBS) -lm

# --- Generated protobuf-c code (build output, never committed) ---------------
WKT_DIR ?= /usr/include
WKT := google/protobuf/timestamp.proto google/protobuf/empty.proto \
	google/protobuf/field_mask.proto google/protobuf/wrappers.proto
PROTOS := $(shell find proto -name '*.proto' | sort)
PROTO_REL := $(PROTOS:proto/%=%)
GEN_C := $(addprefix $(BUILD)/gen/,$(PROTO_REL:.proto=.pb-c.c) $(WKT:.proto=.pb-c.c))
GEN_H := $(GEN_C:.c=.h)
DESC_SET := $(BUILD)/gen/oz.desc

$(BUILD)/gen/.stamp: $(PROTOS)
	@mkdir -p $(BUILD)/gen
	protoc --c_out=$(BUILD)/gen -Iproto -I$(WKT_DIR) $(PROTO_REL) $(WKT)
	protoc --descriptor_set_out=$(DESC_SET) --include_imports \
		-Iproto -I$(WKT_DIR) $(PROTO_REL)
	@touch $@
$(GEN_C) $(GEN_H) $(DESC_SET): $(BUILD)/gen/.stamp

# --- Sources -----------------------------------------------------------------
CORE_SRC := $(wildcard src/core/*.c)
LIB_SRC := $(CORE_SRC) $(wildcard src/store/*.c src/store/sqlite/*.c \
	src/store/postgres/*.c \
	src/service/*.c src/rpc/*.c)
CLIENT_SRC := $(wildcard clients/c/*.c)
OZCTL_SRC := $(wildcard clients/ozctl/*.c)
BENCH_SRC := $(wildcard bench/*.c)
TEST_SUPPORT_SRC := $(wildcard tests/support/*.c)
TEST_SRC := $(shell find tests -name '*_test.c' 2>/dev/null | sort)
MIGRATIONS := $(sort $(wildcard migrations/*.sql))
PG_MIGRATIONS := $(sort $(wildcard migrations/postgres/*.sql))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
GEN_OBJ := $(GEN_C:.c=.o)
LIB_OBJ := $(call obj,$(LIB_SRC)) $(BUILD)/obj/embed.o
CLIENT_OBJ := $(call obj,$(CLIENT_SRC) src/core/status.c src/core/clock.c \
	src/core/base64.c src/rpc/services.c)
TEST_BINS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRC))

LIBOZ := $(BUILD)/liboz.a
LIBPROTO := $(BUILD)/libozproto.a
LIBCLIENT_A := $(BUILD)/liboz-client.a
LIBCLIENT_SO := $(BUILD)/liboz-client.so
OZD := $(BUILD)/ozd
OZCTL := $(BUILD)/ozctl
OZBENCH := $(BUILD)/ozbench
BINS := $(OZD) $(if $(OZCTL_SRC),$(OZCTL)) $(if $(BENCH_SRC),$(OZBENCH))
# The C examples, built against the build's own client library (the
# README's session and `make run` use them; installed copies are built
# with pkg-config instead, see tests/e2e/client_example.sh).
EXAMPLE_SRC := $(wildcard clients/c/examples/*.c)
EXAMPLES := $(patsubst clients/c/examples/%.c,$(BUILD)/examples/%,$(EXAMPLE_SRC))

.PHONY: all test run install uninstall clean format format-check lint help \
	test-concurrency test-valgrind readme-check \
	check-cflags bench bench-table bench-scale test-browser test-postgres \
	bench-postgres
all: $(BINS) $(if $(CLIENT_SRC),$(LIBCLIENT_A) $(LIBCLIENT_SO)) $(EXAMPLES) \
	$(TEST_BINS)

$(BUILD)/obj/%.o: %.c $(BUILD)/gen/.stamp
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<
$(BUILD)/gen/%.pb-c.o: $(BUILD)/gen/%.pb-c.c $(BUILD)/gen/.stamp
	$(CC) $(ALL_CFLAGS) -Wno-shadow -c -o $@ $<

# --- JavaScript client and web console (clients/js) --------------------------
# npm packages come from clients/js/package-lock.json (`npm ci` when
# node_modules is missing or the lock changed). The console ozd serves is
# clients/js/console/*, the client core, protobufjs's browser build and
# proto/ as protobufjs JSON (made here by protobufjs's own parser).
JS_DIR := clients/js
JS_MODULES := $(JS_DIR)/node_modules/.package-lock.json
PBJS_MIN := $(JS_DIR)/node_modules/protobufjs/dist/light/protobuf.min.js
CONSOLE_SRC := $(sort $(wildcard $(JS_DIR)/console/*.html $(JS_DIR)/console/*.svg \
	$(JS_DIR)/console/*.css $(JS_DIR)/console/*.js)) $(JS_DIR)/src/client.js
$(JS_MODULES): $(JS_DIR)/package.json $(JS_DIR)/package-lock.json
	cd $(JS_DIR) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@
$(BUILD)/gen/oz.json: $(PROTOS) $(JS_MODULES) $(JS_DIR)/tools/bundle-proto.mjs \
		$(JS_DIR)/src/protos.js
	@mkdir -p $(dir $@)
	node $(JS_DIR)/tools/bundle-proto.mjs proto > $@.tmp && mv $@.tmp $@

# Migrations, the descriptor set and the console are built into the
# binaries, so they work from any directory.
$(BUILD)/gen/embed.c: $(MIGRATIONS) $(PG_MIGRATIONS) $(DESC_SET) \
		scripts/embed.sh $(CONSOLE_SRC) $(BUILD)/gen/oz.json $(JS_MODULES)
	sh scripts/embed.sh $(DESC_SET) $(MIGRATIONS) \
		--postgres $(PG_MIGRATIONS) --console \
		$(CONSOLE_SRC) $(BUILD)/gen/oz.json $(PBJS_MIN) > $@.tmp && \
		mv $@.tmp $@
$(BUILD)/obj/embed.o: $(BUILD)/gen/embed.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIBPROTO): $(GEN_OBJ)
	$(AR) rcs $@ $^
$(LIBOZ): $(LIB_OBJ)
	$(AR) rcs $@ $^
$(LIBCLIENT_A): $(CLIENT_OBJ) $(GEN_OBJ)
	$(AR) rcs $@ $^
$(LIBCLIENT_SO): $(CLIENT_OBJ) $(GEN_OBJ)
	$(CC) -shared -Wl,-soname,liboz-client.so.0 $(ALL_LDFLAGS) -o $@ $^ \
		$(LIBS)

$(OZD): $(BUILD)/obj/src/main.o $(LIBOZ) $(LIBPROTO)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)
$(OZCTL): $(call obj,$(OZCTL_SRC) $(CLIENT_SRC)) $(LIBOZ) $(LIBPROTO)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)
$(OZBENCH): $(call obj,$(BENCH_SRC) $(CLIENT_SRC)) $(LIBOZ) $(LIBPROTO)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# An example includes <oz/client.h> and the generated headers as an
# installed program would (-I$(BUILD)/gen stands in for oz/pb).
$(BUILD)/examples/%: $(BUILD)/obj/clients/c/examples/%.o $(LIBCLIENT_A)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# Each tests/**/NAME_test.c is one cmocka program. Its object is kept
# (.SECONDARY): were it deleted as an intermediate, the next `make` would
# rebuild it and relink every test.
.SECONDARY: $(patsubst tests/%.c,$(BUILD)/obj/tests/%.o,$(TEST_SRC)) \
	$(call obj,$(TEST_SUPPORT_SRC) $(EXAMPLE_SRC))
$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(call obj,$(TEST_SUPPORT_SRC) \
		$(CLIENT_SRC)) $(LIBOZ) $(LIBPROTO)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS) $(CMOCKA_LIBS)

# --- Running -----------------------------------------------------------------
test: all
	BUILD=$(BUILD) sh tests/run.sh $(TEST_BINS)

# The suites on a throwaway PostgreSQL cluster (scripts/pg.sh): the
# programs that take their backend from OZ_TEST_DATABASE_URL (the store
# tests on the fixture, the service, server and client tests; in
# `make test` they run on SQLite), the PostgreSQL backend's own store tests
# (they skip in `make test`), tests/e2e/*.sh, the Python tests, then the
# fault tests of tests/postgres/.
PG_TESTS := $(filter $(TEST_BINS),$(addprefix $(BUILD)/tests/store/, \
	backend_test postgres_store_test \
	postgres_backend_test postgres_writer_test user_store_test \
	task_store_test) \
	$(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/service/*_test.c \
	tests/rpc/*_test.c tests/client/*_test.c)))
test-postgres: $(PG_TESTS) $(BINS)
	BUILD=$(BUILD) sh scripts/test-postgres.sh $(PG_TESTS)

# The web console in headless Chromium (clients/js/test-browser): forms,
# paging, stats charts, the Origin rule; screenshots in $(BUILD)/screenshots.
OZ_HTTP_ADDR ?= 127.0.0.1:7880
test-browser: $(OZD) $(JS_MODULES)
	sh scripts/chromium.sh
	cd $(JS_DIR) && OZD=$(abspath $(OZD)) \
		OZ_SCREENSHOTS=$(abspath $(BUILD))/screenshots \
		node --test test-browser/*.test.js

# The latency-vs-load sweep, the writes and their SVG charts; the former
# standard table; the cost vs size (scripts/bench.sh: BENCH_SECONDS,
# BENCH_RUNS, BENCH_SWEEP, BENCH_PLOTS).
bench: $(OZD) $(OZBENCH)
	BUILD=$(BUILD) sh scripts/bench.sh
bench-table: $(OZD) $(OZBENCH)
	BUILD=$(BUILD) BENCH_TABLE=1 sh scripts/bench.sh
bench-scale: $(OZD) $(OZBENCH)
	BUILD=$(BUILD) BENCH_SCALE=1 sh scripts/bench.sh
# ozd on a throwaway PostgreSQL against pgbench on the same server
# (bench/postgres.sh; BENCH_SECONDS): a benchmark, never a test.
bench-postgres: $(OZD) $(OZCTL) $(OZBENCH)
	BUILD=$(BUILD) sh bench/postgres.sh

# Concurrency tests only, for `make SANITIZE=thread test-concurrency` in CI:
# the server under parallel clients, group commit, handlers on several
# connections at once, the multi-threaded client.
CONCURRENCY_TESTS := $(filter $(TEST_BINS),$(addprefix $(BUILD)/tests/, \
	rpc/server_test rpc/admin_queue_test rpc/group_commit_test \
	service/concurrency_test \
	client/client_test))
test-concurrency: $(CONCURRENCY_TESTS)
	@set -e; for t in $^; do echo "=== $$t"; $$t; done

# Memcheck over the server's integration tests: any error or definite leak
# fails. Suppressions (nng's own threads) and why: .ci/valgrind.supp.
VALGRIND_TESTS := $(filter $(TEST_BINS),$(addprefix $(BUILD)/tests/, \
	rpc/server_test rpc/call_test))
VALGRIND = valgrind -q --error-exitcode=1 --leak-check=full \
	--errors-for-leak-kinds=definite --suppressions=.ci/valgrind.supp
test-valgrind: $(VALGRIND_TESTS)
	@set -e; for t in $^; do echo "=== valgrind $$t"; $(VALGRIND) $$t; done

# The README followed literally on a fresh clone: its Quick start, then
# every ```console block, each output compared (tests/readme/).
readme-check:
	/usr/bin/python3 tests/readme/readme_check.py

# Everything the README's session uses: ozd, ozctl, the C client library
# and the C examples (not the tests, so the server starts fast on a fresh
# clone).
run: $(OZD) $(OZCTL) $(LIBCLIENT_A) $(LIBCLIENT_SO) $(EXAMPLES)
	./$(OZD) --migrate --http $(OZ_HTTP_ADDR)

# --- Fuzzing (fuzz/*_fuzz.c, libFuzzer) ---------------------------------------
# `make fuzz FUZZ_SECONDS=N` builds every harness with clang into
# $(FUZZ_BUILD) -- its own object set, compiled with the fuzzer and
# sanitizer flags, apart from the normal build -- and runs each for N
# seconds; any crash, leak or sanitizer report fails the target. New corpus
# entries go to $(FUZZ_BUILD)/corpus/NAME, crash inputs to
# $(FUZZ_BUILD)/artifacts/; the committed seeds in fuzz/corpus/NAME are
# only read.
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZ_BUILD ?= build/fuzz
FUZZ_MAX_LEN ?= 8192
FUZZ_SRC := $(wildcard fuzz/*_fuzz.c)
FUZZ_NAMES := $(patsubst fuzz/%.c,%,$(FUZZ_SRC))
FUZZ_BINS := $(addprefix $(BUILD)/fuzzers/,$(FUZZ_NAMES))

.PHONY: fuzz fuzz-build fuzz-bins
fuzz-build:
	$(MAKE) BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) CFLAGS='-O1 -g' \
		SANITIZE=address,undefined,fuzzer-no-link fuzz-bins
fuzz-bins: $(FUZZ_BINS)
.SECONDARY: $(patsubst %,$(BUILD)/obj/fuzz/%.o,$(FUZZ_NAMES))
$(BUILD)/fuzzers/%: $(BUILD)/obj/fuzz/%.o $(call obj,$(CLIENT_SRC)) \
		$(LIBOZ) $(LIBPROTO)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LIBS)
fuzz: fuzz-build
	@mkdir -p $(FUZZ_BUILD)/artifacts
	@set -e; for n in $(FUZZ_NAMES); do \
		mkdir -p $(FUZZ_BUILD)/corpus/$$n; \
		echo "=== fuzz $$n for $(FUZZ_SECONDS)s"; \
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		$(FUZZ_BUILD)/fuzzers/$$n -max_total_time=$(FUZZ_SECONDS) \
			-max_len=$(FUZZ_MAX_LEN) -timeout=10 -rss_limit_mb=2048 \
			-print_final_stats=1 \
			-artifact_prefix=$(FUZZ_BUILD)/artifacts/$$n- \
			$(FUZZ_BUILD)/corpus/$$n fuzz/corpus/$$n \
			2> $(FUZZ_BUILD)/$$n.log || \
			{ tail -n 60 $(FUZZ_BUILD)/$$n.log; exit 1; }; \
		grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units)' \
			$(FUZZ_BUILD)/$$n.log || true; \
	done

# --- Installing --------------------------------------------------------------
# Library directories the dynamic loader searches (ld.so.conf on Debian):
# installing there runs ldconfig (not when staging into DESTDIR), and
# oz-client.pc adds no rpath. Any other LIBDIR gets -Wl,-rpath in the
# .pc's Libs, so a program built with `pkg-config --libs oz-client` finds
# liboz-client.so.0 without LD_LIBRARY_PATH.
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)
SYSTEM_LIBDIRS := /lib /usr/lib /usr/local/lib $(if $(MULTIARCH), \
	/lib/$(MULTIARCH) /usr/lib/$(MULTIARCH) /usr/local/lib/$(MULTIARCH))
PC_RPATH := $(if $(filter $(SYSTEM_LIBDIRS),$(LIBDIR)),,-Wl$(comma)-rpath$(comma)$${libdir})
install: $(BINS) $(if $(CLIENT_SRC),$(LIBCLIENT_A) $(LIBCLIENT_SO))
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig \
		$(DESTDIR)$(INCLUDEDIR)/oz $(DESTDIR)$(MANDIR)/man1
	install -m 755 $(BINS) $(DESTDIR)$(BINDIR)/
	if [ -f $(LIBCLIENT_A) ]; then \
		install -m 644 $(LIBCLIENT_A) $(DESTDIR)$(LIBDIR)/ && \
		install -m 755 $(LIBCLIENT_SO) \
			$(DESTDIR)$(LIBDIR)/liboz-client.so.0 && \
		ln -sf liboz-client.so.0 $(DESTDIR)$(LIBDIR)/liboz-client.so; \
	fi
	install -m 644 include/oz/*.h $(DESTDIR)$(INCLUDEDIR)/oz/
	cd $(BUILD)/gen && find . -name '*.pb-c.h' -exec install -D -m 644 {} \
		$(DESTDIR)$(INCLUDEDIR)/oz/pb/{} \;
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@VERSION@|$(VERSION)|g' \
		-e 's|@RPATH@|$(PC_RPATH)|g' \
		clients/c/oz-client.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/oz-client.pc
	if [ -f docs/ozctl.1 ]; then \
		install -m 644 docs/ozctl.1 $(DESTDIR)$(MANDIR)/man1/; fi
	$(if $(and $(if $(DESTDIR),,1),$(filter $(SYSTEM_LIBDIRS),$(LIBDIR))), \
		if [ "$$(id -u)" = 0 ]; then ldconfig; fi)

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,ozd ozctl ozbench)
	rm -f $(DESTDIR)$(LIBDIR)/liboz-client.a $(DESTDIR)$(LIBDIR)/liboz-client.so*
	rm -f $(DESTDIR)$(LIBDIR)/pkgconfig/oz-client.pc
	rm -rf $(DESTDIR)$(INCLUDEDIR)/oz
	rm -f $(DESTDIR)$(MANDIR)/man1/ozctl.1

clean:
	rm -rf build

# --- Style -------------------------------------------------------------------
FORMAT_SRC = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
format:
	clang-format -i $(FORMAT_SRC)
format-check:
	clang-format --dry-run --Werror $(FORMAT_SRC)
lint: $(BUILD)/gen/.stamp
	clang-tidy --quiet $(LIB_SRC) $(CLIENT_SRC) $(OZCTL_SRC) src/main.c -- \
		$(OZ_CFLAGS) $(DEP_CFLAGS)
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
		--inline-suppr --suppress=missingIncludeSystem \
		-Iinclude -Isrc -I$(BUILD)/gen -i clients/js src clients bench fuzz

help:
	@sed -n '2,11p' Makefile

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
