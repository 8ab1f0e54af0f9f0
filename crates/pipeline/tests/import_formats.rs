//! Every import format read from fixtures shaped like the real payloads: fields land where they
//! belong, bad records are rejected with their line and the rest carry on.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use switchyard_domain::{Channel, NewPost, Visibility};
use switchyard_pipeline::import::{
    self, CsvMapping, CsvPreset, ImportError, ImportFormat, Rejected,
};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn read_all(
    name: &str,
    format: Option<ImportFormat>,
) -> (ImportFormat, Vec<NewPost>, Vec<Rejected>) {
    let records = import::open_path(&fixture(name), format.as_ref()).expect("readable fixture");
    let detected = records.format().clone();
    let mut posts = Vec::new();
    let mut rejected = Vec::new();
    for item in records {
        match item {
            Ok(post) => posts.push(post),
            Err(bad) => rejected.push(bad),
        }
    }
    (detected, posts, rejected)
}

#[test]
fn airline_csv_maps_columns_and_rejects_bad_rows_by_line() {
    let (format, posts, rejected) = read_all("airline_sample.csv", None);
    assert_eq!(format, ImportFormat::Csv);
    assert_eq!(posts.len(), 4, "{rejected:?}");
    let first = &posts[0];
    assert_eq!(first.channel, Channel::X);
    assert_eq!(first.external_id, "900000000000000001");
    assert_eq!(first.author.handle, "frequentflyer_jo");
    assert_eq!(first.created_at.to_rfc3339(), "2015-02-24T19:35:52+00:00");
    assert_eq!(first.engagement.shares, 3);
    assert_eq!(
        first.permalink.as_deref(),
        Some("https://x.com/frequentflyer_jo/status/900000000000000001")
    );
    assert_eq!(first.meta["airline_sentiment"], "negative");
    assert_eq!(first.meta["negativereason"], "Late Flight");
    assert_eq!(first.meta["airline"], "Acme Air");
    // The quoted multi-line text stays one post.
    assert!(posts[2].text.contains("Denver") && posts[2].text.contains("Three hours"));
    assert_eq!(posts[3].external_id, "900000000000000007");

    let lines: Vec<u64> = rejected.iter().map(|r| r.line).collect();
    assert_eq!(lines, vec![6, 7, 8], "{rejected:?}");
    assert!(rejected[0].reason.contains("external id is empty"));
    assert!(rejected[1].reason.contains("yesterday at noon"));
    assert!(rejected[2].reason.contains("fields but the header has 15"));
}

#[test]
fn twcs_csv_keeps_threads_and_cleans_float_ids() {
    let (format, posts, rejected) = read_all("twcs_sample.csv", Some("twcs".parse().unwrap()));
    assert_eq!(format, ImportFormat::CsvPreset(CsvPreset::Twcs));
    assert_eq!(posts.len(), 3);
    assert_eq!(posts[1].author.handle, "AcmeSupport");
    assert_eq!(posts[1].parent_id.as_deref(), Some("4001"));
    assert_eq!(posts[1].meta["inbound"], "False");
    assert_eq!(
        posts[0].created_at.to_rfc3339(),
        "2017-10-31T22:10:47+00:00"
    );
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].line, 5);
    assert!(rejected[0].reason.contains("twitter"), "{rejected:?}");
}

#[test]
fn complaints_csv_takes_time_from_snowflake_ids() {
    let (format, posts, rejected) = read_all("complaints_sample.csv", None);
    assert_eq!(format, ImportFormat::Csv);
    assert_eq!(posts.len(), 2);
    assert_eq!(posts[0].author.handle, "unknown");
    assert_eq!(posts[0].meta["label"], "1");
    assert_eq!(posts[0].meta["domain"], "retail");
    assert_eq!(
        posts[0].created_at.format("%Y-%m-%d %H:%M:%S").to_string(),
        "2015-02-24 19:35:52"
    );
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].line, 4);
    assert!(rejected[0].reason.contains("snowflake"));
}

#[test]
fn cfpb_csv_is_a_web_complaint_with_product_in_meta() {
    let (_, posts, rejected) = read_all("cfpb_sample.csv", None);
    assert!(rejected.is_empty(), "{rejected:?}");
    assert_eq!(posts.len(), 2);
    assert_eq!(posts[0].channel, Channel::Web);
    assert_eq!(posts[0].visibility, Visibility::Public);
    assert_eq!(posts[0].external_id, "9000001");
    assert_eq!(
        posts[0].created_at.to_rfc3339(),
        "2023-06-27T00:00:00+00:00"
    );
    assert_eq!(posts[0].meta["product"], "Credit card");
}

#[test]
fn custom_mapping_from_toml() {
    let mapping = CsvMapping::from_toml_file(&fixture("custom_mapping.toml")).unwrap();
    let format = ImportFormat::from_mapping(mapping);
    let (_, posts, rejected) = read_all("custom_export.csv", Some(format));
    assert_eq!(posts.len(), 1);
    let post = &posts[0];
    assert_eq!(post.channel, Channel::Email);
    assert_eq!(post.visibility, Visibility::Private);
    assert_eq!(post.author.handle, "ann@example.org");
    assert_eq!(post.author.display_name.as_deref(), Some("Ann Lee"));
    assert_eq!(post.engagement.likes, 2);
    assert_eq!(post.created_at.to_rfc3339(), "2026-03-03T09:30:00+00:00");
    assert_eq!(post.meta["Agent"], "kim");
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].line, 3);
    assert!(rejected[0].reason.contains("likes \"x\""), "{rejected:?}");
}

#[test]
fn mapping_naming_a_missing_column_is_an_error_listing_the_header() {
    let mapping = CsvMapping {
        created_at: Some("Opened".into()),
        ..CsvMapping::new("Ticket", "Body")
    };
    let error = import::open_path(
        &fixture("custom_export.csv"),
        Some(&ImportFormat::CsvMapped(Arc::new(mapping))),
    )
    .unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, ImportError::MissingColumn { .. }));
    assert!(
        message.contains("\"Body\"") && message.contains("Customer Email"),
        "{message}"
    );
}

#[test]
fn csv_without_a_preset_asks_for_a_mapping() {
    let error = import::open_path(&fixture("custom_export.csv"), None).unwrap_err();
    let message = error.to_string();
    assert!(message.contains("custom_export.csv"), "{message}");
    assert!(message.contains("mapping"), "{message}");
}

#[test]
fn canonical_jsonl_reads_optional_fields_and_rejects_bad_lines() {
    let (format, posts, rejected) = read_all("canonical.jsonl", None);
    assert_eq!(format, ImportFormat::Jsonl);
    assert_eq!(posts.len(), 3);
    assert_eq!(posts[0].channel, Channel::Mastodon);
    assert_eq!(posts[0].author.followers, Some(120));
    assert_eq!(posts[1].visibility, Visibility::Private);
    assert_eq!(
        posts[1].created_at.to_rfc3339(),
        "2026-03-03T09:00:00+00:00"
    );
    assert_eq!(posts[2].engagement.views, Some(1_200_000));
    assert!(posts[2].author.verified);
    let lines: Vec<u64> = rejected.iter().map(|r| r.line).collect();
    assert_eq!(lines, vec![4, 6]);
    assert!(rejected[0].reason.contains("created_at"), "{rejected:?}");
}

#[test]
fn x_api_v2_search_page_joins_users_and_metrics() {
    let (format, posts, rejected) = read_all("x_api_v2_search.json", None);
    assert_eq!(format, ImportFormat::XApiV2);
    assert_eq!(posts.len(), 3, "{rejected:?}");
    let first = &posts[0];
    assert_eq!(first.channel, Channel::X);
    assert_eq!(first.author.handle, "bigtraveler");
    assert_eq!(first.author.display_name.as_deref(), Some("Big Traveler"));
    assert_eq!(first.author.followers, Some(513_962));
    assert!(first.author.verified);
    assert_eq!(first.engagement.views, Some(15_000));
    assert_eq!(first.engagement.likes, 40);
    assert_eq!(first.engagement.shares, 14);
    assert_eq!(first.engagement.replies, 3);
    assert_eq!(first.thread_id.as_deref(), Some("1760000000000000001"));
    assert_eq!(first.language.as_deref(), Some("en"));
    assert_eq!(
        first.permalink.as_deref(),
        Some("https://x.com/bigtraveler/status/1760000000000000001")
    );
    let reply = &posts[1];
    assert_eq!(reply.parent_id.as_deref(), Some("1760000000000000001"));
    assert!(!reply.author.verified);
    assert_eq!(reply.author.followers, Some(12));
    let orphan = &posts[2];
    assert_eq!(orphan.author.handle, "id:3333333333");
    assert!(orphan.created_at.timestamp() > 1_700_000_000);
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].line, 1);
    assert!(rejected[0].reason.contains("data[3]"), "{rejected:?}");
    assert!(rejected[0].reason.contains("text"), "{rejected:?}");
}

#[test]
fn x_api_v2_single_tweet_prefers_the_long_note_text() {
    let (_, posts, rejected) = read_all("x_api_v2_single.json", None);
    assert!(rejected.is_empty());
    assert_eq!(posts.len(), 1);
    assert!(posts[0].text.ends_with("get back to me today."));
    assert!(posts[0].author.verified, "verified_type business counts");
    assert_eq!(posts[0].engagement.views, Some(250_000));
}

#[test]
fn x_api_v2_json_lines_of_pages() {
    let (format, posts, rejected) = read_all("x_api_v2_pages.jsonl", None);
    assert_eq!(format, ImportFormat::XApiV2);
    assert_eq!(posts.len(), 2);
    assert_eq!(posts[0].author.handle, "questioner");
    assert_eq!(posts[0].author.followers, Some(77));
    assert_eq!(posts[1].author.handle, "waiter");
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].line, 3);
}

#[test]
fn mastodon_statuses_array() {
    let (format, posts, rejected) = read_all("mastodon_statuses.json", None);
    assert_eq!(format, ImportFormat::Mastodon);
    assert_eq!(posts.len(), 2, "{rejected:?}");
    let first = &posts[0];
    assert_eq!(first.channel, Channel::Mastodon);
    assert_eq!(first.external_id, "113270115826048975");
    assert_eq!(first.author.handle, "gargoyle@acme.social");
    assert_eq!(first.author.followers, Some(322_930));
    assert_eq!(
        first.text,
        "\"The tracking page rejects every parcel number\" #AcmeShop\n\nhttps://www.example.com/status/2026/mar/tracking-outage"
    );
    assert_eq!(first.engagement.likes, 11);
    assert_eq!(first.engagement.shares, 6);
    assert_eq!(first.engagement.replies, 5);
    assert_eq!(first.visibility, Visibility::Public);
    assert_eq!(
        first.permalink.as_deref(),
        Some("https://acme.social/@gargoyle/113270115826048975")
    );
    assert_eq!(first.meta["tags"][0], "acmeshop");
    let dm = &posts[1];
    assert_eq!(dm.visibility, Visibility::Private);
    assert_eq!(dm.parent_id.as_deref(), Some("113270115826048975"));
    assert_eq!(dm.author.handle, "mo@other.example");
    assert_eq!(dm.author.display_name, None);
    assert!(dm.text.starts_with("rant about support\n\n@gargoyle same"));
    assert_eq!(rejected.len(), 2);
    assert!(rejected[0].reason.starts_with("[2]"), "{rejected:?}");
    assert!(rejected[0].reason.contains("account"), "{rejected:?}");
    assert!(rejected[1].reason.contains("media-only"), "{rejected:?}");
}

#[test]
fn mastodon_single_status_unlisted_is_public() {
    let (_, posts, rejected) = read_all("mastodon_status.json", Some(ImportFormat::Mastodon));
    assert!(rejected.is_empty());
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].visibility, Visibility::Public);
    assert_eq!(posts[0].language.as_deref(), Some("de"));
    assert_eq!(posts[0].author.handle, "hans@acme.social");
}

#[test]
fn unreadable_and_unknown_files_are_clear_errors() {
    let missing = import::open_path(Path::new("/nonexistent/posts.csv"), None).unwrap_err();
    assert!(missing.to_string().contains("/nonexistent/posts.csv"));
    let directory = import::open_path(&fixture(""), None).unwrap_err();
    assert!(directory.to_string().contains("directory"), "{directory}");

    let dir = tempfile::tempdir().unwrap();
    let odd = dir.path().join("notes.bin");
    std::fs::write(&odd, b"\x00\x01\x02 just bytes").unwrap();
    let message = import::open_path(&odd, None).unwrap_err().to_string();
    assert!(message.contains("notes.bin"), "{message}");
    assert!(
        message.contains("jsonl") && message.contains("mastodon"),
        "{message}"
    );
}

#[test]
fn wrong_explicit_format_rejects_records_instead_of_guessing() {
    let (_, posts, rejected) = read_all("mastodon_status.json", Some(ImportFormat::XApiV2));
    assert!(posts.is_empty());
    assert_eq!(rejected.len(), 1);
    assert!(rejected[0].reason.contains("data"), "{rejected:?}");
}

#[test]
fn empty_files_read_as_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["empty.csv", "empty.jsonl", "empty.json"] {
        let path = dir.path().join(name);
        std::fs::write(&path, b"").unwrap();
        let records = import::open_path(&path, None).unwrap();
        assert_eq!(records.count(), 0, "{name}");
    }
}

fn count_shared(relative: &str) -> Option<(usize, Vec<Rejected>)> {
    let dir = switchyard_domain::testdata::shared_data_or_skip(relative)?;
    let records = import::open_path(&dir.join(relative), None).expect("shared file opens");
    let mut posts = 0;
    let mut rejected = Vec::new();
    for item in records {
        match item {
            Ok(_) => posts += 1,
            Err(bad) => rejected.push(bad),
        }
    }
    Some((posts, rejected))
}

#[test]
fn shared_airline_train_reads_every_row() {
    let Some((posts, rejected)) = count_shared("airline/train.csv") else {
        return;
    };
    assert!(
        rejected.is_empty(),
        "{:?}",
        &rejected[..rejected.len().min(5)]
    );
    assert_eq!(posts, 11_588);
}

#[test]
fn shared_twcs_complaints_and_cfpb_read_without_rejections() {
    for (relative, expected) in [
        ("twcs/twcs_random5000.csv", 5_000),
        ("twcs/kaggle_sample.csv", 0),
        ("complaints/train.csv", 3_055),
        ("cfpb/cfpb_narratives.csv", 389),
    ] {
        let Some((posts, rejected)) = count_shared(relative) else {
            return;
        };
        assert!(
            rejected.is_empty(),
            "{relative}: {:?}",
            &rejected[..rejected.len().min(5)]
        );
        if expected > 0 {
            assert_eq!(posts, expected, "{relative}");
        } else {
            assert!(posts > 0, "{relative}");
        }
    }
}
