//! The shop's customer service: `serve` and `load`, and any other command is the upcast
//! CLI over the shop's records (`upcast-shop migrate run OLD --into NEW`).

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let first = std::env::args().nth(1);
    match first.as_deref() {
        None | Some("serve" | "load" | "-h" | "--help" | "help") => shop(),
        Some(_) => upcast_cli::main(),
    }
}

fn shop() -> ExitCode {
    let cli = upcast_shop::ShopCli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the runtime: {error}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(upcast_shop::run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(2)
        }
    }
}
