build-asan/obj/src/store/user_store.o: src/store/user_store.c \
 src/store/keyset.h src/store/db.h src/core/arena.h src/store/store.h \
 include/oz/status.h src/store/list.h src/store/user_store.h
src/store/keyset.h:
src/store/db.h:
src/core/arena.h:
src/store/store.h:
include/oz/status.h:
src/store/list.h:
src/store/user_store.h:
