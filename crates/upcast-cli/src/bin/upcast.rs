//! The `upcast` binary: `schema diff` and `schema check` work on files alone; the other
//! commands see no record types here (link yours and call `upcast_cli::main`).

fn main() -> std::process::ExitCode {
    upcast_cli::main()
}
