/* Embedded backends: file:// source (rewrite, append, restarts, partial lines read once),
 * directory sink, file:// stream target, SQLite reference and results (a game's result and the season tables:
 * any order, once per game, replaced on a re-run, all or nothing), and the URI helpers. */
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "connector.h"
#include "cursor.h"
#include "fileio.h"
#include "results_fixture.h"

static char dir[256];
static const cn_settings cfg = {.max_object_bytes = 1 << 20, .timeout_ms = 1000};

static void write_file(const char *path, const char *text)
{
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    fputs(text, f);
    fclose(f);
    rename(tmp, path);
}

static void append_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "a");
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/cn-test-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

/* DIR/name into path, and its file:// URI into uri. */
static const char *file_uri(const char *name, char *path, size_t len, char uri[400])
{
    snprintf(path, len, "%s/%s", dir, name);
    snprintf(uri, 400, "file://%s", path);
    return uri;
}

static cn_source open_source(const char *name, char *path, size_t len)
{
    char uri[400];
    cn_source s;
    cn_error err;
    assert_int_equal(cn_source_open(&s, file_uri(name, path, len, uri), &cfg, &err), CN_OK);
    return s;
}

static cn_chunk poll_ok(cn_source *s)
{
    cn_chunk c;
    cn_error err;
    cn_status st = s->ops->poll(s->impl, &c, &err);
    if (st != CN_OK)
        fail_msg("poll: %s", err.msg);
    return c;
}

static void missing_file_means_waiting(void **state)
{
    (void)state;
    char path[300];
    cn_source s = open_source("none.txt", path, sizeof path);
    cn_chunk c;
    cn_error err;
    assert_int_equal(s.ops->poll(s.impl, &c, &err), CN_NOT_FOUND);
    assert_non_null(strstr(err.msg, path));
    cn_source_close(&s);
}

static void rewrites_deliver_every_new_byte_once(void **state)
{
    (void)state;
    char path[300];
    cn_source s = open_source("g.txt", path, sizeof path);
    write_file(path, "0 59:00 101 2 1\n1 58:");
    cn_chunk c = poll_ok(&s);
    assert_int_equal(c.len, 21); /* the partial line too: the consumer's reader holds it */
    assert_false(c.restart);
    write_file(path, "0 59:00 101 2 1\n1 58:00 205 9 0\n");
    c = poll_ok(&s);
    assert_false(c.restart);
    assert_int_equal(c.offset, 21);
    assert_int_equal(c.len, 11);
    assert_memory_equal(c.data, "00 205 9 0\n", 11);
    c = poll_ok(&s);
    assert_int_equal(c.len, 0);
    cn_source_close(&s);
}

/* A last line without a newline is read once; later polls of the unchanged object move
 * only the overlap, however long the line is. */
static void an_unterminated_last_line_is_not_read_again(void **state)
{
    (void)state;
    char path[300];
    static char text[200000];
    memcpy(text, "0 59:00 101 2 1\n", 16);
    memset(text + 16, '7', sizeof text - 17);
    cn_source s = open_source("long.txt", path, sizeof path);
    write_file(path, text);
    cn_chunk c = poll_ok(&s);
    assert_int_equal(c.len, sizeof text - 1);
    assert_int_equal(c.transferred, sizeof text - 1);
    for (int i = 0; i < 3; i++) {
        c = poll_ok(&s);
        assert_false(c.restart);
        assert_int_equal(c.len, 0);
        assert_int_equal(c.transferred, CN_OVERLAP);
    }
    append_file(path, "\n1 58:00 205 9 0\n");
    c = poll_ok(&s);
    assert_false(c.restart);
    assert_int_equal(c.offset, sizeof text - 1);
    assert_int_equal(c.transferred, CN_OVERLAP + 17);
    assert_memory_equal(c.data, "\n1 58:00 205 9 0\n", 17);
    cn_source_close(&s);
}

static void appends_in_place_are_read_too(void **state)
{
    (void)state;
    char path[300];
    cn_source s = open_source("a.txt", path, sizeof path);
    write_file(path, "0 59:00 101 2 1\n");
    poll_ok(&s);
    append_file(path, "1 58:00 205 9 0\n");
    cn_chunk c = poll_ok(&s);
    assert_int_equal(c.len, 16);
    assert_false(c.restart);
    cn_source_close(&s);
}

static void a_shorter_object_is_a_restart(void **state)
{
    (void)state;
    char path[300];
    cn_source s = open_source("r.txt", path, sizeof path);
    write_file(path, "0 59:00 101 2 1\n1 58:00 205 9 0\n");
    poll_ok(&s);
    write_file(path, "0 59:30 205 9 1\n");
    cn_chunk c = poll_ok(&s);
    assert_true(c.restart);
    assert_int_equal(c.offset, 0);
    assert_memory_equal(c.data, "0 59:30 205 9 1\n", 16);
    c = poll_ok(&s);
    assert_false(c.restart);
    cn_source_close(&s);
}

static void same_length_new_beginning_is_a_restart(void **state)
{
    (void)state;
    char path[300];
    cn_source s = open_source("s.txt", path, sizeof path);
    write_file(path, "0 59:00 101 2 1\n1 58:00 205 9 0\n");
    poll_ok(&s);
    write_file(path, "0 59:10 205 3 0\n1 58:40 101 7 1\n2 57:00 101 7 1\n");
    cn_chunk c = poll_ok(&s);
    assert_true(c.restart);
    assert_int_equal(c.len, 48);
    cn_source_close(&s);
}

static void an_object_over_the_cap_is_refused_with_the_cap(void **state)
{
    (void)state;
    char path[300], uri[400];
    cn_settings small = cfg;
    small.max_object_bytes = 10;
    snprintf(path, sizeof path, "%s/big.txt", dir);
    snprintf(uri, sizeof uri, "file://%s", path);
    write_file(path, "0 59:00 101 2 1\n");
    cn_source s;
    cn_error err;
    cn_chunk c;
    assert_int_equal(cn_source_open(&s, uri, &small, &err), CN_OK);
    assert_int_equal(s.ops->poll(s.impl, &c, &err), CN_INPUT);
    assert_non_null(strstr(err.msg, "10-byte cap"));
    cn_source_close(&s);
}

/* A FIFO would block the reading thread until a writer appears (and then read
 * forever): it is refused at once, naming the path. The alarm fails a poll that hangs. */
/* Issue 17 item 18: a FIFO or directory where the stream should be is not read, and
 * the source waits (CN_NOT_FOUND, retried) instead of refusing the game for good: once
 * a regular file is there again, the next poll reads it. */
static void a_fifo_or_directory_is_refused_without_blocking(void **state)
{
    (void)state;
    char path[300];
    cn_chunk c;
    cn_error err;
    cn_source s = open_source("fifo.txt", path, sizeof path);
    assert_int_equal(mkfifo(path, 0644), 0);
    alarm(10);
    assert_int_equal(s.ops->poll(s.impl, &c, &err), CN_NOT_FOUND);
    alarm(0);
    assert_non_null(strstr(err.msg, path));
    assert_non_null(strstr(err.msg, "FIFO"));
    assert_non_null(strstr(err.msg, "waiting"));
    assert_int_equal(unlink(path), 0);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("0 59:00 101 7 1\n", f);
    fclose(f);
    assert_int_equal(s.ops->poll(s.impl, &c, &err), CN_OK);
    assert_int_equal(c.len, 16);
    cn_source_close(&s);

    s = open_source("adir", path, sizeof path);
    assert_int_equal(mkdir(path, 0755), 0);
    assert_int_equal(s.ops->poll(s.impl, &c, &err), CN_NOT_FOUND);
    assert_non_null(strstr(err.msg, "not a regular file"));
    assert_int_equal(rmdir(path), 0);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("0 59:00 101 7 1\n", f);
    fclose(f);
    assert_int_equal(s.ops->poll(s.impl, &c, &err), CN_OK);
    assert_int_equal(c.len, 16);
    cn_source_close(&s);
}

/* Issue 17 item 10: under a prefix the stream is opened without following a symbolic
 * link, at the stream or at its game folder: a link to /etc/passwd is never read. */
static void a_stream_link_under_a_prefix_is_not_followed(void **state)
{
    (void)state;
    char base[300], game[340], stream[400], uri[420], secret[340], linkdir[340];
    snprintf(base, sizeof base, "%s/prefix", dir);
    snprintf(game, sizeof game, "%s/G1", base);
    snprintf(stream, sizeof stream, "%s/gamestream.txt", game);
    snprintf(secret, sizeof secret, "%s/secret.txt", dir);
    assert_int_equal(mkdir(base, 0755), 0);
    assert_int_equal(mkdir(game, 0755), 0);
    FILE *f = fopen(secret, "w");
    assert_non_null(f);
    fputs("root:x:0:0:root:/root:/bin/bash\n", f);
    fclose(f);
    assert_int_equal(symlink(secret, stream), 0);
    cn_settings pc = cfg;
    pc.per_game_keys = true;
    cn_source s;
    cn_chunk c;
    cn_error err;
    snprintf(uri, sizeof uri, "file://%s", stream);
    assert_int_equal(cn_source_open(&s, uri, &pc, &err), CN_OK);
    assert_int_equal(s.ops->poll(s.impl, &c, &err), CN_NOT_FOUND);
    assert_non_null(strstr(err.msg, "symbolic link"));
    cn_source_close(&s);
    /* a game folder that is a link to a folder holding a stream: refused too */
    snprintf(linkdir, sizeof linkdir, "%s/G2", base);
    assert_int_equal(symlink(dir, linkdir), 0);
    snprintf(uri, sizeof uri, "file://%s/secret.txt", linkdir);
    assert_int_equal(cn_source_open(&s, uri, &pc, &err), CN_OK);
    assert_int_equal(s.ops->poll(s.impl, &c, &err), CN_NOT_FOUND);
    assert_non_null(strstr(err.msg, "symbolic link"));
    cn_source_close(&s);
    /* one stream named by --source: the operator's own path, a link there is followed */
    snprintf(uri, sizeof uri, "file://%s", stream);
    assert_int_equal(cn_source_open(&s, uri, &cfg, &err), CN_OK);
    assert_int_equal(s.ops->poll(s.impl, &c, &err), CN_OK);
    cn_source_close(&s);
}

static char *slurp(const char *path);

static void dir_sink_upserts_by_id_and_appends_rejects(void **state)
{
    (void)state;
    char uri[400], path[400];
    cn_boxscore b;
    cn_error err;
    snprintf(uri, sizeof uri, "file://%s/box/nested", dir);
    assert_int_equal(cn_boxscore_open(&b, uri, &cfg, &err), CN_OK);
    static const char t1[] = "{\"_id\":4,\"v\":\"first\"}", t2[] = "{\"_id\":4,\"v\":\"second\"}";
    cn_doc d1 = {.game = "g", .id = 4, .text = t1, .len = sizeof t1 - 1};
    cn_doc d2 = {.game = "g", .id = 4, .text = t2, .len = sizeof t2 - 1};
    assert_int_equal(b.ops->put(b.impl, &d1, &err), CN_OK);
    assert_int_equal(b.ops->put(b.impl, &d2, &err), CN_OK);
    json_t *rec = json_pack("{s:i, s:s}", "line", 3, "reason", "bad");
    assert_int_equal(b.ops->reject(b.impl, rec, &err), CN_OK);
    snprintf(path, sizeof path, "%s/box/nested/4.json", dir);
    json_error_t je;
    json_t *back = json_load_file(path, 0, &je);
    assert_non_null(back);
    assert_string_equal(json_string_value(json_object_get(back, "v")), "second");
    char *bytes = slurp(path); /* the bytes given, as they are, and a newline */
    assert_string_equal(bytes, "{\"_id\":4,\"v\":\"second\"}\n");
    free(bytes);
    snprintf(path, sizeof path, "%s/box/nested/rejects.jsonl", dir);
    back = (json_decref(back), json_load_file(path, JSON_DISABLE_EOF_CHECK, &je));
    assert_int_equal(json_integer_value(json_object_get(back, "line")), 3);
    json_decref(back);
    json_decref(rec);
    cn_boxscore_close(&b);
}

/* A forget for a game whose documents name another source removes nothing and says
 * CN_CONFLICT with both sources; the same source forgets as before; documents without a
 * source (written before it was recorded) belong to whoever reads the game now. */
static void dir_sink_keeps_another_sources_game(void **state)
{
    (void)state;
    char uri[400], path[400];
    cn_boxscore b;
    cn_error err;
    cn_settings per_game = cfg;
    per_game.per_game_keys = true;
    snprintf(uri, sizeof uri, "file://%s/box-sources", dir);
    assert_int_equal(cn_boxscore_open(&b, uri, &per_game, &err), CN_OK);
    static const char day1[] = "file:///games/2026-11-28/game-001/gamestream.txt",
                      day2[] = "file:///games/2026-11-29/game-001/gamestream.txt";
    static const char t1[] = "{\"_id\":1,\"game\":\"game-001\",\"run\":\"r1\",\"source\":"
                             "\"file:///games/2026-11-28/game-001/gamestream.txt\"}",
                      t2[] = "{\"_id\":2,\"game\":\"game-001\",\"run\":\"r1\",\"source\":"
                             "\"file:///games/2026-11-28/game-001/gamestream.txt\"}",
                      old[] = "{\"_id\":3,\"game\":\"game-001\",\"run\":\"r0\"}";
    cn_doc d1 = {.game = "game-001", .id = 1, .text = t1, .len = sizeof t1 - 1};
    cn_doc d2 = {.game = "game-001", .id = 2, .text = t2, .len = sizeof t2 - 1};
    assert_int_equal(b.ops->put(b.impl, &d1, &err), CN_OK);
    assert_int_equal(b.ops->put(b.impl, &d2, &err), CN_OK);
    for (int all = 0; all < 2; all++) {
        assert_int_equal(b.ops->forget(b.impl, "game-001", day2, all ? NULL : "r2", LONG_MIN, &err), CN_CONFLICT);
        assert_non_null(strstr(err.msg, day1));
        assert_non_null(strstr(err.msg, day2));
    }
    snprintf(path, sizeof path, "%s/box-sources/game-001/1.json", dir);
    assert_int_equal(access(path, F_OK), 0);
    snprintf(path, sizeof path, "%s/box-sources/game-001/2.json", dir);
    assert_int_equal(access(path, F_OK), 0);
    cn_doc d3 = {.game = "game-001", .id = 3, .text = old, .len = sizeof old - 1};
    assert_int_equal(b.ops->put(b.impl, &d3, &err), CN_OK);
    assert_int_equal(b.ops->forget(b.impl, "game-001", day1, "r1", 1, &err), CN_OK); /* the same source */
    assert_int_equal(access(path, F_OK), -1); /* beyond the run's last event */
    snprintf(path, sizeof path, "%s/box-sources/game-001/3.json", dir);
    assert_int_equal(access(path, F_OK), -1); /* another run, no source */
    snprintf(path, sizeof path, "%s/box-sources/game-001/1.json", dir);
    assert_int_equal(access(path, F_OK), 0);
    cn_boxscore_close(&b);
}

/* The whole file as a string (empty when absent); the caller frees it. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    char *text = calloc(1, 1 << 16);
    if (f) {
        size_t n = fread(text, 1, (1 << 16) - 1, f);
        text[n] = '\0';
        fclose(f);
    }
    return text;
}

static cn_boxscore open_sink(const char *sub, char *sinkdir, size_t len)
{
    char uri[400];
    cn_boxscore b;
    cn_error err;
    assert_int_equal(cn_boxscore_open(&b, file_uri(sub, sinkdir, len, uri), &cfg, &err), CN_OK);
    return b;
}

static cn_status reject(cn_boxscore *b, const char *id, cn_error *err)
{
    json_t *rec = json_pack("{s:s, s:s}", "_id", id, "reason", "bad");
    cn_status st = b->ops->reject(b->impl, rec, err);
    json_decref(rec);
    return st;
}

static void reject_ok(cn_boxscore *b, const char *id)
{
    cn_error err;
    if (reject(b, id, &err))
        fail_msg("reject %s: %s", id, err.msg);
}

/* Re-runs read the same bad lines again: each reject _id is recorded once, in this
 * run and across runs. */
static void rejects_are_recorded_once_per_id(void **state)
{
    (void)state;
    char d[300], path[400];
    cn_boxscore b = open_sink("rej-once", d, sizeof d);
    reject_ok(&b, "g:3:0000abcd");
    reject_ok(&b, "g:3:0000abcd");
    cn_boxscore_close(&b);
    b = open_sink("rej-once", d, sizeof d); /* the next run */
    reject_ok(&b, "g:3:0000abcd");
    reject_ok(&b, "g:9:00001234");
    cn_boxscore_close(&b);
    snprintf(path, sizeof path, "%s/rejects.jsonl", d);
    char *text = slurp(path);
    assert_string_equal(text, "{\"_id\":\"g:3:0000abcd\",\"reason\":\"bad\"}\n"
                              "{\"_id\":\"g:9:00001234\",\"reason\":\"bad\"}\n");
    free(text);
}

/* A disk that filled up mid-line left a torn last line: it is cut off, not appended
 * onto. */
static void a_torn_last_reject_line_is_cut_before_appending(void **state)
{
    (void)state;
    char d[300], path[400];
    snprintf(path, sizeof path, "%s/rej-torn", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/rej-torn/rejects.jsonl", dir);
    write_file(path, "{\"_id\": \"g:1:1\"}\n{\"_id\": \"g:2:");
    cn_boxscore b = open_sink("rej-torn", d, sizeof d);
    reject_ok(&b, "g:1:1"); /* already there */
    reject_ok(&b, "g:2:2");
    cn_boxscore_close(&b);
    char *text = slurp(path);
    assert_string_equal(text, "{\"_id\": \"g:1:1\"}\n{\"_id\":\"g:2:2\",\"reason\":\"bad\"}\n");
    free(text);
}

/* A write that runs out of space (here: the file size limit) leaves no partial line. */
static void a_reject_append_cut_short_leaves_no_torn_line(void **state)
{
    (void)state;
    char d[300], path[400];
    struct rlimit old, small;
    cn_error err;
    cn_boxscore b = open_sink("rej-full", d, sizeof d);
    reject_ok(&b, "g:1:1");
    snprintf(path, sizeof path, "%s/rejects.jsonl", d);
    char *before = slurp(path);
    signal(SIGXFSZ, SIG_IGN);
    getrlimit(RLIMIT_FSIZE, &old);
    small = old;
    small.rlim_cur = strlen(before) + 10;
    setrlimit(RLIMIT_FSIZE, &small);
    cn_status st = reject(&b, "g:2:2", &err);
    setrlimit(RLIMIT_FSIZE, &old);
    assert_int_equal(st, CN_FATAL);
    assert_non_null(strstr(err.msg, path));
    char *after = slurp(path);
    assert_string_equal(after, before);
    free(after);
    reject_ok(&b, "g:2:2"); /* space again: the record goes in whole */
    cn_boxscore_close(&b);
    after = slurp(path);
    assert_string_equal(after, "{\"_id\":\"g:1:1\",\"reason\":\"bad\"}\n{\"_id\":\"g:2:2\",\"reason\":\"bad\"}\n");
    free(after);
    free(before);
}

static void put_ok(cn_boxscore *b, int id)
{
    cn_error err;
    char text[64];
    int n = snprintf(text, sizeof text, "{\"_id\":%d,\"game\":\"g\"}", id);
    cn_doc doc = {.game = "g", .id = id, .text = text, .len = (size_t)n};
    if (b->ops->put(b->impl, &doc, &err))
        fail_msg("put %d: %s", id, err.msg);
}

static bool exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* kill -9 between creating N.json.tmp.PID and renaming it leaves the temporary file:
 * the next sink removes those whose process is gone, or has our PID (a container's
 * pipeline gets the same PID on every start), and keeps a live process's. */
static void stale_temporary_files_are_removed(void **state)
{
    (void)state;
    char d[300], dead[400], ours[400], live[400];
    pid_t child = fork();
    if (child == 0)
        _exit(0);
    waitpid(child, NULL, 0);
    snprintf(d, sizeof d, "%s/stale", dir);
    mkdir(d, 0755);
    snprintf(dead, sizeof dead, "%s/7.json.tmp.%d", d, (int)child);
    snprintf(ours, sizeof ours, "%s/rejects.jsonl.tmp.%d", d, (int)getpid());
    snprintf(live, sizeof live, "%s/9.json.tmp.%d", d, (int)getppid());
    write_file(dead, "{");
    write_file(ours, "{");
    write_file(live, "{");
    cn_boxscore b = open_sink("stale", d, sizeof d);
    put_ok(&b, 1);
    cn_boxscore_close(&b);
    assert_false(exists(dead));
    assert_false(exists(ours));
    assert_true(exists(live));
}

/* Links planted in the sink's directory are never written through. */
static void sink_files_do_not_follow_symlinks(void **state)
{
    (void)state;
    char d[300], victim[400], link[400];
    cn_error err;
    snprintf(victim, sizeof victim, "%s/victim.txt", dir);
    write_file(victim, "keep\n");
    snprintf(d, sizeof d, "%s/links", dir);
    mkdir(d, 0755);
    snprintf(link, sizeof link, "%s/5.json", d);
    assert_int_equal(symlink(victim, link), 0);
    snprintf(link, sizeof link, "%s/rejects.jsonl", d);
    assert_int_equal(symlink(victim, link), 0);
    cn_boxscore b = open_sink("links", d, sizeof d);
    put_ok(&b, 5); /* the rename replaces the link itself */
    assert_int_equal(reject(&b, "g:1:1", &err), CN_FATAL);
    assert_non_null(strstr(err.msg, link));
    assert_non_null(strstr(err.msg, "symbolic link"));
    cn_boxscore_close(&b);
    char *text = slurp(victim);
    assert_string_equal(text, "keep\n");
    free(text);
    struct stat st;
    snprintf(link, sizeof link, "%s/5.json", d);
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISREG(st.st_mode));
}

/* A link planted at the temporary name (PATH.tmp.PID, predictable) is not written
 * through either: the temporary file is created afresh with O_EXCL. */
static void replace_file_does_not_write_through_a_planted_temp_link(void **state)
{
    (void)state;
    char victim[400], path[400], tmp[500];
    cn_error err;
    snprintf(victim, sizeof victim, "%s/victim2.txt", dir);
    write_file(victim, "keep\n");
    snprintf(path, sizeof path, "%s/replaced.txt", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
    assert_int_equal(symlink(victim, tmp), 0);
    assert_int_equal(cn_replace_file(path, "new", 3, "\n", true, &err), CN_OK);
    char *text = slurp(victim);
    assert_string_equal(text, "keep\n");
    free(text);
    text = slurp(path);
    assert_string_equal(text, "new\n");
    free(text);
    assert_false(exists(tmp));
}

/* The file:// stream target (gamestream-sim's) makes the object's directory, then
 * replaces the file whole on every write: a reader holding the old file keeps reading
 * the old bytes (a rename, never a write in place), and the file source reads each new
 * byte once. It names itself and its object for logs and notifications. */
static void file_target_replaces_the_stream_whole(void **state)
{
    (void)state;
    char path[400], uri[500];
    cn_error err;
    cn_target t = {0};
    snprintf(path, sizeof path, "%s/target/G1/gamestream.txt", dir);
    snprintf(uri, sizeof uri, "file://%s", path);
    assert_int_equal(cn_target_open(&t, uri, &cfg, &err), CN_OK);
    assert_false(t.ops->shared_prepare);
    assert_false(exists(path));
    assert_int_equal(t.ops->write(t.impl, "x", 1, &err), CN_FATAL); /* no directory yet */
    assert_non_null(strstr(err.msg, "target/G1"));
    assert_int_equal(t.ops->prepare(t.impl, &err), CN_OK);
    assert_int_equal(t.ops->prepare(t.impl, &err), CN_OK); /* already there */
    assert_int_equal(t.ops->write(t.impl, "a\n", 2, &err), CN_OK);
    FILE *old = fopen(path, "r");
    assert_non_null(old);
    cn_source s;
    assert_int_equal(cn_source_open(&s, uri, &cfg, &err), CN_OK);
    cn_chunk c = poll_ok(&s);
    assert_int_equal(c.len, 2);
    assert_memory_equal(c.data, "a\n", 2);
    assert_int_equal(t.ops->write(t.impl, "a\nb\n", 4, &err), CN_OK);
    c = poll_ok(&s);
    assert_false(c.restart);
    assert_int_equal(c.offset, 2);
    assert_int_equal(c.len, 2);
    assert_memory_equal(c.data, "b\n", 2);
    cn_source_close(&s);
    char buf[16] = {0};
    assert_int_equal(fread(buf, 1, sizeof buf - 1, old), 2);
    assert_string_equal(buf, "a\n");
    fclose(old);
    char *text = slurp(path);
    assert_string_equal(text, "a\nb\n");
    free(text);
    char want[500];
    snprintf(want, sizeof want, "gamestream.txt to %s/target/G1", dir);
    assert_string_equal(t.ops->describe(t.impl), want);
    const char *bucket = NULL, *key = NULL;
    t.ops->object(t.impl, &bucket, &key);
    assert_string_equal(bucket, "");
    assert_string_equal(key, path);
    cn_target_close(&t);
    assert_null(t.impl);
    assert_int_equal(cn_target_open(&t, "file://relative/gamestream.txt", &cfg, &err), CN_CONFIG);
    snprintf(uri, sizeof uri, "file://%s/target/", dir);
    assert_int_equal(cn_target_open(&t, uri, &cfg, &err), CN_CONFIG);
    assert_int_equal(cn_target_open(&t, "ftp://x/y", &cfg, &err), CN_CONFIG);
    assert_non_null(strstr(err.msg, "stream target"));
}

static void sqlite_reference_and_results_round_trip(void **state)
{
    (void)state;
    char uri[400], db[300];
    cn_reference r;
    cn_results w;
    cn_error err;
    bs_ref in = {0}, out = {0}, again = {0};
    snprintf(db, sizeof db, "%s/ref.db", dir);
    snprintf(uri, sizeof uri, "sqlite://%s", db);

    assert_int_equal(cn_reference_open(&r, uri, &cfg, &err), CN_OK);
    assert_int_equal(r.ops->load(r.impl, &out, &err), CN_NOT_FOUND); /* no database yet: waiting */
    cn_reference_close(&r);

    bs_ref_add_team(&in, 101, "Herons", "Coastal", 7, 3);
    bs_ref_add_player(&in, 1, "Liam O'Brien", "2", 20, 5, 101);
    bs_ref_add_player(&in, 2, "Zoë Hart", "19", 0, 0, 101);
    assert_int_equal(cn_results_open(&w, uri, &cfg, &err), CN_OK);
    assert_int_equal(w.ops->write(w.impl, &in, "teams", "players", &err), CN_OK);
    assert_int_equal(w.ops->write(w.impl, &in, "teams2", "players2", &err), CN_OK);
    assert_int_equal(w.ops->write(w.impl, &in, "teams2", "players2", &err), CN_OK); /* again: same rows */
    cn_results_close(&w);

    assert_int_equal(cn_reference_open(&r, uri, &cfg, &err), CN_OK);
    assert_int_equal(r.ops->load(r.impl, &out, &err), CN_OK);
    assert_true(bs_ref_equal(&in, &out));
    cn_reference_close(&r);

    sqlite3 *h;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, "SELECT count(*), max(name) FROM players2", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 2);
    assert_string_equal((const char *)sqlite3_column_text(st, 1), "Zoë Hart");
    sqlite3_finalize(st);
    sqlite3_close(h);
    bs_ref_free(&in);
    bs_ref_free(&out);
    bs_ref_free(&again);
}

static void a_failed_results_write_leaves_the_previous_tables(void **state)
{
    (void)state;
    char uri[400], db[300];
    cn_results w;
    cn_error err;
    bs_ref good = {0}, bad = {0};
    snprintf(db, sizeof db, "%s/fail.db", dir);
    snprintf(uri, sizeof uri, "sqlite://%s", db);
    bs_ref_add_team(&good, 101, "Herons", "Coastal", 8, 3);
    bs_ref_add_player(&good, 1, "Liam O'Brien", "2", 21, 6, 101);
    bs_ref_add_team(&bad, 101, "Herons", "Coastal", 9, 3);
    bs_ref_add_team(&bad, 101, "Herons again", "Coastal", 9, 3); /* duplicate key: the INSERT fails */
    assert_int_equal(cn_results_open(&w, uri, &cfg, &err), CN_OK);
    assert_int_equal(w.ops->write(w.impl, &good, "teams2", "players2", &err), CN_OK);
    assert_int_not_equal(w.ops->write(w.impl, &bad, "teams2", "players2", &err), CN_OK);
    assert_non_null(strstr(err.msg, db));
    cn_results_close(&w);

    sqlite3 *h;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, "SELECT (SELECT wins FROM teams2), (SELECT count(*) FROM players2)", -1, &st,
                                        NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 8); /* the first write's rows, untouched */
    assert_int_equal(sqlite3_column_int(st, 1), 1);
    sqlite3_finalize(st);
    sqlite3_close(h);
    bs_ref_free(&good);
    bs_ref_free(&bad);
}

/* ---------------------------------------------------------------- write_game */

static void sqlite_path(const char *name, char *out, size_t len)
{
    snprintf(out, len, "%s/%s.db", dir, name);
}

static cn_results sqlite_fresh(const char *name)
{
    char db[300], uri[400];
    sqlite_path(name, db, sizeof db);
    unlink(db);
    snprintf(uri, sizeof uri, "sqlite://%s", db);
    return league_sink(uri, &cfg);
}

/* The rows of every statement in sql, tab-separated, one a line (malloc'd); NULL when a
 * statement cannot be prepared (a missing table). */
static char *sqlite_query(const char *name, const char *sql)
{
    char db[300];
    sqlite_path(name, db, sizeof db);
    return sqlite_rows(db, sql);
}

static const results_backend sqlite_backend = {sqlite_fresh, sqlite_query, sqlite_path, sqlite_query};

static void sqlite_games_in_either_order_give_the_same_season(void **state)
{
    (void)state;
    check_games_in_either_order(&sqlite_backend);
}

static void sqlite_a_game_written_twice_counts_once(void **state)
{
    (void)state;
    check_a_game_written_twice_counts_once(&sqlite_backend);
}

static void sqlite_emptied_season_tables_are_added_up_again(void **state)
{
    (void)state;
    check_emptied_season_tables_are_added_up_again(&sqlite_backend);
}

static void sqlite_a_rewritten_game_replaces_its_rows(void **state)
{
    (void)state;
    check_a_rewritten_game_replaces_its_rows(&sqlite_backend);
}

static void sqlite_a_failed_game_write_changes_nothing(void **state)
{
    (void)state;
    check_a_failed_game_write_changes_nothing(&sqlite_backend);
}

static void sqlite_a_game_of_another_source_is_refused(void **state)
{
    (void)state;
    check_a_game_of_another_source_is_refused(&sqlite_backend);
}

static void sqlite_a_final_changes_only_its_own_rows(void **state)
{
    (void)state;
    check_a_final_changes_only_its_own_rows(&sqlite_backend);
}

static void sqlite_random_finals_add_up(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 20; seed++)
        check_random_finals_add_up(&sqlite_backend, seed, 40);
}

static void sqlite_one_game_gives_what_standings_give(void **state)
{
    (void)state;
    check_one_game_gives_what_standings_give(&sqlite_backend, 5);
}

/* A result the tables cannot key (an unsafe game id) or hold (a result not W, L or T)
 * is refused before anything is written. */
static void sqlite_an_unsafe_result_is_refused(void **state)
{
    (void)state;
    cn_error err;
    bs_result bad = game_result("../G1", 101, 205, 2, 1, g1_players, 3);
    cn_results w = sqlite_fresh("refused");
    assert_int_equal(w.ops->write_game(w.impl, NULL, &bad, 1, NULL, NULL, &err), CN_INPUT);
    snprintf(bad.game, sizeof bad.game, "G1");
    bad.teams[1].result = 'X';
    assert_int_equal(w.ops->write_game(w.impl, NULL, &bad, 1, NULL, NULL, &err), CN_INPUT);
    cn_results_close(&w);
    assert_null(sqlite_query("refused", GAMES_SQL)); /* not even the tables */
    bs_result_free(&bad);
}

/* Runs a reference load (or a results write, or with game a game's write) of db in a
 * child without root's privileges (root may write anywhere) and returns its status, with
 * the message in err. */
static cn_status sqlite_as_nobody(const char *db, bool results, bool game, cn_error *err)
{
    int fd[2];
    assert_int_equal(pipe(fd), 0);
    pid_t child = fork();
    if (child == 0) {
        char uri[400];
        bs_ref rows = {0};
        cn_reference r;
        cn_results w;
        snprintf(uri, sizeof uri, "sqlite://%s", db);
        cn_status st = cn_fail(err, CN_CONFIG, "could not drop root's privileges");
        if (geteuid() != 0 || (setregid(65534, 65534) == 0 && setreuid(65534, 65534) == 0))
            st = results ? cn_results_open(&w, uri, &cfg, err) : cn_reference_open(&r, uri, &cfg, err);
        if (!st)
            st = !results ? r.ops->load(r.impl, &rows, err)
                 : game    ? w.ops->write_game(w.impl, NULL, &(bs_result){.game = "G1", .teams = {{.result = 'W'}, {.result = 'L'}}}, 1, NULL, NULL, err)
                           : w.ops->write(w.impl, &rows, "t2", "p2", err);
        err->status = st;
        _exit(write(fd[1], err, sizeof *err) == (ssize_t)sizeof *err ? 0 : 1);
    }
    close(fd[1]);
    assert_int_equal(read(fd[0], err, sizeof *err), (ssize_t)sizeof *err);
    close(fd[0]);
    waitpid(child, NULL, 0);
    return err->status;
}

/* A database that cannot be opened for lack of permission is an error naming the path
 * and the cause, not "waiting for it to appear"; only a missing reference database is. */
static void sqlite_permission_errors_are_not_waiting(void **state)
{
    (void)state;
    char ro[300], db[400], hidden[300], ref[400], file[300], under[400];
    cn_error err;
    chmod(dir, 0755); /* the unprivileged child must reach the directories below */
    snprintf(ro, sizeof ro, "%s/readonly", dir);
    assert_int_equal(mkdir(ro, 0555), 0);
    snprintf(db, sizeof db, "%s/results.db", ro);
    for (int game = 0; game < 2; game++) { /* a game's result is refused the same way */
        assert_int_equal(sqlite_as_nobody(db, true, game, &err), CN_AUTH);
        assert_non_null(strstr(err.msg, db));
        assert_non_null(strstr(err.msg, "for writing: Permission denied (check the directory's permissions)"));
    }

    snprintf(hidden, sizeof hidden, "%s/private", dir);
    assert_int_equal(mkdir(hidden, 0700), 0);
    snprintf(ref, sizeof ref, "%s/ref.db", hidden);
    assert_int_equal(sqlite_as_nobody(ref, false, false, &err), CN_AUTH);
    assert_non_null(strstr(err.msg, ref));

    snprintf(ref, sizeof ref, "%s/missing.db", ro);
    assert_int_equal(sqlite_as_nobody(ref, false, false, &err), CN_NOT_FOUND); /* not seeded yet */

    snprintf(file, sizeof file, "%s/plain.txt", dir); /* a file where a directory should be */
    write_file(file, "x\n");
    snprintf(under, sizeof under, "%s/ref.db", file);
    assert_int_equal(sqlite_as_nobody(under, false, false, &err), CN_FATAL);
    assert_non_null(strstr(err.msg, "Not a directory"));
}

static void uri_parse_and_redact(void **state)
{
    (void)state;
    cn_uri u;
    cn_error err;
    char out[256];
    assert_int_equal(cn_uri_parse("mongodb://mongo:s3cr%40t@db.local:27017/sidearm.boxscores?authSource=admin", &u, &err), CN_OK);
    assert_string_equal(u.scheme, "mongodb");
    assert_string_equal(u.user, "mongo");
    assert_string_equal(u.password, "s3cr@t");
    assert_string_equal(u.host, "db.local");
    assert_int_equal(u.port, 27017);
    assert_string_equal(u.path, "/sidearm.boxscores");
    assert_string_equal(u.query, "authSource=admin");
    assert_int_equal(cn_uri_parse("s3://gamestreams/gamestream.txt", &u, &err), CN_OK);
    assert_string_equal(u.host, "gamestreams");
    assert_string_equal(u.path, "/gamestream.txt");
    assert_int_equal(cn_uri_parse("no-scheme", &u, &err), CN_CONFIG);
    assert_int_equal(cn_uri_parse("mssql://sa@h:99999/db", &u, &err), CN_CONFIG);
    cn_uri_redact("mongodb://mongo:hunter2@db:27017/x", out, sizeof out);
    assert_string_equal(out, "mongodb://mongo:***@db:27017/x");
    cn_uri_redact("mssql://sa@db:1433/sidearmdb", out, sizeof out);
    assert_string_equal(out, "mssql://sa@db:1433/sidearmdb");
}

static void unknown_scheme_is_a_config_error(void **state)
{
    (void)state;
    cn_source s;
    cn_error err;
    assert_int_equal(cn_source_open(&s, "ftp://x/y", &cfg, &err), CN_CONFIG);
    assert_non_null(strstr(err.msg, "ftp://"));
    assert_int_equal(cn_source_open(&s, "file://relative", &cfg, &err), CN_CONFIG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(missing_file_means_waiting),
        cmocka_unit_test(rewrites_deliver_every_new_byte_once),
        cmocka_unit_test(an_unterminated_last_line_is_not_read_again),
        cmocka_unit_test(appends_in_place_are_read_too),
        cmocka_unit_test(a_shorter_object_is_a_restart),
        cmocka_unit_test(same_length_new_beginning_is_a_restart),
        cmocka_unit_test(an_object_over_the_cap_is_refused_with_the_cap),
        cmocka_unit_test(a_fifo_or_directory_is_refused_without_blocking),
        cmocka_unit_test(a_stream_link_under_a_prefix_is_not_followed),
        cmocka_unit_test(dir_sink_upserts_by_id_and_appends_rejects),
        cmocka_unit_test(rejects_are_recorded_once_per_id),
        cmocka_unit_test(a_torn_last_reject_line_is_cut_before_appending),
        cmocka_unit_test(a_reject_append_cut_short_leaves_no_torn_line),
        cmocka_unit_test(stale_temporary_files_are_removed),
        cmocka_unit_test(sink_files_do_not_follow_symlinks),
        cmocka_unit_test(replace_file_does_not_write_through_a_planted_temp_link),
        cmocka_unit_test(file_target_replaces_the_stream_whole),
        cmocka_unit_test(sqlite_reference_and_results_round_trip),
        cmocka_unit_test(a_failed_results_write_leaves_the_previous_tables),
        cmocka_unit_test(sqlite_games_in_either_order_give_the_same_season),
        cmocka_unit_test(sqlite_a_game_written_twice_counts_once),
        cmocka_unit_test(sqlite_emptied_season_tables_are_added_up_again),
        cmocka_unit_test(sqlite_a_rewritten_game_replaces_its_rows),
        cmocka_unit_test(sqlite_a_failed_game_write_changes_nothing),
        cmocka_unit_test(sqlite_one_game_gives_what_standings_give),
        cmocka_unit_test(sqlite_a_game_of_another_source_is_refused),
        cmocka_unit_test(sqlite_a_final_changes_only_its_own_rows),
        cmocka_unit_test(sqlite_random_finals_add_up),
        cmocka_unit_test(dir_sink_keeps_another_sources_game),
        cmocka_unit_test(sqlite_an_unsafe_result_is_refused),
        cmocka_unit_test(sqlite_permission_errors_are_not_waiting),
        cmocka_unit_test(uri_parse_and_redact),
        cmocka_unit_test(unknown_scheme_is_a_config_error),
    };
    return cmocka_run_group_tests_name("connectors/embedded", tests, setup, teardown);
}
