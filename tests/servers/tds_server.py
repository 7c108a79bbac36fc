#!/usr/bin/env python3
"""A minimal TDS 7.x server backed by SQLite (stdlib only): the SQL Server stand-in.

A test stand-in for SQL Server, not a database: PRELOGIN (no TLS), LOGIN7, SQL_BATCH,
ATTENTION, BULK_LOAD (bcp), COLMETADATA/ROW/DONE/ERROR/INFO/ENVCHANGE.

    tds_server.py PORT DBPATH        # login from TDS_USER / TDS_PASSWORD (default sa / pass)

Owned by this project (started from shared/test-servers). Changes: configurable login,
passwords never printed, databases are tracked (CREATE DATABASE, IF DB_ID(..) IS NULL
CREATE DATABASE, USE and LOGIN7 of an unknown database fail like SQL Server: 911/4060),
and an IF it does not understand is an error instead of being passed to SQLite.
IF OBJECT_ID(..) IS NULL CREATE TABLE becomes CREATE TABLE IF NOT EXISTS, table hints
(WITH (TABLOCKX)) are dropped, and CREATE VIEW .. AS SELECT stays one statement.
Knobs for permission tests: writes in the databases named (comma-separated) in
TDS_READONLY_DATABASES fail with 3906 (read-only), and in TDS_DENIED_DATABASES with
262/229 (permission denied; DROP finds nothing, as OBJECT_ID sees no object).
Locks: a session waits TDS_LOCK_TIMEOUT_MS (default 30000) for another's write lock, then
answers 1222 (lock request time out), as SQL Server does past SET LOCK_TIMEOUT. A fault
hook for lock conflicts: TDS_LOCK_ERRORS=1205,1222,... makes the statements that ask for a
table lock (WITH (TABLOCKX)), whichever session sends them, answer those errors in turn,
one each, before the locks work again; 1205 (deadlock victim) and 3960 (snapshot update
conflict) roll the transaction back, as SQL Server does. Each is logged ("lock fault: ...").
All databases share one SQLite namespace: table names must not clash across them.
"""
import os
import re
import socketserver
import sqlite3
import struct
import sys
import threading

PKT_BATCH, PKT_RPC, PKT_REPLY, PKT_ATTN, PKT_BULK, PKT_LOGIN7, PKT_PRELOGIN = 1, 3, 4, 6, 7, 0x10, 0x12
DONE_MORE, DONE_ERROR, DONE_INXACT, DONE_COUNT, DONE_ATTN = 0x01, 0x02, 0x04, 0x10, 0x20
COLLATION = bytes.fromhex("0904d00034")  # SQL_Latin1_General_CP1_CI_AS

DBPATH = sys.argv[2] if len(sys.argv) > 2 else ":memory:"
LOGIN_USER = os.environ.get("TDS_USER", "sa")
LOGIN_PASSWORD = os.environ.get("TDS_PASSWORD", "pass")
READONLY_DBS = {n.lower() for n in os.environ.get("TDS_READONLY_DATABASES", "").split(",") if n}
DENIED_DBS = {n.lower() for n in os.environ.get("TDS_DENIED_DATABASES", "").split(",") if n}
LOCK_TIMEOUT_S = int(os.environ.get("TDS_LOCK_TIMEOUT_MS", "30000")) / 1000.0
LOCK_ERRORS = [int(n) for n in os.environ.get("TDS_LOCK_ERRORS", "").split(",") if n]
# SQL Server's number, severity, text and whether it rolls the transaction back
LOCK_MESSAGES = {
    1204: (19, "The instance of the SQL Server Database Engine cannot obtain a LOCK resource at this time. "
               "Rerun your statement when there are fewer active users.", False),
    1205: (13, "Transaction (Process ID %d) was deadlocked on lock resources with another process and has been "
               "chosen as the deadlock victim. Rerun the transaction.", True),
    1222: (16, "Lock request time out period exceeded.", False),
    3960: (16, "Snapshot isolation transaction aborted due to update conflict. Retry the transaction.", True),
}
WRITES = {"CREATE", "DROP", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "ALTER"}
_shared_lock = threading.Lock()


def bvarchar(s):
    b = s.encode("utf-16-le")
    return bytes([len(s)]) + b


def usvarchar(s):
    return struct.pack("<H", len(s)) + s.encode("utf-16-le")


def tok_envchange(typ, new, old=""):
    body = bytes([typ]) + bvarchar(new) + bvarchar(old)
    return b"\xe3" + struct.pack("<H", len(body)) + body


def tok_env_bin(typ, new, old=b""):
    body = bytes([typ, len(new)]) + new + bytes([len(old)]) + old
    return b"\xe3" + struct.pack("<H", len(body)) + body


def tok_msg(token, number, cls, text, state=1, line=1):
    body = struct.pack("<iBB", number, state, cls) + usvarchar(text) + bvarchar("tds_server") + bvarchar("") + struct.pack("<i", line)
    return bytes([token]) + struct.pack("<H", len(body)) + body


def tok_done(status=0, curcmd=0, count=0, token=0xFD):
    return bytes([token]) + struct.pack("<HHQ", status, curcmd, count)


# ---- type mapping -------------------------------------------------------
# kinds: int4, int8, float, nvarchar(n chars), varbinary(n), bit
def kind_from_decl(decl):
    d = (decl or "").upper()
    m = re.search(r"\((\d+)", d)
    n = int(m.group(1)) if m else None
    if "BIGINT" in d:
        return ("int8", 8)
    if "TINYINT" in d or "SMALLINT" in d or re.search(r"\bINT(EGER)?\b", d):
        return ("int4", 4)
    if "BIT" in d:
        return ("bit", 1)
    if any(k in d for k in ("FLOAT", "REAL", "DOUBLE", "DECIMAL", "NUMERIC", "MONEY")):
        return ("float", 8)
    if "BINARY" in d or "BLOB" in d or "IMAGE" in d:
        return ("varbinary", min(n or 8000, 8000))
    if "CHAR" in d and not re.search(r"\bN(VAR)?CHAR|NTEXT", d):
        return ("varchar", min(n or 8000, 8000))
    return ("nvarchar", min(n or 4000, 4000))


def kind_from_value(v):
    if isinstance(v, bool):
        return ("bit", 1)
    if isinstance(v, int):
        return ("int8", 8)
    if isinstance(v, float):
        return ("float", 8)
    if isinstance(v, (bytes, bytearray)):
        return ("varbinary", 8000)
    return ("nvarchar", 4000)


def colmeta(cols):
    """cols: list of (name, kind, size, nullable)"""
    out = bytearray(b"\x81" + struct.pack("<H", len(cols)))
    for name, kind, size, nullable in cols:
        out += struct.pack("<IH", 0, 0x0008 | (1 if nullable else 0))
        if kind in ("int4", "int8"):
            out += bytes([0x26, size])
        elif kind == "bit":
            out += bytes([0x68, 1])
        elif kind == "float":
            out += bytes([0x6D, 8])
        elif kind == "varbinary":
            out += bytes([0xA5]) + struct.pack("<H", size)
        elif kind == "varchar":
            out += bytes([0xA7]) + struct.pack("<H", size) + COLLATION
        else:
            out += bytes([0xE7]) + struct.pack("<H", size * 2) + COLLATION
        out += bvarchar(name)
    return bytes(out)


def encode_row(cols, row):
    out = bytearray(b"\xd1")
    for (name, kind, size, _), v in zip(cols, row):
        if kind in ("int4", "int8", "bit", "float"):
            if v is None:
                out += b"\x00"
                continue
            if kind == "float":
                out += b"\x08" + struct.pack("<d", float(v))
            elif kind == "bit":
                out += b"\x01" + bytes([1 if v else 0])
            else:
                out += bytes([size]) + int(v).to_bytes(size, "little", signed=True)
        else:
            if v is None:
                out += b"\xff\xff"
                continue
            b = bytes(v) if kind == "varbinary" else str(v).encode("cp1252", "replace") if kind == "varchar" else str(v).encode("utf-16-le")
            out += struct.pack("<H", len(b)) + b
    return bytes(out)


# ---- T-SQL splitting / rewriting ---------------------------------------
TOKEN_RE = re.compile(r"""
    (?P<ws>\s+) | (?P<c1>--[^\n]*) | (?P<c2>/\*.*?\*/) |
    (?P<str>N?'(?:[^']|'')*') | (?P<br>\[[^\]]*\]) | (?P<dq>"[^"]*") |
    (?P<word>[@\#A-Za-z_][\w@\#$]*) | (?P<other>.)
""", re.S | re.X)
STMT_START = {"SELECT", "INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "ALTER", "SET", "USE",
              "BEGIN", "COMMIT", "ROLLBACK", "TRUNCATE", "DECLARE", "PRINT", "EXEC", "EXECUTE", "IF", "SAVE"}


def split_batch(sql):
    stmts, cur, depth, prev = [], [], 0, None
    first = None
    for m in TOKEN_RE.finditer(sql):
        kind, text = m.lastgroup, m.group()
        if kind in ("ws", "c1", "c2"):
            if cur:
                cur.append(" ")
            continue
        up = text.upper() if kind == "word" else None
        if text == ";" and depth == 0:
            if "".join(cur).strip():
                stmts.append("".join(cur).strip())
            cur, first, prev = [], None, None
            continue
        if (up in STMT_START and depth == 0 and first is not None and prev not in ("UNION", "ALL", "EXCEPT", "INTERSECT", "(")
                and not (up == "SELECT" and (first == "INSERT" or prev == "AS"))
                and not (first == "IF") and prev not in ("TABLE", "INDEX", "VIEW", "EXISTS") and not (first == "BEGIN" and prev == "BEGIN")):
            stmts.append("".join(cur).strip())
            cur, first = [], None
        if text == "(":
            depth += 1
        elif text == ")":
            depth -= 1
        if first is None:
            first = up
        cur.append(text)
        prev = up or text
    if "".join(cur).strip():
        stmts.append("".join(cur).strip())
    return stmts


def rewrite(stmt, sess):
    s = re.sub(r"(?i)\bIF\s+OBJECT_ID\s*\(\s*N?'([^']+)'(?:\s*,\s*N?'U')?\s*\)\s+IS\s+NOT\s+NULL\s+DROP\s+TABLE\s+",
               "DROP TABLE IF EXISTS ", stmt)
    out = []
    for m in TOKEN_RE.finditer(s):
        kind, text = m.lastgroup, m.group()
        if kind == "str" and text[0] in "Nn":
            text = text[1:]
        elif kind == "word":
            u = text.upper()
            text = {"@@ROWCOUNT": "changes()", "@@IDENTITY": "last_insert_rowid()",
                    "@@TRANCOUNT": str(sess.trancount), "@@SPID": str(sess.spid),
                    "@@VERSION": "'tds_server (SQLite %s)'" % sqlite3.sqlite_version,
                    "GETDATE": "datetime", "SYSDATETIME": "datetime"}.get(u, text)
        out.append(text)
    s = "".join(out)
    s = re.sub(r"(?i)(?:\[dbo\]|\bdbo)\s*\.\s*", "", s)
    # table hints (locking) mean nothing to SQLite, whose writers take turns anyway
    s = re.sub(r"(?i)\bWITH\s*\(\s*(?:TABLOCKX|TABLOCK|HOLDLOCK|UPDLOCK|ROWLOCK|XLOCK)(?:\s*,\s*\w+)*\s*\)", "", s)
    s = re.sub(r"(?i)datetime\s*\(\s*\)", "datetime('now')", s)
    s = re.sub(r"(?i)SCOPE_IDENTITY\s*\(\s*\)", "last_insert_rowid()", s)
    s = re.sub(r"(?i)\b(?:INT|BIGINT)\s+(?:NOT\s+NULL\s+)?IDENTITY\s*(\(\s*\d+\s*,\s*\d+\s*\))?\s*(NOT\s+NULL\s+)?PRIMARY\s+KEY",
               "INTEGER PRIMARY KEY AUTOINCREMENT", s)
    s = re.sub(r"(?i)\bIDENTITY\s*(\(\s*\d+\s*,\s*\d+\s*\))?", "", s)
    s = re.sub(r"(?i)\(\s*MAX\s*\)", "", s)
    m = re.match(r"(?is)^SELECT\s+TOP\s*\(?\s*(\d+)\s*\)?\s+(.*)$", s)
    if m:
        s = "SELECT %s LIMIT %s" % (m.group(2), m.group(1))
    return s


# ---- session --------------------------------------------------------------
class Session(socketserver.BaseRequestHandler):
    spid_counter = 50

    def setup(self):
        Session.spid_counter += 1
        self.spid = Session.spid_counter
        # writers wait for each other as SQL Server's locks make them wait (TABLOCKX), not
        # "database is locked": a busy timeout, and transactions that take the write lock at BEGIN
        self.db = sqlite3.connect(DBPATH, isolation_level=None, check_same_thread=False, timeout=LOCK_TIMEOUT_S)
        self.trancount = 0
        self.database = "master"
        self.fmtonly = False
        self.nocount = False
        self.tdsver = 0x74000004
        self.bulk_table = None

    # packet I/O
    def recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            c = self.request.recv(n - len(buf))
            if not c:
                raise EOFError
            buf += c
        return buf

    def read_message(self):
        data, typ = b"", None
        while True:
            hdr = self.recv_exact(8)
            typ, status, length = hdr[0], hdr[1], struct.unpack(">H", hdr[2:4])[0]
            data += self.recv_exact(length - 8)
            if status & 1:
                return typ, data

    def send_message(self, payload, typ=PKT_REPLY, size=4096):
        chunks = [payload[i:i + size - 8] for i in range(0, len(payload), size - 8)] or [b""]
        for i, c in enumerate(chunks):
            last = i == len(chunks) - 1
            hdr = struct.pack(">BBHHBB", typ, 1 if last else 0, len(c) + 8, self.spid, (i + 1) & 0xFF, 0)
            self.request.sendall(hdr + c)

    def handle(self):
        try:
            while True:
                typ, data = self.read_message()
                if typ == PKT_PRELOGIN:
                    self.send_message(self.prelogin_reply())
                elif typ == PKT_LOGIN7:
                    self.send_message(self.login(data))
                elif typ == PKT_BATCH:
                    if self.tdsver >= 0x72000000:
                        data = data[struct.unpack("<I", data[:4])[0]:]
                    self.send_message(self.batch(data.decode("utf-16-le")))
                elif typ == PKT_BULK:
                    self.send_message(self.bulk(data))
                elif typ == PKT_ATTN:
                    self.send_message(tok_done(DONE_ATTN))
                else:
                    self.send_message(tok_msg(0xAA, 50000, 16, "tds_server: unsupported packet type %d" % typ) + tok_done(DONE_ERROR))
        except (EOFError, ConnectionError):
            pass
        finally:
            self.db.close()

    def prelogin_reply(self):
        opts = [(0, struct.pack(">BBHH", 16, 0, 1000, 0)), (1, b"\x02"), (2, b"\x00"), (3, b""), (4, b"\x00")]
        off = len(opts) * 5 + 1
        head, body = b"", b""
        for t, v in opts:
            head += struct.pack(">BHH", t, off + len(body), len(v))
            body += v
        return head + b"\xff" + body

    def login(self, d):
        ver = struct.unpack("<I", d[4:8])[0]
        self.tdsver = min(ver, 0x74000004) if ver >= 0x70000000 else 0x74000004

        def field(off):
            ib, cch = struct.unpack("<HH", d[off:off + 4])
            return d[ib:ib + cch * 2]
        user = field(40).decode("utf-16-le")
        pw = bytes(((((b ^ 0xA5) << 4) & 0xF0) | ((b ^ 0xA5) >> 4)) for b in field(44)).decode("utf-16-le")
        database = field(68).decode("utf-16-le") or "master"
        print("login user=%r db=%r app=%r ver=%08x" % (user, database, field(48).decode("utf-16-le"), ver), flush=True)
        if user != LOGIN_USER or pw != LOGIN_PASSWORD:
            return tok_msg(0xAA, 18456, 14, "Login failed for user '%s'." % user) + tok_done(DONE_ERROR)
        if not self.db_exists(database):
            return tok_msg(0xAA, 4060, 11, "Cannot open database \"%s\" requested by the login. The login failed." % database) + tok_done(DONE_ERROR)
        self.database = database
        prog = "Microsoft SQL Server"
        ack = struct.pack("<B", 1) + struct.pack(">I", self.tdsver) + bvarchar(prog) + bytes([16, 0, 3, 0xE8])
        return (tok_envchange(1, database, "master") + tok_msg(0xAB, 5701, 0, "Changed database context to '%s'." % database)
                + tok_env_bin(7, COLLATION) + tok_envchange(2, "us_english")
                + tok_msg(0xAB, 5703, 0, "Changed language setting to us_english.")
                + b"\xad" + struct.pack("<H", len(ack)) + ack
                + tok_envchange(4, "4096", "4096") + tok_done())

    # ---- batches ----
    def batch(self, sql):
        print("batch: %r" % sql, flush=True)
        sql = re.sub(r"(?i)\bIF\s+OBJECT_ID\s*\(\s*N?'([^']+)'(?:\s*,\s*N?'U')?\s*\)\s+IS\s+NOT\s+NULL\s+DROP\s+TABLE\s+",
                     "DROP TABLE IF EXISTS ", sql)
        sql = re.sub(r"(?i)\bIF\s+OBJECT_ID\s*\(\s*N?'([^']+)'(?:\s*,\s*N?'U')?\s*\)\s+IS\s+NULL\s+CREATE\s+TABLE\s+",
                     "CREATE TABLE IF NOT EXISTS ", sql)
        stmts = split_batch(sql)
        out = bytearray()
        for i, st in enumerate(stmts):
            more = DONE_MORE if i < len(stmts) - 1 else 0
            toks, err = self.statement(st)
            out += toks
            if err:
                # T-SQL: most statement errors do not abort the batch; keep going
                pass
        if not stmts:
            out += tok_done()
        out[-12] &= ~DONE_MORE  # final DONE of the batch must not carry DONE_MORE
        return bytes(out)

    def done(self, status=0, count=None):
        st = status | (DONE_INXACT if self.trancount else 0)
        if count is not None and not self.nocount:
            st |= DONE_COUNT
        return tok_done(st, 0, count or 0)

    def db_exists(self, name):
        if name.lower() in ("master", "tempdb", "model", "msdb"):
            return True
        self.db.execute("CREATE TABLE IF NOT EXISTS __tds_databases (name TEXT PRIMARY KEY COLLATE NOCASE)")
        return self.db.execute("SELECT 1 FROM __tds_databases WHERE name = ?", (name,)).fetchone() is not None

    def create_db(self, name):
        if self.db_exists(name):
            return tok_msg(0xAA, 1801, 16, "Database '%s' already exists." % name) + self.done(DONE_MORE | DONE_ERROR), True
        self.db.execute("INSERT INTO __tds_databases (name) VALUES (?)", (name,))
        return self.done(DONE_MORE), False

    def statement(self, st):
        u = st.upper()
        words = u.split()
        try:
            m = re.match(r"(?is)^IF\s+DB_ID\s*\(\s*N?'([^']+)'\s*\)\s+IS\s+NULL\s+CREATE\s+DATABASE\s+\[?(\w+)\]?$", st)
            if m:
                return (self.create_db(m.group(2)) if not self.db_exists(m.group(1)) else (self.done(DONE_MORE), False))
            m = re.match(r"(?is)^CREATE\s+DATABASE\s+\[?(\w+)\]?$", st)
            if m:
                return self.create_db(m.group(1))
            if words[0] == "IF":
                return tok_msg(0xAA, 50001, 16, "tds_server: unsupported IF statement: %s" % st[:80]) + self.done(DONE_MORE | DONE_ERROR), True
            if words[0] == "SET":
                if len(words) >= 3 and words[1] == "FMTONLY":
                    self.fmtonly = words[2] == "ON"
                elif len(words) >= 3 and words[1] == "NOCOUNT":
                    self.nocount = words[2] == "ON"
                return self.done(DONE_MORE), False
            if words[0] == "USE":
                name = st.split(None, 1)[1].strip("[]\" ")
                if not self.db_exists(name):
                    return tok_msg(0xAA, 911, 16, "Database '%s' does not exist. Make sure that the name is entered correctly." % name) + self.done(DONE_MORE | DONE_ERROR), True
                self.database = name
                return tok_envchange(1, name, "master") + tok_msg(0xAB, 5701, 0, "Changed database context to '%s'." % name) + self.done(DONE_MORE), False
            if words[0] == "BEGIN" and len(words) > 1 and words[1] in ("TRAN", "TRANSACTION"):
                if self.trancount == 0:
                    self.db.execute("BEGIN IMMEDIATE")
                self.trancount += 1
                return tok_env_bin(8, struct.pack("<Q", self.spid)) + self.done(DONE_MORE), False
            if words[0] in ("COMMIT", "ROLLBACK"):
                if self.trancount == 0:
                    n = 3902 if words[0] == "COMMIT" else 3903
                    return tok_msg(0xAA, n, 16, "The %s TRANSACTION request has no corresponding BEGIN TRANSACTION." % words[0]) + self.done(DONE_MORE | DONE_ERROR), True
                if words[0] == "ROLLBACK" or self.trancount == 1:
                    self.db.execute(words[0])
                    self.trancount = 0
                    return tok_env_bin(9 if words[0] == "COMMIT" else 10, b"", struct.pack("<Q", self.spid)) + self.done(DONE_MORE), False
                self.trancount -= 1
                return self.done(DONE_MORE), False
            refused = self.refusal(words) or ("TABLOCKX" in u and self.lock_fault())
            if refused:
                return refused
            m = re.match(r"(?is)^INSERT\s+BULK\s+(\S+)", st)
            if m:
                self.bulk_table = m.group(1)
                return self.done(DONE_MORE), False
            q = rewrite(st, self)
            if self.fmtonly:
                return self.fmtonly_meta(q) + self.done(DONE_MORE), False
            cur = self.db.execute(q)
            if cur.description:
                rows = cur.fetchall()
                decl = self.decltypes(q, len(cur.description))
                cols = []
                for j, dsc in enumerate(cur.description):
                    if decl[j]:
                        k = kind_from_decl(decl[j])
                    else:
                        vals = [r[j] for r in rows if r[j] is not None]
                        k = kind_from_value(vals[0]) if vals else ("nvarchar", 4000)
                    cols.append((dsc[0] or "", k[0], k[1], True))
                return colmeta(cols) + b"".join(encode_row(cols, r) for r in rows) + self.done(DONE_MORE, len(rows)), False
            cnt = cur.rowcount if words[0] in ("INSERT", "UPDATE", "DELETE") else None
            return self.done(DONE_MORE, cnt), False
        except sqlite3.Error as e:
            msg = str(e)
            if "database is locked" in msg or "database table is locked" in msg:
                return self.lock_error(1222)  # waited LOCK_TIMEOUT_S for another session's lock
            num = 208 if "no such table" in msg else 2714 if "already exists" in msg else 2627 if "UNIQUE" in msg else 102
            if num == 208:
                msg = "Invalid object name '%s'." % msg.split(":")[-1].strip()
            return tok_msg(0xAA, num, 16, msg) + self.done(DONE_MORE | DONE_ERROR), True

    def refusal(self, words):
        """The TDS_READONLY_DATABASES / TDS_DENIED_DATABASES knobs: None, or the reply to a refused write."""
        db = self.database
        if words[0] not in WRITES or db.lower() not in READONLY_DBS | DENIED_DBS:
            return None
        if db.lower() in READONLY_DBS:
            return tok_msg(0xAA, 3906, 16, 'Failed to update database "%s" because the database is read-only.' % db) + self.done(DONE_MORE | DONE_ERROR), True
        if words[0] == "DROP":
            return self.done(DONE_MORE), False
        if words[0] in ("CREATE", "ALTER"):
            return tok_msg(0xAA, 262, 14, "%s %s permission denied in database '%s'." % (words[0], words[1], db)) + self.done(DONE_MORE | DONE_ERROR), True
        obj = words[1] if words[0] == "UPDATE" else words[2] if len(words) > 2 else "?"
        return tok_msg(0xAA, 229, 14, "The %s permission was denied on the object '%s', database '%s', schema 'dbo'." % (words[0], obj.lower(), db)) + self.done(DONE_MORE | DONE_ERROR), True

    def lock_fault(self):
        """The TDS_LOCK_ERRORS hook: None, or the reply of the next lock error in the list."""
        with _shared_lock:
            if not LOCK_ERRORS:
                return None
            num = LOCK_ERRORS.pop(0)
        print("lock fault: %d to spid %d" % (num, self.spid), flush=True)
        return self.lock_error(num)

    def lock_error(self, num):
        """SQL Server's reply to a lock conflict num (LOCK_MESSAGES): the transaction rolled back when it does."""
        cls, text, rolls_back = LOCK_MESSAGES[num]
        if rolls_back and self.trancount:
            self.db.execute("ROLLBACK")
            self.trancount = 0
        return tok_msg(0xAA, num, cls, text % self.spid if "%d" in text else text) + self.done(DONE_MORE | DONE_ERROR), True

    def decltypes(self, q, n):
        """Declared types for a simple 'SELECT ... FROM table' via PRAGMA (best effort)."""
        m = re.search(r"(?is)\bFROM\s+([\w\[\]\".]+)", q)
        res = [None] * n
        if not m:
            return res
        tbl = m.group(1).strip("[]\"").split(".")[-1].strip("[]\"")
        info = {r[1].lower(): r[2] for r in self.db.execute("PRAGMA table_info(%s)" % tbl)}
        cur = self.db.execute(q + " LIMIT 0") if "LIMIT" not in q.upper() else self.db.execute(q)
        for j, d in enumerate(cur.description):
            res[j] = info.get((d[0] or "").lower())
        return res

    def table_cols(self, tbl):
        info = list(self.db.execute("PRAGMA table_info(%s)" % tbl.strip("[]\"").split(".")[-1].strip("[]\"")))
        if not info:
            raise sqlite3.OperationalError("no such table: %s" % tbl)
        return [(r[1], *kind_from_decl(r[2]), not r[3]) for r in info]

    def fmtonly_meta(self, q):
        m = re.match(r"(?is)^select\s+\*\s+from\s+(\S+)\s*$", q)
        if m:
            return colmeta(self.table_cols(m.group(1)))
        return b""

    # ---- bulk load (bcp in) ----
    def bulk(self, d):
        cols = self.table_cols(self.bulk_table)
        p = 0
        assert d[p] == 0x81
        n = struct.unpack("<H", d[p + 1:p + 3])[0]
        p += 3
        wire = []
        for _ in range(n):
            p += 6  # usertype + flags
            t = d[p]
            p += 1
            if t in (0x26, 0x68, 0x6D, 0x6E, 0x6F):
                size = d[p]
                p += 1
            elif t in (0xE7, 0xA7, 0xAF, 0xEF):
                size = struct.unpack("<H", d[p:p + 2])[0]
                p += 7
            elif t in (0xA5, 0xAD):
                size = struct.unpack("<H", d[p:p + 2])[0]
                p += 2
            elif t in (0x38, 0x34, 0x30, 0x7F, 0x3E, 0x32):
                size = {0x38: 4, 0x34: 2, 0x30: 1, 0x7F: 8, 0x3E: 8, 0x32: 1}[t]
            else:
                raise ValueError("bulk: unsupported type 0x%02x" % t)
            namelen = d[p]
            p += 1 + namelen * 2
            wire.append((t, size))
        rows = []
        while p < len(d) and d[p] == 0xD1:
            p += 1
            row = []
            for t, size in wire:
                if t in (0x26, 0x68, 0x6D, 0x6E):
                    ln = d[p]; p += 1
                    raw = d[p:p + ln]; p += ln
                    if ln == 0:
                        row.append(None)
                    elif t == 0x6D:
                        row.append(struct.unpack("<d" if ln == 8 else "<f", raw)[0])
                    else:
                        row.append(int.from_bytes(raw, "little", signed=True))
                elif t in (0x38, 0x34, 0x30, 0x7F, 0x32):
                    raw = d[p:p + size]; p += size
                    row.append(int.from_bytes(raw, "little", signed=(t != 0x30)))
                elif t == 0x3E:
                    row.append(struct.unpack("<d", d[p:p + 8])[0]); p += 8
                else:
                    ln = struct.unpack("<H", d[p:p + 2])[0]; p += 2
                    if ln == 0xFFFF:
                        row.append(None)
                        continue
                    raw = d[p:p + ln]; p += ln
                    if t in (0xE7, 0xEF) and ln % 2:
                        return tok_msg(0xAA, 4815, 16, "Received an invalid column length from the bcp client for colid %d." % (len(row) + 1)) + self.done(DONE_ERROR)
                    row.append(raw.decode("utf-16-le") if t in (0xE7, 0xEF) else raw.decode("cp1252") if t in (0xA7, 0xAF) else bytes(raw))
            rows.append(row)
        names = ",".join('"%s"' % c[0] for c in cols[:len(wire)])
        self.db.executemany("INSERT INTO %s (%s) VALUES (%s)" % (self.bulk_table.split(".")[-1].strip("[]"), names, ",".join("?" * len(wire))), rows)
        print("bulk: %d rows into %s" % (len(rows), self.bulk_table), flush=True)
        return self.done(0, len(rows))


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    allow_reuse_address = True
    daemon_threads = True


def fix_final_done(payload):
    return payload


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 14330
    with Server(("127.0.0.1", port), Session) as srv:
        print("tds_server listening on 127.0.0.1:%d db=%s" % (port, DBPATH), flush=True)
        srv.serve_forever()
