//! The demo's team: a lead and an admin in operations with its help desk, a sales force
//! of three dozen, the approval desk, product and HR, named in Chinese and in English.

use crate::db::DbConn;
use crate::error::AppResult;
use crate::service::accounts::{self, Actor, NewUserInput};

pub const PASSWORD: &str = "rungs-demo";

/// (login, display name, role, department)
pub const PEOPLE: [(&str, &str, &str, &str); 52] = [
    ("admin", "Admin", "admin", "operations"),
    ("lead", "赵磊 Zhao Lei", "lead", "operations"),
    ("liuyang", "刘洋", "member", "operations"),
    ("gaomin", "Gao Min", "member", "operations"),
    ("emma", "Emma Xu 徐艾玛", "member", "operations"),
    ("li", "李伟 Li Wei", "member", "sales"),
    ("wang", "Wang Fang", "member", "sales"),
    ("zhangkai", "张凯", "member", "sales"),
    ("kevin", "Kevin Zhang", "member", "sales"),
    ("chenxi", "陈曦", "member", "sales"),
    ("alice", "Alice Wu 吴丽", "member", "sales"),
    ("yanghui", "杨辉", "member", "sales"),
    ("huangjie", "Huang Jie", "member", "sales"),
    ("zhoutao", "周涛", "member", "sales"),
    ("linna", "林娜 Lina", "member", "sales"),
    ("xuming", "徐明", "member", "sales"),
    ("sunli", "Sun Li", "member", "sales"),
    ("mazhi", "马志", "member", "sales"),
    ("guoqing", "郭庆", "member", "sales"),
    ("david", "David He 何大卫", "member", "sales"),
    ("hexin", "何欣", "member", "sales"),
    ("luoyu", "罗宇", "member", "sales"),
    ("tanglei", "Tang Lei", "member", "sales"),
    ("fengjing", "冯静", "member", "sales"),
    ("caobin", "曹斌", "member", "sales"),
    ("grace", "Grace Liu 刘佳", "member", "sales"),
    ("dengchao", "邓超", "member", "sales"),
    ("xiaoyan", "Xiao Yan", "member", "sales"),
    ("panwei", "潘伟", "member", "sales"),
    ("jiangnan", "蒋楠", "member", "sales"),
    ("tom", "Tom Cai 蔡汤姆", "member", "sales"),
    ("weiqiang", "魏强", "member", "sales"),
    ("shenyu", "Shen Yu", "member", "sales"),
    ("hanmei", "韩梅", "member", "sales"),
    ("yuanfei", "袁飞", "member", "sales"),
    ("lucy", "Lucy Dong 董露", "member", "sales"),
    ("pengbo", "彭博", "member", "sales"),
    ("zenghua", "Zeng Hua", "member", "sales"),
    ("lvyang", "吕阳", "member", "sales"),
    ("sujie", "苏杰", "member", "sales"),
    ("jack", "Jack Ren 任杰克", "member", "sales"),
    ("chen", "陈静 Chen Jing", "member", "approval"),
    ("qianli", "钱丽", "member", "approval"),
    ("songyi", "Song Yi", "member", "approval"),
    ("fanghua", "方华", "member", "approval"),
    ("yuting", "于婷", "member", "approval"),
    ("kongwen", "Kong Wen", "member", "approval"),
    ("pm", "孙宇 Sun Yu", "member", "product"),
    ("lily", "Lily Qin 秦莉", "member", "product"),
    ("duhao", "杜浩", "member", "product"),
    ("hr", "周敏 Zhou Min", "member", "hr"),
    ("xiehong", "谢红", "member", "hr"),
];

/// The team as signed-in people, in the order of `PEOPLE`.
pub struct Team {
    pub people: Vec<Actor>,
}

impl Team {
    /// Create every account; the lead reads Chinese.
    pub fn create(conn: &mut DbConn) -> AppResult<Self> {
        let mut people = Vec::with_capacity(PEOPLE.len());
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
            people.push(accounts::create_user(conn, None, &input)?);
        }
        Ok(Self { people })
    }

    pub fn who(&self, login: &str) -> &Actor {
        self.people
            .iter()
            .find(|p| p.login == login)
            .expect("a demo person")
    }

    /// The people of a department, in the order of `PEOPLE`.
    pub fn of(&self, department: &str) -> Vec<usize> {
        PEOPLE
            .iter()
            .enumerate()
            .filter(|(_, p)| p.3 == department)
            .map(|(i, _)| i)
            .collect()
    }

    /// A display name to write in a text: the first name shown.
    pub fn name(&self, i: usize) -> &'static str {
        PEOPLE[i].1.split(' ').next().unwrap_or(PEOPLE[i].1)
    }
}
