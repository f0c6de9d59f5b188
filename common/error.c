/* error.c - error codes and the thread-local message line. */
#include <stdio.h>
#include <string.h>

#define LS_ERROR_IMPL /* the real definitions, see error.h */
#include "lockstep/error.h"

#define MSG_MAX 512

static _Thread_local char last_msg[MSG_MAX];

const char *
ls_err_name(int code)
{
	switch (code) {
	case LS_OK: return "LS_OK";
	case LS_ERROR: return "LS_ERROR";
	case LS_ENOMEM: return "LS_ENOMEM";
	case LS_EIO: return "LS_EIO";
	case LS_ENOTFOUND: return "LS_ENOTFOUND";
	case LS_EFORMAT: return "LS_EFORMAT";
	case LS_ETOOBIG: return "LS_ETOOBIG";
	case LS_EBADSIG: return "LS_EBADSIG";
	case LS_EROLLBACK: return "LS_EROLLBACK";
	case LS_EEXPIRED: return "LS_EEXPIRED";
	case LS_EEXISTS: return "LS_EEXISTS";
	case LS_EINVAL: return "LS_EINVAL";
	case LS_EUNSAFE: return "LS_EUNSAFE";
	case LS_ETIMEOUT: return "LS_ETIMEOUT";
	case LS_ENET: return "LS_ENET";
	case LS_EMISMATCH: return "LS_EMISMATCH";
	case LS_EREGO: return "LS_EREGO";
	case LS_ECONFLICT: return "LS_ECONFLICT";
	case LS_ELIMIT: return "LS_ELIMIT";
	}
	return "LS_E?";
}

const char *
ls_error_last(void)
{
	return last_msg;
}

/* Keep the message to one line: control characters become spaces. */
static void
flatten(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

int
ls_error_vset(int code, const char *fmt, va_list ap)
{
	char msg[sizeof(last_msg)];

	/* Through a copy: callers may pass ls_error_last() as an argument
	 * ("...: %s", ls_error_last()), which vsnprintf must not overwrite
	 * while reading it. */
	vsnprintf(msg, sizeof(msg), fmt, ap);
	memcpy(last_msg, msg, sizeof(last_msg));
	flatten(last_msg);
	return code;
}

int
ls_error_set(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ls_error_vset(code, fmt, ap);
	va_end(ap);
	return code;
}

int
ls_error_wrap(int code, const char *fmt, ...)
{
	char prefix[MSG_MAX], old[MSG_MAX], both[2 * MSG_MAX + 2];
	va_list ap;

	memcpy(old, last_msg, sizeof(old));
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	if (old[0] != '\0')
		snprintf(both, sizeof(both), "%s: %s", prefix, old);
	else
		snprintf(both, sizeof(both), "%s", prefix);
	memcpy(last_msg, both, MSG_MAX - 1);
	last_msg[MSG_MAX - 1] = '\0';
	flatten(last_msg);
	return code;
}

void
ls_error_clear(void)
{
	last_msg[0] = '\0';
}
