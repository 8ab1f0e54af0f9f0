//! The social CRM over HTTP: sign-in and sessions, users and teams, cases, assignment, replies and
//! approvals, hand-off, SLA figures, customers with merge/unmerge, templates, agents' voice,
//! surveys and the audit log — all under `/api/v1` (the analytics module serves the CRM's
//! reports: `/analytics/sla`, `/analytics/surveys`, `/analytics/voice`), JSON in and out, errors in the server's one
//! error shape. Every handler asks [`switchyard_crm::authorize`] (through the CRM) who may do what.
//!
//! [`router`] builds the routes with their own state (the [`Crm`] and the server's
//! [`Authenticator`]), so they merge into any `Router<S>`; [`CrmAuthenticator`] lets the whole
//! server accept CRM sessions (cookie) and API tokens (bearer).

#[cfg(test)]
mod tests;

use crate::auth::{AuthFuture, Authenticator, bearer_token};
use crate::error::{ApiError, ErrorCode};
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::sync::Arc;
use switchyard_crm::access::{Actor as CrmActor, Denied, Role as CrmRole};
use switchyard_crm::audit::AuditFilter;
use switchyard_crm::cases::{CaseFilter, CaseStatus, CaseUpdate, NewCase};
use switchyard_crm::customers::NewIdentity;
use switchyard_crm::people::{NewUser, SESSION_COOKIE, UserUpdate};
use switchyard_crm::replies::{HandoffVia, NewReply};
use switchyard_crm::surveys::NewSurvey;
use switchyard_crm::voice::NewVoice;
use switchyard_crm::{Crm, CrmError};

/// What the CRM routes need.
#[derive(Clone)]
pub struct CrmHttp {
    pub crm: Crm,
    /// The server's authenticator, consulted when a request carries no CRM session or token.
    pub auth: Option<Arc<dyn Authenticator>>,
}

/// Maps CRM errors onto the API's error shape.
pub fn api_error(error: CrmError) -> ApiError {
    match error {
        CrmError::Denied(Denied::Unauthenticated) => ApiError::unauthenticated(),
        CrmError::Denied(Denied::Forbidden(message)) => ApiError::forbidden(message),
        CrmError::NotFound(message) => ApiError::not_found(message),
        CrmError::Invalid(message) => ApiError::bad_request(message),
        CrmError::Conflict(message) => ApiError::new(ErrorCode::Conflict, message),
        CrmError::Config(message) => ApiError::internal("CRM configuration", message),
        CrmError::Database(message) => ApiError::internal("CRM database access", message),
    }
}

type ApiResult<T> = Result<T, ApiError>;

fn crm<T>(result: Result<T, CrmError>) -> ApiResult<T> {
    result.map_err(api_error)
}

/// The session token from the `Cookie` header, if any.
pub fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    for value in headers.get_all(header::COOKIE) {
        let Ok(text) = value.to_str() else { continue };
        for pair in text.split(';') {
            if let Some((name, token)) = pair.trim().split_once('=')
                && name.trim() == SESSION_COOKIE
                && !token.trim().is_empty()
            {
                return Some(token.trim());
            }
        }
    }
    None
}

fn to_server_role(role: CrmRole) -> crate::auth::Role {
    match role {
        CrmRole::Admin => crate::auth::Role::Admin,
        CrmRole::Lead => crate::auth::Role::Lead,
        CrmRole::Agent => crate::auth::Role::Agent,
        CrmRole::Analyst => crate::auth::Role::Analyst,
    }
}

fn from_server_actor(actor: crate::auth::Actor) -> CrmActor {
    CrmActor {
        user_id: actor.user_id,
        username: actor.name,
        role: match actor.role {
            crate::auth::Role::Admin => CrmRole::Admin,
            crate::auth::Role::Lead => CrmRole::Lead,
            crate::auth::Role::Agent => CrmRole::Agent,
            crate::auth::Role::Analyst => CrmRole::Analyst,
        },
        teams: actor.teams,
    }
}

/// Authenticates requests against CRM sessions (cookie) and API tokens (bearer).
#[derive(Clone)]
pub struct CrmAuthenticator {
    pub crm: Crm,
}

impl Authenticator for CrmAuthenticator {
    fn authenticate<'a>(&'a self, headers: &'a HeaderMap) -> AuthFuture<'a> {
        Box::pin(async move {
            let Some(token) = bearer_token(headers).or_else(|| session_cookie(headers)) else {
                return Ok(None);
            };
            let actor = crm(self.crm.authenticate_token(token).await)?;
            Ok(actor.map(|actor| crate::auth::Actor {
                user_id: actor.user_id,
                name: actor.username,
                role: to_server_role(actor.role),
                teams: actor.teams,
            }))
        })
    }
}

/// A signed-in caller; anonymous requests are answered 401 before anything else happens.
pub struct Signed(pub CrmActor);

impl FromRequestParts<CrmHttp> for Signed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &CrmHttp) -> Result<Self, ApiError> {
        if let Some(token) = bearer_token(&parts.headers).or_else(|| session_cookie(&parts.headers))
            && let Some(actor) = crm(state.crm.authenticate_token(token).await)?
        {
            return Ok(Signed(actor));
        }
        if let Some(auth) = &state.auth
            && let Some(actor) = auth.authenticate(&parts.headers).await?
        {
            return Ok(Signed(from_server_actor(actor)));
        }
        Err(ApiError::unauthenticated())
    }
}

/// A JSON body whose errors come back in the API's error shape.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        Json::<T>::from_request(request, state)
            .await
            .map(|Json(value)| Body(value))
            .map_err(ApiError::from)
    }
}

/// Query parameters whose errors come back in the API's error shape.
pub struct Params<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| Params(value))
            .map_err(ApiError::from)
    }
}

fn items<T: serde::Serialize>(list: Vec<T>) -> Json<Value> {
    Json(json!({ "items": list }))
}

/// Every CRM route, ready to merge into a router of any state.
pub fn router<S: Clone + Send + Sync + 'static>(state: CrmHttp) -> Router<S> {
    Router::new()
        .route("/api/v1/auth/login", post(login))
        .route("/api/v1/auth/logout", post(logout))
        .route("/api/v1/me", get(me))
        .route("/api/v1/me/tokens", post(create_token))
        .route("/api/v1/users", get(list_users).post(create_user))
        .route("/api/v1/users/{id}", get(get_user).patch(update_user))
        .route("/api/v1/teams", get(list_teams).post(create_team))
        .route("/api/v1/teams/{team}/workload", get(team_workload))
        .route("/api/v1/cases", get(list_cases).post(open_case))
        .route("/api/v1/cases/{id}", get(get_case).patch(update_case))
        .route("/api/v1/cases/{id}/take", post(take_case))
        .route("/api/v1/cases/{id}/assign", post(assign_case))
        .route("/api/v1/cases/{id}/status", post(set_status))
        .route("/api/v1/cases/{id}/notes", post(add_note))
        .route("/api/v1/cases/{id}/timeline", get(timeline))
        .route("/api/v1/cases/{id}/sla", get(case_sla))
        .route("/api/v1/cases/{id}/replies", post(create_reply))
        .route("/api/v1/cases/{id}/handoff", post(create_handoff))
        .route("/api/v1/approvals", get(approvals))
        .route("/api/v1/replies/{id}", get(get_reply))
        .route("/api/v1/replies/{id}/approve", post(approve_reply))
        .route("/api/v1/replies/{id}/reject", post(send_back_reply))
        .route("/api/v1/replies/{id}/revise", post(revise_reply))
        .route("/api/v1/replies/{id}/requeue", post(requeue_reply))
        .route(
            "/api/v1/templates",
            get(list_templates).post(create_template),
        )
        .route("/api/v1/templates/preview", post(preview_template))
        .route("/api/v1/templates/{name}", put(put_template))
        .route("/api/v1/customers", get(search_customers))
        .route("/api/v1/customers/merge", post(merge_customers))
        .route("/api/v1/customers/{id}", get(get_customer))
        .route("/api/v1/customers/{id}/identities", post(add_identity))
        .route("/api/v1/customers/{id}/suggestions", get(suggestions))
        .route("/api/v1/merges/{id}/unmerge", post(unmerge))
        .route("/api/v1/voice", get(list_voice).post(log_voice))
        .route("/api/v1/surveys", get(list_surveys).post(record_survey))
        .route("/api/v1/surveys/import", post(import_surveys))
        .route("/api/v1/audit", get(audit))
        .with_state(state)
}

// ---- sign-in, users, teams -------------------------------------------------------------------

#[derive(Deserialize)]
struct LoginBody {
    username: String,
    password: String,
}

async fn login(State(state): State<CrmHttp>, Body(body): Body<LoginBody>) -> ApiResult<Response> {
    let session = state
        .crm
        .login(&body.username, &body.password)
        .await
        .map_err(|error| match error {
            CrmError::Denied(_) => ApiError::new(
                ErrorCode::Unauthenticated,
                "that user name and password do not match; try again or ask an admin to reset the password",
            ),
            other => api_error(other),
        })?;
    let max_age = (session.expires_at - state.crm.now()).num_seconds().max(0);
    let cookie = format!(
        "{SESSION_COOKIE}={}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}",
        session.token
    );
    let mut response =
        Json(json!({"user": session.user, "expires_at": session.expires_at})).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|e| ApiError::internal("session cookie", e))?,
    );
    Ok(response)
}

async fn logout(State(state): State<CrmHttp>, headers: HeaderMap) -> ApiResult<Response> {
    if let Some(token) = session_cookie(&headers).or_else(|| bearer_token(&headers)) {
        crm(state.crm.logout(token).await)?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static(
            "switchyard_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0",
        ),
    );
    Ok(response)
}

async fn me(State(state): State<CrmHttp>, Signed(actor): Signed) -> ApiResult<Json<Value>> {
    match state.crm.user(actor.user_id).await {
        Ok(user) => Ok(Json(json!(user))),
        // A caller known to the server's authenticator but not a CRM user (a static token).
        Err(CrmError::NotFound(_)) => Ok(Json(
            json!({"id": actor.user_id, "username": actor.username, "role": actor.role, "teams": actor.teams}),
        )),
        Err(error) => Err(api_error(error)),
    }
}

#[derive(Deserialize)]
struct TokenBody {
    #[serde(default)]
    name: String,
    #[serde(default)]
    user_id: Option<i64>,
}

async fn create_token(
    State(state): State<CrmHttp>,
    Signed(actor): Signed,
    Body(body): Body<TokenBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let user_id = body.user_id.unwrap_or(actor.user_id);
    let token = crm(state
        .crm
        .create_api_token(Some(&actor), user_id, &body.name)
        .await)?;
    Ok((StatusCode::CREATED, Json(json!(token))))
}

async fn list_users(State(state): State<CrmHttp>, Signed(actor): Signed) -> ApiResult<Json<Value>> {
    Ok(items(crm(state.crm.list_users(Some(&actor)).await)?))
}

async fn create_user(
    State(state): State<CrmHttp>,
    Signed(actor): Signed,
    Body(body): Body<NewUser>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let user = crm(state.crm.create_user(Some(&actor), &body).await)?;
    Ok((StatusCode::CREATED, Json(json!(user))))
}

async fn get_user(
    State(state): State<CrmHttp>,
    Signed(actor): Signed,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    if actor.user_id != id {
        crm(switchyard_crm::authorize(
            Some(&actor),
            switchyard_crm::Action::Read,
            switchyard_crm::Resource::Administration,
        )
        .map_err(CrmError::from))?;
    }
    Ok(Json(json!(crm(state.crm.user(id).await)?)))
}

async fn update_user(
    State(state): State<CrmHttp>,
    Signed(actor): Signed,
    Path(id): Path<i64>,
    Body(body): Body<UserUpdate>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(crm(state
        .crm
        .update_user(Some(&actor), id, &body)
        .await)?)))
}

async fn list_teams(State(state): State<CrmHttp>, Signed(actor): Signed) -> ApiResult<Json<Value>> {
    Ok(items(crm(state.crm.list_teams(Some(&actor)).await)?))
}

#[derive(Deserialize)]
struct TeamBody {
    name: String,
    #[serde(default)]
    description: String,
}

async fn create_team(
    State(state): State<CrmHttp>,
    Signed(actor): Signed,
    Body(body): Body<TeamBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let team = crm(state
        .crm
        .create_team(Some(&actor), &body.name, &body.description)
        .await)?;
    Ok((StatusCode::CREATED, Json(json!(team))))
}

async fn team_workload(
    State(state): State<CrmHttp>,
    Signed(actor): Signed,
    Path(team): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(items(crm(state
        .crm
        .team_workload(Some(&actor), &team)
        .await)?))
}

// ---- cases ------------------------------------------------------------------------------------

#[derive(Deserialize)]
struct CaseQuery {
    team: Option<String>,
    status: Option<String>,
    assignee_id: Option<i64>,
    customer_id: Option<i64>,
    unassigned: Option<bool>,
    limit: Option<i64>,
}

async fn list_cases(
    State(state): State<CrmHttp>,
    Signed(actor): Signed,
    Params(query): Params<CaseQuery>,
) -> ApiResult<Json<Value>> {
    let status = match query.status.as_deref() {
        None | Some("") => None,
        Some(text) => Some(crm(text.parse::<CaseStatus>())?),
    };
    let filter = CaseFilter {
        team: query.team.filter(|t| !t.is_empty()),
        status,
        assignee_id: query.assignee_id,
        customer_id: query.customer_id,
        unassigned: query.unassigned,
        limit: query.limit,
    };
    Ok(items(crm(state
        .crm
        .list_cases(Some(&actor), &filter)
        .await)?))
}

async fn open_case(
    State(state): State<CrmHttp>,
    Signed(actor): Signed,
    Body(body): Body<NewCase>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let case = crm(state.crm.open_case(Some(&actor), &body).await)?;
    Ok((StatusCode::CREATED, Json(json!(case))))
}

async fn get_case(
    State(state): State<CrmHttp>,
    Signed(actor): Signed,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(crm(state
        .crm
        .case_detail(Some(&actor), id)
        .await)?)))
}

async fn update_case(
    State(state): State<CrmHttp>,
    Signed(actor): Signed,
    Path(id): Path<i64>,
    Body(body): Body<CaseUpdate>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(crm(state
        .crm
        .update_case(Some(&actor), id, &body)
        .await)?)))
}

async fn take_case(
    State(state): State<CrmHttp>,
    Signed(actor): Signed,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(crm(state
        .crm
        .take_case(Some(&actor), id)
        .await)?)))
}

#[derive(Deserialize)]
struct AssignBody {
    user_id: Option<i64>,
}

async fn assign_case(
    State(state): State<CrmHttp>,
    Signed(actor): Signed,
    Path(id): Path<i64>,
    Body(body): Body<AssignBody>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(crm(state
        .crm
        .reassign_case(Some(&actor), id, body.user_id)
        .await)?)))
}

#[derive(Deserialize)]
struct StatusBody {
    status: String,
    #[serde(default)]
    comment: Option<String>,
}

async fn set_status(
    State(state): State<CrmHttp>,
    Signed(actor): Signed,
    Path(id): Path<i64>,
    Body(body): Body<StatusBody>,
) -> ApiResult<Json<Value>> {
    let status = crm(body.status.parse::<CaseStatus>())?;
    Ok(Json(json!(crm(state
        .crm
        .set_status(Some(&actor), id, status, body.comment.as_deref())
        .await)?)))
}

#[derive(Deserialize)]
struct NoteBody {
    body: String,
}

async fn add_note(
    State(state): State<CrmHttp>,
    Signed(actor): Signed,
    Path(id): Path<i64>,
    Body(body): Body<NoteBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let note = crm(state.crm.add_note(Some(&actor), id, &body.body).await)?;
    Ok((StatusCode::CREATED, Json(json!(note))))
}

async fn timeline(
    State(state): State<CrmHttp>,
    Signed(actor): Signed,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    Ok(items(crm(state.crm.timeline(Some(&actor), id).await)?))
}

async fn case_sla(
    State(state): State<CrmHttp>,
    Signed(actor): Signed,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(crm(state
        .crm
        .case_sla(Some(&actor), id)
        .await)?)))
}

// ---- replies, approvals, hand-off -------------------------------------------------------------

async fn create_reply(
    State(state): State<CrmHttp>,
    Signed(actor): Signed,
    Path(id): Path<i64>,
    Body(body): Body<NewReply>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let reply = crm(state.crm.create_reply(Some(&actor), id, &body).await)?;
    Ok((StatusCode::CREATED, Json(json!(reply))))
}

async fn create_handoff(
    State(state): State<CrmHttp>,
    Signed(actor): Signed,
    Path(id): Path<i64>,
    Body(mut body): Body<NewReply>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    if body.handoff.is_none() {
        body.handoff = Some(HandoffVia::DirectMessage);
    }
    body.private = false;
    let reply = crm(state.crm.create_reply(Some(&actor), id, &body).await)?;
    Ok((StatusCode::CREATED, Json(json!(reply))))
}

async fn approvals(State(state): State<CrmHttp>, Signed(actor): Signed) -> ApiResult<Json<Value>> {
    Ok(items(crm(state.crm.approval_queue(Some(&actor)).await)?))
}

async fn get_reply(
    State(state): State<CrmHttp>,
    Signed(actor): Signed,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(crm(state.crm.reply(Some(&actor), id).await)?)))
}

#[derive(Deserialize, Default)]
struct CommentBody {
    #[serde(default)]
    comment: Option<String>,
}

async fn approve_reply(
    State(state): State<CrmHttp>,
    Signed(actor): Signed,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Value>> {
    // The body is optional here: an empty one approves without a comment.
    let comment = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        serde_json::from_slice::<CommentBody>(&body)
            .map_err(|error| ApiError::bad_request(format!("invalid JSON body: {error}")))?
            .comment
    };
    Ok(Json(json!(crm(state
        .crm
        .approve_reply(Some(&actor), id, comment.as_deref())
        .await)?)))
}

async fn send_back_reply(
    State(state): State<CrmHttp>,
    Signed(actor): Signed,
    Path(id): Path<i64>,
    Body(body): Body<CommentBody>,
) -> ApiResult<Json<Value>> {
    let comment = body.comment.unwrap_or_default();
    Ok(Json(json!(crm(state
        .crm
        .send_back_reply(Some(&actor), id, &comment)
        .await)?)))
}

async fn revise_reply(
    State(state): State<CrmHttp>,
    Signed(actor): Signed,
    Path(id): Path<i64>,
    Body(body): Body<NoteBody>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(crm(state
        .crm
        .revise_reply(Some(&actor), id, &body.body)
        .await)?)))
}

async fn requeue_reply(
    State(state): State<CrmHttp>,
    Signed(actor): Signed,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(crm(state
        .crm
        .requeue_reply(Some(&actor), id)
        .await)?)))
}

// ---- templates ----------------------------------------------------------------------------------

async fn list_templates(
    State(state): State<CrmHttp>,
    Signed(actor): Signed,
) -> ApiResult<Json<Value>> {
    Ok(items(crm(state.crm.list_templates(Some(&actor)).await)?))
}

#[derive(Deserialize)]
struct TemplateBody {
    #[serde(default)]
    name: Option<String>,
    body: String,
    #[serde(default)]
    team: Option<String>,
}

async fn create_template(
    State(state): State<CrmHttp>,
    Signed(actor): Signed,
    Body(body): Body<TemplateBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let name = body.name.unwrap_or_default();
    let template = crm(state
        .crm
        .save_template(Some(&actor), &name, &body.body, body.team.as_deref())
        .await)?;
    Ok((StatusCode::CREATED, Json(json!(template))))
}

async fn put_template(
    State(state): State<CrmHttp>,
    Signed(actor): Signed,
    Path(name): Path<String>,
    Body(body): Body<TemplateBody>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(crm(state
        .crm
        .save_template(Some(&actor), &name, &body.body, body.team.as_deref())
        .await)?)))
}

#[derive(Deserialize)]
struct PreviewBody {
    name: String,
    #[serde(default)]
    variables: serde_json::Map<String, Value>,
}

async fn preview_template(
    State(state): State<CrmHttp>,
    Signed(actor): Signed,
    Body(body): Body<PreviewBody>,
) -> ApiResult<Json<Value>> {
    let text = crm(state
        .crm
        .preview_template(Some(&actor), &body.name, &body.variables)
        .await)?;
    Ok(Json(json!({"name": body.name, "text": text})))
}

// ---- customers ----------------------------------------------------------------------------------

#[derive(Deserialize)]
struct CustomerQuery {
    #[serde(default)]
    q: String,
    limit: Option<i64>,
}

async fn search_customers(
    State(state): State<CrmHttp>,
    Signed(actor): Signed,
    Params(query): Params<CustomerQuery>,
) -> ApiResult<Json<Value>> {
    Ok(items(crm(state
        .crm
        .search_customers(Some(&actor), &query.q, query.limit.unwrap_or(50))
        .await)?))
}

async fn get_customer(
    State(state): State<CrmHttp>,
    Signed(actor): Signed,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(crm(state
        .crm
        .customer(Some(&actor), id)
        .await)?)))
}

async fn add_identity(
    State(state): State<CrmHttp>,
    Signed(actor): Signed,
    Path(id): Path<i64>,
    Body(body): Body<NewIdentity>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(crm(state
        .crm
        .add_identity(Some(&actor), id, &body)
        .await)?)))
}

async fn suggestions(
    State(state): State<CrmHttp>,
    Signed(actor): Signed,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    Ok(items(crm(state
        .crm
        .link_suggestions(Some(&actor), id)
        .await)?))
}

#[derive(Deserialize)]
struct MergeBody {
    survivor_id: i64,
    merged_id: i64,
    #[serde(default)]
    reason: String,
}

async fn merge_customers(
    State(state): State<CrmHttp>,
    Signed(actor): Signed,
    Body(body): Body<MergeBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let merge = crm(state
        .crm
        .merge_customers(Some(&actor), body.survivor_id, body.merged_id, &body.reason)
        .await)?;
    Ok((StatusCode::CREATED, Json(json!(merge))))
}

async fn unmerge(
    State(state): State<CrmHttp>,
    Signed(actor): Signed,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(crm(state
        .crm
        .unmerge_customers(Some(&actor), id)
        .await)?)))
}

// ---- agents' voice, surveys, audit -------------------------------------------------------------

#[derive(Deserialize)]
struct VoiceQuery {
    team: Option<String>,
    limit: Option<i64>,
}

async fn list_voice(
    State(state): State<CrmHttp>,
    Signed(actor): Signed,
    Params(query): Params<VoiceQuery>,
) -> ApiResult<Json<Value>> {
    Ok(items(crm(state
        .crm
        .list_voice(
            Some(&actor),
            query.team.as_deref(),
            query.limit.unwrap_or(200),
        )
        .await)?))
}

async fn log_voice(
    State(state): State<CrmHttp>,
    Signed(actor): Signed,
    Body(body): Body<NewVoice>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let entry = crm(state.crm.log_voice(Some(&actor), &body).await)?;
    Ok((StatusCode::CREATED, Json(json!(entry))))
}

#[derive(Deserialize)]
struct SurveyQuery {
    customer_id: Option<i64>,
    case_id: Option<i64>,
}

async fn list_surveys(
    State(state): State<CrmHttp>,
    Signed(actor): Signed,
    Params(query): Params<SurveyQuery>,
) -> ApiResult<Json<Value>> {
    Ok(items(crm(state
        .crm
        .list_surveys(Some(&actor), query.customer_id, query.case_id)
        .await)?))
}

async fn record_survey(
    State(state): State<CrmHttp>,
    Signed(actor): Signed,
    Body(body): Body<NewSurvey>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let response = crm(state.crm.record_survey(Some(&actor), &body).await)?;
    Ok((StatusCode::CREATED, Json(json!(response))))
}

/// CSV in the request body (any content type): `kind,score,case_id,customer_id,comment,responded_at,external_ref`.
async fn import_surveys(
    State(state): State<CrmHttp>,
    Signed(actor): Signed,
    body: String,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(crm(state
        .crm
        .import_surveys_csv(Some(&actor), &body)
        .await)?)))
}

async fn audit(
    State(state): State<CrmHttp>,
    Signed(actor): Signed,
    Params(filter): Params<AuditFilter>,
) -> ApiResult<Json<Value>> {
    Ok(items(crm(state
        .crm
        .audit_log(Some(&actor), &filter)
        .await)?))
}

/// Describes every CRM route for the OpenAPI document.
pub fn describe(doc: &mut crate::openapi::ApiDoc) {
    use crate::openapi::Access::{Admin, Lead, Public, Read, Write};
    let ops: &[(
        &'static str,
        &'static str,
        &'static str,
        crate::openapi::Access,
        &'static str,
    )] = &[
        (
            "post",
            "/api/v1/auth/login",
            "auth",
            Public,
            "Sign in with {username, password}; sets the HttpOnly session cookie.",
        ),
        (
            "post",
            "/api/v1/auth/logout",
            "auth",
            Public,
            "Ends the session (cookie or bearer token) and clears the cookie.",
        ),
        (
            "get",
            "/api/v1/me",
            "auth",
            Read,
            "The signed-in user with role and teams.",
        ),
        (
            "post",
            "/api/v1/me/tokens",
            "auth",
            Read,
            "Issues an API token {name, user_id?} for `Authorization: Bearer`; the secret is shown once.",
        ),
        (
            "get",
            "/api/v1/users",
            "people",
            Lead,
            "Every user with role, teams and capacity.",
        ),
        (
            "post",
            "/api/v1/users",
            "people",
            Admin,
            "Creates a user {username, role, password?, teams, max_open_cases?}.",
        ),
        (
            "get",
            "/api/v1/users/{id}",
            "people",
            Read,
            "One user (yourself, or anyone for leads and admins).",
        ),
        (
            "patch",
            "/api/v1/users/{id}",
            "people",
            Read,
            "Changes a user: role, teams, capacity, active (admins); name, email, password (yourself).",
        ),
        (
            "get",
            "/api/v1/teams",
            "people",
            Read,
            "Teams (departments) with their members.",
        ),
        (
            "post",
            "/api/v1/teams",
            "people",
            Admin,
            "Creates a team {name, description}.",
        ),
        (
            "get",
            "/api/v1/teams/{team}/workload",
            "people",
            Read,
            "Open cases per member against capacity (members of the team).",
        ),
        (
            "get",
            "/api/v1/cases",
            "cases",
            Read,
            "Cases on the caller's queues, most recent activity first.",
        ),
        (
            "post",
            "/api/v1/cases",
            "cases",
            Write,
            "Opens a case by hand {title, team, priority, tags, customer_id?, sla_policy?, assignee_id?}.",
        ),
        (
            "get",
            "/api/v1/cases/{id}",
            "cases",
            Read,
            "A case with posts, replies, hand-offs, SLA figures and timeline.",
        ),
        (
            "patch",
            "/api/v1/cases/{id}",
            "cases",
            Write,
            "Changes title, priority, tags; team and SLA policy need a lead.",
        ),
        (
            "post",
            "/api/v1/cases/{id}/take",
            "cases",
            Write,
            "The caller takes the case.",
        ),
        (
            "post",
            "/api/v1/cases/{id}/assign",
            "cases",
            Lead,
            "Assigns the case {user_id} to a team member, or unassigns it (null).",
        ),
        (
            "post",
            "/api/v1/cases/{id}/status",
            "cases",
            Write,
            "Moves the case {status, comment?}; pending_customer pauses the SLA clocks.",
        ),
        (
            "post",
            "/api/v1/cases/{id}/notes",
            "cases",
            Write,
            "Adds an internal note {body}.",
        ),
        (
            "get",
            "/api/v1/cases/{id}/timeline",
            "cases",
            Read,
            "Every event on the case, oldest first.",
        ),
        (
            "get",
            "/api/v1/cases/{id}/sla",
            "cases",
            Read,
            "SLA figures: targets, running clocks with due times, measured responses, met or breached.",
        ),
        (
            "post",
            "/api/v1/cases/{id}/replies",
            "replies",
            Write,
            "Queues a reply {body | template + variables, private?, handoff?, idempotency_key?}; it waits for approval when the policy says so.",
        ),
        (
            "post",
            "/api/v1/cases/{id}/handoff",
            "replies",
            Write,
            "A public reply inviting the customer to continue privately {body, handoff: direct_message|email|phone}.",
        ),
        (
            "get",
            "/api/v1/approvals",
            "replies",
            Read,
            "Replies awaiting approval on the caller's teams.",
        ),
        (
            "get",
            "/api/v1/replies/{id}",
            "replies",
            Read,
            "One reply with its delivery state.",
        ),
        (
            "post",
            "/api/v1/replies/{id}/approve",
            "replies",
            Lead,
            "Approves a waiting reply {comment?}.",
        ),
        (
            "post",
            "/api/v1/replies/{id}/reject",
            "replies",
            Lead,
            "Sends a waiting reply back to its author {comment}.",
        ),
        (
            "post",
            "/api/v1/replies/{id}/revise",
            "replies",
            Write,
            "Revises a sent-back reply {body}; it waits for approval again.",
        ),
        (
            "post",
            "/api/v1/replies/{id}/requeue",
            "replies",
            Lead,
            "Puts a rejected reply back in line for delivery.",
        ),
        (
            "get",
            "/api/v1/templates",
            "replies",
            Read,
            "Reply templates.",
        ),
        (
            "post",
            "/api/v1/templates",
            "replies",
            Lead,
            "Creates or replaces a template {name, body, team?} (minijinja syntax).",
        ),
        (
            "post",
            "/api/v1/templates/preview",
            "replies",
            Read,
            "Renders a template {name, variables}.",
        ),
        (
            "put",
            "/api/v1/templates/{name}",
            "replies",
            Lead,
            "Creates or replaces the named template {body, team?}.",
        ),
        (
            "get",
            "/api/v1/customers",
            "customers",
            Read,
            "Customers whose name or identity contains q.",
        ),
        (
            "post",
            "/api/v1/customers/merge",
            "customers",
            Lead,
            "Merges {merged_id} into {survivor_id}; undo with /merges/{id}/unmerge.",
        ),
        (
            "get",
            "/api/v1/customers/{id}",
            "customers",
            Read,
            "A customer with identities, posts and cases across channels.",
        ),
        (
            "post",
            "/api/v1/customers/{id}/identities",
            "customers",
            Write,
            "Adds an identity {kind, channel?, value, verified}; a verified email shared with another profile merges them, weaker evidence is suggested.",
        ),
        (
            "get",
            "/api/v1/customers/{id}/suggestions",
            "customers",
            Read,
            "Open link suggestions for a customer.",
        ),
        (
            "post",
            "/api/v1/merges/{id}/unmerge",
            "customers",
            Lead,
            "Undoes a merge, restoring both profiles exactly.",
        ),
        (
            "get",
            "/api/v1/voice",
            "voice",
            Read,
            "Agents' voice entries, newest first (team filter).",
        ),
        (
            "post",
            "/api/v1/voice",
            "voice",
            Write,
            "Logs a complaint, process glitch, feature request or helpful hint {kind, body, team?, post_id?, case_id?}.",
        ),
        (
            "get",
            "/api/v1/surveys",
            "surveys",
            Read,
            "CSAT/NPS responses (customer_id, case_id filters).",
        ),
        (
            "post",
            "/api/v1/surveys",
            "surveys",
            Lead,
            "Records a response {kind: csat|nps, score, case_id?, customer_id?, comment?, external_ref?}.",
        ),
        (
            "post",
            "/api/v1/surveys/import",
            "surveys",
            Lead,
            "Imports responses from CSV (header: kind,score,case_id,customer_id,comment,responded_at,external_ref).",
        ),
        (
            "get",
            "/api/v1/audit",
            "audit",
            Read,
            "The audit log (case_id, customer_id, actor_id, before_id, limit); case history for the case's team, the rest for leads, analysts and admins.",
        ),
    ];
    for (method, path, tag, access, summary) in ops.iter().copied() {
        let op = doc.op(method, path, tag, access, summary);
        match path {
            "/api/v1/cases" if method == "get" => {
                op.query("team", "team queue")
                    .query(
                        "status",
                        "new, open, pending_customer, pending_internal, resolved, closed",
                    )
                    .query("assignee_id", "assigned user")
                    .query("customer_id", "customer")
                    .query("unassigned", "true: only cases waiting for capacity")
                    .query("limit", "at most this many (default 200)");
            }
            "/api/v1/customers" => {
                op.query("q", "text in the name or an identity")
                    .query("limit", "at most this many");
            }
            "/api/v1/audit" => {
                op.query("case_id", "one case")
                    .query("customer_id", "one customer")
                    .query("actor_id", "changes by one user")
                    .query("before_id", "page backwards")
                    .query("limit", "at most this many (default 100)");
            }
            _ => {}
        }
    }
}
