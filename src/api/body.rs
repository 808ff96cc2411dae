//! Reading a JSON object field by field, so that every wrong field gets its own message.

use crate::domain::input::FieldErrors;
use crate::error::AppError;
use serde_json::{Map, Value};

/// A JSON object whose fields are taken one by one; unknown fields are errors.
pub struct Fields {
    map: Map<String, Value>,
    errors: FieldErrors,
}

impl Fields {
    pub fn new(body: Value) -> Result<Self, AppError> {
        match body {
            Value::Object(map) => Ok(Self {
                map,
                errors: FieldErrors::new(),
            }),
            _ => Err(AppError::BadRequest(
                "the body must be a JSON object".into(),
            )),
        }
    }

    /// A string field; absent or null is empty.
    pub fn string(&mut self, name: &str, required: bool) -> String {
        match self.map.remove(name) {
            Some(Value::String(s)) => s,
            None | Some(Value::Null) => {
                if required {
                    self.errors.add(name, "error.required");
                }
                String::new()
            }
            Some(_) => {
                self.errors.add(name, "error.not_a_string");
                String::new()
            }
        }
    }

    /// A list of strings, joined with commas (the form's spelling of a list).
    pub fn string_list(&mut self, name: &str) -> String {
        match self.map.remove(name) {
            None | Some(Value::Null) => String::new(),
            Some(Value::Array(items)) => {
                let mut out = Vec::new();
                for item in items {
                    match item {
                        Value::String(s) if !s.contains(',') => out.push(s),
                        _ => {
                            self.errors.add(name, "error.not_a_string_list");
                            return String::new();
                        }
                    }
                }
                out.join(",")
            }
            Some(_) => {
                self.errors.add(name, "error.not_a_string_list");
                String::new()
            }
        }
    }

    /// A number (integer or decimal).
    pub fn number(&mut self, name: &str) -> Option<f64> {
        match self.map.remove(name) {
            Some(Value::Number(n)) => n.as_f64(),
            None | Some(Value::Null) => None,
            Some(_) => {
                self.errors.add(name, "error.not_a_number");
                None
            }
        }
    }

    /// A list of strings, kept as a list.
    pub fn strings(&mut self, name: &str) -> Vec<String> {
        match self.map.remove(name) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => {
                let mut out = Vec::new();
                for item in items {
                    match item {
                        Value::String(s) => out.push(s),
                        _ => {
                            self.errors.add(name, "error.not_a_string_list");
                            return Vec::new();
                        }
                    }
                }
                out
            }
            Some(_) => {
                self.errors.add(name, "error.not_a_string_list");
                Vec::new()
            }
        }
    }

    pub fn integer(&mut self, name: &str, required: bool) -> Option<i64> {
        match self.map.remove(name) {
            Some(Value::Number(n)) => match n.as_i64() {
                Some(v) => Some(v),
                None => {
                    self.errors.add(name, "error.not_an_integer");
                    None
                }
            },
            None | Some(Value::Null) => {
                if required {
                    self.errors.add(name, "error.required");
                }
                None
            }
            Some(_) => {
                self.errors.add(name, "error.not_an_integer");
                None
            }
        }
    }

    /// Every field not taken is unknown; any error so far is a 422.
    pub fn finish(mut self) -> Result<(), AppError> {
        for name in self.map.keys() {
            self.errors.add(name, "error.unknown_field");
        }
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::Invalid(self.errors))
        }
    }

    /// Merge these errors with later ones from the service.
    pub fn errors(&self) -> &FieldErrors {
        &self.errors
    }
}
