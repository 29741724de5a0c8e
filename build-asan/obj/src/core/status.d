build-asan/obj/src/core/status.o: src/core/status.c include/oz/status.h
include/oz/status.h:
