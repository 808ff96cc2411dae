//! The integration suite: the real server on a free port, over HTTP, on every backend.

mod access;
mod api_incidents;
mod bad_input;
mod browser;
mod child;
mod clusters;
mod consolidation;
mod crash;
mod demo;
mod directory;
mod events;
mod faults;
mod helpers;
mod hostile;
mod import;
mod import_page;
mod incidents;
mod intake;
mod ladder;
mod ladder_pages;
mod load;
mod review;
mod review_cache;
mod setup;
mod throttle;
mod time;
