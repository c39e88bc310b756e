//! From a request to a job: the messages checked and rendered through the chat template, the
//! prompt tokenized, the sampling options checked, and the context limit enforced with a 400
//! that gives the numbers.

use crate::api::{ApiError, ChatMessage, Content, Sampling, Stop};
use crate::scheduler::Params;
use crate::template::Message;

/// Default temperature (as llama.cpp and Ollama default).
const DEFAULT_TEMPERATURE: f64 = 0.8;

/// The messages as the template wants them.
pub fn messages(input: &[ChatMessage]) -> Result<Vec<Message>, ApiError> {
    if input.is_empty() {
        return Err(ApiError::bad(
            "invalid_messages",
            "messages must not be empty",
        ));
    }
    input
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let role = match m.role.as_str() {
                "system" | "developer" => "system",
                "user" => "user",
                "assistant" => "assistant",
                other => {
                    return Err(ApiError::bad(
                        "invalid_role",
                        format!("messages[{i}].role `{other}` is not system, user or assistant"),
                    ));
                }
            };
            let content = match &m.content {
                None => String::new(),
                Some(Content::Text(t)) => t.clone(),
                Some(Content::Parts(parts)) => {
                    let mut text = String::new();
                    for part in parts {
                        match part["type"].as_str() {
                            Some("text") => {
                                text.push_str(part["text"].as_str().unwrap_or_default())
                            }
                            kind => {
                                return Err(ApiError::bad(
                                    "unsupported_content",
                                    format!(
                                        "messages[{i}] has a `{}` part; this model reads text only",
                                        kind.unwrap_or("untyped")
                                    ),
                                ));
                            }
                        }
                    }
                    text
                }
            };
            Ok(Message {
                role: role.to_owned(),
                content,
            })
        })
        .collect()
}

/// The sampling options checked, with the context limit applied to `prompt_tokens`.
pub fn params(s: &Sampling, prompt_tokens: usize, context: usize) -> Result<Params, ApiError> {
    let temperature = s.temperature.unwrap_or(DEFAULT_TEMPERATURE);
    if !(0.0..=2.0).contains(&temperature) {
        return Err(ApiError::bad(
            "invalid_temperature",
            "temperature must be between 0 and 2",
        ));
    }
    if let Some(p) = s.top_p
        && !(p > 0.0 && p <= 1.0)
    {
        return Err(ApiError::bad(
            "invalid_top_p",
            "top_p must be above 0 and at most 1",
        ));
    }
    if s.top_k == Some(0) {
        return Err(ApiError::bad("invalid_top_k", "top_k must be at least 1"));
    }
    let stops = match &s.stop {
        None => Vec::new(),
        Some(Stop::One(one)) => vec![one.clone()],
        Some(Stop::Many(many)) => many.clone(),
    };
    if stops.len() > 4 {
        return Err(ApiError::bad(
            "invalid_stop",
            "stop takes at most 4 strings",
        ));
    }
    if prompt_tokens >= context {
        return Err(ApiError::bad(
            "context_length_exceeded",
            format!(
                "the prompt has {prompt_tokens} tokens; this model's context is {context} tokens"
            ),
        ));
    }
    let room = context - prompt_tokens;
    let max_tokens = match s.max_completion_tokens.or(s.max_tokens) {
        Some(0) => {
            return Err(ApiError::bad(
                "invalid_max_tokens",
                "max_tokens must be at least 1",
            ));
        }
        Some(n) if n > room => {
            return Err(ApiError::bad(
                "context_length_exceeded",
                format!(
                    "the prompt has {prompt_tokens} tokens and max_tokens asks for {n}; this \
                     model's context is {context} tokens, so at most {room} can be generated"
                ),
            ));
        }
        Some(n) => n,
        None => room,
    };
    Ok(Params {
        max_tokens,
        temperature,
        top_p: s.top_p,
        top_k: s.top_k,
        seed: s
            .seed
            .unwrap_or_else(|| uuid::Uuid::new_v4().as_u64_pair().0),
        stops,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_context_limit_and_bad_options_are_400s_with_the_numbers() {
        let s = Sampling::default();
        assert_eq!(params(&s, 10, 100).unwrap().max_tokens, 90);
        let err = params(&s, 100, 100).unwrap_err();
        assert_eq!(err.code, "context_length_exceeded");
        assert!(err.message.contains("100 tokens"), "{}", err.message);
        let asks = Sampling {
            max_tokens: Some(95),
            ..Sampling::default()
        };
        assert!(
            params(&asks, 10, 100)
                .unwrap_err()
                .message
                .contains("at most 90")
        );
        let hot = Sampling {
            temperature: Some(3.0),
            ..Sampling::default()
        };
        assert_eq!(
            params(&hot, 1, 100).unwrap_err().code,
            "invalid_temperature"
        );
        let many = Sampling {
            stop: Some(Stop::Many(vec!["a".into(); 5])),
            ..Sampling::default()
        };
        assert_eq!(params(&many, 1, 100).unwrap_err().code, "invalid_stop");
    }

    #[test]
    fn roles_and_parts_are_checked() {
        let m = |role: &str, content: Content| ChatMessage {
            role: role.into(),
            content: Some(content),
        };
        let parts = Content::Parts(vec![serde_json::json!({"type": "text", "text": "Hi"})]);
        assert_eq!(
            messages(&[m("developer", parts)]).unwrap()[0].role,
            "system"
        );
        let image = Content::Parts(vec![serde_json::json!({"type": "image_url"})]);
        assert_eq!(
            messages(&[m("user", image)]).unwrap_err().code,
            "unsupported_content"
        );
        assert_eq!(
            messages(&[m("tool", Content::Text("x".into()))])
                .unwrap_err()
                .code,
            "invalid_role"
        );
        assert_eq!(messages(&[]).unwrap_err().code, "invalid_messages");
    }
}
