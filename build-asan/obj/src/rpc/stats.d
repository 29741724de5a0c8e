build-asan/obj/src/rpc/stats.o: src/rpc/stats.c src/rpc/stats.h \
 src/core/arena.h build-asan/gen/oz/v1/admin_service.pb-c.h \
 src/rpc/dispatch.h src/rpc/auth.h include/oz/status.h \
 src/service/service.h build-asan/gen/oz/rpc/v1/rpc.pb-c.h \
 src/store/store.h
src/rpc/stats.h:
src/core/arena.h:
build-asan/gen/oz/v1/admin_service.pb-c.h:
src/rpc/dispatch.h:
src/rpc/auth.h:
include/oz/status.h:
src/service/service.h:
build-asan/gen/oz/rpc/v1/rpc.pb-c.h:
src/store/store.h:
