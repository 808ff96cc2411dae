use super::*;

const CHASE: i64 = 1;
const BUG: i64 = 2;

fn index() -> ClusterIndex {
    let mut ix = ClusterIndex::new();
    ix.add_incident(10, CHASE, "催审批", "客户订单审批进度怎么还没出来");
    ix.add_incident(10, CHASE, "chasing approval for order 1182 again", "");
    ix.add_incident(11, CHASE, "审批被驳回了", "驳回原因没写，不知道怎么改");
    ix.add_incident(12, CHASE, "合同法务审核太慢", "合同给法务三天了");
    ix.add_incident(20, BUG, "OA系统打不开", "审批页面一直报错 500");
    ix
}

fn ids(m: &[Match]) -> Vec<i64> {
    m.iter().map(|m| m.cluster_id).collect()
}

#[test]
fn best_match_is_the_similar_cluster_with_explanation() {
    let ix = index();
    let m = ix.best_matches(CHASE, "订单审批进度查不到", "还在等审批", 3, &[]);
    assert_eq!(m[0].cluster_id, 10, "{m:?}");
    assert!(m[0].score > 0.0 && m[0].score <= 1.0);
    assert!(m.windows(2).all(|w| w[0].score >= w[1].score));
    assert!(
        m[0].matched_terms
            .iter()
            .any(|t| t == "审批" || t == "进度"),
        "{m:?}"
    );
    // Explanations use the query's own words.
    let m = ix.best_matches(CHASE, "approval progress?", "", 1, &[]);
    assert!(m[0].matched_terms.iter().any(|t| t == "approval"), "{m:?}");
    // English text finds the cluster through shared words and concepts.
    let m = ix.best_matches(CHASE, "any update on approval status?", "", 3, &[]);
    assert_eq!(m[0].cluster_id, 10, "{m:?}");
}

#[test]
fn categories_are_separate() {
    let ix = index();
    let m = ix.best_matches(BUG, "订单审批进度", "", 5, &[]);
    assert_eq!(ids(&m), [20]);
    assert!(ix.best_matches(99, "订单审批进度", "", 5, &[]).is_empty());
    assert!(
        ix.best_matches(CHASE, "订单审批进度", "", 0, &[])
            .is_empty()
    );
}

#[test]
fn identical_text_scores_one_discounted_by_cluster_size() {
    let mut ix = ClusterIndex::new();
    ix.add_incident(1, CHASE, "审批进度 approval status", "");
    ix.add_incident(2, CHASE, "登录失败", "");
    let m = ix.best_matches(CHASE, "审批进度 approval status", "", 1, &[]);
    // Cosine 1 against a one-incident cluster: 1 / (1 + 0.5).
    assert!((m[0].score - 1.0 / 1.5).abs() < 1e-4, "{m:?}");
    for _ in 0..9 {
        ix.add_incident(1, CHASE, "审批进度 approval status", "");
    }
    let m = ix.best_matches(CHASE, "审批进度 approval status", "", 1, &[]);
    assert!((m[0].score - 10.0 / 10.5).abs() < 1e-4, "{m:?}");
}

#[test]
fn exclude_skips_clusters() {
    let ix = index();
    let m = ix.best_matches(CHASE, "催审批 进度", "", 3, &[10]);
    assert!(!ids(&m).contains(&10), "{m:?}");
}

#[test]
fn merge_moves_profile_and_removes_source() {
    let mut ix = index();
    let before = ix.cluster_count();
    ix.merge(11, 10);
    assert_eq!(ix.cluster_count(), before - 1);
    assert!(!ix.contains(11));
    assert_eq!(ix.incident_count(10), 3);
    let m = ix.best_matches(CHASE, "审批被驳回了", "驳回原因", 3, &[]);
    assert_eq!(m[0].cluster_id, 10, "{m:?}");
    assert!(!ids(&m).contains(&11));
    // Merging into an id the index has not seen renames the profile.
    ix.merge(12, 77);
    assert!(ix.contains(77) && !ix.contains(12));
    ix.merge(77, 77);
    assert!(ix.contains(77));
}

#[test]
fn remove_incident_and_cluster() {
    let mut ix = index();
    ix.remove_incident(11, "审批被驳回了", "驳回原因没写，不知道怎么改");
    assert!(ix.contains(11));
    assert_eq!(ix.incident_count(11), 0);
    let m = ix.best_matches(CHASE, "审批被驳回了", "驳回原因没写，不知道怎么改", 3, &[]);
    assert!(
        !ids(&m).contains(&11),
        "an emptied profile matches nothing: {m:?}"
    );
    ix.remove_cluster(10);
    assert!(!ix.contains(10));
    let m = ix.best_matches(CHASE, "催审批", "", 3, &[]);
    assert!(!ids(&m).contains(&10));
    // Slots are reused and postings stay consistent.
    ix.add_incident(30, CHASE, "催审批", "审批进度");
    assert_eq!(
        ix.best_matches(CHASE, "催审批", "", 1, &[])[0].cluster_id,
        30
    );
    ix.remove_cluster(12345); // unknown ids are ignored
    ix.remove_incident(12345, "x", "y");
}

#[test]
fn removing_from_one_of_two_clusters_keeps_the_other_posting() {
    let mut ix = ClusterIndex::new();
    for id in 1..=5 {
        ix.add_incident(id, CHASE, "审批进度", &format!("第{id}次"));
    }
    ix.remove_cluster(1);
    ix.remove_cluster(3);
    let m = ix.best_matches(CHASE, "审批进度", "", 10, &[]);
    let mut got = ids(&m);
    got.sort();
    assert_eq!(got, [2, 4, 5]);
}

#[test]
fn idf_favours_rare_shared_terms() {
    assert!(idf(100, 1) > idf(100, 50));
    assert!(idf(100, 100) > 0.0);
    assert!(idf(100, 0) > idf(100, 1), "unseen terms are the rarest");
    let mut ix = ClusterIndex::new();
    // 订单 is in every cluster, 密码 in one: sharing 密码 must count for more.
    for id in 0..8 {
        ix.add_incident(
            id,
            CHASE,
            "订单",
            ["发票", "地址", "价格", "合同", "物流", "退款", "库存"][id as usize % 7],
        );
    }
    ix.add_incident(100, CHASE, "订单 密码", "");
    ix.add_incident(101, CHASE, "订单 订单", "");
    let m = ix.best_matches(CHASE, "订单 密码", "", 2, &[]);
    assert_eq!(m[0].cluster_id, 100, "{m:?}");
    assert_eq!(
        m[0].matched_terms.first().map(String::as_str),
        Some("密码"),
        "{m:?}"
    );
    assert!(ix.idf_of_text("@order") < ix.idf_of_text("@password"));
}

#[test]
fn category_change_moves_the_cluster() {
    let mut ix = ClusterIndex::new();
    ix.add_incident(1, CHASE, "审批进度", "");
    ix.add_incident(1, BUG, "审批进度", "");
    assert!(ix.best_matches(CHASE, "审批进度", "", 1, &[]).is_empty());
    assert_eq!(
        ix.best_matches(BUG, "审批进度", "", 1, &[])[0].cluster_id,
        1
    );
    assert_eq!(ix.incident_count(1), 2);
}

#[test]
fn profiles_stay_bounded() {
    let mut ix = ClusterIndex::new();
    for i in 0..400u32 {
        let word: String = (0..6)
            .map(|k| char::from_u32(0x4E00 + (i * 7 + k * 131) % 20000).unwrap())
            .collect();
        ix.add_incident(1, CHASE, "审批", &word);
    }
    assert!(ix.clusters[0].terms.len() <= MAX_TERMS);
    // The recurring term survives pruning.
    assert_eq!(ix.best_matches(CHASE, "审批", "", 1, &[])[0].cluster_id, 1);
    assert!(ix.approx_memory_bytes() > 0);
}

/// Every posting points at a profile entry that points back at it, and the
/// category counts match.
fn check_invariants(ix: &ClusterIndex) {
    for (cat_id, cat) in &ix.categories {
        let mut live = 0;
        for c in &ix.clusters {
            if c.live && c.category == *cat_id {
                live += 1;
                for (t, e) in &c.terms {
                    let p = cat.postings[t][e.pos as usize];
                    assert_eq!(ix.clusters[p.slot as usize].id, c.id);
                    assert!((p.weight - e.weight).abs() < 1e-6);
                }
            }
        }
        assert_eq!(live, cat.clusters, "category {cat_id}");
        for (t, list) in &cat.postings {
            assert!(!list.is_empty());
            for (pos, p) in list.iter().enumerate() {
                let c = &ix.clusters[p.slot as usize];
                assert!(c.live && c.category == *cat_id);
                assert_eq!(c.terms[t].pos as usize, pos);
            }
        }
    }
    assert_eq!(
        ix.by_id.len(),
        ix.clusters.iter().filter(|c| c.live).count()
    );
}

#[test]
fn random_operations_keep_the_index_consistent() {
    let words = [
        "审批", "进度", "驳回", "登录", "密码", "approval", "status", "login", "invoice", "发票",
        "地址", "订单",
    ];
    let mut rng = crate::domain::grouping::eval::XorShift::new(7);
    let mut ix = ClusterIndex::new();
    let mut filed: Vec<(i64, String)> = Vec::new();
    for step in 0..3000 {
        let text: String = (0..1 + rng.below(6))
            .map(|_| words[rng.below(words.len())])
            .collect::<Vec<_>>()
            .join(" ");
        let cluster = rng.below(40) as i64;
        match rng.below(10) {
            0..=5 => {
                ix.add_incident(
                    cluster,
                    (cluster % 3) + rng.below(2) as i64 * (step % 97 / 96),
                    &text,
                    "",
                );
                filed.push((cluster, text));
            }
            6 if !filed.is_empty() => {
                let (c, t) = filed.swap_remove(rng.below(filed.len()));
                ix.remove_incident(c, &t, "");
            }
            7 => ix.merge(cluster, rng.below(40) as i64),
            8 => ix.remove_cluster(cluster),
            _ => {
                let m = ix.best_matches(cluster % 3, &text, "", 3, &[cluster]);
                assert!(m.windows(2).all(|w| w[0].score >= w[1].score));
                assert!(
                    m.iter()
                        .all(|m| m.cluster_id != cluster && (0.0..=1.0).contains(&m.score))
                );
            }
        }
        if step % 100 == 0 {
            check_invariants(&ix);
        }
    }
    check_invariants(&ix);
}

#[test]
fn index_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<ClusterIndex>();
}
