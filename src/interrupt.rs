//! Ctrl-C: the first one asks the scan to stop and write what it found; a
//! second one exits at once with 130.

use ptr_audit_scan::StopSignal;

/// Installs the handler on a thread of its own.
pub fn on_ctrl_c(stop: StopSignal) {
    let spawned = std::thread::Builder::new()
        .name("ctrl-c".into())
        .spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async {
                if tokio::signal::ctrl_c().await.is_err() {
                    return;
                }
                eprintln!(
                    "interrupted: finishing the lookups in flight (Ctrl-C again to quit now)"
                );
                stop.stop();
                if tokio::signal::ctrl_c().await.is_ok() {
                    std::process::exit(crate::exit::ExitCode::Interrupted as i32);
                }
            });
        });
    // Without the handler Ctrl-C still ends the process, just without a report.
    drop(spawned);
}
