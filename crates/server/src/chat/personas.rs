//! Personas: the built-in pets of the seed (fox, dog, snake) in English and Chinese, shared
//! personas admins publish, and users' own.

use chrono::Utc;
use serde_json::json;
use uuid::Uuid;

use super::store::{self, Persona};
use super::types::{PersonaBody, PersonaResponse};
use crate::auth::service::AuthContext;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

struct Builtin {
    id: &'static str,
    avatar: &'static str,
    en: (&'static str, &'static str, &'static str),
    zh: (&'static str, &'static str, &'static str),
}

const BUILTINS: &[Builtin] = &[
    Builtin {
        id: "fox",
        avatar: "🦊",
        en: (
            "Fox",
            "Clever and playful: quick ideas, a wink, and a clever way round any problem.",
            "You are Fox, a clever and playful companion. You answer with quick wit and lateral \
             thinking, enjoy a light joke or a riddle, and always find a smart way round a \
             problem. Stay helpful and accurate under the playfulness; keep answers lively and \
             concise. Answer in the language the user writes in.",
        ),
        zh: (
            "狐狸",
            "聪明又俏皮：点子多，爱开玩笑，总能巧妙地绕过难题。",
            "你是狐狸，一个聪明又俏皮的伙伴。你反应敏捷、思路灵活，喜欢开个小玩笑或出个谜语，\
             总能找到巧妙的办法解决问题。俏皮之下要保持有用和准确，回答生动而简洁。\
             用用户使用的语言回答。",
        ),
    },
    Builtin {
        id: "dog",
        avatar: "🐶",
        en: (
            "Dog",
            "Loyal and warm: patient encouragement and a friend who is always on your side.",
            "You are Dog, a loyal and warm companion. You are patient, encouraging and kind, \
             you listen carefully, cheer the user on, and explain things step by step without \
             judgement. Be sincere and supportive, and still give real, practical help. Answer \
             in the language the user writes in.",
        ),
        zh: (
            "小狗",
            "忠诚又温暖：耐心鼓励，永远站在你这边的朋友。",
            "你是小狗，一个忠诚又温暖的伙伴。你耐心、善良、爱鼓励人，认真倾听，为用户加油，\
             不加评判地一步步讲解。真诚而体贴，同时给出切实可行的帮助。用用户使用的语言回答。",
        ),
    },
    Builtin {
        id: "snake",
        avatar: "🐍",
        en: (
            "Snake",
            "Calm and sharp: precise, unhurried analysis that goes straight to the point.",
            "You are Snake, a calm and sharp companion. You think before you speak, analyse \
             precisely, point out hidden assumptions and risks, and go straight to the point \
             without filler. Be composed, exact and honest about uncertainty. Answer in the \
             language the user writes in.",
        ),
        zh: (
            "蛇",
            "冷静又犀利：精准、从容的分析，直击要点。",
            "你是蛇，一个冷静又犀利的伙伴。你三思而后言，分析精准，善于指出隐含的假设和风险，\
             直击要点，不说废话。保持沉着、准确，对不确定之处坦诚相告。用用户使用的语言回答。",
        ),
    },
    Builtin {
        id: "emotion",
        avatar: "🎭",
        en: (
            "Emotion reader",
            "Reads the emotions in a photo: seven scores, the dominant one, faces and objects.",
            "You read emotions from images. Look at the attached photo and estimate how strongly \
             each of the seven basic emotions (happy, sad, angry, fearful, surprised, disgusted, \
             neutral) shows, each as a score from 0 to 1, name the dominant one, say whether a \
             face is visible, and list notable objects. Answer with the JSON object only.",
        ),
        zh: (
            "情绪识别",
            "识别照片中的情绪：七种基本情绪的分数、主要情绪、人脸和物体。",
            "你负责从图像中识别情绪。观察附上的照片，为七种基本情绪（happy、sad、angry、\
             fearful、surprised、disgusted、neutral）分别给出 0 到 1 的分数，指出主要情绪，\
             说明是否有人脸，并列出值得注意的物体（用中文）。只回答 JSON 对象。",
        ),
    },
];

/// Whether the user's language is Chinese.
pub fn is_chinese(language: Option<&str>) -> bool {
    language.is_some_and(|l| l.to_ascii_lowercase().starts_with("zh"))
}

fn builtin_response(b: &Builtin, chinese: bool) -> PersonaResponse {
    let (name, description, prompt) = if chinese { b.zh } else { b.en };
    PersonaResponse {
        id: b.id.to_owned(),
        name: name.to_owned(),
        description: description.to_owned(),
        avatar: b.avatar.to_owned(),
        system_prompt: prompt.to_owned(),
        model: None,
        params: json!({}),
        kind: "builtin".to_owned(),
    }
}

fn row_response(p: &Persona) -> PersonaResponse {
    PersonaResponse {
        id: p.id.to_string(),
        name: p.name.clone(),
        description: p.description.clone(),
        avatar: p.avatar.clone(),
        system_prompt: p.system_prompt.clone(),
        model: p.model.clone(),
        params: serde_json::from_str(&p.params).unwrap_or_else(|_| json!({})),
        kind: if p.owner_id.is_some() {
            "own"
        } else {
            "shared"
        }
        .to_owned(),
    }
}

/// Every persona the user may pick.
pub async fn list(
    state: &AppState,
    actor: &AuthContext,
    language: Option<&str>,
) -> ApiResult<Vec<PersonaResponse>> {
    let chinese = is_chinese(language);
    let mut out: Vec<PersonaResponse> = BUILTINS
        .iter()
        .map(|b| builtin_response(b, chinese))
        .collect();
    let rows = store::list_personas(&state.db.conn, actor.user.id).await?;
    out.extend(rows.iter().map(row_response));
    Ok(out)
}

/// A persona the user may use, by id; `None` if there is none such (or it is someone else's).
pub async fn find(
    state: &AppState,
    user_id: Uuid,
    id: &str,
    language: Option<&str>,
) -> ApiResult<Option<PersonaResponse>> {
    if let Some(b) = BUILTINS.iter().find(|b| b.id == id) {
        return Ok(Some(builtin_response(b, is_chinese(language))));
    }
    let Ok(uuid) = Uuid::parse_str(id) else {
        return Ok(None);
    };
    Ok(store::get_persona(&state.db.conn, uuid)
        .await?
        .filter(|p| p.owner_id.is_none_or(|o| o == user_id))
        .map(|p| row_response(&p)))
}

fn validate(body: &PersonaBody) -> ApiResult<()> {
    crate::text::one_line("name", &body.name, 64)?;
    if body
        .description
        .as_deref()
        .is_some_and(|d| d.chars().count() > 500)
    {
        return Err(ApiError::field(
            "description",
            "must be at most 500 characters",
        ));
    }
    if body
        .avatar
        .as_deref()
        .is_some_and(|a| a.chars().count() > 16)
    {
        return Err(ApiError::field(
            "avatar",
            "must be an emoji or up to 16 characters",
        ));
    }
    let prompt = body.system_prompt.trim();
    if prompt.is_empty() || prompt.chars().count() > 20_000 {
        return Err(ApiError::field(
            "system_prompt",
            "must be 1 to 20000 characters",
        ));
    }
    if body.params.as_ref().is_some_and(|p| !p.is_object()) {
        return Err(ApiError::field("params", "must be an object"));
    }
    Ok(())
}

fn owner_for(actor: &AuthContext, shared: Option<bool>) -> ApiResult<Option<Uuid>> {
    match shared {
        Some(true) if actor.is_admin() => Ok(None),
        Some(true) => Err(ApiError::Forbidden(
            "only admins publish shared personas".to_owned(),
        )),
        _ => Ok(Some(actor.user.id)),
    }
}

/// Creates a persona (own, or shared by an admin).
pub async fn create(
    state: &AppState,
    actor: &AuthContext,
    body: PersonaBody,
) -> ApiResult<PersonaResponse> {
    validate(&body)?;
    let now = Utc::now();
    let row = Persona {
        id: Uuid::now_v7(),
        owner_id: owner_for(actor, body.shared)?,
        name: body.name.trim().to_owned(),
        description: body.description.unwrap_or_default().trim().to_owned(),
        avatar: body.avatar.unwrap_or_else(|| "🤖".to_owned()),
        system_prompt: body.system_prompt.trim().to_owned(),
        model: body
            .model
            .map(|m| m.trim().to_owned())
            .filter(|m| !m.is_empty()),
        params: body.params.unwrap_or_else(|| json!({})).to_string(),
        created_at: now,
        updated_at: now,
    };
    let row = store::insert_persona(&state.db.conn, row).await?;
    Ok(row_response(&row))
}

/// The persona row the caller may change: their own, or (admins) a shared one.
async fn editable(state: &AppState, actor: &AuthContext, id: &str) -> ApiResult<Persona> {
    if BUILTINS.iter().any(|b| b.id == id) {
        return Err(ApiError::Forbidden(
            "built-in personas cannot be changed; create your own".to_owned(),
        ));
    }
    let not_found = || ApiError::NotFound("no such persona".to_owned());
    let uuid = Uuid::parse_str(id).map_err(|_| not_found())?;
    let p = store::get_persona(&state.db.conn, uuid)
        .await?
        .ok_or_else(not_found)?;
    match p.owner_id {
        Some(o) if o == actor.user.id => Ok(p),
        None if actor.is_admin() => Ok(p),
        None => Err(ApiError::Forbidden(
            "only admins change shared personas".to_owned(),
        )),
        Some(_) => Err(not_found()),
    }
}

/// Changes a persona.
pub async fn update(
    state: &AppState,
    actor: &AuthContext,
    id: &str,
    body: PersonaBody,
) -> ApiResult<PersonaResponse> {
    validate(&body)?;
    let mut p = editable(state, actor, id).await?;
    p.name = body.name.trim().to_owned();
    p.description = body.description.unwrap_or_default().trim().to_owned();
    if let Some(a) = body.avatar {
        p.avatar = a;
    }
    p.system_prompt = body.system_prompt.trim().to_owned();
    p.model = body
        .model
        .map(|m| m.trim().to_owned())
        .filter(|m| !m.is_empty());
    p.params = body.params.unwrap_or_else(|| json!({})).to_string();
    p.updated_at = Utc::now();
    let p = store::update_persona(&state.db.conn, p).await?;
    Ok(row_response(&p))
}

/// Deletes a persona.
pub async fn delete(state: &AppState, actor: &AuthContext, id: &str) -> ApiResult<()> {
    let p = editable(state, actor, id).await?;
    store::delete_persona(&state.db.conn, p.id).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_pets_exist_in_both_languages() {
        for id in ["fox", "dog", "snake", "emotion"] {
            let b = BUILTINS.iter().find(|b| b.id == id).unwrap();
            let en = builtin_response(b, false);
            let zh = builtin_response(b, true);
            assert_ne!(en.name, zh.name);
            assert!(en.system_prompt.len() > 100 && zh.system_prompt.len() > 50);
        }
        assert!(is_chinese(Some("zh-CN")) && !is_chinese(Some("en")) && !is_chinese(None));
    }
}
