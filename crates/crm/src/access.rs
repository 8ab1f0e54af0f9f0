//! Who may do what: roles, the acting user, and the one permission function [`authorize`].
//!
//! Every CRM operation and every HTTP endpoint asks [`authorize`] before it touches anything.
//! Anonymous → [`Denied::Unauthenticated`] (401); an agent outside their teams, an analyst who tries
//! to write, or anyone below the needed role → [`Denied::Forbidden`] (403).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A user's role. Roles are global; team membership scopes what agents and leads reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything, everywhere: users, teams, configuration.
    Admin,
    /// Manages their teams: assignment, approvals, templates, merges.
    Lead,
    /// Works the cases of their teams' queues.
    Agent,
    /// Reads everything, writes nothing.
    Analyst,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Lead, Role::Agent, Role::Analyst];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Lead => "lead",
            Role::Agent => "agent",
            Role::Analyst => "analyst",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "admin" | "administrator" => Ok(Role::Admin),
            "lead" | "manager" => Ok(Role::Lead),
            "agent" => Ok(Role::Agent),
            "analyst" => Ok(Role::Analyst),
            other => Err(format!(
                "unknown role {other:?}; expected admin, lead, agent or analyst"
            )),
        }
    }
}

/// The signed-in user an operation is done for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub user_id: i64,
    pub username: String,
    pub role: Role,
    /// Names of the teams the user belongs to.
    pub teams: Vec<String>,
}

impl Actor {
    pub fn is_member_of(&self, team: &str) -> bool {
        self.teams.iter().any(|name| name == team)
    }
}

/// What the actor wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Look at it.
    Read,
    /// Change it as part of everyday work (reply, note, take a case, log feedback).
    Write,
    /// Steer it: assign others, approve replies, merge customers, edit templates and imports.
    Manage,
}

impl Action {
    pub const ALL: [Action; 3] = [Action::Read, Action::Write, Action::Manage];
}

/// What the action is done to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resource<'a> {
    /// A team's queue and everything on it: its cases, replies, notes, SLA figures, timelines.
    Team(&'a str),
    /// Customer profiles, identities, merges and suggestions.
    Customers,
    /// Reply templates.
    Templates,
    /// Agents' voice entries (complaints, glitches, feature requests, hints).
    Voice,
    /// CSAT and NPS responses.
    Surveys,
    /// Read-only reports.
    Analytics,
    /// The audit log across the whole system.
    Audit,
    /// Users, teams, roles and memberships.
    Administration,
    /// One user's own account: their profile and API tokens.
    Account(i64),
}

/// Why an action was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum Denied {
    /// No valid session or token came with the request (HTTP 401).
    #[error("sign in first: send the session cookie or an `Authorization: Bearer <token>` header")]
    Unauthenticated,
    /// Signed in, but not allowed (HTTP 403); the message says why.
    #[error("not allowed: {0}")]
    Forbidden(String),
}

fn forbid(actor: &Actor, action: Action, what: &str) -> Result<(), Denied> {
    Err(Denied::Forbidden(format!(
        "{} {:?} ({}) may not {} {what}",
        actor.role,
        actor.username,
        actor.user_id,
        match action {
            Action::Read => "read",
            Action::Write => "change",
            Action::Manage => "manage",
        }
    )))
}

fn team_scoped(actor: &Actor, action: Action, team: &str) -> Result<(), Denied> {
    if actor.is_member_of(team) {
        return Ok(());
    }
    forbid(
        actor,
        action,
        &format!("the {team:?} queue: it is not one of their teams"),
    )
}

/// The one permission function. `None` is an anonymous caller.
pub fn authorize(
    actor: Option<&Actor>,
    action: Action,
    resource: Resource<'_>,
) -> Result<(), Denied> {
    let Some(actor) = actor else {
        return Err(Denied::Unauthenticated);
    };
    match actor.role {
        Role::Admin => Ok(()),
        Role::Analyst => match (action, resource) {
            (Action::Read, Resource::Account(user_id)) if user_id != actor.user_id => {
                forbid(actor, action, "another user's account")
            }
            (Action::Read, Resource::Administration) => {
                forbid(actor, action, "users and teams administration")
            }
            (Action::Read, _) => Ok(()),
            (Action::Write | Action::Manage, Resource::Account(user_id))
                if user_id == actor.user_id =>
            {
                Ok(())
            }
            (Action::Write | Action::Manage, _) => {
                forbid(actor, action, "anything: analysts have read-only access")
            }
        },
        Role::Agent => match resource {
            Resource::Team(team) => match action {
                Action::Read | Action::Write => team_scoped(actor, action, team),
                Action::Manage => forbid(actor, action, "a queue: that needs a lead"),
            },
            Resource::Customers | Resource::Voice => match action {
                Action::Read | Action::Write => Ok(()),
                Action::Manage => forbid(actor, action, "customers or feedback: that needs a lead"),
            },
            Resource::Templates | Resource::Surveys | Resource::Analytics => match action {
                Action::Read => Ok(()),
                Action::Write | Action::Manage => forbid(
                    actor,
                    action,
                    "templates, surveys or reports: that needs a lead",
                ),
            },
            Resource::Audit | Resource::Administration => forbid(
                actor,
                action,
                "the audit log or administration (case timelines show their cases' history)",
            ),
            Resource::Account(user_id) => {
                if user_id == actor.user_id {
                    Ok(())
                } else {
                    forbid(actor, action, "another user's account")
                }
            }
        },
        Role::Lead => match resource {
            Resource::Team(team) => team_scoped(actor, action, team),
            Resource::Customers | Resource::Templates | Resource::Voice | Resource::Surveys => {
                Ok(())
            }
            Resource::Analytics | Resource::Audit => match action {
                Action::Read => Ok(()),
                Action::Write | Action::Manage => forbid(
                    actor,
                    action,
                    "reports or the audit log: they are read-only",
                ),
            },
            Resource::Administration => match action {
                Action::Read => Ok(()),
                Action::Write | Action::Manage => {
                    forbid(actor, action, "users and teams: that needs an admin")
                }
            },
            Resource::Account(user_id) => {
                if user_id == actor.user_id {
                    Ok(())
                } else {
                    forbid(actor, action, "another user's account")
                }
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, teams: &[&str]) -> Actor {
        Actor {
            user_id: 7,
            username: format!("{role}-user"),
            role,
            teams: teams.iter().map(|t| t.to_string()).collect(),
        }
    }

    fn all_resources() -> Vec<Resource<'static>> {
        vec![
            Resource::Team("pr"),
            Resource::Team("support"),
            Resource::Customers,
            Resource::Templates,
            Resource::Voice,
            Resource::Surveys,
            Resource::Analytics,
            Resource::Audit,
            Resource::Administration,
            Resource::Account(7),
            Resource::Account(8),
        ]
    }

    /// The expected answer for every (role, action, resource) for an actor in team "pr" only.
    fn expected(role: Option<Role>, action: Action, resource: Resource<'_>) -> Option<u16> {
        use Action::*;
        use Resource::*;
        let Some(role) = role else { return Some(401) };
        let ok = None;
        let forbidden = Some(403);
        match role {
            Role::Admin => ok,
            Role::Analyst => match (action, resource) {
                (Read, Administration) | (Read, Account(8)) => forbidden,
                (Read, _) => ok,
                (_, Account(7)) => ok,
                _ => forbidden,
            },
            Role::Agent => match (action, resource) {
                (Read | Write, Team("pr")) => ok,
                (_, Team(_)) => forbidden,
                (Read | Write, Customers | Voice) => ok,
                (Read, Templates | Surveys | Analytics) => ok,
                (_, Account(7)) => ok,
                _ => forbidden,
            },
            Role::Lead => match (action, resource) {
                (_, Team("pr")) => ok,
                (_, Team(_)) => forbidden,
                (_, Customers | Templates | Voice | Surveys) => ok,
                (Read, Analytics | Audit | Administration) => ok,
                (_, Account(7)) => ok,
                _ => forbidden,
            },
        }
    }

    #[test]
    fn the_whole_matrix_matches_the_policy() {
        let mut checked = 0;
        let roles: Vec<Option<Role>> = std::iter::once(None)
            .chain(Role::ALL.into_iter().map(Some))
            .collect();
        for role in roles {
            let subject = role.map(|role| actor(role, &["pr"]));
            for action in Action::ALL {
                for resource in all_resources() {
                    let got = match authorize(subject.as_ref(), action, resource) {
                        Ok(()) => None,
                        Err(Denied::Unauthenticated) => Some(401),
                        Err(Denied::Forbidden(_)) => Some(403),
                    };
                    assert_eq!(
                        got,
                        expected(role, action, resource),
                        "{role:?} {action:?} {resource:?}"
                    );
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 5 * 3 * 11);
    }

    #[test]
    fn forbidden_messages_say_who_and_why() {
        let agent = actor(Role::Agent, &["support"]);
        let err = authorize(Some(&agent), Action::Write, Resource::Team("pr")).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("\"pr\""), "{text}");
        assert!(text.contains("not one of their teams"), "{text}");
        let analyst = actor(Role::Analyst, &[]);
        let err = authorize(Some(&analyst), Action::Write, Resource::Customers).unwrap_err();
        assert!(err.to_string().contains("read-only"));
    }

    #[test]
    fn roles_parse_from_their_names() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
        assert!("owner".parse::<Role>().unwrap_err().contains("admin"));
    }
}
