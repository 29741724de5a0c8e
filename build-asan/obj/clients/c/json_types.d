build-asan/obj/clients/c/json_types.o: clients/c/json_types.c \
 clients/c/json_types.h
clients/c/json_types.h:
