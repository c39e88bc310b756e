//! Field rules of provider input: names, kinds, base URLs, keys, models, parameters. Pure
//! functions; each failure names the field.

use std::collections::BTreeMap;

use llm_adapters::types::ProviderKind;

use super::types::DefaultParams;
use crate::error::{ApiError, ApiResult};

/// A display name: trimmed, 1–64 characters, no control characters.
pub fn name(raw: &str) -> ApiResult<String> {
    crate::text::one_line("name", raw, 64)
}

/// A provider kind (`local` is kept for deployments: their providers are made with them).
pub fn kind(raw: &str) -> ApiResult<ProviderKind> {
    ProviderKind::parse(raw.trim())
        .filter(|k| *k != ProviderKind::Local)
        .ok_or_else(|| {
            let all: Vec<&str> = ProviderKind::ALL
                .iter()
                .filter(|k| **k != ProviderKind::Local)
                .map(|k| k.as_str())
                .collect();
            ApiError::field("kind", format!("must be one of {}", all.join(", ")))
        })
}

/// The base URL: the given one (http/https, no query or fragment, trailing `/` dropped) or
/// the kind's default.
pub fn base_url(kind: ProviderKind, raw: Option<&str>) -> ApiResult<String> {
    let raw = raw.map(str::trim).filter(|s| !s.is_empty());
    let Some(raw) = raw.or(kind.default_base_url()) else {
        return Err(ApiError::field(
            "base_url",
            format!("is required for {}", kind.as_str()),
        ));
    };
    let url = url::Url::parse(raw)
        .map_err(|e| ApiError::field("base_url", format!("is not a valid URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(ApiError::field(
            "base_url",
            "must be an http or https URL with a host",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ApiError::field(
            "base_url",
            "must not have a query or fragment",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ApiError::field(
            "base_url",
            "must not carry credentials; use the API key field",
        ));
    }
    if raw.len() > 512 {
        return Err(ApiError::field("base_url", "is longer than 512 characters"));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// `api-version`: required for Azure, else optional.
pub fn api_version(kind: ProviderKind, raw: Option<&str>) -> ApiResult<Option<String>> {
    let v = raw.map(str::trim).filter(|s| !s.is_empty());
    match v {
        None if kind == ProviderKind::AzureOpenai => Err(ApiError::field(
            "api_version",
            "is required for azure_openai (e.g. 2024-10-21)",
        )),
        Some(v)
            if v.len() > 32
                || !v
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.') =>
        {
            Err(ApiError::field(
                "api_version",
                "must be up to 32 letters, digits, '-' or '.'",
            ))
        }
        v => Ok(v.map(str::to_owned)),
    }
}

/// An API key: 1–1024 visible ASCII characters.
pub fn api_key(field: &str, raw: &str) -> ApiResult<String> {
    let key = raw.trim();
    if key.is_empty() || key.len() > 1024 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::field(
            field,
            "must be 1 to 1024 visible ASCII characters",
        ));
    }
    Ok(key.to_owned())
}

/// Model names: at most 1000, each 1–128 characters without control characters; trimmed and
/// deduplicated.
pub fn models(raw: &[String]) -> ApiResult<Vec<String>> {
    if raw.len() > 1000 {
        return Err(ApiError::field("models", "at most 1000 models"));
    }
    let mut out: Vec<String> = Vec::new();
    for (i, m) in raw.iter().enumerate() {
        let m = crate::text::one_line(format!("models[{i}]"), m, 128)?;
        if !out.contains(&m) {
            out.push(m);
        }
    }
    Ok(out)
}

/// Aliases: both sides 1–128 characters.
pub fn aliases(raw: &BTreeMap<String, String>) -> ApiResult<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for (alias, target) in raw {
        let (a, t) = (alias.trim(), target.trim());
        if a.is_empty() || a.len() > 128 || t.is_empty() || t.len() > 128 {
            return Err(ApiError::field(
                format!("model_aliases.{alias}"),
                "alias and model must be 1 to 128 characters",
            ));
        }
        out.insert(a.to_owned(), t.to_owned());
    }
    Ok(out)
}

/// Default parameters within the ranges providers accept.
pub fn default_params(p: &DefaultParams) -> ApiResult<()> {
    if let Some(t) = p.temperature
        && !(0.0..=2.0).contains(&t)
    {
        return Err(ApiError::field(
            "default_params.temperature",
            "must be between 0 and 2",
        ));
    }
    if let Some(t) = p.top_p
        && !(0.0..=1.0).contains(&t)
    {
        return Err(ApiError::field(
            "default_params.top_p",
            "must be between 0 and 1",
        ));
    }
    if p.context_window
        .is_some_and(|w| !(512..=10_000_000).contains(&w))
    {
        return Err(ApiError::field(
            "default_params.context_window",
            "must be between 512 and 10000000 tokens",
        ));
    }
    if p.max_tokens.is_some_and(|n| !(1..=10_000_000).contains(&n)) {
        return Err(ApiError::field(
            "default_params.max_tokens",
            "must be 1 to 10000000",
        ));
    }
    Ok(())
}

/// An integer within bounds.
pub fn int_in(field: &str, v: i32, min: i32, max: i32) -> ApiResult<i32> {
    if (min..=max).contains(&v) {
        Ok(v)
    } else {
        Err(ApiError::field(
            field,
            format!("must be between {min} and {max}"),
        ))
    }
}

/// The masked form of a key: `sk-…a1b2` (first three and last four characters); keys of 12
/// characters or fewer show only their last two.
pub fn hint(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    let tail = |k: usize| -> String { chars.iter().skip(chars.len().saturating_sub(k)).collect() };
    if chars.len() <= 12 {
        return format!("…{}", tail(2));
    }
    let head: String = chars.iter().take(3).collect();
    format!("{head}…{}", tail(4))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_show_only_the_ends() {
        assert_eq!(hint("sk-abcdefghijklmnopa1b2"), "sk-…a1b2");
        assert_eq!(hint("short-key1"), "…y1");
        assert_eq!(hint(""), "…");
    }

    #[test]
    fn base_urls_default_by_kind_and_are_normalised() {
        assert_eq!(
            base_url(ProviderKind::Openai, None).unwrap(),
            "https://api.openai.com/v1"
        );
        assert_eq!(
            base_url(ProviderKind::OpenaiCompatible, Some(" http://h:8000/v1/ ")).unwrap(),
            "http://h:8000/v1"
        );
        assert!(base_url(ProviderKind::AzureOpenai, None).is_err());
        assert!(base_url(ProviderKind::Openai, Some("ftp://x")).is_err());
        assert!(base_url(ProviderKind::Openai, Some("http://u:p@x")).is_err());
        assert!(base_url(ProviderKind::Openai, Some("http://x/?a=1")).is_err());
    }

    #[test]
    fn azure_needs_an_api_version() {
        assert!(api_version(ProviderKind::AzureOpenai, None).is_err());
        assert_eq!(
            api_version(ProviderKind::AzureOpenai, Some("2024-10-21")).unwrap(),
            Some("2024-10-21".to_owned())
        );
        assert!(api_version(ProviderKind::Openai, Some("bad version")).is_err());
    }

    #[test]
    fn models_are_trimmed_and_deduplicated() {
        let m = models(&[" a ".into(), "a".into(), "b".into()]).unwrap();
        assert_eq!(m, vec!["a", "b"]);
        assert!(models(&[" ".into()]).is_err());
    }
}
