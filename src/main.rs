use clap::Parser;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's options `arena_eager_commit` and `purge_delay` (mimalloc.h): memory is
/// committed as it is used, as glibc's is, and freed memory goes back after 100 ms (v3's
/// default waits 1 s). With its defaults a dry run of 24,000 rows peaked at 80 MB instead of
/// 23. Purging at once cost a sixth more CPU on imports; after 10 ms, an import into 1,000
/// locations still faulted back in pages it had just given back (about 4% of its CPU). They
/// must be set before the first allocation reserves the arena, hence from the ELF initialisers.
extern "C" fn allocator_options() {
    const ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    const PURGE_DELAY_MS: std::ffi::c_long = 100;
    // SAFETY: plain setters of the allocator's options, called before any thread exists.
    unsafe {
        libmimalloc_sys::mi_option_set(ARENA_EAGER_COMMIT, 0);
        // mimalloc's own `MIMALLOC_PURGE_DELAY` still wins (libc's getenv: no allocation).
        if libc::getenv(c"MIMALLOC_PURGE_DELAY".as_ptr()).is_null() {
            libmimalloc_sys::mi_option_set(PURGE_DELAY, PURGE_DELAY_MS);
        }
    }
}

#[cfg(target_os = "linux")]
#[used]
#[link_section = ".init_array.00100"]
static ALLOCATOR_OPTIONS: extern "C" fn() = allocator_options;

fn main() -> std::process::ExitCode {
    #[cfg(not(target_os = "linux"))]
    allocator_options();
    let cli = ghl_import::cli::Cli::parse();
    match ghl_import::cli::main(cli).map_err(anyhow::Error::from) {
        Ok(code) => std::process::ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(e) => {
            // The chain of causes, each said once: most errors already name their cause.
            let mut message = e.to_string();
            for cause in e.chain().skip(1) {
                let cause = cause.to_string();
                if !message.contains(&cause) {
                    message.push_str(": ");
                    message.push_str(&cause);
                }
            }
            eprintln!("ghl-import: error: {message}");
            std::process::ExitCode::from(2)
        }
    }
}
