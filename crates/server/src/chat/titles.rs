//! Conversation titles: the first words of the first message at once, then, after the first
//! answer, a short title the model writes in the conversation's language (in the background;
//! a title the user set is never replaced).

use llm_adapters::types::{ChatRequest, Message, Role};
use uuid::Uuid;

use super::store;
use crate::gateway::routing::Channel;
use crate::gateway::service::with_failover;
use crate::gateway::upstream;
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
    user_id: Uuid,
    session_id: Uuid,
    request: ChatRequest,
    answer: String,
    channels: Vec<Channel>,
) {
    let state = state.clone();
    let cancel = state.shutdown.clone();
    state.clone().tasks.spawn(async move {
        let question = request
            .messages
            .iter()
            .rev()
            .find(|m| m.role == Role::User)
            .map(Message::joined_text)
            .unwrap_or_default();
        let prompt = ChatRequest {
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
        };
        // A configured title model, if it is served, else the conversation's channels.
        let channels = match &state.config.chat_title_model {
            Some(model) => crate::gateway::service::channels_for_user(&state, user_id, model)
                .await
                .unwrap_or(channels),
            None => channels,
        };
        let call = with_failover(&state, &channels, |ch| {
            let mut req = prompt.clone();
            req.model = ch.upstream_model.clone();
            let state = &state;
            async move { upstream::chat_once(state, &ch.target, &req).await }
        });
        let outcome = tokio::select! {
            r = call => r,
            () = cancel.cancelled() => return,
        };
        let Ok((res, _)) = outcome else {
            return; // the fallback title stays
        };
        let Some(title) = clean(&res.content) else {
            return;
        };
        match store::get_session(&state.db.conn, user_id, session_id).await {
            Ok(Some(mut s)) if s.title_auto => {
                s.title = title;
                s.title_auto = false;
                if let Err(e) = store::update_session(&state.db.conn, s).await {
                    tracing::warn!(error = %e, "saving a generated title failed");
                }
            }
            _ => {}
        }
    });
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
