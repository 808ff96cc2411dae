//! Grouping: text features that work for Chinese and English alike, and the
//! in-process index that matches a new incident against cluster profiles.

pub mod eval;
pub mod lexicon;
pub mod matcher;
mod profile;
pub mod text;

pub use matcher::{ClusterIndex, DEFAULT_JOIN_THRESHOLD, Match};
