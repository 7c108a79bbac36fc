/*
 * target.c — gamestream-sim's stream destination, through the connectors' stream
 * target role (connector.h); the backends are connectors/file/file_target.c and
 * connectors/s3/s3_target.c.
 */
#include "target.h"

#include <stdlib.h>

cn_status sim_target_open(sim_target **out, const char *uri, const cn_settings *cfg, cn_error *err)
{
    sim_target *t = calloc(1, sizeof *t);
    if (!t)
        return cn_fail(err, CN_FATAL, "out of memory");
    if (cn_target_open(t, uri, cfg, err)) {
        free(t);
        return err->status;
    }
    *out = t;
    return CN_OK;
}

cn_status sim_target_prepare(sim_target *t, cn_error *err)
{
    return t->ops->prepare(t->impl, err);
}

cn_status sim_target_write(sim_target *t, const char *data, size_t len, cn_error *err)
{
    return t->ops->write(t->impl, data, len, err);
}

const char *sim_target_describe(const sim_target *t)
{
    return t->ops->describe(t->impl);
}

bool sim_target_is_s3(const sim_target *t)
{
    return t->ops->shared_prepare;
}

void sim_target_object(const sim_target *t, const char **bucket, const char **key)
{
    t->ops->object(t->impl, bucket, key);
}

void sim_target_close(sim_target *t)
{
    if (!t)
        return;
    cn_target_close(t);
    free(t);
}
