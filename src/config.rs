//! `--config file.json`: DAPHNE's user configuration file. Every key of DAPHNE's `UserConfig.json`
//! is accepted (an unknown key is an error, as in DAPHNE); the README lists which ones have an
//! effect here.

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The settings read from a configuration file.
#[derive(Clone, Debug, Default)]
pub struct UserConfig {
    /// `explain_<stage>: true` entries, as `--explain` keys.
    pub explain: Vec<String>,
    /// `daphnedsl_import_paths.default_dirs`.
    pub import_default_dirs: Vec<PathBuf>,
    /// `daphnedsl_import_paths.<library>: [dir]`.
    pub import_libraries: BTreeMap<String, PathBuf>,
    pub sparsity_threshold: Option<f64>,
    pub select_matrix_repr: Option<bool>,
    /// `use_vectorized_exec`.
    pub use_vectorized_exec: Option<bool>,
    /// `numberOfThreads` (-1 or 0: all cores).
    pub number_of_threads: Option<i64>,
    /// `use_phy_op_selection`.
    pub use_phy_op_selection: Option<bool>,
    /// `minimumTaskSize` (rows per task at least).
    pub minimum_task_size: Option<usize>,
    /// `worker_token` (ours): the token distributed workers expect (`DAPHNE_WORKER_TOKEN` wins).
    pub worker_token: Option<String>,
    /// `worker_tls_ca` (ours): the PEM CA certificate of the workers' TLS certificates
    /// (`DAPHNE_WORKER_TLS_CA` wins).
    pub worker_tls_ca: Option<String>,
}

/// DAPHNE's configuration keys (`src/parser/config/JsonParams.h`) and the JSON kind each takes.
const KEYS: &[(&str, Kind)] = &[
    ("matmul_vec_size_bits", Kind::Int),
    ("matmul_tile", Kind::Bool),
    ("matmul_use_fixed_tile_sizes", Kind::Bool),
    ("matmul_fixed_tile_sizes", Kind::Array),
    ("matmul_unroll_factor", Kind::Int),
    ("matmul_unroll_jam_factor", Kind::Int),
    ("matmul_num_vec_registers", Kind::Int),
    ("matmul_invert_loops", Kind::Bool),
    ("use_columnar", Kind::Bool),
    ("use_cuda", Kind::Bool),
    ("use_vectorized_exec", Kind::Bool),
    ("use_vectorized_restricted", Kind::Bool),
    ("use_obj_ref_mgnt", Kind::Bool),
    ("use_optimistic_splitting", Kind::Bool),
    ("use_ipa_const_propa", Kind::Bool),
    ("use_phy_op_selection", Kind::Bool),
    ("use_mlir_codegen", Kind::Bool),
    ("select_matrix_repr", Kind::Bool),
    ("cuda_fuse_any", Kind::Bool),
    ("vectorized_single_queue", Kind::Bool),
    ("debug_llvm", Kind::Bool),
    ("explain_columnar", Kind::Bool),
    ("explain_kernels", Kind::Bool),
    ("explain_llvm", Kind::Bool),
    ("explain_parsing", Kind::Bool),
    ("explain_parsing_simplified", Kind::Bool),
    ("explain_property_inference", Kind::Bool),
    ("explain_sql", Kind::Bool),
    ("explain_select_matrix_repr", Kind::Bool),
    ("explain_transfer_data_props", Kind::Bool),
    ("explain_phy_op_selection", Kind::Bool),
    ("explain_type_adaptation", Kind::Bool),
    ("explain_vectorized", Kind::Bool),
    ("explain_obj_ref_mgnt", Kind::Bool),
    ("explain_mlir_codegen", Kind::Bool),
    ("explain_mlir_codegen_sparsity_exploiting_op_fusion", Kind::Bool),
    ("explain_mlir_codegen_daphneir_to_mlir", Kind::Bool),
    ("explain_mlir_codegen_mlir_specific", Kind::Bool),
    ("enable_property_recording", Kind::Bool),
    ("enable_property_insert", Kind::Bool),
    ("properties_file_path", Kind::Str),
    ("taskPartitioningScheme", Kind::Str),
    ("queueSetupScheme", Kind::Str),
    ("victimSelection", Kind::Str),
    ("numberOfThreads", Kind::Int),
    ("minimumTaskSize", Kind::Int),
    ("phyBatchSize", Kind::Int),
    ("useHdfs", Kind::Bool),
    ("hdfsAddress", Kind::Str),
    ("hdfsUsername", Kind::Str),
    ("cuda_devices", Kind::Array),
    ("libdir", Kind::Str),
    ("daphnedsl_import_paths", Kind::Object),
    ("logging", Kind::Array),
    ("force_cuda", Kind::Bool),
    ("sparsity_threshold", Kind::Num),
    // Ours, not DAPHNE's.
    ("worker_token", Kind::Str),
    ("worker_tls_ca", Kind::Str),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Bool,
    Int,
    Num,
    Str,
    Array,
    Object,
}

fn matches(kind: Kind, v: &Value) -> bool {
    match kind {
        Kind::Bool => v.is_boolean(),
        Kind::Int => v.is_i64() || v.is_u64(),
        Kind::Num => v.is_number(),
        Kind::Str => v.is_string(),
        Kind::Array => v.is_array(),
        Kind::Object => v.is_object(),
    }
}

/// Reads and checks a configuration file.
pub fn read(path: &str) -> Result<UserConfig, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("cannot read the configuration file `{path}`: {e}"))?;
    parse(&text).map_err(|e| format!("invalid configuration file `{path}`: {e}"))
}

fn parse(text: &str) -> Result<UserConfig, String> {
    let json: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let Value::Object(map) = json else { return Err("the top level must be a JSON object".into()) };
    let mut cfg = UserConfig::default();
    for (key, value) in &map {
        let Some((_, kind)) = KEYS.iter().find(|(k, _)| k == key) else {
            return Err(format!("unexpected key `{key}`"));
        };
        if !matches(*kind, value) {
            return Err(format!("the value of `{key}` has the wrong type ({kind:?} expected)"));
        }
        if let Some(stage) = key.strip_prefix("explain_")
            && value.as_bool() == Some(true)
        {
            cfg.explain.push(stage.to_string());
        }
        match key.as_str() {
            "sparsity_threshold" => cfg.sparsity_threshold = value.as_f64(),
            "select_matrix_repr" => cfg.select_matrix_repr = value.as_bool(),
            "use_vectorized_exec" => cfg.use_vectorized_exec = value.as_bool(),
            "numberOfThreads" => cfg.number_of_threads = value.as_i64(),
            "use_phy_op_selection" => cfg.use_phy_op_selection = value.as_bool(),
            "minimumTaskSize" => cfg.minimum_task_size = value.as_u64().map(|v| v as usize),
            "worker_token" => cfg.worker_token = value.as_str().map(str::to_string),
            "worker_tls_ca" => cfg.worker_tls_ca = value.as_str().map(str::to_string),
            "daphnedsl_import_paths" => read_import_paths(value, &mut cfg)?,
            _ => {}
        }
    }
    Ok(cfg)
}

fn read_import_paths(value: &Value, cfg: &mut UserConfig) -> Result<(), String> {
    let Some(obj) = value.as_object() else { return Ok(()) };
    for (name, dirs) in obj {
        let Some(list) = dirs.as_array() else {
            return Err(format!("`daphnedsl_import_paths.{name}` must be a list of directories"));
        };
        let dirs: Vec<PathBuf> = list.iter().filter_map(Value::as_str).map(PathBuf::from).collect();
        if name == "default_dirs" {
            cfg.import_default_dirs.extend(dirs);
        } else if let Some(first) = dirs.into_iter().next() {
            cfg.import_libraries.insert(name.clone(), first);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_types_are_checked() {
        let cfg = parse(r#"{"explain_parsing": true, "sparsity_threshold": 0.5, "daphnedsl_import_paths": {"default_dirs": ["lib"], "algos": ["a"]}}"#)
            .unwrap();
        assert_eq!(cfg.explain, vec!["parsing"]);
        assert_eq!(cfg.sparsity_threshold, Some(0.5));
        assert_eq!(cfg.import_default_dirs, vec![PathBuf::from("lib")]);
        assert!(parse(r#"{"nope": 1}"#).unwrap_err().contains("unexpected key"));
        assert!(parse(r#"{"use_cuda": 1}"#).unwrap_err().contains("wrong type"));
        assert!(parse("not json").is_err());
    }
}
