/* httpd_decisions.c - the HTTP side of decisions.h. */
#include <string.h>
#include <time.h>

#include "decisions.h"
#include "httpd_impl.h"
#include "lockstep/error.h"
#include "lockstep/timefmt.h"

enum MHD_Result
httpd_decisions_post(struct ls_httpd *h, struct MHD_Connection *c,
    struct req *r)
{
	struct ls_decisions_result res;
	enum MHD_Result ret;

	if (h->o.decisions == NULL)
		return httpd_answer_error(c, 404, "decision upload is off");
	ls_decisions_post(h->o.decisions, &res,
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Lockstep-Batch"),
	    r->body.data ? r->body.data : "", r->body.len, r->toobig);
	if (res.status == 200)
		ret = httpd_answer_json(c, 200, res.answer);
	else
		ret = httpd_answer_error(c, res.status, res.msg);
	json_decref(res.answer);
	return ret;
}

/* GET /v1/admin/overrides?since=DATE */
enum MHD_Result
httpd_overrides_get(struct ls_httpd *h, struct MHD_Connection *c)
{
	const char *v =
	    MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "since");
	time_t since = 0, now = time(NULL);
	char t[LS_TIME_LEN];
	json_t *list = NULL, *j;
	enum MHD_Result ret;

	if (h->o.decisions == NULL)
		return httpd_answer_error(c, 404, "decision upload is off");
	if (v != NULL && v[0] != '\0' && ls_time_parse(&since, v, strlen(v)))
		return httpd_answer_error(c, 400,
		    "since: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
	if (ls_decisions_overrides(h->o.decisions, &list, since, now) != 0)
		return httpd_answer_error(c, 500, ls_error_last());
	ls_time_format(t, now);
	j = json_pack("{s:s, s:o}", "now", t, "overrides", list);
	ret = httpd_answer_json(c, 200, j);
	json_decref(j);
	return ret;
}
