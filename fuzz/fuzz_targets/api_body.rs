//! The API's request parsing on arbitrary bytes: bytes → JSON (`serde_json`, as the
//! handlers' `web::Json<Value>` reads them) → `api::incidents::parse`,
//! `api::actions::parse_action` (typed bodies read by `api::json::typed`).
//!
//! Asserts:
//! - a body that is not a JSON object is a `BadRequest`; any other rejection is an
//!   `Invalid` with at least one field error, each on a field that was asked for or sent,
//!   with a message key of the catalogue (English and Chinese); nothing else, no panic;
//! - `parse` and `parse_action` accept exactly the bodies whose fields are all known and
//!   of the right type (required ones present), and hand the values over unchanged
//!   (a tag list joined with commas; numbers finite; integers exact);
//! - an accepted filing's values, validated as filing validates them
//!   (`domain::input`), keep to their limits: title 1..=200 characters, body and
//!   reference within 10,000 and 100, at most 10 tags of 40 characters, a valid slug;
#![no_main]

use libfuzzer_sys::fuzz_target;
use rungs::domain::input::{self, FieldErrors};
use rungs::error::AppError;
use rungs::i18n::Lang;
use serde_json::{Map, Value};

const INCIDENT_STRINGS: [&str; 7] = [
    "title",
    "body",
    "category",
    "occurred_at",
    "department",
    "counterpart",
    "external_ref",
];
const ACTION_STRINGS: [&str; 10] = [
    "title",
    "why",
    "owner",
    "due_on",
    "goal_kind",
    "launched_at",
    "kpi_department",
    "kpi_item",
    "kpi_definition",
    "guard_category",
];
const ACTION_INTEGERS: [&str; 4] = ["rung", "review_after_weeks", "retro_weeks", "guard_cluster"];
const ACTION_NUMBERS: [&str; 3] = ["goal_value", "kpi_weight", "guard_margin"];

fuzz_target!(|data: &[u8]| {
    let Ok(v) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    check_incident(&v);
    check_action(&v);
});

/// The reading of one field: what a well-typed value gives, else `None` (an error).
fn is_string(v: Option<&Value>, required: bool) -> bool {
    match v {
        Some(Value::String(_)) => true,
        None | Some(Value::Null) => !required,
        Some(_) => false,
    }
}

fn string_of(v: Option<&Value>) -> String {
    v.and_then(Value::as_str).unwrap_or("").to_string()
}

fn check_errors(errors: &FieldErrors, asked: &[&str], map: &Map<String, Value>) {
    assert!(!errors.is_empty());
    for (field, key) in errors.iter() {
        assert!(
            asked.contains(&field) || map.contains_key(field),
            "error on {field:?}, neither asked for nor sent"
        );
        for lang in Lang::ALL {
            let text = lang.t(key);
            assert!(
                !text.is_empty() && !text.contains(key),
                "{key} missing in {lang:?}"
            );
        }
    }
}

fn rejection(r: AppError, v: &Value, asked: &[&str]) -> FieldErrors {
    match (r, v) {
        (AppError::BadRequest(_), v) => {
            assert!(!v.is_object(), "an object rejected as a bad request");
            FieldErrors::new()
        }
        (AppError::Invalid(errors), Value::Object(map)) => {
            check_errors(&errors, asked, map);
            errors
        }
        (other, _) => panic!("unexpected rejection {other:?}"),
    }
}

fn check_incident(v: &Value) {
    let expected = v.as_object().map(|map| {
        map.keys()
            .all(|k| INCIDENT_STRINGS.contains(&k.as_str()) || k == "tags")
            && INCIDENT_STRINGS
                .iter()
                .all(|f| is_string(map.get(*f), matches!(*f, "title" | "category")))
            && match map.get("tags") {
                None | Some(Value::Null) => true,
                Some(Value::Array(items)) => items
                    .iter()
                    .all(|i| i.as_str().is_some_and(|s| !s.contains(','))),
                Some(_) => false,
            }
    });
    let mut asked = INCIDENT_STRINGS.to_vec();
    asked.push("tags");
    match rungs::api::incidents::parse(v.clone()) {
        Ok(raw) => {
            assert_eq!(expected, Some(true), "accepted {v}");
            let map = v.as_object().expect("an object");
            assert_eq!(raw.title, string_of(map.get("title")));
            assert_eq!(raw.body, string_of(map.get("body")));
            assert_eq!(raw.category, string_of(map.get("category")));
            assert_eq!(raw.external_ref, string_of(map.get("external_ref")));
            let tags: Vec<&str> = map
                .get("tags")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            assert_eq!(raw.tags, tags.join(","));
            check_filing_limits(&raw);
        }
        Err(e) => {
            assert_ne!(expected, Some(true), "rejected {v}: {e:?}");
            rejection(e, v, &asked);
        }
    }
}

/// What filing checks before it looks at the database.
fn check_filing_limits(raw: &rungs::service::intake::RawIncident) {
    if let Ok(t) = input::required_text(&raw.title, input::TITLE_MAX) {
        let n = t.chars().count();
        assert!((1..=200).contains(&n), "{t:?}");
    }
    if let Ok(Some(b)) = input::optional_text(&raw.body, input::BODY_MAX) {
        assert!(b.chars().count() <= 10_000);
    }
    if let Ok(Some(r)) = input::optional_text(&raw.external_ref, 100) {
        assert!(r.chars().count() <= 100);
    }
    if let Ok(tags) = input::tags(&raw.tags) {
        assert!(tags.len() <= 10 && tags.iter().all(|t| t.chars().count() <= 40));
    }
    if let Ok(slug) = input::Slug::parse(&raw.category) {
        let s = slug.as_ref();
        assert!(!s.is_empty() && s.len() <= 40);
    }
}

fn check_action(v: &Value) {
    let expected = v.as_object().map(|map| {
        map.keys().all(|k| {
            let k = k.as_str();
            ACTION_STRINGS.contains(&k)
                || ACTION_INTEGERS.contains(&k)
                || ACTION_NUMBERS.contains(&k)
                || k == "departments"
        }) && ACTION_STRINGS
            .iter()
            .all(|f| is_string(map.get(*f), *f == "title"))
            && ACTION_INTEGERS.iter().all(|f| match map.get(*f) {
                Some(Value::Number(n)) => n.as_i64().is_some(),
                None | Some(Value::Null) => *f != "rung",
                Some(_) => false,
            })
            && ACTION_NUMBERS.iter().all(|f| {
                matches!(
                    map.get(*f),
                    None | Some(Value::Null) | Some(Value::Number(_))
                )
            })
            && match map.get("departments") {
                None | Some(Value::Null) => true,
                Some(Value::Array(items)) => items.iter().all(Value::is_string),
                Some(_) => false,
            }
    });
    let mut asked: Vec<&str> = ACTION_STRINGS.to_vec();
    asked.extend(ACTION_INTEGERS);
    asked.extend(ACTION_NUMBERS);
    asked.push("departments");
    match rungs::api::actions::parse_action(v.clone()) {
        Ok(a) => {
            assert_eq!(expected, Some(true), "accepted {v}");
            let map = v.as_object().expect("an object");
            assert_eq!(a.title, string_of(map.get("title")));
            assert_eq!(a.launched_on, string_of(map.get("launched_at")));
            assert_eq!(a.rung, map.get("rung").and_then(Value::as_i64));
            assert!(a.rung.is_some());
            assert_eq!(
                a.guard_cluster,
                map.get("guard_cluster").and_then(Value::as_i64)
            );
            for (got, f) in [
                (a.goal_value, "goal_value"),
                (a.kpi_weight, "kpi_weight"),
                (a.guard_margin, "guard_margin"),
            ] {
                assert_eq!(got, map.get(f).and_then(Value::as_f64), "{f}");
                assert!(got.is_none_or(f64::is_finite), "{f}: {got:?}");
            }
            let departments: Vec<String> = map
                .get("departments")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|d| d.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            assert_eq!(a.departments, departments);
        }
        Err(e) => {
            assert_ne!(expected, Some(true), "rejected {v}: {e:?}");
            rejection(e, v, &asked);
        }
    }
}
