//! Email against a scripted loopback IMAP4rev1 server (LOGIN, SELECT, UID SEARCH, UID FETCH,
//! LOGOUT) and a loopback SMTP server.

use super::common::{fixture, wait_until};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use switchyard_connectors::email::{ImapConfig, Security, SmtpConfig, SmtpSender};
use switchyard_connectors::{
    ConnectorConfig, DeliveryOutcome, MemorySink, OutgoingReply, ReplySender, Secret,
    StatusRegistry, accept_all, spawn,
};
use switchyard_domain::{Channel, Visibility};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

struct Mailbox {
    uid_validity: u32,
    messages: Vec<(u32, Vec<u8>)>,
    commands: Vec<String>,
}

type Shared = Arc<Mutex<Mailbox>>;

/// Splits an IMAP command line into words, honouring "quoted strings".
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => quoted = !quoted,
            '\\' if quoted => current.extend(chars.next()),
            ' ' if !quoted => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
            }
            _ => current.push(c),
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

fn uid_range(spec: &str, max: u32) -> Vec<u32> {
    // Only what the connector sends: "n:*" (RFC 3501: "*" is the largest UID in use, and n:* with
    // n > max still matches max) or a comma list.
    if let Some(start) = spec.strip_suffix(":*") {
        let start: u32 = start.parse().unwrap();
        let (low, high) = if start > max {
            (max, start)
        } else {
            (start, max)
        };
        return (low..=high).collect();
    }
    spec.split(',').map(|uid| uid.parse().unwrap()).collect()
}

async fn serve_imap(state: Shared) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let (socket, _) = listener.accept().await.unwrap();
            let state = state.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write
                    .write_all(b"* OK [CAPABILITY IMAP4rev1 LITERAL+] Fake IMAP ready\r\n")
                    .await
                    .unwrap();
                while let Ok(Some(line)) = lines.next_line().await {
                    let parts = words(&line);
                    let (tag, command) = (
                        parts[0].clone(),
                        parts
                            .get(1)
                            .map(|c| c.to_ascii_uppercase())
                            .unwrap_or_default(),
                    );
                    state.lock().unwrap().commands.push(line.clone());
                    let reply = {
                        let mailbox = state.lock().unwrap();
                        let max = mailbox.messages.iter().map(|m| m.0).max().unwrap_or(0);
                        match command.as_str() {
                            "LOGIN" if parts[2] == "support@acme.example" && parts[3] == "imap-pass" => format!("{tag} OK [CAPABILITY IMAP4rev1] Logged in\r\n").into_bytes(),
                            "LOGIN" => format!("{tag} NO [AUTHENTICATIONFAILED] Authentication failed.\r\n").into_bytes(),
                            "SELECT" => format!(
                                "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted.\r\n* {} EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY {}] UIDs valid\r\n* OK [UIDNEXT {}] Predicted next UID\r\n{tag} OK [READ-WRITE] Select completed.\r\n",
                                mailbox.messages.len(), mailbox.uid_validity, max + 1
                            ).into_bytes(),
                            "UID" if parts[2].eq_ignore_ascii_case("SEARCH") => {
                                let wanted = uid_range(&parts[4], max);
                                let found: Vec<String> = mailbox.messages.iter().filter(|m| wanted.contains(&m.0)).map(|m| m.0.to_string()).collect();
                                format!("* SEARCH {}\r\n{tag} OK Search completed.\r\n", found.join(" ")).into_bytes()
                            }
                            "UID" if parts[2].eq_ignore_ascii_case("FETCH") => {
                                let wanted = uid_range(&parts[3], max);
                                let mut out = Vec::new();
                                for (sequence, (uid, body)) in mailbox.messages.iter().enumerate() {
                                    if wanted.contains(uid) {
                                        if line.contains("BODY.PEEK[]") {
                                            out.extend(format!("* {} FETCH (UID {uid} BODY[] {{{}}}\r\n", sequence + 1, body.len()).into_bytes());
                                            out.extend(body);
                                            out.extend(b")\r\n");
                                        } else {
                                            out.extend(format!("* {} FETCH (UID {uid} RFC822.SIZE {})\r\n", sequence + 1, body.len()).into_bytes());
                                        }
                                    }
                                }
                                out.extend(format!("{tag} OK Fetch completed.\r\n").into_bytes());
                                out
                            }
                            "LOGOUT" => format!("* BYE Logging out\r\n{tag} OK Logout completed.\r\n").into_bytes(),
                            "CAPABILITY" => format!("* CAPABILITY IMAP4rev1\r\n{tag} OK done\r\n").into_bytes(),
                            _ => format!("{tag} BAD Unknown command\r\n").into_bytes(),
                        }
                    };
                    if write.write_all(&reply).await.is_err() || command == "LOGOUT" {
                        return;
                    }
                }
            });
        }
    });
    port
}

fn imap_config(port: u16, password: &str) -> ImapConfig {
    let mut config = ImapConfig::new(
        "support-inbox",
        "127.0.0.1",
        "support@acme.example",
        Secret::new(password),
    );
    config.port = Some(port);
    config.security = Security::None;
    config.interval_secs = 1;
    config.batch_size = 2;
    config.max_message_bytes = 20_000;
    config
}

#[tokio::test]
async fn imap_messages_become_threaded_private_posts_and_resume_by_uid() {
    let state: Shared = Arc::new(Mutex::new(Mailbox {
        uid_validity: 1700000001,
        messages: vec![
            (3, fixture("email/customer.eml").into_bytes()),
            (5, fixture("email/broken.eml").into_bytes()),
            (8, fixture("email/followup.eml").into_bytes()),
        ],
        commands: Vec::new(),
    }));
    let port = serve_imap(state.clone()).await;
    let sink = MemorySink::new();
    let status = StatusRegistry::new();
    let shutdown = CancellationToken::new();
    let task = spawn(
        ConnectorConfig::Imap(imap_config(port, "imap-pass")),
        sink.clone(),
        &status,
        shutdown.clone(),
        accept_all(),
    );
    assert!(
        wait_until(Duration::from_secs(5), || async {
            sink.cursor("support-inbox").as_deref() == Some("1700000001:8")
        })
        .await,
        "{:?}",
        sink.cursor("support-inbox")
    );
    shutdown.cancel();
    task.await.unwrap();

    let posts = sink.posts();
    assert_eq!(
        posts.len(),
        2,
        "the broken message is rejected, the others stored"
    );
    let first = &posts[0];
    assert_eq!(first.channel, Channel::Email);
    assert_eq!(first.visibility, Visibility::Private);
    assert_eq!(first.external_id, "CAF=k2Lq8e1wq@mail.example.net");
    assert_eq!(first.author.handle, "lena.kraus@example.net");
    assert_eq!(first.author.display_name.as_deref(), Some("Lena Kraus"));
    assert!(
        first
            .text
            .starts_with("Double charge on invoice 2026-11\n\nHello,"),
        "{}",
        first.text
    );
    assert!(
        first.text.contains("49,90 €"),
        "quoted-printable decoded: {}",
        first.text
    );
    assert_eq!(first.created_at.to_rfc3339(), "2026-11-23T09:58:03+00:00");
    let second = &posts[1];
    assert_eq!(
        second.parent_id.as_deref(),
        Some("switchyard.5f1c2d3e4a5b6c7d8e9f0a1b@acme.example")
    );
    assert_eq!(
        second.thread_id.as_deref(),
        Some("CAF=k2Lq8e1wq@mail.example.net")
    );
    assert_eq!(status.get("support-inbox").unwrap().rejected_payloads, 1);
    let commands = state.lock().unwrap().commands.clone();
    assert!(
        commands.iter().any(|c| c.ends_with("UID SEARCH UID 1:*")),
        "{commands:?}"
    );
    assert!(
        commands
            .iter()
            .any(|c| c.ends_with("UID FETCH 3,5 (UID RFC822.SIZE)")),
        "batches of 2, sizes first: {commands:?}"
    );
    assert!(
        commands
            .iter()
            .any(|c| c.ends_with("UID FETCH 3,5 (UID BODY.PEEK[])")),
        "{commands:?}"
    );

    // Restart: `UID 9:*` still answers UID 8 (RFC 3501); nothing is offered twice. New messages
    // arrive: an oversized one is skipped without being downloaded, the other is picked up.

    let mut huge = fixture("email/customer.eml").into_bytes();
    huge.extend(vec![b'x'; 30_000]);
    state.lock().unwrap().messages.push((10, huge));
    state
        .lock()
        .unwrap()
        .messages
        .push((12, fixture("email/html_only.eml").into_bytes()));
    let shutdown = CancellationToken::new();
    let task = spawn(
        ConnectorConfig::Imap(imap_config(port, "imap-pass")),
        sink.clone(),
        &status,
        shutdown.clone(),
        accept_all(),
    );
    assert!(wait_until(Duration::from_secs(5), || async { sink.posts().len() == 3 }).await);
    assert!(
        wait_until(Duration::from_secs(5), || async {
            state
                .lock()
                .unwrap()
                .commands
                .iter()
                .filter(|c| c.ends_with("UID SEARCH UID 13:*"))
                .count()
                >= 1
        })
        .await
    );
    shutdown.cancel();
    task.await.unwrap();
    assert_eq!(sink.duplicates_offered(), 0);
    let commands = state.lock().unwrap().commands.clone();
    assert!(
        commands
            .iter()
            .any(|c| c.ends_with("UID FETCH 10,12 (UID RFC822.SIZE)")),
        "{commands:?}"
    );
    assert!(
        commands
            .iter()
            .any(|c| c.ends_with("UID FETCH 12 (UID BODY.PEEK[])")),
        "the oversized message is never downloaded: {commands:?}"
    );
    assert_eq!(status.get("support-inbox").unwrap().rejected_payloads, 2);
    let html = &sink.posts()[2];
    assert_eq!(
        html.text,
        "Broken lamp\n\nThe courier left my parcel in the rain & the lamp is broken."
    );
    assert!(
        html.external_id
            .starts_with("imap:127.0.0.1/INBOX/1700000001/12"),
        "no Message-ID: {}",
        html.external_id
    );
}

#[tokio::test]
async fn wrong_imap_password_is_reported_without_the_secret() {
    let state: Shared = Arc::new(Mutex::new(Mailbox {
        uid_validity: 1,
        messages: Vec::new(),
        commands: Vec::new(),
    }));
    let port = serve_imap(state).await;
    let status = StatusRegistry::new();
    let shutdown = CancellationToken::new();
    let task = spawn(
        ConnectorConfig::Imap(imap_config(port, "hunter2-wrong")),
        MemorySink::new(),
        &status,
        shutdown.clone(),
        accept_all(),
    );
    assert!(
        wait_until(Duration::from_secs(5), || async {
            status.get("support-inbox").unwrap().error_count >= 1
        })
        .await
    );
    shutdown.cancel();
    task.await.unwrap();
    let error = status.get("support-inbox").unwrap().last_error.unwrap();
    assert!(
        error.contains("refused our credentials") && !error.contains("hunter2"),
        "{error}"
    );
}

/// A minimal SMTP server: records each message's DATA; refuses RCPT for `nobody@`.
async fn serve_smtp(received: Arc<Mutex<Vec<String>>>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let (socket, _) = listener.accept().await.unwrap();
            let received = received.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut reader = BufReader::new(read);
                write
                    .write_all(b"220 fake.smtp ESMTP ready\r\n")
                    .await
                    .unwrap();
                let mut line = String::new();
                loop {
                    line.clear();
                    if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let upper = line.to_ascii_uppercase();
                    let answer: &[u8] = if upper.starts_with("EHLO") {
                        b"250-fake.smtp\r\n250 8BITMIME\r\n"
                    } else if upper.starts_with("MAIL FROM") {
                        b"250 2.1.0 Ok\r\n"
                    } else if upper.starts_with("RCPT TO") && upper.contains("NOBODY@") {
                        b"550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown\r\n"
                    } else if upper.starts_with("RCPT TO") {
                        b"250 2.1.5 Ok\r\n"
                    } else if upper.starts_with("DATA") {
                        write
                            .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                            .await
                            .unwrap();
                        let mut data = Vec::new();
                        loop {
                            let mut byte = [0u8; 1];
                            if reader.read_exact(&mut byte).await.is_err() {
                                return;
                            }
                            data.push(byte[0]);
                            if data.ends_with(b"\r\n.\r\n") {
                                break;
                            }
                        }
                        received
                            .lock()
                            .unwrap()
                            .push(String::from_utf8_lossy(&data).to_string());
                        b"250 2.0.0 Ok: queued as 4XkF2\r\n"
                    } else if upper.starts_with("QUIT") {
                        let _ = write.write_all(b"221 2.0.0 Bye\r\n").await;
                        return;
                    } else if upper.starts_with("RSET") || upper.starts_with("NOOP") {
                        b"250 2.0.0 Ok\r\n"
                    } else {
                        b"502 5.5.2 Error: command not recognized\r\n"
                    };
                    if write.write_all(answer).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    port
}

#[tokio::test]
async fn smtp_replies_keep_the_threading_headers() {
    let received = Arc::new(Mutex::new(Vec::new()));
    let port = serve_smtp(received.clone()).await;
    let config: SmtpConfig = toml::from_str(&format!(
        "name = \"support-smtp\"\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"none\"\nfrom = \"Acme Support <support@acme.example>\"\n"
    ))
    .unwrap();
    let sender = SmtpSender::new(&config).unwrap();
    let reply = OutgoingReply {
        channel: Channel::Email,
        in_reply_to: Some("CAF=k2Lq9zz3x@mail.example.net".to_string()),
        thread: Some("CAF=k2Lq8e1wq@mail.example.net".to_string()),
        to: Some("lena.kraus@example.net".to_string()),
        subject: Some("Double charge on invoice 2026-11".to_string()),
        text: "Hi Lena, glad it worked out.".to_string(),
        private: true,
        idempotency_key: "outbox-42".to_string(),
    };
    let outcome = sender.send(&reply).await;
    let DeliveryOutcome::Delivered { external_id } = outcome else {
        panic!("{outcome:?}")
    };
    assert!(
        external_id.starts_with("switchyard.") && external_id.ends_with("@acme.example"),
        "{external_id}"
    );
    // Unfold folded header lines (RFC 5322 §2.2.3) before looking at them.
    let data = received.lock().unwrap()[0].replace("\r\n ", " ");
    assert!(
        data.contains(&format!("Message-ID: <{external_id}>")),
        "{data}"
    );
    assert!(
        data.contains("In-Reply-To: <CAF=k2Lq9zz3x@mail.example.net>"),
        "{data}"
    );
    assert!(
        data.contains(
            "References: <CAF=k2Lq8e1wq@mail.example.net> <CAF=k2Lq9zz3x@mail.example.net>"
        ),
        "{data}"
    );
    assert!(
        data.contains("Subject: Re: Double charge on invoice 2026-11"),
        "{data}"
    );
    assert!(data.contains("To: lena.kraus@example.net"), "{data}");
    assert!(data.contains("Hi Lena, glad it worked out."));
    assert_eq!(
        sender.send(&reply).await,
        DeliveryOutcome::Delivered { external_id },
        "the same outbox entry keeps its Message-ID"
    );

    let unknown = OutgoingReply {
        to: Some("nobody@example.org".to_string()),
        ..reply.clone()
    };
    assert!(
        matches!(
            sender.send(&unknown).await,
            DeliveryOutcome::Rejected { .. }
        ),
        "550 is permanent"
    );
    let no_address = OutgoingReply { to: None, ..reply };
    assert!(matches!(
        sender.send(&no_address).await,
        DeliveryOutcome::Rejected { .. }
    ));
}
