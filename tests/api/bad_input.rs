//! Bad input, table-driven, over every form and API endpoint: each refusal has the
//! right status and a clear message, and leaves every row of every table as it was.

use crate::helpers::*;
use diesel::RunQueryDsl;
use rungs::db;
use rungs::service;
use serde_json::json;
use std::collections::BTreeMap;

/// Every table and column, so that "unchanged" means every value, not only the counts.
const TABLES: &[(&str, &[&str])] = &[
    ("settings", &["key", "value"]),
    ("departments", &["id", "slug", "name", "created_at"]),
    (
        "categories",
        &["id", "slug", "name_en", "name_zh", "description", "active"],
    ),
    (
        "users",
        &[
            "id",
            "login",
            "display_name",
            "role",
            "department_id",
            "password_hash",
            "language",
            "active",
            "updated_at",
        ],
    ),
    (
        "api_tokens",
        &["id", "user_id", "token_hash", "label", "revoked_at"],
    ),
    (
        "incidents",
        &[
            "id",
            "title",
            "body",
            "category_id",
            "reporter_id",
            "department_id",
            "counterpart_id",
            "occurred_at",
            "week_key",
            "tags",
            "external_ref",
            "status",
            "handled_note",
            "updated_at",
        ],
    ),
    ("incident_tags", &["incident_id", "tag"]),
    (
        "audit_events",
        &[
            "id",
            "actor_id",
            "entity",
            "entity_id",
            "action",
            "after_json",
        ],
    ),
];

type Snapshot = BTreeMap<&'static str, Vec<String>>;

fn snapshot(app: &TestApp) -> Snapshot {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        v: String,
    }
    let mut conn = app.elsewhere();
    TABLES
        .iter()
        .map(|(table, columns)| {
            let row = columns
                .iter()
                .map(|c| format!("COALESCE(CAST({c} AS TEXT), '~')"))
                .collect::<Vec<_>>()
                .join(" || '|' || ");
            let mut rows: Vec<String> =
                diesel::sql_query(format!("SELECT {row} AS v FROM {table}"))
                    .load::<Row>(&mut **conn)
                    .expect("snapshot")
                    .into_iter()
                    .map(|r| r.v)
                    .collect();
            rows.sort();
            (*table, rows)
        })
        .collect()
}

/// What changed between two snapshots, table by table (empty when nothing did).
fn changes(before: &Snapshot, after: &Snapshot) -> Vec<String> {
    before
        .iter()
        .filter(|(table, rows)| after.get(*table) != Some(*rows))
        .map(|(table, rows)| {
            let now = &after[table];
            let added: Vec<_> = now.iter().filter(|r| !rows.contains(r)).collect();
            let gone: Vec<_> = rows.iter().filter(|r| !now.contains(r)).collect();
            format!(
                "{table}: {} rows -> {}; new or changed {added:?}; gone or changed {gone:?}",
                rows.len(),
                now.len()
            )
        })
        .collect()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Who {
    /// A visitor who opened /login: a session with a CSRF token, nobody signed in.
    Anon,
    /// Signed in, then signed out; still holding the old page's CSRF token.
    SignedOut,
    Li,
    Lead,
    Admin,
}

enum Auth {
    Page(Who),
    Token(Option<String>),
}

struct Case {
    what: String,
    auth: Auth,
    post: bool,
    path: String,
    /// Content type and bytes; `{csrf}` becomes the session's CSRF token.
    body: Option<(&'static str, Vec<u8>)>,
    status: u16,
    /// Text the answer must contain; for a 303, how its Location must start.
    says: String,
}

const FORM: &str = "application/x-www-form-urlencoded";
const JSON: &str = "application/json";

fn encode(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("&{}={}", urlencoding::encode(k), urlencoding::encode(v)))
        .collect()
}

/// A page form as its page would post it, with the session's CSRF token.
fn form(who: Who, path: &str, fields: &[(&str, &str)]) -> Case {
    raw(
        who,
        path,
        format!("csrf_token={{csrf}}{}", encode(fields)).as_bytes(),
    )
}

/// A form body exactly as given (`{csrf}` is still replaced).
fn raw(who: Who, path: &str, body: &[u8]) -> Case {
    typed(who, path, FORM, body)
}

fn typed(who: Who, path: &str, content_type: &'static str, body: &[u8]) -> Case {
    Case {
        what: String::new(),
        auth: Auth::Page(who),
        post: true,
        path: path.into(),
        body: Some((content_type, body.to_vec())),
        status: 0,
        says: String::new(),
    }
}

fn page(who: Who, path: &str) -> Case {
    Case {
        post: false,
        body: None,
        ..typed(who, path, FORM, b"")
    }
}

fn api(token: Option<&str>, body: &[u8]) -> Case {
    api_typed(token, JSON, body)
}

fn api_json(token: &str, body: serde_json::Value) -> Case {
    api(Some(token), body.to_string().as_bytes())
}

fn api_typed(token: Option<&str>, content_type: &'static str, body: &[u8]) -> Case {
    Case {
        auth: Auth::Token(token.map(str::to_string)),
        ..typed(Who::Anon, "/api/v1/incidents", content_type, body)
    }
}

fn api_get(token: Option<&str>, path: &str) -> Case {
    Case {
        auth: Auth::Token(token.map(str::to_string)),
        ..page(Who::Anon, path)
    }
}

impl Case {
    fn is(mut self, status: u16, says: &str) -> Self {
        self.status = status;
        self.says = says.into();
        self
    }

    fn named(mut self, what: &str) -> Self {
        self.what = what.into();
        self
    }
}

fn replace(hay: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(hay.len());
    let mut i = 0;
    while i < hay.len() {
        if hay[i..].starts_with(needle) {
            out.extend_from_slice(with);
            i += needle.len();
        } else {
            out.push(hay[i]);
            i += 1;
        }
    }
    out
}

const CSRF: &str = "the form expired or did not come from rungs";
const FORBIDDEN: &str = "Your role may not open this page.";
const NOT_FOUND: &str = "Not found.";
const TOO_LARGE: &str = "the request body is too large";
const NOT_TEXT: &str = "a NUL byte or bytes that are not UTF-8";
const UNREADABLE: &str = "the form could not be read";
const TO_LOGIN: &str = "/login?next=";
const NO_TOKEN: &str = "missing or invalid API token";

/// The people and things the cases refer to.
struct World {
    browsers: BTreeMap<Who, (Browser, String)>,
    li_stale_csrf: String,
    li_token: String,
    revoked_token: String,
    gone_token: String,
    admin_id: i64,
    li_id: i64,
    wang_incident: i64,
    li_incident: i64,
    wang_token_id: i64,
    sales_id: i64,
    other_category_id: i64,
}

async fn world(app: &TestApp) -> World {
    let admin = app.user("boss", "admin", "operations");
    let li = app.user("li", "member", "sales");
    let wang = app.user("wang", "member", "sales");
    app.user("zhao", "lead", "approval");
    let gone = app.user("gone", "member", "hr");

    let li_token = app.token(&li);
    let wang_token = app.token(&wang);
    let gone_token = app.token(&gone);
    let revoked_token = app.token(&li);
    let mut conn = app.conn();
    let newest_token =
        |conn: &mut db::DbConn, user: i64| db::tokens::for_user(conn, user).unwrap()[0].id;
    let revoked_id = newest_token(&mut conn, li.id);
    service::tokens::revoke(&mut conn, &li, revoked_id).unwrap();
    let wang_token_id = newest_token(&mut conn, wang.id);
    service::accounts::update_user(&mut conn, &admin, gone.id, "member", "hr", false).unwrap();
    let sales_id = db::catalog::department_by_slug(&mut conn, "sales")
        .unwrap()
        .unwrap()
        .id;
    let other_category_id = db::catalog::category_by_slug(&mut conn, "other")
        .unwrap()
        .unwrap()
        .id;
    drop(conn);

    let file = |token: String, title: &str| {
        let body = json!({"title": title, "category": "approval-chase"});
        async move {
            let (status, body) = app.post_incident(&token, body).await;
            assert_eq!(status, 201, "{body}");
            body["id"].as_i64().unwrap()
        }
    };
    let wang_incident = file(wang_token, "wang's incident").await;
    let li_incident = file(li_token.clone(), "li's incident").await;

    let mut browsers = BTreeMap::new();
    let anon = app.browser();
    let csrf = anon.get("/login").await.csrf();
    browsers.insert(Who::Anon, (anon, csrf));

    let li_browser = app.browser();
    let li_stale_csrf = li_browser.get("/login").await.csrf();
    li_browser.login("li", PASSWORD).await;
    let csrf = li_browser.get("/account").await.csrf();
    browsers.insert(Who::Li, (li_browser, csrf));

    // Signing out ends every session of that person: a person of their own.
    app.user("leaver", "member", "sales");
    let out = app.browser();
    out.login("leaver", PASSWORD).await;
    let csrf = out.get("/account").await.csrf();
    assert_redirect_to(
        &out.post_raw("/logout", &[("csrf_token", &csrf)]).await,
        "/login",
    );
    browsers.insert(Who::SignedOut, (out, csrf));

    for (who, login) in [(Who::Lead, "zhao"), (Who::Admin, "boss")] {
        let b = app.browser();
        b.login(login, PASSWORD).await;
        let csrf = b.get("/account").await.csrf();
        browsers.insert(who, (b, csrf));
    }
    World {
        browsers,
        li_stale_csrf,
        li_token,
        revoked_token,
        gone_token,
        admin_id: admin.id,
        li_id: li.id,
        wang_incident,
        li_incident,
        wang_token_id,
        sales_id,
        other_category_id,
    }
}

fn cases(w: &World) -> Vec<Case> {
    use Who::*;
    let long = |n: usize| "x".repeat(n);
    let huge = "x".repeat(70 * 1024);
    let (l101, l201, l10001, l60k) = (long(101), long(201), long(10_001), long(60_000));
    let pw = PASSWORD;
    let incident = |extra: &[(&'static str, &str)]| {
        let mut f: Vec<(&str, &str)> = vec![("title", "Chasing approval"), ("category", "other")];
        for (k, v) in extra {
            f.retain(|(fk, _)| fk != k);
            f.push((k, v));
        }
        form(Li, "/incidents", &f)
    };
    let wang_status = format!("/incidents/{}/status", w.wang_incident);
    let li_status = format!("/incidents/{}/status", w.li_incident);
    let wang_revoke = format!("/account/tokens/{}/revoke", w.wang_token_id);
    let li_user = format!("/admin/users/{}", w.li_id);
    let admin_user = format!("/admin/users/{}", w.admin_id);
    let sales = format!("/admin/departments/{}", w.sales_id);
    let other = format!("/admin/categories/{}", w.other_category_id);
    let new_user = |login: &str, name: &str, role: &str, dept: &str, pass: &str| {
        let f = [
            ("login", login),
            ("display_name", name),
            ("role", role),
            ("department", dept),
            ("password", pass),
        ];
        form(Admin, "/admin/users", &f)
    };
    let category = |who: Who, path: &str, slug: &str, en: &str, zh: &str, desc: &str| {
        let f = [
            ("slug", slug),
            ("name_en", en),
            ("name_zh", zh),
            ("description", desc),
            ("active", "on"),
        ];
        form(who, path, &f)
    };
    let lead_csrf = w.browsers[&Lead].1.clone();
    let stale = format!("csrf_token={}&title=t&category=other", w.li_stale_csrf);
    let foreign = format!("csrf_token={lead_csrf}&title=t&category=other");
    let tok = Some(w.li_token.as_str());
    let t = w.li_token.as_str();

    vec![
        // ---- /setup: closed once anybody exists
        form(Anon, "/setup", &[("login", "evil"), ("display_name", "E"), ("department", "hr"), ("password", pw)])
            .is(303, "/login").named("setup after the first admin"),
        raw(Anon, "/setup", b"login=evil&display_name=E&password=correct+horse+battery")
            .is(403, CSRF).named("setup without CSRF"),
        // ---- /login
        form(Anon, "/login", &[("login", "li"), ("password", "wrong password")])
            .is(401, "That login and password do not match."),
        form(Anon, "/login", &[]).is(401, "That login and password do not match.").named("login, no fields"),
        form(Anon, "/login", &[("login", "li' OR '1'='1"), ("password", "' OR ''='")])
            .is(401, "That login and password do not match.").named("login, SQL injection"),
        form(Anon, "/login", &[("login", &l60k), ("password", pw)]).is(401, "do not match").named("login, overlong"),
        form(Anon, "/login", &[("login", "li"), ("password", &l60k)]).is(401, "do not match").named("password, overlong"),
        raw(Anon, "/login", b"csrf_token={csrf}&login=li%00&password=correct+horse+battery")
            .is(400, NOT_TEXT).named("login with NUL"),
        raw(Anon, "/login", b"csrf_token={csrf}&login=l%FFi&password=x").is(400, NOT_TEXT).named("login, invalid UTF-8"),
        raw(Anon, "/login", b"login=li&password=correct+horse+battery").is(403, CSRF).named("login without CSRF"),
        raw(Anon, "/login", format!("csrf_token={}&login=li&password=x", w.li_stale_csrf).as_bytes())
            .is(403, CSRF).named("login with another session's CSRF"),
        typed(Anon, "/login", "text/plain", b"csrf_token={csrf}&login=li").is(400, "application/x-www-form-urlencoded"),
        raw(Anon, "/login", format!("csrf_token={{csrf}}&login={huge}").as_bytes()).is(413, TOO_LARGE),
        // ---- filing an incident: every field's edge
        incident(&[("title", "")]).is(422, "This is required.").named("empty title"),
        incident(&[("title", " \t ")]).is(422, "This is required.").named("blank title"),
        incident(&[("title", &l201)]).is(422, "At most 200 characters."),
        incident(&[("body", &l10001)]).is(422, "At most 10,000 characters."),
        incident(&[("title", "bell \u{7} rings")]).is(422, "Control characters are not allowed."),
        incident(&[("category", "")]).is(422, "This is required.").named("no category"),
        incident(&[("category", "nope")]).is(422, "No such category."),
        incident(&[("category", "'; DROP TABLE incidents; --")]).is(422, "Use lower-case letters, digits and dashes"),
        incident(&[("department", "nope")]).is(422, "No such department."),
        incident(&[("counterpart", "Sales")]).is(422, "Use lower-case letters, digits and dashes"),
        incident(&[("occurred_at", "1999-12-31T23:59")]).is(422, "between 2000 and tomorrow"),
        incident(&[("occurred_at", "9999-12-31T23:59")]).is(422, "between 2000 and tomorrow"),
        incident(&[("occurred_at", "2026-02-30T10:00")]).is(422, "Give a date and time"),
        incident(&[("occurred_at", "+275760-09-13T00:00:00Z")]).is(422, "Give a date and time"),
        incident(&[("occurred_at", "99999999999999999999")]).is(422, "Give a date and time"),
        incident(&[("occurred_at", "yesterday")]).is(422, "Give a date and time"),
        incident(&[("occurred_at", "2016-12-31 23:59:60")]).is(422, "Give a date and time").named("a leap second, local"),
        incident(&[("tags", "a,b,c,d,e,f,g,h,i,j,k")]).is(422, "At most 10 tags."),
        incident(&[("tags", &long(41))]).is(422, "Each tag at most 40 characters"),
        incident(&[("external_ref", &l101)]).is(422, "At most 100 characters."),
        raw(Li, "/incidents", b"csrf_token={csrf}&title=a%00b&category=other").is(400, NOT_TEXT).named("title with NUL"),
        raw(Li, "/incidents", b"csrf_token={csrf}&title=%FF%FE&category=other").is(400, NOT_TEXT).named("title, invalid UTF-8 escaped"),
        raw(Li, "/incidents", b"csrf_token={csrf}&title=\xff\xfe&category=other").is(400, NOT_TEXT).named("title, invalid UTF-8 raw"),
        raw(Li, "/incidents", b"csrf_token={csrf}&title=a&title=b&category=other").is(400, UNREADABLE).named("title twice"),
        raw(Li, "/incidents", format!("csrf_token={{csrf}}&category=other&title={huge}").as_bytes()).is(413, TOO_LARGE),
        typed(Li, "/incidents", JSON, br#"{"csrf_token":"{csrf}","title":"t","category":"other"}"#)
            .is(400, "application/x-www-form-urlencoded").named("JSON to a form"),
        typed(Li, "/incidents", "", b"").is(400, "application/x-www-form-urlencoded").named("no body"),
        raw(Li, "/incidents", b"title=t&category=other").is(403, CSRF).named("file without CSRF"),
        raw(Li, "/incidents", b"csrf_token=&title=t&category=other").is(403, CSRF).named("file with empty CSRF"),
        raw(Li, "/incidents", b"csrf_token=0000&title=t&category=other").is(403, CSRF).named("file with a made-up CSRF"),
        raw(Li, "/incidents", stale.as_bytes()).is(403, CSRF).named("file with the pre-login (stale) CSRF"),
        raw(Li, "/incidents", foreign.as_bytes()).is(403, CSRF).named("file with another user's CSRF"),
        form(Anon, "/incidents", &[("title", "t"), ("category", "other")]).is(303, TO_LOGIN).named("file, signed out"),
        form(SignedOut, "/incidents", &[("title", "t"), ("category", "other")]).is(303, TO_LOGIN).named("file after sign-out"),
        // ---- incident status: another member's incident, the lead's power, bad values
        form(Li, &wang_status, &[("status", "handled"), ("note", "done")]).is(403, FORBIDDEN).named("handle another's incident"),
        form(Li, &wang_status, &[("status", "withdrawn")]).is(403, FORBIDDEN).named("withdraw another's incident"),
        form(Li, &li_status, &[("status", "closed")]).is(422, "Unknown status."),
        form(Li, &li_status, &[("status", "handled"), ("note", "  ")]).is(422, "This is required."),
        form(Li, &li_status, &[("status", "handled"), ("note", &l10001)]).is(422, "At most 10,000 characters."),
        form(Li, &li_status, &[("status", "handled"), ("note", "bell \u{7}")]).is(422, "Control characters"),
        form(Li, &li_status, &[]).is(422, "Unknown status.").named("status, no fields"),
        form(Li, "/incidents/999999/status", &[("status", "handled"), ("note", "n")]).is(404, NOT_FOUND),
        form(Li, "/incidents/99999999999999999999/status", &[("status", "handled"), ("note", "n")]).is(404, NOT_FOUND),
        form(Li, "/incidents/abc/status", &[("status", "handled"), ("note", "n")]).is(404, NOT_FOUND),
        form(Li, "/incidents/-1/status", &[("status", "handled"), ("note", "n")]).is(404, NOT_FOUND),
        raw(Li, &li_status, b"status=handled&note=n").is(403, CSRF).named("status without CSRF"),
        form(Anon, &li_status, &[("status", "handled"), ("note", "n")]).is(303, TO_LOGIN),
        // ---- reading pages with bad addresses
        page(Li, "/incidents/99999999999999999999").is(404, NOT_FOUND),
        page(Li, "/incidents/abc").is(404, NOT_FOUND),
        page(Li, "/incidents/999999").is(404, NOT_FOUND),
        page(Li, "/incidents/-5").is(404, NOT_FOUND),
        page(Li, "/incidents?page=abc").is(400, "the address could not be read"),
        page(Li, "/incidents?page=99999999999999999999").is(400, "the address could not be read"),
        page(Li, "/incidents?q=a%00b").is(400, NOT_TEXT),
        page(Li, "/incidents?week=%FF").is(400, NOT_TEXT),
        page(Li, "/incidents/new?x=%00").is(400, NOT_TEXT),
        page(Li, "/admin").is(403, FORBIDDEN),
        page(Lead, "/admin").is(403, FORBIDDEN),
        page(Anon, "/admin").is(303, TO_LOGIN),
        page(SignedOut, "/account").is(303, TO_LOGIN),
        // ---- account: language and tokens
        form(Li, "/account/language", &[("language", "klingon")]).is(400, "unknown language"),
        form(Li, "/account/language", &[("language", &l60k)]).is(400, "unknown language"),
        raw(Li, "/account/language", b"csrf_token={csrf}&language=zh%00").is(400, NOT_TEXT),
        raw(Li, "/account/language", b"language=zh-CN").is(403, CSRF).named("language without CSRF"),
        form(Anon, "/account/language", &[("language", "zh-CN")]).is(303, TO_LOGIN),
        raw(Li, "/account/tokens", b"csrf_token={csrf}&label=a%00b").is(400, NOT_TEXT).named("token label with NUL"),
        raw(Li, "/account/tokens", b"label=x").is(403, CSRF).named("token without CSRF"),
        form(Li, "/account/tokens", &[("label", "")]).is(422, "This is required.").named("token without a label"),
        form(Li, "/account/tokens", &[("label", "bell \u{7} rings")]).is(422, "Control characters").named("token label with BEL"),
        form(Li, "/account/tokens", &[("label", "\u{1b}[31mred")]).is(422, "Control characters").named("token label with ESC"),
        raw(Li, "/account/tokens", format!("csrf_token={{csrf}}&label={huge}").as_bytes()).is(413, TOO_LARGE),
        form(Anon, "/account/tokens", &[("label", "x")]).is(303, TO_LOGIN),
        form(SignedOut, "/account/tokens", &[("label", "x")]).is(303, TO_LOGIN),
        form(Li, &wang_revoke, &[]).is(403, FORBIDDEN).named("revoke another's token"),
        form(Lead, &wang_revoke, &[]).is(403, FORBIDDEN).named("a lead revokes another's token"),
        form(Li, "/account/tokens/999999/revoke", &[]).is(404, NOT_FOUND),
        form(Li, "/account/tokens/abc/revoke", &[]).is(404, NOT_FOUND),
        form(Li, "/account/tokens/99999999999999999999/revoke", &[]).is(404, NOT_FOUND),
        raw(Li, &wang_revoke, b"").is(403, CSRF).named("revoke without CSRF"),
        form(Anon, &wang_revoke, &[]).is(303, TO_LOGIN),
        // ---- admin: members and leads may not; admins get each field checked
        form(Li, "/admin/timezone", &[("timezone", "Asia/Shanghai")]).is(403, FORBIDDEN),
        form(Lead, "/admin/timezone", &[("timezone", "Asia/Shanghai")]).is(403, FORBIDDEN),
        form(Admin, "/admin/timezone", &[("timezone", "Mars/Olympus_Mons")]).is(422, "Not a known IANA time zone"),
        form(Admin, "/admin/timezone", &[("timezone", "")]).is(422, "Not a known IANA time zone"),
        form(Admin, "/admin/timezone", &[("timezone", "UTC'; DROP TABLE settings; --")]).is(422, "Not a known IANA"),
        form(Admin, "/admin/timezone", &[("timezone", &l60k)]).is(422, "Not a known IANA time zone"),
        raw(Admin, "/admin/timezone", b"csrf_token={csrf}&timezone=UTC%00").is(400, NOT_TEXT),
        raw(Admin, "/admin/timezone", b"timezone=UTC").is(403, CSRF).named("time zone without CSRF"),
        form(Anon, "/admin/timezone", &[("timezone", "UTC")]).is(303, TO_LOGIN),
        form(Li, "/admin/users", &[("login", "sneaky"), ("display_name", "S"), ("role", "admin"), ("password", pw)]).is(403, FORBIDDEN),
        form(Lead, "/admin/users", &[("login", "sneaky"), ("display_name", "S"), ("role", "admin"), ("password", pw)]).is(403, FORBIDDEN),
        new_user("Bad Login!", "N", "member", "", pw).is(422, "Use lower-case letters, digits, dots"),
        new_user(&long(65), "N", "member", "", pw).is(422, "Use lower-case letters, digits, dots").named("login 65 long"),
        new_user("li", "N", "member", "", pw).is(422, "That login is taken."),
        new_user("LI", "N", "member", "", pw).is(422, "That login is taken.").named("login taken, other case"),
        new_user("new1", "N", "superadmin", "", pw).is(422, "Choose member, lead or admin."),
        new_user("new1", "N", "member", "", "short").is(422, "At least 8 characters."),
        new_user("new1", "N", "member", "", &long(1025)).is(422, "At most 1,024 characters"),
        new_user("new1", &l101, "member", "", pw).is(422, "At most 100 characters."),
        new_user("new1", "", "member", "", pw).is(422, "This is required."),
        new_user("new1", "N", "member", "nope", pw).is(422, "No such department."),
        new_user("new1", "N", "member", "'; DROP TABLE users; --", pw).is(422, "No such department."),
        form(Admin, "/admin/users", &[]).is(422, "This is required.").named("add user, no fields"),
        raw(Admin, "/admin/users", b"csrf_token={csrf}&login=new1&display_name=N&role=member&department=sa%00les&password=correct+horse+battery")
            .is(400, NOT_TEXT).named("add user, department with NUL"),
        form(Li, &li_user, &[("role", "admin"), ("department", "sales"), ("active", "on")]).is(403, FORBIDDEN).named("a member makes themself admin"),
        form(Lead, &li_user, &[("role", "lead"), ("department", "sales"), ("active", "on")]).is(403, FORBIDDEN).named("a lead promotes a member"),
        form(Admin, &li_user, &[("role", "owner"), ("department", "sales"), ("active", "on")]).is(422, "Choose member, lead or admin."),
        form(Admin, &li_user, &[("role", "member"), ("department", "nope"), ("active", "on")]).is(422, "No such department."),
        raw(Admin, &li_user, b"csrf_token={csrf}&role=member&department=sa%00les&active=on").is(400, NOT_TEXT),
        form(Admin, &admin_user, &[("role", "member"), ("department", "operations"), ("active", "on")])
            .is(409, "You cannot remove your own admin rights.").named("the admin demotes themself"),
        form(Admin, &admin_user, &[("role", "admin"), ("department", "operations")])
            .is(409, "You cannot remove your own admin rights.").named("the admin deactivates themself"),
        form(Admin, "/admin/users/999999", &[("role", "member"), ("department", ""), ("active", "on")]).is(404, NOT_FOUND),
        form(Admin, "/admin/users/abc", &[("role", "member")]).is(404, NOT_FOUND),
        form(Admin, "/admin/users/99999999999999999999", &[("role", "member")]).is(404, NOT_FOUND),
        form(Li, "/admin/departments", &[("slug", "x"), ("name", "X")]).is(403, FORBIDDEN),
        form(Admin, "/admin/departments", &[("slug", "Bad Slug"), ("name", "X")]).is(422, "Use lower-case letters, digits and dashes"),
        form(Admin, "/admin/departments", &[("slug", "-x"), ("name", "X")]).is(422, "Use lower-case letters, digits and dashes"),
        form(Admin, "/admin/departments", &[("slug", &long(41)), ("name", "X")]).is(422, "Use lower-case letters, digits and dashes"),
        form(Admin, "/admin/departments", &[("slug", "sales"), ("name", "Sales again")]).is(422, "That slug is taken."),
        form(Admin, "/admin/departments", &[("slug", "new-dept"), ("name", "")]).is(422, "This is required."),
        form(Admin, "/admin/departments", &[("slug", "new-dept"), ("name", &l101)]).is(422, "At most 100 characters."),
        form(Li, &sales, &[("name", "Mine")]).is(403, FORBIDDEN),
        form(Admin, &sales, &[("name", " ")]).is(422, "This is required."),
        form(Admin, "/admin/departments/999999", &[("name", "X")]).is(404, NOT_FOUND),
        form(Admin, "/admin/departments/abc", &[("name", "X")]).is(404, NOT_FOUND),
        category(Li, "/admin/categories", "new-cat", "New", "新", "").is(403, FORBIDDEN),
        category(Lead, &other, "other", "Other!", "其他", "").is(403, FORBIDDEN),
        category(Admin, "/admin/categories", "other", "Other", "其他", "").is(422, "That slug is taken."),
        category(Admin, "/admin/categories", "New Cat", "New", "新", "").is(422, "Use lower-case letters, digits and dashes"),
        category(Admin, "/admin/categories", "new-cat", "New", "", "").is(422, "This is required."),
        category(Admin, "/admin/categories", "new-cat", "New", "新", &l201).is(422, "At most 200 characters."),
        category(Admin, &other, "other", "", "其他", "").is(422, "This is required."),
        category(Admin, "/admin/categories/999999", "x", "X", "X", "").is(404, NOT_FOUND),
        category(Admin, "/admin/categories/abc", "x", "X", "X", "").is(404, NOT_FOUND),
        raw(Admin, &other, b"csrf_token={csrf}&name_en=Other&name_zh=%E5%85%B6%00").is(400, NOT_TEXT),
        // ---- API: who may ask
        api(None, br#"{"title":"t","category":"other"}"#).is(401, NO_TOKEN),
        api(Some("nonsense"), br#"{"title":"t","category":"other"}"#).is(401, NO_TOKEN),
        api(Some(&format!("rungs_{}", "0".repeat(64))), br#"{"title":"t","category":"other"}"#).is(401, NO_TOKEN).named("a made-up token"),
        api(Some(&w.revoked_token), br#"{"title":"t","category":"other"}"#).is(401, NO_TOKEN).named("a revoked token"),
        api(Some(&w.gone_token), br#"{"title":"t","category":"other"}"#).is(401, NO_TOKEN).named("a deactivated user's token"),
        // ---- API: the body
        api(tok, b"[]").is(400, "the body must be a JSON object"),
        api(tok, b"\"title\"").is(400, "the body must be a JSON object"),
        api(tok, b"not json").is(400, "the body is not valid JSON"),
        api(tok, b"").is(400, "the body is not valid JSON").named("empty JSON body"),
        api(tok, b"{\"title\":\"\xff\xfe\",\"category\":\"other\"}").is(400, "the body is not valid JSON").named("JSON, invalid UTF-8"),
        api(tok, br#"{"title":"\ud800","category":"other"}"#).is(400, "the body is not valid JSON").named("JSON, lone surrogate"),
        api(tok, format!("{}{}", "[".repeat(5000), "]".repeat(5000)).as_bytes()).is(400, "the body is not valid JSON").named("JSON nested 5000 deep"),
        api(tok, br#"{"title":1e400,"category":"other"}"#).is(400, "the body is not valid JSON").named("JSON number out of range"),
        api(tok, format!(r#"{{"title":"{huge}","category":"other"}}"#).as_bytes()).is(413, TOO_LARGE),
        api_typed(tok, "text/plain", br#"{"title":"t","category":"other"}"#).is(400, "Content-Type: application/json"),
        api_typed(tok, FORM, b"title=t&category=other").is(400, "Content-Type: application/json").named("a form to the API"),
        api_json(t, json!({})).is(422, r#""category":"This is required.","title":"This is required.""#),
        api_json(t, json!({"title": null, "category": "other"})).is(422, r#""title":"This is required.""#),
        api_json(t, json!({"title": 123, "category": "other"})).is(422, r#""title":"Must be a string.""#),
        api_json(t, json!({"title": ["t"], "category": "other"})).is(422, r#""title":"Must be a string.""#),
        api_json(t, json!({"title": {"$ne": ""}, "category": "other"})).is(422, r#""title":"Must be a string.""#),
        api_json(t, json!({"title": "t", "category": "other", "occurred_at": 1_700_000_000})).is(422, r#""occurred_at":"Must be a string.""#),
        api(tok, br#"{"title":99999999999999999999999,"category":"other"}"#).is(422, r#""title":"Must be a string.""#).named("title a huge number"),
        api_json(t, json!({"title": "t", "category": "other", "tags": "a,b"})).is(422, r#""tags":"Must be a list of strings without commas.""#),
        api_json(t, json!({"title": "t", "category": "other", "tags": [1]})).is(422, r#""tags":"Must be a list"#),
        api_json(t, json!({"title": "t", "category": "other", "tags": ["a,b"]})).is(422, r#""tags":"Must be a list"#),
        api_json(t, json!({"title": "t", "category": "other", "tags": (0..11).map(|i| format!("t{i}")).collect::<Vec<_>>()})).is(422, r#""tags":"At most 10 tags.""#),
        api_json(t, json!({"title": "", "category": "other"})).is(422, r#""title":"This is required.""#),
        api_json(t, json!({"title": l201, "category": "other"})).is(422, r#""title":"At most 200 characters.""#),
        api_json(t, json!({"title": "t", "body": l10001, "category": "other"})).is(422, r#""body":"At most 10,000 characters.""#),
        api_json(t, json!({"title": "a\u{0}b", "category": "other"})).is(422, r#""title":"Control characters are not allowed.""#),
        api_json(t, json!({"title": "t", "category": "other", "external_ref": l101})).is(422, r#""external_ref":"At most 100 characters.""#),
        api_json(t, json!({"title": "t", "category": "nope"})).is(422, r#""category":"No such category.""#),
        api_json(t, json!({"title": "t", "category": "other", "department": "nope"})).is(422, r#""department":"No such department.""#),
        api_json(t, json!({"title": "t", "category": "other", "counterpart": "' OR 1=1 --"})).is(422, r#""counterpart":"Use lower-case"#),
        api_json(t, json!({"title": "t", "category": "other", "occurred_at": "1970-01-01T00:00:00Z"})).is(422, r#""occurred_at":"The time must be between 2000 and tomorrow.""#),
        api_json(t, json!({"title": "t", "category": "other", "occurred_at": "2999-01-01T00:00:00Z"})).is(422, r#""occurred_at":"The time must be between 2000 and tomorrow.""#),
        api_json(t, json!({"title": "t", "category": "other", "occurred_at": "2026-13-01T00:00:00Z"})).is(422, r#""occurred_at":"Give a date and time"#),
        api_json(t, json!({"title": "t", "category": "other", "occurred_at": "2016-12-31T23:59:60Z"})).is(422, r#""occurred_at":"Give a date and time"#).named("a leap second, RFC 3339"),
        api_json(t, json!({"title": "t", "category": "other", "reporter_id": 1})).is(422, r#""reporter_id":"Unknown field.""#),
        api_json(t, json!({"title": "t", "category": "other", "status": "handled"})).is(422, r#""status":"Unknown field.""#),
        api_json(t, json!({"id": 1, "title": "t", "category": "other"})).is(422, r#""id":"Unknown field.""#),
        // ---- API: reading
        api_get(None, "/api/v1/incidents/1").is(401, NO_TOKEN),
        api_get(tok, "/api/v1/incidents/abc").is(404, "not found"),
        api_get(tok, "/api/v1/incidents/99999999999999999999").is(404, "not found"),
        api_get(tok, "/api/v1/incidents/999999").is(404, "not found"),
        api_get(tok, "/api/v1/incidents/1%00").is(404, "not found"),
        api_get(tok, "/api/v1/incidents/1?x=%00").is(400, NOT_TEXT),
        api_get(tok, "/api/v1/nothing-here").is(404, "not found"),
        // ---- weeks and days outside the years 2000 to 9999, on pages and the API
        page(Lead, "/review?week=0000-W01").is(422, "in the years 2000 to 9999").named("review of week 0000-W01"),
        page(Lead, "/review?week=1999-W52").is(422, "in the years 2000 to 9999").named("review of week 1999-W52"),
        page(Lead, "/review?week=%2B999-W01").is(422, "in the years 2000 to 9999").named("review of a signed year"),
        api_get(tok, "/api/v1/clusters/1/drivers?week=0000-W01").is(422, r#""week":"#).named("drivers of week 0000-W01"),
        api_get(tok, "/api/v1/clusters/1/coach?as_of=%2B262142-12-31").is(422, r#""as_of":"#).named("coach as of year 262142"),
        api_get(tok, "/api/v1/clusters/1/coach?as_of=0000-01-01").is(422, r#""as_of":"#).named("coach as of year 0"),
        // ---- the weekly review is for leads, on the API as on its page
        api_get(tok, "/api/v1/clusters").is(403, "you may not do this").named("a member reads the week's review"),
        page(Li, "/review").is(403, FORBIDDEN).named("a member opens the review"),
    ]
}

async fn send(app: &TestApp, w: &World, case: &Case) -> (u16, Option<String>, String) {
    let (client, csrf) = match &case.auth {
        Auth::Page(who) => {
            let (b, csrf) = &w.browsers[who];
            (b.client.clone(), csrf.clone())
        }
        Auth::Token(_) => (
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            String::new(),
        ),
    };
    let url = app.url(&case.path);
    let mut req = if case.post {
        client.post(url)
    } else {
        client.get(url)
    };
    if let Auth::Token(Some(token)) = &case.auth {
        req = req.header("authorization", format!("Bearer {token}"));
    }
    if let Some((content_type, body)) = &case.body {
        if !content_type.is_empty() {
            req = req.header("content-type", *content_type);
        }
        req = req.body(replace(body, b"{csrf}", csrf.as_bytes()));
    }
    let res = req.send().await.expect("the server answers");
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string());
    (status, location, res.text().await.unwrap_or_default())
}

#[tokio::test]
async fn bad_input_is_refused_clearly_and_changes_nothing() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let w = world(&app).await;
        let before = snapshot(&app);
        let cases = cases(&w);
        let mut failures = Vec::new();
        for case in &cases {
            let (status, location, body) = send(&app, &w, case).await;
            let what = if case.what.is_empty() {
                format!(
                    "{} {}",
                    case.path,
                    case.body
                        .as_ref()
                        .map(|(_, b)| String::from_utf8_lossy(b)
                            .chars()
                            .take(90)
                            .collect::<String>())
                        .unwrap_or_default()
                )
            } else {
                format!("{} ({})", case.what, case.path)
            };
            if status != case.status {
                let excerpt: String = body.chars().take(300).collect();
                failures.push(format!(
                    "{what}: status {status}, expected {}: {excerpt}",
                    case.status
                ));
            } else if status == 303 {
                let loc = location.unwrap_or_default();
                if !loc.starts_with(&case.says) {
                    failures.push(format!(
                        "{what}: redirect to {loc:?}, expected {:?}",
                        case.says
                    ));
                }
            } else if !body.contains(&case.says) {
                let excerpt: String = body.chars().take(600).collect();
                failures.push(format!(
                    "{what}: the answer does not say {:?}: {excerpt}",
                    case.says
                ));
            }
            let changed = changes(&before, &snapshot(&app));
            if !changed.is_empty() {
                failures.push(format!("{what}: the database changed: {changed:?}"));
                break;
            }
        }
        assert!(
            failures.is_empty(),
            "{}: {} of {} cases failed:\n{}",
            app.backend,
            failures.len(),
            cases.len(),
            failures.join("\n")
        );
    }
}
