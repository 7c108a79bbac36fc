/* MinIO webhook bodies (minio_event.c): the bodies below are the shape MinIO's webhook
 * target sends (RELEASE.2023+: EventName, Key, Records[] with eventVersion 2.0). The
 * object key arrives query-escaped; a removal carries no size; anything malformed is
 * refused with a reason that names the defect. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "minio_event.h"

#define REC(name, key, size_field)                                                                             \
    "{\"eventVersion\":\"2.0\",\"eventSource\":\"minio:s3\",\"awsRegion\":\"\","                               \
    "\"eventTime\":\"2026-11-28T19:04:05.123Z\",\"eventName\":\"" name "\","                                   \
    "\"userIdentity\":{\"principalId\":\"minio\"},"                                                            \
    "\"requestParameters\":{\"principalId\":\"minio\",\"region\":\"\",\"sourceIPAddress\":\"172.18.0.5\"},"      \
    "\"responseElements\":{\"x-amz-id-2\":\"dd9025bab4ad464b049177c95eb6ebf374d3b3fd1af9251148b658df7ac2e3e8\"," \
    "\"x-amz-request-id\":\"187C2E1E0B5C4A2F\",\"x-minio-deployment-id\":\"4b1b8c1e-0000-4000-8000-000000000000\"," \
    "\"x-minio-origin-endpoint\":\"http://172.18.0.3:9000\"},"                                                 \
    "\"s3\":{\"s3SchemaVersion\":\"1.0\",\"configurationId\":\"Config\","                                      \
    "\"bucket\":{\"name\":\"gamestreams\",\"ownerIdentity\":{\"principalId\":\"minio\"},"                      \
    "\"arn\":\"arn:aws:s3:::gamestreams\"},"                                                                   \
    "\"object\":{\"key\":\"" key "\"" size_field ",\"sequencer\":\"187C2E1E0B6F1D2A\"}},"                        \
    "\"source\":{\"host\":\"172.18.0.5\",\"port\":\"\",\"userAgent\":\"MinIO (linux; amd64) minio-go/v7.0.66\"}}"

#define PUT_SIZE ",\"size\":4096,\"eTag\":\"9b2cf535f27731c974343645a3985328\",\"contentType\":\"text/plain\"," \
                 "\"userMetadata\":{\"content-type\":\"text/plain\"}"

static const char single[] =
    "{\"EventName\":\"s3:ObjectCreated:Put\",\"Key\":\"gamestreams/game-001/gamestream.txt\",\"Records\":["
    REC("s3:ObjectCreated:Put", "game-001%2Fgamestream.txt", PUT_SIZE) "]}";

static void a_single_put_is_read(void **state)
{
    (void)state;
    me_event ev;
    char why[128] = "";
    assert_int_equal(me_parse(single, strlen(single), &ev, why, sizeof why), 0);
    assert_string_equal(ev.event_name, "s3:ObjectCreated:Put");
    assert_string_equal(ev.key, "gamestreams/game-001/gamestream.txt");
    assert_int_equal(ev.n, 1);
    me_record *r = &ev.records[0];
    assert_string_equal(r->event_name, "s3:ObjectCreated:Put");
    assert_string_equal(r->event_time, "2026-11-28T19:04:05.123Z");
    assert_string_equal(r->bucket, "gamestreams");
    assert_string_equal(r->key, "game-001/gamestream.txt");
    assert_true(r->created);
    assert_true(r->has_size);
    assert_int_equal(r->size, 4096);
    assert_string_equal(r->etag, "9b2cf535f27731c974343645a3985328");
    assert_string_equal(r->sequencer, "187C2E1E0B6F1D2A");
    me_event_free(&ev);
}

static void multiple_records_are_read_in_order(void **state)
{
    (void)state;
    static const char body[] =
        "{\"EventName\":\"s3:ObjectCreated:Put\",\"Key\":\"gamestreams/a\",\"Records\":["
        REC("s3:ObjectCreated:Put", "game-001%2Fgame.json", PUT_SIZE) ","
        REC("s3:ObjectCreated:CompleteMultipartUpload", "game-002%2Fgamestream.txt", ",\"size\":0") ","
        REC("s3:ObjectCreated:Copy", "game-003%2Fgamestream.txt", ",\"size\":12345678901") "]}";
    me_event ev;
    char why[128] = "";
    assert_int_equal(me_parse(body, strlen(body), &ev, why, sizeof why), 0);
    assert_int_equal(ev.n, 3);
    assert_string_equal(ev.records[0].key, "game-001/game.json");
    assert_string_equal(ev.records[1].key, "game-002/gamestream.txt");
    assert_string_equal(ev.records[1].event_name, "s3:ObjectCreated:CompleteMultipartUpload");
    assert_int_equal(ev.records[1].size, 0);
    assert_string_equal(ev.records[1].etag, "");
    assert_true(ev.records[2].created);
    assert_int_equal(ev.records[2].size, 12345678901ULL);
    me_event_free(&ev);
}

static void url_encoded_keys_are_decoded(void **state)
{
    (void)state;
    static const char body[] = "{\"EventName\":\"s3:ObjectCreated:Put\",\"Key\":\"gamestreams/x\",\"Records\":["
        REC("s3:ObjectCreated:Put", "2026-11-28%2Fgame%2B1%2Fgamestream.txt", PUT_SIZE) ","
        REC("s3:ObjectCreated:Put", "day+one%2Fg%C3%A9nial%2F%7e.txt", PUT_SIZE) "]}";
    me_event ev;
    char why[128] = "";
    assert_int_equal(me_parse(body, strlen(body), &ev, why, sizeof why), 0);
    assert_string_equal(ev.records[0].key, "2026-11-28/game+1/gamestream.txt");
    assert_string_equal(ev.records[1].key, "day one/g\xc3\xa9nial/~.txt");
    me_event_free(&ev);
}

static void a_removal_has_no_size(void **state)
{
    (void)state;
    static const char body[] = "{\"EventName\":\"s3:ObjectRemoved:Delete\",\"Key\":\"gamestreams/game-001/gamestream.txt\","
        "\"Records\":[" REC("s3:ObjectRemoved:Delete", "game-001%2Fgamestream.txt", "") "]}";
    me_event ev;
    char why[128] = "";
    assert_int_equal(me_parse(body, strlen(body), &ev, why, sizeof why), 0);
    assert_false(ev.records[0].created);
    assert_false(ev.records[0].has_size);
    assert_string_equal(ev.records[0].key, "game-001/gamestream.txt");
    me_event_free(&ev);
}

static void refused(const char *body, const char *want)
{
    me_event ev;
    char why[128] = "";
    assert_int_equal(me_parse(body, strlen(body), &ev, why, sizeof why), -1);
    if (!strstr(why, want))
        fail_msg("for %s: expected \"%s\" in \"%s\"", body, want, why);
    assert_null(ev.records);
}

static void missing_fields_are_named(void **state)
{
    (void)state;
    refused("{\"EventName\":\"s3:ObjectCreated:Put\",\"Key\":\"b/k\"}", "no Records");
    refused("{\"Records\":{}}", "Records is not an array");
    refused("{\"Records\":[]}", "Records is empty");
    refused("{\"Records\":[1]}", "not an object");
    refused("{\"Records\":[{\"s3\":{}}]}", "no eventName");
    refused("{\"Records\":[{\"eventName\":\"s3:ObjectCreated:Put\"}]}", "no s3 object");
    refused("{\"Records\":[{\"eventName\":\"s3:ObjectCreated:Put\",\"s3\":{\"object\":{\"key\":\"k\"}}}]}",
            "no s3.bucket");
    refused("{\"Records\":[{\"eventName\":\"s3:ObjectCreated:Put\",\"s3\":{\"bucket\":{},\"object\":{\"key\":\"k\"}}}]}",
            "no s3.bucket.name");
    refused("{\"Records\":[{\"eventName\":\"s3:ObjectCreated:Put\",\"s3\":{\"bucket\":{\"name\":\"b\"}}}]}",
            "no s3.object");
    refused("{\"Records\":[{\"eventName\":\"s3:ObjectCreated:Put\",\"s3\":{\"bucket\":{\"name\":\"b\"},\"object\":{}}}]}",
            "no s3.object.key");
    refused("{\"Records\":[{\"eventName\":\"s3:ObjectCreated:Put\",\"s3\":{\"bucket\":{\"name\":\"b\"},"
            "\"object\":{\"key\":\"k\"}}}]}", "has no s3.object.size");
    /* the second record is the bad one: the first is not kept */
    refused("{\"Records\":[" REC("s3:ObjectCreated:Put", "a", PUT_SIZE) ",{\"eventName\":\"x\"}]}", "no s3 object");
}

static void wrong_types_and_bad_keys_are_refused(void **state)
{
    (void)state;
    refused("{\"EventName\":7,\"Records\":[]}", "EventName is not a string");
    refused("{\"Records\":[{\"eventName\":\"s3:ObjectCreated:Put\",\"s3\":{\"bucket\":{\"name\":\"b\"},"
            "\"object\":{\"key\":\"k\",\"size\":-1}}}]}", "size");
    refused("{\"Records\":[{\"eventName\":\"s3:ObjectCreated:Put\",\"s3\":{\"bucket\":{\"name\":\"b\"},"
            "\"object\":{\"key\":\"k\",\"size\":\"12\"}}}]}", "size");
    refused("{\"Records\":[" REC("s3:ObjectCreated:Put", "bad%zzescape", PUT_SIZE) "]}", "URL-encoded");
    refused("{\"Records\":[" REC("s3:ObjectCreated:Put", "trunc%2", PUT_SIZE) "]}", "URL-encoded");
    refused("{\"Records\":[" REC("s3:ObjectCreated:Put", "nul%00byte", PUT_SIZE) "]}", "URL-encoded");
    refused("{\"Records\":[" REC("s3:ObjectCreated:Put", "", PUT_SIZE) "]}", "URL-encoded");
    refused("{\"Records\":[{\"eventName\":\"s3:ObjectCreated:Put\",\"s3\":{\"bucket\":{\"name\":"
            "\"a-bucket-name-that-is-far-longer-than-the-sixty-three-bytes-s3-allows\"},"
            "\"object\":{\"key\":\"k\",\"size\":1}}}]}", "too long");
}

static void not_json_is_refused(void **state)
{
    (void)state;
    refused("", "not JSON");
    refused("EventName=s3:ObjectCreated:Put", "not JSON");
    refused("{\"Records\":[", "not JSON");
    refused("[]", "not a JSON object");
    refused("{\"Records\":[],\"Records\":[]}", "not JSON");
}

static void encode_round_trips(void **state)
{
    (void)state;
    char enc[256], dec[256];
    assert_int_equal(me_url_encode("2026-11-28/game+1/gamestream.txt", enc, sizeof enc), 38);
    assert_string_equal(enc, "2026-11-28%2Fgame%2B1%2Fgamestream.txt");
    assert_int_equal(me_url_encode("a b~c", enc, sizeof enc), 5);
    assert_string_equal(enc, "a+b~c");
    assert_int_equal(me_url_decode(enc, strlen(enc), dec, sizeof dec), 5);
    assert_string_equal(dec, "a b~c");
    assert_int_equal(me_url_encode("/////", enc, 10), -1);
    assert_int_equal(me_url_decode("abcdef", 6, dec, 6), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_single_put_is_read),
        cmocka_unit_test(multiple_records_are_read_in_order),
        cmocka_unit_test(url_encoded_keys_are_decoded),
        cmocka_unit_test(a_removal_has_no_size),
        cmocka_unit_test(missing_fields_are_named),
        cmocka_unit_test(wrong_types_and_bad_keys_are_refused),
        cmocka_unit_test(not_json_is_refused),
        cmocka_unit_test(encode_round_trips),
    };
    return cmocka_run_group_tests_name("common/minio_event", tests, NULL, NULL);
}
