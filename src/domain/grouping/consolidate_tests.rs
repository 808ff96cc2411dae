//! Known answers for consolidation.

use super::*;

fn scope(movable: &[i64]) -> Scope {
    Scope {
        movable: movable.iter().copied().collect(),
        kept_apart: FxHashSet::default(),
    }
}

fn index() -> ClusterIndex {
    let mut ix = ClusterIndex::new();
    for (c, t) in [
        (1, "approval pending for days"),
        (1, "still waiting on approval"),
        (2, "审批一直在等待"),
        (2, "approval stuck, waiting"),
        (3, "printer jammed again"),
        (3, "printer paper jam"),
        (4, "the printer jams on every page"),
    ] {
        ix.add_incident(c, 1, t, "");
    }
    ix
}

#[test]
fn alike_clusters_merge_and_others_stay() {
    let mut ix = index();
    let mut s = scope(&[1, 2, 3, 4]);
    let merges = consolidate(&mut ix, &mut s, 0.3);
    let to = survivors(&merges);
    let end = |id: i64| to.get(&id).copied().unwrap_or(id);
    assert_eq!(end(1), end(2), "{merges:?}");
    assert_eq!(end(3), end(4), "{merges:?}");
    assert_ne!(end(1), end(3), "{merges:?}");
    assert_eq!(ix.cluster_count(), 2, "{merges:?}");
}

#[test]
fn a_confirmed_cluster_absorbs_and_never_moves() {
    let mut ix = index();
    // 3 is confirmed (not movable), though 4 is as large.
    let mut s = scope(&[4]);
    let merges = consolidate(&mut ix, &mut s, 0.3);
    assert_eq!(
        merges.iter().map(|m| (m.from, m.into)).collect::<Vec<_>>(),
        [(4, 3)]
    );
}

#[test]
fn kept_apart_pairs_do_not_merge() {
    let mut ix = index();
    let mut s = scope(&[1, 2, 3, 4]);
    s.kept_apart.insert((3, 4));
    let merges = consolidate(&mut ix, &mut s, 0.3);
    assert!(
        !merges
            .iter()
            .any(|m| m.from.min(m.into) == 3 && m.from.max(m.into) == 4),
        "{merges:?}"
    );
}

#[test]
fn a_small_cluster_with_a_clear_best_partner_needs_less() {
    let t = 0.3;
    assert_eq!(partner_threshold(1, t, 0.2, 0.05), t * CLEAR_FACTOR);
    assert_eq!(partner_threshold(2, t, 0.2, 0.0), t * CLEAR_FACTOR);
    // The runner-up is close: the full threshold.
    assert_eq!(partner_threshold(1, t, 0.2, 0.1), t);
    // Three incidents are a profile: the full threshold.
    assert_eq!(partner_threshold(3, t, 0.2, 0.0), t);
}

#[test]
fn a_lone_incident_joins_the_one_cluster_it_resembles() {
    let mut ix = ClusterIndex::new();
    for (c, t) in [
        (1, "approval pending for days"),
        (1, "still waiting on approval"),
        (3, "printer jammed again"),
        (3, "printer paper jam"),
        (9, "approval form lost"),
    ] {
        ix.add_incident(c, 1, t, "");
    }
    let s = scope(&[9]);
    let score = ix.similar_clusters(9, 1, &[])[0].1;
    // Above the score, within reach of the lowered threshold.
    let threshold = score / (CLEAR_FACTOR + 0.2);
    assert!(best_partner(&ix, &s, 9, threshold).is_some());
    assert!(best_partner(&ix, &s, 9, score / CLEAR_FACTOR * 1.01).is_none());
    // An equally alike second cluster: no longer clear.
    ix.add_incident(8, 1, "approval pending for days", "");
    ix.add_incident(8, 1, "still waiting on approval", "");
    let s = scope(&[9]);
    assert!(best_partner(&ix, &s, 9, threshold).is_none());
}

#[test]
fn survivors_follow_chains() {
    let m = |from, into| PlannedMerge {
        from,
        into,
        score: 1.0,
    };
    let to = survivors(&[m(1, 2), m(2, 3), m(5, 6)]);
    assert_eq!((to[&1], to[&2], to[&5]), (3, 3, 6));
}
