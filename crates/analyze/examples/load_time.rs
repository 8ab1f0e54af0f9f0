//! Times loading the shipped models (`Analyzer::try_new`, first call in the process) and from a
//! folder (`Analyzer::from_dir`): `cargo run --release -p switchyard-analyze --example load_time`.

use std::path::Path;
use std::time::Instant;

fn main() {
    let started = Instant::now();
    let shipped = switchyard_analyze::Analyzer::try_new();
    let first = started.elapsed();
    let started = Instant::now();
    let again = switchyard_analyze::Analyzer::try_new();
    let second = started.elapsed();
    let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models");
    let started = Instant::now();
    let from_dir = switchyard_analyze::Analyzer::from_dir(&models);
    let folder = started.elapsed();
    match (shipped, again, from_dir) {
        (Ok(_), Ok(_), Ok(_)) => println!(
            "compiled-in models, first load: {:.1} ms; later Analyzer::new: {:.3} ms; from_dir: {:.1} ms",
            first.as_secs_f64() * 1e3,
            second.as_secs_f64() * 1e3,
            folder.as_secs_f64() * 1e3
        ),
        (a, b, c) => {
            for error in [a.err(), b.err(), c.err()].into_iter().flatten() {
                eprintln!("error: {error}");
            }
            std::process::exit(1);
        }
    }
}
