//! What stands between a flood of guesses and the machine: sign-in attempts are limited
//! per account and per client address, failed API tokens per client address, and the
//! password hashes (argon2, 19 MiB each) run a few at a time on threads of their own.
//! (On the blocking pool each hash could land on another thread, and the allocator keeps
//! memory per thread: a burst of hashes there left ~19 MiB behind on each.)
//!
//! The limits are kept in this process's memory (`governor`'s keyed GCRA limiters), not
//! in the database: they are checked before any database work, cost nothing under a
//! flood, and a restart forgets them. With several copies of rungs behind a load
//! balancer, each copy limits on its own, so an attacker gets that many times the
//! allowance; the allowance is small and every guess is a slow hash, so that is still
//! far from a brute force.
//!
//! An account's attempts are counted before its address's: guesses at an account that
//! is already locked are refused without counting against the address, so a flood
//! aimed at one account does not lock out everyone else who signs in from the same
//! office (or the same proxy).

use crate::error::{AppError, AppResult};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, SemaphorePermit};

/// An allowance: `burst` attempts at once, then one more every `every`.
#[derive(Debug, Clone, Copy)]
pub struct Allowance {
    pub burst: u32,
    pub every: Duration,
}

impl Allowance {
    fn quota(self) -> Quota {
        Quota::with_period(self.every)
            .expect("a period above zero")
            .allow_burst(NonZeroU32::new(self.burst.max(1)).expect("at least one"))
    }
}

/// Sign-in attempts per account: ten at once, then one every 30 s.
pub const PER_ACCOUNT: Allowance = Allowance {
    burst: 10,
    every: Duration::from_secs(30),
};
/// Sign-in attempts per client address (at accounts not locked): sixty at once, then
/// one every 5 s.
pub const PER_ADDRESS: Allowance = Allowance {
    burst: 60,
    every: Duration::from_secs(5),
};
/// Failed API tokens per client address: twenty, then one every 3 s.
pub const FAILED_TOKENS: Allowance = Allowance {
    burst: 20,
    every: Duration::from_secs(3),
};
/// Password hashes running at once; each holds 19 MiB while it runs.
pub const HASHES_AT_ONCE: usize = 2;
/// The longest an attempt waits for its turn to hash before it is told to come back.
const HASH_WAIT: Duration = Duration::from_secs(10);
/// Keys remembered before the fully replenished ones are forgotten.
const KEYS_KEPT: usize = 50_000;

/// Who is refused, for the trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockedOut {
    Account(String),
    Address(IpAddr),
}

/// A refusal: for how long, and whether it is the first since the last lockout of the
/// same account or address was recorded (so the trail gets one line per lockout, not
/// one per refused guess).
#[derive(Debug, Clone)]
pub struct Refusal {
    pub who: LockedOut,
    pub retry_after: Duration,
    pub first: bool,
}

impl Refusal {
    pub fn error(&self) -> AppError {
        AppError::TooManyRequests {
            retry_after: self.retry_after.as_secs().max(1),
        }
    }
}

/// A keyed limiter that forgets its fully replenished keys now and then, so that a
/// flood of made-up logins or addresses cannot grow it without bound.
struct Limiter<K: Hash + Eq + Clone> {
    limiter: DefaultKeyedRateLimiter<K>,
    checks: AtomicU32,
}

impl<K: Hash + Eq + Clone> Limiter<K> {
    fn new(allowance: Allowance) -> Self {
        Self {
            limiter: RateLimiter::keyed(allowance.quota()),
            checks: AtomicU32::new(0),
        }
    }

    /// Take one attempt from `key`'s allowance, or say how long until the next.
    fn take(&self, key: &K) -> Result<(), Duration> {
        if self
            .checks
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(1024)
            && self.limiter.len() > KEYS_KEPT
        {
            self.limiter.retain_recent();
        }
        self.limiter
            .check_key(key)
            .map_err(|until| until.wait_time_from(DefaultClock::default().now()))
    }
}

pub struct SignInGuard {
    accounts: Limiter<String>,
    addresses: Limiter<IpAddr>,
    tokens: Limiter<IpAddr>,
    /// Turns to hash, one per hashing thread, so nothing waits inside the pool.
    hashing: Semaphore,
    hashers: rayon::ThreadPool,
    /// When each lockout was last recorded on the trail.
    recorded: Mutex<HashMap<String, Instant>>,
}

impl Default for SignInGuard {
    fn default() -> Self {
        Self::new(PER_ACCOUNT, PER_ADDRESS, FAILED_TOKENS)
    }
}

impl SignInGuard {
    pub fn new(account: Allowance, address: Allowance, tokens: Allowance) -> Self {
        Self {
            accounts: Limiter::new(account),
            addresses: Limiter::new(address),
            tokens: Limiter::new(tokens),
            hashing: Semaphore::new(HASHES_AT_ONCE),
            hashers: rayon::ThreadPoolBuilder::new()
                .num_threads(HASHES_AT_ONCE)
                .thread_name(|i| format!("rungs-hash-{i}"))
                .build()
                .expect("the password hashing threads start"),
            recorded: Mutex::default(),
        }
    }

    /// Let one sign-in attempt at `login` from `address` through, or refuse it.
    pub fn admit(&self, login: &str, address: Option<IpAddr>) -> Result<(), Refusal> {
        let account = account_key(login);
        if let Err(wait) = self.accounts.take(&account) {
            return Err(self.refusal(LockedOut::Account(account), wait));
        }
        if let Some(address) = address
            && let Err(wait) = self.addresses.take(&address)
        {
            return Err(self.refusal(LockedOut::Address(address), wait));
        }
        Ok(())
    }

    /// A bearer token from `address` was not recognised: 429 instead of 401 once the
    /// address has used up its allowance of failures.
    pub fn token_failed(&self, address: Option<IpAddr>) -> Result<(), Refusal> {
        match address {
            Some(address) => self
                .tokens
                .take(&address)
                .map_err(|wait| self.refusal(LockedOut::Address(address), wait)),
            None => Ok(()),
        }
    }

    /// A turn to hash a password: waits while `HASHES_AT_ONCE` others hash, at most
    /// `HASH_WAIT`, then asks the client to come back.
    pub async fn hashing(&self) -> AppResult<SemaphorePermit<'_>> {
        match tokio::time::timeout(HASH_WAIT, self.hashing.acquire()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => {
                crate::telemetry::metrics::LOGIN_REFUSALS
                    .with_label_values(&["hashing"])
                    .inc();
                Err(AppError::TooManyRequests { retry_after: 5 })
            }
        }
    }

    /// Run `work` (a password hash or check) on the hashing threads, when a turn comes.
    pub async fn hash<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> AppResult<T> {
        let _turn = self.hashing().await?;
        let (done, result) = tokio::sync::oneshot::channel();
        self.hashers.spawn(move || {
            let _ = done.send(work());
        });
        result
            .await
            .map_err(|_| AppError::internal("a password hash was lost"))
    }

    fn refusal(&self, who: LockedOut, retry_after: Duration) -> Refusal {
        let key = match &who {
            LockedOut::Account(login) => format!("account:{login}"),
            LockedOut::Address(ip) => format!("address:{ip}"),
        };
        let limit = match &who {
            LockedOut::Account(_) => "account",
            LockedOut::Address(_) => "address",
        };
        crate::telemetry::metrics::LOGIN_REFUSALS
            .with_label_values(&[limit])
            .inc();
        let now = Instant::now();
        let first = match self.recorded.lock() {
            Ok(mut recorded) => {
                if recorded.len() > KEYS_KEPT {
                    recorded.retain(|_, at| now.duration_since(*at) < Duration::from_secs(600));
                }
                let stale = recorded
                    .get(&key)
                    .is_none_or(|at| now.duration_since(*at) > Duration::from_secs(600));
                if stale {
                    recorded.insert(key, now);
                }
                stale
            }
            Err(_) => false,
        };
        Refusal {
            who,
            retry_after,
            first,
        }
    }
}

/// Logins are compared folded and trimmed; a long made-up one is cut to the longest a
/// login can be, so it cannot make a key of any size.
fn account_key(login: &str) -> String {
    login.trim().to_lowercase().chars().take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard() -> SignInGuard {
        SignInGuard::new(
            Allowance {
                burst: 3,
                every: Duration::from_secs(600),
            },
            Allowance {
                burst: 5,
                every: Duration::from_secs(600),
            },
            Allowance {
                burst: 2,
                every: Duration::from_secs(600),
            },
        )
    }

    #[test]
    fn an_account_is_locked_after_its_burst_and_says_for_how_long() {
        let g = guard();
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..3 {
            assert!(g.admit("Lead ", Some(ip)).is_ok());
        }
        let refusal = g.admit("lead", Some(ip)).unwrap_err();
        assert_eq!(refusal.who, LockedOut::Account("lead".into()));
        assert!(refusal.first);
        assert!(refusal.retry_after > Duration::from_secs(500));
        assert!(!g.admit("lead", Some(ip)).unwrap_err().first);
    }

    #[test]
    fn guesses_at_a_locked_account_do_not_lock_its_address() {
        let g = guard();
        let ip: IpAddr = "10.0.0.2".parse().unwrap();
        for _ in 0..100 {
            let _ = g.admit("victim", Some(ip));
        }
        // Three reached the address; two more accounts may still sign in from it.
        assert!(g.admit("alice", Some(ip)).is_ok());
        assert!(g.admit("bob", Some(ip)).is_ok());
        let refusal = g.admit("carol", Some(ip)).unwrap_err();
        assert_eq!(refusal.who, LockedOut::Address(ip));
        // Another address is not affected.
        assert!(g.admit("dave", Some("10.0.0.3".parse().unwrap())).is_ok());
    }

    #[test]
    fn failed_tokens_are_counted_per_address() {
        let g = guard();
        let ip: IpAddr = "10.0.0.4".parse().unwrap();
        assert!(g.token_failed(Some(ip)).is_ok());
        assert!(g.token_failed(Some(ip)).is_ok());
        assert!(g.token_failed(Some(ip)).is_err());
        assert!(g.token_failed(Some("10.0.0.5".parse().unwrap())).is_ok());
    }

    #[test]
    fn made_up_logins_make_keys_of_bounded_size() {
        assert_eq!(account_key(&"x".repeat(10_000)).len(), 64);
    }
}
