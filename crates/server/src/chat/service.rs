//! Chat rules: sessions and their branches, building the model's context (system prompt,
//! trimmed history), starting replies, regenerate and edit, stop, share and export.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::Utc;
use llm_adapters::types::{ChatRequest, ContentPart, Message as LlmMessage, Role};
use serde_json::{Value, json};
use uuid::Uuid;

use super::personas;
use super::runner::{self, Job, Run};
use super::store::{self, Message, Session, SessionFilter};
use super::titles;
use super::types::{
    ChatRequestBody, MessageResponse, Page, SessionResponse, ShareResponse, UpdateSessionBody,
};
use crate::auth::service::AuthContext;
use crate::error::{ApiError, ApiResult};
use crate::gateway::service::{channels_for_user, model_names_for_user};
use crate::state::AppState;

/// Tokens of history sent at most when the provider names no context window (the newest turns
/// are kept; the system prompt always).
pub const CONTEXT_TOKENS: u64 = 16_000;
/// Tokens kept free for the answer when the window is known.
const ANSWER_RESERVE: u64 = 1024;
/// Longest user message.
const MAX_MESSAGE_CHARS: usize = 100_000;

fn not_found() -> ApiError {
    ApiError::NotFound("no such session".to_owned())
}

/// The caller's session.
pub async fn session(state: &AppState, actor: &AuthContext, id: Uuid) -> ApiResult<Session> {
    store::get_session(&state.db.conn, actor.user.id, id)
        .await?
        .ok_or_else(not_found)
}

/// The branch shown: from the newest message back to the first, oldest first.
pub fn current_branch(all: &[Message]) -> Vec<Message> {
    match all.iter().max_by_key(|m| (m.created_at, m.id)) {
        Some(newest) => branch_to(all, newest),
        None => Vec::new(),
    }
}

/// The messages from the first one to `last` along the parent links, oldest first.
pub fn branch_to(all: &[Message], last: &Message) -> Vec<Message> {
    let by_id: HashMap<Uuid, &Message> = all.iter().map(|m| (m.id, m)).collect();
    let mut branch = vec![last.clone()];
    let mut cursor = last.parent_id;
    while let Some(id) = cursor {
        let Some(m) = by_id.get(&id) else { break };
        branch.push((*m).clone());
        cursor = m.parent_id;
        if branch.len() > all.len() {
            break; // a cycle cannot happen, but never loop forever
        }
    }
    branch.reverse();
    branch
}

/// The messages of the current branch, paged.
pub async fn messages(
    state: &AppState,
    actor: &AuthContext,
    session_id: Uuid,
    page: u64,
    per_page: u64,
) -> ApiResult<Page<MessageResponse>> {
    let s = session(state, actor, session_id).await?;
    let branch = current_branch(&store::list_messages(&state.db.conn, s.id).await?);
    let total = branch.len() as u64;
    let items = branch
        .iter()
        .skip(usize::try_from((page - 1) * per_page).unwrap_or(usize::MAX))
        .take(usize::try_from(per_page).unwrap_or(usize::MAX))
        .map(MessageResponse::from)
        .collect();
    Ok(Page {
        items,
        total,
        page,
        per_page,
    })
}

/// A page of the caller's sessions.
pub async fn list_sessions(
    state: &AppState,
    actor: &AuthContext,
    filter: SessionFilter,
    page: u64,
    per_page: u64,
) -> ApiResult<Page<SessionResponse>> {
    let (items, total) =
        store::list_sessions(&state.db.conn, actor.user.id, &filter, page, per_page).await?;
    Ok(Page {
        items: items.iter().map(SessionResponse::from).collect(),
        total,
        page,
        per_page,
    })
}

fn check_params(params: &Value) -> ApiResult<()> {
    let Some(obj) = params.as_object() else {
        return Err(ApiError::field("params", "must be an object"));
    };
    for (k, v) in obj {
        let ok = match k.as_str() {
            "temperature" => v.as_f64().is_some_and(|t| (0.0..=2.0).contains(&t)),
            "top_p" => v.as_f64().is_some_and(|t| (0.0..=1.0).contains(&t)),
            "max_tokens" => v.as_u64().is_some_and(|n| (1..=1_000_000).contains(&n)),
            _ => false,
        };
        if !ok && !v.is_null() {
            return Err(ApiError::field(
                format!("params.{k}"),
                "unknown or out of range (temperature 0–2, top_p 0–1, max_tokens ≥ 1)",
            ));
        }
    }
    Ok(())
}

/// Changes a session's settings.
pub async fn update_session(
    state: &AppState,
    actor: &AuthContext,
    id: Uuid,
    body: UpdateSessionBody,
) -> ApiResult<SessionResponse> {
    let mut s = session(state, actor, id).await?;
    if let Some(title) = body.title {
        let title = title.trim();
        if title.is_empty() || title.chars().count() > 200 || title.chars().any(char::is_control) {
            return Err(ApiError::field("title", "must be 1 to 200 characters"));
        }
        s.title = title.to_owned();
        s.title_auto = false;
    }
    if let Some(tags) = body.tags {
        let mut clean: Vec<String> = Vec::new();
        for (i, t) in tags.iter().enumerate() {
            let t = t.trim();
            if t.is_empty() || t.chars().count() > 32 || t.chars().any(char::is_control) {
                return Err(ApiError::field(
                    format!("tags[{i}]"),
                    "must be 1 to 32 characters",
                ));
            }
            if !clean.iter().any(|c| c == t) {
                clean.push(t.to_owned());
            }
        }
        if clean.len() > 20 {
            return Err(ApiError::field("tags", "at most 20 tags"));
        }
        s.tags = serde_json::to_string(&clean).map_err(anyhow::Error::from)?;
    }
    if let Some(p) = body.pinned {
        s.pinned = p;
    }
    if let Some(persona) = body.persona_id {
        if let Some(id) = &persona
            && personas::find(state, actor.user.id, id, None)
                .await?
                .is_none()
        {
            return Err(ApiError::field("persona_id", "no such persona"));
        }
        s.persona_id = persona;
    }
    if let Some(model) = body.model {
        s.model = model.map(|m| m.trim().to_owned()).filter(|m| !m.is_empty());
    }
    if let Some(prompt) = body.system_prompt {
        if prompt
            .as_deref()
            .is_some_and(|p| p.chars().count() > 20_000)
        {
            return Err(ApiError::field(
                "system_prompt",
                "must be at most 20000 characters",
            ));
        }
        s.system_prompt = prompt.filter(|p| !p.trim().is_empty());
    }
    if let Some(params) = body.params {
        check_params(&params)?;
        s.params = params.to_string();
    }
    s.updated_at = Utc::now();
    let s = store::update_session(&state.db.conn, s).await?;
    Ok(SessionResponse::from(&s))
}

/// Deletes a session with its messages (stopping a reply in progress).
pub async fn delete_session(state: &AppState, actor: &AuthContext, id: Uuid) -> ApiResult<()> {
    if let Some(run) = state.chat.runs.get(actor.user.id, id) {
        run.cancel.cancel();
    }
    if !store::delete_session(&state.db.conn, actor.user.id, id).await? {
        return Err(not_found());
    }
    Ok(())
}

/// A reply that was started: the session, the question, the run.
pub struct Started {
    /// Session.
    pub session: Session,
    /// The user message.
    pub user_message: Message,
    /// The reply in progress.
    pub run: Arc<Run>,
}

/// The model for a reply: asked for, the session's, the persona's, else the first available.
async fn choose_model(
    state: &AppState,
    user_id: Uuid,
    asked: Option<&str>,
    session: Option<&Session>,
    persona_model: Option<&str>,
) -> ApiResult<String> {
    if let Some(m) = asked
        .or(session.and_then(|s| s.model.as_deref()))
        .or(persona_model)
        .map(str::trim)
        .filter(|m| !m.is_empty())
    {
        return Ok(m.to_owned());
    }
    let names = model_names_for_user(state, user_id)
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!(e.message)))?;
    names.into_iter().next().ok_or_else(|| {
        ApiError::field(
            "model",
            "no model is available: an admin must add a provider, or add your own under Settings → Provider keys",
        )
    })
}

fn llm_role(m: &Message) -> Role {
    if m.role == "assistant" {
        Role::Assistant
    } else {
        Role::User
    }
}

/// The request for a reply: system prompt, then as many of the newest branch messages as fit
/// in [`CONTEXT_TOKENS`] (the last one — the question — always).
async fn build_request(
    state: &AppState,
    user_id: Uuid,
    system: Option<String>,
    branch: &[Message],
    params: &Value,
    window: Option<u32>,
) -> ApiResult<ChatRequest> {
    let tokenizer = &state.gateway.tokenizer;
    let reserve = params
        .get("max_tokens")
        .and_then(Value::as_u64)
        .unwrap_or(ANSWER_RESERVE);
    let mut budget = window.map_or(CONTEXT_TOKENS, |w| u64::from(w).saturating_sub(reserve));
    if let Some(s) = &system {
        budget = budget.saturating_sub(tokenizer.count(s));
    }
    let mut kept: Vec<LlmMessage> = Vec::new();
    for m in branch.iter().rev() {
        let usable = m.role == "user" || (!m.content.is_empty() && m.status != "error");
        if !usable {
            continue;
        }
        let cost = tokenizer.count(&m.content) + 4;
        if cost > budget && !kept.is_empty() {
            break;
        }
        budget = budget.saturating_sub(cost);
        let mut message = LlmMessage::text(llm_role(m), m.content.clone());
        let ids: Vec<Uuid> = m
            .image_ids
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or_default();
        for id in ids {
            // An image deleted since is left out rather than failing the reply.
            if let Some((_, url)) = crate::files::service::data_url(state, user_id, id).await? {
                message
                    .content
                    .push(ContentPart::Image { url, detail: None });
            }
        }
        kept.push(message);
    }
    kept.reverse();
    let mut messages = Vec::with_capacity(kept.len() + 1);
    if let Some(s) = system {
        messages.push(LlmMessage::text(Role::System, s));
    }
    messages.extend(kept);
    Ok(ChatRequest {
        messages,
        temperature: params.get("temperature").and_then(Value::as_f64),
        top_p: params.get("top_p").and_then(Value::as_f64),
        max_tokens: params
            .get("max_tokens")
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok()),
        stream: true,
        ..ChatRequest::default()
    })
}

/// Starts a reply to `question` (already stored) on the session's current branch.
async fn answer(
    state: &AppState,
    actor: &AuthContext,
    session: &Session,
    question: &Message,
    model: String,
) -> ApiResult<Arc<Run>> {
    let language = actor.user.language.as_deref();
    let persona = match &session.persona_id {
        Some(id) => personas::find(state, actor.user.id, id, language).await?,
        None => None,
    };
    let system = session
        .system_prompt
        .clone()
        .or_else(|| persona.as_ref().map(|p| p.system_prompt.clone()));
    let mut params = persona
        .as_ref()
        .map(|p| p.params.clone())
        .unwrap_or_else(|| json!({}));
    if let (Some(into), Ok(Value::Object(own))) = (
        params.as_object_mut(),
        serde_json::from_str::<Value>(&session.params),
    ) {
        into.extend(own);
    }
    let channels = channels_for_user(state, actor.user.id, &model)
        .await
        .map_err(|e| match e.status.as_u16() {
            404 => ApiError::field("model", format!("no provider serves the model {model:?}")),
            _ => ApiError::Unavailable(e.message),
        })?;
    let all = store::list_messages(&state.db.conn, session.id).await?;
    // The context ends at the question (a regenerated answer must not see the old one).
    let branch = branch_to(&all, question);
    // The smallest window among the channels that may answer: the history must fit any of them.
    let window = channels
        .iter()
        .filter_map(|c| c.defaults.context_window)
        .min();
    let mut request = build_request(state, actor.user.id, system, &branch, &params, window).await?;
    let emotion_reading = session.persona_id.as_deref() == Some("emotion");
    if emotion_reading {
        request.response_format = Some(super::emotion::response_format());
    }
    let now = Utc::now();
    let assistant = store::insert_message(
        &state.db.conn,
        Message {
            id: Uuid::now_v7(),
            session_id: session.id,
            user_id: actor.user.id,
            parent_id: Some(question.id),
            role: "assistant".to_owned(),
            content: String::new(),
            status: "streaming".to_owned(),
            model: Some(model.clone()),
            persona_id: session.persona_id.clone(),
            prompt_tokens: 0,
            completion_tokens: 0,
            error: None,
            created_at: now,
            updated_at: now,
            image_ids: None,
        },
    )
    .await?;
    let make_title = session.title_auto && branch.iter().filter(|m| m.role == "user").count() == 1;
    runner::start(
        state,
        Job {
            request,
            model,
            channels,
            user_message_id: question.id,
            assistant,
            make_title,
            emotion_reading,
        },
    )
    .ok_or_else(|| {
        ApiError::Conflict(
            "a reply is already being written in this session; stop it first".to_owned(),
        )
    })
}

fn check_message(text: &str) -> ApiResult<()> {
    if text.trim().is_empty() {
        return Err(ApiError::field("message", "must not be empty"));
    }
    if text.chars().count() > MAX_MESSAGE_CHARS {
        return Err(ApiError::field(
            "message",
            format!("must be at most {MAX_MESSAGE_CHARS} characters"),
        ));
    }
    Ok(())
}

async fn insert_user_message(
    state: &AppState,
    actor: &AuthContext,
    session: &Session,
    parent_id: Option<Uuid>,
    content: String,
    image_ids: &[Uuid],
) -> ApiResult<Message> {
    let now = Utc::now();
    Ok(store::insert_message(
        &state.db.conn,
        Message {
            id: Uuid::now_v7(),
            session_id: session.id,
            user_id: actor.user.id,
            parent_id,
            role: "user".to_owned(),
            content,
            status: "complete".to_owned(),
            model: None,
            persona_id: session.persona_id.clone(),
            prompt_tokens: 0,
            completion_tokens: 0,
            error: None,
            created_at: now,
            updated_at: now,
            image_ids: if image_ids.is_empty() {
                None
            } else {
                Some(serde_json::to_string(image_ids).map_err(anyhow::Error::from)?)
            },
        },
    )
    .await?)
}

/// `POST /api/llm/chat`: stores the question (and the session when new), starts the reply.
pub async fn chat(
    state: &AppState,
    actor: &AuthContext,
    body: ChatRequestBody,
) -> ApiResult<Started> {
    check_message(&body.message)?;
    let images = body.image_ids.clone().unwrap_or_default();
    if images.len() > 4 {
        return Err(ApiError::field("image_ids", "at most 4 images per message"));
    }
    for (i, id) in images.iter().enumerate() {
        if crate::files::service::get_owned(state, actor.user.id, *id)
            .await?
            .is_none()
        {
            return Err(ApiError::field(format!("image_ids[{i}]"), "no such image"));
        }
    }
    let existing = match body.session_id {
        Some(id) => Some(session(state, actor, id).await?),
        None => None,
    };
    if let Some(s) = &existing
        && state.chat.runs.get(actor.user.id, s.id).is_some()
    {
        return Err(ApiError::Conflict(
            "a reply is already being written in this session; stop it first".to_owned(),
        ));
    }
    let persona_id = body
        .persona_id
        .clone()
        .or_else(|| existing.as_ref().and_then(|s| s.persona_id.clone()));
    let persona = match &persona_id {
        Some(id) => Some(
            personas::find(state, actor.user.id, id, actor.user.language.as_deref())
                .await?
                .ok_or_else(|| ApiError::field("persona_id", "no such persona"))?,
        ),
        None => None,
    };
    let model = choose_model(
        state,
        actor.user.id,
        body.model.as_deref(),
        existing.as_ref(),
        persona.as_ref().and_then(|p| p.model.as_deref()),
    )
    .await?;
    let now = Utc::now();
    let mut session = match existing {
        Some(s) => s,
        None => {
            store::insert_session(
                &state.db.conn,
                Session {
                    id: Uuid::now_v7(),
                    user_id: actor.user.id,
                    title: titles::fallback(&body.message),
                    title_auto: true,
                    persona_id: persona_id.clone(),
                    model: Some(model.clone()),
                    system_prompt: None,
                    params: "{}".to_owned(),
                    tags: "[]".to_owned(),
                    pinned: false,
                    created_at: now,
                    updated_at: now,
                },
            )
            .await?
        }
    };
    if session.persona_id != persona_id || session.model.as_deref() != Some(model.as_str()) {
        session.persona_id = persona_id;
        session.model = Some(model.clone());
        session.updated_at = now;
        session = store::update_session(&state.db.conn, session).await?;
    }
    let branch = current_branch(&store::list_messages(&state.db.conn, session.id).await?);
    let parent = branch.last().map(|m| m.id);
    let question =
        insert_user_message(state, actor, &session, parent, body.message, &images).await?;
    let run = answer(state, actor, &session, &question, model).await?;
    Ok(Started {
        session,
        user_message: question,
        run,
    })
}

/// A new answer to the last question of the current branch (the old one stays).
pub async fn regenerate(state: &AppState, actor: &AuthContext, id: Uuid) -> ApiResult<Started> {
    let session = session(state, actor, id).await?;
    if state.chat.runs.get(actor.user.id, id).is_some() {
        return Err(ApiError::Conflict(
            "a reply is already being written; stop it first".to_owned(),
        ));
    }
    let branch = current_branch(&store::list_messages(&state.db.conn, session.id).await?);
    let question = branch
        .iter()
        .rev()
        .find(|m| m.role == "user")
        .cloned()
        .ok_or_else(|| ApiError::BadRequest("the session has no question to answer".to_owned()))?;
    let model = choose_model(state, actor.user.id, None, Some(&session), None).await?;
    // The new answer hangs off the question and, being the newest message, becomes the branch
    // shown; the old answer stays reachable through its id.
    let run = answer(state, actor, &session, &question, model).await?;
    Ok(Started {
        session,
        user_message: question,
        run,
    })
}

/// Edits a user message: a new message with the same parent, and a new answer.
pub async fn edit(
    state: &AppState,
    actor: &AuthContext,
    message_id: Uuid,
    content: String,
) -> ApiResult<Started> {
    check_message(&content)
        .map_err(|_| ApiError::field("content", "must be 1 to 100000 characters"))?;
    let original = store::get_message(&state.db.conn, actor.user.id, message_id)
        .await?
        .ok_or_else(|| ApiError::NotFound("no such message".to_owned()))?;
    if original.role != "user" {
        return Err(ApiError::BadRequest(
            "only your own messages can be edited".to_owned(),
        ));
    }
    let session = session(state, actor, original.session_id).await?;
    if state.chat.runs.get(actor.user.id, session.id).is_some() {
        return Err(ApiError::Conflict(
            "a reply is already being written; stop it first".to_owned(),
        ));
    }
    let images: Vec<Uuid> = original
        .image_ids
        .as_deref()
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default();
    let question =
        insert_user_message(state, actor, &session, original.parent_id, content, &images).await?;
    let model = choose_model(state, actor.user.id, None, Some(&session), None).await?;
    let run = answer(state, actor, &session, &question, model).await?;
    Ok(Started {
        session,
        user_message: question,
        run,
    })
}

/// Stops the reply in progress; `false` if none runs.
pub async fn stop(state: &AppState, actor: &AuthContext, id: Uuid) -> ApiResult<bool> {
    session(state, actor, id).await?;
    Ok(match state.chat.runs.get(actor.user.id, id) {
        Some(run) => {
            run.cancel.cancel();
            true
        }
        None => false,
    })
}

/// The transcript of the current branch for sharing and export.
async fn transcript(state: &AppState, session: &Session) -> ApiResult<Vec<Message>> {
    Ok(
        current_branch(&store::list_messages(&state.db.conn, session.id).await?)
            .into_iter()
            .filter(|m| m.role == "user" || !m.content.is_empty())
            .collect(),
    )
}

/// Creates (or replaces) the public link of a session: a snapshot of it now.
pub async fn share(state: &AppState, actor: &AuthContext, id: Uuid) -> ApiResult<ShareResponse> {
    let session = session(state, actor, id).await?;
    let messages = transcript(state, &session).await?;
    let now = Utc::now();
    let snapshot = json!({
        "title": session.title,
        "shared_at": now,
        "messages": messages.iter().map(|m| json!({
            "role": m.role, "content": m.content, "created_at": m.created_at,
        })).collect::<Vec<_>>(),
    });
    let token = crate::auth::tokens::random_token();
    store::put_share(
        &state.db.conn,
        store::shares::Model {
            token_hash: state.auth.keys.hash(&token),
            session_id: session.id,
            user_id: actor.user.id,
            snapshot: snapshot.to_string(),
            created_at: now,
        },
    )
    .await?;
    Ok(ShareResponse {
        url: format!("{}/s/{token}", state.config.base_url()),
        token,
    })
}

/// Revokes the public link.
pub async fn unshare(state: &AppState, actor: &AuthContext, id: Uuid) -> ApiResult<()> {
    session(state, actor, id).await?;
    if !store::delete_share(&state.db.conn, actor.user.id, id).await? {
        return Err(ApiError::NotFound("the session is not shared".to_owned()));
    }
    Ok(())
}

/// A shared snapshot by token.
pub async fn shared(state: &AppState, token: &str) -> ApiResult<Value> {
    let not_found = || ApiError::NotFound("this link was revoked or never existed".to_owned());
    if token.len() > 128 {
        return Err(not_found());
    }
    let share = store::get_share(&state.db.conn, &state.auth.keys.hash(token))
        .await?
        .ok_or_else(not_found)?;
    serde_json::from_str(&share.snapshot).map_err(|e| ApiError::Internal(e.into()))
}

/// A session as Markdown or JSON: `(file name, content type, body)`.
pub async fn export(
    state: &AppState,
    actor: &AuthContext,
    id: Uuid,
    format: &str,
) -> ApiResult<(String, &'static str, String)> {
    let session = session(state, actor, id).await?;
    let messages = transcript(state, &session).await?;
    let stem: String = session
        .title
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .trim_matches('-')
        .chars()
        .take(50)
        .collect();
    let stem = if stem.is_empty() {
        "chat".to_owned()
    } else {
        stem
    };
    match format {
        "md" => {
            let mut out = format!("# {}\n\n", session.title);
            for m in &messages {
                let who = if m.role == "user" {
                    "User"
                } else {
                    "Assistant"
                };
                out.push_str(&format!(
                    "## {who} ({})\n\n{}\n\n",
                    m.created_at.format("%Y-%m-%d %H:%M UTC"),
                    m.content
                ));
            }
            Ok((format!("{stem}.md"), "text/markdown; charset=utf-8", out))
        }
        "json" => {
            let body = json!({
                "session": SessionResponse::from(&session),
                "messages": messages.iter().map(MessageResponse::from).collect::<Vec<_>>(),
            });
            Ok((
                format!("{stem}.json"),
                "application/json",
                serde_json::to_string_pretty(&body).map_err(anyhow::Error::from)?,
            ))
        }
        _ => Err(ApiError::field("format", "must be md or json")),
    }
}
