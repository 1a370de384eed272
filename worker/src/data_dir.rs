//! Which files a worker reads: only those under its data directory (`DistributedWorker
//! --data-dir DIR`), and none at all without one (the default). The ops of a task that read a
//! file (the `worker` column of the op table says so: `daphne.readRows`, a worker's row block of
//! a `readMatrix`) take the path as an argument of the task; before the task runs, each such path
//! is resolved on this machine (absolute, symbolic links and `..` resolved) and must lie inside
//! the data directory, and so must the `.meta` sidecar beside it if there is one. The task then
//! reads the resolved path. A refusal is `PermissionDenied` naming the path and the directory.

use daphne_distributed::transport::{CallError, Code};
use daphne_ir::{Module, Value};
use daphne_runtime::data::Data;
use daphne_runtime::elem::Scalar;
use std::path::{Path, PathBuf};

/// The directory a worker reads files from.
#[derive(Clone, Debug)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    /// The directory `dir`, resolved; an error unless it is an existing directory.
    pub fn new(dir: &str) -> Result<DataDir, String> {
        let root = std::fs::canonicalize(dir).map_err(|e| format!("--data-dir `{dir}`: {e}"))?;
        if !root.is_dir() {
            return Err(format!("--data-dir `{dir}` is not a directory"));
        }
        Ok(DataDir { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `path` resolved, if it lies inside the directory (and its `.meta` too, if it has one).
    pub fn confine(&self, path: &str) -> Result<String, String> {
        let outside = |p: &str| {
            format!("`{p}` is outside this worker's --data-dir `{}` (links and `..` resolved)", self.root.display())
        };
        if !Path::new(path).is_absolute() {
            return Err(format!("`{path}` is not an absolute path"));
        }
        let resolved = std::fs::canonicalize(path).map_err(|e| format!("cannot read {path} on this worker: {e}"))?;
        if !resolved.starts_with(&self.root) {
            return Err(outside(path));
        }
        let resolved = resolved
            .to_str()
            .map(str::to_string)
            .ok_or_else(|| format!("`{path}` is not a UTF-8 path on this worker"))?;
        // The reader opens the sidecar of the resolved path.
        let meta = format!("{resolved}.meta");
        if Path::new(&meta).exists() {
            let m = std::fs::canonicalize(&meta).map_err(|e| format!("cannot read {meta} on this worker: {e}"))?;
            if !m.starts_with(&self.root) {
                return Err(outside(&meta));
            }
        }
        Ok(resolved)
    }
}

/// Checks the file arguments of a task's reads against `dir` and replaces each by its resolved
/// path; refuses every read when the worker has no data directory.
pub fn confine_reads(m: &Module, args: &mut [Data], dir: Option<&DataDir>) -> Result<(), CallError> {
    let denied = |message: String| CallError::new(Code::PermissionDenied, message);
    let Some(func) = m.find_func(crate::allowlist::TASK_FUNCTION) else { return Ok(()) };
    let Some(entry) = m.op_block(func, 0) else { return Ok(()) };
    let params: Vec<Value> = m.block_args(entry).to_vec();
    let mut reads = Vec::new();
    m.walk(&mut |op| {
        if m.kind(op).reads_files_on_worker() {
            reads.push((m.kind(op), m.operands(op).first().copied()));
        }
    });
    for (kind, path) in reads {
        let Some(k) = path.and_then(|p| params.iter().position(|a| *a == p)) else {
            return Err(denied(format!("`{kind}` must take its file name as an argument of the task")));
        };
        let Some(Data::Scalar(Scalar::Str(p))) = args.get(k) else {
            return Err(CallError::new(Code::InvalidArgument, format!("the file name of `{kind}` is not a string")));
        };
        let Some(dir) = dir else {
            return Err(denied(format!(
                "this worker reads no files: start it with --data-dir DIR to let tasks read files under DIR (asked for {p})"
            )));
        };
        let resolved = dir.confine(p).map_err(denied)?;
        args[k] = Data::Scalar(Scalar::Str(resolved));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> (PathBuf, DataDir) {
        let base = std::env::temp_dir().join(format!("daphne-data-dir-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        std::fs::create_dir_all(base.join("data/sub")).unwrap();
        std::fs::write(base.join("data/sub/x.csv"), "1\n").unwrap();
        std::fs::write(base.join("secret.csv"), "2\n").unwrap();
        std::os::unix::fs::symlink(base.join("secret.csv"), base.join("data/link.csv")).unwrap();
        std::fs::write(base.join("data/y.csv"), "3\n").unwrap();
        std::os::unix::fs::symlink(base.join("secret.csv"), base.join("data/y.csv.meta")).unwrap();
        let dir = DataDir::new(base.join("data").to_str().unwrap()).unwrap();
        (base, dir)
    }

    #[test]
    fn paths_outside_the_directory_are_refused() {
        let (base, dir) = tree();
        let inside = base.join("data/sub/x.csv");
        assert_eq!(dir.confine(inside.to_str().unwrap()).unwrap(), inside.canonicalize().unwrap().to_str().unwrap());
        let dotdot = base.join("data/sub/../../secret.csv");
        assert!(dir.confine(dotdot.to_str().unwrap()).unwrap_err().contains("is outside this worker's --data-dir"));
        let link = base.join("data/link.csv");
        assert!(dir.confine(link.to_str().unwrap()).unwrap_err().contains("is outside"));
        // A sidecar that links out is refused too.
        let e = dir.confine(base.join("data/y.csv").to_str().unwrap()).unwrap_err();
        assert!(e.contains("y.csv.meta` is outside"), "{e}");
        assert!(dir.confine("sub/x.csv").unwrap_err().contains("not an absolute path"));
        assert!(dir.confine(base.join("data/none.csv").to_str().unwrap()).unwrap_err().contains("cannot read"));
        assert!(DataDir::new(base.join("nowhere").to_str().unwrap()).is_err());
        assert!(DataDir::new(inside.to_str().unwrap()).unwrap_err().contains("not a directory"));
    }
}
