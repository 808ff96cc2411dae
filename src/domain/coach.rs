//! The coach: from a cluster's evidence, the rung to consider next and the question
//! the approval story asks there. The rules live here, in one table, each with a test.
//!
//! | situation (first that holds)                         | recommendation                 | reason       |
//! |------------------------------------------------------|--------------------------------|--------------|
//! | latest launched action verdict `worse`               | revert it, same rung           | `worse`      |
//! | state `regressed`                                    | one rung above the current     | `regressed`  |
//! | latest launched action still `pending`               | nothing yet, wait for review   | `pending`    |
//! | latest launched action `eliminated`                  | nothing; resolved and watched  | `eliminated` |
//! | latest launched action `reduced` or `no_effect`      | one rung above that action     | the verdict  |
//! | an action is on its way (not launched yet)           | nothing; follow it             | `in_progress`|
//! | recurring (≥3 in 2 of the last 4 weeks) or a spike,  | rung 1, with the drivers       | `recurring`  |
//! |   with only one-off fixes                            |                                |              |
//! | otherwise                                            | nothing                        | `quiet`      |
//!
//! A recommendation the lead dismissed (for that rung) is not made again; the dismissal
//! is reported instead (reason `dismissed`).

use super::effect::Verdict;
use super::ladder::Rung;
use super::states::ClusterState;

/// What the coach looks at.
#[derive(Debug, Clone, Default)]
pub struct Situation {
    pub state: ClusterState,
    /// The highest rung with a launched action (0: only one-off fixes).
    pub current_rung: u8,
    /// Incidents in each of the last four complete weeks, oldest first.
    pub last_four_weeks: [u32; 4],
    pub spike: bool,
    /// The most recently launched action: its rung and verdict.
    pub latest_launched: Option<(u8, Verdict)>,
    /// An action created but not launched yet.
    pub action_in_progress: bool,
    /// Rungs whose recommendation a lead dismissed.
    pub dismissed_rungs: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advice {
    pub current_rung: u8,
    pub recommended_rung: Option<u8>,
    /// Catalogue keys: `coach.question.<n>` and `coach.reason.<reason>`.
    pub question: Option<&'static str>,
    pub reason: &'static str,
}

/// The question the story asks before climbing to `rung`.
pub fn question_for(rung: u8) -> &'static str {
    match rung {
        1 => "coach.question.1",
        2 => "coach.question.2",
        3 => "coach.question.3",
        4 => "coach.question.4",
        5 => "coach.question.5",
        _ => "coach.question.6",
    }
}

/// At least 3 incidents in each of at least 2 of the last 4 weeks.
pub fn recurring(weeks: &[u32; 4]) -> bool {
    weeks.iter().filter(|n| **n >= 3).count() >= 2
}

/// The rung above `from`; none from the top, which is never suggested again.
fn climb(from: u8) -> Option<u8> {
    Rung::new(i64::from(from))
        .and_then(Rung::next)
        .map(Rung::number)
}

pub fn advise(s: &Situation) -> Advice {
    let advice = |recommended: Option<u8>, reason: &'static str| Advice {
        current_rung: s.current_rung,
        recommended_rung: recommended,
        question: recommended.map(question_for),
        reason,
    };
    // A step up, or at the top of the ladder what to do there instead.
    let up = |from: u8, reason: &'static str| match climb(from) {
        Some(next) => advice(Some(next), reason),
        None => advice(None, "top"),
    };
    let raw = match s.latest_launched {
        Some((rung, Verdict::Worse)) => Advice {
            question: Some("coach.question.revert"),
            ..advice(Some(rung), "worse")
        },
        _ if s.state == ClusterState::Regressed => up(s.current_rung, "regressed"),
        Some((_, Verdict::Pending)) => advice(None, "pending"),
        Some((_, Verdict::Eliminated)) => advice(None, "eliminated"),
        Some((rung, Verdict::Reduced)) => up(rung.max(s.current_rung), "reduced"),
        Some((rung, Verdict::NoEffect)) => up(rung.max(s.current_rung), "no_effect"),
        None if s.action_in_progress => advice(None, "in_progress"),
        None if s.current_rung == 0 && (recurring(&s.last_four_weeks) || s.spike) => {
            advice(Some(1), "recurring")
        }
        None => advice(None, "quiet"),
    };
    match raw.recommended_rung {
        Some(r) if s.dismissed_rungs.contains(&r) && raw.reason != "worse" => Advice {
            recommended_rung: None,
            question: None,
            reason: "dismissed",
            ..raw
        },
        _ => raw,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn situation() -> Situation {
        Situation {
            state: ClusterState::Open,
            ..Default::default()
        }
    }

    #[test]
    fn recurring_with_only_one_off_fixes_points_to_a_process_change() {
        let s = Situation {
            last_four_weeks: [0, 3, 1, 4],
            ..situation()
        };
        let a = advise(&s);
        assert_eq!(
            (a.recommended_rung, a.reason, a.question),
            (Some(1), "recurring", Some("coach.question.1"))
        );
    }

    #[test]
    fn one_busy_week_is_not_recurring_but_a_spike_is_enough() {
        assert_eq!(
            advise(&Situation {
                last_four_weeks: [0, 0, 2, 9],
                ..situation()
            })
            .reason,
            "quiet"
        );
        assert!(!recurring(&[2, 2, 2, 2]), "three are needed in a week");
        let a = advise(&Situation {
            last_four_weeks: [0, 0, 2, 9],
            spike: true,
            ..situation()
        });
        assert_eq!(a.recommended_rung, Some(1));
    }

    #[test]
    fn reduced_or_no_effect_climbs_one_rung_with_the_story_question() {
        for (rung, question) in [
            (1, "coach.question.2"),
            (2, "coach.question.3"),
            (3, "coach.question.4"),
            (4, "coach.question.5"),
            (5, "coach.question.6"),
        ] {
            for verdict in [Verdict::Reduced, Verdict::NoEffect] {
                let s = Situation {
                    current_rung: rung,
                    latest_launched: Some((rung, verdict)),
                    ..situation()
                };
                let a = advise(&s);
                assert_eq!(a.recommended_rung, Some(rung + 1));
                assert_eq!(a.question, Some(question));
                assert_eq!(a.reason, verdict.as_str());
            }
        }
        // At the top nothing higher is suggested, nor the rung it stands on: the
        // retrospective reviews the mechanism and the weights together.
        let s = Situation {
            current_rung: 6,
            latest_launched: Some((6, Verdict::Reduced)),
            ..situation()
        };
        assert_eq!(
            (advise(&s).recommended_rung, advise(&s).reason),
            (None, "top")
        );
    }

    #[test]
    fn eliminated_and_pending_recommend_nothing() {
        let s = Situation {
            current_rung: 3,
            latest_launched: Some((3, Verdict::Eliminated)),
            ..situation()
        };
        assert_eq!(
            (advise(&s).recommended_rung, advise(&s).reason),
            (None, "eliminated")
        );
        let s = Situation {
            current_rung: 1,
            latest_launched: Some((1, Verdict::Pending)),
            last_four_weeks: [5, 5, 5, 5],
            ..situation()
        };
        assert_eq!(
            (advise(&s).recommended_rung, advise(&s).reason),
            (None, "pending")
        );
    }

    #[test]
    fn worse_says_revert_plainly() {
        let s = Situation {
            current_rung: 2,
            latest_launched: Some((2, Verdict::Worse)),
            dismissed_rungs: vec![2],
            ..situation()
        };
        let a = advise(&s);
        assert_eq!(
            (a.recommended_rung, a.reason, a.question),
            (Some(2), "worse", Some("coach.question.revert"))
        );
    }

    #[test]
    fn a_regressed_cluster_climbs_again() {
        let s = Situation {
            state: ClusterState::Regressed,
            current_rung: 3,
            latest_launched: Some((3, Verdict::Eliminated)),
            ..situation()
        };
        let a = advise(&s);
        assert_eq!((a.recommended_rung, a.reason), (Some(4), "regressed"));
    }

    #[test]
    fn the_top_rung_and_the_rung_a_cluster_stands_on_are_never_suggested() {
        let s = Situation {
            state: ClusterState::Regressed,
            current_rung: 6,
            latest_launched: Some((6, Verdict::Eliminated)),
            ..situation()
        };
        assert_eq!(advise(&s).recommended_rung, None);
        assert_eq!(advise(&s).reason, "top");
        // An older, lower step reduced it, but the cluster already stands higher.
        let s = Situation {
            current_rung: 4,
            latest_launched: Some((2, Verdict::Reduced)),
            ..situation()
        };
        assert_eq!(advise(&s).recommended_rung, Some(5));
    }

    #[test]
    fn an_action_under_way_is_followed_not_doubled() {
        let s = Situation {
            action_in_progress: true,
            last_four_weeks: [5, 5, 5, 5],
            ..situation()
        };
        assert_eq!(advise(&s).reason, "in_progress");
    }

    #[test]
    fn a_dismissed_recommendation_is_not_repeated() {
        let s = Situation {
            last_four_weeks: [4, 4, 4, 4],
            dismissed_rungs: vec![1],
            ..situation()
        };
        let a = advise(&s);
        assert_eq!((a.recommended_rung, a.reason), (None, "dismissed"));
    }
}
