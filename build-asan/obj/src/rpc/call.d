build-asan/obj/src/rpc/call.o: src/rpc/call.c src/rpc/auth.h \
 include/oz/status.h src/rpc/call.h src/core/arena.h src/rpc/dispatch.h \
 src/service/service.h build-asan/gen/oz/rpc/v1/rpc.pb-c.h \
 src/store/store.h src/rpc/idempotency.h
src/rpc/auth.h:
include/oz/status.h:
src/rpc/call.h:
src/core/arena.h:
src/rpc/dispatch.h:
src/service/service.h:
build-asan/gen/oz/rpc/v1/rpc.pb-c.h:
src/store/store.h:
src/rpc/idempotency.h:
