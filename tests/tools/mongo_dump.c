/* mongo_dump — reads a collection back with mongo-c-driver for the tests, one
 * relaxed extended JSON document per line, sorted by _id. Independent of the
 * pipeline's sink code, so a test reads what the server really holds.
 *
 *   mongo_dump URI DB COLLECTION [FILTER_JSON]      password from MONGO_PASSWORD
 *   mongo_dump URI DB COLLECTION --indexes          the collection's indexes instead
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mongoc/mongoc.h>

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: mongo_dump URI DB COLLECTION [FILTER_JSON]\n");
        return 2;
    }
    mongoc_init();
    bson_error_t err;
    mongoc_uri_t *uri = mongoc_uri_new_with_error(argv[1], &err);
    if (!uri) {
        fprintf(stderr, "mongo_dump: %s\n", err.message);
        return 2;
    }
    if (getenv("MONGO_PASSWORD"))
        mongoc_uri_set_password(uri, getenv("MONGO_PASSWORD"));
    mongoc_client_t *client = mongoc_client_new_from_uri(uri);
    mongoc_client_set_error_api(client, MONGOC_ERROR_API_VERSION_2);
    mongoc_collection_t *coll = mongoc_client_get_collection(client, argv[2], argv[3]);
    bool indexes = argc > 4 && !strcmp(argv[4], "--indexes");
    bson_t *filter = argc > 4 && !indexes ? bson_new_from_json((const uint8_t *)argv[4], -1, &err) : bson_new();
    bson_t *opts = BCON_NEW("sort", "{", "_id", BCON_INT32(1), "}");
    mongoc_cursor_t *cur = indexes ? mongoc_collection_find_indexes_with_opts(coll, NULL)
                                   : mongoc_collection_find_with_opts(coll, filter, opts, NULL);
    const bson_t *doc;
    int rc = 0;
    while (mongoc_cursor_next(cur, &doc)) {
        char *s = bson_as_relaxed_extended_json(doc, NULL);
        puts(s);
        bson_free(s);
    }
    if (mongoc_cursor_error(cur, &err)) {
        fprintf(stderr, "mongo_dump: %s\n", err.message);
        rc = 1;
    }
    mongoc_cursor_destroy(cur);
    bson_destroy(filter);
    bson_destroy(opts);
    mongoc_collection_destroy(coll);
    mongoc_client_destroy(client);
    mongoc_uri_destroy(uri);
    mongoc_cleanup();
    return rc;
}
