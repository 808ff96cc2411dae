//! rungs: an incident-to-mechanism tracker. Team members log small recurring
//! incidents; rungs groups them, compares them week over week, shows what drives
//! a rise, and guides the team up a ladder of fixes.

rust_i18n::i18n!("locales", fallback = "en");

pub mod api;
pub mod app_state;
pub mod cli;
pub mod client_address;
pub mod clock;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod i18n;
pub mod service;
pub mod startup;
pub mod telemetry;
pub mod web;
