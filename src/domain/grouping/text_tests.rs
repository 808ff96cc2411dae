use super::*;

/// The word-level terms (character trigrams left out).
fn names(title: &str, body: &str) -> Vec<String> {
    terms(title, body)
        .into_iter()
        .map(|(t, _)| t)
        .filter(|t| !t.starts_with(lexicon::GRAM_MARK))
        .collect()
}

fn cosine(a: &[(String, f32)], b: &[(String, f32)]) -> f32 {
    let norm = |v: &[(String, f32)]| v.iter().map(|e| e.1 * e.1).sum::<f32>().sqrt();
    let dot: f32 = a
        .iter()
        .filter_map(|(t, w)| b.iter().find(|e| &e.0 == t).map(|e| w * e.1))
        .sum();
    dot / (norm(a) * norm(b))
}

#[test]
fn truncated_and_misspelt_words_share_trigrams_with_the_full_form() {
    let t = terms("purchase requisiti", "");
    let full = terms("purchase requisition", "");
    let other = terms("purchase order", "");
    assert!(cosine(&t, &full) > cosine(&t, &other) + 0.05);
    let grams: Vec<String> = terms("approvl", "").into_iter().map(|(t, _)| t).collect();
    // "^ap" "app" "ppr" "pro" "rov" "ovl" "vl$": five shared with "approval".
    assert_eq!(grams.len(), 8, "{grams:?}");
    assert!(grams.contains(&"~ppr".to_string()));
}

#[test]
fn greetings_mentions_signoffs_and_held_letters_say_nothing() {
    assert_eq!(
        names("hi team, FYI printer jam", ""),
        names("printer jam", "")
    );
    assert_eq!(names("@wang.lei printer jam", ""), names("printer jam", ""));
    assert_eq!(
        names("您好，麻烦看下打印机卡纸", ""),
        names("打印机卡纸", "")
    );
    assert_eq!(
        names("printer jam", "thanks, Maria"),
        names("printer jam", "")
    );
    assert_eq!(names("sooo slow", ""), names("so slow", ""));
}

#[test]
fn a_long_body_adds_to_the_title_without_drowning_it() {
    let title = "purchase requisition approval";
    let bare = terms(title, "");
    let long = "the supplier quote expires friday and our monitors for the new hires \
                were ordered from the usual vendor in shenzhen last quarter";
    let described = terms(title, long);
    assert!(
        cosine(&bare, &described) > 0.7,
        "{}",
        cosine(&bare, &described)
    );
}

#[test]
fn chinese_runs_become_unigrams_and_bigrams_without_stop_words() {
    let t = names("客户订单审批进度怎么还没出来", "");
    for want in [
        "@customer",
        "@order",
        "@approval",
        "@status",
        "没出",
        "出来",
        "没",
        "户订",
    ] {
        assert!(t.contains(&want.to_string()), "{want} missing from {t:?}");
    }
    // No n-gram spans the stop words 怎么 / 还.
    assert!(
        !t.iter().any(|x| x.contains('怎') || x.contains('还')),
        "{t:?}"
    );
    // A dictionary word counts once, as its concept.
    assert!(
        !t.contains(&"审批".to_string()) && !t.contains(&"审".to_string()),
        "{t:?}"
    );
    let w: FxHashMap<String, f32> = terms("机房空调", "").into_iter().collect();
    assert!(w["机"] < w["机房"], "unigrams weigh less than bigrams");
    assert!(
        w.contains_key("房空"),
        "bigrams cross unknown word boundaries"
    );
}

#[test]
fn english_words_are_stemmed_and_stop_words_dropped() {
    let t = names("Chasing approval for order 1182 again", "");
    assert_eq!(t, ["@approval", "@chase", "@order"]);
    assert_eq!(names("", "can't log in"), ["@login", "log"]);
    assert_eq!(names("", "the printers were jammed"), ["@jam", "@printer"]);
    assert_eq!(names("", "nobody picked it"), ["nobody", "pick"]);
}

#[test]
fn ids_and_numbers_are_removed() {
    for text in [
        "SO-2026-0042",
        "订单号 88231",
        "PO12345 #1182 2026-03-21 12:30",
        "v2",
    ] {
        let t = names(text, "");
        assert!(
            t.iter().all(|x| !x.chars().any(|c| c.is_numeric())),
            "{text}: {t:?}"
        );
        assert!(!t.contains(&"so".to_string()) && !t.contains(&"po".to_string()));
    }
    assert_eq!(names("order#1182", ""), ["@order"]);
    assert_eq!(names("order1182", ""), ["@order"]);
}

#[test]
fn full_width_forms_fold_to_ascii() {
    assert_eq!(fold_fullwidth('Ａ'), 'A');
    assert_eq!(fold_fullwidth('！'), '!');
    assert_eq!(fold_fullwidth('～'), '~');
    assert_eq!(names("ＯＡ系统　ＬＯＧＩＮ", ""), names("OA系统 login", ""));
    assert!(names("ＯＡ审批", "").contains(&"oa".to_string()));
}

#[test]
fn mixed_language_text_yields_both_kinds() {
    let t = names("OA审批卡住了 approval stuck", "");
    assert_eq!(t, ["@approval", "@pending", "oa", "批卡"]);
    // Chinese and English about the same thing share their concepts.
    let zh = names("审批被驳回了", "");
    let en = names("approval rejected", "");
    assert!(en.iter().all(|t| zh.contains(t)), "{zh:?} {en:?}");
}

#[test]
fn title_weighs_more_than_body() {
    let a: FxHashMap<String, f32> = terms("机房", "").into_iter().collect();
    let b: FxHashMap<String, f32> = terms("", "机房").into_iter().collect();
    assert!(a["机房"] > b["机房"]);
    // Repeats add sub-linearly.
    let c: FxHashMap<String, f32> = terms("", "机房 机房 机房").into_iter().collect();
    assert!(c["机房"] > b["机房"] && c["机房"] < 3.0 * b["机房"]);
}

#[test]
fn never_panics_on_odd_input() {
    let nasty = [
        "\0\0\0",
        "e\u{301}\u{301}\u{301}",
        "👍🏽🔥审批🔥",
        "\u{200d}\u{fe0f}",
        "'",
        "n't",
        "-",
        "a-",
        "İSTANBUL ǅ ß ﬃ",
        "\u{10FFFF}\u{E000}",
        "🇨🇳🇺🇸",
        "x'",
        "'t",
        "a''b",
        "ـــ",
        "٣٤٥ order",
    ];
    for s in nasty {
        let _ = terms(s, s);
    }
    let huge = "审批进度 approval ".repeat(100_000) + "\0é";
    let t = terms(&huge, &huge);
    assert!(!t.is_empty());
    // Cutting in the middle of a multi-byte character is safe.
    for cut in 0..8 {
        let s = "审批é".repeat(3);
        let _ = truncate_utf8(&s, cut);
    }
    assert_eq!(normalize("Ab\0C", 100), "ab c");
}

#[test]
fn surfaces_are_the_words_as_written() {
    let mut seen = Vec::new();
    for_each_term("审批被驳回", "Approved? log in", |t, _, s| {
        seen.push((t.to_string(), s.to_string()))
    });
    for (t, s) in [
        ("@approval", "审批"),
        ("@reject", "驳回"),
        ("@approval", "approved"),
        ("@login", "log in"),
    ] {
        assert!(
            seen.contains(&(t.to_string(), s.to_string())),
            "{t} {s} not in {seen:?}"
        );
    }
}

#[test]
fn display_strips_marks() {
    assert_eq!(display_term("@approval"), "approval");
    assert_eq!(display_term("审批"), "审批");
    assert!(is_explanatory("审批") && !is_explanatory("审"));
}

#[test]
fn random_text_never_panics() {
    let mut rng = crate::domain::grouping::eval::XorShift::new(11);
    let pools: [&[u32]; 6] = [
        &[0, 0x1F, 0x27, 0x2D, 0x41, 0x61, 0x7F],
        &[0x300, 0x301, 0x36F, 0x200D, 0xFE0F, 0xFEFF, 0x2019],
        &[0x4E00, 0x5BA1, 0x6279, 0x9FFF, 0x3400, 0x20000, 0x3041],
        &[0xFF01, 0xFF10, 0xFF21, 0xFF5E, 0x3000, 0x3002],
        &[0x1F600, 0x1F1E8, 0x10FFFF, 0xE000, 0x130, 0x1C5],
        &[0x30, 0x39, 0x660, 0x2D, 0x23, 0x2F, 0x20],
    ];
    let mut ix = crate::domain::grouping::ClusterIndex::new();
    for round in 0..500 {
        let len = rng.below(200);
        let s: String = (0..len)
            .filter_map(|_| {
                let pool = pools[rng.below(pools.len())];
                char::from_u32(pool[rng.below(pool.len())] + rng.below(3) as u32)
            })
            .collect();
        let _ = terms(&s, &s);
        ix.add_incident(round % 7, round % 2, &s, "");
        let _ = ix.best_matches(round % 2, &s, &s, 3, &[]);
    }
}

/// The terms two texts share, trigrams left out.
fn shared(a: &str, b: &str) -> Vec<String> {
    let b = names(b, "");
    names(a, "").into_iter().filter(|t| b.contains(t)).collect()
}

#[test]
fn the_dictionary_bridges_chinese_and_english_words() {
    let zh = names("空调坏了", "");
    let en = names("the air conditioner is broken", "");
    assert!(
        shared("空调坏了", "the air conditioner is broken").contains(&"conditioner".to_string()),
        "{zh:?} {en:?}"
    );
    assert!(shared("条码扫不出来", "barcode unreadable").contains(&"barcod".to_string()));
    // The hand-written word list speaks first: its concept, not the bridge's words.
    assert_eq!(names("打印机", ""), ["@printer"]);
    // A bridge word keeps its n-grams: the bridge adds evidence, it does not replace it.
    assert!(zh.contains(&"空调".to_string()));
}

#[test]
fn a_generic_word_does_not_bridge_unrelated_problems() {
    // 时间 is "time": a stop word, and a gloss of hundreds of Chinese words.
    assert_eq!(
        shared("会议时间又改了", "the page takes a long time to load"),
        Vec::<String>::new()
    );
    assert_eq!(
        shared("停车位不够", "the air conditioning is broken"),
        Vec::<String>::new()
    );
}
