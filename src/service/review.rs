//! The weekly review: every live cluster's and category's week against last week, the
//! same week last year and the eight-week baseline, with exact p-values adjusted across
//! the week's clusters.
//!
//! Which clusters: every cluster that is neither dismissed nor merged away, confirmed or
//! not (a new problem still in the triage queue can spike, and the lead should see it),
//! that had an incident this week or last week. That set is the family the
//! Benjamini–Hochberg adjustment runs over; a cluster quiet in both weeks cannot rise.
//!
//! The week's figures are computed from the rollups in a few queries and cached per
//! process under the rollups' version and the grouping version (both bumped in the
//! transaction of every change they depend on), so a page view costs one indexed read
//! to validate the cache plus the rows it shows.

pub use super::review_cache::{ReviewCache, Versions};
use crate::db::review::ShownCluster;
use crate::db::{DbConn, clusters as db_clusters, review as q};
use crate::domain::comparison::{BASELINE_WEEKS, Comparison, Counts, SERIES_WEEKS};
use crate::domain::states::ClusterState;
use crate::domain::week::WeekKey;
use crate::error::AppResult;
use std::collections::HashMap;
use std::sync::Arc;

/// One cluster's week.
#[derive(Debug, Clone)]
pub struct ClusterLine {
    pub id: i64,
    pub category_id: i64,
    /// The last `SERIES_WEEKS` weeks, oldest first, this week last.
    pub series: Vec<u64>,
    pub distinct_refs: u64,
    pub cmp: Comparison,
}

/// One category's week (every live incident of the category, clustered or not).
#[derive(Debug, Clone)]
pub struct CategoryLine {
    pub category_id: i64,
    pub series: Vec<u64>,
    pub cmp: Comparison,
}

/// Everything the review knows about one week, shared by the page and the API.
#[derive(Debug, Clone)]
pub struct WeekFigures {
    pub week: WeekKey,
    pub previous_week: WeekKey,
    pub same_week_last_year: WeekKey,
    /// The weeks of every series, oldest first.
    pub series_weeks: Vec<WeekKey>,
    /// Sorted by rise: the largest change first, then the smallest adjusted p-value.
    pub clusters: Vec<ClusterLine>,
    pub categories: Vec<CategoryLine>,
    /// The whole team: every category together.
    pub team: CategoryLine,
}

/// The week's figures, from the cache while the rollups have not changed.
pub fn figures(
    conn: &mut DbConn,
    cache: &ReviewCache,
    week: WeekKey,
) -> AppResult<Arc<WeekFigures>> {
    let version = crate::db::versions::read(conn)?.weekly();
    figures_at(conn, cache, week, version)
}

/// The week's figures when `version` was read (`db::versions`) at the start of the request.
pub fn figures_at(
    conn: &mut DbConn,
    cache: &ReviewCache,
    week: WeekKey,
    version: Versions,
) -> AppResult<Arc<WeekFigures>> {
    if let Some(hit) = cache.get(week, version) {
        return Ok(hit);
    }
    let figures = Arc::new(compute(conn, week)?);
    cache.put(week, version, figures.clone());
    Ok(figures)
}

/// Per-row weekly counts by position in `series_weeks`, plus last year's week.
struct Tally {
    series: Vec<u64>,
    baseline: u64,
    last_year: u64,
}

impl Tally {
    fn new() -> Self {
        Self {
            series: vec![0; SERIES_WEEKS],
            baseline: 0,
            last_year: 0,
        }
    }

    fn add(&mut self, slot: Option<usize>, last_year: bool, n: u64) {
        if let Some(i) = slot {
            self.series[i] += n;
            // The baseline is the BASELINE_WEEKS weeks before the last slot.
            if i < SERIES_WEEKS - 1 && i >= SERIES_WEEKS - 1 - BASELINE_WEEKS as usize {
                self.baseline += n;
            }
        }
        if last_year {
            self.last_year += n;
        }
    }

    fn counts(&self, seen_before: bool) -> Counts {
        Counts {
            this_week: self.series[SERIES_WEEKS - 1],
            last_week: self.series[SERIES_WEEKS - 2],
            same_week_last_year: self.last_year,
            baseline_total: self.baseline,
            seen_before,
        }
    }

    fn seen_in_window(&self) -> bool {
        self.series[..SERIES_WEEKS - 1].iter().any(|&n| n > 0) || self.last_year > 0
    }
}

fn compute(conn: &mut DbConn, week: WeekKey) -> AppResult<WeekFigures> {
    let series_weeks: Vec<WeekKey> = (0..SERIES_WEEKS as u32)
        .rev()
        .map(|n| week.minus(n))
        .collect();
    let last_year = week.same_week_last_year();
    let mut keys: Vec<String> = series_weeks.iter().map(WeekKey::to_string).collect();
    let last_year_key = last_year.to_string();
    keys.push(last_year_key.clone());
    let slot: HashMap<&str, usize> = keys[..SERIES_WEEKS]
        .iter()
        .enumerate()
        .map(|(i, k)| (k.as_str(), i))
        .collect();

    let mut tallies: HashMap<i64, (i64, Tally)> = HashMap::new();
    for (cluster, category, w, n) in q::cluster_weeks_in(conn, &keys)? {
        let entry = tallies
            .entry(cluster)
            .or_insert_with(|| (category, Tally::new()));
        entry.1.add(
            slot.get(w.as_str()).copied(),
            w == last_year_key,
            n.max(0) as u64,
        );
    }
    // The family: this week or last week.
    tallies.retain(|_, (_, t)| t.series[SERIES_WEEKS - 1] > 0 || t.series[SERIES_WEEKS - 2] > 0);
    // "New" needs a look further back only for clusters the window saw nothing of before.
    let unseen: Vec<i64> = tallies
        .iter()
        .filter(|(_, (_, t))| !t.seen_in_window())
        .map(|(id, _)| *id)
        .collect();
    let older = q::seen_before(conn, &unseen, &keys[0])?;
    let refs: HashMap<i64, i32> = q::distinct_refs(conn, &keys[SERIES_WEEKS - 1])?
        .into_iter()
        .collect();

    let mut clusters: Vec<ClusterLine> = tallies
        .into_iter()
        .map(|(id, (category_id, t))| ClusterLine {
            id,
            category_id,
            cmp: Comparison::of(t.counts(t.seen_in_window() || older.contains(&id))),
            distinct_refs: refs.get(&id).copied().unwrap_or(0).max(0) as u64,
            series: t.series,
        })
        .collect();
    let mut cmps: Vec<Comparison> = clusters.iter().map(|c| c.cmp.clone()).collect();
    Comparison::adjust(&mut cmps);
    for (line, cmp) in clusters.iter_mut().zip(cmps) {
        line.cmp = cmp;
    }
    clusters.sort_by(|a, b| {
        b.cmp
            .delta
            .cmp(&a.cmp.delta)
            .then(a.cmp.q_value.total_cmp(&b.cmp.q_value))
            .then(b.cmp.this_week.cmp(&a.cmp.this_week))
            .then(a.id.cmp(&b.id))
    });

    let mut by_category: HashMap<i64, Tally> = HashMap::new();
    let mut team = Tally::new();
    for (category, w, n) in q::category_weeks_in(conn, &keys)? {
        let (s, ly, n) = (
            slot.get(w.as_str()).copied(),
            w == last_year_key,
            n.max(0) as u64,
        );
        by_category
            .entry(category)
            .or_insert_with(Tally::new)
            .add(s, ly, n);
        team.add(s, ly, n);
    }
    let mut categories: Vec<CategoryLine> = by_category
        .into_iter()
        .map(|(category_id, t)| CategoryLine {
            category_id,
            cmp: Comparison::of(t.counts(true)),
            series: t.series,
        })
        .collect();
    let mut cmps: Vec<Comparison> = categories.iter().map(|c| c.cmp.clone()).collect();
    Comparison::adjust(&mut cmps);
    for (line, cmp) in categories.iter_mut().zip(cmps) {
        line.cmp = cmp;
    }
    categories.sort_by_key(|c| c.category_id);
    let team = CategoryLine {
        category_id: 0,
        cmp: Comparison::of(team.counts(true)),
        series: team.series,
    };
    Ok(WeekFigures {
        week,
        previous_week: week.previous(),
        same_week_last_year: last_year,
        series_weeks,
        clusters,
        categories,
        team,
    })
}

/// A cluster's line with the cluster as it is now (title, state, rung, owner).
#[derive(Debug, Clone)]
pub struct ReviewRow {
    pub line: ClusterLine,
    pub cluster: ShownCluster,
    /// Resolved once, and incidents came back.
    pub regressed: bool,
}

impl ReviewRow {
    /// The flags in the contract's words.
    pub fn flags(&self) -> Vec<&'static str> {
        let mut f = Vec::new();
        if self.line.cmp.new {
            f.push("new");
        }
        if self.line.cmp.spike {
            f.push("spike");
        }
        if self.regressed {
            f.push("regressed");
        }
        f
    }
}

/// Attach each line's cluster as it is now.
pub fn rows(conn: &mut DbConn, lines: &[&ClusterLine]) -> AppResult<Vec<ReviewRow>> {
    let ids: Vec<i64> = lines.iter().map(|l| l.id).collect();
    let mut found: HashMap<i64, ShownCluster> = q::shown_clusters(conn, &ids)?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    Ok(lines
        .iter()
        .filter_map(|line| {
            let cluster = found.remove(&line.id)?;
            // A dismissal or merge since the figures were cached leaves the row out.
            if cluster.dismissed || cluster.merged_into.is_some() {
                return None;
            }
            Some(ReviewRow {
                regressed: cluster.state == ClusterState::Regressed && line.cmp.this_week > 0,
                line: (*line).clone(),
                cluster,
            })
        })
        .collect())
}

/// What narrows the review's table.
#[derive(Debug, Clone, Default)]
pub struct ReviewFilter {
    pub category_id: Option<i64>,
    /// A department slug: clusters with incidents this week reported from it.
    pub department: Option<String>,
}

/// The lines that pass `filter`, in the review's order.
pub fn filtered<'a>(
    conn: &mut DbConn,
    figures: &'a WeekFigures,
    filter: &ReviewFilter,
) -> AppResult<Vec<&'a ClusterLine>> {
    let from_department = match &filter.department {
        Some(slug) => Some(q::clusters_from_department(
            conn,
            &figures.week.to_string(),
            slug,
        )?),
        None => None,
    };
    Ok(figures
        .clusters
        .iter()
        .filter(|l| filter.category_id.is_none_or(|c| l.category_id == c))
        .filter(|l| from_department.as_ref().is_none_or(|s| s.contains(&l.id)))
        .collect())
}

/// The triage queue's size, for the review's link to it.
pub fn triage_size(conn: &mut DbConn) -> AppResult<i64> {
    Ok(db_clusters::unconfirmed_count(conn)?)
}

/// The week asked for (`YYYY-Www`), or the last complete week in the organisation's
/// time zone `tz` when none is given.
pub fn week_in(raw: Option<&str>, tz: chrono_tz::Tz) -> AppResult<WeekKey> {
    match raw.map(str::trim).filter(|w| !w.is_empty()) {
        Some(w) => w
            .parse()
            .map_err(|_| crate::error::AppError::field("week", "review.bad_week")),
        None => Ok(crate::domain::week::last_complete_week(
            chrono::Utc::now(),
            tz,
        )),
    }
}

/// A week of the review as the API shows it: the figures, every cluster's row, and the
/// catalogue that names their categories. For leads and admins.
pub fn week_shown(
    conn: &mut DbConn,
    actor: &crate::service::accounts::Actor,
    cache: &ReviewCache,
    raw_week: Option<&str>,
    tz: chrono_tz::Tz,
) -> AppResult<(Arc<WeekFigures>, Vec<ReviewRow>)> {
    actor.require(crate::domain::role::Role::Lead)?;
    let week = week_in(raw_week, tz)?;
    let figures = figures(conn, cache, week)?;
    let lines: Vec<_> = figures.clusters.iter().collect();
    let rows = rows(conn, &lines)?;
    Ok((figures, rows))
}

/// One page of the review's table: the week's figures, the clusters of the page, how
/// many the filter kept, and the size of the triage queue.
pub struct ReviewPage {
    pub figures: Arc<WeekFigures>,
    pub rows: Vec<ReviewRow>,
    pub total_rows: usize,
    pub triage: i64,
}

/// The review's page `page_no` (from 1) of `per_page` clusters, filtered.
pub fn page(
    conn: &mut DbConn,
    cache: &ReviewCache,
    week: WeekKey,
    version: Versions,
    filter: &ReviewFilter,
    (page_no, per_page): (usize, usize),
) -> AppResult<ReviewPage> {
    let figures = figures_at(conn, cache, week, version)?;
    let lines = filtered(conn, &figures, filter)?;
    let total_rows = lines.len();
    let shown: Vec<_> = lines
        .into_iter()
        .skip(page_no.saturating_sub(1) * per_page)
        .take(per_page)
        .collect();
    let rows = rows(conn, &shown)?;
    Ok(ReviewPage {
        rows,
        total_rows,
        triage: triage_size(conn)?,
        figures,
    })
}
