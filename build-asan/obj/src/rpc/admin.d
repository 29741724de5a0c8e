build-asan/obj/src/rpc/admin.o: src/rpc/admin.c \
 build-asan/gen/oz/v1/admin_service.pb-c.h src/rpc/server.h \
 include/oz/status.h src/store/store.h src/rpc/stats.h src/core/arena.h \
 src/rpc/dispatch.h src/rpc/auth.h src/service/service.h \
 build-asan/gen/oz/rpc/v1/rpc.pb-c.h
build-asan/gen/oz/v1/admin_service.pb-c.h:
src/rpc/server.h:
include/oz/status.h:
src/store/store.h:
src/rpc/stats.h:
src/core/arena.h:
src/rpc/dispatch.h:
src/rpc/auth.h:
src/service/service.h:
build-asan/gen/oz/rpc/v1/rpc.pb-c.h:
