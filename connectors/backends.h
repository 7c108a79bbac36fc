/*
 * backends.h — the backends the registry knows. Private to connectors/: the pipeline
 * reaches a backend only through connector.h and a URI scheme.
 */
#ifndef CN_BACKENDS_H
#define CN_BACKENDS_H

#include "connector.h"

/* Hands a driver's log line to the program's logger (cn_set_logger), redacted. */
void cn_log(int level, const char *domain, const char *msg);
/* Copies text into out with the password of anything like user:password@ hidden. */
void cn_redact_text(const char *text, char *out, size_t outlen);

/* The status of a failed local call (errno e), the one classification every backend
 * uses for the errno it gets (its own or its library's, e.g. sqlite3_system_errno):
 * out of descriptors or space is CN_TRANSIENT (and counted, cn_exhaustion_counts),
 * EACCES/EPERM is CN_AUTH, anything else is otherwise. */
cn_status cn_errno_status(int e, cn_status otherwise);
/* cn_fail with the status cn_errno_status gives e, and err->shortage saying when e is
 * a descriptor or space shortage. */
cn_status cn_fail_errno(cn_error *err, int e, cn_status otherwise, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Listings, for the lister backends. cn_listing_add copies key and etag (NULL: "");
 * cn_listing_sort orders by key (strcmp); cn_listing_drop empties the listing after a
 * failure but keeps its request count. */
cn_status cn_listing_add(cn_listing *l, const char *key, uint64_t size, const char *etag, int64_t mtime_ms,
                         cn_error *err);
void cn_listing_sort(cn_listing *l);
void cn_listing_drop(cn_listing *l);
/* CN_INPUT, naming where (the prefix), for a key a lister must not read: empty, with a
 * leading '/', holding "..", a control character, or over 512 bytes. */
cn_status cn_key_check(const char *key, const char *where, cn_error *err);

extern const cn_source_ops cn_file_source_ops;
extern const cn_lister_ops cn_file_lister_ops;
extern const cn_target_ops cn_file_target_ops;
extern const cn_reference_ops cn_sqlite_reference_ops;
extern const cn_results_ops cn_sqlite_results_ops;
extern const cn_boxscore_ops cn_dir_boxscore_ops;

#ifdef CN_WITH_SERVERS
extern const cn_source_ops cn_s3_source_ops;
extern const cn_lister_ops cn_s3_lister_ops;
extern const cn_target_ops cn_s3_target_ops;
extern const cn_reference_ops cn_mssql_reference_ops;
extern const cn_results_ops cn_mssql_results_ops;
extern const cn_boxscore_ops cn_mongo_boxscore_ops;
extern const cn_boxscore_ops cn_s3_boxscore_ops;

cn_status cn_s3_global_init(cn_error *err);
void cn_s3_global_cleanup(void);
cn_status cn_mongo_global_init(cn_error *err);
void cn_mongo_global_cleanup(void);
cn_status cn_mssql_global_init(cn_error *err);
void cn_mssql_global_cleanup(void);
#endif

#endif
