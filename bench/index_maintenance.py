#!/usr/bin/env python3
"""What the incidents table's secondary indexes cost a bulk insert on SQLite.

Inserts 300,000 rows shaped like `incidents` (the columns and indexes of migrations/sqlite)
in one transaction with the import's settings (WAL, a 64 MB page cache, temp_store in
memory), twice each way: with the indexes kept up row by row, and with them created after
the rows (inside the same transaction). Run: python3 bench/index_maintenance.py
"""
import os
import random
import shutil
import sqlite3
import tempfile
import time
N = 300_000
def run(defer):
    work = tempfile.mkdtemp()
    p = os.path.join(work, "idx.db")
    c = sqlite3.connect(p, isolation_level=None)
    c.execute("PRAGMA journal_mode=WAL"); c.execute("PRAGMA cache_size=-65536"); c.execute("PRAGMA temp_store=MEMORY")
    c.execute("""CREATE TABLE incidents (id INTEGER PRIMARY KEY, title TEXT, body TEXT, category_id INT, reporter_id INT,
      department_id INT, occurred_at TEXT, local_date TEXT, week_key TEXT, iso_weekday INT, local_hour INT, tags TEXT,
      external_ref TEXT, status TEXT, search_text TEXT, created_at TEXT, updated_at TEXT, cluster_id INT, join_reason TEXT,
      join_score REAL, join_terms TEXT, import_id INT)""")
    idx = ["CREATE INDEX incidents_week ON incidents (week_key, category_id)",
           "CREATE INDEX incidents_occurred ON incidents (occurred_at)",
           "CREATE INDEX incidents_reporter ON incidents (reporter_id, occurred_at)",
           "CREATE INDEX incidents_cluster ON incidents (cluster_id, occurred_at, id)",
           "CREATE INDEX incidents_import ON incidents (import_id) WHERE import_id IS NOT NULL"]
    if not defer:
        for i in idx: c.execute(i)
    random.seed(1)
    rows = []
    for n in range(N):
        m, d, h, mi = random.randint(1,12), random.randint(1,28), random.randint(7,20), random.randint(0,59)
        occ = f"2025-{m:02d}-{d:02d} {h:02d}:{mi:02d}:00"
        t = "三楼打印机又卡住了" + str(random.randint(0,999))
        rows.append((t, "打印机又卡住了，客户一直在等。单据 " + str(random.randint(10000,99999)), random.randint(1,5), random.randint(1,6),
                     random.randint(1,5), occ, occ[:10], f"2025-W{random.randint(1,52):02d}", 1, h, "urgent", f"REF-{n}", "open", t,
                     occ, occ, random.randint(1,320), "similar", 0.5, "打印机", 1))
    t0 = time.time()
    c.execute("BEGIN")
    c.executemany("INSERT INTO incidents (title, body, category_id, reporter_id, department_id, occurred_at, local_date, week_key, iso_weekday, local_hour, tags, external_ref, status, search_text, created_at, updated_at, cluster_id, join_reason, join_score, join_terms, import_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    t1 = time.time()
    if defer:
        for i in idx: c.execute(i)
    c.execute("COMMIT")
    t2 = time.time()
    print(("deferred" if defer else "kept    "), f"insert {t1-t0:.2f}s  indexes+commit {t2-t1:.2f}s  total {t2-t0:.2f}s = {N/(t2-t0):,.0f} rows/s")
    c.close()
    shutil.rmtree(work)
run(False); run(True); run(False); run(True)
