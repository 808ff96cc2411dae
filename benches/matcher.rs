//! Build and query benchmark of `ClusterIndex` on synthetic incidents
//! (plain std::time timing). Run: `cargo bench --bench matcher`
//!
//! Synthetic text mixes Chinese and English: each cluster has a topic of a
//! dozen words drawn from a Zipf-distributed vocabulary of 2-character Chinese
//! words and English words (domain words at the head, so concepts and long
//! posting lists occur as in real data); each incident mixes topic words
//! with background words, order numbers and punctuation.

use rungs::domain::grouping::consolidate;
use rungs::domain::grouping::eval::XorShift;
use rungs::domain::grouping::{ClusterIndex, IndexBuilder};
use std::time::{Duration, Instant};

const CATEGORIES: i64 = 5;

/// Counts live heap bytes, to tell the index's own memory from allocator
/// slack in the RSS figures.
struct Counting;
static LIVE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
unsafe impl std::alloc::GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: std::alloc::Layout) -> *mut u8 {
        LIVE.fetch_add(l.size(), std::sync::atomic::Ordering::Relaxed);
        unsafe { std::alloc::System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: std::alloc::Layout) {
        LIVE.fetch_sub(l.size(), std::sync::atomic::Ordering::Relaxed);
        unsafe { std::alloc::System.dealloc(p, l) }
    }
}
#[global_allocator]
static GLOBAL: Counting = Counting;

fn live_heap() -> usize {
    LIVE.load(std::sync::atomic::Ordering::Relaxed)
}

struct Vocab {
    words: Vec<(String, bool)>, // (word, is_chinese)
    cumulative: Vec<f64>,
}

impl Vocab {
    fn new(rng: &mut XorShift) -> Self {
        let domain = [
            "审批",
            "订单",
            "客户",
            "进度",
            "驳回",
            "系统",
            "登录",
            "密码",
            "发票",
            "地址",
            "报表",
            "导出",
            "合同",
            "法务",
            "折扣",
            "价格",
            "重复",
            "业绩",
            "打印机",
            "网络",
            "approval",
            "order",
            "customer",
            "status",
            "rejected",
            "system",
            "login",
            "password",
            "invoice",
            "address",
            "report",
            "export",
            "contract",
            "legal",
            "discount",
            "price",
            "duplicate",
            "credit",
        ];
        let mut words: Vec<(String, bool)> = domain
            .iter()
            .map(|w| (w.to_string(), !w.is_ascii()))
            .collect();
        // 3,000 common Han characters make 2-character words.
        let han: Vec<char> = (0..3000)
            .map(|i| char::from_u32(0x4E00 + (i * 7) % 20000).unwrap())
            .collect();
        let syll = [
            "ka", "to", "ri", "men", "sa", "lo", "pe", "dun", "vi", "ra", "sh", "ek", "ol", "un",
        ];
        for i in 0..40_000 {
            if i % 2 == 0 {
                let w: String = (0..2)
                    .map(|_| han[rng.below(han.len()).min(rng.below(han.len()))])
                    .collect();
                words.push((w, true));
            } else {
                let n = 2 + rng.below(3);
                let w: String = (0..n).map(|_| syll[rng.below(syll.len())]).collect();
                words.push((w, false));
            }
        }
        let mut acc = 0.0;
        let cumulative = (0..words.len())
            .map(|r| {
                acc += 1.0 / (r as f64 + 2.0);
                acc
            })
            .collect();
        Vocab { words, cumulative }
    }

    fn zipf(&self, rng: &mut XorShift) -> usize {
        let total = *self.cumulative.last().unwrap();
        let x = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * total;
        self.cumulative
            .partition_point(|&c| c < x)
            .min(self.words.len() - 1)
    }
}

struct Topic {
    category: i64,
    words: Vec<usize>,
}

fn topic(v: &Vocab, rng: &mut XorShift, category: i64) -> Topic {
    Topic {
        category,
        words: (0..12).map(|_| v.zipf(rng)).collect(),
    }
}

/// An incident about `t`: title and body in Chinese, English or both.
fn incident(v: &Vocab, t: &Topic, rng: &mut XorShift, title: &mut String, body: &mut String) {
    title.clear();
    body.clear();
    let lang = rng.below(3); // 0 zh, 1 en, 2 mixed
    let push = |s: &mut String, n: usize, rng: &mut XorShift| {
        for k in 0..n {
            let w = if rng.below(10) < 6 {
                t.words[rng.below(t.words.len())]
            } else {
                v.zipf(rng)
            };
            let (word, zh) = &v.words[w];
            let keep = match lang {
                0 => *zh,
                1 => !*zh,
                _ => true,
            };
            if !keep {
                continue;
            }
            if !s.is_empty() && (!*zh || rng.below(4) == 0) {
                s.push(if *zh { '，' } else { ' ' });
            }
            s.push_str(word);
            if k % 7 == 3 {
                s.push_str(if *zh { " 订单号 " } else { " order #" });
                s.push_str(&(10_000 + rng.below(90_000)).to_string());
                s.push(' ');
            }
        }
    };
    push(title, 3 + rng.below(4), rng);
    push(body, 6 + rng.below(14), rng);
}

fn proc_status(key: &str) -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .map(|l| l[key.len()..].trim().to_string())
        })
        .unwrap_or_else(|| "n/a".into())
}

/// CPU time this thread has run (CLOCK_THREAD_CPUTIME_ID): unlike wall
/// time, it leaves out time other processes took from us; this 2-core
/// machine is shared with other builds. Linux x86-64 / aarch64 only.
fn thread_cpu() -> Duration {
    #[repr(C)]
    struct Timespec {
        sec: i64,
        nsec: i64,
    }
    unsafe extern "C" {
        fn clock_gettime(clock: i32, ts: *mut Timespec) -> i32;
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut ts = Timespec { sec: 0, nsec: 0 };
    // SAFETY: clock_gettime writes one timespec through the valid pointer.
    let rc = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.sec as u64, ts.nsec as u32)
}

fn mib(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// Rebuilds an index as at start: `incidents` incidents spread over
/// `clusters` clusters, through `IndexBuilder`. Returns the index, the time
/// spent in the builder (text generation excluded) and the topics.
fn build(
    v: &Vocab,
    clusters: usize,
    incidents: usize,
    seed: u64,
) -> (ClusterIndex, Duration, Vec<Topic>) {
    let mut rng = XorShift::new(seed);
    let topics: Vec<Topic> = (0..clusters)
        .map(|i| topic(v, &mut rng, i as i64 % CATEGORIES))
        .collect();
    let mut builder = IndexBuilder::new();
    let (mut title, mut body) = (String::new(), String::new());
    let mut spent = Duration::ZERO;
    for n in 0..incidents {
        let c = pick(n, clusters, &mut rng);
        incident(v, &topics[c], &mut rng, &mut title, &mut body);
        let start = Instant::now();
        builder.add_incident(c as i64, topics[c].category, &title, &body);
        spent += start.elapsed();
    }
    let start = Instant::now();
    let ix = builder.finish();
    spent += start.elapsed();
    (ix, spent, topics)
}

/// Which cluster the n-th incident goes to: every cluster gets one first,
/// then random clusters (the worst case for memory locality).
fn pick(n: usize, clusters: usize, rng: &mut XorShift) -> usize {
    if n < clusters { n } else { rng.below(clusters) }
}

/// The text generation of `build` alone, to subtract its CPU time.
fn generate_only(v: &Vocab, clusters: usize, incidents: usize, seed: u64) -> usize {
    let mut rng = XorShift::new(seed);
    let topics: Vec<Topic> = (0..clusters)
        .map(|i| topic(v, &mut rng, i as i64 % CATEGORIES))
        .collect();
    let (mut title, mut body) = (String::new(), String::new());
    let mut bytes = 0;
    for n in 0..incidents {
        let c = pick(n, clusters, &mut rng);
        incident(v, &topics[c], &mut rng, &mut title, &mut body);
        bytes += title.len() + body.len();
    }
    bytes
}

fn percentiles(times: &mut [Duration]) -> (f64, f64, f64) {
    times.sort();
    let at = |p: f64| times[((times.len() - 1) as f64 * p) as usize].as_secs_f64() * 1e6;
    (at(0.5), at(0.99), at(1.0))
}

fn main() {
    let mut rng = XorShift::new(42);
    let vocab = Vocab::new(&mut rng);
    let load = || std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "rungs grouping bench (release, single thread); load average at start: {}",
        load().trim()
    );

    // 1. Rebuild at start: 1,000,000 incidents in 20,000 clusters.
    let wall = Instant::now();
    let cpu = thread_cpu();
    let (mut ix, spent, week_topics) = build(&vocab, 20_000, 1_000_000, 1);
    let wall = wall.elapsed();
    let cpu = thread_cpu().saturating_sub(cpu);
    let gen_cpu = thread_cpu();
    let text_bytes = generate_only(&vocab, 20_000, 1_000_000, 1);
    let gen_cpu = thread_cpu().saturating_sub(gen_cpu);
    println!("| build: 1,000,000 incidents, 20,000 clusters | value |");
    println!("|---|---|");
    println!(
        "| time in IndexBuilder (add_incident + finish) | {:.2} s |",
        spent.as_secs_f64()
    );
    println!(
        "| thread CPU in the index (total {:.2} s minus text generation {:.2} s) | {:.2} s |",
        cpu.as_secs_f64(),
        gen_cpu.as_secs_f64(),
        cpu.saturating_sub(gen_cpu).as_secs_f64()
    );
    println!(
        "| wall time incl. text generation ({:.0} MiB of text) | {:.2} s |",
        mib(text_bytes),
        wall.as_secs_f64()
    );
    println!(
        "| approx_memory_bytes | {:.1} MiB |",
        mib(ix.approx_memory_bytes())
    );
    println!(
        "| live heap (counting allocator) | {:.1} MiB |",
        mib(live_heap())
    );
    println!("| VmRSS after build | {} |", proc_status("VmRSS:"));
    println!("| VmHWM (peak RSS) | {} |", proc_status("VmHWM:"));
    println!("| clusters | {} |", ix.cluster_count());
    println!("| {:?} | |", ix.stats());
    println!();

    // 1b. A week's filings on top (20,000 incidents that started 5,000 unconfirmed
    // clusters), and the consolidation pass over them against every cluster.
    let mut wrng = XorShift::new(5);
    let (mut title, mut body) = (String::new(), String::new());
    let mut movable = rustc_hash::FxHashSet::default();
    for i in 0..20_000u64 {
        let id = 1_000_000 + (i % 5_000) as i64;
        // Each new cluster is about one existing cluster's problem.
        let topic = &week_topics[(id as usize * 7_919) % week_topics.len()];
        incident(&vocab, topic, &mut wrng, &mut title, &mut body);
        ix.add_incident(id, topic.category, &title, &body);
        movable.insert(id);
    }
    let mut scope = consolidate::Scope {
        movable,
        ..Default::default()
    };
    let wall = Instant::now();
    let merges =
        consolidate::consolidate(&mut ix, &mut scope, consolidate::DEFAULT_MERGE_THRESHOLD);
    println!(
        "| consolidation: a week (5,000 unconfirmed clusters) at 1,000,000 incidents | value |"
    );
    println!("|---|---|");
    println!("| pass wall time | {:.2} s |", wall.elapsed().as_secs_f64());
    println!("| merges | {} |", merges.len());
    drop(ix);
    println!();

    // 2. Matching against 100,000 clusters (500,000 incidents).
    let (mut ix, spent, topics) = build(&vocab, 100_000, 500_000, 2);
    let mut qrng = XorShift::new(3);
    let (mut title, mut body) = (String::new(), String::new());
    let mut times = Vec::with_capacity(10_000);
    let mut cpu = Vec::with_capacity(10_000);
    let mut hits = 0;
    for _ in 0..10_000 {
        let c = qrng.below(topics.len());
        incident(&vocab, &topics[c], &mut qrng, &mut title, &mut body);
        let cpu_start = thread_cpu();
        let start = Instant::now();
        let m = ix.best_matches(topics[c].category, &title, &body, 3, &[]);
        times.push(start.elapsed());
        cpu.push(thread_cpu().saturating_sub(cpu_start));
        hits += usize::from(m.first().is_some_and(|m| m.cluster_id == c as i64));
    }
    let (p50, p99, max) = percentiles(&mut times);
    let (cpu50, cpu99, cpu_max) = percentiles(&mut cpu);
    println!("| best_matches(k=3): 100,000 clusters, 10,000 queries | value |");
    println!("|---|---|");
    println!("| build 500,000 incidents | {:.2} s |", spent.as_secs_f64());
    println!(
        "| approx_memory_bytes | {:.1} MiB |",
        mib(ix.approx_memory_bytes())
    );
    println!("| wall p50 / p99 / max | {p50:.0} / {p99:.0} / {max:.0} µs |");
    println!("| thread CPU p50 / p99 / max | {cpu50:.0} / {cpu99:.0} / {cpu_max:.0} µs |");
    println!(
        "| top-1 is the source cluster | {:.1}% |",
        100.0 * hits as f64 / times.len() as f64
    );

    // 3. Filing into that index: add_incident keeps postings current.
    times.clear();
    for _ in 0..10_000 {
        let c = qrng.below(topics.len());
        incident(&vocab, &topics[c], &mut qrng, &mut title, &mut body);
        let start = Instant::now();
        ix.add_incident(c as i64, topics[c].category, &title, &body);
        times.push(start.elapsed());
    }
    let (p50, p99, max) = percentiles(&mut times);
    println!("| add_incident p50 / p99 / max | {p50:.0} / {p99:.0} / {max:.0} µs |");
    println!(
        "\nload average at end: {} (wall-clock figures include time other processes took)",
        load().trim()
    );
}
