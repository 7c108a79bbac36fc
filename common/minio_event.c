/*
 * minio_event.c — MinIO webhook bodies. See minio_event.h.
 */
#include "minio_event.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define CREATED_PREFIX "s3:ObjectCreated:"

bool me_is_created(const char *event_name)
{
    return !strncmp(event_name, CREATED_PREFIX, strlen(CREATED_PREFIX));
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

long me_url_decode(const char *in, size_t len, char *out, size_t outlen)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        int c = (unsigned char)in[i];
        if (c == '%') {
            int hi = i + 2 < len ? hexval((unsigned char)in[i + 1]) : -1;
            int lo = i + 2 < len ? hexval((unsigned char)in[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return -1;
            c = hi * 16 + lo;
            i += 2;
        } else if (c == '+') {
            c = ' ';
        }
        if (c == 0 || o + 1 >= outlen)
            return -1;
        out[o++] = (char)c;
    }
    if (o >= outlen)
        return -1;
    out[o] = '\0';
    return (long)o;
}

long me_url_encode(const char *in, char *out, size_t outlen)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
        bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                     *p == '-' || *p == '_' || *p == '.' || *p == '~';
        size_t need = plain || *p == ' ' ? 1 : 3;
        if (o + need >= outlen)
            return -1;
        if (plain) {
            out[o++] = (char)*p;
        } else if (*p == ' ') {
            out[o++] = '+';
        } else {
            out[o++] = '%';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 15];
        }
    }
    if (o >= outlen)
        return -1;
    out[o] = '\0';
    return (long)o;
}

/* Copies the string member name of obj into out. Returns 0, 1 when absent (or null), or
 * -1 when it is not a string or too long (reason in why). */
static int get_str(json_t *obj, const char *name, const char *where, char *out, size_t outlen, char *why,
                   size_t whylen)
{
    json_t *v = json_object_get(obj, name);
    if (!v || json_is_null(v)) {
        out[0] = '\0';
        return 1;
    }
    if (!json_is_string(v)) {
        snprintf(why, whylen, "%s%s is not a string", where, name);
        return -1;
    }
    if (json_string_length(v) >= outlen || strlen(json_string_value(v)) != json_string_length(v)) {
        snprintf(why, whylen, "%s%s is too long or holds a NUL", where, name);
        return -1;
    }
    memcpy(out, json_string_value(v), json_string_length(v) + 1);
    return 0;
}

static int parse_record(json_t *r, me_record *out, char *why, size_t whylen)
{
    if (!json_is_object(r)) {
        snprintf(why, whylen, "a record is not an object");
        return -1;
    }
    int rc = get_str(r, "eventName", "record ", out->event_name, sizeof out->event_name, why, whylen);
    if (rc)
        return rc < 0 ? -1 : (snprintf(why, whylen, "a record has no eventName"), -1);
    if (get_str(r, "eventTime", "record ", out->event_time, sizeof out->event_time, why, whylen) < 0)
        return -1;
    out->created = me_is_created(out->event_name);
    json_t *s3 = json_object_get(r, "s3");
    if (!json_is_object(s3)) {
        snprintf(why, whylen, "a record has no s3 object");
        return -1;
    }
    json_t *bucket = json_object_get(s3, "bucket"), *object = json_object_get(s3, "object");
    if (!json_is_object(bucket)) {
        snprintf(why, whylen, "a record has no s3.bucket");
        return -1;
    }
    if (!json_is_object(object)) {
        snprintf(why, whylen, "a record has no s3.object");
        return -1;
    }
    rc = get_str(bucket, "name", "s3.bucket.", out->bucket, sizeof out->bucket, why, whylen);
    if (rc)
        return rc < 0 ? -1 : (snprintf(why, whylen, "a record has no s3.bucket.name"), -1);
    json_t *key = json_object_get(object, "key");
    if (!json_is_string(key)) {
        snprintf(why, whylen, key ? "s3.object.key is not a string" : "a record has no s3.object.key");
        return -1;
    }
    if (json_string_length(key) == 0 ||
        me_url_decode(json_string_value(key), json_string_length(key), out->key, sizeof out->key) <= 0) {
        snprintf(why, whylen, "s3.object.key is not a valid URL-encoded key");
        return -1;
    }
    json_t *size = json_object_get(object, "size");
    if (size && !json_is_null(size)) {
        if (!json_is_integer(size) || json_integer_value(size) < 0) {
            snprintf(why, whylen, "s3.object.size is not a non-negative integer");
            return -1;
        }
        out->has_size = true;
        out->size = (uint64_t)json_integer_value(size);
    } else if (out->created) {
        snprintf(why, whylen, "an ObjectCreated record has no s3.object.size");
        return -1;
    }
    if (get_str(object, "eTag", "s3.object.", out->etag, sizeof out->etag, why, whylen) < 0 ||
        get_str(object, "sequencer", "s3.object.", out->sequencer, sizeof out->sequencer, why, whylen) < 0)
        return -1;
    return 0;
}

int me_parse(const char *body, size_t len, me_event *ev, char *why, size_t whylen)
{
    memset(ev, 0, sizeof *ev);
    json_error_t je;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        snprintf(why, whylen, "not JSON");
        return -1;
    }
    int rc = -1;
    json_t *records;
    if (!json_is_object(root)) {
        snprintf(why, whylen, "not a JSON object");
    } else if (get_str(root, "EventName", "", ev->event_name, sizeof ev->event_name, why, whylen) < 0 ||
               get_str(root, "Key", "", ev->key, sizeof ev->key, why, whylen) < 0) {
        /* why is set */
    } else if (!json_is_array(records = json_object_get(root, "Records"))) {
        snprintf(why, whylen, json_object_get(root, "Records") ? "Records is not an array" : "no Records");
    } else if (json_array_size(records) == 0) {
        snprintf(why, whylen, "Records is empty");
    } else if (json_array_size(records) > ME_MAX_RECORDS) {
        snprintf(why, whylen, "more than %d Records", ME_MAX_RECORDS);
    } else if (!(ev->records = calloc(json_array_size(records), sizeof *ev->records))) {
        snprintf(why, whylen, "out of memory");
    } else {
        rc = 0;
        for (size_t i = 0; i < json_array_size(records) && !rc; i++)
            rc = parse_record(json_array_get(records, i), &ev->records[i], why, whylen);
        if (rc)
            me_event_free(ev);
        else
            ev->n = json_array_size(records);
    }
    json_decref(root);
    return rc;
}

void me_event_free(me_event *ev)
{
    free(ev->records);
    ev->records = NULL;
    ev->n = 0;
}
