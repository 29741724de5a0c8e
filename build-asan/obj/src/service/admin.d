build-asan/obj/src/service/admin.o: src/service/admin.c \
 build-asan/gen/oz/v1/admin_service.pb-c.h src/service/service.h \
 src/core/arena.h include/oz/status.h build-asan/gen/oz/rpc/v1/rpc.pb-c.h \
 src/store/store.h src/store/backup.h
build-asan/gen/oz/v1/admin_service.pb-c.h:
src/service/service.h:
src/core/arena.h:
include/oz/status.h:
build-asan/gen/oz/rpc/v1/rpc.pb-c.h:
src/store/store.h:
src/store/backup.h:
