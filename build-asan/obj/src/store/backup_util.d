build-asan/obj/src/store/backup_util.o: src/store/backup_util.c \
 src/store/backup_impl.h src/store/db.h src/core/arena.h \
 src/store/store.h include/oz/status.h
src/store/backup_impl.h:
src/store/db.h:
src/core/arena.h:
src/store/store.h:
include/oz/status.h:
