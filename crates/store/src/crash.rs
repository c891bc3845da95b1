//! Crash points for the kill test (`crates/knop/tests/kill.rs`): with
//! `KNOP_TEST_CRASH_AT=N:B` in its environment, a process's N-th append to an embedded store
//! writes only the first B bytes of its frames (`N:all`: all of them, made durable) and the
//! process then sends itself `SIGKILL`, exactly as `kill -9` at that instant would end it: no
//! destructor runs, nothing is flushed, the bytes written so far stay in the file. `N:full`
//! makes the N-th append fail as a full disk does (nothing written, `ENOSPC`), and the process
//! goes on.
//!
//! This is how the test kills the real service binary at a chosen, seeded point of a use-case
//! without sleeping or racing a timer. Unset (always, outside that test), it costs one atomic
//! load per append. It can only end the process, never change what is written.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// Where to crash: the append (1-based) and how many of its bytes to write first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct CrashAt {
    append: u64,
    bytes: Option<usize>,
    full: bool,
}

/// What the chosen append does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// Writes this many bytes (`usize::MAX`: all, durable), then the process is killed.
    Kill(usize),
    /// Fails as a full disk does, writing nothing.
    Full,
}

fn plan() -> Option<CrashAt> {
    static PLAN: OnceLock<Option<CrashAt>> = OnceLock::new();
    *PLAN.get_or_init(|| parse(&std::env::var("KNOP_TEST_CRASH_AT").ok()?))
}

/// `N:B` or `N:all`; anything else is no crash point.
fn parse(s: &str) -> Option<CrashAt> {
    let (n, b) = s.split_once(':')?;
    let append = n.parse().ok().filter(|&n| n > 0)?;
    let (bytes, full) = match b {
        "all" => (None, false),
        "full" => (None, true),
        b => (Some(b.parse().ok()?), false),
    };
    Some(CrashAt {
        append,
        bytes,
        full,
    })
}

/// Called by every append before it writes: if this is the chosen append, what it does.
pub(crate) fn before_append() -> Option<Fault> {
    static APPENDS: AtomicU64 = AtomicU64::new(0);
    let at = plan()?;
    let n = APPENDS.fetch_add(1, Ordering::SeqCst) + 1;
    (n == at.append).then_some(if at.full {
        Fault::Full
    } else {
        Fault::Kill(at.bytes.unwrap_or(usize::MAX))
    })
}

/// Ends the process as `kill -9` does.
pub(crate) fn kill_now() -> ! {
    // SAFETY: sending a signal to our own process id has no memory-safety preconditions.
    unsafe {
        libc::kill(libc::getpid(), libc::SIGKILL);
    }
    // SIGKILL cannot be caught; should it not arrive, end without running anything else.
    std::process::abort()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_crash_point_names_an_append_and_how_much_of_it_is_written() {
        assert_eq!(
            parse("3:17"),
            Some(CrashAt {
                append: 3,
                bytes: Some(17),
                full: false
            })
        );
        assert_eq!(
            parse("1:all"),
            Some(CrashAt {
                append: 1,
                bytes: None,
                full: false
            })
        );
        assert_eq!(
            parse("2:full"),
            Some(CrashAt {
                append: 2,
                bytes: None,
                full: true
            })
        );
        for bad in ["", "0:1", "x:1", "1", "1:-1", "1:some"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
