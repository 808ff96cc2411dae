#!/bin/sh
# Peak memory and rate of `rungs import` on a large spreadsheet, which is streamed and
# never held whole in memory.
#
#   bench/import_memory.sh [MEGABYTES]
#
# Generates a GBK, CRLF, Chinese-headed CSV of about MEGABYTES (default 100) into a temp
# directory, makes a fresh SQLite database with an admin, and runs the release binary
# under /usr/bin/time -v twice: a dry run (pass 1 only) and the import (both passes,
# grouping and rollups included). Prints rows, seconds and peak RSS of each, then checks
# `rungs rollups verify`. Build first: cargo build --release --bin rungs
set -eu
MB=${1:-100}
BIN=${BIN:-target/release/rungs}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
DB="$WORK/rungs.db"

python3 - "$WORK/register.csv" "$MB" <<'PY'
import random, sys
path, mb = sys.argv[1], int(sys.argv[2])
random.seed(7)
things = ["打印机", "报销系统", "合同审批", "门禁卡", "会议室投影", "VPN", "工资条", "采购单",
          "发票", "邮箱", "OA 流程", "客户资料", "库存表", "出差申请", "考勤机"]
troubles = ["又卡住了", "登录不了", "一直没人批", "数据填错了", "打不开", "很慢", "报错 500",
            "找不到入口", "重复提交", "权限不够"]
places = ["三楼", "二楼东侧", "财务部", "销售部", "仓库", "深圳办公室", "北京总部"]
categories = ["其他", "系统故障", "催审批", "数据修改", "流程咨询"]
departments = ["sales", "approval", "product", "hr", "operations"]
limit = mb * 1_000_000
written = 0
with open(path, "wb") as out:
    out.write("标题,描述,类别,发生时间,部门,报告人,标签,单号,状态\r\n".encode("gbk"))
    n = 0
    while written < limit:
        n += 1
        thing, trouble = random.choice(things), random.choice(troubles)
        title = f"{random.choice(places)}{thing}{trouble}"
        body = f"\"{thing}{trouble}，已经第{random.randint(2, 9)}次了，\r\n请尽快处理\""
        day = f"2025/{random.randint(1, 12)}/{random.randint(1, 28)} {random.randint(7, 21)}:{random.randint(0, 59):02d}"
        row = (f"{title},{body},{random.choice(categories)},{day},{random.choice(departments)},"
               f"boss,{thing},REF-{n},{random.choice(['未处理', '已处理'])}\r\n").encode("gbk")
        out.write(row)
        written += len(row)
PY
SIZE=$(stat -c %s "$WORK/register.csv")
printf 'bench-password-123\n' | "$BIN" --database-url "$DB" user add boss --name Boss --role admin >/dev/null

measure() {
    /usr/bin/time -v "$BIN" --database-url "$DB" import "$WORK/register.csv" "$@" \
        >"$WORK/out" 2>"$WORK/time" || { cat "$WORK/out" "$WORK/time"; exit 1; }
    RSS=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time")
    WALL=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$WORK/time")
    echo "$(head -1 "$WORK/out") | ${WALL} wall | peak RSS $((RSS / 1024)) MB"
}
echo "file: $((SIZE / 1000000)) MB"
printf 'dry run: '; measure --dry-run
printf 'import:  '; measure
"$BIN" --database-url "$DB" rollups verify
