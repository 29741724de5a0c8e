build-asan/obj/src/rpc/auth.o: src/rpc/auth.c src/rpc/auth.h \
 include/oz/status.h
src/rpc/auth.h:
include/oz/status.h:
