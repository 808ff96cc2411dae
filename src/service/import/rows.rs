//! One spreadsheet row turned into a filing: each column's text put where the intake
//! reads it (a category or department by slug or name, a person by login or name, a
//! time in any of the usual ways), then checked by the intake as a form would be.

use super::columns::Field;
use super::dates;
use crate::db::DbConn;
use crate::domain::states::IncidentStatus;
use crate::error::AppResult;
use crate::service::accounts::Actor;
use crate::service::catalog::Catalog;
use crate::service::intake::{self, Filer, Filing, Imported, RawIncident};
use chrono::{DateTime, Utc};
use rustc_hash::FxHashMap;
use serde::Serialize;

/// A row that cannot be imported, and why: its number as the spreadsheet shows it
/// (the header is row 1), the column as headed, the value and a message key.
#[derive(Debug, Clone, Serialize)]
pub struct BadRow {
    pub row: u64,
    pub column: String,
    pub value: String,
    pub reason: &'static str,
}

/// The catalogue and the people, looked up by any of their names.
pub struct Lookup {
    pub known: Catalog,
    categories: FxHashMap<String, String>,
    departments: FxHashMap<String, String>,
    people: FxHashMap<String, Actor>,
}

fn key(s: &str) -> String {
    s.trim().to_lowercase()
}

impl Lookup {
    pub fn load(conn: &mut DbConn) -> AppResult<Self> {
        let known = Catalog::load(conn)?;
        let mut categories = FxHashMap::default();
        for c in &known.categories {
            for name in [&c.name_en, &c.name_zh, &c.slug] {
                categories.insert(key(name), c.slug.clone());
            }
        }
        let mut departments = FxHashMap::default();
        for d in &known.departments {
            for name in [&d.name, &d.slug] {
                departments.insert(key(name), d.slug.clone());
            }
        }
        let mut people = FxHashMap::default();
        for user in crate::db::users::list(conn)? {
            if !user.active {
                continue;
            }
            let actor = Actor::try_from(user)?;
            people.insert(key(&actor.display_name), actor.clone());
            people.insert(key(&actor.login), actor);
        }
        Ok(Self {
            known,
            categories,
            departments,
            people,
        })
    }

    pub fn person(&self, name: &str) -> Option<&Actor> {
        self.people.get(&key(name))
    }

    fn slug(map: &FxHashMap<String, String>, raw: &str) -> String {
        map.get(&key(raw))
            .cloned()
            .unwrap_or_else(|| raw.trim().to_string())
    }
}

/// How rows become filings.
pub struct RowRules<'a> {
    pub lookup: &'a Lookup,
    /// Who files a row without a reporter.
    pub importer: &'a Actor,
    /// Who files a row whose reporter is not known (else such a row is bad).
    pub unknown_reporters_as: Option<&'a Actor>,
    pub headers: &'a [String],
    pub fields: &'a [Option<Field>],
    pub now: DateTime<Utc>,
}

impl RowRules<'_> {
    /// The filing row `number` makes, checked by the intake; or every reason it is bad.
    pub fn filing(
        &self,
        number: u64,
        record: &csv::StringRecord,
        import_id: i64,
    ) -> Result<Filing, Vec<BadRow>> {
        let (filing, mut bad) = self.read(number, record, import_id);
        let cell = |field: Field| self.cell(record, field);
        if let Err(errors) = intake::check(&self.lookup.known, &filing.raw, self.now) {
            for (field, reason) in errors.iter() {
                let column = Field::parse(field).and_then(cell);
                if bad
                    .iter()
                    .any(|b| column.is_some_and(|(i, _)| self.headers[i] == b.column))
                {
                    continue;
                }
                bad.push(BadRow {
                    row: number,
                    column: column
                        .map(|(i, _)| self.headers[i].clone())
                        .unwrap_or_else(|| field.to_string()),
                    value: column.map(|(_, v)| v.to_string()).unwrap_or_default(),
                    reason,
                });
            }
        }
        if bad.is_empty() { Ok(filing) } else { Err(bad) }
    }

    /// The filing row `number` makes, for a row that `filing` found good: the intake
    /// checks it again as it files it (`intake::Writing::file`), so it is not checked
    /// here a second time; the reasons found reading its cells all the same.
    pub fn filing_to_write(
        &self,
        number: u64,
        record: &csv::StringRecord,
        import_id: i64,
    ) -> Result<Filing, Vec<BadRow>> {
        let (filing, bad) = self.read(number, record, import_id);
        if bad.is_empty() { Ok(filing) } else { Err(bad) }
    }

    /// Column `field`'s position and its text in `record`, if a column is read as it.
    fn cell<'r>(&self, record: &'r csv::StringRecord, field: Field) -> Option<(usize, &'r str)> {
        let i = self.fields.iter().position(|f| *f == Some(field))?;
        Some((i, record.get(i).unwrap_or("")))
    }

    /// Row `number`'s cells put where the intake reads them, and what is wrong with them
    /// (a date, a status or a person not understood), before the intake's own check.
    fn read(
        &self,
        number: u64,
        record: &csv::StringRecord,
        import_id: i64,
    ) -> (Filing, Vec<BadRow>) {
        let mut bad = Vec::new();
        let mut raw = RawIncident::default();
        let mut status = IncidentStatus::Open;
        let mut filer = self.importer;
        let mut reporter_note = None;
        let cell = |field: Field| self.cell(record, field);
        let mut refuse = |i: usize, value: &str, reason: &'static str| {
            bad.push(BadRow {
                row: number,
                column: self.headers.get(i).cloned().unwrap_or_default(),
                value: value.to_string(),
                reason,
            })
        };
        for field in Field::ALL {
            let Some((i, value)) = cell(field) else {
                continue;
            };
            match field {
                Field::Title => raw.title = value.to_string(),
                Field::Body => raw.body = value.to_string(),
                Field::Category => raw.category = Lookup::slug(&self.lookup.categories, value),
                Field::Department | Field::Counterpart if value.trim().is_empty() => {}
                Field::Department => raw.department = Lookup::slug(&self.lookup.departments, value),
                Field::Counterpart => {
                    raw.counterpart = Lookup::slug(&self.lookup.departments, value)
                }
                Field::Tags => raw.tags = value.replace(['，', ';', '；', '、'], ","),
                Field::ExternalRef => raw.external_ref = value.to_string(),
                Field::OccurredAt => match dates::normalise(value) {
                    Some(at) => raw.occurred_at = at,
                    None if value.trim().is_empty() => refuse(i, value, "error.required"),
                    None => refuse(i, value, "import.error.date"),
                },
                Field::Status => match status_of(value) {
                    Some(s) => status = s,
                    None => refuse(i, value, "import.error.status"),
                },
                Field::Reporter if value.trim().is_empty() => {}
                Field::Reporter => match (self.lookup.person(value), self.unknown_reporters_as) {
                    (Some(person), _) => filer = person,
                    (None, Some(stand_in)) => {
                        filer = stand_in;
                        reporter_note = Some(value.trim().to_string());
                    }
                    (None, None) => refuse(i, value, "import.error.unknown_reporter"),
                },
            }
        }
        if cell(Field::OccurredAt).is_none() {
            bad.push(BadRow {
                row: number,
                column: Field::OccurredAt.as_str().into(),
                value: String::new(),
                reason: "error.required",
            });
        }
        if let Some(name) = reporter_note {
            // The person's name as the spreadsheet had it stays on the incident.
            let note = format!("报告人 / reporter: {name}");
            raw.body = if raw.body.trim().is_empty() {
                note
            } else {
                format!("{}\n\n{note}", raw.body.trim_end())
            };
        }
        let filing = Filing {
            filer: Filer::Person(filer.clone()),
            raw,
            at: self.now,
            imported: Some(Imported { import_id, status }),
        };
        (filing, bad)
    }
}

/// The statuses a spreadsheet may give: open (the default) or handled. A withdrawn row
/// is not imported.
fn status_of(raw: &str) -> Option<IncidentStatus> {
    match raw.trim().to_lowercase().as_str() {
        "" | "open" | "打开" | "未处理" | "待处理" | "处理中" | "进行中" | "开放" => {
            Some(IncidentStatus::Open)
        }
        "handled" | "closed" | "resolved" | "done" | "已处理" | "已解决" | "已完成" | "完成"
        | "关闭" | "已关闭" => Some(IncidentStatus::Handled),
        _ => None,
    }
}
