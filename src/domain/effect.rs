//! Effect checks of an action: the cluster's weekly rate before against after.
//!
//! With x incidents in t1 weeks before and y in t2 weeks after, equal rates
//! make y | x+y ~ Binomial(x+y, t2/(t1+t2)); the test is that binomial's exact
//! two-sided test and the effect size is the rate ratio (y/t2)/(x/t1).

use super::intervals::rate_ratio_ci;
use super::stats::{binom_two_sided, poisson_cdf};
use std::cmp::Ordering;

const ALPHA: f64 = 0.05;
const POWER: f64 = 0.8;
/// Longest after-window the power search considers (two years).
pub const MAX_WEEKS_NEEDED: u32 = 104;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pending,
    Eliminated,
    Reduced,
    NoEffect,
    Worse,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pending => "pending",
            Verdict::Eliminated => "eliminated",
            Verdict::Reduced => "reduced",
            Verdict::NoEffect => "no_effect",
            Verdict::Worse => "worse",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Goal {
    WeeklyRateBelow(f64),
    RateRatioBelow(f64),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Effect {
    pub before_count: u64,
    pub before_weeks: u32,
    pub after_count: u64,
    pub after_weeks: u32,
    /// Incidents per week; 0 for an empty window.
    pub before_rate: f64,
    pub after_rate: f64,
    /// (y/t2)/(x/t1); None when either window is empty or x = 0.
    pub rate_ratio: Option<f64>,
    /// Exact 95% CI of the ratio; upper is +∞ when x = 0. None without data.
    pub ci95: Option<(f64, f64)>,
    /// None only when a window has no weeks.
    pub p_value: Option<f64>,
    pub verdict: Verdict,
    /// Point estimate against the goal (not a test); None without goal or data.
    pub goal_met: Option<bool>,
    /// Total after-weeks giving 80% power to detect the goal (or a halving);
    /// None once significant, or when unreachable within `MAX_WEEKS_NEEDED`.
    pub weeks_needed: Option<u32>,
}

fn rate(count: u64, weeks: u32) -> f64 {
    if weeks == 0 {
        0.0
    } else {
        count as f64 / f64::from(weeks)
    }
}

/// Compares y/t2 with x/t1 exactly, in integers (a float ratio may not be exactly 1).
fn direction(x: u64, t1: u32, y: u64, t2: u32) -> Ordering {
    (u128::from(y) * u128::from(t1)).cmp(&(u128::from(x) * u128::from(t2)))
}

/// The exact test's p-value, None when a window is empty. No data at all gives 1.
fn p_value(x: u64, t1: u32, y: u64, t2: u32) -> Option<f64> {
    if t1 == 0 || t2 == 0 {
        return None;
    }
    let (t1, t2) = (f64::from(t1), f64::from(t2));
    Some(binom_two_sided(y, x.saturating_add(y), t2 / (t1 + t2)))
}

/// Judges an action. Verdicts: `pending` until `review_due` (or while a window
/// is empty); otherwise, with p < 0.05, `eliminated` for a fall to at most one
/// incident, `reduced` for any other fall, `worse` for a rise; else `no_effect`.
/// A rise never counts as eliminated, even to a single incident.
pub fn evaluate(
    before_count: u64,
    before_weeks: u32,
    after_count: u64,
    after_weeks: u32,
    review_due: bool,
    goal: Option<&Goal>,
) -> Effect {
    let (x, t1, y, t2) = (before_count, before_weeks, after_count, after_weeks);
    let (before_rate, after_rate) = (rate(x, t1), rate(y, t2));
    let windows = t1 > 0 && t2 > 0;
    let rate_ratio = (windows && x > 0).then(|| after_rate / before_rate);
    let ci95 = if windows {
        rate_ratio_ci(x, f64::from(t1), y, f64::from(t2), 0.95)
    } else {
        None
    };
    let p_value = p_value(x, t1, y, t2);
    let significant = p_value.is_some_and(|p| p < ALPHA);
    let verdict = match (review_due, significant, direction(x, t1, y, t2)) {
        (false, ..) => Verdict::Pending,
        _ if p_value.is_none() => Verdict::Pending,
        (true, true, Ordering::Less) if y <= 1 => Verdict::Eliminated,
        (true, true, Ordering::Less) => Verdict::Reduced,
        (true, true, Ordering::Greater) => Verdict::Worse,
        _ => Verdict::NoEffect,
    };
    let goal_met = match goal {
        Some(Goal::WeeklyRateBelow(r)) => (t2 > 0).then_some(after_rate < *r),
        Some(Goal::RateRatioBelow(r)) => rate_ratio.map(|rr| rr < *r),
        None => None,
    };
    // The change to power for: the goal's, else a halving of the before rate.
    let target = match goal {
        Some(Goal::WeeklyRateBelow(r)) if before_rate > 0.0 => r / before_rate,
        Some(Goal::RateRatioBelow(r)) => *r,
        Some(_) => f64::NAN,
        None => 0.5,
    };
    let weeks_needed = if significant {
        None
    } else {
        weeks_needed(x, t1, target)
    };
    Effect {
        before_count,
        before_weeks,
        after_count,
        after_weeks,
        before_rate,
        after_rate,
        rate_ratio,
        ci95,
        p_value,
        verdict,
        goal_met,
        weeks_needed,
    }
}

/// Smallest after-window t2 (weeks, 1..=104) in which the exact test flags a
/// fall with probability >= 0.8 at alpha 0.05, if the after rate is `ratio`
/// times the before rate x/t1. Exact: x stays at its observed value and the
/// after count is Poisson(ratio·x/t1·t2). None for ratio outside [0, 1) or x = 0.
fn weeks_needed(x: u64, t1: u32, ratio: f64) -> Option<u32> {
    if x == 0 || t1 == 0 || !(0.0..1.0).contains(&ratio) {
        return None;
    }
    let after_rate = ratio * x as f64 / f64::from(t1);
    (1..=MAX_WEEKS_NEEDED).find(|&t2| {
        // Counts below the before rate that the test flags form a prefix 0..=y*
        // (checked against a full scan in the tests), so bisect for y*.
        let flags = |y: u64| p_value(x, t1, y, t2).is_some_and(|p| p < ALPHA);
        if !flags(0) {
            return false;
        }
        // Largest y strictly below the null mean: y·t1 < x·t2.
        let top = (x.saturating_mul(u64::from(t2)) - 1) / u64::from(t1);
        let (mut lo, mut hi) = (0, top);
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            (lo, hi) = if flags(mid) { (mid, hi) } else { (lo, mid - 1) };
        }
        poisson_cdf(lo, after_rate * f64::from(t2)) >= POWER
    })
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GuardCheck {
    pub ratio: Option<f64>,
    /// One-sided 95% upper bound of the ratio (+∞ when the before count is 0).
    pub upper95: Option<f64>,
    pub worsened: bool,
}

/// Non-inferiority of a guard metric: it holds when the one-sided 95% upper
/// bound of the rate ratio (the upper end of the exact 90% two-sided CI) is
/// below 1 + `margin_ratio` (e.g. 0.2 tolerates a 20% rise). `worsened` is
/// true when there is data and that is not shown, so it is also true when
/// the data are too few to rule a rise out.
pub fn guard_check(
    before_count: u64,
    before_weeks: u32,
    after_count: u64,
    after_weeks: u32,
    margin_ratio: f64,
) -> GuardCheck {
    let (x, t1, y, t2) = (before_count, before_weeks, after_count, after_weeks);
    if t1 == 0 || t2 == 0 {
        return GuardCheck {
            ratio: None,
            upper95: None,
            worsened: false,
        };
    }
    let ratio = (x > 0).then(|| rate(y, t2) / rate(x, t1));
    let upper95 = rate_ratio_ci(x, f64::from(t1), y, f64::from(t2), 0.90).map(|ci| ci.1);
    let limit = 1.0 + margin_ratio;
    let worsened = upper95.is_some_and(|u| u.partial_cmp(&limit) != Some(Ordering::Less));
    GuardCheck {
        ratio,
        upper95,
        worsened,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(x: u64, t1: u32, y: u64, t2: u32) -> (Verdict, f64) {
        let e = evaluate(x, t1, y, t2, true, None);
        (e.verdict, e.p_value.expect("both windows have weeks"))
    }

    fn close(got: f64, want: f64) {
        assert!(
            (got - want).abs() <= 1e-9 * want.abs(),
            "got {got}, want {want}"
        );
    }

    // Every p-value below: scipy.stats.binomtest(y, x + y, t2 / (t1 + t2)).pvalue.
    #[test]
    fn eliminated_at_after_count_0_and_1() {
        let cases = [
            (12, 4, 0, 4, Verdict::Eliminated, 0.00048828125),
            (6, 4, 0, 4, Verdict::Eliminated, 0.03125),
            (5, 4, 0, 4, Verdict::NoEffect, 0.0625),
            (9, 4, 1, 4, Verdict::Eliminated, 0.021484375),
            (7, 4, 1, 4, Verdict::NoEffect, 0.0703125),
            (12, 4, 2, 4, Verdict::Reduced, 0.012939453125),
        ];
        for (x, t1, y, t2, v, p) in cases {
            let (got, pv) = verdict(x, t1, y, t2);
            assert_eq!(got, v, "{x}/{t1} -> {y}/{t2}");
            close(pv, p);
        }
    }

    #[test]
    fn p_just_either_side_of_005() {
        let cases = [
            (45, 8, 12, 4, Verdict::Reduced, 0.04981542095294672),
            (46, 8, 12, 4, Verdict::NoEffect, 0.05010389761733533),
            (18, 8, 18, 4, Verdict::Worse, 0.049852084381354016),
            (4, 8, 7, 4, Verdict::NoEffect, 0.0501899552349179),
            (22, 6, 10, 6, Verdict::NoEffect, 0.050102459732443094),
            (20, 8, 3, 4, Verdict::Reduced, 0.04511197552405127),
        ];
        for (x, t1, y, t2, v, p) in cases {
            let (got, pv) = verdict(x, t1, y, t2);
            assert_eq!(got, v, "{x}/{t1} -> {y}/{t2}");
            close(pv, p);
        }
    }

    #[test]
    fn ratio_one_zero_counts_and_pending() {
        let e = evaluate(8, 4, 4, 2, true, None);
        assert_eq!(
            (e.verdict, e.rate_ratio, e.p_value),
            (Verdict::NoEffect, Some(1.0), Some(1.0))
        );
        // Zero before: ratio undefined, direction still known.
        let e = evaluate(0, 4, 5, 4, true, None);
        assert_eq!((e.verdict, e.rate_ratio), (Verdict::NoEffect, None));
        close(e.p_value.unwrap_or(0.0), 0.0625);
        let (v, p) = verdict(0, 4, 6, 4);
        assert_eq!(v, Verdict::Worse);
        close(p, 0.03125);
        // One incident after none, in a short window: significant, but a rise.
        let (v, p) = verdict(0, 20, 1, 1);
        assert_eq!(v, Verdict::Worse);
        close(p, 1.0 / 21.0);
        let e = evaluate(0, 4, 0, 4, true, None);
        assert_eq!(
            (e.verdict, e.p_value, e.ci95, e.weeks_needed),
            (Verdict::NoEffect, Some(1.0), None, None)
        );
        let e = evaluate(12, 4, 0, 4, false, None);
        assert_eq!(e.verdict, Verdict::Pending);
        assert_eq!(e.verdict.as_str(), "pending");
        let e = evaluate(12, 4, 0, 0, true, None);
        assert_eq!(
            (e.verdict, e.p_value, e.rate_ratio, e.after_rate),
            (Verdict::Pending, None, None, 0.0)
        );
        assert_eq!(Verdict::NoEffect.as_str(), "no_effect");
    }

    #[test]
    fn figures_and_goal() {
        let goal = Goal::WeeklyRateBelow(1.0);
        let e = evaluate(20, 8, 3, 4, true, Some(&goal));
        assert_eq!((e.before_rate, e.after_rate), (2.5, 0.75));
        close(e.rate_ratio.unwrap_or(0.0), 0.3);
        // binomtest(3, 23).proportion_ci(method="exact") mapped by p/(1-p)*8/4
        let (lo, hi) = e.ci95.expect("data");
        close(lo, 0.0570872727181718);
        // Clopper–Pearson is not inverted from the minimum-likelihood test: its upper end
        // can pass 1 while p < 0.05.
        close(hi, 1.0115453805151264);
        assert_eq!((e.goal_met, e.weeks_needed), (Some(true), None));
        let e = evaluate(20, 8, 3, 4, true, Some(&Goal::RateRatioBelow(0.25)));
        assert_eq!(e.goal_met, Some(false));
    }

    // Reference: brute force in Python over every after count y, no prefix assumption:
    // power(t2) = sum of poisson.pmf(y, ratio*x/t1*t2) over y with y*t1 < x*t2 and
    // binomtest(y, x+y, t2/(t1+t2)).pvalue < 0.05; the first t2 with power >= 0.8.
    #[test]
    fn weeks_needed_matches_brute_force() {
        assert_eq!(weeks_needed(40, 8, 0.5), Some(9)); // power 0.854 (t2 = 8: 0.787)
        assert_eq!(weeks_needed(12, 4, 0.5), Some(59));
        assert_eq!(weeks_needed(40, 8, 0.25), Some(3));
        assert_eq!(weeks_needed(100, 8, 0.7), Some(11));
        assert_eq!(weeks_needed(200, 10, 0.8), Some(20));
        assert_eq!(weeks_needed(30, 8, 0.0), Some(2));
        assert_eq!(weeks_needed(6, 4, 0.5), None); // too few before: never 80%
        assert_eq!(weeks_needed(0, 4, 0.5), None);
        assert_eq!(weeks_needed(10, 4, 1.0), None);
        // Through evaluate: not significant, so the default halving (40 in 8 weeks).
        let e = evaluate(40, 8, 18, 4, true, None);
        assert!(e.p_value.is_some_and(|p| p >= 0.05));
        assert_eq!(e.weeks_needed, Some(9));
        // Goal rate 1.25 a week against 5 before is a ratio of 0.25; goal ratio 0.7.
        let goal = Goal::WeeklyRateBelow(1.25);
        assert_eq!(
            evaluate(40, 8, 18, 4, true, Some(&goal)).weeks_needed,
            Some(3)
        );
        let goal = Goal::RateRatioBelow(0.7);
        assert_eq!(
            evaluate(100, 8, 50, 4, false, Some(&goal)).weeks_needed,
            Some(11)
        );
    }

    #[test]
    fn flagged_counts_form_a_prefix() {
        // weeks_needed bisects for the largest flagged count; check that against a scan.
        for (x, t1) in [(40u64, 8u32), (12, 4), (100, 8), (7, 3), (300, 12)] {
            for t2 in [1u32, 2, 5, 13, 40, 104] {
                let below = |y: u64| y * u64::from(t1) < x * u64::from(t2);
                let flags: Vec<bool> = (0..)
                    .take_while(|&y| below(y))
                    .map(|y| p_value(x, t1, y, t2).is_some_and(|p| p < ALPHA))
                    .collect();
                let first_off = flags.iter().position(|f| !f).unwrap_or(flags.len());
                assert!(
                    flags[first_off..].iter().all(|f| !f),
                    "x={x} t1={t1} t2={t2}"
                );
            }
        }
    }

    #[test]
    fn guard_non_inferiority() {
        // upper95 = upper end of the exact 90% CI: binomtest(y, x+y).proportion_ci(0.90)
        let g = guard_check(10, 4, 14, 4, 0.2);
        close(g.upper95.unwrap_or(0.0), 3.058628856272997);
        assert_eq!((g.ratio, g.worsened), (Some(1.4), true));
        let g = guard_check(400, 8, 380, 8, 0.2);
        close(g.upper95.unwrap_or(0.0), 1.0714989646253725);
        assert!(!g.worsened);
        let g = guard_check(400, 8, 380, 8, 0.05); // bound 1.071 is not below 1.05
        assert!(g.worsened);
        let g = guard_check(0, 4, 0, 4, 0.2);
        assert_eq!(
            g,
            GuardCheck {
                ratio: None,
                upper95: None,
                worsened: false
            }
        );
        let g = guard_check(0, 4, 2, 4, 0.2);
        assert_eq!(
            (g.ratio, g.upper95, g.worsened),
            (None, Some(f64::INFINITY), true)
        );
        assert!(!guard_check(5, 0, 5, 4, 0.2).worsened);
    }
}
