//! `switchyard rules check` (run the tests each rule carries) and `switchyard rules backtest`
//! (what each rule would have matched on stored history).

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use std::io::Write;
use switchyard_pipeline::route::RuleSet;
use switchyard_store::Store;

/// Prints every rule test's outcome; returns whether all passed.
pub fn check(rules: &RuleSet) -> Result<bool> {
    let report = rules.check();
    writeln!(std::io::stdout().lock(), "{report}")?;
    Ok(report.all_passed())
}

pub async fn backtest(rules: &RuleSet, store: &Store, since: DateTime<Utc>) -> Result<()> {
    let report = rules
        .backtest(store, since)
        .await
        .context("back-testing the rules on stored posts")?;
    writeln!(std::io::stdout().lock(), "{report}")?;
    Ok(())
}
