//! The deployment scripts of `deploy/` (local workers, and ssh through a fake `ssh` that runs
//! commands locally and refuses every host but 127.0.0.1), run by `deploy/test.sh` against the
//! binaries of this build. The script bounds itself in time and stops every worker it started.

use crate::common;

use std::path::Path;
use std::process::Command;

#[test]
fn deploy_scripts_start_list_use_and_stop_workers() {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_daphne")).parent().expect("the binaries' directory");
    let out = Command::new("bash")
        .arg(common::root().join("deploy/test.sh"))
        .current_dir(common::root())
        .env("DAPHNE_BIN_DIR", bin_dir)
        .env("DAPHNE_DEPLOY_TEST_TIMEOUT", "240")
        .env(common::TEST_DIST_MIN_BYTES.0, common::TEST_DIST_MIN_BYTES.1)
        .env_remove("DISTRIBUTED_WORKERS")
        .env_remove("DAPHNE_WORKER_TOKEN")
        .output()
        .expect("bash runs deploy/test.sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "deploy/test.sh failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains(" 0 failed") || stderr.contains(" 0 failed"), "{stdout}\n{stderr}");
}
