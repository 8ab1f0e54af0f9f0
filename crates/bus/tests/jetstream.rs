//! The ingest log against a real NATS JetStream server (`SWITCHYARD_TEST_NATS_URL`), each test in
//! its own uniquely named stream, deleted afterwards.

use chrono::Utc;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use switchyard_bus::Bus;
use switchyard_domain::{Channel, NewPost};

async fn bus_or_skip(test: &str) -> Option<Bus> {
    let Ok(url) = std::env::var("SWITCHYARD_TEST_NATS_URL") else {
        eprintln!("SKIPPED (no nats): {test}");
        return None;
    };
    let name = format!(
        "SWTEST_{}_{}",
        std::process::id(),
        Utc::now().timestamp_nanos_opt().unwrap_or_default()
    );
    Some(Bus::connect(&url, &name).await.expect("connect to NATS"))
}

fn post(id: usize) -> NewPost {
    NewPost::new(
        Channel::Mastodon,
        format!("m{id}"),
        "amy",
        format!("post {id}"),
        Utc::now(),
    )
}

#[tokio::test]
async fn published_posts_reach_workers_once_and_survive_a_failed_batch() {
    let Some(bus) = bus_or_skip("published_posts_reach_workers_once").await else {
        return;
    };
    let posts: Vec<_> = (0..25).map(post).collect();
    assert_eq!(bus.publish(&posts).await.unwrap(), 25);
    // The same posts again are recognised as duplicates by JetStream.
    assert_eq!(bus.publish(&posts[..5]).await.unwrap(), 0);
    assert_eq!(bus.stored_messages().await.unwrap(), 25);

    // A worker whose store fails: nothing is acknowledged, everything comes back.
    let stats = bus
        .consume_once("workers", 10, Duration::from_secs(2), |_posts| async {
            Err::<(), _>("database unavailable")
        })
        .await
        .unwrap();
    assert_eq!(stats.retried, 10);

    let seen = Arc::new(Mutex::new(Vec::new()));
    for _ in 0..20 {
        let sink = seen.clone();
        let stats = bus
            .consume_once(
                "workers",
                10,
                Duration::from_millis(500),
                |batch| async move {
                    sink.lock()
                        .unwrap()
                        .extend(batch.into_iter().map(|p| p.external_id));
                    Ok::<(), String>(())
                },
            )
            .await
            .unwrap();
        if stats.acked == 0 && seen.lock().unwrap().len() >= 25 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let seen = seen.lock().unwrap().clone();
    let unique: HashSet<_> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), 25, "every post delivered: {seen:?}");
    assert_eq!(seen.len(), 25, "each acknowledged exactly once");
    bus.delete().await.unwrap();
}

#[tokio::test]
async fn malformed_messages_are_dropped_not_redelivered() {
    let Some(bus) = bus_or_skip("malformed_messages_are_dropped").await else {
        return;
    };
    let url = std::env::var("SWITCHYARD_TEST_NATS_URL").unwrap();
    let client = async_nats::connect(&url).await.unwrap();
    let js = async_nats::jetstream::new(client);
    let subject = bus.subject(&post(0));
    js.publish(subject, "not a post".into())
        .await
        .unwrap()
        .await
        .unwrap();
    bus.publish(&[post(1)]).await.unwrap();
    let mut handled = 0;
    let stats = bus
        .consume_once("w", 10, Duration::from_secs(1), |batch| {
            handled = batch.len();
            async { Ok::<(), String>(()) }
        })
        .await
        .unwrap();
    assert_eq!(stats.malformed, 1);
    assert_eq!(handled, 1);
    let again = bus
        .consume_once("w", 10, Duration::from_millis(300), |_| async {
            Ok::<(), String>(())
        })
        .await
        .unwrap();
    assert_eq!(again.malformed + again.acked, 0);
    bus.delete().await.unwrap();
}
