//! The weekly review page (/review?week=), for leads and admins.

use super::charts::{fmt_count, fmt_p, sparkline};
use super::ok;
use super::session::{PageCtx, Signed};
use crate::app_state::AppState;
use crate::domain::comparison::{Comparison, Reading};
use crate::domain::ladder::Rung;
use crate::domain::role::Role;
use crate::domain::states::ClusterState;
use crate::domain::week::WeekKey;
use crate::domain::week::current_week;
use crate::error::{AppError, AppResult};
use crate::i18n::Lang;
use crate::service;
use crate::service::catalog::Catalog;
use crate::service::review::{self, ReviewFilter, ReviewRow};
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

/// Rows on one page of the review's table.
pub const PAGE_ROWS: usize = 50;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/review", web::get().to(review_page));
}

#[derive(Deserialize)]
pub struct ReviewQuery {
    week: Option<String>,
    #[serde(default)]
    category: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    page: Option<usize>,
}

/// One table row, worded.
pub struct RowView {
    pub id: i64,
    pub title: String,
    pub category: String,
    pub this_week: u64,
    pub last_week: u64,
    pub last_year: u64,
    pub baseline: String,
    pub change: String,
    pub reading: String,
    pub reading_key: &'static str,
    pub p_value: String,
    pub flags: Vec<&'static str>,
    pub spark: String,
    pub refs: u64,
    pub rung: Rung,
    pub state: ClusterState,
    pub owner: String,
    pub confirmed: bool,
    /// New or spiking: the row stands out.
    pub stands_out: bool,
}

/// A category's or the team's line, worded.
pub struct TotalView {
    pub name: String,
    pub this_week: u64,
    pub last_week: u64,
    pub last_year: u64,
    pub change: String,
    pub reading: String,
    pub spark: String,
}

#[derive(Template)]
#[template(path = "review/index.html")]
struct ReviewPage {
    page: PageCtx,
    week: String,
    content: std::sync::Arc<String>,
}

/// The review's body: language, week, filters and data only (no session), so that it can
/// be cached and shared by every lead reading the same week.
#[derive(Template)]
#[template(path = "review/table.html")]
struct ReviewTable {
    page: PageCtx,
    week: String,
    previous: String,
    next: Option<String>,
    current: String,
    last_year: String,
    rows: Vec<RowView>,
    total_rows: usize,
    page_no: usize,
    pages: usize,
    team: TotalView,
    categories: Vec<TotalView>,
    catalog: Catalog,
    category: String,
    department: String,
    triage: i64,
}

impl ReviewTable {
    fn category_label(&self, slug: &str) -> String {
        self.catalog
            .categories
            .iter()
            .find(|c| c.slug == slug)
            .map(|c| localised(self.page.lang, &c.name_en, &c.name_zh))
            .unwrap_or_default()
    }

    /// The same filters on another week or page.
    fn link(&self, week: &str, page: usize) -> String {
        let mut url = format!("/review?week={week}");
        for (k, v) in [
            ("category", &self.category),
            ("department", &self.department),
        ] {
            if !v.is_empty() {
                url.push_str(&format!("&{k}={}", urlencoding::encode(v)));
            }
        }
        if page > 1 {
            url.push_str(&format!("&page={page}"));
        }
        url
    }
}

fn localised(lang: Lang, en: &str, zh: &str) -> String {
    if lang == Lang::Zh { zh } else { en }.to_string()
}

/// "+12 (+200%)", "−3 (−50%)", "+4 (new)".
pub fn change_text(page: &PageCtx, c: &Comparison) -> String {
    let sign = if c.delta > 0 { "+" } else { "" };
    match c.percent {
        Some(p) => format!("{sign}{} ({sign}{}%)", c.delta, p.round() as i64),
        None if c.delta != 0 => format!("{sign}{} ({})", c.delta, page.t("review.from_zero")),
        None => "0".into(),
    }
}

pub fn reading_text(page: &PageCtx, r: &Reading) -> String {
    match r {
        Reading::TooFewToTell { needed } => {
            page.t_with("review.too_few", &[("n", &needed.to_string())])
        }
        other => page.t(&format!("review.{}", other.key())),
    }
}

/// The larger raw p-value and its adjusted value: "p 0.033 · adj. 0.412".
fn p_text(page: &PageCtx, c: &Comparison) -> String {
    format!(
        "p {} · {} {}",
        fmt_p(c.p_value.max(c.baseline_p_value)),
        page.t("review.adjusted"),
        fmt_p(c.q_value)
    )
}

fn row_view(page: &PageCtx, catalog: &Catalog, row: ReviewRow) -> RowView {
    let c = &row.line.cmp;
    let title = page.t_with(
        "review.spark_title",
        &[(
            "counts",
            &row.line
                .series
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        )],
    );
    RowView {
        id: row.cluster.id,
        category: catalog
            .category(row.cluster.category_id)
            .map(|k| localised(page.lang, &k.name_en, &k.name_zh))
            .unwrap_or_default(),
        this_week: c.this_week,
        last_week: c.last_week,
        last_year: c.same_week_last_year,
        baseline: fmt_count((c.baseline_mean * 10.0).round() / 10.0),
        change: change_text(page, c),
        reading: reading_text(page, &c.reading),
        reading_key: c.reading.key(),
        p_value: p_text(page, c),
        flags: row.flags(),
        spark: sparkline(&title, &row.line.series),
        refs: row.line.distinct_refs,
        rung: row.cluster.rung,
        state: row.cluster.state,
        owner: row.cluster.owner.clone().unwrap_or_default(),
        confirmed: row.cluster.confirmed,
        stands_out: c.new || c.spike,
        title: row.cluster.title,
    }
}

fn total_view(page: &PageCtx, name: String, series: &[u64], c: &Comparison) -> TotalView {
    TotalView {
        spark: sparkline(&name, series),
        name,
        this_week: c.this_week,
        last_week: c.last_week,
        last_year: c.same_week_last_year,
        change: change_text(page, c),
        reading: reading_text(page, &c.reading),
    }
}

async fn review_page(
    state: web::Data<AppState>,
    tables: web::Data<super::rendered::RenderedTables>,
    user: Signed,
    query: web::Query<ReviewQuery>,
) -> AppResult<HttpResponse> {
    user.actor.require(Role::Lead)?;
    let query = query.into_inner();
    let cache = state.review.clone();
    // The table sees only the language: it is shared by everyone reading it.
    let page = PageCtx {
        lang: user.page.lang,
        csrf: String::new(),
        user: None,
        path: String::new(),
        flash: None,
    };
    let page_no = query.page.unwrap_or(1).max(1);
    // Everything the table depends on is named in the key, so a hit needs no database.
    let (v, tz) = (user.versions, user.known.timezone);
    let week = review::week_in(query.week.as_deref(), tz)?;
    let current = current_week(chrono::Utc::now(), tz);
    let key = format!(
        "{week}|{}|{}|{page_no}|{}|{}|{}|{}|{}|{current}",
        query.category,
        query.department,
        page.lang.code(),
        v.rollups,
        v.grouping,
        v.clusters,
        v.catalog,
    );
    let content = match tables.get(&key) {
        Some(html) => html,
        None => {
            let known = user.known.clone();
            let wanted = TableWanted {
                page,
                week,
                current,
                page_no,
                query,
            };
            let filter = filter_of(&known, &wanted.query);
            let (week, weekly, page_no) = (week, v.weekly(), page_no);
            let html = service::run(&state.pool, move |conn| {
                let found =
                    review::page(conn, &cache, week, weekly, &filter, (page_no, PAGE_ROWS))?;
                table(&known, wanted, found)
            })
            .await?;
            tables.put(key, html.clone());
            html
        }
    };
    ok(&ReviewPage {
        page: user.page,
        week: week.to_string(),
        content,
    })
}

/// One review table to compute: everything it depends on.
struct TableWanted {
    page: PageCtx,
    week: WeekKey,
    current: WeekKey,
    page_no: usize,
    query: ReviewQuery,
}

/// The review's filter from the query: a category by its slug, a department's slug.
fn filter_of(known: &Catalog, query: &ReviewQuery) -> ReviewFilter {
    ReviewFilter {
        category_id: known
            .categories
            .iter()
            .find(|c| c.slug == query.category)
            .map(|c| c.id),
        department: Some(query.department.clone()).filter(|d| !d.is_empty()),
    }
}

/// Render the review's table from what `service::review::page` found.
fn table(
    known: &Catalog,
    wanted: TableWanted,
    found: review::ReviewPage,
) -> AppResult<std::sync::Arc<String>> {
    let TableWanted {
        page,
        week,
        current,
        page_no,
        query,
    } = wanted;
    let catalog = known.clone();
    let review::ReviewPage {
        figures,
        rows,
        total_rows,
        triage,
    } = found;
    let rows = rows
        .into_iter()
        .map(|r| row_view(&page, &catalog, r))
        .collect();
    let next = week.next();
    let categories = figures
        .categories
        .iter()
        .filter_map(|line| {
            let k = catalog.category(line.category_id)?;
            let name = localised(page.lang, &k.name_en, &k.name_zh);
            Some(total_view(&page, name, &line.series, &line.cmp))
        })
        .collect();
    let team_name = page.t("review.team");
    let table = ReviewTable {
        team: total_view(&page, team_name, &figures.team.series, &figures.team.cmp),
        categories,
        week: week.to_string(),
        previous: week.previous().to_string(),
        next: (next <= current).then(|| next.to_string()),
        current: current.to_string(),
        last_year: week.same_week_last_year().to_string(),
        rows,
        total_rows,
        page_no,
        pages: total_rows.div_ceil(PAGE_ROWS).max(1),
        triage,
        catalog,
        category: query.category,
        department: query.department,
        page: page.clone(),
    };
    Ok(std::sync::Arc::new(
        table.render().map_err(AppError::internal)?,
    ))
}

#[cfg(test)]
mod tests {
    use crate::i18n::Lang;

    #[test]
    fn the_review_speaks_both_languages() {
        let keys = [
            "review.title",
            "review.too_few",
            "review.unusual",
            "review.within_noise",
            "review.flag.spike",
            "review.headline_hours",
            "review.headline_values",
            "review.headline_hours_more",
            "review.headline_values_more",
            "review.weekday.7",
            "review.dimension.counterpart",
            "review.against.mean8",
            "review.bad_week",
        ];
        for key in keys {
            for lang in Lang::ALL {
                assert_ne!(lang.t(key), key, "{key} in {}", lang.code());
            }
        }
        let zh = Lang::Zh.t_with(
            "review.headline_hours",
            &[
                ("share", "68"),
                ("from", "12:00"),
                ("to", "13:59"),
                ("baseline", "上周"),
            ],
        );
        assert_eq!(zh, "相对上周的上升中，68% 发生在 12:00 至 13:59 之间。");
    }
}
