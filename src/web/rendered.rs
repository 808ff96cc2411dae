//! Rendered HTML kept for reuse: the weekly review's table, by a key that names every
//! change counter and choice it depends on. A cache of this process's own renderings,
//! so it lives with the pages, not in the service layer.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Tables kept at most (weeks × filters × pages × languages in use).
const KEPT: usize = 64;

#[derive(Default)]
pub struct RenderedTables(Mutex<HashMap<String, Arc<String>>>);

impl RenderedTables {
    /// A table rendered before; `key` must name every version it depends on.
    pub fn get(&self, key: &str) -> Option<Arc<String>> {
        let tables = self.0.lock().unwrap_or_else(|e| e.into_inner());
        tables.get(key).cloned()
    }

    pub fn put(&self, key: String, html: Arc<String>) {
        let mut tables = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if tables.len() >= KEPT {
            tables.clear();
        }
        tables.insert(key, html);
    }
}
