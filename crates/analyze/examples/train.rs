//! Trains or evaluates every model from the shared data, as `switchyard train` / `switchyard
//! eval` do: `cargo run --release -p switchyard-analyze --example train -- [train|eval] [DATA] [OUT]`.

use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "eval".to_string());
    let data = args
        .next()
        .map(PathBuf::from)
        .or_else(switchyard_domain::testdata::shared_data_dir)
        .unwrap_or_else(|| PathBuf::from("../shared/data"));
    let out = args
        .next()
        .map_or_else(|| PathBuf::from("models"), PathBuf::from);
    let started = Instant::now();
    let result = match mode.as_str() {
        "train" => switchyard_analyze::train_all(&data, &out, &[]).map(|r| r.to_string()),
        "eval" => switchyard_analyze::eval_all(&data).map(|r| r.to_string()),
        other => {
            eprintln!("unknown mode {other:?}: use train or eval");
            std::process::exit(2);
        }
    };
    match result {
        Ok(text) => println!("{text}\n({:.1} s)", started.elapsed().as_secs_f64()),
        Err(error) => {
            eprintln!("error: {error}");
            std::process::exit(1);
        }
    }
}
