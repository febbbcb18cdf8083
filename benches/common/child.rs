//! A child process's peak memory and CPU time, read when it is reaped.

use std::time::Duration;

/// Child process accounting, from `wait4`.
pub struct ChildUsage {
    pub code: i32,
    /// Peak resident set size, kB.
    pub max_rss_kb: i64,
    /// User plus system CPU time.
    pub cpu: Duration,
    /// Times a thread of it gave the CPU up to wait (for I/O, a timer, a lock): its wake-ups.
    pub waits: i64,
}

/// Reaps `pid` and reads what it used.
pub fn wait_with_rusage(pid: i32) -> ChildUsage {
    let mut status = 0;
    // SAFETY: plain syscall on our own child; rusage is zeroed POD.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(r, pid, "wait4 failed");
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    ChildUsage {
        code,
        max_rss_kb: usage.ru_maxrss,
        cpu: tv(usage.ru_utime) + tv(usage.ru_stime),
        waits: usage.ru_nvcsw,
    }
}
