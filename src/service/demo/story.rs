//! The story's machinery: its calendar (weeks back from this one, in the organisation's
//! zone), its clock (each step recorded at its moment), its dice, and a week's filings
//! planned and filed through the intake in batches, each batch at the time it was filed.

use super::others::{CUSTOMERS, ONE_OFFS};
use super::people::Team;
use super::texts::{CHASE, PROBLEMS};
use crate::clock;
use crate::db::{self, DbConn};
use crate::error::{AppError, AppResult};
use crate::service::directory::Directory;
use crate::service::grouping::GroupingCache;
use crate::service::intake::{self, Filer, Filing, RawIncident};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

/// A small deterministic generator, so the demo is the same every time.
pub struct Dice(pub u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// What the team files in one week beyond the ordinary.
pub struct Week {
    pub back: i64,
    /// Approval chases, and how many of them over lunch (12:00 to 13:59).
    pub chases: u32,
    pub lunch: u32,
    /// Approved orders with a wrong price; None for the ordinary few.
    pub wrong_prices: Option<u32>,
}

/// An hour's filings, each with the problem it is about.
type Batch = Vec<(Option<usize>, Filing)>;

/// One incident to file: when, by whom, about which problem (None: a one-off), as what.
struct Planned {
    at: DateTime<Utc>,
    person: usize,
    problem: Option<usize>,
    phrasing: &'static str,
}

pub struct Story<'a> {
    pub conn: &'a mut DbConn,
    pub grouping: &'a GroupingCache,
    pub tz: Tz,
    /// This week's Monday.
    pub monday: NaiveDate,
    /// The moment the demo is loaded: nothing happens after it.
    pub now: DateTime<Utc>,
    pub dice: Dice,
    pub team: Team,
    /// The last order number written.
    pub order: u32,
    /// The retrospectives' decisions on the story's cluster so far, with their actions.
    pub decisions: Vec<(i64, Option<i64>)>,
    /// The decisions on other problems (`side`), in order.
    pub side: Vec<i64>,
}

impl Story<'_> {
    /// Local `hour:minute` on `weekday` (0 = Monday) of the week `weeks_back`.
    pub fn at(&self, weeks_back: i64, weekday: i64, hour: u32, minute: u32) -> DateTime<Utc> {
        let day = self.monday - Duration::weeks(weeks_back) + Duration::days(weekday);
        let local = day.and_hms_opt(hour, minute, 0).expect("valid time");
        self.tz
            .from_local_datetime(&local)
            .earliest()
            .expect("a local time")
            .with_timezone(&Utc)
    }

    /// The date of `weekday` of the week `weeks_back`, as a form gives it.
    pub fn day(&self, weeks_back: i64, weekday: i64) -> String {
        (self.monday - Duration::weeks(weeks_back) + Duration::days(weekday)).to_string()
    }

    /// Pin the clock at the story's moment `at` for the step that follows.
    pub fn pin(&self, at: DateTime<Utc>) -> clock::Pin {
        debug_assert!(
            at <= self.now,
            "the story does not run ahead of its telling"
        );
        clock::pin(at.min(self.now))
    }

    /// Plan and file the week; the clusters each problem's filings went to.
    pub fn week(&mut self, week: &Week) -> AppResult<Vec<(Option<usize>, i64)>> {
        let planned = self.plan(week);
        self.file(planned)
    }

    /// Plan and file only the week's `days` (Monday = 0).
    pub fn days(
        &mut self,
        week: &Week,
        days: std::ops::Range<i64>,
    ) -> AppResult<Vec<(Option<usize>, i64)>> {
        let monday = self.at(week.back, 0, 0, 0);
        let planned = self
            .plan(week)
            .into_iter()
            .filter(|p| days.contains(&(p.at - monday).num_days()))
            .collect();
        self.file(planned)
    }

    fn plan(&mut self, week: &Week) -> Vec<Planned> {
        let sales = self.team.of("sales");
        let approval = self.team.of("approval");
        let everyone: Vec<usize> = (0..self.team.people.len()).collect();
        let mut out = Vec::new();
        for i in 0..week.chases {
            let (hour, minute) = if i < week.lunch {
                (12 + i % 2, self.dice.below(60) as u32)
            } else {
                (9 + self.dice.below(9) as u32, self.dice.below(60) as u32)
            };
            // Spread evenly over the working week: what moves is the hour. The story's
            // first incident, at nine on its first Monday, is a chase.
            let at = if week.back == super::WEEKS && i == 0 {
                self.at(week.back, 0, 9, 0)
            } else {
                self.at(week.back, i64::from(i % 5), hour, minute)
            };
            out.push(self.planned(at, &sales, Some(CHASE)));
        }
        for (index, problem) in PROBLEMS.iter().enumerate().skip(1) {
            let usual = super::side::level(index, week.back).unwrap_or(problem.weekly);
            let n = match (index, week.wrong_prices) {
                (super::texts::WRONG_PRICE, Some(n)) => n,
                (super::texts::WRONG_PRICE, None) => 1 + self.dice.below(2) as u32,
                // Steady: within two of the usual.
                _ if usual >= 3 => (usual + self.dice.below(5) as u32).saturating_sub(2),
                _ => usual,
            };
            let who = match problem.category {
                "data-fix" if index == super::texts::WRONG_PRICE => &approval,
                "data-fix" if self.dice.below(4) == 0 => &approval,
                "other" => &everyone,
                _ => &sales,
            };
            for _ in 0..n {
                let at = self.ordinary_time(week.back);
                out.push(self.planned(at, who, Some(index)));
            }
        }
        for _ in 0..(1 + self.dice.below(3)) {
            let at = self.ordinary_time(week.back);
            out.push(self.planned(at, &everyone, None));
        }
        out
    }

    /// A working hour of the week, any minute past 09:00.
    fn ordinary_time(&mut self, weeks_back: i64) -> DateTime<Utc> {
        let weekday = self.dice.below(5) as i64;
        let hour = 9 + self.dice.below(9) as u32;
        let minute = 1 + self.dice.below(59) as u32;
        self.at(weeks_back, weekday, hour, minute)
    }

    fn planned(&mut self, at: DateTime<Utc>, who: &[usize], problem: Option<usize>) -> Planned {
        let person = who[self.dice.below(who.len() as u64) as usize];
        let phrasing = match problem {
            Some(p) => {
                let all = PROBLEMS[p].phrasings;
                all[self.dice.below(all.len() as u64) as usize]
            }
            None => ONE_OFFS[self.dice.below(ONE_OFFS.len() as u64) as usize],
        };
        Planned {
            at,
            person,
            problem,
            phrasing,
        }
    }

    /// The text as its filer wrote it, the order it names (if any) being the next one.
    fn written(&mut self, p: &Planned) -> RawIncident {
        let mut title = p.phrasing.to_string();
        let mut external_ref = String::new();
        if title.contains("{order}") {
            self.order += 1 + self.dice.below(4) as u32;
            title = title.replace("{order}", &self.order.to_string());
            external_ref = format!("SO-{}", self.order);
        }
        if title.contains("{customer}") {
            let c = CUSTOMERS[self.dice.below(CUSTOMERS.len() as u64) as usize];
            title = title.replace("{customer}", c);
        }
        if title.contains("{name}") {
            let sales = self.team.of("sales");
            let colleague = sales[self.dice.below(sales.len() as u64) as usize];
            title = title.replace("{name}", self.team.name(colleague));
        }
        let (category, counterpart) = match p.problem {
            Some(i) => (PROBLEMS[i].category, PROBLEMS[i].counterpart),
            None => ("other", "operations"),
        };
        RawIncident {
            title,
            category: category.into(),
            counterpart: counterpart.into(),
            occurred_at: p.at.to_rfc3339(),
            external_ref,
            ..Default::default()
        }
    }

    /// File the planned incidents that happened before now, in one transaction through
    /// the intake, hour by hour: each hour's filings written together a few minutes
    /// after the last of them happened, with the clock at that moment.
    fn file(&mut self, mut planned: Vec<Planned>) -> AppResult<Vec<(Option<usize>, i64)>> {
        planned.retain(|p| p.at + Duration::minutes(20) < self.now);
        planned.sort_by_key(|p| (p.at, p.problem != Some(CHASE)));
        let mut batches: Vec<(DateTime<Utc>, Batch)> = Vec::new();
        for p in &planned {
            let raw = self.written(p);
            let hour =
                p.at.with_timezone(&self.tz)
                    .with_minute(0)
                    .expect("an hour");
            let filing = Filing {
                filer: Filer::Person(self.team.people[p.person].clone()),
                raw,
                at: p.at,
                imported: None,
            };
            match batches.last_mut() {
                Some((h, batch)) if *h == hour => batch.push((p.problem, filing)),
                _ => batches.push((hour.with_timezone(&Utc), vec![(p.problem, filing)])),
            }
        }
        for (_, batch) in &mut batches {
            let last = batch.iter().map(|(_, f)| f.at).max().expect("a filing");
            let filed = (last + Duration::minutes(2 + self.dice.below(8) as i64)).min(self.now);
            for (_, f) in batch.iter_mut() {
                f.at = filed;
            }
        }
        let directory = Directory::new();
        let grouping = self.grouping;
        let mut ids = Vec::new();
        let result = db::bulk_write_transaction(self.conn, |conn| {
            let mut writing = intake::Writing::begin(conn, grouping, &directory)?;
            let mut out = Vec::new();
            for (_, batch) in &batches {
                let _pin = clock::pin(batch[0].1.at);
                let filings: Vec<&Filing> = batch.iter().map(|(_, f)| f).collect();
                for ((problem, filing), answer) in batch.iter().zip(writing.file(conn, &filings)?) {
                    let filed = answer.map_err(|e| {
                        AppError::internal(format!("the demo's {:?}: {e}", filing.raw.title))
                    })?;
                    ids.push(filed.id);
                    out.push((*problem, filed.cluster_id.unwrap_or_default()));
                }
            }
            writing.finish(conn)?;
            Ok::<_, AppError>(out)
        });
        match &result {
            Ok(_) => self.grouping.committed(ids),
            Err(_) => self.grouping.invalidate(),
        }
        result
    }
}
