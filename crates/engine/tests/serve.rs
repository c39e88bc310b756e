//! The engine served for real on loopback: a tiny random-weight GGUF (and SmolLM2-135M, the
//! real model the test set-up installs) answering `/v1/chat/completions` and
//! `/v1/completions`, streamed and not, with exact usage; the context limit, bad options and a
//! wrong key refused; two streams making progress together; a client that leaves freeing its
//! slot; models the engine cannot serve refused with the reason.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]
#![expect(
    clippy::disallowed_methods,
    reason = "tests spawn their servers without a tracker"
)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use llm_engine::tiny::Tiny;
use llm_engine::{Engine, LoadError, Options};
use serde_json::{Value, json};

struct Served {
    base: String,
    _dir: tempfile::TempDir,
    stop: tokio_util::sync::CancellationToken,
}

impl Drop for Served {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

fn options(path: &Path, parallel: usize) -> Options {
    Options {
        model: path.to_path_buf(),
        model_id: Some("tiny".into()),
        parallel,
        context_length: None,
        api_key: Some("k-1".into()),
    }
}

fn tiny_file(tiny: &Tiny) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tiny.gguf");
    tiny.write_file(&path).unwrap();
    (dir, path)
}

async fn serve(dir: tempfile::TempDir, options: Options) -> Served {
    let engine = tokio::task::spawn_blocking(move || Engine::load(&options))
        .await
        .unwrap()
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let stop = tokio_util::sync::CancellationToken::new();
    let token = stop.clone();
    tokio::spawn(llm_engine::serve(engine, listener, async move {
        token.cancelled().await
    }));
    Served {
        base,
        _dir: dir,
        stop,
    }
}

async fn tiny(parallel: usize, t: Tiny) -> Served {
    let (dir, path) = tiny_file(&t);
    serve(dir, options(&path, parallel)).await
}

async fn post(base: &str, path: &str, body: Value) -> (u16, Value) {
    let res = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .bearer_auth("k-1")
        .json(&body)
        .send()
        .await
        .unwrap();
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

/// The `data:` payloads of an SSE answer.
async fn sse(res: reqwest::Response) -> Vec<String> {
    let text = res.text().await.unwrap();
    text.lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn chat_and_completions_answer_with_exact_usage_streamed_or_not() {
    let s = tiny(
        2,
        Tiny {
            chatml_tokens: false,
            ..Tiny::default()
        },
    )
    .await;
    let (status, body) = post(&s.base, "/v1/chat/completions", json!({"model": "tiny", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 7, "temperature": 0})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["object"], "chat.completion");
    assert_eq!(body["choices"][0]["finish_reason"], "length");
    assert_eq!(body["usage"]["completion_tokens"], 7);
    // ChatML around "Hi", one byte-level token per byte (the vocabulary has no merges).
    let prompt = "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n";
    assert_eq!(body["usage"]["prompt_tokens"], prompt.len());
    assert_eq!(body["usage"]["total_tokens"], prompt.len() + 7);
    // Greedy is reproducible.
    let (_, again) = post(
        &s.base,
        "/v1/chat/completions",
        json!({"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 7, "temperature": 0}),
    )
    .await;
    assert_eq!(
        again["choices"][0]["message"]["content"],
        body["choices"][0]["message"]["content"]
    );

    let res = reqwest::Client::new().post(format!("{}/v1/chat/completions", s.base)).bearer_auth("k-1")
        .json(&json!({"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 5, "stream": true, "stream_options": {"include_usage": true}, "temperature": 0}))
        .send().await.unwrap();
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    let data = sse(res).await;
    assert_eq!(data.last().map(String::as_str), Some("[DONE]"));
    let chunks: Vec<Value> = data[..data.len() - 1]
        .iter()
        .map(|d| serde_json::from_str(d).unwrap())
        .collect();
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    let text: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    let (_, whole) = post(
        &s.base,
        "/v1/chat/completions",
        json!({"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 5, "temperature": 0}),
    )
    .await;
    assert_eq!(
        text,
        whole["choices"][0]["message"]["content"].as_str().unwrap()
    );
    let usage = chunks.last().unwrap();
    assert_eq!(usage["choices"], json!([]));
    assert_eq!(
        (
            usage["usage"]["prompt_tokens"].as_u64(),
            usage["usage"]["completion_tokens"].as_u64()
        ),
        (Some(prompt.len() as u64), Some(5))
    );
    assert_eq!(
        chunks[chunks.len() - 2]["choices"][0]["finish_reason"],
        "length"
    );

    let (status, text) = post(&s.base, "/v1/completions", json!({"prompt": "abc", "max_tokens": 3, "temperature": 0.7, "top_p": 0.9, "top_k": 20, "seed": 7})).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(text["object"], "text_completion");
    assert_eq!(
        (
            text["usage"]["prompt_tokens"].as_u64(),
            text["usage"]["completion_tokens"].as_u64()
        ),
        (Some(3), Some(3))
    );
    let (_, models) = reqwest::Client::new()
        .get(format!("{}/v1/models", s.base))
        .bearer_auth("k-1")
        .send()
        .await
        .map(|r| (0, r))
        .unwrap();
    let models: Value = models.json().await.unwrap();
    assert_eq!(
        (
            models["data"][0]["id"].as_str(),
            models["data"][0]["context_length"].as_u64()
        ),
        (Some("tiny"), Some(256))
    );
    let health: Value = reqwest::get(format!("{}/health", s.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
}

#[tokio::test]
async fn the_context_limit_bad_options_and_a_wrong_key_are_refused_clearly() {
    let s = tiny(
        1,
        Tiny {
            context_length: 64,
            ..Tiny::default()
        },
    )
    .await;
    let long = "x".repeat(80);
    let (status, body) = post(&s.base, "/v1/completions", json!({"prompt": long})).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "context_length_exceeded");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("80 tokens"),
        "{body}"
    );
    let (status, body) = post(
        &s.base,
        "/v1/completions",
        json!({"prompt": "ab", "max_tokens": 63}),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("context_length_exceeded")),
        "{body}"
    );
    for (bad, code) in [
        (json!({"messages": []}), "invalid_messages"),
        (
            json!({"messages": [{"role": "user", "content": "x"}], "temperature": 9}),
            "invalid_temperature",
        ),
        (
            json!({"messages": [{"role": "user", "content": [{"type": "image_url"}]}]}),
            "unsupported_content",
        ),
        (json!({"messages": "nope"}), "invalid_request"),
    ] {
        let (status, body) = post(&s.base, "/v1/chat/completions", bad).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (400, Some(code)),
            "{body}"
        );
    }
    let res = reqwest::Client::new()
        .post(format!("{}/v1/completions", s.base))
        .bearer_auth("wrong")
        .json(&json!({"prompt": "a"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let res = reqwest::Client::new()
        .get(format!("{}/v1/models", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

async fn first_text(res: &mut reqwest::Response) -> String {
    loop {
        let chunk = res
            .chunk()
            .await
            .unwrap()
            .expect("the stream ended before any text");
        let text = String::from_utf8_lossy(&chunk).into_owned();
        if text.contains("\"content\":\"") && !text.contains("\"content\":\"\"")
            || text.contains("\"text\":\"")
        {
            return text;
        }
    }
}

#[tokio::test]
async fn two_streams_make_progress_together_and_a_client_that_leaves_frees_its_slot() {
    let s = tiny(
        2,
        Tiny {
            chatml_tokens: false,
            context_length: 4096,
            ..Tiny::default()
        },
    )
    .await;
    let client = reqwest::Client::new();
    let stream = |max: u32| {
        client
            .post(format!("{}/v1/completions", s.base))
            .bearer_auth("k-1")
            .json(&json!({"prompt": "a", "max_tokens": max, "stream": true, "temperature": 0}))
            .send()
    };
    let mut long = stream(3000).await.unwrap();
    first_text(&mut long).await;
    // The second request gets its whole answer while the first is far from done.
    let short = stream(5).await.unwrap();
    let data = sse(short).await;
    assert_eq!(data.last().map(String::as_str), Some("[DONE]"));
    let next = tokio::time::timeout(Duration::from_secs(10), long.chunk())
        .await
        .unwrap()
        .unwrap();
    assert!(next.is_some(), "the long stream is still going");

    // One slot: a client that leaves mid-answer frees it for the next request.
    let one = tiny(
        1,
        Tiny {
            chatml_tokens: false,
            context_length: 4096,
            ..Tiny::default()
        },
    )
    .await;
    let mut gone = client
        .post(format!("{}/v1/completions", one.base))
        .bearer_auth("k-1")
        .json(&json!({"prompt": "a", "max_tokens": 4000, "stream": true}))
        .send()
        .await
        .unwrap();
    first_text(&mut gone).await;
    drop(gone);
    let (status, body) = tokio::time::timeout(
        Duration::from_secs(20),
        post(
            &one.base,
            "/v1/completions",
            json!({"prompt": "b", "max_tokens": 2}),
        ),
    )
    .await
    .unwrap();
    assert_eq!(
        (status, body["usage"]["completion_tokens"].as_u64()),
        (200, Some(2)),
        "{body}"
    );
}

fn load_error(t: &Tiny) -> LoadError {
    let (_dir, path) = tiny_file(t);
    match Engine::load(&options(&path, 1)) {
        Err(e) => e,
        Ok(_) => panic!("{t:?} loaded"),
    }
}

#[test]
fn models_the_engine_cannot_serve_are_refused_with_the_reason() {
    let arch = load_error(&Tiny {
        architecture: "mamba".into(),
        ..Tiny::default()
    })
    .to_string();
    assert!(
        arch.contains("architecture `mamba`") && arch.contains("llama.cpp backend"),
        "{arch}"
    );
    let vocab = load_error(&Tiny {
        tokenizer: "llama".into(),
        ..Tiny::default()
    })
    .to_string();
    assert!(
        vocab.contains("SentencePiece") && vocab.contains("llama.cpp backend"),
        "{vocab}"
    );
    let dir = tempfile::tempdir().unwrap();
    let (_keep, whole) = tiny_file(&Tiny::default());
    let bytes = std::fs::read(&whole).unwrap();
    let cut = dir.path().join("cut.gguf");
    std::fs::write(&cut, &bytes[..bytes.len() / 3]).unwrap();
    let truncated = Engine::load(&options(&cut, 1))
        .err()
        .expect("a truncated file does not load")
        .to_string();
    assert!(
        truncated.contains("cannot load the weights") || truncated.contains("not a GGUF"),
        "{truncated}"
    );
    let garbage = dir.path().join("garbage.gguf");
    std::fs::write(&garbage, b"GGUF\x03\0\0\0\xff\xff\xff\xff\xff\xff\xff\xff").unwrap();
    assert!(Engine::load(&options(&garbage, 1)).is_err());
}

/// SmolLM2-135M-Instruct (installed by the test set-up; `LLM_MANAGER_TEST_GGUF`).
#[tokio::test]
async fn smollm2_knows_the_capital_of_france() {
    let path = PathBuf::from(
        std::env::var("LLM_MANAGER_TEST_GGUF")
            .expect("LLM_MANAGER_TEST_GGUF names SmolLM2's GGUF (scripts/test.sh installs it)"),
    );
    let dir = tempfile::tempdir().unwrap();
    let s = serve(
        dir,
        Options {
            model: path,
            model_id: None,
            parallel: 1,
            context_length: Some(2048),
            api_key: None,
        },
    )
    .await;
    let res = reqwest::Client::new().post(format!("{}/v1/chat/completions", s.base))
        // With the file's default system prompt this small model rambles in French (llama.cpp's
        // greedy answer is the same, token for token); with a plain one it answers.
        .json(&json!({"messages": [{"role": "system", "content": "You are a helpful assistant."}, {"role": "user", "content": "What is the capital of France?"}], "temperature": 0, "max_tokens": 40}))
        .send().await.unwrap();
    let body: Value = res.json().await.unwrap();
    let answer = body["choices"][0]["message"]["content"].as_str().unwrap();
    assert_eq!(answer, "The capital of France is Paris.", "{body}");
    assert_eq!(body["choices"][0]["finish_reason"], "stop", "{body}");
    assert!(body["usage"]["completion_tokens"].as_u64().unwrap() < 40);
    // The id is the file's own name for the model.
    assert_eq!(body["model"], "Smollm2 135M 8k Lc100K Mix1 Ep2");
}
