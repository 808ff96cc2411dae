//! Error pages inside the layout: a refused or failed request answers a whole page in the
//! reader's language, with the navigation, what went wrong and where to go next. The
//! bilingual page of `error.rs` stays for answers that no page extractor saw.

use super::session::{PageCtx, request_lang};
use crate::error::AppError;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "problem.html")]
struct ProblemPage {
    page: PageCtx,
    status: u16,
    title: String,
    message: String,
    /// What to do next, when the error has a known way on (a message key).
    hint: Option<&'static str>,
    /// Links onward: (href, label).
    links: Vec<(String, String)>,
}

/// Re-renders a page's `AppError` answer inside the layout. JSON answers (`ApiError`),
/// redirects and answers that are not errors pass unchanged.
pub async fn in_layout(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let res = next.call(req).await?.map_into_boxed_body();
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return Ok(res);
    }
    let Some(body) = res
        .response()
        .error()
        .and_then(|e| e.as_error::<AppError>())
        .map(|e| render(res.request(), e))
    else {
        return Ok(res);
    };
    let Some(body) = body else {
        return Ok(res);
    };
    let mut page = HttpResponse::build(status);
    page.content_type("text/html; charset=utf-8");
    if let Some(retry) = res.headers().get(header::RETRY_AFTER) {
        page.insert_header((header::RETRY_AFTER, retry.clone()));
    }
    Ok(res.into_response(page.body(body)))
}

fn render(req: &HttpRequest, error: &AppError) -> Option<String> {
    let page = req
        .extensions()
        .get::<PageCtx>()
        .cloned()
        .unwrap_or_else(|| PageCtx {
            lang: request_lang(req, None),
            csrf: String::new(),
            user: None,
            path: req.path().to_string(),
            flash: None,
        });
    let lang = page.lang;
    let status = error.status();
    let title = lang.t(&format!("problem.title_{}", status.as_u16()));
    let title = if title.starts_with("problem.") {
        status.canonical_reason().unwrap_or("").to_string()
    } else {
        title
    };
    let (hint, links) = onward(req, error, &page);
    ProblemPage {
        status: status.as_u16(),
        title,
        message: error.message_in(lang),
        hint,
        links,
        page,
    }
    .render()
    .ok()
}

/// Where a reader goes from here: the page the form was on, and for some errors the page
/// that resolves them.
fn onward(
    req: &HttpRequest,
    error: &AppError,
    page: &PageCtx,
) -> (Option<&'static str>, Vec<(String, String)>) {
    let mut links = Vec::new();
    let mut hint = None;
    let path = req.path();
    match error {
        AppError::Conflict("conflict.policy_unsigned") => {
            hint = Some("problem.hint_policy_unsigned");
            if let Some(action) = owner_page(path) {
                links.push((format!("{action}#signoffs"), page.t("problem.to_signoffs")));
            }
        }
        // A GET whose query does not parse (a week that does not exist): the same page
        // without it shows the current state.
        AppError::Invalid(fields) if req.method() == Method::GET => {
            let label = if fields.get("week").is_some() {
                "problem.current_week"
            } else {
                "problem.plain_page"
            };
            links.push((path.to_string(), page.t(label)));
        }
        _ => {}
    }
    // The page the request came from (a form's page), else the page a form belongs to.
    let back = referer_path(req).or_else(|| {
        (req.method() == Method::POST)
            .then(|| owner_page(path))
            .flatten()
    });
    if let Some(back) = back.filter(|b| b.as_str() != path || req.method() != Method::GET) {
        links.push((back, page.t("problem.back")));
    }
    if page.user.is_some() {
        links.push(("/".into(), page.t("problem.home")));
    } else {
        links.push(("/login".into(), page.t("problem.sign_in")));
    }
    links.dedup_by(|a, b| a.0 == b.0);
    (hint, links)
}

/// `/actions/7/advance` → `/actions/7`: the page a form posts from.
fn owner_page(path: &str) -> Option<String> {
    let (page, _verb) = path.rsplit_once('/')?;
    (page.len() > 1).then(|| page.to_string())
}

/// The path of a same-site `Referer`, when it is a local page.
fn referer_path(req: &HttpRequest) -> Option<String> {
    let referer = req.headers().get(header::REFERER)?.to_str().ok()?;
    let host = req.connection_info().host().to_string();
    let rest = referer
        .strip_prefix("http://")
        .or_else(|| referer.strip_prefix("https://"))?;
    let local = rest.strip_prefix(host.as_str())?;
    let local = if local.is_empty() { "/" } else { local };
    (super::safe_next(Some(local)) == local).then(|| local.to_string())
}

#[cfg(test)]
mod tests {
    use super::owner_page;

    #[test]
    fn a_form_belongs_to_the_page_above_it() {
        assert_eq!(
            owner_page("/actions/7/advance").as_deref(),
            Some("/actions/7")
        );
        assert_eq!(
            owner_page("/clusters/3/merge").as_deref(),
            Some("/clusters/3")
        );
        assert_eq!(owner_page("/review"), None);
    }
}
