//! The integration suite: the real server on a free port, over HTTP, on every backend.

mod access;
mod api_incidents;
mod clusters;
mod helpers;
mod incidents;
mod review;
mod review_cache;
mod setup;
mod time;
