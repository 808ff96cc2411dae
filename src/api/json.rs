//! Reading a JSON body into its request type: the first wrong field is named, with a
//! message of the catalogue, and answered 422 (a body that is not an object is a 400).

use crate::domain::input::FieldErrors;
use crate::error::AppError;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// `body` read into `T` (whose fields are all optional to serde, so that every missing
/// required field is reported together by `Required`).
pub fn typed<T: DeserializeOwned>(body: Value) -> Result<T, AppError> {
    if !body.is_object() {
        return Err(AppError::BadRequest(
            "the body must be a JSON object".into(),
        ));
    }
    serde_path_to_error::deserialize(body).map_err(|e| {
        let message = e.inner().to_string();
        let field = match e.path().iter().next() {
            Some(serde_path_to_error::Segment::Map { key }) => key.clone(),
            _ => unknown_name(&message).unwrap_or_else(|| e.path().to_string()),
        };
        // Every list the API reads is a list of strings: a wrong item is a wrong list.
        let in_list = e
            .path()
            .iter()
            .any(|s| matches!(s, serde_path_to_error::Segment::Seq { .. }));
        let key = if in_list {
            "error.not_a_string_list"
        } else {
            message_key(&message)
        };
        AppError::field(&field, key)
    })
}

/// The field an "unknown field `x`, expected …" message names.
fn unknown_name(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    Some(rest[..rest.find('`')?].to_string())
}

/// serde's words for what was wrong, as a message key the catalogue has.
fn message_key(message: &str) -> &'static str {
    if message.starts_with("unknown field") {
        "error.unknown_field"
    } else if message.contains("expected a sequence") {
        "error.not_a_string_list"
    } else if message.contains("expected i64") || message.contains("expected i32") {
        "error.not_an_integer"
    } else if message.contains("expected f64") {
        "error.not_a_number"
    } else if message.contains("expected a string") && message.contains("invalid type") {
        "error.not_a_string"
    } else {
        "error.invalid"
    }
}

/// The fields a request must carry, checked after serde so that all are named at once.
#[derive(Default)]
pub struct Required(FieldErrors);

impl Required {
    pub fn new() -> Self {
        Self::default()
    }

    /// The value, or an empty one and a `required` error for `name`.
    pub fn take<T: Default>(&mut self, name: &str, value: Option<T>) -> T {
        value.unwrap_or_else(|| {
            self.0.add(name, "error.required");
            T::default()
        })
    }

    /// A field that is wrong for a reason of its own.
    pub fn wrong(&mut self, name: &str, message_key: &'static str) {
        self.0.add(name, message_key);
    }

    pub fn finish(self) -> Result<(), AppError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AppError::Invalid(self.0))
        }
    }
}
