build-asan/obj/src/rpc/reflection.o: src/rpc/reflection.c \
 src/core/embed.h src/rpc/dispatch.h src/rpc/auth.h include/oz/status.h \
 src/service/service.h src/core/arena.h \
 build-asan/gen/oz/rpc/v1/rpc.pb-c.h src/store/store.h
src/core/embed.h:
src/rpc/dispatch.h:
src/rpc/auth.h:
include/oz/status.h:
src/service/service.h:
src/core/arena.h:
build-asan/gen/oz/rpc/v1/rpc.pb-c.h:
src/store/store.h:
