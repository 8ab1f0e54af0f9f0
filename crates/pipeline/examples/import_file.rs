//! Imports one file through the full pipeline (analyse → route → store → index) into a data
//! directory and prints the report as JSON; used by `scripts/bench-import.sh` when the
//! `switchyard` binary is not built.
//!
//! `cargo run --release -p switchyard-pipeline --example import_file -- FILE DATA_DIR [RULES.toml]`

use std::path::PathBuf;
use std::sync::Arc;
use switchyard_analyze::Analyzer;
use switchyard_pipeline::Pipeline;
use switchyard_pipeline::route::RuleSet;
use switchyard_store::Store;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(file), Some(data_dir)) = (args.next(), args.next()) else {
        eprintln!("usage: import_file FILE DATA_DIR [RULES.toml]");
        std::process::exit(2);
    };
    let rules_path = args.next().map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../config/rules.toml")
    });
    let rules = match RuleSet::from_file(&rules_path) {
        Ok(rules) => rules,
        Err(error) => {
            eprintln!("{error}");
            std::process::exit(1);
        }
    };
    let store = match Store::open(&data_dir).await {
        Ok(store) => store,
        Err(error) => {
            eprintln!("opening the store at {data_dir}: {error}");
            std::process::exit(1);
        }
    };
    let pipeline = Pipeline::new(Arc::new(Analyzer::new()), rules, store);
    match pipeline.import_file(&file, None, |_| {}).await {
        Ok(report) => {
            let rejected = report.rejected.len();
            let mut json = serde_json::to_value(&report).unwrap_or_default();
            if let Some(object) = json.as_object_mut() {
                object.insert("rejected".into(), rejected.into());
            }
            println!("{json}");
        }
        Err(error) => {
            eprintln!("{error}");
            std::process::exit(1);
        }
    }
    if let Err(error) = pipeline.store().close().await {
        eprintln!("closing the store: {error}");
        std::process::exit(1);
    }
}
