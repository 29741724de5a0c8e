build-asan/obj/src/service/validate.o: src/service/validate.c \
 src/service/validate.h include/oz/status.h
src/service/validate.h:
include/oz/status.h:
