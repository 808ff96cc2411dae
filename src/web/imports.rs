//! The import page, for leads and admins: a spreadsheet uploaded, every row checked and
//! its columns shown as detected (each can be mapped again), its first rows as they
//! will be filed, then imported all or nothing; bad rows listed, with a CSV of them to
//! fix and upload again; past imports, each of which can be withdrawn. A check and an
//! import both run in the background (`import::Running`): the request that starts one
//! answers at once with its page, `/import/jobs/{id}`, which shows how far it has come,
//! then the check's report or the import's outcome.

use super::session::{CsrfForm, PageCtx, Signed, csrf_matches};
use super::{ok, see_other};
use crate::app_state::AppState;
use crate::csrf_form;
use crate::domain::role::Role;
use crate::error::{AppError, AppResult};
use crate::service;
use crate::service::import::{
    self, Field, ImportJob, ImportView, JobState, Options, Phase, Report, Upload,
};
use crate::web::format::local_datetime;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono_tz::Tz;
use futures_util::StreamExt;
use serde::Deserialize;
use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/import", web::get().to(page))
        .route("/import/check", web::post().to(upload))
        .route("/import/run", web::post().to(run))
        .route("/import/jobs/{id}", web::get().to(job))
        .route("/import/jobs/{id}/stop", web::post().to(stop))
        .route("/import/{id}/withdraw", web::post().to(withdraw));
}

/// Rows shown as they will be filed.
const PREVIEW: usize = 5;

#[derive(Template)]
#[template(path = "import/index.html")]
struct ImportPage {
    page: PageCtx,
    imports: Vec<ImportView>,
    tz: Tz,
}

impl ImportPage {
    fn when(&self, at: &chrono::DateTime<chrono::Utc>) -> String {
        local_datetime(*at, self.tz)
    }
}

#[derive(Template)]
#[template(path = "import/check.html")]
struct CheckPage {
    page: PageCtx,
    upload: String,
    file_name: String,
    unknown_reporters_as: String,
    report: Report,
    /// The bad rows as a CSV, for a download link.
    bad_csv: String,
}

impl CheckPage {
    fn fields(&self) -> [Field; 10] {
        Field::ALL
    }

    /// Whether column `column` (as the template's loop hands it over) is read as `field`.
    fn mapped(&self, column: &&usize, field: &Field) -> bool {
        self.report.fields.get(**column).copied().flatten() == Some(*field)
    }

    fn field_name(&self, field: &Field) -> String {
        self.page.t_in("import.field", field.as_str())
    }

    fn reason(&self, key: &str) -> String {
        self.page.t(key)
    }
}

async fn page(state: web::Data<AppState>, user: Signed) -> AppResult<HttpResponse> {
    let actor = user.actor.clone();
    let imports = service::run(&state.pool, move |conn| import::list(conn, &actor)).await?;
    let tz = user.known.timezone;
    ok(&ImportPage {
        page: user.page,
        imports,
        tz,
    })
}

/// Where an upload waits between its check and its import: named by its uploader and a
/// random id, so that no one reaches another's file.
fn upload_path(actor_id: i64, upload: &str) -> AppResult<PathBuf> {
    if upload.len() != 32 || !upload.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AppError::NotFound);
    }
    let dir = std::env::temp_dir().join("rungs-imports");
    std::fs::create_dir_all(&dir).map_err(AppError::internal)?;
    Ok(dir.join(format!("{actor_id}-{upload}.csv")))
}

/// Uploads checked but never imported are kept a day, then removed.
fn forget_old_uploads() {
    let day = std::time::Duration::from_secs(24 * 3600);
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir().join("rungs-imports")) else {
        return;
    };
    for entry in entries.flatten() {
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > day);
        if old {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// The upload (multipart: the CSRF token first, then the file), written to disk as it
/// arrives; its check starts, and its page follows it.
async fn upload(
    state: web::Data<AppState>,
    user: Signed,
    mut form: actix_multipart::Multipart,
) -> AppResult<HttpResponse> {
    user.actor.require(Role::Lead)?;
    forget_old_uploads();
    let upload = hex::encode(rand::random::<[u8; 16]>());
    let path = upload_path(user.actor.id, &upload)?;
    let (mut csrf, mut unknown, mut file_name) = (String::new(), String::new(), None);
    while let Some(field) = form.next().await {
        let mut field = field.map_err(|e| AppError::BadRequest(e.to_string()))?;
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            if !csrf_matches(&user.session, &csrf) {
                return Err(AppError::Csrf);
            }
            let named = field
                .content_disposition()
                .and_then(|d| d.get_filename())
                .unwrap_or("upload.csv")
                .to_string();
            let mut out = std::fs::File::create(&path).map_err(AppError::internal)?;
            while let Some(chunk) = field.next().await {
                let chunk = chunk.map_err(|e| AppError::BadRequest(e.to_string()))?;
                out.write_all(&chunk).map_err(AppError::internal)?;
            }
            file_name = Some(named);
            continue;
        }
        let mut value = Vec::new();
        while let Some(chunk) = field.next().await {
            value.extend_from_slice(&chunk.map_err(|e| AppError::BadRequest(e.to_string()))?);
            if value.len() > 1000 {
                return Err(AppError::PayloadTooLarge);
            }
        }
        let value = String::from_utf8_lossy(&value).trim().to_string();
        match name.as_str() {
            "csrf_token" => csrf = value,
            "unknown_reporters_as" => unknown = value,
            _ => {}
        }
    }
    if !csrf_matches(&user.session, &csrf) {
        return Err(AppError::Csrf);
    }
    let Some(file_name) = file_name else {
        return Err(AppError::field("file", "error.required"));
    };
    let options = Options {
        file_name,
        dry_run: true,
        unknown_reporters_as: Some(unknown).filter(|u| !u.is_empty()),
        overrides: Vec::new(),
        preview: PREVIEW,
    };
    started(&state, &user, upload, options)
}

#[derive(Deserialize)]
pub struct RunForm {
    csrf_token: String,
    upload: String,
    #[serde(default)]
    file_name: String,
    #[serde(default)]
    unknown_reporters_as: String,
    /// Set by "check again": the mapping checked, nothing written.
    #[serde(default)]
    dry_run: String,
    /// `col_N` (the header) and `map_N` (its field, empty: not read) per column.
    #[serde(flatten)]
    columns: HashMap<String, String>,
}

#[derive(Deserialize)]
pub struct PlainForm {
    csrf_token: String,
}

csrf_form!(RunForm, PlainForm);

async fn run(
    state: web::Data<AppState>,
    user: Signed,
    CsrfForm(form): CsrfForm<RunForm>,
) -> AppResult<HttpResponse> {
    user.actor.require(Role::Lead)?;
    let overrides = (0..form.columns.len())
        .map_while(|i| {
            let header = form.columns.get(&format!("col_{i}"))?;
            let field = form
                .columns
                .get(&format!("map_{i}"))
                .and_then(|f| Field::parse(f));
            Some((header.clone(), field))
        })
        .collect();
    let options = Options {
        file_name: form.file_name,
        dry_run: !form.dry_run.is_empty(),
        unknown_reporters_as: Some(form.unknown_reporters_as).filter(|u| !u.trim().is_empty()),
        overrides,
        preview: PREVIEW,
    };
    started(&state, &user, form.upload, options)
}

/// Start checking (`options.dry_run`) or importing the upload in the background; to its
/// page, which follows it.
fn started(
    state: &AppState,
    user: &Signed,
    upload: String,
    options: Options,
) -> AppResult<HttpResponse> {
    let path = upload_path(user.actor.id, &upload)?;
    if !path.exists() {
        return Err(AppError::NotFound);
    }
    let id = state.imports.start(
        state.pool.clone(),
        state.grouping.clone(),
        user.actor.clone(),
        Upload { id: upload, path },
        options,
    )?;
    Ok(see_other(&format!("/import/jobs/{id}")))
}

#[derive(Template)]
#[template(path = "import/job.html")]
struct JobPage {
    page: PageCtx,
    job: ImportJob,
}

impl JobPage {
    fn running(&self) -> bool {
        matches!(self.job.state, JobState::Running)
    }

    fn phase_key(&self) -> &'static str {
        match self.job.progress.map(|p| p.phase) {
            Some(Phase::Filing) => "import.job.filing",
            _ => "import.job.checking",
        }
    }

    fn rows_label(&self) -> String {
        self.page.t(match self.job.progress.map(|p| p.phase) {
            Some(Phase::Filing) => "import.job.rows_written",
            _ => "import.job.rows_checked",
        })
    }

    fn rows_done(&self) -> String {
        match self.job.progress {
            Some(p) => match p.total_rows {
                Some(total) => format!("{} / {total}", p.rows),
                None => p.rows.to_string(),
            },
            None => "0".into(),
        }
    }

    fn rate(&self) -> String {
        self.page.t_with(
            "import.job.per_second",
            &[("n", format!("{:.0}", self.job.rate).as_str())],
        )
    }

    fn left(&self) -> String {
        match self.job.seconds_left {
            Some(s) => format!("{} s", s),
            None => "—".into(),
        }
    }

    fn imported(&self, id: &i64) -> String {
        let rows = self
            .job
            .progress
            .map(|p| p.rows)
            .unwrap_or_default()
            .to_string();
        self.page.t_with(
            "import.job.imported",
            &[
                ("id", id.to_string().as_str()),
                ("rows", rows.as_str()),
                ("seconds", self.job.seconds.to_string().as_str()),
            ],
        )
    }
}

/// How a running check or import is doing; the page refreshes itself until it is done,
/// then shows the check's report (the mapping, the preview, any bad rows) or the
/// import's outcome. Changes nothing.
async fn job(
    state: web::Data<AppState>,
    user: Signed,
    path: web::Path<u64>,
) -> AppResult<HttpResponse> {
    let job = state.imports.view(&user.actor, path.into_inner())?;
    let JobState::Checked(report) = job.state else {
        return ok(&JobPage {
            page: user.page,
            job,
        });
    };
    let csv = import::bad_rows_csv(&report.bad, user.page.lang)?;
    let bad_csv = format!(
        "data:text/csv;charset=utf-8,{}",
        urlencoding::encode(&String::from_utf8_lossy(&csv))
    );
    ok(&CheckPage {
        page: user.page,
        upload: job.upload,
        file_name: job.options.file_name,
        unknown_reporters_as: job.options.unknown_reporters_as.unwrap_or_default(),
        report: *report,
        bad_csv,
    })
}

/// Stop a running import: its transaction rolls back, nothing is written.
async fn stop(
    state: web::Data<AppState>,
    user: Signed,
    path: web::Path<u64>,
    CsrfForm(_form): CsrfForm<PlainForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    state.imports.stop(&user.actor, id)?;
    Ok(see_other(&format!("/import/jobs/{id}")))
}

async fn withdraw(
    state: web::Data<AppState>,
    user: Signed,
    path: web::Path<i64>,
    CsrfForm(_form): CsrfForm<PlainForm>,
) -> AppResult<HttpResponse> {
    let (actor, id) = (user.actor.clone(), path.into_inner());
    service::run(&state.pool, move |conn| import::withdraw(conn, &actor, id)).await?;
    Ok(see_other("/import"))
}
