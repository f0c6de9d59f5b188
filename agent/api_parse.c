/* api_parse.c - the agent API's URL parsing (moved out of api.c). */
#include <string.h>

#include "api_parse.h"

const char *
ls_api_data_path(const char *url)
{
	if (strncmp(url, "/v1/data", 8) != 0 ||
	    (url[8] != '\0' && url[8] != '/'))
		return NULL;
	return url[8] != '\0' ? url + 9 : "";
}
