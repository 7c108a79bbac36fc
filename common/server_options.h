/*
 * server_options.h — the options both programs take to reach servers: the S3 endpoint,
 * its signing and TLS, and the timeout of one request. Declared once here; each
 * program's config struct holds an opt_server and its option table includes
 * OPT_SERVER_ROWS(its struct, the member).
 */
#ifndef PL_SERVER_OPTIONS_H
#define PL_SERVER_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "connector.h"
#include "options.h"

typedef struct opt_server {
    const char *s3_endpoint, *s3_access_key, *s3_signature, *s3_region, *s3_ca_file;
    bool s3_https, s3_insecure;
    int timeout_ms;
} opt_server;

/* The Kafka TLS and SASL options both programs take (the password: KAFKA_SASL_PASSWORD,
 * from the environment only), into four const char * fields of type. */
#define OPT_KAFKA_TLS_ROWS(type, security, ca_file, mechanism, username)                                             \
    {"kafka-security-protocol", "KAFKA_SECURITY_PROTOCOL", OPT_STR, "plaintext",                                      \
     "plaintext, ssl, sasl_plaintext or sasl_ssl", .offset = offsetof(type, security)},                                        \
    {"kafka-ca-file", "KAFKA_CA_FILE", OPT_STR, NULL, "PEM file of the CA that signed the brokers' certificates",      \
     .offset = offsetof(type, ca_file)},                                                                                         \
    {"kafka-sasl-mechanism", "KAFKA_SASL_MECHANISM", OPT_STR, NULL,                                                    \
     "PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (the password: KAFKA_SASL_PASSWORD)", .offset = offsetof(type, mechanism)},          \
    {"kafka-sasl-username", "KAFKA_SASL_USERNAME", OPT_STR, NULL, "the SASL user", .offset = offsetof(type, username)}

#define OPT_SERVER_ROWS(type, m)                                                                                        \
    {"s3-endpoint", "S3_ENDPOINT", OPT_STR, "localhost:9000", "S3/MinIO host:port (path-style addressing)",            \
     .offset = offsetof(type, m.s3_endpoint)},                                                                                  \
    {"s3-access-key", "S3_ACCESS_KEY", OPT_STR, "minio", "S3 access key (the secret is S3_SECRET_KEY, or PASSWORD)",   \
     .offset = offsetof(type, m.s3_access_key)},                                                                                \
    {"s3-https", "S3_HTTPS", OPT_FLAG, NULL, "talk HTTPS to S3 instead of HTTP", .offset = offsetof(type, m.s3_https)},          \
    {"s3-signature", "S3_SIGNATURE", OPT_STR, "v4", "S3 request signing: v4 (libcurl) or v2 (libs3, legacy)",          \
     .offset = offsetof(type, m.s3_signature)},                                                                                 \
    {"s3-region", "S3_REGION", OPT_STR, "us-east-1", "S3 region that Signature V4 signs for",                          \
     .offset = offsetof(type, m.s3_region)},                                                                                    \
    {"s3-ca-file", "S3_CA_FILE", OPT_STR, NULL,                                                                        \
     "PEM file of the CA that signed the S3 server's certificate (HTTPS, v4)", .offset = offsetof(type, m.s3_ca_file)},         \
    {"s3-insecure", "S3_INSECURE", OPT_FLAG, NULL,                                                                     \
     "HTTPS to S3 without certificate verification: self-signed test setups only", .offset = offsetof(type, m.s3_insecure)},    \
    {"timeout-ms", "REQUEST_TIMEOUT_MS", OPT_INT, "10000", "timeout of one request to a server",                       \
     .offset = offsetof(type, m.timeout_ms)}

/* Checks the values (0, or -1 with a message in err) and, once logging is set up, warns
 * about --s3-insecure. */
int opt_server_check(const opt_server *o, char *err, size_t errlen);
void opt_server_warn(const opt_server *o);
/* Refuses a URI option that holds a password (scheme://user:password@host...): a URI
 * shows in ps, /proc/PID/cmdline and the environment, so its password would too. -1 with
 * a message naming the option and the variable to use instead (never the password). A
 * URI that does not parse is the backend's to refuse. */
int opt_uri_no_password(const char *option, const char *uri, char *err, size_t errlen);
/* Fills the S3 and timeout fields of cs; secret is S3_SECRET_KEY (NULL: none). */
void opt_server_apply(const opt_server *o, const char *secret, cn_settings *cs);

#endif
