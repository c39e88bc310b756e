//! Mail texts in English and Simplified Chinese, as plain text and HTML. Values are escaped
//! for HTML.

use super::OutgoingMail;

/// Languages mails are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// Simplified Chinese.
    ZhCn,
}

impl Lang {
    /// From a user's language preference (`zh*` → Chinese, else English).
    pub fn from_pref(pref: Option<&str>) -> Self {
        match pref {
            Some(l) if l.to_ascii_lowercase().starts_with("zh") => Self::ZhCn,
            _ => Self::En,
        }
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn build(
    to: &str,
    subject: String,
    greeting: String,
    body: String,
    action: String,
    link: &str,
    footer: String,
) -> OutgoingMail {
    let text = format!("{greeting}\n\n{body}\n\n{action}:\n{link}\n\n{footer}\n");
    let html = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif;line-height:1.5\">\
         <p>{}</p><p>{}</p><p><a href=\"{}\">{}</a></p><p style=\"color:#666\">{}</p></body></html>",
        escape(&greeting),
        escape(&body),
        escape(link),
        escape(&action),
        escape(&footer)
    );
    OutgoingMail {
        to: to.to_owned(),
        subject,
        text,
        html,
    }
}

/// "Verify your email address".
pub fn verify_email(lang: Lang, to: &str, username: &str, link: &str) -> OutgoingMail {
    match lang {
        Lang::En => build(
            to,
            "Verify your email address".to_owned(),
            format!("Hello {username},"),
            "Please confirm that this address belongs to your LLM Manager account. The link works for 24 hours.".to_owned(),
            "Verify email".to_owned(),
            link,
            "If you did not create this account, ignore this mail.".to_owned(),
        ),
        Lang::ZhCn => build(
            to,
            "验证你的邮箱地址".to_owned(),
            format!("{username}，你好："),
            "请确认此邮箱属于你的 LLM Manager 账户。链接 24 小时内有效。".to_owned(),
            "验证邮箱".to_owned(),
            link,
            "如果你没有注册此账户，请忽略这封邮件。".to_owned(),
        ),
    }
}

/// "Reset your password".
pub fn reset_password(lang: Lang, to: &str, username: &str, link: &str) -> OutgoingMail {
    match lang {
        Lang::En => build(
            to,
            "Reset your password".to_owned(),
            format!("Hello {username},"),
            "Someone asked to reset the password of your LLM Manager account. The link works once, for one hour.".to_owned(),
            "Choose a new password".to_owned(),
            link,
            "If it was not you, ignore this mail: your password stays as it is.".to_owned(),
        ),
        Lang::ZhCn => build(
            to,
            "重置你的密码".to_owned(),
            format!("{username}，你好："),
            "有人请求重置你的 LLM Manager 账户密码。链接只能使用一次，1 小时内有效。".to_owned(),
            "设置新密码".to_owned(),
            link,
            "如果不是你本人操作，请忽略这封邮件，你的密码不会改变。".to_owned(),
        ),
    }
}

/// "Someone tried to register with your address": sent instead of telling the stranger that
/// the address has an account.
pub fn registration_attempt(lang: Lang, to: &str, username: &str, link: &str) -> OutgoingMail {
    match lang {
        Lang::En => build(
            to,
            "Someone tried to register with your address".to_owned(),
            format!("Hello {username},"),
            "Someone tried to create a new LLM Manager account with this address, which already belongs to your account. No account was created.".to_owned(),
            "Forgot your password? Reset it here".to_owned(),
            link,
            "If it was not you, ignore this mail: nothing changed.".to_owned(),
        ),
        Lang::ZhCn => build(
            to,
            "有人尝试用你的邮箱注册".to_owned(),
            format!("{username}，你好："),
            "有人尝试用此邮箱注册新的 LLM Manager 账户，但此邮箱已属于你的账户，因此没有创建新账户。".to_owned(),
            "忘记密码？在这里重置".to_owned(),
            link,
            "如果不是你本人操作，请忽略这封邮件，什么都没有改变。".to_owned(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped_and_both_languages_exist() {
        let m = verify_email(
            Lang::En,
            "a@b.io",
            "<script>x</script>",
            "http://h/verify-email?token=a&b",
        );
        assert!(m.html.contains("&lt;script&gt;"));
        assert!(!m.html.contains("<script>"));
        assert!(m.html.contains("token=a&amp;b"));
        assert!(m.text.contains("http://h/verify-email?token=a&b"));
        let zh = reset_password(
            Lang::from_pref(Some("zh-CN")),
            "a@b.io",
            "bob",
            "http://h/r",
        );
        assert_eq!(zh.subject, "重置你的密码");
        assert_eq!(Lang::from_pref(None), Lang::En);
    }
}
