//! Rebuilds the store whenever a migration file is added, changed or removed, so that
//! `sqlx::migrate!` (which embeds the files at compile time) never ships a stale migration set.

fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
    println!("cargo:rerun-if-changed=../../migrations/sqlite");
    println!("cargo:rerun-if-changed=../../migrations/postgres");
}
