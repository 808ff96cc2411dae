//! Word lists for the tokenizer: stop words in both languages, a light English
//! stemmer, and a small bilingual domain lexicon. The lexicon maps everyday
//! words of both languages to shared concept terms (`@approval`), because a
//! team writes "催审批" and "chasing approval" about the same problem and
//! character n-grams alone can never bring those two together.

use rustc_hash::{FxHashMap, FxHashSet};
use std::sync::LazyLock;
use std::sync::atomic::{AtomicBool, Ordering};

/// Prefix of concept terms; input text can never produce it (terms are built
/// from letters and digits only).
pub const CONCEPT_MARK: char = '@';
/// Prefix of Latin character trigrams, for the same reason.
pub const GRAM_MARK: char = '~';

/// English stop words: function words, and the time words and filler verbs
/// that every kind of incident has.
const EN_STOP: &str = "\
    a about after again all already also am an and any anyone are as at be been before being \
    but by can com could did do does doing done for from get getting got guys had has have \
    he hello help her hey hi him his how http https i if im in into is it its just know let \
    like me mine more much my need no now of ok okay on one or our out please pls plz really \
    same she should so some someone still thank thanks that the their them then there these \
    they this thx to too up us very via want was we were what when where which while will \
    with would www yet you your able afternoon ago another ages always anything because day \
    days each ever every everything first hour hours last long look minute minutes month \
    morning next other others said say says second see since something sometimes third time \
    times today tomorrow unable way week weeks whole why yesterday anymore came come gave \
    give gives go goes going keep keeps kept lot make made put take takes thing things took \
    tried try use used using went work worked working works yeah yes taking \
    fyi team folks dear regards cheers kindly u ur ty tks btw sorry hiya good everyone \
    anybody check issue problem";

/// Negations, with contractions spelt with or without the apostrophe: "not
/// loading" and "not approved" share nothing but the "not", so it is dropped.
const EN_NEGATIONS: &str = "\
    cannot cant couldnt didnt doesnt dont isnt not wasnt wont never";

/// Chinese stop words: particles, pronouns and filler. Single characters are
/// only those that are almost never part of a content word.
const ZH_STOP: &str = "\
    的 了 吗 呢 啊 吧 呀 哦 嘛 啦 哈 么 嗯 哎 唉 喂 还 又 也 都 就 我 你 您 他 她 它 们 这 那 是 和 与 跟 把 被 给 让 在 有 请 再 很 太 \
    怎么 怎样 什么 为啥 请问 麻烦 谢谢 多谢 帮忙 一下 一个 这个 那个 我们 你们 他们 大家 已经 可以 能不能 是不是 到底 今天 现在 一直 还是 然后 但是 因为 \
    所以 如果 就是 这样 同事 老师 亲 各位 需要 显示 时候 早上 上午 下午 晚上 昨天 明天 开始 哪个 哪里 这边 那边 一样 之后 以后 知道 看看 看下 好像 其实 \
    感觉 觉得 问题 情况 直接 你好 您好 大家好 各位好 哈喽 嗨 辛苦 感谢 在吗 求助 帮";

/// (words, concept). English entries are stemmed when the table is built;
/// `a-b` entries match "a-b", "a b" and "ab" ("log-in", "log in", "login").
/// The vocabulary is everyday office, sales-operations and IT-support
/// language, not tuned to any one team.
const CONCEPTS: &[(&str, &str)] = &[
    (
        "审批 审核 批准 核准 签批 审批人 approval approve approver signoff review",
        "approval",
    ),
    (
        "催 催促 跟进 催一下 chase chaser nudge ping hurry follow-up",
        "chase",
    ),
    (
        "等 等待 没动 没动静 没反应 未处理 待审 卡住 pending waiting wait stuck queue",
        "pending",
    ),
    ("进度 状态 进展 到哪 status progress", "status"),
    ("订单 下单 单子 录单 order", "order"),
    ("客户 customer client", "customer"),
    (
        "驳回 拒绝 退回 打回 被拒 没通过 不通过 reject decline denied bounced",
        "reject",
    ),
    ("原因 理由 reason", "reason"),
    ("重新提交 重提 再提交 resubmit", "resubmit"),
    ("提交 提报 submit", "submit"),
    (
        "崩 崩溃 挂了 宕机 打不开 用不了 瘫痪 无法访问 down outage crash unreachable",
        "outage",
    ),
    ("报错 出错 异常 error exception fail failure", "error"),
    (
        "不对 有误 写错 填错 错了 弄错 搞错 选错 录错 wrong incorrect mistake typo",
        "wrong",
    ),
    (
        "慢 很慢 卡顿 转圈 超时 slow lag laggy timeout forever sluggish spinning",
        "slow",
    ),
    ("登录 登陆 登入 登不上 log-in sign-in logon", "login"),
    ("单点登录 sso", "sso"),
    ("认证 authentication authenticate credential", "auth"),
    ("验证码 2fa otp verification-code", "otp"),
    ("密码 password pwd passcode", "password"),
    ("重置 找回 reset", "reset"),
    ("忘记 忘了 forgot forget", "forgot"),
    ("账号 帐号 账户 account", "account"),
    ("锁定 锁了 被锁 锁住 locked lock", "lock"),
    ("证书 certificate", "certificate"),
    ("缓存 cache cookie", "cache"),
    ("跳转 跳回 redirect loop", "redirect"),
    ("导出 导不出 下载 export download", "export"),
    ("报表 报告 月报 周报 report", "report"),
    ("表格 excel spreadsheet xlsx csv", "spreadsheet"),
    ("乱码 garbled gibberish", "garbled"),
    ("空白 白屏 空的 没数据 blank empty", "blank"),
    (
        "价格 单价 报价 底价 指导价 price pricing quote list-price floor-price",
        "price",
    ),
    ("折扣 优惠 特价 打折 满减 discount promo", "discount"),
    ("数量 quantity qty", "quantity"),
    ("金额 总价 总额 amount total", "amount"),
    ("运费 freight", "freight"),
    ("型号 model", "model"),
    ("地址 收货地址 address", "address"),
    ("收货人 recipient consignee", "recipient"),
    ("电话 手机号 联系方式 联系人 对接人 phone contact", "phone"),
    ("快递 courier", "courier"),
    ("名称 名字 name", "name"),
    ("合同 contract agreement", "contract"),
    ("保密协议 nda", "nda"),
    ("补充协议 amendment addendum", "amendment"),
    ("法务 legal lawyer", "legal"),
    ("附件 扫描件 attachment attach", "attachment"),
    ("意见 备注 comment note", "comment"),
    ("发票 开票 专票 普票 invoice invoicing", "invoice"),
    ("抬头 税号 税率 tax vat", "tax"),
    ("开户行 bank", "bank"),
    ("品名 description", "description"),
    ("重复 两遍 两单 一模一样 duplicate identical", "duplicate"),
    (
        "删除 删掉 作废 撤销 取消 delete remove cancel void",
        "delete",
    ),
    (
        "修改 更改 改成 改为 更正 改一下 change modify amend edit correct update",
        "change",
    ),
    ("修复 fix repair", "fix"),
    ("业绩 提成 归属 credit commission attribution", "credit"),
    ("销售 sales salesperson rep", "sales"),
    ("报销 费用 费控 reimburse reimbursement expense", "expense"),
    ("票据 小票 打车票 receipt", "receipt"),
    ("出差 business-trip travel trip", "travel"),
    ("补贴 allowance per-diem", "allowance"),
    ("到账 付款 回款 收款 payment pay paid", "payment"),
    ("截止 deadline", "deadline"),
    ("流程 步骤 process procedure workflow steps", "process"),
    (
        "请假 休假 年假 假期 leave vacation pto holiday day-off time-off annual",
        "leave",
    ),
    ("病假 sick", "sick"),
    ("婚假 marriage married", "marriage"),
    ("调休 comp-time", "comptime"),
    ("余额 balance remaining", "balance"),
    ("离职 resign resigned quit", "resigned"),
    (
        "建档 开户 新建客户 onboard onboarding register registration",
        "onboard",
    ),
    ("营业执照 license", "license"),
    ("资料 文件 document docs", "documents"),
    ("模板 template", "template"),
    ("新建 创建 create", "create"),
    ("录入 输入 enter input", "enter"),
    ("保存 save", "save"),
    ("按钮 button", "button"),
    ("页面 网页 界面 page screen", "page"),
    ("加载 load", "load"),
    ("搜索 search", "search"),
    ("产品 商品 物料 product item sku", "product"),
    ("找不到 搜不到 查不到 missing not-found", "missing"),
    ("打印机 打印 printer print", "printer"),
    ("卡纸 jam paper-jam", "jam"),
    ("扫描 扫描仪 scan scanner", "scan"),
    ("墨 墨盒 硒鼓 碳粉 toner ink", "toner"),
    ("离线 offline", "offline"),
    ("网络 网速 断网 上网 network internet", "network"),
    (
        "连不上 连接 连网 掉线 connect connection disconnect",
        "connect",
    ),
    ("信号 signal", "signal"),
    ("访客 guest visitor", "guest"),
    ("视频会议 video-call", "video"),
    (
        "领导 经理 主管 总监 manager boss supervisor director",
        "manager",
    ),
    ("财务 finance", "finance"),
    ("部门 department dept", "department"),
    ("区域 华南 华东 华北 region regional", "region"),
    ("代理人 backup delegate deputy", "delegate"),
    (
        "权限 permission access authorized unauthorized authority limit",
        "permission",
    ),
    ("转给 流转 转交 分配 route routed assign reassign", "route"),
    ("午饭 午休 中午 吃饭 lunch noon midday", "lunch"),
    ("急 加急 着急 紧急 urgent asap rush", "urgent"),
    ("发货 出货 ship shipment deliver delivery", "ship"),
    ("撞单 抢单 抢客户 conflict clash poach", "conflict"),
    ("锁客 lock-customer", "lockcustomer"),
    ("培训 training train", "training"),
    ("邮件 邮箱 email mail inbox", "email"),
    (
        "提醒 通知 remind reminder notify notification alert",
        "remind",
    ),
    ("手机 移动端 mobile", "mobile"),
    ("会议室 meeting-room", "meeting"),
];

/// Whether a Chinese word and an English word of one concept share its term
/// (always, in the product). Switched off, Chinese concepts get terms of their
/// own: `cargo run --release --example grouping_eval -- --monolingual`
/// measures what the bilingual word list buys.
static BILINGUAL: AtomicBool = AtomicBool::new(true);

pub fn bilingual() -> bool {
    BILINGUAL.load(Ordering::Relaxed)
}

pub fn set_bilingual(on: bool) {
    BILINGUAL.store(on, Ordering::Relaxed);
}

pub fn is_en_stop(word: &str) -> bool {
    static SET: LazyLock<FxHashSet<&'static str>> =
        LazyLock::new(|| EN_STOP.split_whitespace().collect());
    SET.contains(word)
}

pub fn is_negation(word: &str) -> bool {
    EN_NEGATIONS.split_whitespace().any(|n| n == word)
}

/// English concept for a stemmed word, or a stemmed two-word phrase "a b".
pub fn en_concept(stemmed: &str) -> Option<&'static str> {
    EN_CONCEPTS.get(stemmed).copied()
}

static EN_CONCEPTS: LazyLock<FxHashMap<String, &'static str>> = LazyLock::new(|| {
    let mut map = FxHashMap::default();
    for (words, concept) in CONCEPTS {
        for w in words.split(' ').filter(|w| w.is_ascii()) {
            let parts: Vec<String> = w.split('-').map(stem_owned).collect();
            if parts.len() > 1 {
                // Two-word phrases: matched as adjacent words and joined.
                map.insert(parts.join(" "), *concept);
            }
            map.insert(stem_owned(&w.replace('-', "")), *concept);
        }
    }
    map
});

/// What a Chinese dictionary hit is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ZhKind {
    Stop,
    Concept(&'static str),
}

pub struct ZhEntry {
    pub chars: Vec<char>,
    pub kind: ZhKind,
}

/// Chinese stop words and concept words, keyed by first character, longest
/// first, so a run is scanned with one map probe per character.
pub static ZH_INDEX: LazyLock<FxHashMap<char, Vec<ZhEntry>>> = LazyLock::new(|| {
    let mut map: FxHashMap<char, Vec<ZhEntry>> = FxHashMap::default();
    let mut add = |w: &str, kind: ZhKind| {
        let chars: Vec<char> = w.chars().collect();
        if let Some(&first) = chars.first() {
            map.entry(first).or_default().push(ZhEntry { chars, kind });
        }
    };
    for w in ZH_STOP.split_whitespace() {
        add(w, ZhKind::Stop);
    }
    for (words, concept) in CONCEPTS {
        for w in words.split(' ').filter(|w| !w.is_ascii()) {
            add(w, ZhKind::Concept(concept));
        }
    }
    for entries in map.values_mut() {
        entries.sort_by_key(|e| std::cmp::Reverse(e.chars.len()));
    }
    map
});

/// At `run[i]`: the length of the longest stop word starting there (0 if
/// none) and the longest concept word starting there, in one map probe.
pub fn zh_lookup(run: &[char], i: usize) -> (usize, Option<(usize, &'static str)>) {
    let Some(entries) = ZH_INDEX.get(&run[i]) else {
        return (0, None);
    };
    let mut stop = 0;
    let mut concept = None;
    // Entries are longest first, so the first hit of each family is the longest.
    for e in entries.iter().filter(|e| run[i..].starts_with(&e.chars)) {
        match e.kind {
            ZhKind::Stop if stop == 0 => stop = e.chars.len(),
            ZhKind::Concept(c) if concept.is_none() => concept = Some((e.chars.len(), c)),
            _ => {}
        }
    }
    (stop, concept)
}

fn stem_owned(w: &str) -> String {
    let mut out = String::new();
    stem_into(w, &mut out);
    out
}

/// Very light English stemming into `out`: plurals, -ing, -ed, a final -e,
/// so "chase", "chasing", "chased", "chases" all become "chas". Non-ASCII
/// words are copied unchanged.
pub fn stem_into(word: &str, out: &mut String) {
    out.clear();
    out.push_str(word);
    if !word.is_ascii() || word.len() < 4 {
        return;
    }
    let ends = |s: &String, suf: &str| s.ends_with(suf);
    if ends(out, "ies") || ends(out, "ied") {
        out.truncate(out.len() - 3);
        out.push('y');
        return;
    }
    if ends(out, "sses") {
        out.truncate(out.len() - 2);
    } else if ends(out, "s") && !ends(out, "ss") && !ends(out, "us") && !ends(out, "is") {
        out.truncate(out.len() - 1);
    }
    let before = out.len();
    if ends(out, "ing") && out.len() >= 6 {
        out.truncate(out.len() - 3);
    } else if ends(out, "ed") && !ends(out, "eed") && out.len() >= 5 {
        out.truncate(out.len() - 2);
    }
    if out.len() < before {
        // "stopped" -> "stop", but "called" stays "call" and "passed" "pass".
        let b = out.as_bytes();
        let n = b.len();
        if n >= 2 && b[n - 1] == b[n - 2] && !matches!(b[n - 1], b'l' | b's' | b'z' | b'e') {
            out.truncate(n - 1);
        }
    }
    if ends(out, "e") && out.len() >= 4 {
        out.truncate(out.len() - 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_agree_across_forms() {
        for group in [
            ["chase", "chasing", "chased", "chases"],
            ["approve", "approved", "approves", "approving"],
            ["log", "logging", "logged", "logs"],
            ["order", "orders", "ordered", "ordering"],
        ] {
            let stems: Vec<String> = group.iter().map(|w| stem_owned(w)).collect();
            assert!(
                stems.iter().all(|s| s == &stems[0]),
                "{group:?} -> {stems:?}"
            );
        }
        assert_eq!(stem_owned("status"), "status");
        assert_eq!(stem_owned("queries"), "query");
        assert_eq!(stem_owned("passed"), "pass");
    }

    #[test]
    fn concepts_cover_both_languages() {
        assert_eq!(en_concept(&stem_owned("approved")), Some("approval"));
        assert_eq!(en_concept("log in"), Some("login"));
        assert_eq!(en_concept("followup"), Some("chase"));
        assert_eq!(en_concept("login"), Some("login"));
        assert_eq!(en_concept("sign in"), Some("login"));
        assert_eq!(en_concept("follow up"), Some("chase"));
        let run: Vec<char> = "催审批".chars().collect();
        assert_eq!(zh_lookup(&run, 0), (0, Some((1, "chase"))));
        assert_eq!(zh_lookup(&run, 1), (0, Some((2, "approval"))));
        let run: Vec<char> = "怎么还没".chars().collect();
        assert_eq!(zh_lookup(&run, 0), (2, None));
        let run: Vec<char> = "请假".chars().collect();
        assert_eq!(zh_lookup(&run, 0), (1, Some((2, "leave"))));
    }
}
