//! Which dimension values explain a cluster's change: the Adtributor method
//! (Bhagwan et al., NSDI 2014) applied to incident counts.

/// A value is named only if it explains more than this share of the change.
pub const T_EEP: f64 = 0.1;
/// A dimension explains the change once its named values reach this share.
pub const T_EP: f64 = 0.67;

#[derive(Debug, Clone, PartialEq)]
pub struct DimensionCounts {
    pub dimension: String,
    pub values: Vec<ValueCounts>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ValueCounts {
    pub value: String,
    pub this_week: f64,
    /// May be a mean of k weeks, hence f64.
    pub baseline: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Driver {
    pub dimension: String,
    pub value: String,
    pub this_week: f64,
    pub baseline: f64,
    pub explained_share: f64,
    pub surprise: f64,
}

/// The leading explanation, as data; the caller words and localises it.
#[derive(Debug, Clone, PartialEq)]
pub struct Headline {
    pub dimension: String,
    /// The values named, strongest first; for `hour`, the contiguous run in clock order.
    pub values: Vec<String>,
    /// For `hour`: first and last hour of the run, inclusive ((12, 13) reads
    /// "12:00 to 13:59"). first > last when the run wraps past midnight.
    pub hours: Option<(u8, u8)>,
    /// Combined explained share of `values`.
    pub explained_share: f64,
}

fn fraction(part: f64, total: f64) -> f64 {
    if total > 0.0 && total.is_finite() {
        part.max(0.0) / total
    } else {
        0.0
    }
}

/// v's Jensen–Shannon term between baseline share p and this week's share q,
/// in bits, with 0·log 0 = 0.
fn js_term(p: f64, q: f64) -> f64 {
    let m = p + q;
    let part = |a: f64| {
        if a > 0.0 {
            a * (2.0 * a / m).log2()
        } else {
            0.0
        }
    };
    0.5 * (part(p) + part(q))
}

/// Adtributor's candidate set for one dimension: by surprise (descending),
/// keep values explaining more than T_EEP until T_EP is reached. None if the
/// dimension never reaches T_EP (it does not explain the change).
fn explanatory_set(drivers: &[&Driver]) -> Option<Vec<usize>> {
    let mut order: Vec<usize> = (0..drivers.len()).collect();
    // Ties by share, so `headline` (which sees values in share order) rebuilds the same set.
    order.sort_by(|&a, &b| {
        (drivers[b].surprise.total_cmp(&drivers[a].surprise))
            .then(by_share_desc(drivers[a], drivers[b]))
    });
    let mut set = Vec::new();
    let mut explained = 0.0;
    for i in order {
        if drivers[i].explained_share > T_EEP {
            set.push(i);
            explained += drivers[i].explained_share;
            if explained >= T_EP {
                return Some(set);
            }
        }
    }
    None
}

fn by_share_desc(a: &Driver, b: &Driver) -> std::cmp::Ordering {
    b.explained_share.total_cmp(&a.explained_share)
}

/// Every value of every dimension, ranked: first the explanatory sets of the
/// dimensions that explain the change (ordered by their summed surprise, each
/// by share), then all other values (same dimension order, the remaining
/// dimensions after by their total surprise; each by share). The first
/// element is the value that best explains the change. Shares are 0 when
/// the totals did not change.
pub fn explain(
    dimensions: &[DimensionCounts],
    total_this_week: f64,
    total_baseline: f64,
) -> Vec<Driver> {
    let change = total_this_week - total_baseline;
    struct Ranked {
        drivers: Vec<Driver>,
        set: Vec<usize>,
        key: f64,
        explains: bool,
    }
    let mut ranked: Vec<Ranked> = dimensions
        .iter()
        .map(|dim| {
            let drivers: Vec<Driver> = dim
                .values
                .iter()
                .map(|v| Driver {
                    dimension: dim.dimension.clone(),
                    value: v.value.clone(),
                    this_week: v.this_week,
                    baseline: v.baseline,
                    explained_share: if change != 0.0 {
                        (v.this_week - v.baseline) / change
                    } else {
                        0.0
                    },
                    surprise: js_term(
                        fraction(v.baseline, total_baseline),
                        fraction(v.this_week, total_this_week),
                    ),
                })
                .collect();
            let refs: Vec<&Driver> = drivers.iter().collect();
            let set = explanatory_set(&refs);
            let explains = set.is_some();
            let set = set.unwrap_or_default();
            // Explaining dimensions rank by their set's surprise, the rest by all of theirs.
            let key = if explains {
                set.iter().map(|&i| drivers[i].surprise).sum()
            } else {
                drivers.iter().map(|d| d.surprise).sum()
            };
            Ranked {
                drivers,
                set,
                key,
                explains,
            }
        })
        .collect();
    // Stable: ties keep the caller's dimension order.
    ranked.sort_by(|a, b| b.explains.cmp(&a.explains).then(b.key.total_cmp(&a.key)));

    let mut out = Vec::new();
    for r in ranked.iter().filter(|r| r.explains) {
        let mut set: Vec<Driver> = r.set.iter().map(|&i| r.drivers[i].clone()).collect();
        set.sort_by(by_share_desc);
        out.extend(set);
    }
    for r in &ranked {
        let mut rest: Vec<Driver> = (0..r.drivers.len())
            .filter(|i| !r.set.contains(i))
            .map(|i| r.drivers[i].clone())
            .collect();
        rest.sort_by(by_share_desc);
        out.extend(rest);
    }
    out
}

fn parse_hour(value: &str) -> Option<u8> {
    value.trim().parse::<u8>().ok().filter(|h| *h < 24)
}

/// The smallest rise, in incidents over the baseline, whose drivers are worth a sentence:
/// below it one incident at 13:00 would be "100% of the rise".
pub const MIN_RISE: f64 = 3.0;

/// Whether a rise from `baseline` to `this_week` is large enough to say what drove it.
pub fn rise_to_explain(this_week: f64, baseline: f64) -> bool {
    this_week - baseline >= MIN_RISE
}

/// The top dimension of `explain`'s output and its explanatory values. For
/// `hour`, only the clock-contiguous run around the top hour is kept. None
/// when nothing explains the change (empty input, no change, no dimension
/// reaching T_EP).
pub fn headline(drivers: &[Driver]) -> Option<Headline> {
    let top = drivers.first()?;
    let same: Vec<&Driver> = drivers
        .iter()
        .filter(|d| d.dimension == top.dimension)
        .collect();
    let set = explanatory_set(&same)?;
    if !set.contains(&0) {
        return None; // input not in explain's order: the top value is not explanatory
    }
    let mut members: Vec<&Driver> = set.iter().map(|&i| same[i]).collect();
    members.sort_by(|a, b| by_share_desc(a, b));
    let hours: Option<Vec<u8>> = members.iter().map(|d| parse_hour(&d.value)).collect();
    let (values, share, span) = match hours {
        Some(hours) if top.dimension == "hour" => {
            // Grow a run from the top hour through adjacent explanatory hours.
            let start = *hours.first()?;
            let (mut first, mut last) = (start, start);
            let mut run = vec![0usize];
            loop {
                let next = (last + 1) % 24;
                let prev = (first + 23) % 24;
                if let Some(i) = (0..hours.len()).find(|&i| hours[i] == next && !run.contains(&i)) {
                    last = next;
                    run.push(i);
                } else if let Some(i) =
                    (0..hours.len()).find(|&i| hours[i] == prev && !run.contains(&i))
                {
                    first = prev;
                    run.insert(0, i);
                } else {
                    break;
                }
            }
            let share = run.iter().map(|&i| members[i].explained_share).sum();
            (
                run.iter().map(|&i| members[i].value.clone()).collect(),
                share,
                Some((first, last)),
            )
        }
        _ => (
            members.iter().map(|d| d.value.clone()).collect(),
            members.iter().map(|d| d.explained_share).sum(),
            None,
        ),
    };
    Some(Headline {
        dimension: top.dimension.clone(),
        values,
        hours: span,
        explained_share: share,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rise_of_one_or_two_incidents_is_too_small_to_explain() {
        // "100% of the rise at 13:00" from a single incident says nothing.
        assert!(!rise_to_explain(1.0, 0.0));
        assert!(!rise_to_explain(12.0, 9.5));
        assert!(rise_to_explain(3.0, 0.0));
        assert!(rise_to_explain(46.0, 10.0));
    }

    fn dim(name: &str, rows: &[(&str, f64, f64)]) -> DimensionCounts {
        DimensionCounts {
            dimension: name.to_string(),
            values: rows
                .iter()
                .map(|(v, tw, bl)| ValueCounts {
                    value: v.to_string(),
                    this_week: *tw,
                    baseline: *bl,
                })
                .collect(),
        }
    }

    fn close(got: f64, want: f64) {
        assert!((got - want).abs() < 1e-12, "got {got}, want {want}");
    }

    /// Baseline 2 an hour over 08–18 (22); this week 66, the rise mostly at 12 and 13.
    fn lunchtime() -> Vec<DimensionCounts> {
        let hours: Vec<(String, f64)> = (8..=18)
            .map(|h| {
                let tw = match h {
                    12 => 20.0,
                    13 => 16.0,
                    8..=10 => 4.0,
                    _ => 3.0,
                };
                (h.to_string(), tw)
            })
            .collect();
        let hour_rows: Vec<(&str, f64, f64)> =
            hours.iter().map(|(h, tw)| (h.as_str(), *tw, 2.0)).collect();
        vec![
            // Weekdays tripled evenly: no shift in distribution.
            dim(
                "weekday",
                &[
                    ("1", 15.0, 5.0),
                    ("2", 12.0, 4.0),
                    ("3", 12.0, 4.0),
                    ("4", 15.0, 5.0),
                    ("5", 12.0, 4.0),
                ],
            ),
            dim("hour", &hour_rows),
            dim("department", &[("sales", 66.0, 22.0)]),
        ]
    }

    #[test]
    fn lunchtime_spike_ranks_hours_12_and_13_first() {
        let d = explain(&lunchtime(), 66.0, 22.0);
        assert_eq!(d.len(), 5 + 11 + 1);
        assert_eq!(
            (d[0].dimension.as_str(), d[0].value.as_str()),
            ("hour", "12")
        );
        assert_eq!(
            (d[1].dimension.as_str(), d[1].value.as_str()),
            ("hour", "13")
        );
        // (20-2)/44 and (16-2)/44; JS terms by numpy, per value
        // 0.5*(p*log2(2p/(p+q)) + q*log2(2q/(p+q))), p = 2/22, q = 20/66 and 16/66;
        // the 11 terms sum to scipy.spatial.distance.jensenshannon(p, q, base=2)**2.
        close(d[0].explained_share, 18.0 / 44.0);
        close(d[1].explained_share, 14.0 / 44.0);
        close(d[0].surprise, 0.04346139568489234);
        close(d[1].surprise, 0.025774843896260557);
        let hour_total: f64 = d
            .iter()
            .filter(|x| x.dimension == "hour")
            .map(|x| x.surprise)
            .sum();
        close(hour_total, 0.10926280872825522);
        // Weekday and department explain the rise too, but with no surprise they come after.
        assert!(
            d[2..]
                .iter()
                .take_while(|x| x.dimension != "hour")
                .all(|x| x.surprise < 1e-15)
        );
        assert_eq!(d[2].dimension, "weekday");
        let h = headline(&d).expect("hour explains the rise");
        assert_eq!(h.dimension, "hour");
        assert_eq!(h.values, vec!["12".to_string(), "13".to_string()]);
        assert_eq!(h.hours, Some((12, 13)));
        close(h.explained_share, 32.0 / 44.0);
    }

    #[test]
    fn other_values_follow_by_share() {
        let d = explain(&lunchtime(), 66.0, 22.0);
        // After the explanatory sets (2 hours, 4 weekdays, 1 department) come the others in
        // the same dimension order: nine hours (the 4-count ones, share 2/44, before the
        // 3-count ones, 1/44), then the weekday left out of its set.
        let rest: Vec<(&str, &str)> = d[7..]
            .iter()
            .map(|x| (x.dimension.as_str(), x.value.as_str()))
            .collect();
        assert_eq!(&rest[..3], &[("hour", "8"), ("hour", "9"), ("hour", "10")]);
        close(d[7].explained_share, 2.0 / 44.0);
        close(d[15].explained_share, 1.0 / 44.0);
        assert_eq!(d[16].dimension, "weekday");
        close(d[16].explained_share, 8.0 / 44.0);
    }

    #[test]
    fn no_change_gives_zero_surprise_and_share() {
        let dims = vec![dim("tag", &[("a", 6.0, 6.0), ("b", 4.0, 4.0)])];
        let d = explain(&dims, 10.0, 10.0);
        assert!(
            d.iter()
                .all(|x| x.surprise == 0.0 && x.explained_share == 0.0)
        );
        assert_eq!(headline(&d), None);
    }

    #[test]
    fn new_value_surprise_and_wrap_past_midnight() {
        // Baseline all at 22:00; this week 23:00 and 00:00 appear (p = 0 -> term q/2).
        let dims = vec![dim(
            "hour",
            &[("22", 2.0, 2.0), ("23", 4.0, 0.0), ("0", 4.0, 0.0)],
        )];
        let d = explain(&dims, 10.0, 2.0);
        close(d[0].surprise, 0.2); // 0.5 * 0.4 * log2(2): exact by hand
        let h = headline(&d).expect("explained");
        assert_eq!(h.hours, Some((23, 0)));
        assert_eq!(h.values, vec!["23".to_string(), "0".to_string()]);
        close(h.explained_share, 1.0);
    }

    #[test]
    fn empty_and_degenerate_input() {
        assert!(explain(&[], 0.0, 0.0).is_empty());
        assert_eq!(headline(&[]), None);
        let d = explain(&[dim("tag", &[])], 3.0, 0.0);
        assert!(d.is_empty());
        // Zero baseline total: p is 0 everywhere, no NaN.
        let d = explain(&[dim("tag", &[("x", 3.0, 0.0)])], 3.0, 0.0);
        assert!(d[0].surprise.is_finite());
        close(d[0].explained_share, 1.0);
        // A change spread thinly: no value above T_EEP, so no headline.
        let rows: Vec<(String, f64, f64)> = (0..20).map(|i| (format!("p{i}"), 2.0, 1.0)).collect();
        let rows: Vec<(&str, f64, f64)> =
            rows.iter().map(|(v, a, b)| (v.as_str(), *a, *b)).collect();
        let d = explain(&[dim("reporter", &rows)], 40.0, 20.0);
        assert_eq!(d.len(), 20);
        assert_eq!(headline(&d), None);
    }
}
