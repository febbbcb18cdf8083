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

/// A running process's peak resident set so far (`VmHWM`, kB): its own, unlike `wait4`'s
/// `ru_maxrss`; `None` once it has exited.
pub fn peak_so_far_kb(pid: i32) -> Option<i64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Reaps `pid` and reads what it used. The peak memory is the highest `VmHWM` read while it
/// runs: `wait4`'s `ru_maxrss` starts from the spawning process's own peak (Linux carries it
/// through fork and exec), and this process holds the sandbox with every contact imported.
pub fn wait_with_rusage(pid: i32) -> ChildUsage {
    let mut status = 0;
    // SAFETY: plain syscall on our own child; rusage is zeroed POD.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let mut hwm_kb: i64 = 0;
    loop {
        hwm_kb = hwm_kb.max(peak_so_far_kb(pid).unwrap_or(0));
        // SAFETY: as above.
        let r = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        assert!(r >= 0, "wait4 failed");
        if r == pid {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    ChildUsage {
        code,
        // A child too quick to be seen running: wait4's figure, an upper bound.
        max_rss_kb: if hwm_kb > 0 { hwm_kb } else { usage.ru_maxrss },
        cpu: tv(usage.ru_utime) + tv(usage.ru_stime),
        waits: usage.ru_nvcsw,
    }
}
