//! Switchyard's social CRM: the engagement side of the command center.
//!
//! [`Crm`] is the one entry point. It works on the store's database (SQLite or PostgreSQL, both
//! through [`DbPool`]) and offers: users, teams, roles, sessions and API tokens ([`people`]); one
//! permission function ([`access::authorize`]); cases opened or joined by routing
//! ([`Crm::open_or_join_case`]) with a full timeline ([`cases`]); capacity-aware assignment
//! ([`assign`]); SLA policies on business-hours calendars ([`sla`], [`calendar`]); one customer
//! across channels with reversible merges ([`customers`]); templates, the reply outbox, approvals
//! and the public → private hand-off ([`replies`]); agents' voice ([`voice`]); CSAT/NPS surveys
//! ([`surveys`]); and an audit log of every change ([`audit`]).
//!
//! Every operation that acts for a user takes an `Option<&Actor>` (`None` = anonymous) and calls
//! [`access::authorize`] before it reads or writes anything.

pub mod access;
pub mod assign;
pub mod audit;
pub mod calendar;
pub mod cases;
pub mod config;
pub mod customers;
pub mod db;
pub mod error;
pub mod integration;
pub mod people;
pub mod replies;
pub mod sla;
pub mod surveys;
pub mod voice;

pub use access::{Action, Actor, Denied, Resource, Role, authorize};
pub use config::{CrmConfig, CrmSettings};
pub use db::DbPool;
pub use error::{CrmError, CrmResult};

use chrono::{DateTime, TimeZone, Utc};
use std::sync::Arc;

/// Where the CRM reads the time from: the wall clock, or a fixed/controlled one in tests.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// The CRM service: cheap to clone, shareable across tasks.
#[derive(Clone)]
pub struct Crm {
    db: DbPool,
    settings: Arc<CrmSettings>,
    clock: Clock,
    own_replies: integration::OwnReplyCache,
}

impl std::fmt::Debug for Crm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Crm")
            .field("db", &self.db)
            .finish_non_exhaustive()
    }
}

impl Crm {
    /// A CRM over `db` (whose migrations the store has applied) with a checked configuration.
    pub fn new(db: DbPool, config: &CrmConfig) -> CrmResult<Self> {
        Ok(Crm {
            db,
            settings: Arc::new(config.compile()?),
            clock: Arc::new(Utc::now),
            own_replies: integration::OwnReplyCache::default(),
        })
    }

    /// The same CRM reading time from `clock` (tests, simulations).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    pub fn db(&self) -> &DbPool {
        &self.db
    }

    pub fn settings(&self) -> &CrmSettings {
        &self.settings
    }

    /// The current time by this CRM's clock.
    pub fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    /// Everything the process that serves people and delivers replies does once at start-up:
    /// [`Crm::attach`], then [`Crm::start_serving`].
    pub async fn start(&self) -> CrmResult<Option<people::FirstAdmin>> {
        self.attach().await?;
        self.start_serving().await
    }

    /// The serving side of start-up, after [`Crm::attach`]: create the first admin when there
    /// are no users (returned so the caller can print a generated password once) and put replies
    /// interrupted mid-send by a crash back in line for delivery.
    pub async fn start_serving(&self) -> CrmResult<Option<people::FirstAdmin>> {
        let admin = self.ensure_first_admin().await?;
        self.recover_interrupted_deliveries().await?;
        Ok(admin)
    }

    /// What a process that only ingests posts (an import, a bus worker) needs: the configured
    /// teams exist and the replies we sent are loaded into the own-reply check. It creates no
    /// users and leaves the outbox alone: a server running beside it may be sending right now,
    /// and the first admin is made by the process people sign in to.
    pub async fn attach(&self) -> CrmResult<()> {
        for team in &self.settings.config.teams {
            people::ensure_team(&self.db, team, self.now()).await?;
        }
        self.load_own_replies().await?;
        Ok(())
    }
}

/// Epoch milliseconds of an instant (how the CRM stores time).
pub fn to_ms(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

/// The instant of stored epoch milliseconds.
pub fn from_ms(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}
