//! Emotion reading (seed 000's DeepFace + vision feature): the `emotion` persona asks a vision
//! model for structured output — the seven basic emotions with scores, the dominant one,
//! whether a face was found, notable objects — in the provider's JSON-schema mode, and every
//! answer is checked against the same schema before it counts as complete.

use llm_adapters::types::ResponseFormat;
use serde_json::{Value, json};

/// The seven basic emotions, in the order the UI charts them.
pub const EMOTIONS: [&str; 7] = [
    "happy",
    "sad",
    "angry",
    "fearful",
    "surprised",
    "disgusted",
    "neutral",
];

/// The JSON schema of an emotion reading.
pub fn schema() -> Value {
    let scores: serde_json::Map<String, Value> = EMOTIONS
        .iter()
        .map(|e| {
            (
                (*e).to_owned(),
                json!({"type": "number", "minimum": 0, "maximum": 1}),
            )
        })
        .collect();
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["emotions", "dominant", "face_detected", "objects"],
        "properties": {
            "emotions": {
                "type": "object",
                "additionalProperties": false,
                "required": EMOTIONS,
                "properties": scores,
            },
            "dominant": {"type": "string", "enum": EMOTIONS},
            "face_detected": {"type": "boolean"},
            "objects": {"type": "array", "items": {"type": "string"}, "maxItems": 20},
        },
    })
}

/// The response format asked of the provider.
pub fn response_format() -> ResponseFormat {
    ResponseFormat::JsonSchema {
        name: "emotion_reading".to_owned(),
        schema: schema(),
        strict: true,
    }
}

/// Checks an answer against [`schema`] (written out: the schema is fixed and small).
pub fn validate(text: &str) -> Result<(), String> {
    let v: Value = serde_json::from_str(text.trim()).map_err(|e| format!("not JSON: {e}"))?;
    let obj = v.as_object().ok_or("not an object")?;
    for key in obj.keys() {
        if !["emotions", "dominant", "face_detected", "objects"].contains(&key.as_str()) {
            return Err(format!("unexpected field {key:?}"));
        }
    }
    let emotions = obj
        .get("emotions")
        .and_then(Value::as_object)
        .ok_or("emotions must be an object")?;
    for e in EMOTIONS {
        let score = emotions
            .get(e)
            .and_then(Value::as_f64)
            .ok_or_else(|| format!("emotions.{e} must be a number"))?;
        if !(0.0..=1.0).contains(&score) {
            return Err(format!("emotions.{e} must be between 0 and 1"));
        }
    }
    if emotions.len() != EMOTIONS.len() {
        return Err("emotions has unexpected fields".to_owned());
    }
    let dominant = obj
        .get("dominant")
        .and_then(Value::as_str)
        .ok_or("dominant must be a string")?;
    if !EMOTIONS.contains(&dominant) {
        return Err(format!(
            "dominant {dominant:?} is not one of the seven emotions"
        ));
    }
    if !obj.get("face_detected").is_some_and(Value::is_boolean) {
        return Err("face_detected must be true or false".to_owned());
    }
    let objects = obj
        .get("objects")
        .and_then(Value::as_array)
        .ok_or("objects must be an array")?;
    if objects.len() > 20 || !objects.iter().all(Value::is_string) {
        return Err("objects must be up to 20 strings".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    pub const SAMPLE: &str = r#"{"emotions":{"happy":0.8,"sad":0.02,"angry":0.01,"fearful":0.01,"surprised":0.1,"disgusted":0.01,"neutral":0.05},"dominant":"happy","face_detected":true,"objects":["cake","candles"]}"#;

    #[test]
    fn a_full_reading_passes_and_broken_ones_are_named() {
        assert_eq!(validate(SAMPLE), Ok(()));
        assert!(validate("not json").unwrap_err().starts_with("not JSON"));
        let bad = SAMPLE.replace("\"happy\":0.8", "\"happy\":1.8");
        assert!(validate(&bad).unwrap_err().contains("emotions.happy"));
        let bad = SAMPLE.replace("\"dominant\":\"happy\"", "\"dominant\":\"bored\"");
        assert!(validate(&bad).unwrap_err().contains("bored"));
        let bad = SAMPLE.replace(",\"objects\":[\"cake\",\"candles\"]", "");
        assert!(validate(&bad).is_err());
        assert_eq!(
            schema()["properties"]["emotions"]["required"]
                .as_array()
                .unwrap()
                .len(),
            7
        );
    }
}
