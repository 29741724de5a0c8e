build-asan/obj/src/store/restore.o: src/store/restore.c \
 src/store/backup.h include/oz/status.h src/store/store.h \
 src/store/backup_impl.h src/store/db.h src/core/arena.h src/store/lock.h \
 src/store/migrate.h src/core/embed.h
src/store/backup.h:
include/oz/status.h:
src/store/store.h:
src/store/backup_impl.h:
src/store/db.h:
src/core/arena.h:
src/store/lock.h:
src/store/migrate.h:
src/core/embed.h:
