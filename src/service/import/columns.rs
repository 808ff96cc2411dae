//! Which column of a spreadsheet holds which field: header names recognised in English
//! and Chinese (with the variants teams write), the rest left for the user to map.

use serde::{Deserialize, Serialize};

/// A field an imported row can give.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Title,
    Body,
    Category,
    OccurredAt,
    Department,
    Counterpart,
    Reporter,
    Tags,
    ExternalRef,
    Status,
}

impl Field {
    pub const ALL: [Field; 10] = [
        Field::Title,
        Field::Body,
        Field::Category,
        Field::OccurredAt,
        Field::Department,
        Field::Counterpart,
        Field::Reporter,
        Field::Tags,
        Field::ExternalRef,
        Field::Status,
    ];

    /// The field's name as the intake and the API spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Body => "body",
            Field::Category => "category",
            Field::OccurredAt => "occurred_at",
            Field::Department => "department",
            Field::Counterpart => "counterpart",
            Field::Reporter => "reporter",
            Field::Tags => "tags",
            Field::ExternalRef => "external_ref",
            Field::Status => "status",
        }
    }

    pub fn parse(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.as_str() == name)
    }

    /// The header names that mean this field, folded (`fold`).
    fn names(self) -> &'static [&'static str] {
        match self {
            Field::Title => &[
                "title",
                "subject",
                "summary",
                "标题",
                "主题",
                "事件",
                "事件标题",
                "问题",
                "摘要",
            ],
            Field::Body => &[
                "body",
                "description",
                "details",
                "detail",
                "描述",
                "详情",
                "内容",
                "说明",
                "问题描述",
                "事件描述",
                "详细描述",
            ],
            Field::Category => &["category", "type", "类别", "分类", "类型", "事件类别"],
            Field::OccurredAt => &[
                "occurredat",
                "occurred",
                "date",
                "time",
                "datetime",
                "when",
                "发生时间",
                "时间",
                "日期",
                "发生日期",
                "发生时刻",
            ],
            Field::Department => &["department", "dept", "team", "部门", "所属部门", "报告部门"],
            Field::Counterpart => &[
                "counterpart",
                "counterpartdepartment",
                "对方部门",
                "相关部门",
                "对接部门",
                "涉及部门",
            ],
            Field::Reporter => &[
                "reporter",
                "reportedby",
                "reporterlogin",
                "报告人",
                "记录人",
                "提交人",
                "填报人",
                "上报人",
            ],
            Field::Tags => &["tags", "tag", "labels", "标签", "关键词"],
            Field::ExternalRef => &[
                "externalref",
                "ref",
                "reference",
                "ticket",
                "单号",
                "编号",
                "工单号",
                "参考号",
            ],
            Field::Status => &["status", "state", "状态"],
        }
    }
}

/// A header as compared: trimmed, lower case, without spaces, underscores, hyphens and
/// the parentheses' contents people add ("发生时间（北京）").
fn fold(header: &str) -> String {
    let header = header.trim().trim_start_matches('\u{feff}');
    let cut = header
        .find(['(', '（'])
        .map(|i| &header[..i])
        .unwrap_or(header);
    cut.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '_' | '-' | '*' | ':' | '：'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The field a header names, if it is one of the known names.
pub fn recognise(header: &str) -> Option<Field> {
    let folded = fold(header);
    Field::ALL
        .into_iter()
        .find(|f| f.names().contains(&folded.as_str()))
}

/// Each column's field: recognised from the headers (a field taken once, by its first
/// column), then the user's choices by header name (`None`: the column is not read).
pub fn mapping(headers: &[String], overrides: &[(String, Option<Field>)]) -> Vec<Option<Field>> {
    let mut fields: Vec<Option<Field>> = Vec::with_capacity(headers.len());
    for header in headers {
        let field = recognise(header).filter(|f| !fields.contains(&Some(*f)));
        fields.push(field);
    }
    for (header, field) in overrides {
        if let Some(i) = headers.iter().position(|h| h.trim() == header.trim()) {
            if let Some(f) = field {
                for other in fields.iter_mut() {
                    if *other == Some(*f) {
                        *other = None;
                    }
                }
            }
            fields[i] = *field;
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_both_languages() {
        assert_eq!(recognise("标题"), Some(Field::Title));
        assert_eq!(recognise(" Occurred_At "), Some(Field::OccurredAt));
        assert_eq!(recognise("发生时间（北京时间）"), Some(Field::OccurredAt));
        assert_eq!(recognise("对方部门"), Some(Field::Counterpart));
        assert_eq!(recognise("External Ref"), Some(Field::ExternalRef));
        assert_eq!(recognise("备注栏"), None);
    }

    #[test]
    fn overrides_win() {
        let headers: Vec<String> = ["事件", "问题", "x"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let m = mapping(&headers, &[]);
        assert_eq!(m, vec![Some(Field::Title), None, None]);
        let m = mapping(
            &headers,
            &[("x".into(), Some(Field::Title)), ("事件".into(), None)],
        );
        assert_eq!(m, vec![None, None, Some(Field::Title)]);
    }
}
