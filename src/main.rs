use clap::Parser;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = ghl_import::cli::Cli::parse();
    match ghl_import::cli::main(cli).map_err(anyhow::Error::from) {
        Ok(code) => std::process::ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(e) => {
            eprintln!("ghl-import: error: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}
