//! GET /api/v1/clusters?week= (the weekly comparison) and
//! GET /api/v1/clusters/{id}/drivers?week=&baseline= (what drove a cluster's change).

use super::auth::ApiUser;
use crate::app_state::AppState;
use crate::domain::comparison::Comparison;
use crate::domain::role::Role;
use crate::error::{ApiResult, AppError};
use crate::service::drivers::Baseline;
use crate::service::review::{self, CategoryLine, ReviewRow, WeekFigures};
use crate::service::{self, catalog::Catalog};
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/clusters", web::get().to(list))
        .route("/clusters/{id}/drivers", web::get().to(drivers));
}

#[derive(Deserialize)]
pub struct WeekQuery {
    week: Option<String>,
    #[serde(default)]
    baseline: String,
}

/// The contract's comparison fields, and a few more.
fn comparison(c: &Comparison) -> Value {
    json!({
        "this_week": c.this_week,
        "last_week": c.last_week,
        "same_week_last_year": c.same_week_last_year,
        "baseline_mean": c.baseline_mean,
        "delta": c.delta,
        "percent_change": c.percent,
        "p_value": c.p_value,
        "baseline_p_value": c.baseline_p_value,
        "q_value": c.q_value,
        "reading": c.reading,
    })
}

fn merged(mut a: Value, b: Value) -> Value {
    if let (Some(a), Value::Object(b)) = (a.as_object_mut(), b) {
        a.extend(b);
    }
    a
}

fn category_json(line: &CategoryLine, catalog: &Catalog) -> Value {
    let slug = catalog.category(line.category_id).map(|c| c.slug.clone());
    let mut flags = vec![];
    if line.cmp.spike {
        flags.push("spike");
    }
    merged(
        json!({"category": slug, "flags": flags, "series": line.series}),
        comparison(&line.cmp),
    )
}

fn cluster_json(row: &ReviewRow, catalog: &Catalog) -> Value {
    let slug = catalog
        .category(row.cluster.category_id)
        .map(|c| c.slug.clone());
    merged(
        json!({
            "id": row.cluster.id,
            "title": row.cluster.title,
            "category": slug,
            "flags": row.flags(),
            "rung": row.cluster.rung,
            "state": row.cluster.state,
            "confirmed": row.cluster.confirmed,
            "owner": row.cluster.owner,
            "distinct_refs": row.line.distinct_refs,
            "series": row.line.series,
        }),
        comparison(&row.line.cmp),
    )
}

fn week_json(figures: &WeekFigures, rows: &[ReviewRow], catalog: &Catalog) -> Value {
    json!({
        "week": figures.week,
        "previous_week": figures.previous_week,
        "same_week_last_year": figures.same_week_last_year,
        "series_weeks": figures.series_weeks,
        "clusters": rows.iter().map(|r| cluster_json(r, catalog)).collect::<Vec<_>>(),
        "categories": figures.categories.iter().map(|c| category_json(c, catalog)).collect::<Vec<_>>(),
        "team": merged(json!({"series": figures.team.series}), comparison(&figures.team.cmp)),
    })
}

/// The week across every cluster is the weekly review's, and like its page it is for
/// leads and admins (a single cluster, its drivers and coach are for everyone signed in).
async fn list(
    state: web::Data<AppState>,
    user: ApiUser,
    query: web::Query<WeekQuery>,
) -> ApiResult<HttpResponse> {
    user.0.require(Role::Lead)?;
    let cache = state.review.clone();
    let body = service::run(&state.pool, move |conn| {
        let week = review::week_or_default(conn, query.week.as_deref())?;
        let figures = review::figures(conn, &cache, week)?;
        let lines: Vec<_> = figures.clusters.iter().collect();
        let rows = review::rows(conn, &lines)?;
        Ok(week_json(&figures, &rows, &Catalog::load(conn)?))
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}

async fn drivers(
    state: web::Data<AppState>,
    _user: ApiUser,
    path: web::Path<String>,
    query: web::Query<WeekQuery>,
) -> ApiResult<HttpResponse> {
    let id: i64 = path.parse().map_err(|_| AppError::NotFound)?;
    let baseline = Baseline::parse(&query.baseline)
        .ok_or_else(|| AppError::field("baseline", "review.bad_baseline"))?;
    let cache = state.review.clone();
    let found = service::run(&state.pool, move |conn| {
        let week = review::week_or_default(conn, query.week.as_deref())?;
        service::drivers::view_cached(conn, &cache, id, week, baseline)
    })
    .await?;
    match found {
        Ok(view) => Ok(HttpResponse::Ok().json(view.to_json())),
        // A merged cluster's drivers live on in its survivor.
        Err(into) => Ok(HttpResponse::PermanentRedirect()
            .insert_header((
                actix_web::http::header::LOCATION,
                format!("/api/v1/clusters/{into}/drivers"),
            ))
            .json(json!({ "merged_into": into }))),
    }
}
