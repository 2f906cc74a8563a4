//! The `musegen` binary: parse the command line, run the command, exit with 0 (ok), 1 (run failed) or 2 (bad input or config).

fn main() {
    restore_sigpipe();
    std::process::exit(musegen::cli::main());
}

/// Let a closed pipe end the process quietly, as it does any Unix tool (`musegen … --json | head`): Rust ignores
/// SIGPIPE, so printing to a reader that went away would otherwise panic. Reports are printed after the work is
/// done and every file is closed, and the folder lock ends with the process, so nothing is lost.
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to its default, once, before any thread is started.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
