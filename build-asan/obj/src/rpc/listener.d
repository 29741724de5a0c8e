build-asan/obj/src/rpc/listener.o: src/rpc/listener.c src/core/log.h \
 src/rpc/call.h src/core/arena.h include/oz/status.h src/rpc/dispatch.h \
 src/rpc/auth.h src/service/service.h build-asan/gen/oz/rpc/v1/rpc.pb-c.h \
 src/store/store.h src/rpc/listener.h src/rpc/server.h
src/core/log.h:
src/rpc/call.h:
src/core/arena.h:
include/oz/status.h:
src/rpc/dispatch.h:
src/rpc/auth.h:
src/service/service.h:
build-asan/gen/oz/rpc/v1/rpc.pb-c.h:
src/store/store.h:
src/rpc/listener.h:
src/rpc/server.h:
