//! Ctrl-C (SIGINT) and SIGTERM (a pod evicted, a CI job cancelled): the first
//! one asks the scan to stop and write what it found — the reports marked
//! `complete: false`, the checkpoint consistent — and the run exits 130
//! (SIGINT) or 143 (SIGTERM); a second one exits at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use ptr_audit_scan::StopSignal;

use crate::exit::ExitCode;

/// Which signal stopped the run, if any.
#[derive(Clone, Default)]
pub struct Signals(Arc<AtomicU8>);

impl Signals {
    const NONE: u8 = 0;
    const INT: u8 = 1;
    const TERM: u8 = 2;

    /// The exit code of a run that was stopped: 143 after SIGTERM, else 130.
    pub fn exit_code(&self) -> ExitCode {
        match self.0.load(Ordering::SeqCst) {
            Self::TERM => ExitCode::Terminated,
            _ => ExitCode::Interrupted,
        }
    }

    fn note(&self, which: u8) {
        let _ = self
            .0
            .compare_exchange(Self::NONE, which, Ordering::SeqCst, Ordering::SeqCst);
    }
}

/// Installs the handlers on a thread of their own; the returned handle says
/// which signal stopped the run.
pub fn on_signals(stop: StopSignal) -> Signals {
    let signals = Signals::default();
    let seen = signals.clone();
    let spawned = std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async {
                let Ok(mut term) =
                    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                else {
                    return;
                };
                let mut first = true;
                loop {
                    let which = tokio::select! {
                        r = tokio::signal::ctrl_c() => {
                            if r.is_err() {
                                return;
                            }
                            Signals::INT
                        }
                        r = term.recv() => {
                            if r.is_none() {
                                return;
                            }
                            Signals::TERM
                        }
                    };
                    if !first {
                        let code = if which == Signals::TERM {
                            ExitCode::Terminated
                        } else {
                            ExitCode::Interrupted
                        };
                        std::process::exit(code as i32);
                    }
                    first = false;
                    seen.note(which);
                    let (name, again) = if which == Signals::TERM {
                        ("terminated (SIGTERM)", "a second signal")
                    } else {
                        ("interrupted", "Ctrl-C again")
                    };
                    eprintln!("{name}: finishing the lookups in flight ({again} to quit now)");
                    stop.stop();
                }
            });
        });
    // Without the handler a signal still ends the process, just without a report.
    drop(spawned);
    signals
}
