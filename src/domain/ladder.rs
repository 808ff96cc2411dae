//! The ladder of fixes, rungs 0 to 6 (levels 7 to 10 of the story are context only),
//! and each rung's workflow.

use super::states::{ActionStage, SignoffDecision};
use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Integer;

/// A rung: 0 one-off fix, 1 process change, 2 product feature, 3 policy change,
/// 4 mechanism, 5 KPI change, 6 KPI weight tuning. Stored as its number (`INTEGER`) and
/// written as its number in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, AsExpression, FromSqlRow)]
#[diesel(sql_type = Integer)]
pub struct Rung(u8);

impl std::fmt::Display for Rung {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl serde::Serialize for Rung {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(self.0)
    }
}

impl<DB: Backend> ToSql<Integer, DB> for Rung
where
    i32: ToSql<Integer, DB>,
{
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
        // A value that lives as long as any statement: SQLite binds by reference.
        static NUMBERS: [i32; 7] = [0, 1, 2, 3, 4, 5, 6];
        NUMBERS[usize::from(self.0)].to_sql(out)
    }
}

impl<DB: Backend> FromSql<Integer, DB> for Rung
where
    i32: FromSql<Integer, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        let n = i32::from_sql(bytes)?;
        Rung::new(i64::from(n)).ok_or_else(|| format!("unknown rung {n}").into())
    }
}

impl Rung {
    pub const ONE_OFF: Rung = Rung(0);
    pub const PROCESS: Rung = Rung(1);
    pub const FEATURE: Rung = Rung(2);
    pub const POLICY: Rung = Rung(3);
    pub const MECHANISM: Rung = Rung(4);
    pub const KPI: Rung = Rung(5);
    pub const WEIGHT: Rung = Rung(6);
    pub const TOP: Rung = Rung::WEIGHT;
    pub const ALL: [Rung; 7] = [
        Rung::ONE_OFF,
        Rung::PROCESS,
        Rung::FEATURE,
        Rung::POLICY,
        Rung::MECHANISM,
        Rung::KPI,
        Rung::WEIGHT,
    ];

    pub fn new(n: i64) -> Option<Rung> {
        (0..=6).contains(&n).then_some(Rung(n as u8))
    }

    /// Rungs an action can stand on (0 is an incident's handling note).
    pub fn for_action(n: i64) -> Option<Rung> {
        Rung::new(n).filter(|r| r.0 >= 1)
    }

    pub fn number(self) -> u8 {
        self.0
    }

    pub fn next(self) -> Option<Rung> {
        Rung::new(i64::from(self.0) + 1)
    }

    /// The stages of this rung's workflow, in order; the last is `launched`.
    pub fn stages(self) -> &'static [ActionStage] {
        use ActionStage::*;
        match self.0 {
            2 => &[Proposed, Scheduled, InDevelopment, Launched],
            _ => &[Planned, Launched],
        }
    }

    pub fn first_stage(self) -> ActionStage {
        self.stages()[0]
    }

    /// The stage after `stage`, if the workflow goes on.
    pub fn next_stage(self, stage: ActionStage) -> Option<ActionStage> {
        let stages = self.stages();
        stages
            .iter()
            .position(|s| *s == stage)
            .and_then(|i| stages.get(i + 1))
            .copied()
    }

    /// Whether `to` may follow `from` (a step forward, or a dated launch of history).
    pub fn may_move(self, from: ActionStage, to: ActionStage) -> bool {
        let stages = self.stages();
        match (
            stages.iter().position(|s| *s == from),
            stages.iter().position(|s| *s == to),
        ) {
            (Some(a), Some(b)) => b > a,
            _ => {
                to == ActionStage::Cancelled
                    && !matches!(from, ActionStage::Launched | ActionStage::Cancelled)
            }
        }
    }
}

/// A policy may launch only when every involved department's latest word is approval.
pub fn policy_may_launch(
    departments: &[i64],
    latest: &[(i64, SignoffDecision)],
) -> Result<(), PolicyBlock> {
    let mut missing = Vec::new();
    let mut objecting = Vec::new();
    for d in departments {
        match latest
            .iter()
            .find(|(dep, _)| dep == d)
            .map(|(_, word)| *word)
        {
            Some(SignoffDecision::Approve) => {}
            Some(_) => objecting.push(*d),
            None => missing.push(*d),
        }
    }
    if departments.is_empty() {
        return Err(PolicyBlock {
            missing,
            objecting,
            no_departments: true,
        });
    }
    if missing.is_empty() && objecting.is_empty() {
        Ok(())
    } else {
        Err(PolicyBlock {
            missing,
            objecting,
            no_departments: false,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyBlock {
    pub missing: Vec<i64>,
    pub objecting: Vec<i64>,
    pub no_departments: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rungs_are_zero_to_six_and_actions_one_to_six() {
        assert!(Rung::new(7).is_none());
        assert!(Rung::new(-1).is_none());
        assert!(Rung::for_action(0).is_none());
        assert_eq!(Rung::for_action(6), Some(Rung::WEIGHT));
        assert_eq!(Rung::WEIGHT.next(), None);
        assert_eq!(Rung::PROCESS.next(), Some(Rung::FEATURE));
    }

    #[test]
    fn a_feature_moves_through_four_stages() {
        let f = Rung::FEATURE;
        use ActionStage::*;
        assert_eq!(f.first_stage(), Proposed);
        assert_eq!(f.next_stage(Proposed), Some(Scheduled));
        assert_eq!(f.next_stage(Scheduled), Some(InDevelopment));
        assert_eq!(f.next_stage(InDevelopment), Some(Launched));
        assert_eq!(f.next_stage(Launched), None);
        assert!(
            f.may_move(Proposed, Launched),
            "history may be entered at once"
        );
        assert!(!f.may_move(Launched, Scheduled));
        assert!(f.may_move(Scheduled, Cancelled));
        assert!(!f.may_move(Launched, Cancelled));
        assert_eq!(Rung::POLICY.stages(), &[Planned, Launched]);
    }

    #[test]
    fn a_policy_waits_for_every_department_and_an_objection_blocks() {
        assert_eq!(
            policy_may_launch(
                &[1, 2, 3],
                &[
                    (1, SignoffDecision::Approve),
                    (2, SignoffDecision::Approve),
                    (3, SignoffDecision::Approve)
                ]
            ),
            Ok(())
        );
        let block = policy_may_launch(
            &[1, 2, 3],
            &[(1, SignoffDecision::Approve), (2, SignoffDecision::Object)],
        )
        .unwrap_err();
        assert_eq!(block.missing, vec![3]);
        assert_eq!(block.objecting, vec![2]);
        assert!(policy_may_launch(&[], &[]).unwrap_err().no_departments);
    }
}
