//! `import "file.daph" [as "alias"];`: the imported script is parsed and lowered in place (its
//! top-level code runs where the import stands), then its variables and functions become visible
//! under `alias.` (the file's stem by default). Paths resolve relative to the importing script,
//! then against the configured default directories; a name without extension imports every file of
//! a configured library directory. As in DAPHNE, a file cannot import itself or be imported twice.

use super::{LResult, Lowerer};
use daphne_ir::diag::{Diagnostic, Severity, Span};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

impl Lowerer<'_> {
    pub(super) fn import(&mut self, path: &str, alias: Option<&str>, span: Span) -> LResult<()> {
        if self.in_function || self.scope_depth() != 1 {
            return Err(self.error("E0209", span, "imports can only be done in the main scope"));
        }
        let current = self.script_paths.last().cloned().unwrap_or_default();
        let importer_dir = absolute(&current).parent().map(Path::to_path_buf).unwrap_or_default();
        let importing = Path::new(path);
        let base_prefix = match alias {
            Some(a) => a.to_string(),
            None => importing.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default(),
        };
        let has_extension = importing.extension().is_some();
        // Each file to import, with the name diagnostics show for it (relative to the current
        // directory when the importing script was named that way, so output is reproducible).
        let mut files: Vec<(PathBuf, String)> = Vec::new();
        let mut resolved = importing.to_path_buf();
        let mut display = path.to_string();
        if importing.is_relative() {
            display =
                current.parent().map_or_else(|| importing.to_path_buf(), |p| p.join(importing)).display().to_string();
            let mut abs = importer_dir.join(importing);
            if abs.exists() {
                abs = abs.canonicalize().unwrap_or(abs);
            }
            if has_extension {
                for dir in self.opts.import_default_dirs.clone() {
                    let lib_file = dir.join(importing);
                    if lib_file.exists() {
                        let lib_canon = lib_file.canonicalize().unwrap_or_else(|_| lib_file.clone());
                        if abs.exists() && lib_canon != abs {
                            return Err(self.error(
                                "E0209",
                                span,
                                format!(
                                    "ambiguous import: {path}, found another file with the same name in the default import directories: {}",
                                    lib_file.display()
                                ),
                            ));
                        }
                        abs = lib_canon;
                        display = lib_file.display().to_string();
                    }
                }
            } else if let Some(dir) = self.opts.import_libraries.get(path).cloned() {
                match std::fs::read_dir(&dir) {
                    Ok(entries) => {
                        let mut found: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
                        found.sort();
                        files.extend(found.into_iter().map(|f| {
                            let shown = f.display().to_string();
                            (f, shown)
                        }));
                    }
                    Err(e) => {
                        return Err(self.error(
                            "E0209",
                            span,
                            format!("cannot read library directory {}: {e}", dir.display()),
                        ));
                    }
                }
            }
            resolved = abs;
        }
        if files.is_empty() {
            files.push((resolved.clone(), display));
        }
        if absolute(&current) == resolved {
            return Err(self.error("E0209", span, format!("you cannot import the file you are currently in: {path}")));
        }
        for (f, _) in &files {
            let canon = f.canonicalize().unwrap_or_else(|_| f.clone());
            if self.imported.contains(&canon) {
                return Err(self.error(
                    "E0209",
                    span,
                    format!("you cannot import the same file twice: {}", f.display()),
                ));
            }
            self.imported.push(canon);
        }
        for (f, shown) in files {
            self.import_file(&f, &shown, &base_prefix, alias.is_some(), has_extension, importing, span)?;
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn import_file(
        &mut self,
        file: &Path,
        shown: &str,
        base_prefix: &str,
        has_alias: bool,
        has_extension: bool,
        importing: &Path,
        span: Span,
    ) -> LResult<()> {
        let text = match std::fs::read_to_string(file) {
            Ok(t) => t,
            Err(_) if !file.exists() => {
                return Err(self.error("E0209", span, format!("the import path doesn't exist: {shown}")));
            }
            Err(e) => {
                return Err(self.error("E0209", span, format!("cannot read {shown}: {e}")));
            }
        };
        let mut prefix = format!("{base_prefix}.");
        if !has_extension {
            let stem = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            prefix.push_str(&stem);
            prefix.push('.');
        } else if self.prefix_in_use(&prefix) {
            if has_alias {
                return Err(self.error(
                    "E0209",
                    span,
                    format!("alias \"{base_prefix}\" results in a name clash with another prefix"),
                ));
            }
            let parent = importing
                .parent()
                .and_then(|p| p.file_name())
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default();
            prefix = format!("{parent}.{prefix}");
        }

        let file_id = self.sources.add(shown, text.clone());
        let (tokens, lex_diags) = crate::lexer::lex(file_id, &text);
        let (script, parse_diags) = crate::parser::parse(tokens);
        let failed = !lex_diags.is_empty() || !parse_diags.is_empty();
        self.diags.extend(lex_diags);
        self.diags.extend(parse_diags);
        if failed {
            self.diags
                .push(Diagnostic::error("E0209", format!("the imported file {shown} has errors")).with_span(span));
            return Err(super::Fail);
        }

        let saved_scopes = self.swap_scopes(vec![HashMap::new()]);
        let saved_funcs = std::mem::take(&mut self.funcs);
        let saved_imported = std::mem::take(&mut self.imported);
        self.script_paths.push(PathBuf::from(shown));
        let errors_before = self.error_count();
        for stmt in &script.stmts {
            let _ = self.stmt(stmt);
        }
        self.script_paths.pop();
        let imported_scopes = self.swap_scopes(saved_scopes);
        let imported_funcs = std::mem::replace(&mut self.funcs, saved_funcs);
        self.imported = saved_imported;
        if self.error_count() > errors_before {
            return Err(super::Fail);
        }
        if let Some(globals) = imported_scopes.into_iter().next() {
            let mut names: Vec<_> = globals.into_iter().filter(|(n, _)| !n.contains('.')).collect();
            names.sort_by(|a, b| a.0.cmp(&b.0));
            for (name, b) in names {
                self.bind_new(&format!("{prefix}{name}"), b.value);
            }
        }
        for mut f in imported_funcs.into_iter().filter(|f| !f.name.contains('.')) {
            f.name = format!("{prefix}{}", f.name);
            self.funcs.push(f);
        }
        Ok(())
    }

    fn prefix_in_use(&self, prefix: &str) -> bool {
        let taken = |n: &str| n.starts_with(prefix) && n.matches('.').count() == 1;
        self.visible_names().iter().any(|n| taken(n)) || self.funcs.iter().any(|f| taken(&f.name))
    }

    fn error_count(&self) -> usize {
        self.diags.iter().filter(|d| d.severity == Severity::Error).count()
    }
}

fn absolute(p: &Path) -> PathBuf {
    if p.as_os_str().is_empty() {
        return PathBuf::new();
    }
    std::path::absolute(p).map(|a| a.canonicalize().unwrap_or(a)).unwrap_or_else(|_| p.to_path_buf())
}
