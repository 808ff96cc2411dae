//! What a change did, said once on the page the change redirects to, with an undo when
//! the change can be undone. Kept in the (signed) session cookie between the POST and
//! the GET that follows it.

use actix_session::Session;
use serde::{Deserialize, Serialize};

const FLASH: &str = "flash";

/// A message key with its arguments, and an undo form's address and button label.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Flash {
    pub key: String,
    pub args: Vec<(String, String)>,
    /// `POST` here undoes the change.
    pub undo: Option<String>,
    pub undo_label: String,
}

impl Flash {
    pub fn new(key: &str, args: &[(&str, String)]) -> Self {
        Flash {
            key: key.to_string(),
            args: args
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
            ..Default::default()
        }
    }

    pub fn with_undo(mut self, action: String, label_key: &str) -> Self {
        self.undo = Some(action);
        self.undo_label = label_key.to_string();
        self
    }

    /// Kept for the next page read; a failure to keep it loses only the message.
    pub fn keep(self, session: &Session) {
        let _ = session.insert(FLASH, self);
    }

    /// The message waiting for this page, which no later page shows again.
    pub fn take(session: &Session) -> Option<Flash> {
        session.remove_as::<Flash>(FLASH).and_then(Result::ok)
    }

    /// The message in `lang`'s words.
    pub fn text(&self, page: &super::session::PageCtx) -> String {
        let args: Vec<(&str, &str)> = self
            .args
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        page.t_with(&self.key, &args)
    }
}
