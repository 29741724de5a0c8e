build-asan/obj/src/store/idem_store.o: src/store/idem_store.c \
 src/store/db.h src/core/arena.h src/store/store.h include/oz/status.h \
 src/store/idem_store.h
src/store/db.h:
src/core/arena.h:
src/store/store.h:
include/oz/status.h:
src/store/idem_store.h:
