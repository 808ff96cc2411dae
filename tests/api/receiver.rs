//! A webhook receiver inside the test (a TcpListener on a free port) that records each
//! request, answers 500 to the first few, and checks signatures as a real receiver would.

use crate::helpers::TestApp;
use hmac::{Hmac, Mac};
use rungs::service::accounts::Actor;
use sha2::Sha256;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub const SECRET: &str = "a-shared-secret-of-some-length";

#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HashMap<String, String>,
    pub body: String,
    pub answered: u16,
}

/// A receiver that answers 500 to the first `failures` requests, then 200.
pub struct Receiver {
    pub url: String,
    seen: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    pub async fn start(failures: usize) -> Receiver {
        Self::slow(failures, Duration::ZERO).await
    }

    /// A receiver that waits `delay` before it answers.
    pub async fn slow(failures: usize, delay: Duration) -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let seen: Arc<Mutex<Vec<Received>>> = Arc::default();
        let log = seen.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let log = log.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    let (head, body) = loop {
                        let Ok(n) = socket.read(&mut chunk).await else {
                            return;
                        };
                        if n == 0 {
                            return;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                        let text = String::from_utf8_lossy(&buf).to_string();
                        if let Some((head, body)) = text.split_once("\r\n\r\n") {
                            let len = head
                                .lines()
                                .find_map(|l| {
                                    l.to_ascii_lowercase()
                                        .strip_prefix("content-length:")
                                        .map(|v| v.trim().parse::<usize>().unwrap())
                                })
                                .unwrap_or(0);
                            if body.len() >= len {
                                break (head.to_string(), body[..len].to_string());
                            }
                        }
                    };
                    let headers = head
                        .lines()
                        .skip(1)
                        .filter_map(|l| l.split_once(':'))
                        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
                        .collect();
                    let answered = {
                        let mut seen = log.lock().unwrap();
                        let status = if seen.len() < failures { 500 } else { 200 };
                        seen.push(Received {
                            headers,
                            body,
                            answered: status,
                        });
                        status
                    };
                    tokio::time::sleep(delay).await;
                    let reply = format!(
                        "HTTP/1.1 {answered} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                    );
                    let _ = socket.write_all(reply.as_bytes()).await;
                    let _ = socket.shutdown().await;
                });
            }
        });
        Receiver { url, seen }
    }

    /// Register this receiver as an endpoint for `events`, with texts in English.
    pub fn register(&self, app: &TestApp, admin: &Actor, events: &[&str]) {
        rungs::service::webhooks::register(
            &mut app.conn(),
            admin,
            &rungs::service::webhooks::EndpointInput {
                url: self.url.clone(),
                secret: SECRET.into(),
                events: events.iter().map(|e| e.to_string()).collect(),
                language: "en".into(),
            },
        )
        .unwrap();
    }

    pub fn seen(&self) -> Vec<Received> {
        self.seen.lock().unwrap().clone()
    }

    pub async fn wait_for(&self, n: usize, what: &str) -> Vec<Received> {
        let started = Instant::now();
        loop {
            let seen = self.seen();
            if seen.len() >= n {
                return seen;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{what}: {} of {n} requests came: {seen:?}",
                seen.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// The signature a receiver computes: HMAC-SHA256 over `timestamp.body`.
pub fn valid(r: &Received) -> bool {
    let ts = &r.headers["x-rungs-timestamp"];
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(format!("{ts}.{}", r.body).as_bytes());
    let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    r.headers["x-rungs-signature"] == expected
}
