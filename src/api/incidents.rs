//! POST /api/v1/incidents and GET /api/v1/incidents/{id}.

use super::auth::{ApiUser, BearerToken};
use super::body::Fields;
use crate::app_state::AppState;
use crate::db::versions;
use crate::error::{ApiResult, AppError};
use crate::service::{self, intake::Filer, intake::RawIncident};
use actix_web::{HttpResponse, web};
use serde_json::{Value, json};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/incidents", web::post().to(file))
        .route("/incidents/{id}", web::get().to(get));
}

/// Reads a filing's JSON body into its raw fields: a body that is not an object is a
/// `BadRequest`, a wrong or unknown field an `Invalid` with a message per field. The
/// values themselves are checked when the incident is filed. Public for the fuzz targets.
pub fn parse(body: Value) -> Result<RawIncident, AppError> {
    let mut f = Fields::new(body)?;
    let raw = RawIncident {
        title: f.string("title", true),
        body: f.string("body", false),
        category: f.string("category", true),
        occurred_at: f.string("occurred_at", false),
        department: f.string("department", false),
        counterpart: f.string("counterpart", false),
        tags: f.string_list("tags"),
        external_ref: f.string("external_ref", false),
    };
    f.finish()?;
    Ok(raw)
}

/// The filing goes to the intake, which checks the token and every field in the
/// transaction that writes it, and answers after the commit. A body that cannot be read
/// is told only to a known token.
async fn file(
    state: web::Data<AppState>,
    token: BearerToken,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    let Some(secret) = token.0.clone() else {
        return Err(AppError::Unauthorized.into());
    };
    let raw = match parse(body.into_inner()) {
        Ok(raw) => raw,
        Err(e) => {
            let directory = state.directory.clone();
            service::run(&state.pool, move |conn| {
                let versions = versions::read(conn)?;
                token.authenticate(conn, &directory, &versions)
            })
            .await?;
            return Err(e.into());
        }
    };
    let filed = state.intake.file(Filer::Token(secret), raw).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/incidents/{}", filed.id),
        ))
        .json(json!({
            "id": filed.id,
            "cluster_id": filed.cluster_id,
            "joined": filed.joined,
            "week": filed.week,
            "local_hour": filed.local_hour,
            "suggestions": filed.suggestions,
        })))
}

async fn get(
    state: web::Data<AppState>,
    _user: ApiUser,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id: i64 = path.parse().map_err(|_| AppError::NotFound)?;
    let view = service::run(&state.pool, move |conn| service::incidents::view(conn, id)).await?;
    Ok(HttpResponse::Ok().json(view))
}
