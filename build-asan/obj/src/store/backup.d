build-asan/obj/src/store/backup.o: src/store/backup.c src/store/backup.h \
 include/oz/status.h src/store/store.h src/store/backup_impl.h \
 src/store/db.h src/core/arena.h
src/store/backup.h:
include/oz/status.h:
src/store/store.h:
src/store/backup_impl.h:
src/store/db.h:
src/core/arena.h:
