/*
 * target.h — where gamestream-sim writes the stream: a connectors stream target
 * (cn_target, chosen by URI scheme: file:///abs/gamestream.txt or s3://bucket/key).
 * Each write replaces the object with the full prefix, as the live producer does.
 * These names keep the simulator's call sites; the work is the connector's.
 */
#ifndef SIM_TARGET_H
#define SIM_TARGET_H

#include "connector.h"

typedef cn_target sim_target;

/* Opens the target for the URI (malloc'd; sim_target_close frees it). No I/O yet. */
cn_status sim_target_open(sim_target **out, const char *uri, const cn_settings *cfg, cn_error *err);
/* Prepares the destination: creates the directory or the bucket when missing. */
cn_status sim_target_prepare(sim_target *t, cn_error *err);
/* Replaces the object with data. */
cn_status sim_target_write(sim_target *t, const char *data, size_t len, cn_error *err);
/* Names the object for logs: "gamestream.txt to bucket gamestreams", "gamestream.txt to /dir". */
const char *sim_target_describe(const sim_target *t);
/* True when preparing one target prepares every one (the bucket of s3://). */
bool sim_target_is_s3(const sim_target *t);
/* The object written: s3:// its bucket and key; file:// "" and its absolute path. */
void sim_target_object(const sim_target *t, const char **bucket, const char **key);
void sim_target_close(sim_target *t);

#endif
