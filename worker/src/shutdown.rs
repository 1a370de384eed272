//! When a worker stops: on SIGINT or SIGTERM, or, with `--exit-with-stdin`, when its standard
//! input closes (how `daphne` ends the local workers it starts, even when it is killed).

/// Completes on SIGINT or SIGTERM (or when standard input closes, with `exit_with_stdin`).
pub async fn shutdown_signal(exit_with_stdin: bool) {
    let stdin = async { if exit_with_stdin { stdin_closed().await } else { std::future::pending::<()>().await } };
    tokio::select! {
        _ = stdin => {}
        _ = signals() => {}
    }
}

/// Completes when standard input reaches its end (or fails).
async fn stdin_closed() {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        use std::io::Read;
        let mut buf = [0u8; 256];
        let mut stdin = std::io::stdin();
        while matches!(stdin.read(&mut buf), Ok(n) if n > 0) {}
        let _ = tx.send(());
    });
    let _ = rx.await;
}

async fn signals() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("DistributedWorker: cannot handle SIGTERM ({e}); stop it with SIGINT");
                let _ = ctrl_c.await;
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
