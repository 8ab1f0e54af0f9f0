//! People and access: users, teams (departments), memberships, argon2 passwords, browser sessions
//! and API tokens (random secrets, stored only as SHA-256 hashes), and the first admin.

use crate::access::{Action, Actor, Resource, Role, authorize};
use crate::audit::{self, Change};
use crate::db::{DbPool, DbRow, Tx};
use crate::error::{CrmError, CrmResult};
use crate::{Crm, from_ms, to_ms, vals};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

/// The cookie that carries a browser session token.
pub const SESSION_COOKIE: &str = "switchyard_session";

/// Shortest password accepted.
pub const MIN_PASSWORD_LEN: usize = 10;

/// A team (department) with its members' ids.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Team {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub members: Vec<i64>,
}

/// A user as the API shows it (never the password hash).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub role: Role,
    pub teams: Vec<String>,
    /// This user's own cap on open cases; `None` uses the configured default.
    pub max_open_cases: Option<i64>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

/// What is needed to create a user.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub username: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    pub role: Role,
    /// At least [`MIN_PASSWORD_LEN`] characters; `None` for token-only (script) users.
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub teams: Vec<String>,
    #[serde(default)]
    pub max_open_cases: Option<i64>,
}

/// Changes to a user; absent fields stay as they are.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserUpdate {
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub role: Option<Role>,
    #[serde(default)]
    pub password: Option<String>,
    /// Replaces the user's team list.
    #[serde(default)]
    pub teams: Option<Vec<String>>,
    #[serde(default)]
    pub max_open_cases: Option<i64>,
    #[serde(default)]
    pub active: Option<bool>,
}

/// A signed-in browser session: the token goes into the [`SESSION_COOKIE`] cookie.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: User,
}

/// A freshly made API token: the secret is shown only now.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IssuedToken {
    pub id: i64,
    pub name: String,
    pub token: String,
}

/// The first admin, created on first start.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FirstAdmin {
    pub username: String,
    /// The generated password, to be printed once; `None` when it came from configuration.
    pub generated_password: Option<String>,
}

/// Hashes a password with argon2id and a random salt (PHC string).
pub fn hash_password(password: &str) -> CrmResult<String> {
    let mut salt_bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut salt_bytes);
    let salt = SaltString::encode_b64(&salt_bytes)
        .map_err(|error| CrmError::Invalid(format!("could not encode a password salt: {error}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| CrmError::Invalid(format!("could not hash the password: {error}")))
}

/// Whether `password` matches a stored PHC hash. A malformed hash never matches.
pub fn verify_password(password: &str, stored_hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored_hash) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

/// A new random secret token (256 bits, hex) with a readable prefix.
pub fn new_secret_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}_{}", hex::encode(bytes))
}

/// The SHA-256 of a token, as stored.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn check_password_strength(password: &str) -> CrmResult<()> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(CrmError::Invalid(format!(
            "the password is too short; use at least {MIN_PASSWORD_LEN} characters"
        )));
    }
    Ok(())
}

fn check_name(what: &str, name: &str) -> CrmResult<String> {
    let name = name.trim();
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@'));
    if !ok {
        return Err(CrmError::Invalid(format!(
            "{what} {name:?} is not valid; use 1–64 letters, digits, '-', '_', '.' or '@'"
        )));
    }
    Ok(name.to_string())
}

/// Creates a team if it does not exist yet (configuration and routing create them on demand).
pub async fn ensure_team(db: &DbPool, name: &str, now: DateTime<Utc>) -> CrmResult<()> {
    let name = check_name("team name", name)?;
    db.execute(
        "INSERT INTO crm_teams (name, description, created_at) VALUES ($1, '', $2) ON CONFLICT (name) DO NOTHING",
        &vals![name, to_ms(now)],
    )
    .await?;
    Ok(())
}

pub(crate) async fn ensure_team_tx(tx: &mut Tx, name: &str, now: DateTime<Utc>) -> CrmResult<i64> {
    tx.execute(
        "INSERT INTO crm_teams (name, description, created_at) VALUES ($1, '', $2) ON CONFLICT (name) DO NOTHING",
        &vals![name, to_ms(now)],
    )
    .await?;
    let row = tx
        .fetch_optional("SELECT id FROM crm_teams WHERE name = $1", &vals![name])
        .await?
        .ok_or_else(|| CrmError::Database(format!("team {name:?} vanished while being created")))?;
    row.int("id")
}

async fn teams_of(db: &DbPool, user_id: i64) -> CrmResult<Vec<String>> {
    let rows = db
        .fetch_all(
            "SELECT t.name FROM crm_teams t JOIN crm_memberships m ON m.team_id = t.id WHERE m.user_id = $1 ORDER BY t.name",
            &vals![user_id],
        )
        .await?;
    rows.iter().map(|row| row.text("name")).collect()
}

fn user_from_row(row: &DbRow, teams: Vec<String>) -> CrmResult<User> {
    let role_text = row.text("role")?;
    let role = role_text.parse::<Role>().map_err(CrmError::Database)?;
    Ok(User {
        id: row.int("id")?,
        username: row.text("username")?,
        display_name: row.text("display_name")?,
        email: row.opt_text("email")?,
        role,
        teams,
        max_open_cases: row.opt_int("max_open_cases")?,
        active: row.flag("active")?,
        created_at: from_ms(row.int("created_at")?),
    })
}

const USER_COLUMNS: &str =
    "id, username, display_name, email, role, password_hash, max_open_cases, active, created_at";

async fn set_memberships(tx: &mut Tx, user_id: i64, teams: &[String]) -> CrmResult<()> {
    tx.execute(
        "DELETE FROM crm_memberships WHERE user_id = $1",
        &vals![user_id],
    )
    .await?;
    for team in teams {
        let row = tx
            .fetch_optional("SELECT id FROM crm_teams WHERE name = $1", &vals![team.as_str()])
            .await?
            .ok_or_else(|| {
                CrmError::Invalid(format!(
                    "team {team:?} does not exist; create it first (POST /api/v1/teams) or fix the name"
                ))
            })?;
        tx.execute(
            "INSERT INTO crm_memberships (user_id, team_id) VALUES ($1, $2)",
            &vals![user_id, row.int("id")?],
        )
        .await?;
    }
    Ok(())
}

impl Crm {
    /// The user behind an id, with their teams.
    pub async fn user(&self, user_id: i64) -> CrmResult<User> {
        let row = self
            .db
            .fetch_optional(
                &format!("SELECT {USER_COLUMNS} FROM crm_users WHERE id = $1"),
                &vals![user_id],
            )
            .await?
            .ok_or_else(|| CrmError::NotFound(format!("no user with id {user_id}")))?;
        let teams = teams_of(&self.db, user_id).await?;
        user_from_row(&row, teams)
    }

    /// The acting identity of a user (for permission checks).
    pub async fn actor_for(&self, user_id: i64) -> CrmResult<Actor> {
        let user = self.user(user_id).await?;
        Ok(Actor {
            user_id: user.id,
            username: user.username,
            role: user.role,
            teams: user.teams,
        })
    }

    /// Creates the first admin if there are no users yet. The password comes from the environment
    /// variable named in `[crm.admin] password_env`, else `[crm.admin] password`, else it is
    /// generated and returned (print it once; it is not stored anywhere in clear).
    pub async fn ensure_first_admin(&self) -> CrmResult<Option<FirstAdmin>> {
        let row = self
            .db
            .fetch_optional("SELECT COUNT(*) AS n FROM crm_users", &[])
            .await?;
        let count = match row {
            Some(row) => row.int("n")?,
            None => 0,
        };
        if count > 0 {
            return Ok(None);
        }
        let admin = &self.settings.config.admin;
        let from_env = admin
            .password_env
            .as_deref()
            .and_then(|name| std::env::var(name).ok())
            .filter(|value| !value.is_empty());
        let configured = from_env.or_else(|| admin.password.clone());
        let (password, generated) = match configured {
            Some(password) => (password, None),
            None => {
                let password = new_secret_token("sy")[3..27].to_string();
                (password.clone(), Some(password))
            }
        };
        check_password_strength(&password)?;
        let username = check_name("admin username", &admin.username)?;
        let mut tx = self.db.begin().await?;
        let id = tx
            .insert_returning_id(
                "INSERT INTO crm_users (username, display_name, email, role, password_hash, max_open_cases, active, created_at)
                 VALUES ($1, $2, NULL, 'admin', $3, NULL, 1, $4) RETURNING id",
                &vals![username.as_str(), "Administrator", hash_password(&password)?, to_ms(self.now())],
            )
            .await?;
        audit::record(
            &mut tx,
            self.now(),
            Change {
                action: "user.created",
                entity: "user",
                entity_id: Some(id),
                after: Some(json!({"username": username, "role": "admin", "first_admin": true})),
                ..Change::default()
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Some(FirstAdmin {
            username,
            generated_password: generated,
        }))
    }

    /// Creates a user (admins only).
    pub async fn create_user(&self, actor: Option<&Actor>, new: &NewUser) -> CrmResult<User> {
        authorize(actor, Action::Manage, Resource::Administration)?;
        let username = check_name("username", &new.username)?;
        let password_hash = match &new.password {
            Some(password) => {
                check_password_strength(password)?;
                Some(hash_password(password)?)
            }
            None => None,
        };
        if let Some(max) = new.max_open_cases
            && max < 0
        {
            return Err(CrmError::Invalid(
                "max_open_cases must be zero or more".into(),
            ));
        }
        let exists = self
            .db
            .fetch_optional(
                "SELECT id FROM crm_users WHERE username = $1",
                &vals![username.as_str()],
            )
            .await?;
        if exists.is_some() {
            return Err(CrmError::Conflict(format!(
                "a user named {username:?} already exists; pick another username"
            )));
        }
        let mut tx = self.db.begin().await?;
        let id = tx
            .insert_returning_id(
                "INSERT INTO crm_users (username, display_name, email, role, password_hash, max_open_cases, active, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, 1, $7) RETURNING id",
                &vals![
                    username.as_str(),
                    new.display_name.clone().unwrap_or_else(|| username.clone()),
                    new.email.clone(),
                    new.role.as_str(),
                    password_hash,
                    new.max_open_cases,
                    to_ms(self.now()),
                ],
            )
            .await?;
        set_memberships(&mut tx, id, &new.teams).await?;
        audit::record(
            &mut tx,
            self.now(),
            Change {
                actor_id: actor.map(|a| a.user_id),
                action: "user.created",
                entity: "user",
                entity_id: Some(id),
                after: Some(json!({"username": username, "role": new.role, "teams": new.teams, "max_open_cases": new.max_open_cases})),
                ..Change::default()
            },
        )
        .await?;
        tx.commit().await?;
        let user = self.user(id).await?;
        // A new agent is new capacity: waiting cases of their teams may now be assigned.
        for team in &user.teams {
            self.fill_waiting(team).await?;
        }
        Ok(user)
    }

    /// Changes a user (admins; users may change their own display name, email and password).
    pub async fn update_user(
        &self,
        actor: Option<&Actor>,
        user_id: i64,
        update: &UserUpdate,
    ) -> CrmResult<User> {
        let administrative = update.role.is_some()
            || update.teams.is_some()
            || update.max_open_cases.is_some()
            || update.active.is_some();
        if administrative {
            authorize(actor, Action::Manage, Resource::Administration)?;
        } else {
            authorize(actor, Action::Write, Resource::Account(user_id))?;
        }
        let before = self.user(user_id).await?;
        if let Some(password) = &update.password {
            check_password_strength(password)?;
        }
        if let Some(max) = update.max_open_cases
            && max < 0
        {
            return Err(CrmError::Invalid(
                "max_open_cases must be zero or more".into(),
            ));
        }
        let mut tx = self.db.begin().await?;
        if let Some(name) = &update.display_name {
            tx.execute(
                "UPDATE crm_users SET display_name = $1 WHERE id = $2",
                &vals![name.as_str(), user_id],
            )
            .await?;
        }
        if let Some(email) = &update.email {
            tx.execute(
                "UPDATE crm_users SET email = $1 WHERE id = $2",
                &vals![email.as_str(), user_id],
            )
            .await?;
        }
        if let Some(role) = update.role {
            tx.execute(
                "UPDATE crm_users SET role = $1 WHERE id = $2",
                &vals![role.as_str(), user_id],
            )
            .await?;
        }
        if let Some(password) = &update.password {
            tx.execute(
                "UPDATE crm_users SET password_hash = $1 WHERE id = $2",
                &vals![hash_password(password)?, user_id],
            )
            .await?;
            // A new password ends every browser session of this user.
            tx.execute(
                "UPDATE crm_credentials SET revoked_at = $1 WHERE user_id = $2 AND kind = 'session' AND revoked_at IS NULL",
                &vals![to_ms(self.now()), user_id],
            )
            .await?;
        }
        if let Some(max) = update.max_open_cases {
            tx.execute(
                "UPDATE crm_users SET max_open_cases = $1 WHERE id = $2",
                &vals![max, user_id],
            )
            .await?;
        }
        if let Some(active) = update.active {
            tx.execute(
                "UPDATE crm_users SET active = $1 WHERE id = $2",
                &vals![active, user_id],
            )
            .await?;
        }
        if let Some(teams) = &update.teams {
            set_memberships(&mut tx, user_id, teams).await?;
        }
        tx.commit().await?;
        let after = self.user(user_id).await?;
        let mut tx = self.db.begin().await?;
        audit::record(
            &mut tx,
            self.now(),
            Change {
                actor_id: actor.map(|a| a.user_id),
                action: "user.updated",
                entity: "user",
                entity_id: Some(user_id),
                before: Some(json!(before)),
                after: Some(json!({"user": after, "password_changed": update.password.is_some()})),
                ..Change::default()
            },
        )
        .await?;
        tx.commit().await?;
        for team in &after.teams {
            self.fill_waiting(team).await?;
        }
        Ok(after)
    }

    /// Every user (leads and admins).
    pub async fn list_users(&self, actor: Option<&Actor>) -> CrmResult<Vec<User>> {
        authorize(actor, Action::Read, Resource::Administration)?;
        let rows = self
            .db
            .fetch_all(
                &format!("SELECT {USER_COLUMNS} FROM crm_users ORDER BY id"),
                &[],
            )
            .await?;
        let mut users = Vec::with_capacity(rows.len());
        for row in &rows {
            let teams = teams_of(&self.db, row.int("id")?).await?;
            users.push(user_from_row(row, teams)?);
        }
        Ok(users)
    }

    /// Creates a team (admins only).
    pub async fn create_team(
        &self,
        actor: Option<&Actor>,
        name: &str,
        description: &str,
    ) -> CrmResult<Team> {
        authorize(actor, Action::Manage, Resource::Administration)?;
        let name = check_name("team name", name)?;
        let exists = self
            .db
            .fetch_optional(
                "SELECT id FROM crm_teams WHERE name = $1",
                &vals![name.as_str()],
            )
            .await?;
        if exists.is_some() {
            return Err(CrmError::Conflict(format!("team {name:?} already exists")));
        }
        let mut tx = self.db.begin().await?;
        let id = tx
            .insert_returning_id(
                "INSERT INTO crm_teams (name, description, created_at) VALUES ($1, $2, $3) RETURNING id",
                &vals![name.as_str(), description, to_ms(self.now())],
            )
            .await?;
        audit::record(
            &mut tx,
            self.now(),
            Change {
                actor_id: actor.map(|a| a.user_id),
                action: "team.created",
                entity: "team",
                entity_id: Some(id),
                after: Some(json!({"name": name, "description": description})),
                ..Change::default()
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Team {
            id,
            name,
            description: description.to_string(),
            members: Vec::new(),
        })
    }

    /// Every team with its members (any signed-in user).
    pub async fn list_teams(&self, actor: Option<&Actor>) -> CrmResult<Vec<Team>> {
        authorize(actor, Action::Read, Resource::Analytics)?;
        let rows = self
            .db
            .fetch_all(
                "SELECT id, name, description FROM crm_teams ORDER BY name",
                &[],
            )
            .await?;
        let mut teams = Vec::with_capacity(rows.len());
        for row in &rows {
            let id = row.int("id")?;
            let members = self
                .db
                .fetch_all(
                    "SELECT user_id FROM crm_memberships WHERE team_id = $1 ORDER BY user_id",
                    &vals![id],
                )
                .await?
                .iter()
                .map(|m| m.int("user_id"))
                .collect::<CrmResult<Vec<_>>>()?;
            teams.push(Team {
                id,
                name: row.text("name")?,
                description: row.text("description")?,
                members,
            });
        }
        Ok(teams)
    }

    /// Checks a username (or the user's email) and password and opens a browser session. Wrong name or password give the
    /// same answer, so the reply does not tell which usernames exist.
    pub async fn login(&self, username: &str, password: &str) -> CrmResult<Session> {
        let row = self
            .db
            .fetch_optional(
                &format!(
                    "SELECT {USER_COLUMNS} FROM crm_users WHERE username = $1 OR (email IS NOT NULL AND LOWER(email) = LOWER($1)) ORDER BY id LIMIT 1"
                ),
                &vals![username.trim()],
            )
            .await?;
        let wrong = || CrmError::Denied(crate::access::Denied::Unauthenticated);
        let Some(row) = row else {
            // Spend the same time as a real check.
            let _ = verify_password(
                password,
                "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            );
            return Err(wrong());
        };
        let Some(stored) = row.opt_text("password_hash")? else {
            return Err(wrong());
        };
        if !row.flag("active")? || !verify_password(password, &stored) {
            return Err(wrong());
        }
        let user_id = row.int("id")?;
        let token = new_secret_token("sys");
        let expires_at = self.now() + self.settings.session_ttl;
        let mut tx = self.db.begin().await?;
        tx.execute(
            "INSERT INTO crm_credentials (token_hash, user_id, kind, name, created_at, expires_at) VALUES ($1, $2, 'session', 'browser', $3, $4)",
            &vals![hash_token(&token), user_id, to_ms(self.now()), to_ms(expires_at)],
        )
        .await?;
        tx.commit().await?;
        Ok(Session {
            token,
            expires_at,
            user: self.user(user_id).await?,
        })
    }

    /// Ends a session (or revokes a token) given the secret itself.
    pub async fn logout(&self, token: &str) -> CrmResult<()> {
        self.db
            .execute(
                "UPDATE crm_credentials SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL",
                &vals![to_ms(self.now()), hash_token(token)],
            )
            .await?;
        Ok(())
    }

    /// Issues an API token for a user (themselves, or anyone for an admin).
    pub async fn create_api_token(
        &self,
        actor: Option<&Actor>,
        user_id: i64,
        name: &str,
    ) -> CrmResult<IssuedToken> {
        authorize(actor, Action::Write, Resource::Account(user_id))?;
        let user = self.user(user_id).await?;
        let token = new_secret_token("syt");
        let mut tx = self.db.begin().await?;
        let id = tx
            .insert_returning_id(
                "INSERT INTO crm_credentials (token_hash, user_id, kind, name, created_at, expires_at) VALUES ($1, $2, 'api', $3, $4, NULL) RETURNING id",
                &vals![hash_token(&token), user.id, name.trim(), to_ms(self.now())],
            )
            .await?;
        audit::record(
            &mut tx,
            self.now(),
            Change {
                actor_id: actor.map(|a| a.user_id),
                action: "token.created",
                entity: "token",
                entity_id: Some(id),
                after: Some(json!({"user_id": user.id, "name": name.trim()})),
                ..Change::default()
            },
        )
        .await?;
        tx.commit().await?;
        Ok(IssuedToken {
            id,
            name: name.trim().to_string(),
            token,
        })
    }

    /// The actor behind a session or API token, if it is valid, unexpired and its user active.
    pub async fn authenticate_token(&self, token: &str) -> CrmResult<Option<Actor>> {
        let token = token.trim();
        if token.is_empty() || token.len() > 200 {
            return Ok(None);
        }
        let row = self
            .db
            .fetch_optional(
                "SELECT c.id, c.user_id, c.expires_at, c.revoked_at, u.active FROM crm_credentials c JOIN crm_users u ON u.id = c.user_id WHERE c.token_hash = $1",
                &vals![hash_token(token)],
            )
            .await?;
        let Some(row) = row else { return Ok(None) };
        if row.opt_int("revoked_at")?.is_some() || !row.flag("active")? {
            return Ok(None);
        }
        let now = to_ms(self.now());
        if let Some(expires_at) = row.opt_int("expires_at")?
            && expires_at <= now
        {
            return Ok(None);
        }
        self.db
            .execute(
                "UPDATE crm_credentials SET last_used_at = $1 WHERE id = $2",
                &vals![now, row.int("id")?],
            )
            .await?;
        Ok(Some(self.actor_for(row.int("user_id")?).await?))
    }
}
