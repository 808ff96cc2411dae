//! The integration suite: the real server on a free port, over HTTP, on every backend.

mod access;
mod api_incidents;
mod bad_input;
mod browser;
mod crash;
mod helpers;
mod hostile;
mod incidents;
mod setup;
mod time;
