//! Grouping: text features that work for Chinese and English alike (`text`), and the
//! in-process index that matches a new incident against cluster profiles (`matcher`),
//! rebuilt at start with `IndexBuilder`. `eval` measures quality on a labelled set.

mod builder;
pub mod eval;
pub mod lexicon;
pub mod matcher;
mod profile;
pub mod text;

pub use builder::IndexBuilder;
pub use matcher::{ClusterIndex, DEFAULT_JOIN_THRESHOLD, IndexStats, Match};
