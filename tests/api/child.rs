//! `rungs serve` as a child process of its own: for what only a real process shows
//! (a SIGKILL, its resident memory, a user other than the test's, another process's lock).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Give up (and fail) if the server is this slow to start.
const PATIENCE: Duration = Duration::from_secs(20);

/// `rungs serve` as a child process, killed (SIGKILL) when dropped.
pub struct ChildServer {
    child: Child,
    pub address: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl ChildServer {
    pub fn start(database_url: &str) -> ChildServer {
        Self::start_with(database_url, |_| {})
    }

    /// Start with the command adjusted first (another user, other flags).
    pub fn start_with(database_url: &str, adjust: impl FnOnce(&mut Command)) -> ChildServer {
        let mut command = Command::new(env!("CARGO_BIN_EXE_rungs"));
        command
            .args([
                "serve",
                "--bind",
                "127.0.0.1:0",
                "--database-url",
                database_url,
            ])
            .env("RUST_LOG", "warn")
            .env_remove("RUNGS_TIMEZONE")
            // As the in-process servers: clusters stay as filed unless a test asks.
            .env("RUNGS_CONSOLIDATE_EVERY", "0")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        adjust(&mut command);
        let mut child = command.spawn().expect("start rungs serve");
        // Read stderr on a thread until the "serving" line, then keep draining it so
        // the child never blocks on a full pipe; keep the lines for failure messages.
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let lines = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(address) = line.strip_prefix("rungs is serving on ") {
                    let _ = tx.send(address.trim().to_string());
                }
                lines.lock().unwrap().push(line);
            }
        });
        let mut server = ChildServer {
            child,
            address: String::new(),
            log,
        };
        match rx.recv_timeout(PATIENCE) {
            Ok(address) => server.address = address,
            Err(_) => panic!("rungs serve did not start: {:?}", server.log()),
        }
        server
    }

    pub fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Resident memory now and at its peak, in MiB (Linux's VmRSS and VmHWM).
    pub fn memory_mib(&self) -> (f64, f64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("the child's /proc status");
        let field = |name: &str| -> f64 {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|kib| kib.parse::<f64>().ok())
                .map(|kib| kib / 1024.0)
                .unwrap_or_else(|| panic!("{name} in {status}"))
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    /// SIGKILL: no shutdown handler runs, nothing is flushed by the server.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        self.kill();
    }
}
