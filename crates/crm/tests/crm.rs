//! The CRM against real databases: SQLite always, PostgreSQL when configured.

mod common;

use chrono::Duration;
use common::*;
use switchyard_crm::access::{Actor, Denied, Role};
use switchyard_crm::cases::{CaseStatus, LinkOutcome, NewCase};
use switchyard_crm::customers::{IdentityKind, IdentityOutcome, NewIdentity};
use switchyard_crm::people::NewUser;
use switchyard_crm::replies::{DeliveryOutcome, HandoffVia, NewReply, ReplyStatus};
use switchyard_crm::sla::SlaMetric;
use switchyard_crm::surveys::{NewSurvey, SurveyKind};
use switchyard_crm::voice::{NewVoice, VoiceKind};
use switchyard_crm::{Crm, CrmError};
use switchyard_domain::{Channel, Priority};

async fn admin(crm: &Crm) -> Actor {
    let session = crm.login("admin", "correct horse battery").await.unwrap();
    crm.authenticate_token(&session.token)
        .await
        .unwrap()
        .unwrap()
}

async fn user(
    crm: &Crm,
    admin: &Actor,
    name: &str,
    role: Role,
    teams: &[&str],
    max: Option<i64>,
) -> Actor {
    let created = crm
        .create_user(
            Some(admin),
            &NewUser {
                username: name.into(),
                display_name: Some(format!("{name} (display)")),
                email: None,
                role,
                password: Some(format!("{name}-password-123")),
                teams: teams.iter().map(|t| t.to_string()).collect(),
                max_open_cases: max,
            },
        )
        .await
        .unwrap();
    crm.actor_for(created.id).await.unwrap()
}

fn is_forbidden<T: std::fmt::Debug>(result: Result<T, CrmError>) -> bool {
    matches!(result, Err(CrmError::Denied(Denied::Forbidden(_))))
}

#[tokio::test]
async fn first_admin_sessions_tokens_and_roles() {
    for db in databases("first_admin_sessions_tokens_and_roles").await {
        let clock = TestClock::new();
        // Without a configured password one is generated and handed back once.
        let mut config = switchyard_crm::CrmConfig::default();
        config.admin.password_env = None;
        let crm = Crm::new(db.pool.clone(), &config).unwrap();
        // A process that only ingests (an import, a bus worker) attaches without making users:
        // the admin below is still the first.
        crm.attach().await.unwrap();
        let first = crm
            .start()
            .await
            .unwrap()
            .expect("first start creates the admin");
        let generated = first.generated_password.expect("a generated password");
        assert!(generated.len() >= 20, "{}", db.name);
        assert!(
            crm.start().await.unwrap().is_none(),
            "the admin is created once"
        );
        let clock_for = clock.clone();
        let crm = crm.with_clock(std::sync::Arc::new(move || clock_for.now()));

        assert!(matches!(
            crm.login("admin", "wrong password!").await,
            Err(CrmError::Denied(Denied::Unauthenticated))
        ));
        assert!(matches!(
            crm.login("nobody", &generated).await,
            Err(CrmError::Denied(Denied::Unauthenticated))
        ));
        let session = crm.login("admin", &generated).await.unwrap();
        let admin = crm
            .authenticate_token(&session.token)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(admin.role, Role::Admin);

        let agent = user(&crm, &admin, "amy", Role::Agent, &["support"], None).await;
        assert_eq!(agent.teams, vec!["support".to_string()]);
        crm.update_user(
            Some(&agent),
            agent.user_id,
            &switchyard_crm::people::UserUpdate {
                email: Some("Amy@Example.com".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let by_email = crm
            .login("amy@example.com", "amy-password-123")
            .await
            .unwrap();
        assert_eq!(
            by_email.user.id, agent.user_id,
            "sign-in by email works too"
        );
        // Agents and analysts cannot create users; anonymous callers are asked to sign in.
        let new = NewUser {
            username: "mallory".into(),
            display_name: None,
            email: None,
            role: Role::Admin,
            password: Some("long enough password".into()),
            teams: vec![],
            max_open_cases: None,
        };
        assert!(is_forbidden(crm.create_user(Some(&agent), &new).await));
        assert!(matches!(
            crm.create_user(None, &new).await,
            Err(CrmError::Denied(Denied::Unauthenticated))
        ));
        assert!(matches!(
            crm.create_user(
                Some(&admin),
                &NewUser {
                    password: Some("short".into()),
                    ..new.clone()
                }
            )
            .await,
            Err(CrmError::Invalid(_))
        ));

        // API tokens: own account only, stored hashed, revocable.
        let token = crm
            .create_api_token(Some(&agent), agent.user_id, "script")
            .await
            .unwrap();
        assert!(is_forbidden(
            crm.create_api_token(Some(&agent), admin.user_id, "steal")
                .await
        ));
        assert_eq!(
            crm.authenticate_token(&token.token)
                .await
                .unwrap()
                .unwrap()
                .user_id,
            agent.user_id
        );
        crm.logout(&token.token).await.unwrap();
        assert!(
            crm.authenticate_token(&token.token)
                .await
                .unwrap()
                .is_none()
        );

        // Sessions expire.
        clock.advance(Duration::hours(13));
        assert!(
            crm.authenticate_token(&session.token)
                .await
                .unwrap()
                .is_none(),
            "{}",
            db.name
        );
        assert!(crm.authenticate_token("made-up").await.unwrap().is_none());
    }
}

#[tokio::test]
async fn vip_complaint_end_to_end_with_approval_delivery_and_handoff() {
    for db in databases("vip_complaint_end_to_end").await {
        let clock = TestClock::new();
        let crm = crm_on(&db, &clock).await;
        let admin = admin(&crm).await;
        let lead = user(&crm, &admin, "lena", Role::Lead, &["pr"], None).await;
        let agent = user(&crm, &admin, "paul", Role::Agent, &["pr"], Some(2)).await;
        let outsider = user(&crm, &admin, "sam", Role::Agent, &["support"], None).await;
        let analyst = user(&crm, &admin, "ana", Role::Analyst, &[], None).await;

        // An angry post from a 150k-follower author, routed to PR with high priority.
        let opened_at = clock.now();
        let angry = post(
            1,
            Channel::X,
            "t1",
            "bigvoice",
            Some(150_000),
            "Your airline lost my bag and nobody answers!!",
            opened_at,
        );
        let link = crm
            .open_or_join_case(&angry, &routed("pr", Priority::High, Some("pr-vip")), None)
            .await
            .unwrap();
        assert_eq!(link.outcome, LinkOutcome::Opened);
        let case_id = link.case_id.unwrap();
        let case = crm.case(Some(&agent), case_id).await.unwrap();
        assert_eq!(
            (
                case.team.as_str(),
                case.priority,
                case.sla_policy.as_deref()
            ),
            ("pr", Priority::High, Some("pr-vip"))
        );
        assert_eq!(
            case.assignee_id,
            Some(agent.user_id),
            "the only agent with capacity gets it"
        );
        assert_eq!(case.status, CaseStatus::Open);
        let sla = crm.case_sla(Some(&agent), case_id).await.unwrap().unwrap();
        assert_eq!(sla.first_response_target_minutes, 30);
        assert_eq!(sla.running[0].due_at, opened_at + Duration::minutes(30));

        // Access: another team's agent, an analyst writing, anonymous.
        assert!(is_forbidden(crm.case(Some(&outsider), case_id).await));
        assert!(is_forbidden(
            crm.add_note(Some(&analyst), case_id, "hi").await
        ));
        assert!(crm.case(Some(&analyst), case_id).await.is_ok());
        assert!(matches!(
            crm.case(None, case_id).await,
            Err(CrmError::Denied(Denied::Unauthenticated))
        ));

        // The public reply needs approval (author above 10k followers) and waits.
        clock.advance(Duration::minutes(5));
        let reply = crm
            .create_reply(
                Some(&agent),
                case_id,
                &NewReply {
                    body: Some("So sorry — we are on it.".into()),
                    ..NewReply::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(reply.status, ReplyStatus::AwaitingApproval);
        assert!(
            reply
                .approval_reason
                .as_deref()
                .unwrap()
                .contains("150000 followers")
        );
        assert_eq!(reply.in_reply_to.as_deref(), Some("t1"));
        let sender = RecordingSender::default();
        assert!(
            crm.deliver_due(&sender, 10)
                .await
                .unwrap()
                .delivered
                .is_empty(),
            "waiting replies are not sent"
        );
        assert!(is_forbidden(
            crm.approve_reply(Some(&agent), reply.id, None).await
        ));
        let queue = crm.approval_queue(Some(&lead)).await.unwrap();
        assert_eq!(
            queue.iter().map(|r| r.id).collect::<Vec<_>>(),
            vec![reply.id]
        );
        assert!(matches!(
            crm.send_back_reply(Some(&lead), reply.id, "  ").await,
            Err(CrmError::Invalid(_))
        ));
        let approved = crm
            .approve_reply(Some(&lead), reply.id, Some("fine"))
            .await
            .unwrap();
        assert_eq!(approved.status, ReplyStatus::Approved);

        // The outbox delivers it; our reply is remembered and never becomes a case.
        clock.advance(Duration::minutes(3));
        let report = crm.deliver_due(&sender, 10).await.unwrap();
        assert_eq!(report.delivered, vec![reply.id]);
        let delivered = crm.reply(Some(&agent), reply.id).await.unwrap();
        assert_eq!(delivered.status, ReplyStatus::Delivered);
        let our_id = delivered.external_id.clone().unwrap();
        assert!(crm.is_own_reply(Channel::X, &our_id).await.unwrap());
        let echo = post(
            2,
            Channel::X,
            &our_id,
            "ouraccount",
            None,
            "So sorry — we are on it.",
            clock.now(),
        );
        assert_eq!(
            crm.open_or_join_case(&echo, &routed("pr", Priority::Normal, None), None)
                .await
                .unwrap()
                .outcome,
            LinkOutcome::OwnReply
        );
        let sla = crm.case_sla(Some(&agent), case_id).await.unwrap().unwrap();
        assert_eq!(sla.first_response_met, Some(true));
        assert_eq!(sla.measured[0].business_seconds, 8 * 60);

        // Hand-off to a direct message (needs approval again; a lead's own reply would not).
        let handoff = crm
            .create_reply(
                Some(&agent),
                case_id,
                &NewReply {
                    body: Some("Please DM us your booking reference.".into()),
                    handoff: Some(HandoffVia::DirectMessage),
                    ..NewReply::default()
                },
            )
            .await
            .unwrap();
        assert!(handoff.body.contains("(ref SY-"), "{}", handoff.body);
        crm.approve_reply(Some(&lead), handoff.id, None)
            .await
            .unwrap();
        crm.deliver_due(&sender, 10).await.unwrap();
        let detail = crm.case_detail(Some(&agent), case_id).await.unwrap();
        assert!(
            detail
                .posts
                .iter()
                .all(|p| p.visibility != "public" || p.taken_private_at.is_some()),
            "the public thread shows it went private"
        );
        assert_eq!(detail.handoffs.len(), 1);

        // The DM arrives from the same customer and joins the same case, whatever queue it was routed to.
        clock.advance(Duration::minutes(10));
        let dm = private(post(
            3,
            Channel::X,
            "dm1",
            "bigvoice",
            Some(150_000),
            "Booking ABC123, bag tag 55",
            clock.now(),
        ));
        let joined = crm
            .open_or_join_case(&dm, &routed("support", Priority::Normal, None), None)
            .await
            .unwrap();
        assert_eq!(
            (joined.case_id, joined.outcome),
            (Some(case_id), LinkOutcome::JoinedHandoff)
        );
        assert_eq!(joined.customer_id, link.customer_id);
        let detail = crm.case_detail(Some(&agent), case_id).await.unwrap();
        assert!(detail.handoffs[0].completed_at.is_some());
        // A private answer: goes to the DM, waits for approval again, is delivered as a next response.
        let dm_reply = crm
            .create_reply(
                Some(&lead),
                case_id,
                &NewReply {
                    body: Some("Found it, it arrives tonight.".into()),
                    private: true,
                    ..NewReply::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(
            dm_reply.status,
            ReplyStatus::Approved,
            "a lead's own reply needs no second approval"
        );
        assert_eq!(dm_reply.in_reply_to.as_deref(), Some("dm1"));
        crm.deliver_due(&sender, 10).await.unwrap();

        // Resolved: figures and the audit trail tell the story.
        clock.advance(Duration::minutes(20));
        crm.set_status(
            Some(&agent),
            case_id,
            CaseStatus::Resolved,
            Some("bag delivered"),
        )
        .await
        .unwrap();
        let sla = crm.case_sla(Some(&agent), case_id).await.unwrap().unwrap();
        assert_eq!(sla.resolution_met, Some(true));
        assert!(!sla.any_breach, "{sla:?}");
        let kinds: Vec<SlaMetric> = sla.measured.iter().map(|m| m.metric).collect();
        assert_eq!(
            kinds,
            vec![
                SlaMetric::FirstResponse,
                SlaMetric::NextResponse,
                SlaMetric::Resolution
            ]
        );
        let audit = crm
            .audit_log(
                Some(&lead),
                &switchyard_crm::audit::AuditFilter {
                    case_id: Some(case_id),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let actions: Vec<&str> = audit.iter().rev().map(|e| e.action.as_str()).collect();
        for expected in [
            "case.opened",
            "case.assigned",
            "reply.created",
            "reply.approved",
            "reply.delivered",
            "case.handoff_completed",
            "case.post_linked",
            "case.status_changed",
        ] {
            assert!(
                actions.contains(&expected),
                "{expected} missing from {actions:?}"
            );
        }
        assert!(is_forbidden(
            crm.audit_log(
                Some(&outsider),
                &switchyard_crm::audit::AuditFilter {
                    case_id: Some(case_id),
                    ..Default::default()
                }
            )
            .await
        ));
        assert!(is_forbidden(
            crm.audit_log(Some(&agent), &Default::default()).await
        ));
        let timeline = crm.timeline(Some(&agent), case_id).await.unwrap();
        assert!(timeline.iter().any(|e| e.kind == "handoff_offered"));
        assert_eq!(sender.distinct_sends(), 3);
    }
}

#[tokio::test]
async fn threads_customer_window_unrouted_and_capacity_fifo() {
    for db in databases("threads_customer_window_unrouted_and_capacity_fifo").await {
        let clock = TestClock::new();
        let crm = crm_on(&db, &clock).await;
        let admin = admin(&crm).await;
        let a1 = user(&crm, &admin, "a1", Role::Agent, &["support"], Some(1)).await;
        let a2 = user(&crm, &admin, "a2", Role::Agent, &["support"], Some(1)).await;
        let lead = user(&crm, &admin, "boss", Role::Lead, &["support"], None).await;
        let now = clock.now();
        let support = routed("support", Priority::Normal, None);

        let first = crm
            .open_or_join_case(
                &post(10, Channel::Mastodon, "m1", "kim", None, "late parcel", now),
                &support,
                None,
            )
            .await
            .unwrap();
        let case1 = first.case_id.unwrap();
        // A reply in the same thread joins; so does the same customer on the same queue later on.
        let threaded = in_thread(
            post(11, Channel::Mastodon, "m2", "lee", None, "same here", now),
            "m1",
            "m1",
        );
        let joined = crm
            .open_or_join_case(&threaded, &support, None)
            .await
            .unwrap();
        assert_eq!(
            (joined.case_id, joined.outcome),
            (Some(case1), LinkOutcome::JoinedThread)
        );
        clock.advance(Duration::hours(2));
        let again = crm
            .open_or_join_case(
                &post(
                    12,
                    Channel::Mastodon,
                    "m3",
                    "kim",
                    None,
                    "still late",
                    clock.now(),
                ),
                &support,
                None,
            )
            .await
            .unwrap();
        assert_eq!(
            (again.case_id, again.outcome),
            (Some(case1), LinkOutcome::JoinedCustomerWindow)
        );
        // The hook is idempotent.
        assert_eq!(
            crm.open_or_join_case(
                &post(
                    12,
                    Channel::Mastodon,
                    "m3",
                    "kim",
                    None,
                    "still late",
                    clock.now()
                ),
                &support,
                None
            )
            .await
            .unwrap()
            .outcome,
            LinkOutcome::AlreadyLinked
        );
        // Unrouted posts keep customer history but open nothing.
        let unrouted = crm
            .open_or_join_case(
                &post(
                    13,
                    Channel::Mastodon,
                    "m4",
                    "zed",
                    None,
                    "nice weather",
                    clock.now(),
                ),
                &switchyard_domain::RouteDecision::default(),
                None,
            )
            .await
            .unwrap();
        assert_eq!(
            (unrouted.case_id, unrouted.outcome),
            (None, LinkOutcome::Unrouted)
        );
        assert_eq!(
            crm.customer(Some(&a1), unrouted.customer_id.unwrap())
                .await
                .unwrap()
                .posts
                .len(),
            1
        );

        // Capacity: a1 has case1; the next goes to a2; the third waits; resolving frees a1 for it (FIFO).
        let c2 = crm
            .open_or_join_case(
                &post(20, Channel::X, "x1", "p2", None, "refund?", clock.now()),
                &support,
                None,
            )
            .await
            .unwrap()
            .case_id
            .unwrap();
        clock.advance(Duration::minutes(1));
        let c3 = crm
            .open_or_join_case(
                &post(21, Channel::X, "x2", "p3", None, "refund!!", clock.now()),
                &support,
                None,
            )
            .await
            .unwrap()
            .case_id
            .unwrap();
        clock.advance(Duration::minutes(1));
        let c4 = crm
            .open_or_join_case(
                &post(22, Channel::X, "x3", "p4", None, "refund???", clock.now()),
                &support,
                None,
            )
            .await
            .unwrap()
            .case_id
            .unwrap();
        assert_eq!(
            crm.case(Some(&a1), case1).await.unwrap().assignee_id,
            Some(a1.user_id)
        );
        assert_eq!(
            crm.case(Some(&a1), c2).await.unwrap().assignee_id,
            Some(a2.user_id)
        );
        assert_eq!(crm.case(Some(&a1), c3).await.unwrap().assignee_id, None);
        assert!(
            crm.case(Some(&a1), c3)
                .await
                .unwrap()
                .waiting_since
                .is_some()
        );
        crm.set_status(Some(&a1), case1, CaseStatus::Resolved, None)
            .await
            .unwrap();
        assert_eq!(
            crm.case(Some(&a1), c3).await.unwrap().assignee_id,
            Some(a1.user_id),
            "oldest waiting case first"
        );
        assert_eq!(crm.case(Some(&a1), c4).await.unwrap().assignee_id, None);
        // Manual take beats capacity; reassign is for leads.
        assert!(is_forbidden(
            crm.reassign_case(Some(&a1), c4, Some(a2.user_id)).await
        ));
        let taken = crm.take_case(Some(&lead), c4).await;
        assert!(taken.is_ok(), "{taken:?}");
        let moved = crm
            .reassign_case(Some(&lead), c4, Some(a2.user_id))
            .await
            .unwrap();
        assert_eq!(moved.assignee_id, Some(a2.user_id));
        let workload = crm.team_workload(Some(&lead), "support").await.unwrap();
        assert_eq!(
            workload
                .iter()
                .find(|w| w.user_id == a2.user_id)
                .unwrap()
                .open_cases,
            2
        );
        // A customer post on a resolved case's thread reopens it.
        let reopened = crm
            .open_or_join_case(
                &in_thread(
                    post(
                        14,
                        Channel::Mastodon,
                        "m5",
                        "kim",
                        None,
                        "it came broken",
                        clock.now(),
                    ),
                    "m1",
                    "m3",
                ),
                &support,
                None,
            )
            .await
            .unwrap();
        assert_eq!(reopened.case_id, Some(case1));
        assert_eq!(
            crm.case(Some(&a1), case1).await.unwrap().status,
            CaseStatus::Open
        );
        // Manual cases on a team one belongs to.
        assert!(is_forbidden(
            crm.open_case(
                Some(&a1),
                &NewCase {
                    title: "phone".into(),
                    team: "pr".into(),
                    priority: Priority::Low,
                    tags: vec![],
                    customer_id: None,
                    sla_policy: None,
                    assignee_id: None
                }
            )
            .await
        ));
        let manual = crm
            .open_case(
                Some(&a1),
                &NewCase {
                    title: "Phone call about invoice".into(),
                    team: "support".into(),
                    priority: Priority::Low,
                    tags: vec!["Billing".into()],
                    customer_id: None,
                    sla_policy: None,
                    assignee_id: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(manual.tags, vec!["billing".to_string()]);
        let listed = crm
            .list_cases(Some(&a1), &Default::default())
            .await
            .unwrap();
        assert!(listed.iter().all(|c| c.team == "support"));
        assert!(is_forbidden(
            crm.list_cases(
                Some(&a1),
                &switchyard_crm::cases::CaseFilter {
                    team: Some("pr".into()),
                    ..Default::default()
                }
            )
            .await
        ));
    }
}

#[tokio::test]
async fn sla_events_fire_once_and_pause_while_waiting_on_the_customer() {
    for db in databases("sla_events_fire_once").await {
        let clock = TestClock::new();
        let crm = crm_on(&db, &clock).await;
        let admin = admin(&crm).await;
        let agent = user(&crm, &admin, "pat", Role::Agent, &["pr"], None).await;
        let case_id = crm
            .open_or_join_case(
                &post(
                    1,
                    Channel::X,
                    "v1",
                    "vip",
                    Some(200_000),
                    "terrible",
                    clock.now(),
                ),
                &routed("pr", Priority::High, None),
                None,
            )
            .await
            .unwrap()
            .case_id
            .unwrap();
        assert_eq!(
            crm.case(Some(&agent), case_id)
                .await
                .unwrap()
                .sla_policy
                .as_deref(),
            Some("pr-vip"),
            "reach picks the policy"
        );
        clock.advance(Duration::minutes(19));
        assert!(crm.sla_events(clock.now()).await.unwrap().is_empty());
        clock.advance(Duration::minutes(2));
        let events = crm.sla_events(clock.now()).await.unwrap();
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!(
            (events[0].metric, events[0].kind.as_str()),
            (SlaMetric::FirstResponse, "about_to_breach")
        );
        assert!(
            crm.sla_events(clock.now()).await.unwrap().is_empty(),
            "raised once"
        );
        // Waiting on the customer pauses the clock: no breach while paused, due moves by the pause.
        crm.set_status(
            Some(&agent),
            case_id,
            CaseStatus::PendingCustomer,
            Some("asked for booking ref"),
        )
        .await
        .unwrap();
        clock.advance(Duration::minutes(60));
        assert!(crm.sla_events(clock.now()).await.unwrap().is_empty());
        crm.set_status(Some(&agent), case_id, CaseStatus::Open, None)
            .await
            .unwrap();
        let sla = crm.case_sla(Some(&agent), case_id).await.unwrap().unwrap();
        assert_eq!(sla.paused_seconds, 3600);
        let first = sla
            .running
            .iter()
            .find(|c| c.metric == SlaMetric::FirstResponse)
            .unwrap();
        assert_eq!(
            first.due_at,
            clock.now() - Duration::minutes(60) - Duration::minutes(21) + Duration::minutes(90)
        );
        clock.advance(Duration::minutes(10));
        let events = crm.sla_events(clock.now()).await.unwrap();
        assert_eq!(
            events.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(),
            vec!["breached"]
        );
        let sla = crm.case_sla(Some(&agent), case_id).await.unwrap().unwrap();
        assert_eq!(sla.first_response_met, Some(false));
        assert!(sla.any_breach);
        let timeline = crm.timeline(Some(&agent), case_id).await.unwrap();
        assert!(timeline.iter().any(|e| e.kind == "sla_breached"));
    }
}

#[tokio::test]
async fn outbox_survives_a_crash_between_approval_and_delivery() {
    for db in databases("outbox_survives_a_crash").await {
        let clock = TestClock::new();
        let crm = crm_on(&db, &clock).await;
        let admin = admin(&crm).await;
        let lead = user(&crm, &admin, "lee", Role::Lead, &["pr"], None).await;
        let agent = user(&crm, &admin, "ali", Role::Agent, &["pr"], None).await;
        let case_id = crm
            .open_or_join_case(
                &post(
                    1,
                    Channel::Bluesky,
                    "at://1",
                    "celeb",
                    Some(500_000),
                    "awful",
                    clock.now(),
                ),
                &routed("pr", Priority::Urgent, None),
                None,
            )
            .await
            .unwrap()
            .case_id
            .unwrap();
        let reply = crm
            .create_reply(
                Some(&agent),
                case_id,
                &NewReply {
                    body: Some("We are sorry.".into()),
                    idempotency_key: Some("k-1".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        // Repeating the request with the same key returns the same reply.
        let again = crm
            .create_reply(
                Some(&agent),
                case_id,
                &NewReply {
                    body: Some("We are sorry.".into()),
                    idempotency_key: Some("k-1".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(again.id, reply.id);
        crm.approve_reply(Some(&lead), reply.id, None)
            .await
            .unwrap();

        // The worker sent it, then the process died before recording the outcome.
        let sender = RecordingSender::default();
        let lost = switchyard_crm::replies::OutgoingReply {
            reply_id: reply.id,
            idempotency_key: reply.idempotency_key.clone(),
            case_id,
            channel: Channel::Bluesky,
            in_reply_to: None,
            recipient: None,
            visibility: switchyard_domain::Visibility::Public,
            body: reply.body.clone(),
            attempt: 1,
        };
        use switchyard_crm::replies::ReplySender;
        let first = sender.send(&lost).await;
        db.pool
            .execute(
                "UPDATE crm_outbox SET status = 'sending' WHERE id = $1",
                &[reply.id.into()],
            )
            .await
            .unwrap();
        drop(crm);

        // Restart: the reply is put back in line and delivered with the same key, once.
        let crm = crm_on(&db, &clock).await;
        assert_eq!(
            crm.reply(Some(&lead), reply.id).await.unwrap().status,
            ReplyStatus::Retrying
        );
        let report = crm.deliver_due(&sender, 10).await.unwrap();
        assert_eq!(report.delivered, vec![reply.id]);
        assert!(
            crm.deliver_due(&sender, 10)
                .await
                .unwrap()
                .delivered
                .is_empty()
        );
        assert_eq!(
            sender.distinct_sends(),
            1,
            "exactly one message reached the channel"
        );
        let delivered = crm.reply(Some(&lead), reply.id).await.unwrap();
        assert_eq!(
            DeliveryOutcome::Delivered {
                external_id: delivered.external_id.clone().unwrap()
            },
            first
        );

        // Retry with reason, then rejection after a refusal; a lead can requeue.
        let second = crm
            .create_reply(
                Some(&lead),
                case_id,
                &NewReply {
                    body: Some("Update: found it.".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        sender.scripted.lock().unwrap().extend([
            DeliveryOutcome::Retry {
                reason: "rate limited".into(),
                after_seconds: Some(90),
            },
            DeliveryOutcome::Rejected {
                reason: "post deleted".into(),
            },
        ]);
        crm.deliver_due(&sender, 10).await.unwrap();
        let retrying = crm.reply(Some(&lead), second.id).await.unwrap();
        assert_eq!(
            (retrying.status, retrying.reason.as_deref()),
            (ReplyStatus::Retrying, Some("rate limited"))
        );
        assert!(
            crm.deliver_due(&sender, 10)
                .await
                .unwrap()
                .retrying
                .is_empty(),
            "not before its next attempt time"
        );
        clock.advance(Duration::minutes(1));
        assert!(
            crm.deliver_due(&sender, 10)
                .await
                .unwrap()
                .rejected
                .is_empty(),
            "the channel asked for 90 seconds"
        );
        clock.advance(Duration::minutes(1));
        crm.deliver_due(&sender, 10).await.unwrap();
        let rejected = crm.reply(Some(&lead), second.id).await.unwrap();
        assert_eq!(
            (rejected.status, rejected.reason.as_deref()),
            (ReplyStatus::Rejected, Some("post deleted"))
        );
        assert!(is_forbidden(
            crm.requeue_reply(Some(&agent), second.id).await
        ));
        crm.requeue_reply(Some(&lead), second.id).await.unwrap();
        crm.deliver_due(&sender, 10).await.unwrap();
        assert_eq!(
            crm.reply(Some(&lead), second.id).await.unwrap().status,
            ReplyStatus::Delivered
        );

        // Sent back with a comment, revised, approved.
        let third = crm
            .create_reply(
                Some(&agent),
                case_id,
                &NewReply {
                    body: Some("lol".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let back = crm
            .send_back_reply(Some(&lead), third.id, "tone, please")
            .await
            .unwrap();
        assert_eq!(
            (back.status, back.review_comment.as_deref()),
            (ReplyStatus::SentBack, Some("tone, please"))
        );
        let revised = crm
            .revise_reply(Some(&agent), third.id, "We understand your frustration.")
            .await
            .unwrap();
        assert_eq!(revised.status, ReplyStatus::AwaitingApproval);
    }
}

#[tokio::test]
async fn merge_and_unmerge_restore_both_profiles_exactly() {
    for db in databases("merge_and_unmerge").await {
        let clock = TestClock::new();
        let crm = crm_on(&db, &clock).await;
        let admin = admin(&crm).await;
        let lead = user(&crm, &admin, "lou", Role::Lead, &["support"], None).await;
        let agent = user(&crm, &admin, "art", Role::Agent, &["support"], None).await;
        let support = routed("support", Priority::Normal, None);
        let on_x = crm
            .open_or_join_case(
                &post(1, Channel::X, "x1", "jo", Some(900), "hello", clock.now()),
                &support,
                None,
            )
            .await
            .unwrap()
            .customer_id
            .unwrap();
        clock.advance(Duration::minutes(1));
        let on_masto = crm
            .open_or_join_case(
                &post(
                    2,
                    Channel::Mastodon,
                    "m1",
                    "jo",
                    Some(40),
                    "hi",
                    clock.now(),
                ),
                &support,
                None,
            )
            .await
            .unwrap()
            .customer_id
            .unwrap();
        assert_ne!(
            on_x, on_masto,
            "the same handle on two channels is not proof"
        );
        let suggestions = crm.link_suggestions(Some(&agent), on_masto).await.unwrap();
        assert_eq!(suggestions.len(), 1);
        assert!(suggestions[0].reason.contains("same handle"));
        crm.record_survey(
            Some(&lead),
            &NewSurvey {
                kind: SurveyKind::Csat,
                score: 2,
                comment: None,
                case_id: None,
                customer_id: Some(on_masto),
                responded_at: None,
                external_ref: None,
            },
        )
        .await
        .unwrap();

        let before_x = crm.customer(Some(&agent), on_x).await.unwrap();
        let before_m = crm.customer(Some(&agent), on_masto).await.unwrap();
        assert!(is_forbidden(
            crm.merge_customers(Some(&agent), on_x, on_masto, "same person")
                .await
        ));
        clock.advance(Duration::minutes(1));
        let merge = crm
            .merge_customers(Some(&lead), on_x, on_masto, "same person")
            .await
            .unwrap();
        let merged = crm.customer(Some(&agent), on_x).await.unwrap();
        assert_eq!(merged.identities.len(), 2);
        assert_eq!(merged.posts.len(), 2);
        assert_eq!(merged.cases.len(), 2);
        assert_eq!(merged.survey_ids.len(), 1);
        assert_eq!(
            crm.customer(Some(&agent), on_masto)
                .await
                .unwrap()
                .merged_into,
            Some(on_x)
        );
        assert!(matches!(
            crm.merge_customers(Some(&lead), on_x, on_masto, "again")
                .await,
            Err(CrmError::Conflict(_))
        ));
        // New Mastodon posts after the merge land on the survivor…
        let later = crm
            .open_or_join_case(
                &post(
                    3,
                    Channel::Mastodon,
                    "m2",
                    "jo",
                    None,
                    "any news?",
                    clock.now(),
                ),
                &support,
                None,
            )
            .await
            .unwrap();
        assert_eq!(later.customer_id, Some(on_x));

        clock.advance(Duration::minutes(1));
        crm.unmerge_customers(Some(&lead), merge.id).await.unwrap();
        let after_x = crm.customer(Some(&agent), on_x).await.unwrap();
        let mut after_m = crm.customer(Some(&agent), on_masto).await.unwrap();
        assert_eq!(after_x, before_x, "{}", db.name);
        // …and go back with the identity they came through.
        assert_eq!(after_m.posts.len(), 2);
        after_m.posts.retain(|p| p.post_id != 3);
        assert_eq!(after_m, before_m, "{}", db.name);
        assert!(matches!(
            crm.unmerge_customers(Some(&lead), merge.id).await,
            Err(CrmError::Conflict(_))
        ));
        let audit = crm
            .audit_log(
                Some(&lead),
                &switchyard_crm::audit::AuditFilter {
                    customer_id: Some(on_masto),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
        assert!(
            actions.contains(&"customer.merged") && actions.contains(&"customer.unmerged"),
            "{actions:?}"
        );

        // Strong evidence links automatically: the same verified email on both sides.
        let email = |verified| NewIdentity {
            kind: IdentityKind::Email,
            channel: None,
            value: "Jo <JO@example.com>".into(),
            verified,
        };
        assert!(matches!(
            crm.add_identity(Some(&agent), on_x, &email(true))
                .await
                .unwrap(),
            IdentityOutcome::Added { .. }
        ));
        assert!(matches!(
            crm.add_identity(Some(&agent), on_masto, &email(false))
                .await
                .unwrap(),
            IdentityOutcome::Suggested { .. }
        ));
        match crm
            .add_identity(Some(&agent), on_masto, &email(true))
            .await
            .unwrap()
        {
            IdentityOutcome::AutoMerged { survivor_id, .. } => {
                assert_eq!(survivor_id, on_x.min(on_masto))
            }
            other => panic!("expected an automatic merge, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn voice_surveys_and_templates() {
    for db in databases("voice_surveys_and_templates").await {
        let clock = TestClock::new();
        let crm = crm_on(&db, &clock).await;
        let admin = admin(&crm).await;
        let lead = user(&crm, &admin, "lia", Role::Lead, &["support"], None).await;
        let agent = user(&crm, &admin, "abe", Role::Agent, &["support"], None).await;
        let analyst = user(&crm, &admin, "ann", Role::Analyst, &[], None).await;
        let support = routed("support", Priority::Normal, None);
        let analysis = |compound: f64| {
            let vader = switchyard_domain::VaderScores {
                compound,
                ..Default::default()
            };
            switchyard_domain::Analysis {
                language: "en".into(),
                language_confidence: 1.0,
                sentiment: switchyard_domain::SentimentResult::from_vader(vader),
                complaint: None,
                intent: None,
                reason: None,
                urgency: None,
                toxicity: None,
            }
        };
        let mut cases = Vec::new();
        for (index, compound) in [-0.8, -0.1, 0.6].into_iter().enumerate() {
            let id = index as i64 + 1;
            let link = crm
                .open_or_join_case(
                    &post(
                        id,
                        Channel::X,
                        &format!("s{id}"),
                        &format!("c{id}"),
                        None,
                        "text",
                        clock.now(),
                    ),
                    &support,
                    Some(&analysis(compound)),
                )
                .await
                .unwrap();
            cases.push(link.case_id.unwrap());
        }

        // Agents' voice: routed by kind, counted.
        let glitch = crm
            .log_voice(
                Some(&agent),
                &NewVoice {
                    kind: VoiceKind::ProcessGlitch,
                    body: "tracking page rejects numbers with a dash".into(),
                    team: None,
                    post_id: Some(1),
                    case_id: Some(cases[0]),
                },
            )
            .await
            .unwrap();
        assert_eq!(glitch.team, "operations");
        crm.log_voice(
            Some(&agent),
            &NewVoice {
                kind: VoiceKind::FeatureRequest,
                body: "let me change seats in the app".into(),
                team: None,
                post_id: None,
                case_id: None,
            },
        )
        .await
        .unwrap();
        crm.log_voice(
            Some(&lead),
            &NewVoice {
                kind: VoiceKind::ProcessGlitch,
                body: "phone menu loops".into(),
                team: None,
                post_id: None,
                case_id: None,
            },
        )
        .await
        .unwrap();
        assert!(is_forbidden(
            crm.log_voice(
                Some(&analyst),
                &NewVoice {
                    kind: VoiceKind::HelpfulHint,
                    body: "x".into(),
                    team: None,
                    post_id: None,
                    case_id: None
                }
            )
            .await
        ));
        let counts = crm
            .voice_counts(
                Some(&analyst),
                clock.now() - Duration::days(1),
                clock.now() + Duration::days(1),
            )
            .await
            .unwrap();
        let glitches = counts
            .iter()
            .find(|c| c.team == "operations" && c.kind == VoiceKind::ProcessGlitch)
            .unwrap();
        assert_eq!(glitches.count, 2);

        // Surveys by API and CSV, compared with sentiment.
        assert!(matches!(
            crm.record_survey(
                Some(&lead),
                &NewSurvey {
                    kind: SurveyKind::Csat,
                    score: 6,
                    comment: None,
                    case_id: Some(cases[0]),
                    customer_id: None,
                    responded_at: None,
                    external_ref: None
                }
            )
            .await,
            Err(CrmError::Invalid(_))
        ));
        assert!(is_forbidden(
            crm.record_survey(
                Some(&agent),
                &NewSurvey {
                    kind: SurveyKind::Csat,
                    score: 1,
                    comment: None,
                    case_id: Some(cases[0]),
                    customer_id: None,
                    responded_at: None,
                    external_ref: None
                }
            )
            .await
        ));
        let csv = format!(
            "kind,score,case_id,comment,responded_at,external_ref\ncsat,1,{},bad,2026-11-20T10:00:00Z,r1\ncsat,3,{},meh,,r2\ncsat,5,{},great,,r3\nnps,11,{},,,r4\ncsat,five,,,,r5\ncsat,1,{},dup,,r1\n",
            cases[0], cases[1], cases[2], cases[2], cases[0]
        );
        let report = crm.import_surveys_csv(Some(&lead), &csv).await.unwrap();
        assert_eq!((report.imported, report.duplicates), (3, 1), "{report:?}");
        assert_eq!(
            report.errors.iter().map(|e| e.line).collect::<Vec<_>>(),
            vec![5, 6]
        );
        let comparison = crm.survey_vs_sentiment(Some(&analyst)).await.unwrap();
        assert_eq!(comparison.customers.len(), 3);
        assert!(
            comparison.csat_sentiment_correlation.unwrap() > 0.9,
            "{comparison:?}"
        );

        // Templates: leads write them, agents use them; variables are filled, unknown ones refused.
        assert!(is_forbidden(
            crm.save_template(Some(&agent), "apology", "Sorry", None)
                .await
        ));
        assert!(matches!(
            crm.save_template(Some(&lead), "broken", "{% if %}", None)
                .await,
            Err(CrmError::Invalid(_))
        ));
        crm.save_template(
            Some(&lead),
            "apology",
            "Hi {{ customer_name }}, {{ agent_name }} here about case {{ case_id }}: {{ detail }}",
            None,
        )
        .await
        .unwrap();
        let mut variables = serde_json::Map::new();
        variables.insert(
            "detail".into(),
            serde_json::json!("your refund is on its way"),
        );
        let reply = crm
            .create_reply(
                Some(&agent),
                cases[0],
                &NewReply {
                    template: Some("apology".into()),
                    variables: variables.clone(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(
            reply.body,
            format!(
                "Hi c1, abe (display) here about case {}: your refund is on its way",
                cases[0]
            )
        );
        assert_eq!(
            reply.status,
            ReplyStatus::Queued,
            "small accounts need no approval"
        );
        assert!(matches!(
            crm.create_reply(
                Some(&agent),
                cases[0],
                &NewReply {
                    template: Some("apology".into()),
                    ..Default::default()
                }
            )
            .await,
            Err(CrmError::Invalid(_))
        ));
        // Legal cases need approval whatever the audience.
        crm.update_case(
            Some(&agent),
            cases[1],
            &switchyard_crm::cases::CaseUpdate {
                tags: Some(vec!["legal".into()]),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let legal = crm
            .create_reply(
                Some(&agent),
                cases[1],
                &NewReply {
                    body: Some("We will refund you.".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(legal.status, ReplyStatus::AwaitingApproval);
        assert!(legal.approval_reason.unwrap().contains("legal"));
    }
}

#[tokio::test]
async fn runs_on_the_stores_pool_with_the_stores_migrations() {
    let dir = tempfile::tempdir().unwrap();
    let store = switchyard_store::Store::open(&format!(
        "sqlite://{}",
        dir.path().join("store.db").display()
    ))
    .await
    .unwrap();
    let crm = Crm::new(switchyard_crm::DbPool::from(store.db()), &{
        let mut config = switchyard_crm::CrmConfig::default();
        config.admin.password = Some("correct horse battery".into());
        config.admin.password_env = None;
        config
    })
    .unwrap();
    assert!(
        crm.start().await.unwrap().is_some(),
        "the store applied the CRM tables"
    );
    let admin = admin(&crm).await;
    let teams = crm.list_teams(Some(&admin)).await.unwrap();
    assert!(teams.iter().any(|t| t.name == "pr"));
}

#[tokio::test]
async fn pipeline_hook_files_posts_and_own_replies_are_recognised_synchronously() {
    use switchyard_pipeline::PostHook;
    for db in databases("pipeline_hook").await {
        let clock = TestClock::new();
        let crm = crm_on(&db, &clock).await;
        let admin = admin(&crm).await;
        let lead = user(&crm, &admin, "lex", Role::Lead, &["support"], None).await;
        let stored = switchyard_store::StoredPost {
            post: post(
                5,
                Channel::Mastodon,
                "h1",
                "hana",
                Some(10),
                "where is my refund",
                clock.now(),
            ),
            analysis: switchyard_domain::Analysis {
                language: "en".into(),
                language_confidence: 1.0,
                sentiment: switchyard_domain::SentimentResult::from_vader(
                    switchyard_domain::VaderScores {
                        compound: -0.4,
                        ..Default::default()
                    },
                ),
                complaint: None,
                intent: None,
                reason: None,
                urgency: None,
                toxicity: None,
            },
            route: routed("support", Priority::Normal, None),
            corrections: Vec::new(),
        };
        let hook = crm.post_hook();
        assert_eq!(hook.name(), "crm");
        hook.on_stored(&[std::sync::Arc::new(stored)])
            .await
            .unwrap();
        let cases = crm
            .list_cases(Some(&lead), &Default::default())
            .await
            .unwrap();
        assert_eq!(cases.len(), 1, "{}", db.name);
        let customer = crm
            .customer(Some(&lead), cases[0].customer_id.unwrap())
            .await
            .unwrap();
        assert_eq!(customer.posts[0].sentiment, Some(-0.4));

        let reply = crm
            .create_reply(
                Some(&lead),
                cases[0].id,
                &NewReply {
                    body: Some("On its way.".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let sender = RecordingSender::default();
        crm.deliver_due(&sender, 10).await.unwrap();
        let external_id = crm
            .reply(Some(&lead), reply.id)
            .await
            .unwrap()
            .external_id
            .unwrap();
        let check = crm.own_reply_checker();
        assert!(check(Channel::Mastodon, &external_id));
        assert!(!check(Channel::X, &external_id));
        // After a restart the check still knows it.
        let restarted = crm_on(&db, &clock).await;
        assert!(restarted.own_reply_checker()(
            Channel::Mastodon,
            &external_id
        ));
    }
}

#[tokio::test]
async fn an_email_quoting_the_handoff_reference_joins_the_case_and_the_customer() {
    for db in databases("email_handoff_reference").await {
        let clock = TestClock::new();
        let crm = crm_on(&db, &clock).await;
        let admin = admin(&crm).await;
        let agent = user(&crm, &admin, "eli", Role::Agent, &["support"], None).await;
        let link = crm
            .open_or_join_case(
                &post(
                    1,
                    Channel::Bluesky,
                    "at://p1",
                    "someone.bsky.social",
                    Some(50),
                    "charged twice!",
                    clock.now(),
                ),
                &routed("support", Priority::Normal, None),
                None,
            )
            .await
            .unwrap();
        let case_id = link.case_id.unwrap();
        let invite = crm
            .create_reply(
                Some(&agent),
                case_id,
                &NewReply {
                    body: Some(
                        "Please email billing@example.com quoting {{ handoff_reference }}.".into(),
                    ),
                    handoff: Some(HandoffVia::Email),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(invite.status, ReplyStatus::Queued);
        let reference = invite
            .body
            .split_whitespace()
            .find(|w| w.starts_with("SY-"))
            .unwrap()
            .trim_end_matches('.')
            .to_string();
        assert!(
            !invite.body.contains("(ref "),
            "the placeholder was filled, not appended: {}",
            invite.body
        );
        assert!(
            reference.starts_with(&format!("SY-{case_id}-")),
            "{}",
            invite.body
        );
        crm.deliver_due(&RecordingSender::default(), 10)
            .await
            .unwrap();

        clock.advance(Duration::minutes(30));
        let mut email = post(
            2,
            Channel::Email,
            "<m1@mail.example>",
            "Sam Someone <sam@mail.example>",
            None,
            &format!("Re {} — card ending 4242", reference.to_lowercase()),
            clock.now(),
        );
        email.post.visibility = switchyard_domain::Visibility::Private;
        let joined = crm
            .open_or_join_case(&email, &routed("billing", Priority::Normal, None), None)
            .await
            .unwrap();
        assert_eq!(
            (joined.case_id, joined.outcome),
            (Some(case_id), LinkOutcome::JoinedHandoff),
            "{}",
            db.name
        );
        assert_eq!(joined.customer_id, link.customer_id);
        let customer = crm
            .customer(Some(&agent), link.customer_id.unwrap())
            .await
            .unwrap();
        let kinds: Vec<IdentityKind> = customer.identities.iter().map(|i| i.kind).collect();
        assert_eq!(kinds, vec![IdentityKind::Handle, IdentityKind::Email]);
        assert_eq!(customer.identities[1].value, "sam@mail.example");
        assert_eq!(customer.posts.len(), 2);
        // No stray profile was left behind for the email address.
        assert!(
            crm.search_customers(Some(&agent), "sam@mail", 10)
                .await
                .unwrap()
                .iter()
                .all(|c| c.id == customer.id)
        );
    }
}

#[tokio::test]
async fn a_batch_is_filed_as_if_one_post_at_a_time() {
    for db in databases("a_batch_is_filed_as_if_one_post_at_a_time").await {
        let clock = TestClock::new();
        let crm = crm_on(&db, &clock).await;
        let now = clock.now();
        let support = routed("support", Priority::Normal, None);
        let unrouted = routed(switchyard_domain::UNROUTED_QUEUE, Priority::Normal, None);
        let first = post(10, Channel::Mastodon, "m1", "kim", None, "late parcel", now);
        let again = post(11, Channel::Mastodon, "m2", "kim", None, "still late", now);
        let other = post(12, Channel::Mastodon, "m3", "lee", None, "wrong size", now);
        let noise = post(
            13,
            Channel::Mastodon,
            "m4",
            "max",
            None,
            "nice weather",
            now,
        );
        let batch = [
            (&first, &support, None),
            (&again, &support, None),
            (&other, &support, None),
            (&noise, &unrouted, None),
            (&first, &support, None),
        ];
        let links: Vec<_> = crm
            .open_or_join_cases(&batch)
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        let outcomes: Vec<LinkOutcome> = links.iter().map(|link| link.outcome).collect();
        assert_eq!(
            outcomes,
            vec![
                LinkOutcome::Opened,
                LinkOutcome::JoinedCustomerWindow,
                LinkOutcome::Opened,
                LinkOutcome::Unrouted,
                LinkOutcome::AlreadyLinked,
            ],
            "{}",
            db.name
        );
        assert_eq!(links[0].case_id, links[1].case_id, "{}", db.name);
        assert_eq!(links[0].case_id, links[4].case_id, "{}", db.name);
        assert_ne!(links[0].case_id, links[2].case_id, "{}", db.name);
        assert_eq!(links[3].case_id, None, "{}", db.name);
        // Every filed post is on its case, committed.
        let case = crm.case(None, links[0].case_id.unwrap()).await;
        assert!(
            case.is_err(),
            "anonymous callers are still asked to sign in"
        );
        let admin = admin(&crm).await;
        let case = crm
            .case(Some(&admin), links[0].case_id.unwrap())
            .await
            .unwrap();
        assert_eq!(case.team, "support", "{}", db.name);
    }
}
