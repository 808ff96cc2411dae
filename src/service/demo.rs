//! The demo data set: the approval story of docs/ladder.md, told in incidents and actions
//! over the last year, so that every page has something true to show.

use super::accounts::{Actor, NewUserInput};
use super::grouping::GroupingCache;
use super::intake::RawIncident;
use super::ladder::ActionInput;
use crate::db::DbConn;
use crate::domain::role::Role;
use crate::domain::states::ActionStage;
use crate::error::{AppError, AppResult};
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

pub const PASSWORD: &str = "rungs-demo";

/// (login, name, role, department)
pub const PEOPLE: [(&str, &str, &str, &str); 7] = [
    ("admin", "Admin", "admin", "operations"),
    ("lead", "Zhao Lei", "lead", "operations"),
    ("li", "Li Wei", "member", "sales"),
    ("wang", "Wang Fang", "member", "sales"),
    ("chen", "Chen Jing", "member", "approval"),
    ("pm", "Sun Yu", "member", "product"),
    ("hr", "Zhou Min", "member", "hr"),
];

const CHASES: [&str; 8] = [
    "催审批：订单 {n} 的审批进度怎么还没出来",
    "Chasing approval for order {n} again",
    "客户在等，订单 {n} 审批还没过，帮忙催一下",
    "order {n} approval still pending, customer asking",
    "订单{n}审批卡住了，催审批",
    "approval for SO-{n} is taking forever, can someone chase",
    "催一下订单 {n} 的审批，客户已经同意了",
    "Need approval status for order {n}",
];

/// A small deterministic generator, so the demo is the same every time.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

struct Story<'a> {
    conn: &'a mut DbConn,
    grouping: &'a GroupingCache,
    tz: Tz,
    monday: NaiveDate,
    dice: Dice,
    people: Vec<Actor>,
    order: u32,
}

impl Story<'_> {
    fn who(&self, login: &str) -> Actor {
        self.people
            .iter()
            .find(|p| p.login == login)
            .cloned()
            .expect("demo person")
    }

    fn at(&self, weeks_back: i64, weekday: i64, hour: u32, minute: u32) -> DateTime<Utc> {
        let day = self.monday - Duration::weeks(weeks_back) + Duration::days(weekday);
        let local = day.and_hms_opt(hour, minute, 0).expect("valid time");
        self.tz
            .from_local_datetime(&local)
            .earliest()
            .expect("a local time")
            .with_timezone(&Utc)
    }

    fn file(
        &mut self,
        login: &str,
        at: DateTime<Utc>,
        title: String,
        category: &str,
        counterpart: &str,
        tags: &str,
    ) -> AppResult<()> {
        let actor = self.who(login);
        self.order += 1;
        let raw = RawIncident {
            title,
            category: category.into(),
            counterpart: counterpart.into(),
            tags: tags.into(),
            occurred_at: at.to_rfc3339(),
            external_ref: format!("SO-{}", 1000 + self.order % 700),
            ..Default::default()
        };
        super::intake::file(
            self.conn,
            self.grouping,
            &actor,
            &raw,
            Utc::now().max(at + Duration::minutes(1)),
        )
        .map(|_| ())
    }

    /// `n` chases in a week; `lunch` of them between 12:00 and 13:59.
    fn chases(&mut self, weeks_back: i64, n: u32, lunch: u32) -> AppResult<()> {
        for i in 0..n {
            let (hour, minute) = if i < lunch {
                // 12:00 to 13:59, the hours taken in turn (the die cast all the same).
                let _ = self.dice.below(2);
                (12 + i % 2, self.dice.below(60) as u32)
            } else {
                (9 + self.dice.below(9) as u32, self.dice.below(60) as u32)
            };
            // Spread evenly over the working week: what moves is the hour. (The die is
            // still cast, so that the rest of the story draws the same numbers.)
            let _ = self.dice.below(5);
            let weekday = i64::from(i % 5);
            let at = self.at(weeks_back, weekday, hour, minute);
            let text = CHASES[self.dice.below(CHASES.len() as u64) as usize]
                .replace("{n}", &(1100 + self.order).to_string());
            let who = if self.dice.below(3) == 0 {
                "wang"
            } else {
                "li"
            };
            self.file(who, at, text, "approval-chase", "approval", "")?;
        }
        // As the server's consolidation does after filings.
        super::clusters::consolidate(
            self.conn,
            self.grouping,
            crate::domain::grouping::consolidate::DEFAULT_MERGE_THRESHOLD,
        )?;
        Ok(())
    }

    fn background(&mut self, weeks_back: i64) -> AppResult<()> {
        let bugs = [
            "CRM 登录报错 500",
            "CRM login fails with error 500",
            "CRM 打不开，登录页一直转圈",
        ];
        let questions = [
            "折扣审批流程怎么走？",
            "How do I request a special discount?",
            "特价申请要走哪个流程",
        ];
        for _ in 0..(1 + self.dice.below(2)) {
            let (weekday, hour) = (self.dice.below(5) as i64, 10 + self.dice.below(7) as u32);
            let at = self.at(weeks_back, weekday, hour, 5);
            let t = bugs[self.dice.below(3) as usize].to_string();
            self.file("wang", at, t, "system-bug", "product", "")?;
        }
        for _ in 0..self.dice.below(3) {
            let weekday = self.dice.below(5) as i64;
            let at = self.at(weeks_back, weekday, 14, 20);
            let t = questions[self.dice.below(3) as usize].to_string();
            self.file("li", at, t, "process-question", "operations", "")?;
        }
        Ok(())
    }

    /// The lead holds the retrospective of the week `weeks_back` with the team, its
    /// notes and decisions; a decision with an action becomes that action on `cluster`
    /// in the same step. The decisions' ids and their actions', in order.
    fn meeting(
        &mut self,
        lead: &Actor,
        weeks_back: i64,
        notes: &str,
        decisions: Vec<(&str, Option<ActionInput>)>,
        cluster: i64,
    ) -> AppResult<Vec<(i64, Option<i64>)>> {
        use super::meetings;
        let week = crate::domain::week::WeekKey::of(self.monday - Duration::weeks(weeks_back));
        let attendees = ["lead", "li", "wang", "chen"].map(String::from).to_vec();
        let input = meetings::MeetingInput {
            attendees,
            notes: notes.into(),
        };
        meetings::save(self.conn, lead, week, &input)?;
        let mut actions = Vec::new();
        for (body, action) in decisions {
            let input = meetings::DecisionInput {
                body: body.into(),
                cluster: action.as_ref().map(|_| cluster),
                action: action.unwrap_or_default(),
            };
            let decided =
                meetings::decide(self.conn, lead, week, &input, self.tz, Default::default())?;
            actions.push(decided);
        }
        meetings::hold(self.conn, lead, week)?;
        Ok(actions)
    }

    fn wrong_prices(&mut self, weeks_back: i64, n: u64) -> AppResult<()> {
        for i in 0..n {
            let at = self.at(weeks_back, (i % 5) as i64, 11, (i * 7 % 60) as u32);
            self.file(
                "chen",
                at,
                "审批通过的订单价格错了，需要改 approved order had wrong price".into(),
                "data-fix",
                "approval",
                "",
            )?;
        }
        Ok(())
    }
}

/// Load the story into an empty database; returns (login, password) pairs.
pub fn load(
    conn: &mut DbConn,
    grouping: &GroupingCache,
    now: DateTime<Utc>,
) -> AppResult<Vec<(String, String)>> {
    if crate::db::users::count(conn)? > 0 || crate::db::incidents::total(conn)? > 0 {
        return Err(AppError::Conflict("conflict.demo_not_empty"));
    }
    let tz = chrono_tz::Asia::Shanghai;
    super::organisation::set_timezone(conn, None, tz)?;
    let mut people = Vec::new();
    for (login, name, role, department) in PEOPLE {
        let input = NewUserInput {
            login: login.into(),
            display_name: name.into(),
            role: role.into(),
            department: department.into(),
            password: PASSWORD.into(),
            language: if login == "lead" {
                "zh-CN".into()
            } else {
                String::new()
            },
        };
        people.push(super::accounts::create_user(conn, None, &input)?);
    }
    let today = now.with_timezone(&tz).date_naive();
    let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
    let day = |k: i64| (monday - Duration::weeks(k)).to_string();
    let mut story = Story {
        conn,
        grouping,
        tz,
        monday,
        dice: Dice(0x5eed_cafe),
        people,
        order: 0,
    };
    let lead = Actor {
        role: Role::Lead,
        ..story.who("lead")
    };

    // A year ago, the same weeks: a quieter desk.
    for k in 52..=56 {
        story.chases(k, 3, 1)?;
        story.background(k)?;
    }
    // Level 0: chases handled one by one, about ten a week.
    for k in (21..=26).rev() {
        let n = 10 + story.dice.below(3) as u32;
        story.chases(k, n, 3)?;
        story.background(k)?;
    }
    let cluster = crate::db::clusters::live(story.conn)?
        .into_iter()
        .filter(|c| c.category_id == 1)
        .max_by_key(|c| c.incident_count)
        .ok_or_else(|| AppError::internal("the demo found no approval cluster"))?;
    let id = cluster.id;
    super::clusters::confirm(story.conn, &lead, id)?;
    super::clusters::edit(
        story.conn,
        &lead,
        id,
        &super::clusters::ClusterEdit {
            title: "Approval chasing about order status / 催审批".into(),
            summary: "Sales chase the approval desk about an order's status.".into(),
            owner: "lead".into(),
        },
    )?;
    super::clusters::add_rule(story.conn, &lead, id, "催审批")?;
    // The lead works the triage queue: chases that consolidation left apart, and that
    // triage says look like the story's cluster, are merged into it in one action each
    // (which also teaches the matcher their phrasing).
    for item in super::clusters::triage(story.conn, story.grouping, 50)? {
        let looks_like = item.suggestions.first().map(|s| s.cluster_id);
        if item.cluster.category_id == cluster.category_id && looks_like == Some(id) {
            super::clusters::merge(story.conn, story.grouping, &lead, item.cluster.id, id)?;
        }
    }
    // Orders grew; the lunch rota is short-handed: chasing rises, mostly at lunchtime.
    // The first of these weeks is the spike the review flags, its rise over lunch.
    for k in (17..=20).rev() {
        story.chases(k, 30, 22)?;
        story.background(k)?;
    }
    // Level 1: a process change, the lunch rota, decided at the retrospective.
    let create = |story: &mut Story, input: ActionInput| {
        super::ladder::create(story.conn, &lead, id, &input, tz)
    };
    let lunch_rota = story.meeting(
        &lead,
        17,
        "Chases tripled since W-3, two thirds of them over lunch. The approval desk's lunch rota is short-handed.",
        vec![
            (
                "Staff the approval desk over lunch",
                Some(ActionInput {
                    rung: Some(1),
                    title: "Staff the approval desk over lunch".into(),
                    why: "Most chases happen between 12:00 and 13:59; the lunch rota is short-handed since orders grew.".into(),
                    owner: "lead".into(),
                    goal_kind: "weekly_rate_below".into(),
                    goal_value: Some(2.0),
                    launched_on: day(16),
                    review_after_weeks: Some(3),
                    ..Default::default()
                }),
            ),
        ],
        id,
    )?;
    for k in (12..=16).rev() {
        story.chases(k, 12, 3)?;
        story.background(k)?;
    }
    // Level 2: let sales see progress; alert the approver and their manager.
    let decided = story.meeting(
        &lead,
        12,
        "The lunch rota reduced the chases but did not end them. Why must sales chase at all?",
        vec![
            (
                "Show approval progress to sales; alert approver and manager when late",
                Some(ActionInput {
                    rung: Some(2),
                    title: "Show approval progress to sales; alert approver and manager when late".into(),
                    why: "Why must sales chase at all? They could see progress themselves, and the system could alert.".into(),
                    owner: "pm".into(),
                    review_after_weeks: Some(3),
                    ..Default::default()
                }),
            ),
            ("Interview salespeople: why do several chase the same order?", None),
        ],
        id,
    )?;
    let feature = decided[0]
        .1
        .ok_or_else(|| AppError::internal("the feature's action"))?;
    // The lunch rota is staffed and judged: its decision is done.
    super::meetings::close_decision(story.conn, &lead, lunch_rota[0].0)?;
    for (stage, k) in [
        (ActionStage::Scheduled, 12),
        (ActionStage::InDevelopment, 12),
        (ActionStage::Launched, 11),
    ] {
        super::ladder::advance(story.conn, &lead, feature, stage.as_str(), &day(k), "", tz)?;
    }
    for k in (9..=11).rev() {
        story.chases(k, 5, 0)?;
        story.background(k)?;
    }
    // Level 3: the credit rule. Signed off by sales, product and HR, after one objection.
    let policy = create(&mut story, ActionInput {
        rung: Some(3),
        title: "A salesperson may lock a customer for one approval cycle".into(),
        why: "Interviews: credit counts only once an approval passes, so salespeople race for the same customer.".into(),
        owner: "lead".into(),
        departments: vec!["sales".into(), "product".into(), "hr".into()],
        review_after_weeks: Some(2),
        ..Default::default()
    })?;
    let sign = |story: &mut Story, who: &str, dept: &str, decision: &str, comment: &str| {
        let actor = story.who(who);
        super::ladder::sign_off(story.conn, &actor, policy, dept, decision, comment)
    };
    sign(&mut story, "li", "sales", "approve", "")?;
    sign(
        &mut story,
        "pm",
        "product",
        "object",
        "The lock period must follow the approval cycle, not a fixed month.",
    )?;
    sign(&mut story, "hr", "hr", "approve", "")?;
    sign(
        &mut story,
        "pm",
        "product",
        "approve",
        "Agreed: lock = one approval cycle.",
    )?;
    super::ladder::advance(
        story.conn,
        &lead,
        policy,
        ActionStage::Launched.as_str(),
        &day(8),
        "",
        tz,
    )?;
    story.chases(8, 2, 0)?;
    for k in (5..=7).rev() {
        story.background(k)?;
    }
    // The policy's review: eliminated, so the cluster is resolved (and watched).
    let review_day = tz
        .from_local_datetime(
            &(monday - Duration::weeks(5) + Duration::days(2))
                .and_hms_opt(12, 0, 0)
                .expect("noon"),
        )
        .earliest()
        .expect("a local time")
        .with_timezone(&Utc);
    // As the scheduler's verdicts job would have settled it on that day.
    super::effects::settle(story.conn, id, tz, review_day)?;
    // Level 4: the mechanism that would have caught the flaw.
    create(&mut story, ActionInput {
        rung: Some(4),
        title: "Every policy needs sign-off from sales, product and HR; weekly retrospective of new policies for 6 weeks".into(),
        why: "Why was so serious a flaw not found before launch, nor soon after?".into(),
        owner: "admin".into(),
        retro_weeks: Some(6),
        launched_on: day(6),
        ..Default::default()
    })?;
    // Levels 5 and 6: timeliness in the approval KPI, its weight tuned with a guard.
    story.wrong_prices(6, 1)?;
    story.wrong_prices(5, 1)?;
    let guard = crate::db::catalog::category_by_slug(story.conn, "data-fix")?
        .map(|c| c.slug)
        .unwrap_or_default();
    create(
        &mut story,
        ActionInput {
            rung: Some(5),
            title: "Add approval timeliness to the approval department's KPI".into(),
            why: "Why is the approval desk never in a hurry? Timeliness is not in its KPI.".into(),
            owner: "lead".into(),
            kpi_department: "approval".into(),
            kpi_item: "approval timeliness".into(),
            kpi_definition: "share of approvals within 4 working hours".into(),
            kpi_weight: Some(10.0),
            launched_on: day(4),
            ..Default::default()
        },
    )?;
    let tuning = create(
        &mut story,
        ActionInput {
            rung: Some(6),
            title: "Timeliness weight 30%".into(),
            why: "Too heavy a weight makes approvers rush; watch approval errors as the guard."
                .into(),
            owner: "lead".into(),
            kpi_weight: Some(30.0),
            guard_category: guard,
            guard_margin: Some(0.2),
            launched_on: day(4),
            review_after_weeks: Some(2),
            ..Default::default()
        },
    )?;
    for k in (1..=3).rev() {
        story.wrong_prices(k, 4)?;
        story.background(k)?;
    }
    super::ladder::revise_weight(
        story.conn,
        &lead,
        tuning,
        20.0,
        &day(1),
        "approval errors rose: back to 20%",
        tz,
    )?;
    // One chase last week: the resolved cluster regressed.
    story.chases(1, 1, 1)?;
    Ok(PEOPLE
        .iter()
        .map(|(login, ..)| (login.to_string(), PASSWORD.to_string()))
        .collect())
}
