//! One week of a cluster (or a category) against last week, the same week last year
//! and the mean of the eight weeks before: the change, its exact p-values, and the flags
//! the weekly review shows. The statistics are `stats`'s; this module decides what they
//! mean for a lead.

use super::stats::{
    baseline_p_value, benjamini_hochberg, needed_for_significance, rise_p_value, too_few_to_tell,
};

/// Significance level of the flags, after Benjamini–Hochberg.
pub const ALPHA: f64 = 0.05;
/// Weeks in the baseline mean (the weeks before the one reviewed, last week included).
pub const BASELINE_WEEKS: u32 = 8;
/// Weeks in a sparkline, the reviewed week last.
pub const SERIES_WEEKS: usize = 12;
/// A spike is a rise of at least this many incidents over last week.
pub const MIN_RISE: i64 = 3;

/// The counts a comparison is made from.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Counts {
    pub this_week: u64,
    pub last_week: u64,
    pub same_week_last_year: u64,
    /// Incidents in the `BASELINE_WEEKS` weeks before this one.
    pub baseline_total: u64,
    /// Whether anything was counted in any week before this one.
    pub seen_before: bool,
}

/// What a p-value means, in words a lead reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "verdict")]
pub enum Reading {
    /// The adjusted p-value is under `ALPHA`.
    Unusual,
    WithinNoise,
    /// So few incidents that no split could be significant; about `needed` more this
    /// week would be.
    TooFewToTell {
        needed: u64,
    },
}

impl Reading {
    pub fn key(&self) -> &'static str {
        match self {
            Self::Unusual => "unusual",
            Self::WithinNoise => "within_noise",
            Self::TooFewToTell { .. } => "too_few",
        }
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Comparison {
    pub this_week: u64,
    pub last_week: u64,
    pub same_week_last_year: u64,
    pub baseline_mean: f64,
    /// This week minus last week.
    pub delta: i64,
    /// The change against last week in percent; None when last week had none.
    pub percent: Option<f64>,
    /// One-sided exact p-value of the rise over last week.
    pub p_value: f64,
    /// One-sided exact p-value of the rise over the eight-week baseline.
    pub baseline_p_value: f64,
    /// The larger of the two, Benjamini–Hochberg adjusted across the week's family.
    pub q_value: f64,
    pub new: bool,
    pub spike: bool,
    pub reading: Reading,
}

impl Comparison {
    /// Compare one row on its own; `q_value` is the raw larger p-value until `adjust`.
    pub fn of(c: Counts) -> Self {
        let p_value = rise_p_value(c.this_week, c.last_week);
        let baseline_p_value = baseline_p_value(c.this_week, c.baseline_total, BASELINE_WEEKS);
        let delta = c.this_week as i64 - c.last_week as i64;
        let mut out = Self {
            this_week: c.this_week,
            last_week: c.last_week,
            same_week_last_year: c.same_week_last_year,
            baseline_mean: c.baseline_total as f64 / f64::from(BASELINE_WEEKS),
            delta,
            percent: (c.last_week > 0).then(|| delta as f64 * 100.0 / c.last_week as f64),
            p_value,
            baseline_p_value,
            q_value: p_value.max(baseline_p_value),
            new: c.this_week > 0 && !c.seen_before,
            spike: false,
            reading: Reading::WithinNoise,
        };
        out.judge(out.q_value);
        out
    }

    fn judge(&mut self, q: f64) {
        self.q_value = q;
        self.spike = q < ALPHA && self.delta >= MIN_RISE;
        self.reading = if too_few_to_tell(self.this_week, self.last_week) {
            let needed =
                needed_for_significance(self.this_week, self.last_week, ALPHA).unwrap_or_default();
            Reading::TooFewToTell { needed }
        } else if q < ALPHA {
            Reading::Unusual
        } else {
            Reading::WithinNoise
        };
    }

    /// The larger p-value of each row, adjusted across the week's family (every row in
    /// `rows`), decides `spike` and the reading.
    pub fn adjust(rows: &mut [Comparison]) {
        let raw: Vec<f64> = rows
            .iter()
            .map(|r| r.p_value.max(r.baseline_p_value))
            .collect();
        for (row, q) in rows.iter_mut().zip(benjamini_hochberg(&raw)) {
            row.judge(q);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(got: f64, want: f64) {
        assert!(
            (got - want).abs() <= 1e-12 * want.abs().max(1e-300),
            "got {got}, want {want}"
        );
    }

    fn counts(a: u64, b: u64, baseline: u64) -> Counts {
        Counts {
            this_week: a,
            last_week: b,
            baseline_total: baseline,
            seen_before: true,
            ..Counts::default()
        }
    }

    #[test]
    fn p_values_are_the_contracts_exact_binomials() {
        // Known answers, exact rationals by Python's fractions:
        // P(X >= 9), X ~ Bin(12, 1/2) = 299/4096.
        close(Comparison::of(counts(9, 3, 0)).p_value, 299.0 / 4096.0);
        // P(X >= 18), X ~ Bin(24, 1/2) = 190051/16777216.
        let c = Comparison::of(counts(18, 6, 48));
        close(c.p_value, 190_051.0 / 16_777_216.0);
        // P(X >= 18), X ~ Bin(66, 1/9) (48 in eight weeks): 0.00023069340686627556.
        close(c.baseline_p_value, 0.000_230_693_406_866_275_56);
        assert_eq!((c.delta, c.percent), (12, Some(200.0)));
        close(c.baseline_mean, 6.0);
    }

    #[test]
    fn spike_needs_the_adjusted_larger_p_value_and_a_rise_of_three() {
        // The scenario of tests/api/review.rs: one tripled cluster and two steady ones.
        let mut rows = vec![
            Comparison::of(counts(18, 6, 48)),
            Comparison::of(counts(5, 5, 40)),
            Comparison::of(counts(4, 3, 24)),
        ];
        Comparison::adjust(&mut rows);
        // R: p.adjust(c(0.011327922344207764, 0.623046875, 0.5), "BH")
        //    = 0.03398377 0.62304688 0.62304688
        close(rows[0].q_value, 3.0 * 190_051.0 / 16_777_216.0);
        close(rows[1].q_value, 0.623_046_875);
        close(rows[2].q_value, 0.623_046_875);
        assert!(rows[0].spike && rows[0].reading == Reading::Unusual);
        assert!(!rows[1].spike && rows[1].reading == Reading::WithinNoise);
        assert!(!rows[2].spike);
        // Four more unremarkable clusters push the same rise over the line: 0.0113 * 7 > 0.05.
        let mut more = rows.clone();
        more.extend((0..4).map(|_| Comparison::of(counts(5, 5, 40))));
        Comparison::adjust(&mut more);
        assert!(!more[0].spike, "q = {}", more[0].q_value);
        // Significant but a rise of only 2 is not a spike.
        let mut big = vec![Comparison::of(counts(2, 0, 0))];
        Comparison::adjust(&mut big);
        assert!(!big[0].spike);
    }

    #[test]
    fn too_few_to_tell_says_how_many_more_are_needed() {
        // 3 against 1: even 4 of 4 gives 1/16 > 0.05. With 2 more, P(X >= 5 | Bin(6, 1/2))
        // = 7/64 > 0.05; with 4 more, P(X >= 7 | Bin(8, 1/2)) = 9/256 < 0.05; 3 more gives
        // P(X >= 6 | Bin(7, 1/2)) = 8/128 = 0.0625.
        let c = Comparison::of(counts(3, 1, 8));
        assert_eq!(c.reading, Reading::TooFewToTell { needed: 4 });
        assert_eq!(c.reading.key(), "too_few");
    }

    #[test]
    fn one_incident_empty_weeks_and_new_clusters() {
        let first = Comparison::of(Counts {
            this_week: 1,
            ..Counts::default()
        });
        assert!(first.new);
        assert_eq!(first.percent, None);
        assert!(!first.spike);
        assert!(matches!(first.reading, Reading::TooFewToTell { .. }));
        let empty = Comparison::of(Counts::default());
        assert!(!empty.new);
        close(empty.p_value, 1.0);
        assert_eq!(empty.delta, 0);
        let gone = Comparison::of(counts(0, 7, 30));
        assert_eq!((gone.delta, gone.percent), (-7, Some(-100.0)));
        assert_eq!(gone.reading, Reading::WithinNoise);
    }
}
