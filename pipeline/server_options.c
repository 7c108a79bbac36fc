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
