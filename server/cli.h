/*
 * cli.h - subcommands of the operator CLI `lockstep`.  Each takes the
 * arguments after its own name (argv[0] is the subcommand name), prints
 * its own --help, writes one-line errors to stderr as
 * "lockstep SUBCOMMAND: FILE: reason", and returns the exit status.
 */
#ifndef LOCKSTEP_CLI_H
#define LOCKSTEP_CLI_H

#include <stdio.h>

int cli_keygen(int argc, char **argv);	 /* cli_keys.c */
int cli_init(int argc, char **argv);	 /* cli_keys.c */
int cli_note(int argc, char **argv);	 /* cli_note.c */
int cli_bundle(int argc, char **argv);	 /* cli_bundle.c */
int cli_test(int argc, char **argv);	 /* cli_rego.c */
int cli_eval(int argc, char **argv);	 /* cli_rego.c */
/* Print ls_rego_eval_query's JSON as opa eval --format=FORMAT (json,
 * raw, pretty) does (cli_eval_fmt.c); 0 or a negative ls_err. */
int cli_eval_print(const char *json, const char *format);
int cli_pin(int argc, char **argv);	 /* cli_operator.c */
int cli_rollback(int argc, char **argv); /* cli_operator.c */
int cli_unpin(int argc, char **argv);	 /* cli_operator.c */
int cli_status(int argc, char **argv);	 /* cli_operator.c */
int cli_agent(int argc, char **argv);	 /* cli_operator.c */
int cli_evidence(int argc, char **argv); /* cli_operator.c */
int cli_check(int argc, char **argv);	 /* cli_check.c */
int cli_root(int argc, char **argv);	 /* cli_root.c */

struct ls_root;

/* Walk the root chain paths[0..n) into *out (cli_root.c): the anchor,
 * then each next version; the last must not have expired.  0, or 1 with
 * the reason printed as "lockstep CMD: FILE: reason".  *out is filled
 * (ls_root_cleanup it) either way. */
int cli_root_chain(struct ls_root *out, const char *cmd, char **paths, int n);

/* cli_operator.c */
int cli_overrides(int argc, char **argv);

/* The command list (cli_usage.c).  cli_usage_main handles no command
 * (usage on stderr, 2) and --help, -h, help (stdout, 0); -1 otherwise. */
void cli_usage(FILE *f);
int cli_usage_main(int argc, char **argv);
int cli_audit(int argc, char **argv);	 /* cli_audit.c */

/* "--opt VALUE" or "--opt=VALUE" at argv[*i] (cli_fail.c): 1 with *val
 * set (and *i past VALUE), 0 when argv[*i] is not opt, -1 when VALUE is
 * missing. */
int cli_opt_value(int argc, char **argv, int *i, const char *opt,
    const char **val);

/* Print "lockstep CMD: " + message + ls_error_last() to stderr. */
void cli_fail(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* `lockstep test --coverage` (cli_cover.c). */
struct ls_rego_policy;
struct ls_rego_test_opts;
struct cli_cover {
	int on;		  /* --coverage (-c), or a --threshold above 0 */
	double threshold; /* percent; 0 = none */
};

/* argv[*i] as a coverage flag: 1 if it was one (*i moved past its
 * value), 0 if not, -1 for a bad value (message printed). */
int cli_cover_flag(struct cli_cover *c, int argc, char **argv, int *i);

/* Run p's tests under base (NULL: defaults) collecting coverage; print
 * the JSON report, or the failures / unmet threshold (exit 2).  Returns
 * the exit status. */
int cli_cover_test(const char *cmd, struct ls_rego_policy *p,
    const struct ls_rego_test_opts *base, const struct cli_cover *c,
    int verbose);

#endif
