//! What else the team writes: requests that come once, and the customers it names.

/// Requests that come once: filed, placed, and left to the triage queue.
pub const ONE_OFFS: [&str; 24] = [
    "Need a parking permit for a visiting customer",
    "展会物料什么时候到",
    "Can someone translate the brochure for {customer}?",
    "客户想参观工厂，找谁安排",
    "Business cards ran out",
    "名片用完了，怎么申请",
    "Coffee machine on 5F broken",
    "年会报名表在哪里",
    "Where do I send a customer gift?",
    "客户礼品怎么申请",
    "Travel booking to Chengdu next week",
    "出差订票系统上不去",
    "Lost my office key",
    "新员工培训资料在哪",
    "Who handles trade fair registrations?",
    "{customer} 想要一份公司资质文件",
    "Need the company's ISO certificate for {customer}",
    "快递寄样品给客户找谁",
    "Team lunch budget question",
    "办公用品申领",
    "Is there a training on the new CRM dashboard?",
    "客户投诉售后响应慢，转给谁",
    "Who owns the shared sales mailbox?",
    "周末加班怎么调休",
];

/// The customers people name.
pub const CUSTOMERS: [&str; 16] = [
    "鑫达贸易",
    "恒通物流",
    "Greenfield Foods",
    "蓝海科技",
    "Northwind",
    "永兴建材",
    "华信医疗",
    "Blue Ridge Retail",
    "天和电子",
    "Sunrise Hotels",
    "金源食品",
    "Harbor Marine",
    "瑞丰化工",
    "Maple Learning",
    "东方印务",
    "Lakeside Clinics",
];
