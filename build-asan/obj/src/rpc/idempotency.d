build-asan/obj/src/rpc/idempotency.o: src/rpc/idempotency.c \
 src/rpc/idempotency.h src/rpc/call.h src/core/arena.h \
 include/oz/status.h src/rpc/dispatch.h src/rpc/auth.h \
 src/service/service.h build-asan/gen/oz/rpc/v1/rpc.pb-c.h \
 src/store/store.h src/store/idem_store.h
src/rpc/idempotency.h:
src/rpc/call.h:
src/core/arena.h:
include/oz/status.h:
src/rpc/dispatch.h:
src/rpc/auth.h:
src/service/service.h:
build-asan/gen/oz/rpc/v1/rpc.pb-c.h:
src/store/store.h:
src/store/idem_store.h:
