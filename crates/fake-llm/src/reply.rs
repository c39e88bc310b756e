//! The format-neutral answer: what the prompt contained, the reply text split into stream
//! pieces, the optional tool call and the usage figures.

use serde_json::Value;

use crate::config::{Behaviour, FakeConfig};

/// Prompt tokens counted for each image.
pub(crate) const IMAGE_TOKENS: u64 = 85;

/// What a chat request asked, as far as the fake cares.
#[derive(Debug, Default)]
pub(crate) struct Prompt {
    /// Text of every message (and the system prompt).
    pub(crate) texts: Vec<String>,
    /// Images attached anywhere in the request.
    pub(crate) images: u64,
    /// Text of the last user message.
    pub(crate) last_user: String,
    /// Output cap asked for (`max_tokens` and the like).
    pub(crate) max_tokens: Option<u64>,
    /// Whether the answer is to be streamed.
    pub(crate) stream: bool,
}

impl Prompt {
    /// Words of all text plus the image allowance.
    pub(crate) fn tokens(&self) -> u64 {
        self.texts.iter().map(|t| word_count(t)).sum::<u64>() + self.images * IMAGE_TOKENS
    }
}

/// Why the answer ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Finish {
    /// Natural end.
    Stop,
    /// Cut by the request's output cap.
    Length,
    /// Ended by a tool call.
    Tool,
}

/// The tool call to answer with.
#[derive(Clone, Debug)]
pub(crate) struct ToolCall {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) arguments: Value,
}

/// Usage figures to report.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Usage {
    pub(crate) prompt: u64,
    pub(crate) completion: u64,
    pub(crate) cached: u64,
}

/// The answer to one chat request.
#[derive(Clone, Debug)]
pub(crate) struct Reply {
    pub(crate) id: String,
    pub(crate) model: String,
    /// Unix seconds.
    pub(crate) created: u64,
    /// The whole text (empty for a tool call).
    pub(crate) text: String,
    /// The text in stream chunks; concatenated they give `text`.
    pub(crate) chunks: Vec<String>,
    pub(crate) tool_call: Option<ToolCall>,
    /// `None` when usage is not reported.
    pub(crate) usage: Option<Usage>,
    pub(crate) finish: Finish,
}

impl Reply {
    /// Builds the answer for a prompt under these defaults and this behaviour.
    pub(crate) fn build(
        config: &FakeConfig,
        prompt: &Prompt,
        behaviour: &Behaviour,
        id: String,
        tool_id: String,
        model: String,
    ) -> Self {
        let (text, chunks, tool_call, finish) = match behaviour {
            Behaviour::ToolCall { name, arguments } => {
                let call = ToolCall {
                    id: tool_id,
                    name: name.clone(),
                    arguments: arguments.clone(),
                };
                (String::new(), Vec::new(), Some(call), Finish::Tool)
            }
            _ => {
                let full = config
                    .reply
                    .clone()
                    .unwrap_or_else(|| format!("Hello! You said: {}", prompt.last_user));
                let mut words = pieces(full.trim_end());
                let mut finish = Finish::Stop;
                if let Some(cap) = prompt.max_tokens.and_then(|m| usize::try_from(m).ok())
                    && words.len() > cap
                {
                    words.truncate(cap);
                    finish = Finish::Length;
                }
                let chunks: Vec<String> = words
                    .chunks(config.chunk_words.max(1))
                    .map(|group| group.concat())
                    .collect();
                (chunks.concat(), chunks, None, finish)
            }
        };
        let completion = match &tool_call {
            Some(call) => 1 + word_count(&call.arguments.to_string()),
            None => word_count(&text),
        };
        let usage = config.report_usage.then(|| Usage {
            prompt: config.prompt_tokens.unwrap_or_else(|| prompt.tokens()),
            completion: config.completion_tokens.unwrap_or(completion),
            cached: config.cached_tokens,
        });
        Self {
            id,
            model,
            created: unix_now(),
            text,
            chunks,
            tool_call,
            usage,
            finish,
        }
    }

    /// Pieces cycled by an endless stream (never empty).
    pub(crate) fn endless_pieces(&self) -> Vec<String> {
        let mut pieces = pieces(&self.text);
        if let Some(first) = pieces.first_mut()
            && !first.starts_with(char::is_whitespace)
        {
            first.insert(0, ' ');
        }
        if pieces.is_empty() {
            pieces.push(" tick".to_owned());
        }
        pieces
    }
}

/// Whitespace-separated words.
pub(crate) fn word_count(text: &str) -> u64 {
    text.split_whitespace().count() as u64
}

/// Splits text into words, each carrying the whitespace before it, so the pieces concatenate to
/// the original text.
pub(crate) fn pieces(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut in_word = false;
    for c in text.chars() {
        let space = c.is_whitespace();
        if space && in_word {
            out.push(std::mem::take(&mut current));
        }
        in_word = !space;
        current.push(c);
    }
    if !current.is_empty() {
        match out.last_mut() {
            Some(last) if current.trim().is_empty() => last.push_str(&current),
            _ => out.push(current),
        }
    }
    out
}

/// Seconds since the Unix epoch.
pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_concatenate_to_the_text() {
        let text = "Hello!  You\nsaid: hi ";
        let p = pieces(text);
        assert_eq!(p, vec!["Hello!", "  You", "\nsaid:", " hi "]);
        assert_eq!(p.concat(), text);
        assert!(pieces("").is_empty());
        assert_eq!(pieces("  lead"), vec!["  lead"]);
    }

    #[test]
    fn max_tokens_truncates_and_sets_length() {
        let prompt = Prompt {
            last_user: "a b c d".into(),
            max_tokens: Some(3),
            ..Prompt::default()
        };
        let config = FakeConfig {
            chunk_words: 2,
            ..FakeConfig::default()
        };
        let r = Reply::build(
            &config,
            &prompt,
            &Behaviour::Ok,
            "i".into(),
            "t".into(),
            "m".into(),
        );
        assert_eq!(r.text, "Hello! You said:");
        assert_eq!(r.chunks, vec!["Hello! You", " said:"]);
        assert_eq!(r.finish, Finish::Length);
        assert_eq!(r.usage.map(|u| u.completion), Some(3));
    }

    #[test]
    fn prompt_tokens_count_words_and_images() {
        let prompt = Prompt {
            texts: vec!["one two".into(), "three".into()],
            images: 2,
            ..Prompt::default()
        };
        assert_eq!(prompt.tokens(), 3 + 2 * IMAGE_TOKENS);
    }
}
