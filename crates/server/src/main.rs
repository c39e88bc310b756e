//! `llm-manager`: parse the command line and configuration, set up logging, run the command.

use std::process::ExitCode;

fn main() -> ExitCode {
    llm_manager::cli::main()
}
