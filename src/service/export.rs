//! Incidents out as CSV: UTF-8 with a byte-order mark (so Excel opens it as UTF-8), the
//! columns named as the importer reads them, so an export imports again as it was.

use crate::db::{DbConn, incidents, users};
use crate::error::{AppError, AppResult};
use crate::service::accounts::Actor;
use crate::service::catalog::Catalog;
use rustc_hash::FxHashMap;

/// Incidents read from the database at a time.
const PAGE: i64 = 1000;

/// Every incident, oldest id first, with every field, its status and its cluster.
pub fn incidents_csv(conn: &mut DbConn, reader: &Actor) -> AppResult<Vec<u8>> {
    // Every incident of every team, with who reported it: for leads and admins.
    reader.require(crate::domain::role::Role::Lead)?;
    let catalog = Catalog::load(conn)?;
    let logins: FxHashMap<i64, String> = users::list(conn)?
        .into_iter()
        .map(|u| (u.id, u.login))
        .collect();
    let mut out = csv::Writer::from_writer(b"\xef\xbb\xbf".to_vec());
    out.write_record([
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
    ])
    .map_err(AppError::internal)?;
    let mut after = 0;
    loop {
        let rows = incidents::page_after(conn, after, PAGE)?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        for r in rows {
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
                logins
                    .get(&r.reporter_id)
                    .map(String::as_str)
                    .unwrap_or_default(),
                &r.tags,
                r.external_ref.as_deref().unwrap_or_default(),
                r.status.as_str(),
                &r.cluster_id.map(|c| c.to_string()).unwrap_or_default(),
                &r.week_key,
            ])
            .map_err(AppError::internal)?;
        }
    }
    out.into_inner().map_err(AppError::internal)
}
