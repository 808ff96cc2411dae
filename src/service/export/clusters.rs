//! Clusters out with their weekly figures: as CSV a row per cluster and week (ready for
//! a pivot table), as JSON each cluster with its weeks.

use super::{Format, JsonArray, PAGE};
use crate::db::DbConn;
use crate::db::clusters::{self as db_clusters, ClusterRow};
use crate::domain::ladder::Rung;
use crate::domain::states::ClusterState;
use crate::error::{AppError, AppResult};
use crate::service::catalog::Catalog;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::io::Write;

const HEADERS: [&str; 12] = [
    "cluster_id",
    "title",
    "category",
    "state",
    "rung",
    "confirmed",
    "dismissed",
    "incidents",
    "last_incident_at",
    "week",
    "week_incidents",
    "week_refs",
];

/// One week of a cluster: its incidents and their distinct order numbers.
#[derive(Debug, Serialize)]
struct Week {
    week: String,
    incidents: i32,
    refs: i32,
}

/// A cluster as the JSON export writes it.
#[derive(Debug, Serialize)]
struct ClusterOut<'a> {
    id: i64,
    title: &'a str,
    summary: &'a str,
    category: &'a str,
    state: ClusterState,
    rung: Rung,
    confirmed: bool,
    dismissed: bool,
    incidents: i32,
    last_incident_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    weeks: Vec<Week>,
}

pub(super) struct Prepared {
    catalog: Catalog,
    category_id: Option<i64>,
}

impl Prepared {
    pub(super) fn load(catalog: Catalog, category: &str) -> AppResult<Self> {
        let category = category.trim();
        let category_id = match category {
            "" => None,
            slug => Some(
                catalog
                    .category_by_slug(slug)
                    .ok_or_else(|| AppError::field("category", "error.unknown_category"))?
                    .id,
            ),
        };
        Ok(Self {
            catalog,
            category_id,
        })
    }

    pub(super) fn write<W: Write>(
        &self,
        conn: &mut DbConn,
        format: Format,
        out: W,
    ) -> AppResult<W> {
        match format {
            Format::Csv => self.csv(conn, out),
            Format::Json => self.json(conn, out),
        }
    }

    /// Every live cluster with its weeks, oldest first, a page of clusters at a time.
    fn each(
        &self,
        conn: &mut DbConn,
        mut cluster: impl FnMut(&ClusterRow, Vec<Week>) -> AppResult<()>,
    ) -> AppResult<()> {
        let mut after = 0;
        loop {
            let rows = db_clusters::live_after(conn, self.category_id, after, PAGE)?;
            let Some(last) = rows.last() else {
                return Ok(());
            };
            after = last.id;
            let ids: Vec<i64> = rows.iter().map(|c| c.id).collect();
            let mut weeks = db_clusters::weeks_of(conn, &ids)?.into_iter().peekable();
            for row in &rows {
                let mut own = Vec::new();
                while let Some((_, week, incidents, refs)) = weeks.next_if(|(id, ..)| *id == row.id)
                {
                    own.push(Week {
                        week,
                        incidents,
                        refs,
                    });
                }
                cluster(row, own)?;
            }
        }
    }

    fn category(&self, id: i64) -> &str {
        self.catalog.category(id).map_or("", |c| c.slug.as_str())
    }

    fn csv<W: Write>(&self, conn: &mut DbConn, mut out: W) -> AppResult<W> {
        out.write_all(b"\xef\xbb\xbf").map_err(AppError::internal)?;
        let mut out = csv::Writer::from_writer(out);
        out.write_record(HEADERS).map_err(AppError::internal)?;
        self.each(conn, |c, weeks| {
            let last = c.last_incident_at.map(|at| {
                at.and_utc()
                    .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
            });
            let cluster = [
                c.id.to_string(),
                c.title.clone(),
                self.category(c.category_id).to_string(),
                c.state.as_str().to_string(),
                c.rung.to_string(),
                c.confirmed.to_string(),
                c.dismissed.to_string(),
                c.incident_count.to_string(),
                last.unwrap_or_default(),
            ];
            // A cluster with no week left (every incident withdrawn) still has its row.
            let weeks = if weeks.is_empty() {
                vec![None]
            } else {
                weeks.into_iter().map(Some).collect()
            };
            for week in weeks {
                let figures = match week {
                    Some(w) => [w.week, w.incidents.to_string(), w.refs.to_string()],
                    None => Default::default(),
                };
                out.write_record(cluster.iter().chain(&figures))
                    .map_err(AppError::internal)?;
            }
            Ok(())
        })?;
        out.into_inner()
            .map_err(|e| AppError::internal(e.into_error()))
    }

    fn json<W: Write>(&self, conn: &mut DbConn, out: W) -> AppResult<W> {
        let mut array = JsonArray::start(out)?;
        self.each(conn, |c, weeks| {
            array.push(&ClusterOut {
                id: c.id,
                title: &c.title,
                summary: &c.summary,
                category: self.category(c.category_id),
                state: c.state,
                rung: c.rung,
                confirmed: c.confirmed,
                dismissed: c.dismissed,
                incidents: c.incident_count,
                last_incident_at: c.last_incident_at.map(|at| at.and_utc()),
                created_at: c.created_at.and_utc(),
                weeks,
            })
        })?;
        array.finish()
    }
}
