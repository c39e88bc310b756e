//! The export of all of a user's chat data as one JSON document, streamed: sessions are read
//! in batches of [`BATCH`] with their messages and written as they are read, so memory stays
//! bounded however much a user has (never the whole export in memory, never a scan of every
//! message per session).

use std::collections::HashMap;
use std::io;

use bytes::Bytes;
use chrono::Utc;
use futures::Stream;
use serde_json::json;
use tokio::sync::mpsc;
use uuid::Uuid;

use super::store;
use crate::auth::store::User;
use crate::chat::store::{Message, Session};
use crate::chat::types::{MessageResponse, SessionResponse};
use crate::state::AppState;

/// Sessions read per query.
const BATCH: u64 = 100;

type Tx = mpsc::Sender<Result<Bytes, io::Error>>;

/// The export's body. A database failure midway ends the body with an error (the client
/// sees a broken download, never a truncated file that looks whole).
pub fn export_all(
    state: &AppState,
    user: &User,
) -> impl Stream<Item = Result<Bytes, io::Error>> + use<> {
    let (tx, rx) = mpsc::channel(4);
    let (state2, user_id) = (state.clone(), user.id);
    let head = json!({"id": user.id, "username": user.username});
    state.tasks.spawn(async move {
        if let Err(e) = write(&state2, user_id, head, &tx).await {
            tracing::error!(error = %e, %user_id, "export failed");
            // The receiver may be gone already; nothing more to tell it then.
            let _ = tx.send(Err(io::Error::other("the export failed"))).await;
        }
    });
    tokio_stream::wrappers::ReceiverStream::new(rx)
}

async fn send(tx: &Tx, text: String) -> anyhow::Result<()> {
    tx.send(Ok(Bytes::from(text)))
        .await
        .map_err(|_| anyhow::anyhow!("the client went away"))
}

async fn write(
    state: &AppState,
    user_id: Uuid,
    user: serde_json::Value,
    tx: &Tx,
) -> anyhow::Result<()> {
    let db = &state.db.conn;
    let open = format!(
        "{{\"exported_at\":{},\"user\":{},\"sessions\":[",
        serde_json::to_string(&Utc::now())?,
        user
    );
    send(tx, open).await?;
    let mut after = None;
    let mut first = true;
    loop {
        let batch = store::sessions_after(db, user_id, after, BATCH).await?;
        let Some(last) = batch.last() else { break };
        after = Some((last.created_at, last.id));
        let ids: Vec<Uuid> = batch.iter().map(|s| s.id).collect();
        let messages = store::messages_of(db, user_id, &ids).await?;
        send(tx, sessions_json(&batch, &messages, first)?).await?;
        first = false;
    }
    let personas: Vec<_> = store::own_personas(db, user_id)
        .await?
        .iter()
        .map(|p| {
            json!({
                "id": p.id, "name": p.name, "description": p.description, "avatar": p.avatar,
                "system_prompt": p.system_prompt, "model": p.model,
            })
        })
        .collect();
    send(
        tx,
        format!("\n],\"personas\":{}}}\n", serde_json::to_string(&personas)?),
    )
    .await
}

/// One batch of sessions with their messages, each on its own line.
fn sessions_json(batch: &[Session], messages: &[Message], first: bool) -> anyhow::Result<String> {
    let mut by_session: HashMap<Uuid, Vec<MessageResponse>> = HashMap::new();
    for m in messages {
        by_session
            .entry(m.session_id)
            .or_default()
            .push(MessageResponse::from(m));
    }
    let mut out = String::new();
    for (i, s) in batch.iter().enumerate() {
        if !(first && i == 0) {
            out.push(',');
        }
        out.push('\n');
        let entry = json!({
            "session": SessionResponse::from(s),
            "messages": by_session.remove(&s.id).unwrap_or_default(),
        });
        out.push_str(&serde_json::to_string(&entry)?);
    }
    Ok(out)
}
