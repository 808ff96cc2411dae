//! The matcher's cache: an in-process index built from the database and kept fresh,
//! so that several rungs processes over one PostgreSQL each see every cluster.
//!
//! Freshness has two parts. New incidents are read incrementally after a watermark
//! (the highest incident id already indexed). Structural changes (merge, split, move,
//! dismiss) bump `grouping_version` in `settings`; a process that sees a version it
//! did not make rebuilds the index from the database.

use crate::db::{DbConn, clusters, settings};
use crate::domain::grouping::{ClusterIndex, IncidentTerms, IndexBuilder, Match};
use crate::error::AppResult;
use rustc_hash::FxHashSet;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const VERSION_KEY: &str = crate::db::versions::GROUPING;
const BATCH: i64 = 20_000;

struct Cache {
    index: ClusterIndex,
    /// Every incident with a smaller or equal id is in the index.
    watermark: i64,
    version: i64,
    built: bool,
    /// Incidents above the watermark already in the index: the filing writer adds its
    /// own as it writes them, so the incremental load must not add them twice.
    ahead: FxHashSet<i64>,
    /// Ids below the watermark not seen yet, and since when. On PostgreSQL a batch
    /// reserves its ids before it commits, so another process's later batch can commit
    /// first and move the watermark past them; they are read again until they come, or
    /// forgotten after `GAP_WAIT` (rolled back, withdrawn, or in a dismissed cluster).
    gaps: BTreeMap<i64, Instant>,
}

/// Most missing ids tracked for one jump of the watermark.
const GAP_LIMIT: i64 = 1_000;
/// How long a missing id is looked for.
const GAP_WAIT: Duration = Duration::from_secs(60);

pub struct GroupingCache {
    inner: Mutex<Cache>,
    pub threshold: f64,
}

impl GroupingCache {
    pub fn new(threshold: f64) -> Self {
        Self {
            inner: Mutex::new(Cache {
                index: ClusterIndex::new(),
                watermark: 0,
                version: 0,
                built: false,
                ahead: FxHashSet::default(),
                gaps: BTreeMap::new(),
            }),
            threshold,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Cache> {
        // A panic while holding the lock leaves a usable index: matching is a cache.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Bring the index up to date with the database.
    pub fn refresh(&self, conn: &mut DbConn) -> AppResult<()> {
        let version = current_version(conn)?;
        self.refresh_at(conn, version)
    }

    /// `refresh`, with the grouping version already read on `conn` (the filing writer
    /// reads every counter at the start of its transaction).
    pub fn refresh_at(&self, conn: &mut DbConn, version: i64) -> AppResult<()> {
        // The common case, new incidents only: read them without holding the lock, so
        // that concurrent filings and the writer do not queue behind a database read.
        let watermark = {
            let mut cache = self.lock();
            (cache.built && cache.version == version)
                .then(|| (cache.watermark, cache.awaited(Instant::now())))
        };
        if let Some((watermark, awaited)) = watermark {
            let mut rows = if awaited.is_empty() {
                Vec::new()
            } else {
                clusters::texts_of(conn, &awaited)?
            };
            let after = clusters::texts_for_index(conn, watermark, BATCH)?;
            let complete = (after.len() as i64) < BATCH;
            rows.extend(after);
            if complete {
                let mut cache = self.lock();
                if cache.built && cache.version == version {
                    apply_rows(&mut cache, &rows, Instant::now());
                    return Ok(());
                }
            }
        }
        let mut cache = self.lock();
        if !cache.built || cache.version != version {
            *cache = build(conn, version)?;
            tracing::info!(
                clusters = cache.index.cluster_count(),
                "grouping index built"
            );
        } else {
            load_after(conn, &mut cache)?;
        }
        Ok(())
    }

    pub fn best_matches(
        &self,
        category_id: i64,
        title: &str,
        body: &str,
        k: usize,
        exclude: &[i64],
    ) -> Vec<Match> {
        self.lock()
            .index
            .best_matches(category_id, title, body, k, exclude)
    }

    /// `best_matches` of a text already tokenized (the filing writer's, which adds it
    /// to the index after with `add_written`).
    pub fn best_matches_for_terms(
        &self,
        category_id: i64,
        terms: &IncidentTerms,
        k: usize,
        exclude: &[i64],
    ) -> Vec<Match> {
        self.lock()
            .index
            .best_matches_for_terms(category_id, terms, k, exclude)
    }

    /// Apply a structural change made by this process. When the stored version moved by
    /// exactly our one step, nobody else changed anything and the index is patched in
    /// place; otherwise the next refresh rebuilds it.
    pub fn structural(&self, new_version: i64, change: impl FnOnce(&mut ClusterIndex)) {
        let mut cache = self.lock();
        if cache.built && cache.version + 1 == new_version {
            change(&mut cache.index);
            cache.version = new_version;
        } else {
            cache.built = false;
        }
    }

    /// The filing writer's incident, added as it is written (before its batch commits),
    /// so that later filings of the same batch can join the cluster it started. If the
    /// batch rolls back, the writer calls `invalidate`.
    pub fn add_written(&self, id: i64, cluster_id: i64, category_id: i64, terms: &IncidentTerms) {
        let mut cache = self.lock();
        if !cache.built {
            return;
        }
        cache
            .index
            .add_incident_terms(cluster_id, category_id, terms);
        if id > cache.watermark {
            cache.ahead.insert(id);
        }
    }

    /// The filing writer's batch committed with these ids, each already added by
    /// `add_written`. When they follow the watermark without a gap, no other incident
    /// can lie among them, so the watermark moves past them and the next refresh does not
    /// read them back.
    pub fn committed(&self, ids: impl IntoIterator<Item = i64>) {
        let mut cache = self.lock();
        if !cache.built {
            return;
        }
        let run: Vec<i64> = (cache.watermark + 1..)
            .zip(ids)
            .take_while(|(next, id)| id == next && cache.ahead.contains(id))
            .map(|(_, id)| id)
            .collect();
        if let Some(&last) = run.last() {
            for id in &run {
                cache.ahead.remove(id);
            }
            cache.watermark = last;
        }
    }

    /// Forget the index: the next refresh rebuilds it from the database.
    pub fn invalidate(&self) {
        self.lock().built = false;
    }

    pub fn cluster_count(&self) -> usize {
        self.lock().index.cluster_count()
    }

    /// Reads the index under its lock: keep `f` short, filings wait behind it.
    pub fn with_index<R>(&self, f: impl FnOnce(&ClusterIndex) -> R) -> R {
        f(&self.lock().index)
    }

    /// The highest incident id the index holds every incident up to.
    pub fn watermark(&self) -> i64 {
        self.lock().watermark
    }
}

/// A whole new index from the database, through the bulk builder.
fn build(conn: &mut DbConn, version: i64) -> AppResult<Cache> {
    let mut builder = IndexBuilder::new();
    let mut watermark = 0;
    loop {
        let rows = clusters::texts_for_index(conn, watermark, BATCH)?;
        let Some(last) = rows.last() else { break };
        watermark = last.0;
        let done = (rows.len() as i64) < BATCH;
        for (_, cluster_id, category_id, title, body) in &rows {
            builder.add_incident(*cluster_id, *category_id, title, body);
        }
        if done {
            break;
        }
    }
    Ok(Cache {
        index: builder.finish(),
        watermark,
        version,
        built: true,
        ahead: FxHashSet::default(),
        gaps: BTreeMap::new(),
    })
}

fn load_after(conn: &mut DbConn, cache: &mut Cache) -> AppResult<()> {
    loop {
        let rows = clusters::texts_for_index(conn, cache.watermark, BATCH)?;
        if rows.is_empty() {
            return Ok(());
        }
        let done = (rows.len() as i64) < BATCH;
        apply_rows(cache, &rows, Instant::now());
        if done {
            return Ok(());
        }
    }
}

/// Add rows read after some watermark, and late ones that were awaited: those another
/// refresh already added and the writer's own (`ahead`) are skipped, and ids the
/// watermark jumps over are awaited (`Cache::gaps`).
fn apply_rows(cache: &mut Cache, rows: &[clusters::IndexedText], now: Instant) {
    for (id, cluster_id, category_id, title, body) in rows {
        let id = *id;
        if id <= cache.watermark {
            if cache.gaps.remove(&id).is_some() && !cache.ahead.remove(&id) {
                cache
                    .index
                    .add_incident(*cluster_id, *category_id, title, body);
            }
            continue;
        }
        for missing in (cache.watermark + 1).max(id - GAP_LIMIT)..id {
            if !cache.ahead.contains(&missing) {
                cache.gaps.insert(missing, now);
            }
        }
        cache.watermark = id;
        if cache.ahead.remove(&id) {
            continue;
        }
        cache
            .index
            .add_incident(*cluster_id, *category_id, title, body);
    }
    let watermark = cache.watermark;
    cache.ahead.retain(|&id| id > watermark);
}

impl Cache {
    /// The missing ids still worth reading again (forgetting those awaited too long).
    fn awaited(&mut self, now: Instant) -> Vec<i64> {
        self.gaps
            .retain(|_, since| now.saturating_duration_since(*since) < GAP_WAIT);
        self.gaps.keys().copied().take(GAP_LIMIT as usize).collect()
    }
}

pub fn current_version(conn: &mut DbConn) -> AppResult<i64> {
    Ok(settings::get(conn, VERSION_KEY)?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0))
}

/// Record a structural change; call inside the change's transaction. The increment is
/// one UPDATE, so concurrent changes from several processes each get their own number.
pub fn bump_version(conn: &mut DbConn) -> AppResult<i64> {
    settings::get_or_insert(conn, VERSION_KEY, "0")?;
    crate::db::versions::bump(conn, VERSION_KEY)?;
    current_version(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64) -> clusters::IndexedText {
        (id, 7, 1, format!("printer jam {id}"), String::new())
    }

    fn cache() -> Cache {
        Cache {
            index: ClusterIndex::new(),
            watermark: 0,
            version: 0,
            built: true,
            ahead: FxHashSet::default(),
            gaps: BTreeMap::new(),
        }
    }

    #[test]
    fn the_writers_committed_run_moves_the_watermark_only_without_a_gap() {
        let g = GroupingCache::new(0.5);
        g.lock().built = true;
        for id in 1..=3 {
            g.add_written(
                id,
                7,
                1,
                &IncidentTerms::of(&format!("printer jam {id}"), ""),
            );
        }
        g.committed([1, 2, 3]);
        {
            let mut c = g.lock();
            assert_eq!(c.watermark, 3);
            assert!(c.ahead.is_empty());
            // Read back by a refresh, they are not indexed twice.
            apply_rows(&mut c, &[row(1), row(2), row(3)], Instant::now());
            assert_eq!(c.index.incident_count(7), 3);
        }
        // 4 belongs to another process and has not committed: 5 and 6 wait behind it.
        for id in 5..=6 {
            g.add_written(
                id,
                7,
                1,
                &IncidentTerms::of(&format!("printer jam {id}"), ""),
            );
        }
        g.committed([5, 6]);
        let mut c = g.lock();
        assert_eq!(c.watermark, 3);
        apply_rows(&mut c, &[row(4), row(5), row(6)], Instant::now());
        assert_eq!(c.watermark, 6);
        assert_eq!(
            c.index.incident_count(7),
            6,
            "4 added once, 5 and 6 not again"
        );
    }

    #[test]
    fn ids_a_later_commit_jumps_over_are_indexed_when_they_come() {
        let mut c = cache();
        let t0 = Instant::now();
        // Our own 2 is indexed as written; another process commits 5 before 3 and 4.
        c.index.add_incident(7, 1, "printer jam 2", "");
        c.ahead.insert(2);
        apply_rows(&mut c, &[row(1), row(5)], t0);
        assert_eq!(c.watermark, 5);
        assert_eq!(c.index.incident_count(7), 3);
        assert_eq!(c.awaited(t0), vec![3, 4]);
        // 3 commits and is read again: indexed once, however often it is seen.
        apply_rows(&mut c, &[row(3)], t0);
        apply_rows(&mut c, &[row(3), row(2)], t0);
        assert_eq!(c.index.incident_count(7), 4);
        assert_eq!(c.awaited(t0), vec![4]);
        // 4 never comes (rolled back, or withdrawn): forgotten after a while.
        assert_eq!(c.awaited(t0 + GAP_WAIT / 2), vec![4]);
        assert!(c.awaited(t0 + GAP_WAIT).is_empty());
    }

    #[test]
    fn a_long_jump_awaits_only_the_ids_just_below() {
        let mut c = cache();
        let t0 = Instant::now();
        apply_rows(&mut c, &[row(1), row(1 + 10 * GAP_LIMIT)], t0);
        let awaited = c.awaited(t0);
        assert_eq!(awaited.len(), GAP_LIMIT as usize);
        assert_eq!(awaited[0], 1 + 9 * GAP_LIMIT);
    }
}
