//! Conversation titles: the first words of the first message at once, then, after the first
//! answer, a short title the model writes in the conversation's language (in the background;
//! a title the user set is never replaced).

use llm_adapters::types::{ChatRequest, Message, Role};
use tracing::Instrument;
use uuid::Uuid;

use super::store;
use crate::llm::{self, Call, Caller, Channel};
use crate::state::AppState;

/// Longest title kept.
const MAX_TITLE: usize = 60;

/// The fallback title: the first words of the message, at most 40 characters.
pub fn fallback(message: &str) -> String {
    let words: Vec<&str> = message.split_whitespace().collect();
    let mut title = String::new();
    for w in words {
        if title.chars().count() + w.chars().count() + 1 > 40 {
            if title.is_empty() {
                title = w.chars().take(40).collect();
            }
            break;
        }
        if !title.is_empty() {
            title.push(' ');
        }
        title.push_str(w);
    }
    if title.is_empty() {
        "New chat".to_owned()
    } else {
        title
    }
}

/// Cleans a model-written title: first line, no quotes or trailing period, bounded.
pub fn clean(raw: &str) -> Option<String> {
    let line = raw.lines().map(str::trim).find(|l| !l.is_empty())?;
    // A model that answers in JSON (a structured persona, a confused model) wrote no title.
    if line.starts_with('{') || line.starts_with('[') {
        return None;
    }
    let line = line
        .trim_start_matches(|c: char| c == '#' || c.is_whitespace())
        .trim_start_matches("Title:")
        .trim()
        .trim_matches(|c: char| matches!(c, '"' | '\'' | '“' | '”' | '「' | '」' | '*'))
        .trim_end_matches(['.', '。'])
        .trim();
    let title: String = line.chars().take(MAX_TITLE).collect();
    (!title.is_empty()).then_some(title)
}

/// Asks the model for a title in the background.
pub fn spawn(
    state: &AppState,
    caller: Caller,
    session_id: Uuid,
    model: String,
    request: ChatRequest,
    answer: String,
    channels: Vec<Channel>,
) {
    let state = state.clone();
    let Some(user_id) = caller.user_id else {
        return;
    };
    let span = tracing::info_span!("title", %session_id);
    state.clone().tasks.spawn(
        async move {
            let prompt = prompt(&request, &answer);
            // A configured title model, if it is served, else the conversation's channels.
            let (model, channels) = match &state.config.chat_title_model {
                Some(title_model) => match llm::route::channels(&state, user_id, title_model).await
                {
                    Ok(found) => (title_model.clone(), found),
                    Err(_) => (model, channels),
                },
                None => (model, channels),
            };
            let call = Call::new(&state, caller, &model, channels, prompt);
            // A failed call leaves the fallback title (the pipeline logged and accounted it).
            let Ok(done) = llm::complete(&state, call).await else {
                return;
            };
            let Some(title) = clean(&done.response.content) else {
                return;
            };
            save(&state, user_id, session_id, title).await;
        }
        .instrument(span),
    );
}

/// The request asking for a title of the first exchange.
fn prompt(request: &ChatRequest, answer: &str) -> ChatRequest {
    let question = request
        .messages
        .iter()
        .rev()
        .find(|m| m.role == Role::User)
        .map(Message::joined_text)
        .unwrap_or_default();
    ChatRequest {
        model: String::new(),
        messages: vec![
            Message::text(
                Role::System,
                "Write a title of at most six words for the conversation below, in the \
                 language the user wrote in. Reply with the title only, without quotes.",
            ),
            Message::text(
                Role::User,
                format!(
                    "User: {}\n\nAssistant: {}",
                    question.chars().take(1000).collect::<String>(),
                    answer.chars().take(1000).collect::<String>()
                ),
            ),
        ],
        max_tokens: Some(24),
        temperature: Some(0.3),
        ..ChatRequest::default()
    }
}

/// Saves a generated title unless the user set one meanwhile.
async fn save(state: &AppState, user_id: Uuid, session_id: Uuid, title: String) {
    match store::get_session(&state.db.conn, user_id, session_id).await {
        Ok(Some(mut s)) if s.title_auto => {
            s.title = title;
            s.title_auto = false;
            if let Err(e) = store::update_session(&state.db.conn, s).await {
                tracing::warn!(error = %e, "saving a generated title failed");
            }
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "reading the session for its title failed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallback_takes_the_first_words() {
        assert_eq!(fallback("  hello   there fox "), "hello there fox");
        assert_eq!(fallback(""), "New chat");
        let long = "word ".repeat(30);
        assert!(fallback(&long).chars().count() <= 40);
        assert_eq!(fallback(&"x".repeat(100)).chars().count(), 40);
    }

    #[test]
    fn clean_strips_decoration() {
        assert_eq!(clean("\"Fox facts.\"\nmore").as_deref(), Some("Fox facts"));
        assert_eq!(clean("Title: 狐狸的故事。").as_deref(), Some("狐狸的故事"));
        assert_eq!(clean("  \n "), None);
        assert_eq!(clean("{\"emotions\": {}}"), None);
    }
}
