//! The `musegen` binary: parse the command line, run the command, exit with 0 (ok), 1 (run failed) or 2 (bad input or config).

fn main() {
    std::process::exit(musegen::cli::main());
}
