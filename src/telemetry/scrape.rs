//! `GET /metrics`: the Prometheus text format, for a token or for allowed addresses only.

use crate::app_state::AppState;
use crate::client_address::TrustedProxies;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use sha2::{Digest, Sha256};
use std::net::IpAddr;

/// Who may read `/metrics` (`--metrics-token`, `--metrics-allow`). With neither, only
/// this machine (loopback) may: the figures name routes and volumes.
#[derive(Debug, Clone, Default)]
pub struct MetricsAccess {
    pub token: Option<String>,
    pub allow: Vec<IpAddr>,
}

impl MetricsAccess {
    /// Whether a scrape from `peer` with `bearer` may read. A token and a list must both
    /// pass when both are set. The peer is the client's address (`TrustedProxies`): a
    /// request a trusted proxy forwards from elsewhere is not taken for this machine's.
    pub fn admits(&self, peer: Option<IpAddr>, bearer: Option<&str>) -> bool {
        let token_ok = match &self.token {
            // Compared as digests, so the time taken does not tell how much matched.
            Some(token) => bearer
                .is_some_and(|b| Sha256::digest(b.as_bytes()) == Sha256::digest(token.as_bytes())),
            None => true,
        };
        let address_ok = match (self.allow.is_empty(), peer) {
            (false, Some(ip)) => self.allow.contains(&ip),
            (false, None) => false,
            (true, _) if self.token.is_some() => true,
            (true, Some(ip)) => ip.is_loopback(),
            (true, None) => false,
        };
        token_ok && address_ok
    }
}

/// Parse `--metrics-allow`: addresses separated by commas.
pub fn parse_allow(list: &str) -> Result<Vec<IpAddr>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse()
                .map_err(|_| format!("--metrics-allow: {s:?} is not an IP address"))
        })
        .collect()
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/metrics", web::get().to(metrics));
}

async fn metrics(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: web::Data<MetricsAccess>,
    proxies: web::Data<TrustedProxies>,
) -> HttpResponse {
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if !access.admits(proxies.of_request(&req), bearer) {
        return HttpResponse::Forbidden()
            .content_type("text/plain; charset=utf-8")
            .body("metrics are readable with --metrics-token or from --metrics-allow addresses\n");
    }
    match super::metrics::render(&state.pool) {
        Ok(text) => HttpResponse::Ok()
            .content_type("text/plain; version=0.0.4; charset=utf-8")
            .body(text),
        Err(e) => {
            tracing::error!(error = %e, "rendering the metrics failed");
            HttpResponse::InternalServerError().finish()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_settings_only_loopback_reads() {
        let open = MetricsAccess::default();
        assert!(open.admits(Some("127.0.0.1".parse().unwrap()), None));
        assert!(!open.admits(Some("10.0.0.5".parse().unwrap()), None));
        assert!(!open.admits(None, None));
    }

    #[test]
    fn a_token_and_a_list_must_both_pass() {
        let both = MetricsAccess {
            token: Some("s3cret".into()),
            allow: parse_allow("10.0.0.5, ::1").unwrap(),
        };
        let ip = Some("10.0.0.5".parse().unwrap());
        assert!(both.admits(ip, Some("s3cret")));
        assert!(!both.admits(ip, Some("s3cre")));
        assert!(!both.admits(ip, None));
        assert!(!both.admits(Some("10.0.0.6".parse().unwrap()), Some("s3cret")));
        let token_only = MetricsAccess {
            token: Some("s3cret".into()),
            allow: vec![],
        };
        assert!(token_only.admits(Some("10.9.9.9".parse().unwrap()), Some("s3cret")));
        assert!(parse_allow("10.0.0.x").is_err());
    }
}
