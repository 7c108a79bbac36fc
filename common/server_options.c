/*
 * server_options.c — see server_options.h.
 */
#include "server_options.h"

#include <stdio.h>
#include <string.h>

#include "log.h"

int opt_server_check(const opt_server *o, char *err, size_t errlen)
{
    if (strcmp(o->s3_signature, "v4") && strcmp(o->s3_signature, "v2")) {
        snprintf(err, errlen, "--s3-signature must be v4 or v2, not '%s'", o->s3_signature);
        return -1;
    }
    if (o->timeout_ms < 1) {
        snprintf(err, errlen, "--timeout-ms must be at least 1");
        return -1;
    }
    return 0;
}

void opt_server_warn(const opt_server *o)
{
    if (o->s3_insecure)
        log_msg(LOG_WARN, "--s3-insecure: HTTPS to S3 at %s WITHOUT certificate verification; anyone on the path "
                "can read and change the stream. Test setups only", o->s3_endpoint);
}

int opt_uri_no_password(const char *option, const char *uri, char *err, size_t errlen)
{
    cn_uri u;
    cn_error cerr;
    if (!uri || cn_uri_parse(uri, &u, &cerr) || !u.password[0])
        return 0;
    char shown[512];
    cn_uri_redact(uri, shown, sizeof shown);
    const char *var = !strcmp(u.scheme, "mongodb") ? "MONGO_PASSWORD" : !strcmp(u.scheme, "mssql") ? "MSSQL_PASSWORD"
                      : !strcmp(u.scheme, "s3")    ? "S3_SECRET_KEY" : NULL;
    if (var)
        snprintf(err, errlen, "--%s %s: a password in a URI shows in ps and /proc; drop it from the URI and set %s "
                 "(or %s_FILE, a file holding it) instead", option, shown, var, var);
    else
        snprintf(err, errlen, "--%s %s: a password in a URI shows in ps and /proc, and %s:// takes none; drop it",
                 option, shown, u.scheme);
    return -1;
}

void opt_server_apply(const opt_server *o, const char *secret, cn_settings *cs)
{
    cs->s3_endpoint = o->s3_endpoint;
    cs->s3_access_key = o->s3_access_key;
    cs->s3_secret_key = secret ? secret : "";
    cs->s3_https = o->s3_https;
    cs->s3_signature = o->s3_signature;
    cs->s3_region = o->s3_region;
    cs->s3_ca_file = o->s3_ca_file;
    cs->s3_insecure = o->s3_insecure;
    cs->timeout_ms = o->timeout_ms;
}
