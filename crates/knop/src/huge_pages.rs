//! Transparent huge pages for the allocator's memory.
//!
//! knop's bulk work (a month's bank files, tens of millions of transfers) looks ids up at random
//! in large in-memory hash tables: the book's index, the match index, the accounts. With 4 KiB
//! pages nearly every such lookup also misses the TLB. glibc's allocator asks the kernel for
//! transparent huge pages (2 MiB) for its memory when the tunable `glibc.malloc.hugetlb=1` is
//! set, which matters where the system's setting is `madvise` (Debian's default; with `always`
//! they are used anyway, with `never` not at all). Tunables are read once, as the process
//! starts, from the environment only; so where the setting is `madvise` knop executes itself
//! again, first thing, with the tunable added. On the 2-core CI machine this made a month-end
//! run 11-14% faster (the booking thread's CPU 15-20% less) for 1-2% more memory.
//!
//! `KNOP_HUGE_PAGES=0` turns this off. Written by hand: a few lines over `std` and one
//! system file.

/// The tunable, as `GLIBC_TUNABLES` takes it.
const TUNABLE: &str = "glibc.malloc.hugetlb=1";

/// Executes this program again with [`TUNABLE`] added to `GLIBC_TUNABLES`, when that helps
/// and is not done yet; returns (doing nothing) otherwise, also when the execution fails.
/// Must be called before any other thread exists.
pub(crate) fn reexec_with_huge_pages() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::os::unix::process::CommandExt;
        let Some(tunables) = wanted(
            std::env::var_os("KNOP_HUGE_PAGES").as_deref(),
            std::env::var_os("GLIBC_TUNABLES").as_deref(),
            std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled").ok(),
        ) else {
            return;
        };
        let Ok(exe) = std::env::current_exe() else {
            return;
        };
        let mut args = std::env::args_os();
        let arg0 = args.next().unwrap_or_else(|| exe.clone().into_os_string());
        // Returns only if the execution failed; then this process goes on as it is.
        let _ = std::process::Command::new(exe)
            .arg0(arg0)
            .args(args)
            .env("GLIBC_TUNABLES", tunables)
            .exec();
    }
}

/// The `GLIBC_TUNABLES` value to execute again with, or `None` to go on as it is: not when
/// turned off, not when the tunable is there already (the second start), and only when the
/// system hands out huge pages on request (`[madvise]`).
#[cfg_attr(not(all(target_os = "linux", target_env = "gnu")), allow(dead_code))]
fn wanted(
    knop_huge_pages: Option<&std::ffi::OsStr>,
    glibc_tunables: Option<&std::ffi::OsStr>,
    thp_enabled: Option<String>,
) -> Option<std::ffi::OsString> {
    if knop_huge_pages.is_some_and(|v| v == "0") {
        return None;
    }
    if !thp_enabled?.contains("[madvise]") {
        return None;
    }
    match glibc_tunables.filter(|t| !t.is_empty()) {
        None => Some(TUNABLE.into()),
        Some(t) => {
            let t = t.to_str()?;
            if t.split(':').any(|x| x.starts_with("glibc.malloc.hugetlb=")) {
                return None;
            }
            Some(format!("{t}:{TUNABLE}").into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn the_tunable_is_added_once_only_where_huge_pages_come_on_request() {
        let madvise = || Some("always [madvise] never\n".to_string());
        assert_eq!(wanted(None, None, madvise()), Some(TUNABLE.into()));
        assert_eq!(
            wanted(None, Some(OsStr::new("")), madvise()),
            Some(TUNABLE.into())
        );
        assert_eq!(
            wanted(
                None,
                Some(OsStr::new("glibc.malloc.arena_max=2")),
                madvise()
            ),
            Some(format!("glibc.malloc.arena_max=2:{TUNABLE}").into())
        );
        // The second start, and a user's own choice, are left alone.
        assert_eq!(wanted(None, Some(OsStr::new(TUNABLE)), madvise()), None);
        assert_eq!(
            wanted(None, Some(OsStr::new("glibc.malloc.hugetlb=0")), madvise()),
            None
        );
        assert_eq!(wanted(Some(OsStr::new("0")), None, madvise()), None);
        assert_eq!(
            wanted(Some(OsStr::new("1")), None, madvise()),
            Some(TUNABLE.into())
        );
        // `always` needs nothing, `never` would not help, no such file: not Linux's THP.
        assert_eq!(
            wanted(None, None, Some("[always] madvise never".into())),
            None
        );
        assert_eq!(
            wanted(None, None, Some("always madvise [never]".into())),
            None
        );
        assert_eq!(wanted(None, None, None), None);
    }
}
