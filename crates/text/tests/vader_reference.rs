//! Faithfulness to the reference: every snippet of the three published VADER reference sets
//! (Amazon reviews, movie reviews, NYT editorials; 19,503 texts scored by vaderSentiment.py at
//! commit 44fc044c) must score the same. Skips loudly without the shared data.

use std::path::Path;
use switchyard_domain::testdata::shared_data_or_skip;
use switchyard_text::Vader;

struct Tally {
    texts: usize,
    compound_ok: usize,
    all_ok: usize,
    mismatches: Vec<String>,
}

fn check_file(vader: &Vader, path: &Path, tally: &mut Tally) {
    let content = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    for (line_no, line) in content.lines().enumerate().skip(1) {
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.splitn(7, '\t').collect();
        assert_eq!(
            fields.len(),
            7,
            "{}:{}: expected 7 tab-separated fields",
            path.display(),
            line_no + 1
        );
        let want: Vec<f64> = fields[2..6]
            .iter()
            .map(|f| {
                f.parse().unwrap_or_else(|e| {
                    panic!("{}:{}: bad number {f:?}: {e}", path.display(), line_no + 1)
                })
            })
            .collect();
        let got = vader.polarity_scores(fields[6]);
        tally.texts += 1;
        let compound_ok = (got.compound - want[3]).abs() <= 1e-4;
        let triple_ok = (got.neg - want[0]).abs() <= 1e-3
            && (got.neu - want[1]).abs() <= 1e-3
            && (got.pos - want[2]).abs() <= 1e-3;
        if compound_ok {
            tally.compound_ok += 1;
        }
        if compound_ok && triple_ok {
            tally.all_ok += 1;
        } else if tally.mismatches.len() < 20 {
            tally.mismatches.push(format!(
                "{} id {}: got {:?}, want {:?}: {}",
                path.file_name().unwrap_or_default().to_string_lossy(),
                fields[0],
                got,
                want,
                fields[6]
            ));
        }
    }
}

#[test]
fn reference_sets_score_the_same() {
    let Some(data) = shared_data_or_skip("vader reference_sets_score_the_same") else {
        return;
    };
    let vader = Vader::new();
    let mut tally = Tally {
        texts: 0,
        compound_ok: 0,
        all_ok: 0,
        mismatches: Vec::new(),
    };
    for name in ["amazon.tsv", "movies.tsv", "nyt.tsv"] {
        check_file(&vader, &data.join("vader/reference").join(name), &mut tally);
    }
    eprintln!(
        "VADER reference: {} texts, compound within 1e-4: {}, all four scores: {}",
        tally.texts, tally.compound_ok, tally.all_ok
    );
    for mismatch in &tally.mismatches {
        eprintln!("  mismatch: {mismatch}");
    }
    assert_eq!(
        tally.texts, 19_503,
        "the reference sets should hold 19,503 texts"
    );
    assert!(
        tally.compound_ok * 1000 >= tally.texts * 999,
        "only {} of {} compounds within 1e-4",
        tally.compound_ok,
        tally.texts
    );
    assert!(
        tally.all_ok * 1000 >= tally.texts * 999,
        "only {} of {} texts match on all four scores",
        tally.all_ok,
        tally.texts
    );
}
