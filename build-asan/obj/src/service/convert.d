build-asan/obj/src/service/convert.o: src/service/convert.c \
 build-asan/gen/google/protobuf/timestamp.pb-c.h src/service/convert.h \
 build-asan/gen/google/protobuf/field_mask.pb-c.h \
 build-asan/gen/oz/v1/resources.pb-c.h src/service/service.h \
 src/core/arena.h include/oz/status.h build-asan/gen/oz/rpc/v1/rpc.pb-c.h \
 src/store/store.h src/store/task_store.h src/store/list.h \
 src/store/user_store.h src/service/validate.h
build-asan/gen/google/protobuf/timestamp.pb-c.h:
src/service/convert.h:
build-asan/gen/google/protobuf/field_mask.pb-c.h:
build-asan/gen/oz/v1/resources.pb-c.h:
src/service/service.h:
src/core/arena.h:
include/oz/status.h:
build-asan/gen/oz/rpc/v1/rpc.pb-c.h:
src/store/store.h:
src/store/task_store.h:
src/store/list.h:
src/store/user_store.h:
src/service/validate.h:
