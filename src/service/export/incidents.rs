//! Incidents out: as CSV in the importer's columns, or as JSON in the API's shape.

use super::{Format, JsonArray, PAGE};
use crate::db::{DbConn, incidents, users};
use crate::error::{AppError, AppResult};
use crate::service::catalog::Catalog;
use crate::service::incidents::{Filters, IncidentFilter, IncidentRow, to_view};
use rustc_hash::FxHashMap;
use std::io::Write;

/// The CSV's columns: those `rungs import` reads, then the incident's id, cluster and
/// week.
const HEADERS: [&str; 13] = [
    "id",
    "title",
    "body",
    "category",
    "occurred_at",
    "department",
    "counterpart",
    "reporter",
    "tags",
    "external_ref",
    "status",
    "cluster_id",
    "week",
];

/// The filter resolved and the names the rows are written with.
pub(super) struct Prepared {
    catalog: Catalog,
    filter: IncidentFilter,
    /// Each person's login and display name.
    people: FxHashMap<i64, (String, String)>,
}

impl Prepared {
    pub(super) fn load(conn: &mut DbConn, catalog: Catalog, filters: &Filters) -> AppResult<Self> {
        let filter = filters.resolve(&catalog, None)?;
        let people = users::list(conn)?
            .into_iter()
            .map(|u| (u.id, (u.login, u.display_name)))
            .collect();
        Ok(Self {
            catalog,
            filter,
            people,
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

    /// Every incident the filter lets through, oldest id first, a page at a time.
    fn each(
        &self,
        conn: &mut DbConn,
        mut row: impl FnMut(IncidentRow) -> AppResult<()>,
    ) -> AppResult<()> {
        let mut after = 0;
        loop {
            let rows = incidents::page_after(conn, &self.filter, after, PAGE)?;
            let Some(last) = rows.last() else {
                return Ok(());
            };
            after = last.id;
            rows.into_iter().try_for_each(&mut row)?;
        }
    }

    fn login(&self, id: i64) -> &str {
        self.people.get(&id).map_or("", |(login, _)| login)
    }

    fn csv<W: Write>(&self, conn: &mut DbConn, mut out: W) -> AppResult<W> {
        out.write_all(b"\xef\xbb\xbf").map_err(AppError::internal)?;
        let mut out = csv::Writer::from_writer(out);
        out.write_record(HEADERS).map_err(AppError::internal)?;
        let catalog = &self.catalog;
        self.each(conn, |r| {
            let category = catalog.category(r.category_id).map(|c| c.slug.as_str());
            out.write_record([
                r.id.to_string().as_str(),
                &r.title,
                &r.body,
                category.unwrap_or_default(),
                &r.occurred_at
                    .and_utc()
                    .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
                catalog.department_slug(r.department_id).unwrap_or_default(),
                catalog
                    .department_slug(r.counterpart_id)
                    .unwrap_or_default(),
                self.login(r.reporter_id),
                &r.tags,
                r.external_ref.as_deref().unwrap_or_default(),
                r.status.as_str(),
                &r.cluster_id.map(|c| c.to_string()).unwrap_or_default(),
                &r.week_key,
            ])
            .map_err(AppError::internal)
        })?;
        out.into_inner()
            .map_err(|e| AppError::internal(e.into_error()))
    }

    fn json<W: Write>(&self, conn: &mut DbConn, out: W) -> AppResult<W> {
        let mut array = JsonArray::start(out)?;
        self.each(conn, |r| {
            let (login, name) = self.people.get(&r.reporter_id).cloned().unwrap_or_default();
            array.push(&to_view(r, &self.catalog, login, name))
        })?;
        array.finish()
    }
}
