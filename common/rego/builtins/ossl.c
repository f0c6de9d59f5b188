/* ossl.c - libcrypto for the crypto builtins, loaded on first use. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define LS_OSSL_DIRECT
#include "rego/builtins/ossl.h"

#define LIBCRYPTO "libcrypto.so.3"

static struct ls_ossl table;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static char why[256];

static void
load(void)
{
	void *h = dlopen(LIBCRYPTO, RTLD_NOW | RTLD_LOCAL);

	if (h == NULL) {
		snprintf(why, sizeof(why), "%s", dlerror());
		return;
	}
	/* POSIX lets a void * from dlsym become a function pointer. */
#define LS_OSSL_LOAD(name)                                                     \
	if (why[0] == '\0' &&                                                  \
	    (*(void **)&table.name = dlsym(h, #name)) == NULL)                 \
		snprintf(why, sizeof(why), "%s: no %s", LIBCRYPTO, #name);
	LS_OSSL_FUNCS(LS_OSSL_LOAD)
#undef LS_OSSL_LOAD
}

const struct ls_ossl *
ls_ossl(void)
{
	pthread_once(&once, load);
	if (why[0] != '\0') {
		/* No builtin may answer without its crypto: stop, as a
		 * missing library stops a program at its start. */
		fprintf(stderr, "lockstep: the crypto builtins need %s: %s\n",
		    LIBCRYPTO, why);
		abort();
	}
	return &table;
}
