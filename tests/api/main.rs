//! The integration suite: the real server on a free port, over HTTP, on every backend.

mod access;
mod api_incidents;
mod clusters;
mod helpers;
mod incidents;
mod ladder;
mod ladder_pages;
mod load;
mod setup;
mod time;
