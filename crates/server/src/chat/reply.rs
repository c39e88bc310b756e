//! Starting replies: a new message, regenerate, edit. Each settles everything that can fail
//! first — persona, model, channels, the session's run slot, the request — and only then
//! writes the session, the question and the answer row in one transaction, and starts the
//! run. A refused send writes nothing.

use std::sync::Arc;

use chrono::Utc;
use uuid::Uuid;

use super::personas;
use super::runner::{self, Job, Run, Slot};
use super::service::{branch_to, current_branch, session};
use super::store::{self, Message, Session, SessionWrite};
use super::titles;
use super::types::{ChatRequestBody, ChatResponseBody, MessageResponse, PersonaResponse};
use crate::auth::service::AuthContext;
use crate::error::{ApiError, ApiResult};
use crate::llm::{self, Channel, LlmError};
use crate::state::AppState;

/// Longest user message.
const MAX_MESSAGE_CHARS: usize = 100_000;

/// A reply that was started: the session, the question, the run.
pub struct Started {
    /// Session.
    pub session: Session,
    /// The user message.
    pub user_message: Message,
    /// The reply in progress.
    pub run: Arc<Run>,
}

impl Started {
    /// Waits for the run to end, then reads the stored reply.
    pub async fn finished(
        self,
        state: &AppState,
        actor: &AuthContext,
    ) -> ApiResult<ChatResponseBody> {
        use futures::StreamExt;
        // The run's events end with its last one: wait for that.
        self.run.clone().follow(0).for_each(|_| async {}).await;
        let assistant = store::get_message(&state.db.conn, actor.user.id, self.run.assistant_id)
            .await?
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("the reply vanished")))?;
        Ok(ChatResponseBody {
            session_id: self.session.id,
            user_message: MessageResponse::from(&self.user_message),
            assistant_message: MessageResponse::from(&assistant),
        })
    }
}

/// What a reply needs, settled before anything is written.
struct Settled {
    persona: Option<PersonaResponse>,
    model: String,
    channels: Vec<Channel>,
    slot: Slot,
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
    let names = llm::route::model_names(state, user_id).await?;
    names.into_iter().next().ok_or_else(|| {
        ApiError::field(
            "model",
            "no model is available: an admin must add a provider, or add your own under Settings → Provider keys",
        )
    })
}

/// Persona, model, channels and the run slot of session `session_id`, or the error.
async fn settle(
    state: &AppState,
    actor: &AuthContext,
    session_id: Uuid,
    existing: Option<&Session>,
    persona_id: Option<&str>,
    asked_model: Option<&str>,
) -> ApiResult<Settled> {
    let persona = match persona_id {
        Some(id) => Some(
            personas::find(state, actor.user.id, id, actor.user.language.as_deref())
                .await?
                .ok_or_else(|| ApiError::field("persona_id", "no such persona"))?,
        ),
        None => None,
    };
    let persona_model = persona.as_ref().and_then(|p| p.model.as_deref());
    let model = choose_model(state, actor.user.id, asked_model, existing, persona_model).await?;
    let channels = llm::route::channels(state, actor.user.id, &model)
        .await
        .map_err(|e| match e {
            LlmError::ModelNotFound(_) => {
                ApiError::field("model", format!("no provider serves the model {model:?}"))
            }
            other => ApiError::from(other),
        })?;
    let slot = runner::reserve(state, actor.user.id, session_id).ok_or_else(|| {
        ApiError::Conflict(
            "a reply is already being written in this session; stop it first".to_owned(),
        )
    })?;
    Ok(Settled {
        persona,
        model,
        channels,
        slot,
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

fn new_message(session: &Session, user_id: Uuid, parent_id: Option<Uuid>, role: &str) -> Message {
    let now = Utc::now();
    Message {
        id: Uuid::now_v7(),
        session_id: session.id,
        user_id,
        parent_id,
        role: role.to_owned(),
        content: String::new(),
        status: "complete".to_owned(),
        model: None,
        persona_id: session.persona_id.clone(),
        prompt_tokens: 0,
        completion_tokens: 0,
        error: None,
        created_at: now,
        updated_at: now,
        image_ids: None,
    }
}

fn question(
    session: &Session,
    user_id: Uuid,
    parent_id: Option<Uuid>,
    content: String,
    images: &[Uuid],
) -> ApiResult<Message> {
    let mut q = new_message(session, user_id, parent_id, "user");
    q.content = content;
    if !images.is_empty() {
        q.image_ids = Some(serde_json::to_string(images).map_err(anyhow::Error::from)?);
    }
    Ok(q)
}

/// `POST /api/llm/chat`: the question (and the session when new), then the reply.
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
    let session_id = existing.as_ref().map_or_else(Uuid::now_v7, |s| s.id);
    let persona_id = body
        .persona_id
        .clone()
        .or_else(|| existing.as_ref().and_then(|s| s.persona_id.clone()));
    let settled = settle(
        state,
        actor,
        session_id,
        existing.as_ref(),
        persona_id.as_deref(),
        body.model.as_deref(),
    )
    .await?;
    let now = Utc::now();
    let (session, write, all) = match existing {
        Some(mut s) => {
            let all = store::list_messages(&state.db.conn, s.id).await?;
            let changed = s.persona_id != persona_id || s.model.as_ref() != Some(&settled.model);
            s.persona_id = persona_id;
            s.model = Some(settled.model.clone());
            s.updated_at = now;
            let write = if changed {
                SessionWrite::Update
            } else {
                SessionWrite::Touch
            };
            (s, write, all)
        }
        None => {
            let s = Session {
                id: session_id,
                user_id: actor.user.id,
                title: titles::fallback(&body.message),
                title_auto: true,
                persona_id,
                model: Some(settled.model.clone()),
                system_prompt: None,
                params: "{}".to_owned(),
                tags: "[]".to_owned(),
                pinned: false,
                created_at: now,
                updated_at: now,
            };
            (s, SessionWrite::Insert, Vec::new())
        }
    };
    let mut branch = current_branch(&all);
    let parent = branch.last().map(|m| m.id);
    let q = question(&session, actor.user.id, parent, body.message, &images)?;
    branch.push(q.clone());
    begin(state, actor, session, write, Some(q), branch, settled).await
}

/// A new answer to the last question of the current branch (the old one stays reachable).
pub async fn regenerate(state: &AppState, actor: &AuthContext, id: Uuid) -> ApiResult<Started> {
    let session = session(state, actor, id).await?;
    let settled = settle(state, actor, id, Some(&session), None, None).await?;
    let all = store::list_messages(&state.db.conn, session.id).await?;
    let question = current_branch(&all)
        .into_iter()
        .rev()
        .find(|m| m.role == "user")
        .ok_or_else(|| ApiError::BadRequest("the session has no question to answer".to_owned()))?;
    // The context ends at the question (the new answer must not see the old one).
    let branch = branch_to(&all, &question);
    begin(
        state,
        actor,
        session,
        SessionWrite::Touch,
        None,
        branch,
        settled,
    )
    .await
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
    let settled = settle(state, actor, session.id, Some(&session), None, None).await?;
    let images: Vec<Uuid> = original
        .image_ids
        .as_deref()
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default();
    let all = store::list_messages(&state.db.conn, session.id).await?;
    let mut branch = match original
        .parent_id
        .and_then(|p| all.iter().find(|m| m.id == p))
    {
        Some(parent) => branch_to(&all, parent),
        None => Vec::new(),
    };
    let q = question(
        &session,
        actor.user.id,
        original.parent_id,
        content,
        &images,
    )?;
    branch.push(q.clone());
    begin(
        state,
        actor,
        session,
        SessionWrite::Touch,
        Some(q),
        branch,
        settled,
    )
    .await
}

/// Builds the request, writes session, question and answer row in one transaction, starts
/// the run. `branch` ends with the question answered.
async fn begin(
    state: &AppState,
    actor: &AuthContext,
    session: Session,
    write: SessionWrite,
    new_question: Option<Message>,
    branch: Vec<Message>,
    settled: Settled,
) -> ApiResult<Started> {
    let Settled {
        persona,
        model,
        channels,
        slot,
    } = settled;
    let question = branch
        .last()
        .cloned()
        .ok_or_else(|| ApiError::BadRequest("nothing to answer".to_owned()))?;
    // A regenerate or an edit reads the persona here (a new message settled it already).
    let persona = match (persona, &session.persona_id) {
        (Some(p), _) => Some(p),
        (None, Some(id)) => {
            personas::find(state, actor.user.id, id, actor.user.language.as_deref()).await?
        }
        (None, None) => None,
    };
    let user_turns = branch.iter().filter(|m| m.role == "user").count();
    let mut request =
        super::context::request(state, actor.user.id, &session, persona, branch, &channels).await?;
    let emotion_reading = session.persona_id.as_deref() == Some("emotion");
    if emotion_reading {
        request.response_format = Some(super::emotion::response_format());
    }
    // Limits and budgets answer before anything is written (a refusal is a 429, no rows).
    let role = crate::llm::meter::role_name(&actor.user.role);
    let caller = llm::Caller {
        user_id: Some(actor.user.id),
        api_key_id: None,
        source: llm::Source::Chat,
        role,
    };
    let admission = llm::admit(state, caller, &model, &request, true).await?;
    let mut assistant = new_message(&session, actor.user.id, Some(question.id), "assistant");
    assistant.id = slot.assistant_id();
    assistant.status = "streaming".to_owned();
    assistant.model = Some(model.clone());
    let session =
        match store::begin_reply(&state.db.conn, session, write, new_question, &assistant).await {
            Ok(s) => s,
            Err(e) => {
                // Nothing was written, no call will be made: the reservation goes back.
                llm::release(state, admission).await;
                return Err(e.into());
            }
        };
    let make_title = session.title_auto && user_turns == 1;
    let run = runner::start(
        state,
        slot,
        Job {
            request,
            model,
            channels,
            user_message_id: question.id,
            assistant,
            make_title,
            emotion_reading,
            role,
            admission,
        },
    );
    Ok(Started {
        session,
        user_message: question,
        run,
    })
}
