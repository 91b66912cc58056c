//! Command-line tests of the `ptr-audit` binary, one module per subcommand.

mod authoritative;
mod classify;
mod conventions;
mod faults;
mod fix;
mod import;
mod netbox_api;
mod outputs;
mod precommit;
mod psl;
mod read_back;
mod render;
mod scale_out;
mod scan;
mod validate;

use assert_cmd::cargo::CommandCargoExt;

/// The binary under test, for assertions with predicates, run from the
/// package root (where `inventories/` is).
fn ptr_audit() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("ptr-audit").expect("binary is built");
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

/// The binary under test as a plain process (to spawn, signal or read raw
/// output), run from the package root.
fn ptr_audit_process() -> std::process::Command {
    let mut cmd = std::process::Command::cargo_bin("ptr-audit").expect("binary is built");
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

/// Asserts the exit code, showing stderr when it differs.
fn assert_exit(out: &std::process::Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
