build-asan/obj/src/rpc/dispatch.o: src/rpc/dispatch.c \
 build-asan/gen/grpc/health/v1/health.pb-c.h \
 build-asan/gen/oz/rpc/v1/rpc.pb-c.h \
 build-asan/gen/oz/v1/admin_service.pb-c.h \
 build-asan/gen/oz/v1/batch_service.pb-c.h \
 build-asan/gen/google/protobuf/empty.pb-c.h \
 build-asan/gen/google/protobuf/wrappers.pb-c.h \
 build-asan/gen/oz/v1/resources.pb-c.h \
 build-asan/gen/google/protobuf/timestamp.pb-c.h \
 build-asan/gen/oz/v1/task_service.pb-c.h \
 build-asan/gen/google/protobuf/field_mask.pb-c.h \
 build-asan/gen/oz/v1/user_service.pb-c.h src/rpc/dispatch.h \
 src/rpc/auth.h include/oz/status.h src/service/service.h \
 src/core/arena.h src/store/store.h
build-asan/gen/grpc/health/v1/health.pb-c.h:
build-asan/gen/oz/rpc/v1/rpc.pb-c.h:
build-asan/gen/oz/v1/admin_service.pb-c.h:
build-asan/gen/oz/v1/batch_service.pb-c.h:
build-asan/gen/google/protobuf/empty.pb-c.h:
build-asan/gen/google/protobuf/wrappers.pb-c.h:
build-asan/gen/oz/v1/resources.pb-c.h:
build-asan/gen/google/protobuf/timestamp.pb-c.h:
build-asan/gen/oz/v1/task_service.pb-c.h:
build-asan/gen/google/protobuf/field_mask.pb-c.h:
build-asan/gen/oz/v1/user_service.pb-c.h:
src/rpc/dispatch.h:
src/rpc/auth.h:
include/oz/status.h:
src/service/service.h:
src/core/arena.h:
src/store/store.h:
